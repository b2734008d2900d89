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
    region = current.region.rsplit("/", 1)[-1] if current.region else None
    deadline = time.monotonic() + timeout
    while current.status != compute_v1.Operation.Status.DONE:
        if time.monotonic() > deadline:
            raise TimeoutError(f"operation {current.name} not DONE after {timeout:.0f}s")
        if zone:
            zone_ops = compute_v1.ZoneOperationsClient(**_options(endpoint_url))
            current = zone_ops.wait(project=project, zone=zone, operation=current.name)
        elif region:
            region_ops = compute_v1.RegionOperationsClient(**_options(endpoint_url))
            current = region_ops.wait(project=project, region=region, operation=current.name)
        else:
            global_ops = compute_v1.GlobalOperationsClient(**_options(endpoint_url))
            current = global_ops.wait(project=project, operation=current.name)
    errors = list(current.error.errors) if current.error else []
    if errors or current.http_error_status_code:
        message = "; ".join(f"{e.code}: {e.message}" for e in errors) or current.http_error_message
        raise exceptions.from_http_status(current.http_error_status_code or 400, message, errors=errors)


wait_operation = _wait


def create_subnetworks(
    endpoint_url: str,
    project: str,
    region: str,
    *,
    network: str = "global/networks/default",
    subnet: tuple[str, str] | None = ("default", "10.128.0.0/20"),
    proxy_only: tuple[str, str] | None = ("proxy-only", "10.129.0.0/23"),
) -> None:
    """The network's subnetwork in `region` (as an auto-mode network has) and, if asked, its ACTIVE proxy-only
    subnetwork, as `gcloud compute networks subnets create NAME --purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE`
    makes it for regional Application Load Balancers. Each is (name, CIDR range)."""
    from google.cloud import compute_v1

    subnetworks = compute_v1.SubnetworksClient(**_options(endpoint_url))
    wanted = []
    if subnet:
        wanted.append(compute_v1.Subnetwork(name=subnet[0], network=network, ip_cidr_range=subnet[1]))
    if proxy_only:
        wanted.append(
            compute_v1.Subnetwork(
                name=proxy_only[0],
                network=network,
                ip_cidr_range=proxy_only[1],
                purpose="REGIONAL_MANAGED_PROXY",
                role="ACTIVE",
            )
        )
    for resource in wanted:
        operation = subnetworks.insert(project=project, region=region, subnetwork_resource=resource)
        _wait(endpoint_url, project, operation)


def reserve_global_address(endpoint_url: str, project: str, name: str) -> str:
    """Reserve a global static IP, as `gcloud compute addresses create NAME --global` does; returns it."""
    from google.cloud import compute_v1

    addresses = compute_v1.GlobalAddressesClient(**_options(endpoint_url))
    operation = addresses.insert(project=project, address_resource=compute_v1.Address(name=name))
    _wait(endpoint_url, project, operation)
    return str(addresses.get(project=project, address=name).address)


def reserve_regional_address(
    endpoint_url: str,
    project: str,
    region: str,
    name: str,
    *,
    internal: bool,
    subnetwork: str = "default",
    address_ip: str | None = None,
) -> str:
    """Reserve a regional static IP, as `gcloud compute addresses create NAME --region=R [--addresses=IP]`
    does (internal: in the subnetwork, purpose SHARED_LOADBALANCER_VIP so HTTP and HTTPS rules can share it);
    returns it."""
    from google.cloud import compute_v1

    addresses = compute_v1.AddressesClient(**_options(endpoint_url))
    address = compute_v1.Address(name=name, address=address_ip)
    if internal:
        address = compute_v1.Address(
            name=name,
            address=address_ip,
            address_type="INTERNAL",
            purpose="SHARED_LOADBALANCER_VIP",
            subnetwork=subnetwork if "/" in subnetwork else f"regions/{region}/subnetworks/{subnetwork}",
        )
    operation = addresses.insert(project=project, region=region, address_resource=address)
    _wait(endpoint_url, project, operation)
    return str(addresses.get(project=project, region=region, address=name).address)


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
