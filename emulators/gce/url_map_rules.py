"""URL map routeRules as the Compute API checks them (UrlMap REST reference: HttpRouteRule, HttpRouteRuleMatch,
HttpHeaderMatch, HttpQueryParameterMatch, HttpRouteAction, HttpHeaderAction, HttpRedirectAction).

`validate_route_rules` checks what holds whatever the load balancer: pathRules and routeRules never in one path
matcher, priorities 0..2147483647 and unique in their matcher, one path match and one value match per match,
RE2 regular expressions, weights 0..1000, one of service / weighted services / redirect per rule.
`check_scheme_features` refuses what the backend services' scheme does not offer: the classic Application Load
Balancer (EXTERNAL) has no weighted backends, header actions, timeouts, fault injection or regular expressions;
regular expressions exist only on regional and internal load balancers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import ApiError, invalid, required
from .re2_syntax import re2_error

MAX_PRIORITY = 2147483647
MAX_WEIGHT = 1000
MAX_TIMEOUT_SECONDS = 315576000000
PATH_MATCHES = ("prefixMatch", "fullPathMatch", "regexMatch", "pathTemplateMatch")
HEADER_MATCHES = ("exactMatch", "prefixMatch", "suffixMatch", "regexMatch", "presentMatch", "rangeMatch")
QUERY_MATCHES = ("exactMatch", "regexMatch", "presentMatch")
# What the classic Application Load Balancer (EXTERNAL) refuses of a routeAction
MANAGED_ONLY_ACTIONS = (
    "weightedBackendServices",
    "timeout",
    "faultInjectionPolicy",
    "retryPolicy",
    "requestMirrorPolicy",
)
# Where regular expressions are allowed: (scope kind, scheme)
REGEX_SCHEMES = {
    ("global", "INTERNAL_SELF_MANAGED"),
    ("global", "INTERNAL_MANAGED"),
    ("regional", "INTERNAL_MANAGED"),
    ("regional", "EXTERNAL_MANAGED"),
}

Resource = dict[str, Any]


def _bad(where: str, value: Any, why: str) -> ApiError:
    return invalid(f"Invalid value for field '{where}': '{value}'. {why}")


def _present(body: Any, name: str) -> bool:
    return isinstance(body, dict) and body.get(name) not in (None, "")


def _route_rules(url_map: Resource) -> Iterator[tuple[str, Resource]]:
    for i, matcher in enumerate(url_map.get("pathMatchers") or []):
        for j, rule in enumerate(matcher.get("routeRules") or []):
            yield f"resource.pathMatchers[{i}].routeRules[{j}]", rule


def _route_actions(url_map: Resource) -> Iterator[tuple[str, Resource]]:
    """Every routeAction of the map: the default ones and the routeRules'."""
    if isinstance(url_map.get("defaultRouteAction"), dict):
        yield "resource.defaultRouteAction", url_map["defaultRouteAction"]
    for i, matcher in enumerate(url_map.get("pathMatchers") or []):
        if isinstance(matcher.get("defaultRouteAction"), dict):
            yield f"resource.pathMatchers[{i}].defaultRouteAction", matcher["defaultRouteAction"]
        for j, rule in enumerate(matcher.get("pathRules") or []):
            if isinstance(rule.get("routeAction"), dict):
                yield f"resource.pathMatchers[{i}].pathRules[{j}].routeAction", rule["routeAction"]
    for where, rule in _route_rules(url_map):
        if isinstance(rule.get("routeAction"), dict):
            yield f"{where}.routeAction", rule["routeAction"]


def _header_actions(url_map: Resource) -> Iterator[str]:
    """The field path of every headerAction set in the map."""
    if url_map.get("headerAction"):
        yield "resource.headerAction"
    for i, matcher in enumerate(url_map.get("pathMatchers") or []):
        if matcher.get("headerAction"):
            yield f"resource.pathMatchers[{i}].headerAction"
    for where, rule in _route_rules(url_map):
        if rule.get("headerAction"):
            yield f"{where}.headerAction"
    for where, action in _route_actions(url_map):
        for k, weighted in enumerate(action.get("weightedBackendServices") or []):
            if weighted.get("headerAction"):
                yield f"{where}.weightedBackendServices[{k}].headerAction"


def _regexes(url_map: Resource) -> Iterator[tuple[str, str]]:
    """(field path, pattern) of every regexMatch of the map's routeRules."""
    for where, rule in _route_rules(url_map):
        for k, match in enumerate(rule.get("matchRules") or []):
            at = f"{where}.matchRules[{k}]"
            if _present(match, "regexMatch"):
                yield f"{at}.regexMatch", str(match["regexMatch"])
            for kind in ("headerMatches", "queryParameterMatches"):
                for m, value in enumerate(match.get(kind) or []):
                    if _present(value, "regexMatch"):
                        yield f"{at}.{kind}[{m}].regexMatch", str(value["regexMatch"])


