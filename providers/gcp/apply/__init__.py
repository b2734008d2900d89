"""Run planned steps against Compute: one small executor per resource kind, each making its Step's call
through the one cloud-call wrapper (providers.gcp.clients → lbctl.cloudcalls) and waiting on the operation
through the operations clients on the same endpoint. Executors never decide what to change: the plan did."""

from __future__ import annotations

from collections.abc import Callable

from lbctl.provider import Step

from ..clients import Compute, target
from . import (
    backend_services,
    certificates,
    firewalls,
    forwarding_rules,
    health_checks,
    instance_groups,
    network_endpoint_groups,
    proxies,
    url_maps,
)

Executor = Callable[[Compute, Step], bool]
EXECUTORS: dict[str, Executor] = {
    "healthChecks": health_checks.execute,
    "instanceGroups": instance_groups.execute,
    "networkEndpointGroups": network_endpoint_groups.execute,
    "backendServices": backend_services.execute,
    "sslCertificates": certificates.execute,
    "urlMaps": url_maps.execute,
    "targetHttpProxies": proxies.execute,
    "targetHttpsProxies": proxies.execute,
    "forwardingRules": forwarding_rules.execute,
    "firewalls": firewalls.execute,
}


def run(compute: Compute, step: Step) -> bool:
    """Apply one step. False when the cloud was not as planned (an insert found the resource, a delete
    found it gone or in use, a member change was already applied): a kept discovery is then in doubt."""
    return EXECUTORS[target(step)[0]](compute, step)
