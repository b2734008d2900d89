"""TargetGroupBindings on AWS: register a binding's targets into a target group lbctl does not own, and
deregister them again. The target group itself is never modified: the only writes are RegisterTargets and
DeregisterTargets (and, for `networking`, inbound rules on the targets' security groups).

Pipeline, as for stacks: discover (the target group by ARN or name, its tags, its registered targets) →
check (the target group may be bound, and is what the binding says) → plan (the difference, in batches) →
apply (the targets executor).

Which target groups a binding may use (`binding_scope`, flag `--aws-target-group-binding-scope`):
- `tagged` (the default): only target groups whose tag `lbctl.io/target-group-binding` lists the binding's
  namespace (space-separated namespaces, or `@all`). Whoever may tag target groups in the account decides
  which namespaces may send traffic into them, so a namespace's user cannot bind another team's group.
- `any`: every target group the controller's IAM role can reach, as aws-load-balancer-controller does;
  then only Kubernetes RBAC on TargetGroupBindings keeps tenants apart.
In both, a target group of an lbctl stack (tagged `lbctl.io/cluster`) is refused: the stack's converge
would deregister the binding's targets.

Ownership of targets follows aws-load-balancer-controller: a binding owns its whole target group (targets
it does not want are deregistered), unless `multiClusterTargetGroup`: then only the targets it registered
itself (recorded in the binding's status before each registration) are ever deregistered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.binding_spec import BindingSpec
from lbctl.provider import BindingResult, ProviderError, Step

from . import targets as target_ops
from .binding_rules import (
    Permission,
    RuleMemory,
    current_rules,
    rule_description,
    rule_steps,
    run_steps,
    security_groups,
)
from .clients import AwsClients, error_code
from .naming import CLUSTER_TAG, TAG_PREFIX

BINDABLE_TAG = TAG_PREFIX + "target-group-binding"
ALL_NAMESPACES = "@all"  # no namespace can be named so ("@" is not allowed in a namespace name)
SCOPES = ("tagged", "any")
DEFAULT_SCOPE = "tagged"
DRAINING = "draining"


def check_scope(value: str) -> str:
    """The `binding_scope` option's value, or ValueError saying the expected form."""
    if value not in SCOPES:
        raise ValueError(f"must be one of {', '.join(SCOPES)}, got {value!r}")
    return value


@dataclass
class CurrentBinding:
    """What AWS holds for a binding: its target group (None: not found), the group's tags and targets."""

    target_group: dict[str, Any] | None
    tags: dict[str, str] = field(default_factory=dict)
    registered: set[tuple[str, int]] = field(default_factory=set)  # every target not draining
    draining: set[tuple[str, int]] = field(default_factory=set)

    @property
    def arn(self) -> str:
        assert self.target_group is not None
        return str(self.target_group["TargetGroupArn"])

    @property
    def name(self) -> str:
        assert self.target_group is not None
        return str(self.target_group["TargetGroupName"])


def discover_binding(clients: AwsClients, spec: BindingSpec) -> CurrentBinding:
    """The binding's target group (by ARN, else by name), its tags and its targets: three reads."""
    try:
        if spec.target_group_arn:
            found = clients.call("elbv2", "DescribeTargetGroups", TargetGroupArns=[spec.target_group_arn])
        else:
            found = clients.call("elbv2", "DescribeTargetGroups", Names=[spec.target_group_name])
    except Exception as exc:
        if error_code(exc) in ("TargetGroupNotFound", "TargetGroupNotFoundException", "ValidationError"):
            return CurrentBinding(None)
        raise
    groups = found.get("TargetGroups") or []
    if not groups:
        return CurrentBinding(None)
    group = groups[0]
    arn = group["TargetGroupArn"]
    described = clients.call("elbv2", "DescribeTags", ResourceArns=[arn])
    tags = {
        t["Key"]: t.get("Value", "") for d in described.get("TagDescriptions", []) for t in d.get("Tags", [])
    }
    health = clients.call("elbv2", "DescribeTargetHealth", TargetGroupArn=arn)
    current = CurrentBinding(group, tags)
    for description in health.get("TargetHealthDescriptions", []):
        target = (str(description["Target"]["Id"]), int(description["Target"]["Port"]))
        state = description.get("TargetHealth", {}).get("State")
        (current.draining if state == DRAINING else current.registered).add(target)
    return current


def refusal(spec: BindingSpec, current: CurrentBinding, namespace: str, scope: str) -> str | None:
    """Why this binding may not use its target group, or None when it may."""
    owner = current.tags.get(CLUSTER_TAG)
    if owner is not None:
        return (
            f"target group {current.name} belongs to an lbctl load balancer (cluster {owner}); "
            "bind a target group created outside lbctl"
        )
    if scope == "any":
        return None
    allowed = current.tags.get(BINDABLE_TAG, "").split()
    if ALL_NAMESPACES in allowed or namespace in allowed:
        return None
    return (
        f"target group {current.name} does not allow bindings from namespace {namespace}: its tag "
        f"{BINDABLE_TAG} must list the namespace (space-separated) or {ALL_NAMESPACES} "
        "(or run the controller with --aws-target-group-binding-scope any)"
    )


