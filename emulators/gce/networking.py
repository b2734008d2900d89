"""Subnetworks and the internal addresses in them: CIDR ranges that may not overlap within a network, the
proxy-only subnet (`REGIONAL_MANAGED_PROXY`, one ACTIVE per region and network) that regional Envoy-based
load balancers need, and internal IPs allocated from a subnetwork's range."""

from __future__ import annotations

import ipaddress
from typing import Any

from .errors import invalid, required
from .references import ResourceKey, parse_reference
from .resources import Resource

PROXY_PURPOSES = ("REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY")
PURPOSES = ("PRIVATE", "PRIVATE_SERVICE_CONNECT", "PRIVATE_NAT", *PROXY_PURPOSES)
DEFAULT_NETWORK = "global/networks/default"
_IMMUTABLE = ("network", "ipCidrRange", "purpose")

Store = Any  # emulators.gce.store.Store (imported lazily by the caller: no cycle)


def network_link(store: Store, project: str, value: Any, field_name: str = "resource.network") -> str:
    """The full URL of a network reference; 400 if malformed."""
    network = parse_reference(str(value), project) if isinstance(value, str) else None
    if network is None or network.collection != "networks" or network.scope != "global":
        raise invalid(f"Invalid value for field '{field_name}': '{value}'.")
    return str(store.self_link(network))


def prepare_subnetwork(store: Store, key: ResourceKey, resource: Resource, previous: Resource | None) -> None:
    """Check and complete a subnetwork (insert or patch)."""
    if not resource.get("network"):
        raise required("resource.network")
    resource["network"] = network_link(store, key.project, resource["network"])
    if not resource.get("ipCidrRange"):
        raise required("resource.ipCidrRange")
    try:
        cidr = ipaddress.ip_network(str(resource["ipCidrRange"]))
    except ValueError as error:
        raise invalid(
            f"Invalid value for field 'resource.ipCidrRange': '{resource['ipCidrRange']}'."
        ) from error
    if cidr.version != 4 or cidr.prefixlen > 29 or not cidr.is_private:
        raise invalid(
            f"Invalid value for field 'resource.ipCidrRange': '{resource['ipCidrRange']}'. "
            "A private IPv4 range of at most /29 is required."
        )
    resource["ipCidrRange"] = str(cidr)
    purpose = resource["purpose"]
    if purpose not in PURPOSES:
        raise invalid(f"Invalid value for field 'resource.purpose': '{purpose}'.")
    if previous is not None:
        for name in _IMMUTABLE:
            if resource.get(name) != previous.get(name):
                raise invalid(f"Invalid value for field 'resource.{name}': it cannot be changed.")
    if purpose in PROXY_PURPOSES:
        role = resource.get("role")
        if role is None:
            raise required("resource.role")
        if role not in ("ACTIVE", "BACKUP"):
            raise invalid(f"Invalid value for field 'resource.role': '{role}'.")
        resource.pop("gatewayAddress", None)
    else:
        if resource.get("role") is not None:
            raise invalid(
                "Invalid value for field 'resource.role': only subnetworks of purpose "
                "REGIONAL_MANAGED_PROXY or GLOBAL_MANAGED_PROXY take a role."
            )
        resource["gatewayAddress"] = str(next(cidr.hosts()))
    for other_key, other in store.resources.items():
        if (
            other_key.collection != "subnetworks"
            or other_key == key
            or other["network"] != resource["network"]
        ):
            continue
        if cidr.overlaps(ipaddress.ip_network(other["ipCidrRange"])):
            raise invalid(
                f"Invalid IPCidrRange: {cidr} conflicts with existing subnetwork '{other_key.name}' in region "
                f"'{other_key.region}'."
            )
        if (
            purpose in PROXY_PURPOSES
            and resource.get("role") == "ACTIVE"
            and other_key.scope == key.scope
            and other.get("purpose") == purpose
            and other.get("role") == "ACTIVE"
        ):
            raise invalid(
                f"Invalid value for field 'resource.role': 'ACTIVE'. The network already has the ACTIVE "
                f"{purpose} subnetwork '{other_key.name}' in region '{key.region}'."
            )


