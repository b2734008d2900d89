"""Evaluate a request against a translated URL map the way GCLB does (for `lbctl route`)."""

from __future__ import annotations

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