def _one_of(body: Resource, names: tuple[str, ...], where: str, what: str) -> None:
    given = [n for n in names if n in body and body[n] is not None]
    if len(given) > 1:
        raise _bad(
            f"{where}.{given[1]}", body[given[1]], f"Only one of {', '.join(names)} may be set {what}."
        )


def _check_match(match: Resource, where: str) -> None:
    _one_of(match, PATH_MATCHES, where, "in a matchRule")
    if _present(match, "prefixMatch") and not str(match["prefixMatch"]).startswith("/"):
        raise _bad(f"{where}.prefixMatch", match["prefixMatch"], "prefixMatch must begin with a '/'.")
    if "fullPathMatch" in match:
        path = str(match["fullPathMatch"])
        if not path.startswith("/") or len(path) > 1024:
            raise _bad(
                f"{where}.fullPathMatch",
                path,
                "fullPathMatch must begin with a '/' and be 1 to 1024 characters.",
            )
    if match.get("ignoreCase") and _present(match, "regexMatch"):
        raise _bad(f"{where}.ignoreCase", True, "ignoreCase must not be used with regexMatch.")
    for m, header in enumerate(match.get("headerMatches") or []):
        at = f"{where}.headerMatches[{m}]"
        if not _present(header, "headerName"):
            raise required(f"{at}.headerName")
        _one_of(header, HEADER_MATCHES, at, "in a headerMatch")
    for m, query in enumerate(match.get("queryParameterMatches") or []):
        at = f"{where}.queryParameterMatches[{m}]"
        if not _present(query, "name"):
            raise required(f"{at}.name")
        _one_of(query, QUERY_MATCHES, at, "in a queryParameterMatch")


def _check_action(action: Resource, where: str) -> None:
    for k, weighted in enumerate(action.get("weightedBackendServices") or []):
        at = f"{where}.weightedBackendServices[{k}]"
        if not _present(weighted, "backendService"):
            raise required(f"{at}.backendService")
        weight = weighted.get("weight", 0)
        if not isinstance(weight, int) or not 0 <= weight <= MAX_WEIGHT:
            raise _bad(f"{at}.weight", weight, f"Weight must be between 0 and {MAX_WEIGHT}.")
    rewrite = action.get("urlRewrite") or {}
    for name, longest in (("pathPrefixRewrite", 1024), ("hostRewrite", 255)):
        if name in rewrite and not 1 <= len(str(rewrite[name])) <= longest:
            raise _bad(f"{where}.urlRewrite.{name}", rewrite[name], f"It must be 1 to {longest} characters.")
    timeout = action.get("timeout")
    if timeout is not None:
        seconds, nanos = int(timeout.get("seconds", 0)), int(timeout.get("nanos", 0))
        if not 0 <= seconds <= MAX_TIMEOUT_SECONDS or not 0 <= nanos <= 999999999:
            raise _bad(f"{where}.timeout", timeout, "The duration is out of range.")
    abort = ((action.get("faultInjectionPolicy") or {}).get("abort")) or {}
    if abort:
        status, percentage = abort.get("httpStatus"), abort.get("percentage", 0)
        if not isinstance(status, int) or not 200 <= status <= 599:
            raise _bad(f"{where}.faultInjectionPolicy.abort.httpStatus", status, "It must be 200 to 599.")
        if not 0 <= float(percentage) <= 100:
            raise _bad(f"{where}.faultInjectionPolicy.abort.percentage", percentage, "It must be 0 to 100.")


def _check_redirect(redirect: Resource, where: str) -> None:
    if _present(redirect, "pathRedirect") and _present(redirect, "prefixRedirect"):
        raise _bad(
            f"{where}.prefixRedirect",
            redirect["prefixRedirect"],
            "pathRedirect cannot be supplied together with prefixRedirect.",
        )
    if _present(redirect, "hostRedirect") and not 1 <= len(str(redirect["hostRedirect"])) <= 255:
        raise _bad(f"{where}.hostRedirect", redirect["hostRedirect"], "It must be 1 to 255 characters.")


