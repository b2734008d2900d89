"""Which scope a reference may point into: a regional load balancer is built of resources of its own region, a
global one of global resources, and backends (instance groups, NEGs) live in zones of the load balancer's
region (any zone for a global one)."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, invalid
from .references import ResourceKey
from .routes import scope_kind

# Backends and networks: zonal (or global networks) whatever scope refers to them.
_LOCATED_ANYWHERE = frozenset({"instanceGroups", "networkEndpointGroups", "instances", "targetInstances"})
_ALWAYS_GLOBAL = frozenset({"networks"})
# Passthrough backend services (regional INTERNAL / EXTERNAL) may use global or regional health checks.
_PASSTHROUGH_SCHEMES = frozenset({"INTERNAL", "EXTERNAL"})

_LABELS = {
    "healthChecks": "health check",
    "backendServices": "backend service",
    "backendBuckets": "backend bucket",
    "urlMaps": "URL map",
    "targetHttpProxies": "target HTTP proxy",
    "targetHttpsProxies": "target HTTPS proxy",
    "sslCertificates": "SSL certificate",
    "sslPolicies": "SSL policy",
    "securityPolicies": "security policy",
    "addresses": "address",
    "subnetworks": "subnetwork",
}


def check_reference_scope(
    referrer: ResourceKey, resource: dict[str, Any], field_path: str, value: Any, target: ResourceKey
) -> None:
    """400 when `referrer` (holding `value` at `field_path`) may not refer to `target` because of scopes."""
    message = _scope_problem(referrer, resource, field_path, target)
    if message:
        raise scope_error(field_path, value, message)


def scope_error(field_path: str, value: Any, message: str) -> ApiError:
    """The API's 400 for a reference into the wrong scope."""
    return invalid(f"Invalid value for field 'resource.{field_path}': '{value}'. {message}")


def _scope_problem(
    referrer: ResourceKey, resource: dict[str, Any], field_path: str, target: ResourceKey
) -> str | None:
    label = _LABELS.get(target.collection, target.collection)
    if target.collection in _ALWAYS_GLOBAL:
        return None if target.scope == "global" else f"A {label} is global."
    home = referrer.location_region
    if target.collection in _LOCATED_ANYWHERE or referrer.zone:
        there = target.location_region
        if home and there and there != home and scope_kind(referrer.scope) == "regional":
            return f"Cross-region references are not allowed: the {label} is in '{there}', not in '{home}'."
        return None
    kind = scope_kind(target.scope)
    if home is None:
        if kind != "global":
            return f"A global resource cannot use the regional {label} '{target.path}'."
        return None
    if kind == "regional":
        if target.region != home:
            return f"Cross-region references are not allowed: the {label} is in '{target.region}', not in '{home}'."
        return None
    if (
        kind == "global"
        and referrer.collection == "backendServices"
        and field_path.startswith("healthChecks[")
        and resource.get("loadBalancingScheme") in _PASSTHROUGH_SCHEMES
    ):
        return None
    return (
        f"A regional resource in '{home}' cannot use the global {label} '{target.path}'; use a regional one."
    )
