"""Ordered (Gateway API) rules → a URL map of `routeRules`, as the global external Application Load Balancer
with advanced traffic management (EXTERNAL_MANAGED) serves them.

GCLB picks the host rule first (exact host, else the longest `*.suffix`, else `*`), then the first routeRule
of that host's path matcher by priority whose matchRules match (any matchRule; within one every condition),
else the matcher's default. A spec's rules are first-match in list order, so each host's matcher gets every
rule that can match its requests, in spec order, as consecutive priorities. A Prefix path `/foo` becomes
`fullPathMatch /foo` and `prefixMatch /foo/` (GCLB prefixes are plain strings: `/foo` would also match
`/foobar`); header, query and method conditions become headerMatches (`:method` for methods) and
queryParameterMatches, combined so that any of a condition's values matches. What GCLB cannot express is
refused naming the rule, never dropped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any, cast

from lbctl.model.spec import Action, Condition, HeaderEdit, LoadBalancerSpec, PathType, Redirect, Rule
from lbctl.provider import ProviderError

from . import naming as n
from .urlmap import UrlMapBody, UrlMapTranslation

MAX_WEIGHT = 1000  # WeightedBackendService.weight: 0..1000
MAX_PRIORITY = 2147483647
REDIRECT_CODES = {
    "HTTP_301": "MOVED_PERMANENTLY_DEFAULT",
    "HTTP_302": "FOUND",
    "HTTP_303": "SEE_OTHER",
    "HTTP_307": "TEMPORARY_REDIRECT",
    "HTTP_308": "PERMANENT_REDIRECT",
}
WELL_KNOWN_PORTS = {"HTTP": "80", "HTTPS": "443"}
UNANSWERED_STATUS = 404  # a request no rule matches (Gateway API: 404)

Body = dict[str, Any]


class RuleRefused(ProviderError):
    """A rule GCLB cannot serve as the spec says: named, with what it cannot do."""

    def __init__(self, rule: Rule, why: str) -> None:
        super().__init__(
            f"{rule.source}: {why} on the Google Cloud Application Load Balancer",
            user_fixable=True,
            field=rule.source.field,
            subject=f"{rule.source.kind} {rule.source.ingress}",  # the route (or Ingress) the Event is on
        )


@dataclass(frozen=True)
class RouteOptions:
    """What the URL map serves: the listener `protocol` of its target proxy (None: HTTP and HTTPS listeners
    share it) and whether regular expressions are available (regional managed schemes only)."""

    protocol: str | None = None
    regex: bool = False


_REGEX_META = frozenset(".^$*+?()[]{}|\\")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_PREFIX_TAIL = "(/.*)?"


def literal_of(pattern: str) -> str | None:
    """The literal a whole-string pattern `^…$` of escaped text stands for (how the Gateway builder writes an
    Exact value holding `*` or `?`), None when the pattern is a real regular expression."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    body = pattern[1:-1]
    unescaped = _ESCAPED.sub("", body)
    if any(c in _REGEX_META for c in unescaped):
        return None
    return _ESCAPED.sub(lambda m: m.group(1), body)


def unescape_wildcards(value: str) -> str | None:
    """A query-string value in the conditions' wildcard syntax (`\\*`, `\\?`, `\\\\` literal) as the literal it
    matches; None when it holds a real wildcard."""
    if _WILDCARD.search(_ESCAPED.sub("", value)):
        return None
    return _ESCAPED.sub(lambda m: m.group(1), value)


_WILDCARD = re.compile(r"[*?]")


def _path_variants(rule: Rule, regex: bool) -> list[tuple[Body, bool]]:
    """The path part of a rule's matchRules: (match, is_prefix_variant). A pattern that only spells a literal
    path (or a literal prefix `^/a\\*b(/.*)?$`) becomes the plain match it is."""
    path = rule.path
    if path is None:
        return [({"prefixMatch": "/"}, True)]
    if path.regex:
        literal = literal_of(path.path)
        if literal is not None:
            return [({"fullPathMatch": literal}, False)]
        if path.path.endswith(_PREFIX_TAIL + "$"):
            base = literal_of(path.path[: -len(_PREFIX_TAIL) - 1] + "$")
            if base is not None and base.startswith("/") and not base.endswith("/"):
                return [({"fullPathMatch": base}, False), ({"prefixMatch": base + "/"}, True)]
        if not regex:
            raise RuleRefused(
                rule,
                "a RegularExpression path needs regexMatch, which the API allows only on regional and internal "
                "load balancers",
            )
        return [({"regexMatch": path.path}, False)]
    value = path.path or "/"
    if any(c in value for c in "?#"):
        raise RuleRefused(rule, f"path {value!r} holds characters a URL map path cannot")
    if path.type == PathType.PREFIX:
        segments = [s for s in value.split("/") if s]
        if not segments:
            return [({"prefixMatch": "/"}, True)]
        base = "/" + "/".join(segments)
        return [({"fullPathMatch": base}, False), ({"prefixMatch": base + "/"}, True)]
    if "*" in value:
        raise RuleRefused(rule, f"path {value!r}: a wildcard path is not an Exact or Prefix match")
    return [({"fullPathMatch": value}, False)]


