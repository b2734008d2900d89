"""Duplicate routes: the same host, path, pathType (and extra conditions, listeners) sending requests to
different places. Only the first by precedence can ever match, so a second one is an error within one Ingress
and, across the members of an IngressGroup, a Warning on the member that loses (the earlier one in group.order,
then namespace/name, keeps the route). Identical duplicates are harmless and pass.

Pure; the builder calls `within_member` for each Ingress and `across_members` for each group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from lbctl.model.objects import Ingress
from lbctl.model.problems import Problem, Severity
from lbctl.model.spec import Action, Backend, PathType, Rule

DuplicateKey = tuple[Any, ...]


class MemberLike(Protocol):
    """What a group member offers (the builder's _Member)."""

    ingress: Ingress
    rules: list[tuple[Rule, int]]
    backends: dict[str, Backend]


def route_key(rule: Rule) -> DuplicateKey:
    """What a request must match to reach the rule: a Prefix path without its trailing '/' (the same match)."""
    path = None
    if rule.path is not None:
        text = rule.path.path
        if rule.path.type == PathType.PREFIX:
            text = "/" + "/".join(s for s in text.split("/") if s)
        path = (rule.path.type.value, text)
    conditions = tuple(sorted(repr(c) for c in rule.conditions))
    return (rule.host, path, conditions, tuple(sorted(rule.listen_ports)))


def destination(action: Action, backends: Mapping[str, Backend]) -> str:
    """The action with each backend key replaced by the backend's settings, so two members' actions compare
    equal exactly when requests would be served the same way."""
    resolved = [
        (repr(backends.get(t.backend_key or "")), t.target_group_arn, t.target_group_name, t.weight)
        for t in action.forward
    ]
    return repr(
        (
            action.type,
            resolved,
            action.stickiness,
            action.redirect,
            action.fixed_response,
            action.authentication,
        )
    )


def describe(action: Action) -> str:
    """A short, readable form of where an action sends requests."""
    if action.type == "forward":
        targets = [t.backend_key or t.target_group_arn or t.target_group_name or "?" for t in action.forward]
        return ", ".join(str(t) for t in targets)
    return action.type


def _route(rule: Rule) -> str:
    where = f"host {rule.host!r}" if rule.host else "any host"
    path = f"{rule.path.type.value} {rule.path.path!r}" if rule.path else "any path"
    return f"{where}, {path}"


def within_member(
    ingress: Ingress, rules: Sequence[tuple[Rule, int]], backends: Mapping[str, Backend]
) -> tuple[str, str] | None:
    """(field, message) for the first rule that repeats an earlier rule of the same Ingress with another
    destination; None when there is none."""
    seen: dict[DuplicateKey, Rule] = {}
    for rule, _ in rules:
        key = route_key(rule)
        first = seen.setdefault(key, rule)
        if first is not rule and destination(first.action, backends) != destination(rule.action, backends):
            return (
                rule.source.field,
                f"routes {_route(rule)} to {describe(rule.action)}, but "
                f"{first.source.field} already routes it to {describe(first.action)}; expected one backend "
                "per host, path and pathType (remove one of the two, or give both the same backend)",
            )
    return None


def across_members(members: Sequence[MemberLike]) -> list[Problem]:
    """A Warning on each member whose rule repeats a route an earlier member (in group order) already sends
    elsewhere; that rule never receives a request."""
    seen: dict[DuplicateKey, tuple[MemberLike, Rule]] = {}
    problems: list[Problem] = []
    for member in members:
        for rule, _ in member.rules:
            key = route_key(rule)
            winner = seen.setdefault(key, (member, rule))
            first_member, first_rule = winner
            if first_member is member:
                continue
            kept = destination(first_rule.action, first_member.backends)
            if kept != destination(rule.action, member.backends):
                problems.append(
                    Problem(
                        Severity.WARNING,
                        str(member.ingress.ref),
                        rule.source.field,
                        f"routes {_route(rule)} to {describe(rule.action)}, but Ingress {first_member.ingress.ref.key} "
                        f"({first_rule.source.field}) of the same IngressGroup routes it to {describe(first_rule.action)} "
                        "and comes first (group.order, then namespace/name), so this rule never receives a request; "
                        "expected one backend per host, path and pathType in a group",
                        member.ingress.source,
                    )
                )
    return problems
