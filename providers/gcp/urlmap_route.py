"""Evaluate a request against a translated URL map the way GCLB does (for `lbctl route`): pathRules by the
longest path, routeRules by priority (the first whose matchRules match), the matcher's default otherwise."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lbctl.model.matching import Request, RouteResult, normalise_host, status_number

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


def rewritten_path(pattern: str, rule: PathRule, path: str) -> str:
    """The path the backend receives: `pathPrefixRewrite` replaces the part of the path the GCLB path
    matched (the whole of an exact path, `base/` of `base/*`)."""
    rewrite = rule.get("routeAction", {}).get("urlRewrite", {}).get("pathPrefixRewrite")
    if rewrite is None:
        return path
    base, star = parse_pattern(pattern)
    matched = base + "/" if star else base
    return rewrite + path[len(matched) :]


def evaluate(translation: UrlMapTranslation, request: Request) -> RouteResult:
    """Route a request through the translated URL map; map the service back to the spec action."""
    url_map = translation.body
    host, path = normalise_host(request.host), request.bare_path
    host_rule = select_host_rule(url_map, host)
    if host_rule is None:
        return _default(translation, "GCLB: no host rule matched: URL map default service", host, path)
    matcher = next(m for m in url_map.get("pathMatchers") or [] if m["name"] == host_rule["pathMatcher"])
    found = select_path(matcher, path)
    if found is None:
        reason = f"GCLB: host rule {host_rule['hosts']}: no path matched: default service"
        return _default(translation, reason, host, path)
    matched, rule = found
    source = translation.sources.get((matcher["name"], matched))
    action = source.action if source is not None else translation.service_actions.get(rule["service"])
    where = f" ({source.source})" if source is not None else ""
    return RouteResult(
        source,
        action,
        f"GCLB: host rule {host_rule['hosts']}, path {matched}{where}",
        backend_host=host,
        backend_path=rewritten_path(matched, rule, path),
    )


def _default(translation: UrlMapTranslation, reason: str, host: str, path: str) -> RouteResult:
    return RouteResult(None, translation.default_action, reason, backend_host=host, backend_path=path)


def _full(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None


def header_matches(match: Mapping[str, Any], request: Request) -> bool:
    """HttpHeaderMatch: `:method` is the request method; a header that is absent matches only presentMatch
    false (and an inverted match)."""
    name = str(match["headerName"]).lower()
    headers = {k.lower(): v for k, v in (request.headers or {}).items()}
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
    value = next((v for k, v in request.query_pairs() if k == str(match["name"])), None)  # the first
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


def answer_of(rule: Mapping[str, Any], request: Request, protocol: str | None) -> dict[str, Any]:
    """A routeRule's (or a matcher's default) answer as RouteResult fields: a redirect's status and Location,
    an aborting fault's status, or the host and path the backend receives."""
    path, query = request.bare_path, request.query_string()
    matched = next(
        (m for m in rule.get("matchRules") or [] if match_rule_matches(m, request)), {"prefixMatch": "/"}
    )
    redirect = rule.get("urlRedirect") or rule.get("defaultUrlRedirect")
    if redirect:
        scheme = "https" if redirect.get("httpsRedirect") else (protocol or request.scheme or "http").lower()
        host = redirect.get("hostRedirect") or normalise_host(request.host)
        new_path = path
        if "pathRedirect" in redirect:
            new_path = redirect["pathRedirect"]
        elif "prefixRedirect" in redirect:
            new_path = _rewritten_path(matched, path, redirect["prefixRedirect"])
        keep = query and not redirect.get("stripQuery")
        location = f"{scheme}://{host}{new_path}" + (f"?{query}" if keep else "")
        code = status_number(redirect.get("redirectResponseCode", "MOVED_PERMANENTLY_DEFAULT"))
        return {"status": code, "location": location}
    action = rule.get("routeAction") or rule.get("defaultRouteAction") or {}
    abort = (action.get("faultInjectionPolicy") or {}).get("abort") or {}
    if abort.get("percentage") == 100:
        return {"status": abort.get("httpStatus")}
    rewrite = action.get("urlRewrite") or {}
    new_path = path
    if "pathPrefixRewrite" in rewrite:
        new_path = _rewritten_path(matched, path, rewrite["pathPrefixRewrite"])
    elif "pathTemplateRewrite" in rewrite:
        new_path = rewrite["pathTemplateRewrite"]
    return {
        "backend_host": rewrite.get("hostRewrite") or normalise_host(request.host),
        "backend_path": new_path,
    }


def evaluate_request(
    translation: UrlMapTranslation, request: Request, protocol: str | None = None
) -> RouteResult:
    """Route a request (host, path, method, headers, query) through the translated URL map; `protocol`:
    the listener's (HTTP/HTTPS), for redirects that keep the scheme."""
    if not translation.managed:
        return evaluate(translation, request)
    asked = request
    url_map: Mapping[str, Any] = translation.body
    default = f"default ({describe_outcome(url_map, asked)})"
    host_rule = select_host_rule(translation.body, asked.host)
    if host_rule is None:
        reason = f"GCLB: no host rule matched: URL map {default}"
        return RouteResult(None, translation.default_action, reason, **answer_of(url_map, asked, protocol))
    matcher = next(m for m in url_map.get("pathMatchers") or [] if m["name"] == host_rule["pathMatcher"])
    route_rule = select_route_rule(matcher, asked)
    if route_rule is None:
        return RouteResult(
            None,
            translation.default_action,
            f"GCLB: host rule {host_rule['hosts']}: no routeRule matched: "
            f"default ({describe_outcome(matcher, asked)})",
            **answer_of(matcher, asked, protocol),
        )
    source = translation.route_sources.get((matcher["name"], int(route_rule["priority"])))
    where = f" ({source.source})" if source is not None else ""
    return RouteResult(
        source,
        source.action if source is not None else None,
        f"GCLB: host rule {host_rule['hosts']}, routeRule priority {route_rule['priority']}{where}: "
        f"{describe_outcome(route_rule, asked)}",
        **answer_of(route_rule, asked, protocol),
    )