def path_kind(rule: Rule, regex: bool) -> str:
    """How GCLB matches the rule's path: "exact" (fullPathMatch only), "prefix" or "regex"."""
    variants = _path_variants(rule, regex)
    if any("regexMatch" in match for match, _ in variants):
        return "regex"
    return "prefix" if any(is_prefix for _, is_prefix in variants) else "exact"


def _value_match(rule: Rule, value: str, regex: bool, allowed: bool) -> Body:
    literal = literal_of(value) if regex else value
    if literal is not None:
        return {"exactMatch": literal}
    if not allowed:
        raise RuleRefused(
            rule,
            f"a RegularExpression match of {value!r} needs regexMatch, which the API allows only on regional "
            "and internal load balancers",
        )
    return {"regexMatch": value}


def _condition_alternatives(rule: Rule, condition: Condition, regex: bool) -> tuple[str, list[Body]]:
    """("header" | "query", one match per value): any of them may hold."""
    if condition.field in ("http-header", "http-request-method") and not condition.values:
        raise RuleRefused(rule, f"an {condition.field} condition without values")
    if condition.field == "http-header":
        if not condition.header_name:
            raise RuleRefused(rule, "an http-header condition without a header name")
        return "header", [
            {"headerName": condition.header_name, **_value_match(rule, v, condition.regex, regex)}
            for v in condition.values
        ]
    if condition.field == "http-request-method":
        return "header", [{"headerName": ":method", "exactMatch": v.upper()} for v in condition.values]
    if condition.field == "query-string":
        matches: list[Body] = []
        for pair in condition.query or []:
            if not pair.get("key"):
                raise RuleRefused(rule, "a query-string condition on a value without a parameter name")
            value = pair.get("value", "")
            if not condition.regex:
                literal = unescape_wildcards(value)
                if literal is None:
                    raise RuleRefused(rule, f"query value {value!r} holds a wildcard")
                value = literal
            matches.append({"name": pair["key"], **_value_match(rule, value, condition.regex, regex)})
        if not matches:
            raise RuleRefused(rule, "a query-string condition without parameters")
        return "query", matches
    raise RuleRefused(rule, f"a {condition.field} condition is not available")


def match_rules(rule: Rule, regex: bool) -> tuple[list[Body], list[Body]]:
    """The rule's matchRules: (those of its whole-path variant, those of its prefix variant). For a Prefix
    path with a prefix-dependent action the two become two routeRules; otherwise one."""
    alternatives: list[tuple[str, list[Body]]] = [
        _condition_alternatives(rule, c, regex) for c in rule.conditions
    ]
    whole: list[Body] = []
    prefixed: list[Body] = []
    for path, is_prefix in _path_variants(rule, regex):
        for combination in product(*[values for _, values in alternatives]):
            match: Body = dict(path)
            headers = [m for (kind, _), m in zip(alternatives, combination, strict=True) if kind == "header"]
            query = [m for (kind, _), m in zip(alternatives, combination, strict=True) if kind == "query"]
            if headers:
                match["headerMatches"] = headers
            if query:
                match["queryParameterMatches"] = query
            (prefixed if is_prefix else whole).append(match)
    return whole, prefixed


def _header_action(request: HeaderEdit | None, response: HeaderEdit | None) -> Body:
    action: Body = {}
    for edit, prefix in ((request, "request"), (response, "response")):
        if edit is None:
            continue
        added = [{"headerName": k, "headerValue": v, "replace": True} for k, v in edit.set.items()]
        added += [{"headerName": k, "headerValue": v, "replace": False} for k, v in edit.add.items()]
        if added:
            action[f"{prefix}HeadersToAdd"] = added
        if edit.remove:
            action[f"{prefix}HeadersToRemove"] = list(edit.remove)
    return action


