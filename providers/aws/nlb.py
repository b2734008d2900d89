"""The L4 pipeline for Services of type LoadBalancer: translate → discover → plan → apply, beside the ALB
one and with the same executors (providers/aws/apply).

With a discovery TTL (`NlbMemory`), what a clean full converge left is kept: a converge whose desired NLB is
the same within the TTL reads only the stack's tags (one GetResources) and, when AWS still lists exactly
what was left, registers and deregisters the target difference; anything else is a full converge. The
subnets found for a scheme are shared by every Service within the TTL."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lbctl.provider import ConvergeResult, ServiceInput

from .apply import Applier
from .backend_sg import instance_targets, resolve_endpoints, rule_key, traffic_protocols
from .clients import AwsClients
from .discover import LB_TYPE, TG_TYPE, tagged_resources
from .naming import CLUSTER_TAG, STACK_TAG
from .network import find_subnets
from .nlb_discover import CurrentNlb, discover_nlb
from .nlb_plan import plan_nlb
from .nlb_translate import DesiredNlb, service_error, translate_nlb
from .plan import target_steps


@dataclass
class _Kept:
    at: float
    desired: str  # repr of the desired NLB without its targets
    resources: dict[str, dict[str, str]]  # ARN → tags, as GetResources lists the stack
    target_groups: dict[str, str]  # port key → ARN
    registered: dict[str, set[tuple[str, int]]]
    address: str | None
    opened: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # key → node SG → ports
    endpoints: dict[str, str] = field(default_factory=dict)  # target ID → the node/pod SG it sits behind
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # described instances' ENIs


@dataclass
class NlbMemory:
    """What converges of this process found (kept `ttl` seconds; 0 keeps nothing)."""

    ttl: float = 0.0
    clock: Any = time.monotonic
    stacks: dict[str, _Kept] = field(default_factory=dict)
    subnets: dict[tuple[tuple[str, ...], bool], tuple[float, list[dict[str, Any]]]] = field(
        default_factory=dict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_service(
    clients: AwsClients,
    cluster: str,
    vpc_id: str | None,
    stack: ServiceInput,
    apply: bool,
    delete_retry_seconds: float = 30.0,
    memory: NlbMemory | None = None,
    backend_sg: bool = True,
) -> ConvergeResult:
    """Plan (apply=False: reads only) or converge one Service's NLB; an empty spec deletes it (`backend_sg`:
    whether the controller runs with the shared backend security group)."""
    memory = memory or NlbMemory()
    spec = stack.spec
    desired = None if spec.empty else translate_nlb(spec, cluster, stack.targets, stack.known, backend_sg)
    if apply and desired is not None and memory.ttl > 0:
        fast = _targets_only(clients, cluster, desired, memory, spec, vpc_id)
        if fast is not None:
            return fast
    with memory.lock:
        memory.stacks.pop(spec.stack, None)
    ports = (
        frozenset(x.port for x in desired.listeners if x.attributes) if desired is not None else frozenset()
    )
    subnets: list[str] = []
    if desired is not None:
        found = _subnets(clients, cluster, vpc_id, desired, memory, spec)
        subnets = [s["SubnetId"] for s in found]
        vpc_id = vpc_id or found[0]["VpcId"]
        for key, values in desired.addresses.items():
            if len(values) != len(subnets):
                attribute = {
                    "AllocationId": "eip_allocations",
                    "PrivateIPv4Address": "private_ipv4",
                    "SourceNatIpv6Prefix": "source_nat_prefixes",
                }
                raise service_error(
                    spec,
                    attribute.get(key, "ipv6"),
                    f"{len(values)} address(es) for {len(subnets)} subnet(s) ({', '.join(subnets)}): give one "
                    "per subnet, in that order",
                )
    current = discover_nlb(
        clients,
        cluster,
        spec.stack,
        details=desired is not None,
        attribute_ports=ports,
        capacity=desired is not None and desired.capacity_units is not None,
        desired=desired,
        vpc_id=vpc_id,
        spec=spec,
    )
    planned = plan_nlb(desired, current, subnets, vpc_id)
    result = ConvergeResult(spec.stack, None, warnings=list(planned.warnings))
    if not apply:
        result.steps = list(planned.steps)
        result.changes = [s.change() for s in planned.steps]
        result.address = planned.address if isinstance(planned.address, str) else None
        result.deleted = desired is None and current.empty
        return result
    applier = Applier(clients, spec, cleanup=desired is None, delete_retry_seconds=delete_retry_seconds)
    applier.run(planned.steps)
    result.steps = list(applier.done)
    result.changes = applier.changes
    result.warnings.extend(applier.warnings)
    result.errors.extend(applier.failures)
    if desired is None:
        result.deleted = applier.complete or current.empty
        return result
    result.address = applier.resolve(planned.address)
    if memory.ttl > 0 and applier.complete and not result.warnings:
        _keep(clients, cluster, desired, current, applier, result, memory, planned.needs)
    return result


def _subnets(
    clients: AwsClients, cluster: str, vpc_id: str | None, desired: DesiredNlb, memory: NlbMemory, spec: Any
) -> list[dict[str, Any]]:
    key = (desired.subnets, desired.scheme == "internet-facing")
    now = memory.clock()
    with memory.lock:
        kept = memory.subnets.get(key)
    if kept is not None and now - kept[0] < memory.ttl:
        return kept[1]
    found = find_subnets(
        clients,
        list(desired.subnets),
        desired.scheme == "internet-facing",
        cluster,
        vpc_id,
        lambda message: service_error(spec, "subnets", message),
        min_zones=1,
        what="an NLB",
    )
    if memory.ttl > 0:
        with memory.lock:
            memory.subnets[key] = (now, found)
    return found


def _tagged(clients: AwsClients, cluster: str, stack: str) -> dict[str, dict[str, str]]:
    filters = [{"Key": CLUSTER_TAG, "Values": [cluster]}, {"Key": STACK_TAG, "Values": [stack]}]
    return tagged_resources(clients, filters, [LB_TYPE, TG_TYPE])


def _shape(desired: DesiredNlb) -> str:
    """The desired NLB without its targets (what a targets-only converge must find unchanged)."""
    groups = {
        k: (g.name, g.protocol, g.port, g.health_check, g.attributes, g.tags)
        for k, g in desired.target_groups.items()
    }
    return repr(
        (
            desired.name,
            desired.scheme,
            desired.ip_address_type,
            desired.subnets,
            desired.tags,
            desired.attributes,
            desired.capacity_units,
            desired.listeners,
            groups,
            desired.security_group,
            desired.security_group_refs,
            desired.security_groups_off,
            desired.backend,
        )
    )


def _keep(
    clients: AwsClients,
    cluster: str,
    desired: DesiredNlb,
    current: CurrentNlb,
    applier: Applier,
    result: ConvergeResult,
    memory: NlbMemory,
    needs: dict[str, dict[str, tuple[int, int]]],
) -> None:
    if applier.done:
        resources = _tagged(clients, cluster, desired.stack)
    else:
        resources = {lb["LoadBalancerArn"]: lb["Tags"] for lb in current.load_balancers}
        resources |= {tg["TargetGroupArn"]: tg["Tags"] for tg in current.target_groups}
    arns = {tg["TargetGroupName"]: tg["TargetGroupArn"] for tg in current.target_groups}
    for step in applier.done:
        if step.operation == "CreateTargetGroup":
            arns[step.name] = applier.results[step.key]["TargetGroupArn"]
    groups = {key: arns[g.name] for key, g in desired.target_groups.items() if g.name in arns}
    if len(groups) != len(desired.target_groups):
        return
    kept = _Kept(
        memory.clock(),
        _shape(desired),
        resources,
        groups,
        {key: set(g.targets) for key, g in desired.target_groups.items()},
        result.address,
        needs,
        dict(current.backend.endpoint_groups) if current.backend is not None else {},
        dict(current.backend.instances) if current.backend is not None else {},
    )
    with memory.lock:
        memory.stacks[desired.stack] = kept


def _targets_only(
    clients: AwsClients, cluster: str, desired: DesiredNlb, memory: NlbMemory, spec: Any, vpc_id: str | None
) -> ConvergeResult | None:
    with memory.lock:
        kept = memory.stacks.get(desired.stack)
    if kept is None or memory.clock() - kept.at >= memory.ttl or kept.desired != _shape(desired):
        return None
    if desired.backend is not None and not _opened_for(clients, cluster, desired, kept, vpc_id):
        return None  # a new target sits behind a security group the node rules do not open to it yet
    if _tagged(clients, cluster, desired.stack) != kept.resources:
        return None  # something of ours went away, appeared or was retagged: look at everything
    result = ConvergeResult(desired.stack, kept.address)
    applier = Applier(clients, spec)
    try:
        for key, want in desired.target_groups.items():
            have = kept.registered[key]
            if want.known is not None:
                have = {pair for pair in have if pair[0] in want.known}
            applier.run(target_steps(want.name, kept.target_groups[key], have, set(want.targets)))
            kept.registered[key] = set(want.targets)
    except BaseException:
        with memory.lock:
            memory.stacks.pop(desired.stack, None)
        raise
    result.steps = list(applier.done)
    result.changes = applier.changes
    return result


def _opened_for(
    clients: AwsClients, cluster: str, desired: DesiredNlb, kept: _Kept, vpc_id: str | None
) -> bool:
    """Whether the node rules of the last full converge already let the backend group reach every new target
    (its ENI's security group, looked up once, within the range its target group needs there)."""
    new = {key: wanted - kept.registered.get(key, set()) for key, wanted in desired.targets.items()}
    unknown = sorted({target for pairs in new.values() for target, _ in pairs} - set(kept.endpoints))
    if unknown:
        found, unresolved = resolve_endpoints(
            clients,
            cluster,
            unknown,
            instance_targets(desired.target_groups, new),
            desired.target_instances,
            vpc_id,
            kept.instances,
        )
        if unresolved:
            return False
        kept.endpoints.update(found)
    for key, pairs in new.items():
        protocols = traffic_protocols(desired.target_groups[key].protocol)
        for target, port in pairs:
            for protocol in protocols:
                opened = kept.opened.get(key, {}).get(rule_key(kept.endpoints.get(target, ""), protocol))
                if opened is None or not opened[0] <= port <= opened[1]:
                    return False
    return True
