"""Ingress host and path semantics (Kubernetes API docs), and the precedence between rules.

Pure functions; the model orders rules with `precedence_key` and `lbctl route` evaluates a spec
with `first_match`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lbctl.model.spec import Action, Condition, LoadBalancerSpec, PathMatch, PathType, Rule


def normalise_host(host: str) -> str:
    """Lower-case, without a port or a trailing dot."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.split(":", 1)[0]


def host_matches(rule_host: str | None, request_host: str, deeper: bool = False) -> bool:
    """No host: any. `*.example.com`: exactly one more DNS label (`deeper`: one or more, as the Gateway API
    says). Otherwise equal (case-insensitive)."""
    if rule_host is None:
        return True
    request = normalise_host(request_host)
    rule = rule_host.lower()
    if rule.startswith("*."):
        suffix = rule[1:]  # ".example.com"
        if not request.endswith(suffix):
            return False
        label = request[: -len(suffix)]
        return bool(label) and (deeper or "." not in label)
    return request == rule


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def prefix_matches(rule_path: str, request_path: str) -> bool:
    """Element-wise prefix match on '/'-split segments; a trailing slash on either side is ignored."""
    rule = _segments(rule_path)
    request = _segments(request_path)
    return request[: len(rule)] == rule


def glob_matches(pattern: str, request_path: str) -> bool:
    """ImplementationSpecific paths use the cloud syntax: `*` any characters (also '/'), `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, request_path, flags=re.DOTALL) is not None


def path_matches(match: PathMatch | None, request_path: str) -> bool:
    if match is None:
        return True
    if match.regex:  # use-regex-path-match: the cloud's regex, found anywhere in the path unless anchored
        return re.search(match.path, request_path) is not None
    if match.type == PathType.EXACT:
        return request_path == match.path
    if match.type == PathType.PREFIX:
        return prefix_matches(match.path, request_path)
    if "*" in match.path or "?" in match.path:
        return glob_matches(match.path, request_path)
    return request_path == match.path


def specificity(match: PathMatch | None) -> tuple[int, int]:
    """(length, type rank): longer paths first; at equal length Exact, then Prefix, then ImplementationSpecific."""
    if match is None:
        return (0, 3)
    if match.type == PathType.EXACT:
        return (len(match.path), 0)
    if match.type == PathType.PREFIX:
        return (len("/".join(_segments(match.path))) + 1, 1)
    if match.regex:
        return (0, 2)
    literal = re.split(r"[*?]", match.path, maxsplit=1)[0]
    return (len(literal), 2)


def host_rank(host: str | None) -> int:
    """Exact hosts before wildcard hosts before rules for any host."""
    if host is None:
        return 2
    return 1 if host.startswith("*.") else 0


def precedence_key(rule: Rule, group_order: int, member_index: int, position: int) -> tuple:
    """Sort key giving Ingress semantics to first-match evaluation: host, longest path, Exact over Prefix,
    more extra conditions first; then group order, member, manifest position as tie-breakers."""
    length, type_rank = specificity(rule.path)
    return (
        host_rank(rule.host),
        -length,
        type_rank,
        -len(rule.conditions),
        group_order,
        member_index,
        position,
    )


@dataclass(frozen=True)
class RouteResult:
    """What a request reaches: a rule, the default action, or nothing (404)."""

    rule: Rule | None
    action: Action | None
    reason: str


def condition_matches(condition: Condition, host: str, path: str) -> bool | None:
    """Whether an extra `conditions.<name>` condition holds for a request with this host and path (ALB
    syntax: `*` any characters, `?` one; `regex`: a regular expression found in the value); None when it
    depends on more (headers, method, query, source IP)."""
    if condition.field not in ("host-header", "path-pattern"):
        return None
    host_header = condition.field == "host-header"
    subject = normalise_host(host) if host_header else path
    if condition.regex:
        flags = re.IGNORECASE if host_header else 0
        return any(re.search(value, subject, flags) is not None for value in condition.values)
    return any(glob_matches(value.lower() if host_header else value, subject) for value in condition.values)


def _joined(own: bool | None, extra: list[bool | None]) -> bool | None:
    """One ALB condition made of the rule's own host (path) and the annotation's values: any may match."""
    candidates = ([own] if own is not None else []) + extra
    if not candidates:
        return True
    return any(candidates)


def rule_matches(rule: Rule, host: str, path: str, deeper_hosts: bool = False) -> bool:
    """A rule for a plain request: its host-header (path-pattern) conditions join its host (path), as
    aws-load-balancer-controller builds them; conditions on other request parts never hold here."""
    by_field: dict[str, list[bool | None]] = {}
    for condition in rule.conditions:
        by_field.setdefault(condition.field, []).append(condition_matches(condition, host, path))
    if any(field not in ("host-header", "path-pattern") for field in by_field):
        return False
    own_host = host_matches(rule.host, host, deeper_hosts) if rule.host is not None else None
    own_path = path_matches(rule.path, path) if rule.path is not None else None
    return bool(
        _joined(own_host, by_field.get("host-header", []))
        and _joined(own_path, by_field.get("path-pattern", []))
    )


def first_match(spec: LoadBalancerSpec, host: str, path: str) -> RouteResult:
    """Evaluate the ordered rules of a spec for a plain request: host and path only. A rule whose extra
    conditions need other request attributes (headers, method, query, source IP) never matches here."""
    for rule in spec.rules:
        if rule_matches(rule, host, path, spec.frontend.managed_routing):
            return RouteResult(rule, rule.action, f"matched {rule.source}")
    if spec.default_action is not None:
        return RouteResult(None, spec.default_action, "no rule matched: default backend")
    return RouteResult(None, None, "no rule matched and no default backend: 404")
