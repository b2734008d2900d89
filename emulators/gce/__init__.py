"""Google Compute Engine REST API emulator (global and regional load balancing, subnetworks, zonal backends).

Start it in-process with `ComputeEmulator().start()` (see `server.ComputeEmulator`) or in the
foreground with `serve(host, port)`; point `google-cloud-compute` clients at `emulator.url`.
"""

from emulators.core import FaultRule, RateLimit

from .server import DEFAULT_ZONES, ComputeEmulator, RequestRecord, serve

__all__ = ["DEFAULT_ZONES", "ComputeEmulator", "FaultRule", "RateLimit", "RequestRecord", "serve"]