def _timeout(seconds: float) -> Body:
    whole = math.floor(seconds)
    nanos = round((seconds - whole) * 1e9)
    duration: Body = {"seconds": str(whole)}  # an int64: JSON carries it as a string, as the API returns it
    if nanos:
        duration["nanos"] = nanos
    return duration


def _weights(rule: Rule, action: Action) -> list[int]:
    weights = [1 if t.weight is None else t.weight for t in action.forward]
    if any(w < 0 for w in weights):
        raise RuleRefused(rule, "a negative backend weight")
    if max(weights) > MAX_WEIGHT:
        divisor = math.gcd(*weights)
        weights = [w // divisor for w in weights]
        if max(weights) > MAX_WEIGHT:
            raise RuleRefused(
                rule,
                f"backend weights {[t.weight for t in action.forward]} cannot be expressed exactly in the API's "
                f"0..{MAX_WEIGHT}",
            )
    return weights


def _rewrite_prefix(replacement: str, prefix_variant: bool) -> str:
    """What replaces the matched part, as the Gateway API's ReplacePrefixMatch has it (trailing '/'s of the
    replacement ignored): for the `/foo/` variant the replacement with one trailing `/`, so the rest of the
    path keeps its separator (`/foo/bar` → `/new/bar`, also for a replacement of `/`); for the whole path
    `/foo` the replacement itself (`/new/` → `/new`)."""
    if prefix_variant:
        return replacement.rstrip("/") + "/"
    return replacement.rstrip("/") or "/"


def _redirect(rule: Rule, redirect: Redirect, options: RouteOptions, prefix_variant: bool, kind: str) -> Body:
    code = REDIRECT_CODES.get(redirect.status_code)
    if code is None:
        raise RuleRefused(rule, f"redirect status {redirect.status_code} is not one the API offers")
    body: Body = {"redirectResponseCode": code, "stripQuery": False}
    protocol = (redirect.protocol or "").upper()
    if protocol in ("", "#{PROTOCOL}"):
        protocol = ""
    elif protocol not in WELL_KNOWN_PORTS:
        raise RuleRefused(rule, f"redirect scheme {redirect.protocol!r}")
    elif protocol == "HTTPS" and options.protocol != "HTTPS":
        if options.protocol is None:  # only without listeners: they are split by protocol for redirects
            raise RuleRefused(rule, "an HTTPS redirect on a URL map shared by HTTP and HTTPS listeners")
        body["httpsRedirect"] = True
    elif protocol == "HTTP" and options.protocol != "HTTP":
        raise RuleRefused(
            rule, "a redirect from HTTPS to http (a URL map can only keep the scheme or go to https)"
        )
    scheme = protocol or options.protocol or ""  # the Location's scheme: the listener's unless changed
    if redirect.port not in (None, "", "#{port}") and redirect.port != WELL_KNOWN_PORTS.get(scheme):
        raise RuleRefused(rule, f"redirect port {redirect.port} (the API's urlRedirect has no port)")
    if redirect.port == "#{port}" and protocol:
        raise RuleRefused(rule, "a redirect that changes the scheme but keeps the request's port")
    if redirect.query not in (None, "#{query}"):
        raise RuleRefused(rule, f"redirect query {redirect.query!r} (the API keeps or strips the query only)")
    if redirect.host and redirect.host != "#{host}":
        body["hostRedirect"] = redirect.host
    if redirect.prefix_path is not None:
        if kind == "regex":
            raise RuleRefused(rule, "a prefix redirect of a RegularExpression path")
        if prefix_variant:
            body["prefixRedirect"] = _rewrite_prefix(redirect.prefix_path, True)
        else:
            body["pathRedirect"] = _rewrite_prefix(redirect.prefix_path, False)
    elif redirect.path and redirect.path != "/#{path}":
        body["pathRedirect"] = redirect.path
    return body


def _route_action(rule: Rule, prefix_variant: bool, kind: str) -> Body:
    """urlRewrite and timeout of a forwarding rule (`kind`: of its path match, see `path_kind`)."""
    route: Body = {}
    rewrite: Body = {}
    if rule.full_path_rewrite is not None:
        if kind != "exact":
            raise RuleRefused(
                rule,
                "a full path rewrite (ReplaceFullPath) needs an Exact path match (the URL map replaces only the "
                "matched part of the path)",
            )
        rewrite["pathPrefixRewrite"] = rule.full_path_rewrite or "/"
    elif rule.rewrite_path_prefix is not None:
        if kind == "regex":
            raise RuleRefused(rule, "a prefix rewrite of a RegularExpression path")
        rewrite["pathPrefixRewrite"] = _rewrite_prefix(rule.rewrite_path_prefix, prefix_variant)
    if rule.host_rewrite:
        rewrite["hostRewrite"] = rule.host_rewrite
    if rewrite:
        route["urlRewrite"] = rewrite
    if rule.timeout_seconds is not None:
        route["timeout"] = _timeout(rule.timeout_seconds)
    return route


def _check_supported(rule: Rule) -> None:
    action = rule.action
    if rule.transforms:
        raise RuleRefused(rule, "ALB transforms are not available")
    if action.authentication is not None or action.jwt_validation is not None:
        raise RuleRefused(rule, "authentication before the action is not available")
    if action.stickiness is not None:
        raise RuleRefused(rule, "target group stickiness is not available")
    if any(t.backend_key is None for t in action.forward):
        raise RuleRefused(rule, "a forward to an AWS target group is not available")


def fixed_status(rule: Rule | None, action: Action) -> int:
    response = action.fixed_response
    assert response is not None
    if rule is not None and (response.message_body or response.content_type):
        raise RuleRefused(rule, "a fixed response with a body is not available (only its status code)")
    return int(str(response.status_code).upper().removeprefix("HTTP_"))


def abort_action(anchor: str, status: int) -> Body:
    """A routeAction answering `status` to every request: fault injection aborting all of them before the
    backend service (which the API requires and which sees none of them)."""
    return {
        "weightedBackendServices": [{"backendService": anchor, "weight": 1}],
        "faultInjectionPolicy": {"abort": {"httpStatus": status, "percentage": 100}},
    }


def _targets(
    rule: Rule,
    services: dict[str, str],
    ref: Callable[[str], str],
    anchor: str | None,
    options: RouteOptions,
    prefix_variant: bool,
) -> Body:
    _check_supported(rule)
    kind = path_kind(rule, options.regex)
    action = rule.action
    header_action = _header_action(rule.request_headers, rule.response_headers)
    body: Body = {}
    if action.type == "redirect" and action.redirect is not None:
        if rule.rewrite_path_prefix is not None or rule.full_path_rewrite is not None or rule.host_rewrite:
            raise RuleRefused(rule, "a rewrite together with a redirect")
        if header_action.get("responseHeadersToAdd") or header_action.get("responseHeadersToRemove"):
            # the API's headerAction is for the selected backend service, which a redirect has none of
            raise RuleRefused(rule, "response header edits on a redirect")
        body["urlRedirect"] = _redirect(rule, action.redirect, options, prefix_variant, kind)
        return body  # request header edits: no backend receives the request
    route = _route_action(rule, prefix_variant, kind)
    weights = _weights(rule, action) if action.type == "forward" and action.forward else []
    if action.type == "fixed-response" or (action.type == "forward" and not any(weights)):
        status = fixed_status(rule, action) if action.type == "fixed-response" else 500
        if anchor is None:
            raise RuleRefused(
                rule, f"answering {status} needs a backend service in the URL map; the spec has none"
            )
        route = {**route, **abort_action(anchor, status)}
        body["routeAction"] = route
    elif action.type == "forward":
        refs = [ref(services[str(t.backend_key)]) for t in action.forward]
        if len(refs) == 1:
            body["service"] = refs[0]
        else:
            route["weightedBackendServices"] = [
                {"backendService": r, "weight": w} for r, w in zip(refs, weights, strict=True)
            ]
        if route:
            body["routeAction"] = route
    else:
        raise RuleRefused(rule, f"a {action.type} action is not available")
    if header_action:
        body["headerAction"] = header_action
    return body


def _prefix_dependent(rule: Rule) -> bool:
    redirect = rule.action.redirect
    return rule.rewrite_path_prefix is not None or (redirect is not None and redirect.prefix_path is not None)


def route_rules(
    rule: Rule,
    services: dict[str, str],
    ref: Callable[[str], str],
    anchor: str | None,
    options: RouteOptions,
) -> Iterator[Body]:
    """The routeRules (without priority) of one spec rule: one, or two for a Prefix path whose action depends
    on the matched prefix (its whole-path match first)."""
    whole, prefixed = match_rules(rule, options.regex)
    if _prefix_dependent(rule) and whole and prefixed:
        yield {"matchRules": whole, **_targets(rule, services, ref, anchor, options, False)}
        yield {"matchRules": prefixed, **_targets(rule, services, ref, anchor, options, True)}
        return
    prefix_variant = bool(prefixed) and not whole
    yield {"matchRules": whole + prefixed, **_targets(rule, services, ref, anchor, options, prefix_variant)}


def host_covers(rule_host: str | None, matcher_host: str) -> bool:
    """Whether a rule's host can match requests reaching the host rule `matcher_host` (GCLB: `*.suffix`
    matches any name ending in `.suffix`, also deeper ones, as Gateway API hostnames do)."""
    if rule_host is None:
        return True
    if matcher_host == "*":
        return False
    rule_host, matcher_host = rule_host.lower(), matcher_host.lower()
    if rule_host == matcher_host:
        return True
    return rule_host.startswith("*.") and matcher_host.endswith(rule_host[1:])


def matcher_name(hosts: list[str]) -> str:
    return "pm-" + n.short_hash(*sorted(hosts), length=10)


def ordered_hosts(rules: list[Rule]) -> list[str]:
    hosts: list[str] = []
    for rule in rules:
        host = (rule.host or "*").lower()
        if host not in hosts:
            hosts.append(host)
    return hosts


def spec_anchor(spec: LoadBalancerSpec, services: dict[str, str], ref: Callable[[str], str]) -> str | None:
    """The backend service fault-injected answers name (the API needs one): the first of the spec's."""
    return ref(services[sorted(services)[0]]) if services else None


def _default_fields(spec: LoadBalancerSpec, refs: Callable[[str], str], anchor: str | None) -> Body:
    """What a request no rule matches gets: the spec's default action, else 404 (fault-injected)."""
    action = spec.default_action
    status = UNANSWERED_STATUS
    if action is not None and action.type == "forward" and action.backend_keys():
        keys = action.backend_keys()
        if len(keys) == 1:
            return {"defaultService": refs(keys[0])}
        weights = [1 if t.weight is None else t.weight for t in action.forward]
        return {
            "defaultRouteAction": {
                "weightedBackendServices": [
                    {"backendService": refs(k), "weight": w} for k, w in zip(keys, weights, strict=True)
                ]
            }
        }
    if action is not None and action.type == "fixed-response":
        status = fixed_status(None, action)
    elif action is not None:
        raise ProviderError(
            f"a default {action.type} action is not available on the Google Cloud Application Load Balancer",
            user_fixable=True,
        )
    if anchor is None:
        kind, _, name = spec.stack.rpartition(":")
        raise ProviderError(
            f"answering {status} to requests no rule matches needs a backend service in the URL map, and no "
            "rule forwards to a Service nor is there a cluster default backend: route a rule to a Service, or "
            "start lbctl with --default-backend-service ns/name:port",
            user_fixable=True,
            subject=f"{kind} {name}" if kind else None,
        )
    return {"defaultRouteAction": abort_action(anchor, status)}


def translate_route_map(
    spec: LoadBalancerSpec,
    rules: list[Rule],
    services: dict[str, str],
    ref: Callable[[str], str],
    options: RouteOptions,
) -> UrlMapTranslation:
    """The URL map of `rules` (those of one listener set, in spec order); `services`: backend key → backend
    service name of every backend the spec uses; `ref`: name → reference."""
    out = UrlMapTranslation(body={}, managed=True, default_action=spec.default_action)
    anchor = spec_anchor(spec, services, ref)
    default = _default_fields(spec, lambda key: ref(services[key]), anchor)
    body: Body = dict(default)
    matchers: dict[tuple[int, ...], tuple[list[str], list[Rule]]] = {}
    for host in ordered_hosts(rules):
        candidates = [r for r in rules if host_covers(r.host, host)]
        matchers.setdefault(tuple(id(r) for r in candidates), ([], candidates))[0].append(host)
    host_rules: list[Body] = []
    path_matchers: list[Body] = []
    for hosts, candidates in matchers.values():
        name = matcher_name(hosts)
        entries: list[Body] = []
        for rule in candidates:
            for route_rule in route_rules(rule, services, ref, anchor, options):
                priority = len(entries) + 1
                if priority > MAX_PRIORITY:  # pragma: no cover - far past the URL map's size limit
                    raise RuleRefused(rule, "more routeRules than the API's priorities")
                entries.append({"priority": priority, **route_rule})
                out.route_sources[(name, priority)] = rule
        host_rules.append({"hosts": sorted(hosts), "pathMatcher": name})
        path_matchers.append({"name": name, **default, "routeRules": entries})
    body["hostRules"] = sorted(host_rules, key=lambda h: h["hosts"])
    body["pathMatchers"] = sorted(path_matchers, key=lambda m: m["name"])
    out.body = cast(UrlMapBody, body)
    return out
