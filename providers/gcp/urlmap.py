"""Ingress rules → a GCLB URL map that routes every request the way the spec does.

GCLB picks a host rule (exact host, else the longest `*.suffix`, else `*`), then within that host's
path matcher the *longest* matching path (`/foo/*` = prefix `/foo/`), else the matcher's default
service. The spec is first-match over rules ordered by precedence, and a host's requests fall
through to wildcard-host and host-less rules. So each host's matcher gets every rule that can
match its requests, in spec order, and a path a higher-precedence rule already covers is left out
(otherwise the longer GCLB path would win). With paths of the form `p` and `p/*` this reproduces
first-match exactly; what GCLB cannot express is reported as a warning naming the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from lbctl.model.matching import host_matches
from lbctl.model.spec import Action, LoadBalancerSpec, PathMatch, PathType, Rule

from . import naming as n

Pattern = tuple[str, bool]  # (base, star): star matches paths starting with base + "/"


class UrlRewrite(TypedDict):
    pathPrefixRewrite: str


class RouteAction(TypedDict):
    urlRewrite: UrlRewrite


class PathRule(TypedDict):
    paths: list[str]
    service: str
    routeAction: NotRequired[RouteAction]


class PathMatcher(TypedDict):
    name: str
    defaultService: str
    pathRules: list[PathRule]


class HostRule(TypedDict):
    hosts: list[str]
    pathMatcher: str


class UrlMapBody(TypedDict, total=False):
    """The routing part of a URL map, in the API's shape."""

    defaultService: str
    hostRules: list[HostRule]
    pathMatchers: list[PathMatcher]


@dataclass
class UrlMapTranslation:
    body: UrlMapBody
    warnings: list[str] = field(default_factory=list)
    sources: dict[tuple[str, str], Rule] = field(default_factory=dict)  # (matcher, path) → spec rule
    service_actions: dict[str, Action] = field(default_factory=dict)  # service ref → spec action
    default_action: Action | None = None
    managed: bool = False  # routeRules (urlmap_rules), not pathRules
    route_sources: dict[tuple[str, int], Rule] = field(default_factory=dict)  # (matcher, priority) → rule


def parse_pattern(path: str) -> Pattern:
    return (path[:-2], True) if path.endswith("/*") else (path, False)


def pattern_matches(pattern: Pattern, request_path: str) -> bool:
    base, star = pattern
    return request_path.startswith(base + "/") if star else request_path == base


def pattern_rank(pattern: Pattern) -> tuple[int, int]:
    """GCLB's longest match: length of the literal part; an exact path wins a tie with `…/*`."""
    base, star = pattern
    return (len(base) + 1, 0) if star else (len(base), 1)


def _covers(outer: Pattern, inner: Pattern) -> bool:
    """Every path `inner` matches, `outer` matches too."""
    if not outer[1]:
        return not inner[1] and inner[0] == outer[0]
    prefix = outer[0] + "/"
    return (inner[0] + "/").startswith(prefix) if inner[1] else inner[0].startswith(prefix)


def rule_paths(path: PathMatch | None) -> tuple[list[str], str | None]:
    """GCLB paths for one spec path, or ([], reason) when GCLB cannot express it."""
    if path is None:
        return ["/*"], None
    value = path.path or "/"
    if any(c in value for c in "?#"):
        return [], f"path {value!r} contains characters GCLB paths cannot hold"
    if path.type == PathType.PREFIX:
        segments = [s for s in value.split("/") if s]
        if not segments:
            return ["/*"], None
        base = "/" + "/".join(segments)
        return [base, base + "/*"], None
    if "*" in value:
        if path.type == PathType.IMPLEMENTATION_SPECIFIC and value.endswith("/*") and "*" not in value[:-2]:
            return [value], None
        return [], f"path {value!r}: GCLB allows '*' only as a final '/*'"
    return [value], None


def _single_backend(action: Action) -> str | None:
    keys = action.backend_keys()
    if action.type == "forward" and len(keys) == 1 and len(action.forward) == 1:
        return keys[0]
    return None


def translate_url_map(
    spec: LoadBalancerSpec, services: dict[str, str], ref: Callable[[str], str]
) -> UrlMapTranslation:
    """`services`: backend key → backend service name; `ref`: name → reference."""
    out = UrlMapTranslation(body={})
    usable: list[Rule] = []
    for rule in spec.rules:
        if rule.conditions:
            continue
        key = _single_backend(rule.action)
        if key is None:
            out.warnings.append(
                f"{rule.source}: only a single backend per rule is supported on Google Cloud; rule skipped"
            )
            continue
        paths, problem = rule_paths(rule.path)
        if problem:
            out.warnings.append(f"{rule.source}: {problem}; rule skipped")
            continue
        if rule.host and rule.host.startswith("*."):
            out.warnings.append(
                f"{rule.source}: GCLB host {rule.host} also matches deeper names "
                f"(a.b{rule.host[1:]}), which the Ingress rule does not"
            )
        usable.append(rule)
    default_key = _single_backend(spec.default_action) if spec.default_action else None
    if default_key is None:
        raise ValueError("a Google Cloud URL map needs a single default backend")
    default_ref = ref(services[default_key])
    out.default_action = spec.default_action
    out.body["defaultService"] = default_ref
    out.service_actions[default_ref] = spec.default_action  # type: ignore[assignment]

    hosts: list[str] = []
    for rule in usable:
        host = rule.host or "*"
        if host not in hosts:
            hosts.append(host)
    matchers: dict[tuple[int, ...], tuple[list[str], list[Rule]]] = {}
    for host in hosts:
        if host == "*":
            candidates = [r for r in usable if r.host is None]
        elif host.startswith("*."):
            candidates = [r for r in usable if r.host in (host, None)]
        else:
            candidates = [r for r in usable if host_matches(r.host, host)]
        ident = tuple(id(r) for r in candidates)
        matchers.setdefault(ident, ([], candidates))[0].append(host)

    host_rules: list[HostRule] = []
    path_matchers: list[PathMatcher] = []
    for matcher_hosts, candidates in matchers.values():
        name = "pm-" + n.short_hash(*sorted(matcher_hosts), length=10)
        emitted: list[Pattern] = []
        path_rules: list[PathRule] = []
        for rule in candidates:
            paths = [
                p for p in rule_paths(rule.path)[0] if not any(_covers(q, parse_pattern(p)) for q in emitted)
            ]
            if not paths:
                continue
            emitted.extend(parse_pattern(p) for p in paths)
            service = ref(services[rule.action.backend_keys()[0]])
            out.service_actions.setdefault(service, rule.action)
            path_rule: PathRule = {"paths": paths, "service": service}
            if rule.rewrite_path_prefix is not None:
                path_rule["routeAction"] = {"urlRewrite": {"pathPrefixRewrite": rule.rewrite_path_prefix}}
            path_rules.append(path_rule)
            for p in paths:
                out.sources[(name, p)] = rule
        host_rules.append({"hosts": sorted(matcher_hosts), "pathMatcher": name})
        path_matchers.append({"name": name, "defaultService": default_ref, "pathRules": path_rules})
    if host_rules:
        order = sorted(range(len(host_rules)), key=lambda i: host_rules[i]["hosts"])
        out.body["hostRules"] = [host_rules[i] for i in order]
        out.body["pathMatchers"] = sorted(path_matchers, key=lambda m: m["name"])
    else:
        out.body["hostRules"] = []
        out.body["pathMatchers"] = []
    return out
