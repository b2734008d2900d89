"""Google Cloud provider: Ingress → external HTTP(S) load balancer (URL map, proxies, forwarding rules,
backend services, health checks, instance groups or NEGs, certificates, firewall).

`create(config)` is the `lbctl.providers` entry point. Importing this package has no side effects;
the Compute API emulator lives in `emulators.gce`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lbctl.provider import Provider, ProviderConfig


def create(config: ProviderConfig) -> Provider:
    """The GCP provider for `config` (project, endpoint_url, cluster_name, options)."""
    from .provider import GcpProvider

    return GcpProvider(config)
