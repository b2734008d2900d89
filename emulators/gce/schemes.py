"""Load-balancing schemes as the API checks them: which scopes take which scheme, the protocols and balancing
modes of passthrough and proxy backend services, the NEG types each takes, and that a forwarding rule, its
target proxy's URL map and the backend services behind it all share one scheme."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import invalid, required
from .references import ResourceKey, parse_reference
from .resources import Resource, iter_slots
from .routes import scope_kind
from .url_map_rules import check_scheme_features

SCHEMES = {
    "global": ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_SELF_MANAGED", "INTERNAL_MANAGED"),
    "regional": ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL", "INTERNAL_MANAGED"),
}
PASSTHROUGH_PROTOCOLS = ("TCP", "UDP", "UNSPECIFIED")
# A backend service's fields the REST reference says passthrough load balancers omit (so never defaulted there)
PASSTHROUGH_OMITS = frozenset({"port", "portName"})
PROXY_PROTOCOLS = ("HTTP", "HTTPS", "HTTP2", "TCP", "SSL", "GRPC", "H2C")
MANAGED_SCHEMES = ("INTERNAL_MANAGED", "EXTERNAL_MANAGED")
_URL_MAP_SERVICES = (
    "defaultService",
    "pathMatchers[].defaultService",
    "pathMatchers[].pathRules[].service",
    "pathMatchers[].routeRules[].service",
    "pathMatchers[].routeRules[].routeAction.weightedBackendServices[].backendService",
    "defaultRouteAction.weightedBackendServices[].backendService",
)


def is_passthrough(key: ResourceKey, resource: Resource) -> bool:
    """A regional INTERNAL or EXTERNAL backend service: a passthrough Network Load Balancer's."""
    return scope_kind(key.scope) == "regional" and resource.get("loadBalancingScheme") in (
        "INTERNAL",
        "EXTERNAL",
    )


def check_scheme(key: ResourceKey, resource: Resource) -> str:
    """The resource's scheme, 400 when its scope does not offer it."""
    scheme = str(resource.get("loadBalancingScheme"))
    allowed = SCHEMES.get(scope_kind(key.scope), ())
    if scheme not in allowed:
        raise invalid(
            f"Invalid value for field 'resource.loadBalancingScheme': '{scheme}'. "
            f"A {scope_kind(key.scope)} {key.collection} resource takes one of {', '.join(allowed)}."
        )
    return scheme


def check_backend_service(
    resources: dict[ResourceKey, Resource], key: ResourceKey, resource: Resource
) -> None:
    """Scheme, protocol, balancing modes and NEG types of a backend service; sets the balancing mode default
    (CONNECTION for passthrough, else UTILIZATION for instance groups and RATE for NEGs)."""
    scheme = check_scheme(key, resource)
    passthrough = is_passthrough(key, resource)
    protocols = PASSTHROUGH_PROTOCOLS if passthrough else PROXY_PROTOCOLS
    if resource.get("protocol") not in protocols:
        raise invalid(
            f"Invalid value for field 'resource.protocol': '{resource.get('protocol')}'. Backend services of "
            f"load balancing scheme {scheme} take protocol {', '.join(protocols)}."
        )
    if scope_kind(key.scope) == "regional" and resource.get("backends") and not resource.get("healthChecks"):
        raise required("resource.healthChecks")
    for index, backend in enumerate(resource.get("backends") or []):
        group = parse_reference(str(backend["group"]), key.project)
        neg = resources.get(group) if group and group.collection == "networkEndpointGroups" else None
        default = "CONNECTION" if passthrough else ("RATE" if neg is not None else "UTILIZATION")
        mode = backend.setdefault("balancingMode", default)
        where = f"resource.backends[{index}]"
        if passthrough and mode != "CONNECTION":
            raise invalid(
                f"Invalid value for field '{where}.balancingMode': '{mode}'. {scheme} takes CONNECTION."
            )
        if neg is None:
            continue
        if mode == "UTILIZATION":
            raise invalid(
                f"Invalid value for field '{where}.balancingMode': 'UTILIZATION'. Backends of network endpoint "
                "groups take RATE or CONNECTION."
            )
        wanted = "GCE_VM_IP" if passthrough else "GCE_VM_IP_PORT"
        kind = neg.get("networkEndpointType", "GCE_VM_IP_PORT")
        if kind != wanted and not (not passthrough and kind == "NON_GCP_PRIVATE_IP_PORT"):
            raise invalid(
                f"Invalid value for field '{where}.group': '{backend['group']}'. A backend service of scheme "
                f"{scheme} takes network endpoint groups of type {wanted}, not {kind}."
            )


