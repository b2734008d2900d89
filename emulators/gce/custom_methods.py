"""The non-CRUD methods of the load-balancer flow (`setUrlMap`, `addInstances`, `getHealth`, ...)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .api import ComputeApi, CustomMethod, Payload, check_fingerprint, paged_list
from .errors import ApiError, OperationFailure, condition_not_met, invalid, required
from .references import ResourceKey, is_valid_name, parse_reference
from .resources import KINDS
from .routes import Route

Handler = CustomMethod


def _setter(field_name: str, *, required_field: bool) -> Handler:
    """A `setX` method replacing one field from the same-named body field."""

    def handler(
        api: ComputeApi,
        route: Route,
        key: ResourceKey,
        body: Payload,
        query: dict[str, str],
        injected: ApiError | None,
    ) -> Payload:
        value = body.get(field_name) or None
        if required_field and value is None:
            raise required(field_name)
        return api.set_fields(route, key, {field_name: value}, injected)

    return handler


def _set_labels(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    current = api.store.get(key)
    if not body.get("labelFingerprint"):
        raise condition_not_met("labelFingerprint")
    check_fingerprint(KINDS[key.collection], current, body["labelFingerprint"], "labelFingerprint")
    return api.set_fields(route, key, {"labels": body.get("labels") or None}, injected)


def _set_named_ports(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    check_fingerprint(KINDS[key.collection], api.store.get(key), body.get("fingerprint"))
    return api.set_fields(route, key, {"namedPorts": body.get("namedPorts") or None}, injected)


def _instance_links(api: ComputeApi, group_key: ResourceKey, body: Payload) -> list[str]:
    references = [item.get("instance") for item in body.get("instances") or []]
    if not references:
        raise required("instances")
    links = []
    for index, reference in enumerate(references):
        target = api.reference_key(
            f"instances[{index}].instance", reference, group_key.project, ("instances",)
        )
        if target.scope != group_key.scope:
            raise invalid(f"Instance '{target.path}' is not in the zone of '{group_key.path}'.")
        links.append(api.store.self_link(target))
    return links


def _add_instances(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    group = api.store.get(key)

    def apply() -> str:
        links = _instance_links(api, key, body)
        for link in links:
            if link in group["_instances"]:
                raise OperationFailure(
                    400, "memberAlreadyExists", f"The resource '{link}' is already a member of '{key.path}'"
                )
        group["_instances"].extend(dict.fromkeys(links))
        return str(group["id"])

    return api.mutate(route, key, apply, injected)


def _remove_instances(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    group = api.store.get(key)

    def apply() -> str:
        links = _instance_links(api, key, body)
        for link in links:
            if link not in group["_instances"]:
                raise OperationFailure(
                    400, "memberNotFound", f"The resource '{link}' is not a member of '{key.path}'"
                )
        group["_instances"] = [link for link in group["_instances"] if link not in links]
        return str(group["id"])

    return api.mutate(route, key, apply, injected)


def _list_instances(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    group = api.store.get(key)
    state = body.get("instanceState", "ALL")
    if state not in ("ALL", "RUNNING"):
        raise invalid(f"Invalid value for field 'instanceState': '{state}'.")
    items = []
    for link in group["_instances"]:
        item: Payload = {"instance": link, "status": "RUNNING"}
        if group.get("namedPorts"):
            item["namedPorts"] = group["namedPorts"]
        items.append(item)
    path = f"{key.path}/listInstances"
    return paged_list(
        "compute#instanceGroupsListInstances", path, api.store.self_link_of_path(path), items, query
    )


def _endpoint(api: ComputeApi, neg_key: ResourceKey, neg: Payload, raw: Any, index: int) -> Payload:
    """Normalise one network endpoint: instance by name, ipAddress and port defaulted."""
    field_prefix = f"networkEndpoints[{index}]"
    if not isinstance(raw, dict):
        raise invalid(f"Invalid value for field '{field_prefix}'.")
    endpoint: Payload = {k: raw[k] for k in ("instance", "ipAddress", "port") if raw.get(k) not in (None, "")}
    if "instance" in endpoint:
        reference = str(endpoint["instance"])
        target = (
            ResourceKey(neg_key.project, neg_key.scope, "instances", reference)
            if is_valid_name(reference)
            else parse_reference(reference, neg_key.project)
        )
        if target is None or target.collection != "instances" or target.scope != neg_key.scope:
            raise invalid(f"Invalid value for field '{field_prefix}.instance': '{reference}'.")
        instance = api.store.resources.get(target)
        if instance is None:
            raise invalid(f"Invalid value for field '{field_prefix}.instance': '{reference}'. Not found.")
        endpoint["instance"] = target.name
        endpoint.setdefault("ipAddress", instance["networkInterfaces"][0]["networkIP"])
    elif neg.get("networkEndpointType", "GCE_VM_IP_PORT") == "GCE_VM_IP_PORT":
        raise required(f"{field_prefix}.instance")
    if "ipAddress" not in endpoint:
        raise required(f"{field_prefix}.ipAddress")
    if "port" not in endpoint:
        if "defaultPort" not in neg:
            raise required(f"{field_prefix}.port")
        endpoint["port"] = neg["defaultPort"]
    return endpoint


def _endpoints(api: ComputeApi, key: ResourceKey, neg: Payload, body: Payload) -> list[Payload]:
    raw = body.get("networkEndpoints") or []
    if not raw:
        raise required("networkEndpoints")
    return [_endpoint(api, key, neg, item, index) for index, item in enumerate(raw)]


def _attach_endpoints(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    neg = api.store.get(key)
    endpoints = _endpoints(api, key, neg, body)

    def apply() -> str:
        for endpoint in endpoints:
            if endpoint not in neg["_endpoints"]:
                neg["_endpoints"].append(endpoint)
        return str(neg["id"])

    return api.mutate(route, key, apply, injected)


def _detach_endpoints(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    neg = api.store.get(key)
    endpoints = _endpoints(api, key, neg, body)

    def apply() -> str:
        neg["_endpoints"] = [endpoint for endpoint in neg["_endpoints"] if endpoint not in endpoints]
        return str(neg["id"])

    return api.mutate(route, key, apply, injected)


def _list_endpoints(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    neg = api.store.get(key)
    show_health = body.get("healthStatus") == "SHOW"
    items = [
        {
            "networkEndpoint": dict(endpoint),
            **(
                {"healths": [{"healthState": api.store.health_of(endpoint["ipAddress"], endpoint["port"])}]}
                if show_health
                else {}
            ),
        }
        for endpoint in neg["_endpoints"]
    ]
    path = f"{key.path}/listNetworkEndpoints"
    return paged_list(
        "compute#networkEndpointGroupsListNetworkEndpoints",
        path,
        api.store.self_link_of_path(path),
        items,
        query,
    )


def _get_health(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    service = api.store.get(key)
    group_key = api.reference_key(
        "resourceGroupReference.group",
        body.get("group"),
        key.project,
        ("instanceGroups", "networkEndpointGroups"),
    )
    group_link = api.store.self_link(group_key)
    if group_link not in [backend.get("group") for backend in service.get("backends") or []]:
        raise invalid(f"The resource '{group_key.path}' is not a backend of '{key.path}'.")
    group = api.store.resources[group_key]
    statuses: list[Payload] = []
    if group_key.collection == "instanceGroups":
        port = next(
            (p["port"] for p in group.get("namedPorts") or [] if p.get("name") == service.get("portName")),
            service.get("port", 80),
        )
        for link in group["_instances"]:
            instance_key = parse_reference(link, key.project)
            instance = api.store.resources.get(instance_key) if instance_key else None
            ip = instance["networkInterfaces"][0]["networkIP"] if instance else None
            state = api.store.health_of(ip, port)
            statuses.append({"instance": link, "ipAddress": ip, "port": port, "healthState": state})
    else:
        for endpoint in group["_endpoints"]:
            status: Payload = {
                "ipAddress": endpoint["ipAddress"],
                "port": endpoint["port"],
                "healthState": api.store.health_of(endpoint["ipAddress"], endpoint["port"]),
            }
            if "instance" in endpoint:
                status["instance"] = api.store.self_link(
                    ResourceKey(group_key.project, group_key.scope, "instances", endpoint["instance"])
                )
            statuses.append(status)
    out: Payload = {"kind": "compute#backendServiceGroupHealth"}
    if statuses:
        out["healthStatus"] = statuses
    return out


MAX_SIGNED_URL_KEYS = 3  # per backend service or bucket (Cloud CDN quota)


def _add_signed_url_key(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    """Add a Cloud CDN signing key (SignedUrlKey {keyName, keyValue}): a name as for resources, a 128-bit
    value in RFC 4648 §5 base64url; at most three keys; the value is never returned (only its name, in
    cdnPolicy.signedUrlKeyNames)."""
    resource = api.store.get(key)
    name, value = body.get("keyName"), body.get("keyValue")
    if not name:
        raise required("signedUrlKeyResource.keyName")
    if not is_valid_name(str(name)):
        raise invalid(f"Invalid value for field 'signedUrlKeyResource.keyName': '{name}'.")
    if not value:
        raise required("signedUrlKeyResource.keyValue")
    try:
        raw = base64.urlsafe_b64decode(str(value) + "=" * (-len(str(value)) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise invalid("Invalid value for field 'signedUrlKeyResource.keyValue': not a 128-bit base64url key.")

    def apply() -> str:
        keys = resource.setdefault("_signedUrlKeys", {})
        if name in keys:
            raise invalid(f"The key '{name}' already exists in '{key.path}'.")
        if len(keys) >= MAX_SIGNED_URL_KEYS:
            raise invalid(f"'{key.path}' already has {MAX_SIGNED_URL_KEYS} signed URL keys, the maximum.")
        keys[name] = value
        resource["fingerprint"] = api.store.new_fingerprint(resource)
        return str(resource["id"])

    return api.mutate(route, key, apply, injected)


def _delete_signed_url_key(
    api: ComputeApi,
    route: Route,
    key: ResourceKey,
    body: Payload,
    query: dict[str, str],
    injected: ApiError | None,
) -> Payload:
    """Remove the signing key named by the `keyName` query parameter; 400 when there is none by that name."""
    resource = api.store.get(key)
    name = query.get("keyName")
    if not name:
        raise required("keyName")

    def apply() -> str:
        keys = resource.get("_signedUrlKeys") or {}
        if name not in keys:
            raise invalid(f"The key '{name}' does not exist in '{key.path}'.")
        del keys[name]
        resource["fingerprint"] = api.store.new_fingerprint(resource)
        return str(resource["id"])

    return api.mutate(route, key, apply, injected)


CUSTOM_METHODS: dict[tuple[str, str], Handler] = {
    ("backendServices", "addSignedUrlKey"): _add_signed_url_key,
    ("backendServices", "deleteSignedUrlKey"): _delete_signed_url_key,
    ("targetHttpProxies", "setUrlMap"): _setter("urlMap", required_field=True),
    ("targetHttpsProxies", "setUrlMap"): _setter("urlMap", required_field=True),
    ("targetHttpsProxies", "setSslCertificates"): _setter("sslCertificates", required_field=True),
    ("targetHttpsProxies", "setSslPolicy"): _setter("sslPolicy", required_field=False),
    ("forwardingRules", "setTarget"): _setter("target", required_field=True),
    ("forwardingRules", "setLabels"): _set_labels,
    ("addresses", "setLabels"): _set_labels,
    ("backendServices", "setSecurityPolicy"): _setter("securityPolicy", required_field=False),
    ("backendServices", "getHealth"): _get_health,
    ("instanceGroups", "addInstances"): _add_instances,
    ("instanceGroups", "removeInstances"): _remove_instances,
    ("instanceGroups", "listInstances"): _list_instances,
    ("instanceGroups", "setNamedPorts"): _set_named_ports,
    ("networkEndpointGroups", "attachNetworkEndpoints"): _attach_endpoints,
    ("networkEndpointGroups", "detachNetworkEndpoints"): _detach_endpoints,
    ("networkEndpointGroups", "listNetworkEndpoints"): _list_endpoints,
}

#: Methods of collections served globally and regionally that only the global collection has.
GLOBAL_ONLY_METHODS: frozenset[tuple[str, str]] = frozenset(
    {
        ("backendServices", "addSignedUrlKey"),
        ("backendServices", "deleteSignedUrlKey"),
        ("targetHttpsProxies", "setSslPolicy"),
    }
)
