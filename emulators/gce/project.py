"""A project in the Compute emulator as GKE leaves it before any Ingress: the node VMs, and the global static
IPs a user reserved (`gcloud compute addresses create NAME --global`). Driven through google-cloud-compute,
the way a user's own tooling would."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class GcpProject:
    """A project in the Compute emulator with one instance per node and a reserved global static IP."""

    endpoint_url: str
    project: str
    static_ip_name: str | None
    static_ip: str | None
    instances: dict[str, str] = field(default_factory=dict)  # node name → zone


def _options(endpoint_url: str) -> dict[str, Any]:
    from google.auth.credentials import AnonymousCredentials

    return {
        "client_options": {"api_endpoint": endpoint_url},
        "credentials": AnonymousCredentials(),
        "transport": "rest",
    }


def _wait(endpoint_url: str, project: str, operation: Any, timeout: float = 60.0) -> None:
    """Wait on `operation` through operations clients on the emulator's endpoint (`ExtendedOperation.result()`
    would poll the real Google endpoint); raise the API error a failed operation carries."""
    from google.api_core import exceptions
    from google.cloud import compute_v1

    current = getattr(operation, "_extended_operation", operation)
    zone = current.zone.rsplit("/", 1)[-1] if current.zone else None
    zone_ops = compute_v1.ZoneOperationsClient(**_options(endpoint_url))
    global_ops = compute_v1.GlobalOperationsClient(**_options(endpoint_url))
    deadline = time.monotonic() + timeout
    while current.status != compute_v1.Operation.Status.DONE:
        if time.monotonic() > deadline:
            raise TimeoutError(f"operation {current.name} not DONE after {timeout:.0f}s")
        if zone:
            current = zone_ops.wait(project=project, zone=zone, operation=current.name)
        else:
            current = global_ops.wait(project=project, operation=current.name)
    errors = list(current.error.errors) if current.error else []
    if errors or current.http_error_status_code:
        message = "; ".join(f"{e.code}: {e.message}" for e in errors) or current.http_error_message
        raise exceptions.from_http_status(current.http_error_status_code or 400, message, errors=errors)


def reserve_global_address(endpoint_url: str, project: str, name: str) -> str:
    """Reserve a global static IP, as `gcloud compute addresses create NAME --global` does; returns it."""
    from google.cloud import compute_v1

    addresses = compute_v1.GlobalAddressesClient(**_options(endpoint_url))
    operation = addresses.insert(project=project, address_resource=compute_v1.Address(name=name))
    _wait(endpoint_url, project, operation)
    return str(addresses.get(project=project, address=name).address)


def create_gcp_project(
    endpoint_url: str, project: str, nodes: dict[str, str], static_ip_name: str | None
) -> GcpProject:
    """What a GKE project has before any Ingress: the node VMs, and (if named) the static IP a user reserved."""
    from google.cloud import compute_v1

    instances = compute_v1.InstancesClient(**_options(endpoint_url))
    for node, zone in nodes.items():
        operation = instances.insert(
            project=project, zone=zone, instance_resource=compute_v1.Instance(name=node)
        )
        _wait(endpoint_url, project, operation)
    address = reserve_global_address(endpoint_url, project, static_ip_name) if static_ip_name else None
    return GcpProject(endpoint_url, project, static_ip_name, address, dict(nodes))