def _fail(binding: BindingSpec, attribute: str, message: str) -> ProviderError:
    """An error naming the TargetGroupBinding field behind `attribute` (a BindingSpec, not a stack spec)."""
    return ProviderError(
        message, user_fixable=True, field=binding.field_of(attribute), subject=binding.subject
    )


def target_type_of(spec: BindingSpec, current: CurrentBinding) -> str:
    """The binding's target type, checked against what the target group is (type, IP family, VPC,
    protocol); raises a user-fixable ProviderError naming the field that disagrees."""
    group = current.target_group
    assert group is not None
    actual = str(group.get("TargetType") or "instance")
    if actual not in ("instance", "ip"):
        raise _fail(
            spec,
            "target_group",
            f"target group {current.name} has target type {actual}; "
            "a TargetGroupBinding registers instance or ip targets only",
        )
    if spec.target_type and spec.target_type != actual:
        raise _fail(
            spec,
            "target_type",
            f"is {spec.target_type} but target group {current.name} has target type {actual}",
        )
    family = str(group.get("IpAddressType") or "ipv4")
    if spec.ip_address_type and spec.ip_address_type != family:
        raise _fail(
            spec, "ip_address_type", f"is {spec.ip_address_type} but target group {current.name} is {family}"
        )
    if spec.vpc_id and group.get("VpcId") and spec.vpc_id != group["VpcId"]:
        raise _fail(
            spec, "vpc_id", f"is {spec.vpc_id} but target group {current.name} is in {group['VpcId']}"
        )
    protocol = group.get("Protocol")
    if spec.target_group_protocol and protocol and spec.target_group_protocol != protocol:
        raise _fail(
            spec,
            "target_group_protocol",
            f"is {spec.target_group_protocol} but target group {current.name} uses {protocol}",
        )
    return actual


@dataclass
class BindingPlan:
    steps: list[Step]
    target_type: str | None
    wanted: set[tuple[str, int]]
    tracked: frozenset[tuple[str, int]] | None  # after the plan ran (multi-cluster)
    registering: bool
    warnings: list[str] = field(default_factory=list)
    deregistering: set[tuple[str, int]] = field(default_factory=set)
    refused: bool = False  # the binding may not use its target group (deleting: nothing was registered)


def plan_binding(spec: BindingSpec, current: CurrentBinding, namespace: str, scope: str) -> BindingPlan:
    """The RegisterTargets / DeregisterTargets steps that make the target group hold the binding's targets
    (deleting: none of them), never touching a target the binding does not answer for."""
    if current.target_group is None:
        if spec.deleting:
            return BindingPlan([], None, set(), frozenset() if spec.multi_cluster else None, False)
        what = spec.target_group_arn or spec.target_group_name
        raise _fail(spec, "target_group", f"target group {what} not found")
    why = refusal(spec, current, namespace, scope)
    if why is not None:
        if spec.deleting:  # nothing was ever registered through this binding
            return BindingPlan([], None, set(), spec.tracked, False, [why], refused=True)
        raise _fail(spec, "target_group", why)
    if spec.deleting:
        target_type, wanted = (
            spec.target_type or str(current.target_group.get("TargetType") or "instance"),
            set(),
        )
    else:
        target_type = target_type_of(spec, current)
        targets = spec.targets_for(target_type)
        if targets is None:
            reason = spec.unavailable.get(target_type, f"no {target_type} targets")
            raise _fail(
                spec, "service", f"target group {current.name} has target type {target_type}: {reason}"
            )
        wanted = {(t.id, t.port) for t in targets}
    # A draining target the binding wants again is registered again; one it does not want is left to drain.
    have = set(current.registered)
    removable = have - wanted
    if spec.multi_cluster:
        removable &= spec.tracked or frozenset()  # never recorded: deregister nothing yet
    steps = target_steps(current.name, current.arn, removable, wanted - have)
    # Once applied, what the binding answers for is what it wants: the rest was deregistered or is gone.
    tracked = frozenset(wanted) if spec.multi_cluster else None
    return BindingPlan(steps, target_type, wanted, tracked, bool(wanted - have), deregistering=removable)


def target_steps(
    name: str, arn: str, deregister: set[tuple[str, int]], register: set[tuple[str, int]]
) -> list[Step]:
    """Deregister, then register, in batches of the target API's limit."""
    steps = []
    for operation, chosen in (("DeregisterTargets", deregister), ("RegisterTargets", register)):
        verb = operation.removesuffix("Targets").lower()
        for i, batch in enumerate(target_ops.batches(list(chosen)), 1):
            steps.append(
                Step(
                    f"TargetGroup {name}: {operation} #{i}",
                    "update",
                    "TargetGroup",
                    name,
                    operation,
                    {"TargetGroupArn": arn, "Targets": batch},
                    detail=f"{verb} {len(batch)} targets",
                )
            )
    return steps