def url_map_services(key: ResourceKey, url_map: Resource) -> Iterator[tuple[str, ResourceKey]]:
    """(field path, key) of every backend service a URL map routes to."""
    for path in _URL_MAP_SERVICES:
        for slot in iter_slots(url_map, path):
            target = parse_reference(str(slot.value), key.project)
            if target is not None and target.collection == "backendServices":
                yield slot.field_path, target


def check_url_map(resources: dict[ResourceKey, Resource], key: ResourceKey, url_map: Resource) -> None:
    """A URL map routes only to proxy backend services, all of one load-balancing scheme."""
    seen: dict[str, str] = {}
    for field_path, target in url_map_services(key, url_map):
        service = resources.get(target)
        if service is None:
            continue
        scheme = str(service.get("loadBalancingScheme"))
        if is_passthrough(target, service):
            raise invalid(
                f"Invalid value for field 'resource.{field_path}': '{target.path}'. A backend service of "
                f"load balancing scheme {scheme} cannot be used by a URL map."
            )
        seen.setdefault(scheme, field_path)
    if len(seen) > 1:
        raise invalid(
            f"Invalid value for field 'resource.{list(seen.values())[1]}': the backend services of a URL map "
            f"must share one load balancing scheme, not {', '.join(sorted(seen))}."
        )
    for scheme in seen:
        check_scheme_features(url_map, scope_kind(key.scope), scheme)


def _proxy_schemes(resources: dict[ResourceKey, Resource], key: ResourceKey, target: ResourceKey) -> set[str]:
    proxy = resources.get(target)
    url_map_key = parse_reference(str((proxy or {}).get("urlMap") or ""), key.project)
    url_map = resources.get(url_map_key) if url_map_key else None
    if url_map is None or url_map_key is None:
        return set()
    return {
        str(resources[service]["loadBalancingScheme"])
        for _, service in url_map_services(url_map_key, url_map)
        if service in resources
    }


def check_forwarding_rule(resources: dict[ResourceKey, Resource], key: ResourceKey, rule: Resource) -> None:
    """Scheme of the rule's scope, the same scheme as its backends, TCP and one port for proxies,
    `allowGlobalAccess` only for internal rules, and `networkTier` as the scope allows."""
    scheme = check_scheme(key, rule)
    target = parse_reference(str(rule.get("target") or ""), key.project)
    service_key = parse_reference(str(rule.get("backendService") or ""), key.project)
    if target is not None and target.collection in ("targetHttpProxies", "targetHttpsProxies"):
        if rule["IPProtocol"] != "TCP":
            raise invalid(
                f"Invalid value for field 'resource.IPProtocol': '{rule['IPProtocol']}'. Proxies take TCP."
            )
        others = _proxy_schemes(resources, key, target) - {scheme}
        if others:
            raise _scheme_mismatch(scheme, sorted(others)[0])
        if scheme in MANAGED_SCHEMES and scope_kind(key.scope) == "regional":
            low, _, high = str(rule.get("portRange") or "").partition("-")
            if not low:
                raise required("resource.portRange")
            if high and high != low:
                raise invalid(
                    f"Invalid value for field 'resource.portRange': '{rule['portRange']}'. "
                    f"Forwarding rules of scheme {scheme} take a single port."
                )
    if service_key is not None and service_key in resources:
        service = resources[service_key]
        if service.get("loadBalancingScheme") != scheme:
            raise _scheme_mismatch(scheme, str(service.get("loadBalancingScheme")))
        protocol = service.get("protocol")
        if protocol in ("TCP", "UDP") and rule["IPProtocol"] != protocol:
            raise invalid(
                f"Invalid value for field 'resource.IPProtocol': '{rule['IPProtocol']}'. The backend service "
                f"takes {protocol}."
            )
    if rule.get("allowGlobalAccess") and scheme not in ("INTERNAL", "INTERNAL_MANAGED"):
        raise invalid(
            "Invalid value for field 'resource.allowGlobalAccess': only INTERNAL and INTERNAL_MANAGED "
            "forwarding rules take it."
        )
    tier = rule.get("networkTier")
    if tier not in ("PREMIUM", "STANDARD") or (tier == "STANDARD" and scope_kind(key.scope) == "global"):
        raise invalid(f"Invalid value for field 'resource.networkTier': '{tier}'.")


def _scheme_mismatch(scheme: str, other: str) -> Any:
    return invalid(
        f"Invalid value for field 'resource.loadBalancingScheme': '{scheme}'. The forwarding rule's load "
        f"balancing scheme must match its backend services' ({other})."
    )
