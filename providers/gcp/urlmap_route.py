"""Evaluate a request against a translated URL map the way GCLB does (for `lbctl route`): pathRules by the
longest path, routeRules by priority (the first whose matchRules match), the matcher's default otherwise."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.matching import RouteResult, normalise_host

from .urlmap import (
    HostRule,
    PathMatcher,
    PathRule,
    UrlMapBody,
    UrlMapTranslation,
    parse_pattern,
    pattern_matches,
    pattern_rank,
)


def select_host_rule(url_map: UrlMapBody, host: str) -> HostRule | None:
    """Exact host first, then the longest matching `*suffix` wildcard (any prefix, dots included),
    then `*`; None when no host rule matches."""
    request = normalise_host(host)
    best: tuple[int, HostRule] | None = None
    for rule in url_map.get("hostRules") or []:
        for pattern in rule.get("hosts") or []:
            pattern = pattern.lower()
            if pattern == request:
                return rule
            if pattern == "*":
                score = 0
            elif (
                pattern.startswith("*") and request.endswith(pattern[1:]) and len(request) > len(pattern) - 1
            ):
                score = len(pattern)
            else:
                continue
            if best is None or score > best[0]:
                best = (score, rule)
    return best[1] if best else None


def select_path(matcher: PathMatcher, path: str) -> tuple[str, PathRule] | None:
    """The longest matching path of a path matcher (query string ignored), with its path rule."""
    request = path.split("?", 1)[0] or "/"
    best: tuple[tuple[int, int], str, PathRule] | None = None
    for rule in matcher.get("pathRules") or []:
        for candidate in rule.get("paths") or []:
            pattern = parse_pattern(candidate)
            if pattern_matches(pattern, request) and (best is None or pattern_rank(pattern) > best[0]):
                best = (pattern_rank(pattern), candidate, rule)
    return (best[1], best[2]) if best else None


def evaluate(translation: UrlMapTranslation, host: str, path: str) -> RouteResult:
    """Route a request through the translated URL map; map the service back to the spec action."""
    url_map = translation.body
    host_rule = select_host_rule(url_map, host)
    if host_rule is None:
        return RouteResult(
            None, translation.default_action, "GCLB: no host rule matched: URL map default service"
        )
    matcher = next(m for m in url_map.get("pathMatchers") or [] if m["name"] == host_rule["pathMatcher"])
    found = select_path(matcher, path)
    if found is None:
        return RouteResult(
            None,
            translation.default_action,
            f"GCLB: host rule {host_rule['hosts']}: no path matched: default service",
        )
    matched, rule = found
    source = translation.sources.get((matcher["name"], matched))
    action = source.action if source is not None else translation.service_actions.get(rule["service"])
    where = f" ({source.source})" if source is not None else ""
    return RouteResult(source, action, f"GCLB: host rule {host_rule['hosts']}, path {matched}{where}")


@dataclass(frozen=True)
class Request:
    """One request as a routeRule sees it (header names compare without case; `query`: name → value)."""

    host: str
    path: str = "/"
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    @staticmethod
    def of(value: Any) -> Request:
        """A Request from any object with host, path and optionally method, headers, query."""
        query = getattr(value, "query", None) or {}
        if not isinstance(query, Mapping):  # a list of (name, value) pairs: the first value of each name
            pairs: dict[str, str] = {}
            for name, item in query:
                pairs.setdefault(name, item)
            query = pairs
        return Request(
            host=value.host,
            path=getattr(value, "path", "/") or "/",
            method=(getattr(value, "method", None) or "GET").upper(),
            headers=dict(getattr(value, "headers", None) or {}),
            query=dict(query),
        )


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def header_matches(match: Mapping[str, Any], request: Request) -> bool:
    """HttpHeaderMatch: `:method` is the request method; a header that is absent matches only presentMatch
    false (and an inverted match)."""
    name = str(match["headerName"]).lower()
    headers = {k.lower(): v for k, v in request.headers.items()}
    if name == ":method":
        headers[name] = request.method
    elif name == ":authority":
        headers[name] = request.host
    elif name == ":path":
        headers[name] = request.path
    value = headers.get(name)
    if "presentMatch" in match:
        result = (value is not None) == bool(match["presentMatch"])
    elif value is None:
        result = False
    elif "exactMatch" in match:
        result = value == match["exactMatch"]
    elif "regexMatch" in match:
        result = _full(match["regexMatch"], value)
    elif "prefixMatch" in match:
        result = value.startswith(match["prefixMatch"])
    elif "suffixMatch" in match:
        result = value.endswith(match["suffixMatch"])
    else:
        result = True
    return result != bool(match.get("invertMatch"))


def query_matches(match: Mapping[str, Any], request: Request) -> bool:
    value = request.query.get(str(match["name"]))
    if "presentMatch" in match:
        return (value is not None) == bool(match["presentMatch"])
    if value is None:
        return False
    if "exactMatch" in match:
        return bool(value == match["exactMatch"])
    if "regexMatch" in match:
        return _full(match["regexMatch"], value)
    return True


def match_rule_matches(match: Mapping[str, Any], request: Request) -> bool:
    """HttpRouteRuleMatch: its path match on the path without the query, and every header and query match."""
    path = request.path.split("?", 1)[0] or "/"
    if "prefixMatch" in match and not path.startswith(match["prefixMatch"]):
        return False
    if "fullPathMatch" in match and path != match["fullPathMatch"]:
        return False
    if "regexMatch" in match and not _full(match["regexMatch"], path):
        return False
    return all(header_matches(h, request) for h in match.get("headerMatches") or []) and all(
        query_matches(q, request) for q in match.get("queryParameterMatches") or []
    )


def select_route_rule(matcher: Mapping[str, Any], request: Request) -> dict[str, Any] | None:
    """The routeRule of the lowest priority any of whose matchRules matches (none: every request)."""
    for rule in sorted(matcher.get("routeRules") or [], key=lambda r: int(r.get("priority", 0))):
        matches = rule.get("matchRules") or []
        if not matches or any(match_rule_matches(m, request) for m in matches):
            return dict(rule)
    return None


def _rewritten_path(match: Mapping[str, Any], path: str, replacement: str) -> str:
    """The path after pathPrefixRewrite (prefixRedirect): the matched part replaced."""
    if "prefixMatch" in match:
        return replacement + path[len(match["prefixMatch"]) :]
    return replacement


def describe_outcome(rule: Mapping[str, Any], request: Request) -> str:
    """What a routeRule (or a matcher's default) does to the request, as GCLB answers it."""
    path, _, query = request.path.partition("?")
    matched = next(
        (m for m in rule.get("matchRules") or [] if match_rule_matches(m, request)), {"prefixMatch": "/"}
    )
    redirect = rule.get("urlRedirect") or rule.get("defaultUrlRedirect")
    if redirect:
        scheme = "https" if redirect.get("httpsRedirect") else "<scheme>"
        host = redirect.get("hostRedirect") or normalise_host(request.host)
        new_path = path
        if "pathRedirect" in redirect:
            new_path = redirect["pathRedirect"]
        elif "prefixRedirect" in redirect:
            new_path = _rewritten_path(matched, path, redirect["prefixRedirect"])
        location = f"{scheme}://{host}{new_path}" + (
            f"?{query}" if query and not redirect.get("stripQuery") else ""
        )
        return f"redirect {redirect.get('redirectResponseCode', 'MOVED_PERMANENTLY_DEFAULT')} to {location}"
    action = rule.get("routeAction") or rule.get("defaultRouteAction") or {}
    abort = (action.get("faultInjectionPolicy") or {}).get("abort") or {}
    if abort.get("percentage") == 100:
        return f"answers {abort.get('httpStatus')}"
    parts: list[str] = []
    weighted = action.get("weightedBackendServices") or []
    service = rule.get("service") or rule.get("defaultService")
    if weighted:
        total = sum(int(w.get("weight", 0)) for w in weighted) or 1
        parts.append(
            "backends "
            + ", ".join(
                f"{str(w['backendService']).rsplit('/', 1)[-1]} {int(w.get('weight', 0)) * 100 / total:g}%"
                for w in weighted
            )
        )
    elif service:
        parts.append(f"backend {str(service).rsplit('/', 1)[-1]}")
    rewrite = action.get("urlRewrite") or {}
    if "pathPrefixRewrite" in rewrite:
        parts.append(f"path rewritten to {_rewritten_path(matched, path, rewrite['pathPrefixRewrite'])}")
    if "hostRewrite" in rewrite:
        parts.append(f"host rewritten to {rewrite['hostRewrite']}")
    if "timeout" in action:
        timeout = action["timeout"]
        parts.append(f"timeout {int(timeout.get('seconds', 0)) + int(timeout.get('nanos', 0)) / 1e9:g}s")
    return "; ".join(parts)


def evaluate_request(translation: UrlMapTranslation, request: Any) -> RouteResult:
    """Route a request (host, path, method, headers, query) through the translated URL map."""
    if not translation.managed:
        return evaluate(translation, request.host, request.path)
    asked = Request.of(request)
    url_map: Mapping[str, Any] = translation.body
    default = f"default ({describe_outcome(url_map, asked)})"
    host_rule = select_host_rule(translation.body, asked.host)
    if host_rule is None:
        return RouteResult(None, translation.default_action, f"GCLB: no host rule matched: URL map {default}")
    matcher = next(m for m in url_map.get("pathMatchers") or [] if m["name"] == host_rule["pathMatcher"])
    route_rule = select_route_rule(matcher, asked)
    if route_rule is None:
        return RouteResult(
            None,
            translation.default_action,
            f"GCLB: host rule {host_rule['hosts']}: no routeRule matched: "
            f"default ({describe_outcome(matcher, asked)})",
        )
    source = translation.route_sources.get((matcher["name"], int(route_rule["priority"])))
    where = f" ({source.source})" if source is not None else ""
    return RouteResult(
        source,
        source.action if source is not None else None,
        f"GCLB: host rule {host_rule['hosts']}, routeRule priority {route_rule['priority']}{where}: "
        f"{describe_outcome(route_rule, asked)}",
    )