def active_proxy_subnet(store: Store, project: str, region: str, network: str) -> ResourceKey | None:
    """The ACTIVE REGIONAL_MANAGED_PROXY subnetwork of `network` in `region`, if there is one."""
    for other_key, other in store.resources.items():
        if (
            other_key.collection == "subnetworks"  # in the network's project (a Shared VPC's host)
            and other_key.region == region
            and other.get("network") == network
            and other.get("purpose") == "REGIONAL_MANAGED_PROXY"
            and other.get("role") == "ACTIVE"
        ):
            return other_key
    return None


def subnetwork_of(
    store: Store, key: ResourceKey, value: Any, field_name: str
) -> tuple[ResourceKey, Resource]:
    """The stored subnetwork a request names, in the referrer's region, of purpose PRIVATE."""
    subnet_key = parse_reference(str(value), key.project) if isinstance(value, str) else None
    if subnet_key is None or subnet_key.collection != "subnetworks":
        raise invalid(f"Invalid value for field '{field_name}': '{value}'. The URL is malformed.")
    subnet = store.resources.get(subnet_key)
    if subnet is None:
        raise invalid(
            f"Invalid value for field '{field_name}': '{value}'. The referenced resource was not found."
        )
    if subnet_key.region != key.region:
        raise invalid(
            f"Invalid value for field '{field_name}': '{value}'. Cross-region references are not allowed."
        )
    if subnet.get("purpose") != "PRIVATE":
        raise invalid(
            f"Invalid value for field '{field_name}': '{value}'. A subnetwork of purpose {subnet['purpose']} "
            "cannot hold load balancer or endpoint addresses."
        )
    return subnet_key, subnet


def used_internal_ips(store: Store, network: str) -> set[str]:
    """Internal IPs taken in `network`: reserved addresses, forwarding rules and VM interfaces."""
    used: set[str] = set()
    for other_key, other in store.resources.items():
        if other_key.collection == "addresses" and other.get("addressType") == "INTERNAL":
            used.add(str(other.get("address")))
        elif other_key.collection == "forwardingRules" and other.get("network") == network:
            used.add(str(other.get("IPAddress")))
        elif other_key.collection == "instances":
            used.update(str(i.get("networkIP")) for i in other.get("networkInterfaces") or [])
    return used


def allocate_in_subnet(store: Store, subnet: Resource, requested: str | None, field_name: str) -> str:
    """`requested` checked to lie in the subnetwork's usable range, or the lowest free address of it (the
    network, gateway, second-to-last and broadcast addresses are reserved, as in a VPC)."""
    cidr = ipaddress.ip_network(subnet["ipCidrRange"])
    hosts = list(cidr.hosts())
    usable = hosts[1:-1]
    used = used_internal_ips(store, subnet["network"])
    if requested is not None:
        try:
            address = ipaddress.ip_address(requested)
        except ValueError as error:
            raise invalid(f"Invalid value for field '{field_name}': '{requested}'.") from error
        if address not in usable:
            raise invalid(
                f"Invalid value for field '{field_name}': '{requested}'. The address is not in the usable range "
                f"of subnetwork '{subnet['name']}' ({subnet['ipCidrRange']})."
            )
        if requested in used:
            raise invalid(f"IP '{requested}' is already being used by another resource.")
        return requested
    for host in usable:
        if str(host) not in used:
            return str(host)
    raise invalid(f"The subnetwork '{subnet['name']}' has no free IP address in {subnet['ipCidrRange']}.")


def default_subnetwork(store: Store, key: ResourceKey, network: str) -> tuple[ResourceKey, Resource]:
    """The subnetwork an internal rule without one lands in: the network's only PRIVATE one in the region (as
    an auto-mode network has); otherwise `subnetwork` is required."""
    candidates = [
        (other_key, other)
        for other_key, other in store.resources.items()
        if other_key.collection == "subnetworks"
        and (other_key.project, other_key.scope) == (key.project, key.scope)
        and other.get("network") == network
        and other.get("purpose") == "PRIVATE"
    ]
    if len(candidates) != 1:
        raise required("resource.subnetwork")
    return candidates[0]