def _check_rule(rule: Resource, where: str) -> None:
    if "priority" not in rule:
        raise required(f"{where}.priority")
    priority = rule["priority"]
    if not isinstance(priority, int) or not 0 <= priority <= MAX_PRIORITY:
        raise _bad(f"{where}.priority", priority, f"Priority must be between 0 and {MAX_PRIORITY}.")
    weighted = bool((rule.get("routeAction") or {}).get("weightedBackendServices"))
    targets = [
        n
        for n, given in (
            ("service", _present(rule, "service")),
            ("urlRedirect", bool(rule.get("urlRedirect"))),
            ("routeAction.weightedBackendServices", weighted),
        )
        if given
    ]
    if len(targets) != 1:
        raise invalid(
            f"Invalid value for field '{where}': exactly one of service, urlRedirect or "
            f"routeAction.weightedBackendServices must be set, not {', '.join(targets) or 'none'}."
        )
    for k, match in enumerate(rule.get("matchRules") or []):
        _check_match(match, f"{where}.matchRules[{k}]")
    if rule.get("urlRedirect"):
        _check_redirect(rule["urlRedirect"], f"{where}.urlRedirect")
    for name in ("requestHeadersToAdd", "responseHeadersToAdd"):
        for k, option in enumerate((rule.get("headerAction") or {}).get(name) or []):
            if not _present(option, "headerName"):
                raise required(f"{where}.headerAction.{name}[{k}].headerName")


def validate_route_rules(url_map: Resource) -> None:
    """The checks of routeRules and route actions that hold whatever the load balancer."""
    for i, matcher in enumerate(url_map.get("pathMatchers") or []):
        if matcher.get("pathRules") and matcher.get("routeRules"):
            raise invalid(
                f"Invalid value for field 'resource.pathMatchers[{i}]': only one of pathRules or routeRules "
                "may be set in a path matcher."
            )
        seen: dict[int, int] = {}
        for j, rule in enumerate(matcher.get("routeRules") or []):
            where = f"resource.pathMatchers[{i}].routeRules[{j}]"
            _check_rule(rule, where)
            if rule["priority"] in seen:
                raise _bad(
                    f"{where}.priority",
                    rule["priority"],
                    f"routeRules[{seen[rule['priority']]}] of the path matcher has the same priority; "
                    "priorities must be unique within a path matcher.",
                )
            seen[rule["priority"]] = j
    for where, action in _route_actions(url_map):
        _check_action(action, where)
    for where, pattern in _regexes(url_map):
        problem = re2_error(pattern)
        if problem is not None:
            raise _bad(where, pattern, f"Invalid regular expression: {problem}.")


def check_scheme_features(url_map: Resource, scope_kind: str, scheme: str) -> None:
    """What the URL map asks of its load balancer that backend services of `scheme` do not offer."""
    if scheme == "EXTERNAL":
        for where, action in _route_actions(url_map):
            for name in MANAGED_ONLY_ACTIONS:
                if action.get(name):
                    raise _bad(
                        f"{where}.{name}",
                        "",
                        f"{name} is not supported for load balancers with loadBalancingScheme EXTERNAL.",
                    )
        for where in _header_actions(url_map):
            raise _bad(
                where,
                "",
                "headerAction is not supported for load balancers with loadBalancingScheme EXTERNAL.",
            )
    if (scope_kind, scheme) not in REGEX_SCHEMES:
        for where, pattern in _regexes(url_map):
            raise _bad(
                where,
                pattern,
                "Regular expressions can only be used when the loadBalancingScheme is INTERNAL_SELF_MANAGED, "
                f"EXTERNAL_MANAGED (regional scope) or INTERNAL_MANAGED, not {scheme} ({scope_kind} scope).",
            )


def https_redirect_field(url_map: Resource) -> str | None:
    """The field path of the map's first redirect with `httpsRedirect` true (what target HTTPS proxies may not
    use), None when it has none."""
    if (url_map.get("defaultUrlRedirect") or {}).get("httpsRedirect"):
        return "resource.defaultUrlRedirect.httpsRedirect"
    for i, matcher in enumerate(url_map.get("pathMatchers") or []):
        if (matcher.get("defaultUrlRedirect") or {}).get("httpsRedirect"):
            return f"resource.pathMatchers[{i}].defaultUrlRedirect.httpsRedirect"
        for kind in ("pathRules", "routeRules"):
            for j, rule in enumerate(matcher.get(kind) or []):
                if (rule.get("urlRedirect") or {}).get("httpsRedirect"):
                    return f"resource.pathMatchers[{i}].{kind}[{j}].urlRedirect.httpsRedirect"
    return None


def https_proxy_refusal(url_map_path: str, where: str) -> ApiError:
    """httpsRedirect is for URL maps of target HTTP proxies only (HttpRedirectAction reference)."""
    return _bad(
        where,
        url_map_path,
        "httpsRedirect may only be set in URL maps used by target HTTP proxies, not by a target HTTPS proxy.",
    )
