"""Kind-specific preparation run before references are resolved and a resource is stored."""

from __future__ import annotations

import hashlib

from .api import ComputeApi, PrepareHook
from .errors import invalid, missing_reference
from .references import ResourceKey, is_ip_literal, is_valid_name, parse_reference
from .resources import Resource


def _prepare_address(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    if previous is not None:
        resource["address"] = previous["address"]
        return
    requested = resource.get("address")
    if requested is None:
        resource["address"] = api.store.allocate_public_ip()
        return
    if not isinstance(requested, str) or not is_ip_literal(requested):
        raise invalid(f"Invalid value for field 'resource.address': '{requested}'.")
    for other_key, other in api.store.resources.items():
        if other_key.collection == "addresses" and other.get("address") == requested:
            raise invalid(f"The IP address '{requested}' is already reserved by '{other_key.path}'.")


def _address_by_ip(api: ComputeApi, project: str, ip: str) -> ResourceKey | None:
    for other_key, other in api.store.resources.items():
        if (other_key.project, other_key.collection) == (project, "addresses") and other.get("address") == ip:
            return other_key
    return None


def _prepare_forwarding_rule(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    requested = resource.get("IPAddress")
    if previous is not None:
        if requested not in (None, previous["IPAddress"], previous.get("_address")):
            raise invalid("Invalid value for field 'resource.IPAddress': it cannot be changed.")
        resource["IPAddress"] = previous["IPAddress"]
        return
    if requested is None:
        resource["IPAddress"] = api.store.allocate_public_ip()
        return
    if not isinstance(requested, str):
        raise invalid(f"Invalid value for field 'resource.IPAddress': '{requested}'.")
    if is_ip_literal(requested):
        address_key = _address_by_ip(api, key.project, requested)
    else:
        address_key = parse_reference(requested, key.project)
        if address_key is None and is_valid_name(requested):
            address_key = ResourceKey(key.project, "global", "addresses", requested)
        if address_key is None or address_key.collection != "addresses":
            raise invalid(f"Invalid value for field 'resource.IPAddress': '{requested}'.")
        if address_key not in api.store.resources:
            raise missing_reference("resource.IPAddress", requested)
        resource["IPAddress"] = api.store.resources[address_key]["address"]
    if address_key is not None:
        resource["_address"] = api.store.self_link(address_key)


def _prepare_instance(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    interfaces = resource.setdefault("networkInterfaces", [{"network": "global/networks/default"}])
    old_interfaces = (previous or {}).get("networkInterfaces") or []
    for index, interface in enumerate(interfaces):
        interface.setdefault("name", f"nic{index}")
        interface.setdefault("network", "global/networks/default")
        if "networkIP" not in interface:
            old_ip = old_interfaces[index].get("networkIP") if index < len(old_interfaces) else None
            interface["networkIP"] = old_ip or api.store.allocate_internal_ip()
        network = parse_reference(str(interface["network"]), key.project)
        if network is not None:
            interface["network"] = api.store.self_link(network)
    machine_type = str(resource["machineType"])
    if "/" not in machine_type or machine_type.startswith("machineTypes/"):
        resource["machineType"] = api.store.self_link_of_path(
            f"projects/{key.project}/{key.scope}/machineTypes/{machine_type.rsplit('/', 1)[-1]}"
        )


def _prepare_instance_group(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    resource.setdefault("_instances", [])
    for index, port in enumerate(resource.get("namedPorts") or []):
        if not port.get("name") or not 0 < int(port.get("port", 0)) < 65536:
            raise invalid(f"Invalid value for field 'resource.namedPorts[{index}]'.")


def _prepare_neg(api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None) -> None:
    resource.setdefault("_endpoints", [])


def _prepare_backend_service(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    """The signed URL keys survive any update (only addSignedUrlKey/deleteSignedUrlKey change them); the IAP
    OAuth client secret is input only: the API keeps and returns its SHA-256 (hex) instead, and an update
    without it keeps the previous one for the same client id."""
    resource["_signedUrlKeys"] = dict((previous or {}).get("_signedUrlKeys") or {})
    iap = resource.get("iap")
    if not isinstance(iap, dict):
        return
    iap.pop("oauth2ClientSecretSha256", None)  # output only
    secret = iap.pop("oauth2ClientSecret", None)
    if secret:
        iap["oauth2ClientSecretSha256"] = hashlib.sha256(str(secret).encode()).hexdigest()
    else:
        old = (previous or {}).get("iap") or {}
        if old.get("oauth2ClientSecretSha256") and old.get("oauth2ClientId") == iap.get("oauth2ClientId"):
            iap["oauth2ClientSecretSha256"] = old["oauth2ClientSecretSha256"]
    if iap.get("oauth2ClientId") and not iap.get("oauth2ClientSecretSha256"):
        raise invalid(
            "Invalid value for field 'resource.iap.oauth2ClientSecret': required with oauth2ClientId."
        )


PREPARE_HOOKS: dict[str, PrepareHook] = {
    "backendServices": _prepare_backend_service,
    "addresses": _prepare_address,
    "forwardingRules": _prepare_forwarding_rule,
    "instances": _prepare_instance,
    "instanceGroups": _prepare_instance_group,
    "networkEndpointGroups": _prepare_neg,
}
