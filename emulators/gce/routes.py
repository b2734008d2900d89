"""Map Compute REST paths onto (project, scope, collection, name, verb)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ApiError

_PREFIX = "/compute/v1/projects/"
_PROXY_VERB_PATH = re.compile(
    r"^(?P<project>[^/]+)/(?P<collection>targetHttpProxies|targetHttpsProxies)/(?P<name>[^/]+)/"
    r"(?P<verb>setUrlMap|setSslCertificates)$"
)
_SCOPED_PATH = re.compile(
    r"^(?P<project>[^/]+)/(?P<scope>global|zones/[^/]+|regions/[^/]+)/(?P<collection>[A-Za-z]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<verb>[A-Za-z]+))?)?$"
)
_AGGREGATED_PATH = re.compile(r"^(?P<project>[^/]+)/aggregated/(?P<collection>[A-Za-z]+)$")
_LOCATIONS_PATH = re.compile(r"^(?P<project>[^/]+)/(?P<collection>zones|regions)(?:/(?P<name>[^/]+))?$")
# Collections whose regional methods carry no `region` prefix (their global twins carry `global`).
_UNPREFIXED_REGIONAL = frozenset({"forwardingRules", "addresses", "subnetworks"})
_GLOBAL_PREFIXED = frozenset({"forwardingRules", "addresses", "networkEndpointGroups"})
AGGREGATED = "aggregated"  # the scope of an aggregatedList: every scope of the project at once
_OPERATIONS = {"global": "globalOperations", "zonal": "zoneOperations", "regional": "regionOperations"}


def scope_kind(scope: str) -> str:
    """ "global", "zonal" or "regional" for a scope such as `global`, `zones/a` or `regions/r`."""
    if scope.startswith("zones/"):
        return "zonal"
    if scope.startswith("regions/"):
        return "regional"
    return "global"


@dataclass(frozen=True)
class Route:
    """A parsed request path. `collection` is "zones" or "regions" for those resources themselves."""

    method: str
    project: str
    scope: str
    collection: str
    name: str | None = None
    verb: str | None = None

    @property
    def api_method(self) -> str:
        """Compute method name for logs and call counts, as the API reference names it: `urlMaps.insert`,
        `regionUrlMaps.insert`, `globalForwardingRules.insert`, `forwardingRules.insert` (regional)."""
        if self.scope == AGGREGATED:
            return f"{self.collection}.aggregatedList"
        kind = scope_kind(self.scope)
        prefix = self.collection
        capitalised = prefix[:1].upper() + prefix[1:]
        if self.collection == "operations":
            prefix = _OPERATIONS[kind]
        elif kind == "regional" and prefix not in _UNPREFIXED_REGIONAL:
            prefix = f"region{capitalised}"
        elif kind == "global" and prefix in _GLOBAL_PREFIXED:
            prefix = f"global{capitalised}"
        if self.verb:
            return f"{prefix}.{self.verb}"
        if self.name is None:
            return f"{prefix}.{'insert' if self.method == 'POST' else 'list'}"
        return f"{prefix}." + {"GET": "get", "DELETE": "delete", "PATCH": "patch", "PUT": "update"}.get(
            self.method, self.method.lower()
        )


def parse_route(method: str, path: str) -> Route:
    """Parse a request path; 404 for paths the emulator does not serve."""
    if not path.startswith(_PREFIX):
        raise ApiError(404, "notFound", f"Unknown path '{path}'")
    rest = path[len(_PREFIX) :]
    if match := _PROXY_VERB_PATH.match(rest):
        return Route(method, match["project"], "global", match["collection"], match["name"], match["verb"])
    if match := _AGGREGATED_PATH.match(rest):
        return Route(method, match["project"], AGGREGATED, match["collection"])
    if match := _LOCATIONS_PATH.match(rest):
        return Route(method, match["project"], match["collection"], match["collection"], match["name"])
    if match := _SCOPED_PATH.match(rest):
        return Route(
            method, match["project"], match["scope"], match["collection"], match["name"], match["verb"]
        )
    raise ApiError(404, "notFound", f"Unknown path '{path}'")