def converge(
    clients: AwsClients,
    spec: BindingSpec,
    namespace: str,
    scope: str,
    apply: bool,
    on_register: Callable[[frozenset[tuple[str, int]]], None] | None = None,
    *,
    cluster: str = "",
    vpc_id: str | None = None,
    memory: RuleMemory | None = None,
) -> BindingResult:
    """Plan (apply=False) or converge one binding: its targets, and its inbound rules (`memory`: what the
    cluster's bindings want on which security group, shared by every converge of the provider)."""
    memory = memory if memory is not None else RuleMemory()
    current = discover_binding(clients, spec)
    try:
        planned = plan_binding(spec, current, namespace, scope)
    except ProviderError:
        with memory.lock:  # it wants no rule while it cannot bind (what it had stays until it is fixed)
            memory.wanted.setdefault(spec.key, {})
        raise
    result = BindingResult(
        spec.key,
        current.arn if current.target_group else None,
        planned.target_type,
        warnings=list(planned.warnings),
    )
    involved = bool(spec.networking) or spec.key in memory.wanted
    if not involved or planned.refused or current.target_group is None:
        return _targets(clients, spec, planned, current, result, apply, on_register, [])
    with memory.lock:  # the cluster's bindings share rules: one at a time decides on them
        rules, mine = _rules(clients, cluster, spec, planned, current, memory, vpc_id)
        result.warnings = list(planned.warnings)
        result = _targets(clients, spec, planned, current, result, apply, on_register, rules)
        if apply:
            if mine:
                memory.wanted[spec.key] = mine
            else:
                memory.wanted.pop(spec.key, None)
        return result


def _rules(
    clients: AwsClients,
    cluster: str,
    spec: BindingSpec,
    planned: BindingPlan,
    current: CurrentBinding,
    memory: RuleMemory,
    vpc_id: str | None,
) -> tuple[list[Step], dict[str, set[Permission]]]:
    """The rule steps of this binding and its new memory entry (memory.lock held)."""
    instance_mode = (planned.target_type or spec.target_type or "instance") == "instance"
    wanted_groups: set[str] = set()
    if spec.networking and not spec.deleting:
        wanted_groups, unresolved = security_groups(
            clients, cluster, sorted({i for i, _ in planned.wanted}), instance_mode, vpc_id
        )
        if unresolved:
            planned.warnings.append(
                f"no network interface found for target(s) {', '.join(unresolved[:5])}"
                + (f" and {len(unresolved) - 5} more" if len(unresolved) > 5 else "")
                + "; spec.networking opens no security group for them"
            )
    stale_groups = set(memory.wanted.get(spec.key, {}))
    if spec.deleting and spec.key not in memory.wanted and spec.networking:
        # After a restart: the groups of the targets it has registered, had recorded or would select now.
        answered = planned.deregistering | (spec.tracked or frozenset())
        answered |= {(t.id, t.port) for t in spec.targets_for("instance" if instance_mode else "ip") or ()}
        stale_groups = security_groups(
            clients, cluster, sorted({i for i, _ in answered}), instance_mode, vpc_id
        )[0]
    others = set(spec.networking_bindings) - {spec.key}
    if spec.deleting and not others <= set(memory.wanted):
        raise ProviderError(
            "waiting to see every TargetGroupBinding with networking before revoking rules they may share "
            f"(not yet: {', '.join(sorted(others - set(memory.wanted)))})",
            subject=spec.subject,
        )
    description = rule_description(cluster)
    have = current_rules(clients, wanted_groups | stale_groups, description)
    return rule_steps(memory, spec, wanted_groups, stale_groups, have, description)


def _targets(
    clients: AwsClients,
    spec: BindingSpec,
    planned: BindingPlan,
    current: CurrentBinding,
    result: BindingResult,
    apply: bool,
    on_register: Callable[[frozenset[tuple[str, int]]], None] | None,
    rules: list[Step],
) -> BindingResult:
    """Plan or make the target and rule changes: rules first while binding (new targets are reachable when
    registered), last while deleting (after the targets are gone)."""
    from lbctl.model.builder import empty_spec

    from .apply import Applier

    ordered = planned.steps + rules if spec.deleting else rules + planned.steps
    if not apply:
        result.steps = list(ordered)
        result.changes = [s.change() for s in ordered]
        result.registered = _entries(planned.wanted if not spec.deleting else current.registered)
        result.tracked = planned.tracked
        result.deleted = spec.deleting and not ordered
        return result
    done: list[Step] = []
    if not spec.deleting:
        done += run_steps(clients, spec, rules)
    if planned.registering and spec.multi_cluster and on_register is not None:
        on_register(frozenset(planned.wanted | (spec.tracked or frozenset())))
    applier = Applier(clients, empty_spec("aws", spec.key))
    applier.run(planned.steps)
    if applier.failures:
        raise applier.failures[0]
    done += applier.done
    if spec.deleting:
        done += run_steps(clients, spec, rules)
    result.steps = done
    result.changes = [s.change() for s in done]
    result.registered = _entries(planned.wanted if not spec.deleting else set())
    result.tracked = planned.tracked
    result.deleted = spec.deleting
    return result


def _entries(targets: set[tuple[str, int]]) -> list[str]:
    return [f"{i}:{p}" for i, p in sorted(targets)]
