"""Kind-specific preparation run before references are resolved and a resource is stored."""

from __future__ import annotations

import hashlib

from .api import ComputeApi, PrepareHook
from .errors import invalid, missing_reference, required
from .networking import (
    DEFAULT_NETWORK,
    active_proxy_subnet,
    allocate_in_subnet,
    default_subnetwork,
    network_link,
    prepare_subnetwork,
    subnetwork_of,
)
from .references import ResourceKey, is_ip_literal, is_valid_name, parse_reference
from .resources import Resource
from .schemes import check_backend_service, check_forwarding_rule, check_url_map
from .scopes import check_reference_scope
from .url_map_rules import https_proxy_refusal, https_redirect_field

_INTERNAL_SCHEMES = ("INTERNAL", "INTERNAL_MANAGED")
_INTERNAL_PURPOSES = ("GCE_ENDPOINT", "SHARED_LOADBALANCER_VIP", "DNS_RESOLVER")


def _prepare_address(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    """Global addresses are external; a regional one is EXTERNAL (a public IP) or INTERNAL, from its
    subnetwork's range (`purpose` GCE_ENDPOINT unless SHARED_LOADBALANCER_VIP, which several forwarding rules
    may share)."""
    if previous is not None:
        resource["address"] = previous["address"]
        return
    requested = resource.get("address")
    if key.region and resource["addressType"] == "INTERNAL":
        if not resource.get("subnetwork"):
            raise required("resource.subnetwork")
        purpose = resource.setdefault("purpose", "GCE_ENDPOINT")
        if purpose not in _INTERNAL_PURPOSES:
            raise invalid(f"Invalid value for field 'resource.purpose': '{purpose}'.")
        _, subnet = subnetwork_of(api.store, key, resource["subnetwork"], "resource.subnetwork")
        resource["address"] = allocate_in_subnet(api.store, subnet, requested, "resource.address")
        return
    if resource["addressType"] not in ("EXTERNAL", "INTERNAL"):
        raise invalid(f"Invalid value for field 'resource.addressType': '{resource['addressType']}'.")
    if resource.get("subnetwork"):
        raise invalid("Invalid value for field 'resource.subnetwork': only INTERNAL addresses take one.")
    if resource.get("networkTier") not in ("PREMIUM", "STANDARD") or (
        key.region is None and resource.get("networkTier") == "STANDARD"
    ):
        raise invalid(f"Invalid value for field 'resource.networkTier': '{resource.get('networkTier')}'.")
    if requested is None:
        resource["address"] = api.store.allocate_public_ip()
        return
    if not isinstance(requested, str) or not is_ip_literal(requested):
        raise invalid(f"Invalid value for field 'resource.address': '{requested}'.")
    for other_key, other in api.store.resources.items():
        if other_key.collection == "addresses" and other.get("address") == requested:
            raise invalid(f"The IP address '{requested}' is already reserved by '{other_key.path}'.")


def _address_by_ip(api: ComputeApi, key: ResourceKey, ip: str) -> ResourceKey | None:
    for other_key, other in api.store.resources.items():
        if (other_key.project, other_key.scope, other_key.collection) == (
            key.project,
            key.scope,
            "addresses",
        ) and other.get("address") == ip:
            return other_key
    return None


def _prepare_forwarding_rule(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    check_forwarding_rule(api.store.resources, key, resource)
    subnet = _rule_network(api, key, resource) if key.region else None
    requested = resource.get("IPAddress")
    if previous is not None:
        if requested not in (None, previous["IPAddress"], previous.get("_address")):
            raise invalid("Invalid value for field 'resource.IPAddress': it cannot be changed.")
        resource["IPAddress"] = previous["IPAddress"]
        return
    if requested is None:
        if subnet is not None:
            resource["IPAddress"] = allocate_in_subnet(api.store, subnet, None, "resource.IPAddress")
        else:
            resource["IPAddress"] = api.store.allocate_public_ip()
        return
    if not isinstance(requested, str):
        raise invalid(f"Invalid value for field 'resource.IPAddress': '{requested}'.")
    if is_ip_literal(requested):
        address_key = _address_by_ip(api, key, requested)
        if address_key is None and subnet is not None:
            allocate_in_subnet(api.store, subnet, requested, "resource.IPAddress")
    else:
        address_key = parse_reference(requested, key.project)
        if address_key is None and is_valid_name(requested):
            address_key = ResourceKey(key.project, key.scope, "addresses", requested)
        if address_key is None or address_key.collection != "addresses":
            raise invalid(f"Invalid value for field 'resource.IPAddress': '{requested}'.")
        if address_key not in api.store.resources:
            raise missing_reference("resource.IPAddress", requested)
        resource["IPAddress"] = api.store.resources[address_key]["address"]
    if address_key is not None:
        check_reference_scope(key, resource, "IPAddress", requested, address_key)
        _check_address_fits(api, key, resource, address_key)
        resource["_address"] = api.store.self_link(address_key)


def _check_address_fits(api: ComputeApi, key: ResourceKey, rule: Resource, address_key: ResourceKey) -> None:
    """An internal rule takes an INTERNAL address (shared with another rule only when its purpose is
    SHARED_LOADBALANCER_VIP), an external rule an EXTERNAL one."""
    address = api.store.resources[address_key]
    internal = rule["loadBalancingScheme"] in _INTERNAL_SCHEMES
    wanted = "INTERNAL" if internal else "EXTERNAL"
    if address.get("addressType", "EXTERNAL") != wanted:
        raise invalid(
            f"Invalid value for field 'resource.IPAddress': '{rule['IPAddress']}'. A forwarding rule of scheme "
            f"{rule['loadBalancingScheme']} takes an {wanted} address."
        )
    if internal and address.get("purpose") != "SHARED_LOADBALANCER_VIP":
        link = api.store.self_link(address_key)
        for other_key, other in api.store.resources.items():
            if (
                other_key.collection == "forwardingRules"
                and other_key != key
                and other.get("_address") == link
            ):
                raise invalid(
                    f"Invalid value for field 'resource.IPAddress': '{rule['IPAddress']}'. The address is used "
                    f"by '{other_key.path}'; only an address of purpose SHARED_LOADBALANCER_VIP can be shared."
                )


def _rule_network(api: ComputeApi, key: ResourceKey, rule: Resource) -> Resource | None:
    """A regional rule's network and subnetwork: internal rules live in a PRIVATE subnetwork of their network
    (returned, for the IP), EXTERNAL_MANAGED ones name the network of their proxy-only subnetwork; Envoy-based
    (managed) rules need an ACTIVE proxy-only subnetwork in their region and network."""
    scheme = rule["loadBalancingScheme"]
    subnet: Resource | None = None
    if scheme in _INTERNAL_SCHEMES:
        network = network_link(api.store, key.project, rule.get("network") or DEFAULT_NETWORK)
        if rule.get("subnetwork"):
            subnet_key, subnet = subnetwork_of(api.store, key, rule["subnetwork"], "resource.subnetwork")
            if subnet["network"] != network:
                raise invalid(
                    f"Invalid value for field 'resource.subnetwork': '{rule['subnetwork']}'. "
                    "The subnetwork is not in the forwarding rule's network."
                )
        else:
            subnet_key, subnet = default_subnetwork(api.store, key, network)
        rule["network"], rule["subnetwork"] = network, api.store.self_link(subnet_key)
    else:
        if rule.get("subnetwork"):
            raise invalid(
                "Invalid value for field 'resource.subnetwork': only INTERNAL and INTERNAL_MANAGED forwarding "
                "rules take one."
            )
        if scheme == "EXTERNAL_MANAGED" and not rule.get("network"):
            raise required("resource.network")
        network = network_link(api.store, key.project, rule["network"]) if rule.get("network") else ""
        if network:
            rule["network"] = network
    target = parse_reference(str(rule.get("target") or ""), key.project)
    proxied = target is not None and target.collection in ("targetHttpProxies", "targetHttpsProxies")
    managed = scheme in ("INTERNAL_MANAGED", "EXTERNAL_MANAGED") and proxied and key.region
    if managed and key.region and active_proxy_subnet(api.store, key.project, key.region, network) is None:
        raise invalid(
            f"Invalid value for field 'resource.target': '{rule['target']}'. An active proxy-only "
            "subnetwork is required in the same region and VPC as the forwarding rule."
        )
    return subnet


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
    check_backend_service(api.store.resources, key, resource)
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


def _prepare_url_map(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    check_url_map(api.store.resources, key, resource)
    redirect = https_redirect_field(resource)
    users = [k for k in api.store.referrers(key) if k.collection == "targetHttpsProxies"] if redirect else []
    if redirect and users:
        raise https_proxy_refusal(users[0].path, redirect)


def _prepare_https_proxy(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    """A target HTTPS proxy's URL map has no httpsRedirect (insert and setUrlMap)."""
    url_map_key = parse_reference(str(resource.get("urlMap") or ""), key.project)
    url_map = api.store.resources.get(url_map_key) if url_map_key else None
    if url_map_key is not None and url_map is not None and https_redirect_field(url_map):
        raise https_proxy_refusal(url_map_key.path, "resource.urlMap")


def _prepare_subnetwork(
    api: ComputeApi, key: ResourceKey, resource: Resource, previous: Resource | None
) -> None:
    prepare_subnetwork(api.store, key, resource, previous)


PREPARE_HOOKS: dict[str, PrepareHook] = {
    "subnetworks": _prepare_subnetwork,
    "urlMaps": _prepare_url_map,
    "targetHttpsProxies": _prepare_https_proxy,
    "backendServices": _prepare_backend_service,
    "addresses": _prepare_address,
    "forwardingRules": _prepare_forwarding_rule,
    "instances": _prepare_instance,
    "instanceGroups": _prepare_instance_group,
    "networkEndpointGroups": _prepare_neg,
}
