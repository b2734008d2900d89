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
    r"^(?P<project>[^/]+)/(?P<scope>global|zones/[^/]+)/(?P<collection>[A-Za-z]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<verb>[A-Za-z]+))?)?$"
)
_ZONES_PATH = re.compile(r"^(?P<project>[^/]+)/zones(?:/(?P<zone>[^/]+))?$")


@dataclass(frozen=True)
class Route:
    """A parsed request path. `collection` is "zones" for the zones resource itself."""

    method: str
    project: str
    scope: str
    collection: str
    name: str | None = None
    verb: str | None = None

    @property
    def api_method(self) -> str:
        """Compute method name for logs and call counts, e.g. `urlMaps.insert`."""
        prefix = self.collection
        if self.collection == "operations":
            prefix = "globalOperations" if self.scope == "global" else "zoneOperations"
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
    if match := _ZONES_PATH.match(rest):
        return Route(method, match["project"], "zones", "zones", match["zone"])
    if match := _SCOPED_PATH.match(rest):
        return Route(
            method, match["project"], match["scope"], match["collection"], match["name"], match["verb"]
        )
    raise ApiError(404, "notFound", f"Unknown path '{path}'")
