"""HTTPRoute match precedence and request evaluation on one listener, as the Gateway API spec orders them.

Across the routes attached to a listener, a request goes to the first match in this order (ties broken by the
next criterion):

1. hostname: the route hostname with the most characters that is not a wildcard, then the one with the most
   characters (so `a.example.com` before `*.example.com` before `*.com` before any host);
2. an `Exact` path before any `PathPrefix`; among prefixes the longest value; `RegularExpression` paths (whose
   precedence the spec leaves to the implementation) come after every Exact and PathPrefix match, longest first;
3. a match with a method before one without;
4. more header matches first, then more query parameter matches;
5. the oldest route (creationTimestamp), then `namespace/name` alphabetically;
6. within a route, the first rule, then its first match.

Matching: Exact paths compare whole (case-sensitive); PathPrefix compares `/`-separated elements (`/foo` matches
`/foo`, `/foo/` and `/foo/bar`, not `/foobar`; a trailing `/` in the value is ignored); header names ignore case,
their values and query parameters are case-sensitive; a listener or route hostname `*.example.com` matches any
host ending in `.example.com`.

GRPCRoutes on a listener are ordered apart from HTTPRoutes (the spec forbids merging them): the hostname as
above, then the most characters of a matching service, then of a matching method, then more header matches,
then age, `namespace/name`, rule and match order. A gRPC request is `POST /package.Service/Method`; a service or
method match compares exactly (case-sensitive) or as a whole-string regular expression. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .gateway import GRPCMatch, HTTPMatch, Listener, Route, Rule, ValueMatch
from .gateway_attach import Attachment, _covers
from .matching import Request


@dataclass(frozen=True)
class Entry:
    """One (route, rule, match, hostname) a listener serves, in precedence order once sorted."""

    route: Route
    rule: Rule
    match_index: int
    match: HTTPMatch | GRPCMatch
    hostname: str | None  # None: any host

    def describe(self) -> str:
        return f"{self.route.kind} {self.route.key} rule {self.rule.index} match {self.match_index}"


def _hostname_key(hostname: str | None) -> tuple[int, int]:
    if hostname is None:
        return (0, 0)
    exact = 0 if hostname.startswith("*.") else len(hostname)
    return (-exact, -len(hostname))


def _path_key(match: HTTPMatch | GRPCMatch) -> tuple[int, int]:
    if isinstance(match, GRPCMatch):
        return (-len(match.service or ""), -len(match.method or ""))
    path = match.path
    if path is None:
        return (3, 0)
    rank = {"Exact": 0, "PathPrefix": 1, "RegularExpression": 2}[path.type]
    return (rank, -len(path.value.rstrip("/") if path.type == "PathPrefix" else path.value))


def precedence_key(entry: Entry) -> tuple[object, ...]:
    """The sort key that puts the entry a request must reach first first."""
    match = entry.match
    return (
        _hostname_key(entry.hostname),
        _path_key(match),
        0 if isinstance(match, HTTPMatch) and match.method else 1,
        -len(match.headers),
        -len(match.query_params) if isinstance(match, HTTPMatch) else 0,
        entry.route.created,
        entry.route.key,
        entry.rule.index,
        entry.match_index,
    )


def route_table(
    attached: Iterable[tuple[Route, Attachment]], listener: Listener, kind: str = "HTTPRoute"
) -> list[Entry]:
    """Every match of the routes of `kind` (HTTPRoute or GRPCRoute) attached to `listener`, in the order a
    request must try them."""
    entries: list[Entry] = []
    for route, attachment in attached:
        if route.kind != kind or listener.name not in attachment.listeners:
            continue
        hostnames: tuple[str | None, ...] = attachment.listeners[listener.name] or (None,)
        for hostname in hostnames:
            for rule in route.rules:
                for index, match in enumerate(rule.matches):
                    entries.append(Entry(route, rule, index, match, hostname))
    unique = {(e.route.key, e.rule.index, e.match_index, e.hostname): e for e in entries}
    return sorted(unique.values(), key=precedence_key)


# ---- evaluation -----------------------------------------------------------------------------------------


def host_matches(pattern: str | None, host: str) -> bool:
    """Whether a request Host (port ignored, case-insensitive) matches a hostname (None: any)."""
    name = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    if pattern is None:
        return True
    return _covers(pattern, name) if pattern.startswith("*.") else pattern == name


def path_matches(match: HTTPMatch, path: str) -> bool:
    rule = match.path
    if rule is None:
        return True
    if rule.type == "Exact":
        return path == rule.value
    if rule.type == "PathPrefix":
        prefix = rule.value.rstrip("/")
        return prefix == "" or path == prefix or path.startswith(prefix + "/")
    return re.fullmatch(rule.value, path) is not None


def _value(match: ValueMatch, actual: str | None) -> bool:
    if actual is None:
        return False
    return actual == match.value if match.type == "Exact" else re.fullmatch(match.value, actual) is not None


def _name(kind: str, pattern: str | None, actual: str) -> bool:
    if pattern is None:
        return True
    return actual == pattern if kind == "Exact" else re.fullmatch(pattern, actual) is not None


def _grpc_matches(match: GRPCMatch, request: Request, headers: Mapping[str, str]) -> bool:
    service, _, method = request.path.lstrip("/").partition("/")
    return (
        request.method == "POST"
        and _name(match.type, match.service, service)
        and _name(match.type, match.method, method)
        and all(_value(h, headers.get(h.name.lower())) for h in match.headers)
    )


def matches(entry: Entry, request: Request) -> bool:
    """Whether the request meets every condition of the entry's match (and its hostname)."""
    match = entry.match
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
    query: dict[str, str] = {}
    for name, value in request.query_pairs():
        query.setdefault(name, value)  # a repeated parameter: its first value
    if isinstance(match, GRPCMatch):
        return host_matches(entry.hostname, request.host) and _grpc_matches(match, request, headers)
    return (
        host_matches(entry.hostname, request.host)
        and path_matches(match, request.bare_path)
        and (match.method is None or match.method == request.method)
        and all(_value(h, headers.get(h.name.lower())) for h in match.headers)
        and all(_value(q, query.get(q.name)) for q in match.query_params)
    )


def evaluate(table: Iterable[Entry], request: Request) -> Entry | None:
    """The entry a request reaches (None: 404, no route matches)."""
    return next((entry for entry in table if matches(entry, request)), None)
