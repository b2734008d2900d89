"""Google Cloud provider: Ingress → external HTTP(S) load balancer (URL map, proxies, forwarding rules,
backend services, health checks, instance groups or NEGs, certificates, firewall).

`plugin` is the `lbctl.providers` entry point (calling it creates the provider). Importing this package
imports no SDK and has no side effects; the Compute API emulator lives in `emulators.gce`.
"""

from __future__ import annotations

from .plugin import plugin

create = plugin  # the factory, by the name the entry point had before it named the declaration

__all__ = ["create", "plugin"]
