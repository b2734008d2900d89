"""The frontend NLB of an ALB stack (aws-load-balancer-controller's enable-frontend-nlb), built from the NLB
pieces Services use: translate (a DesiredNlb whose target groups are of type `alb`, TCP, on the ALB listen
port), discover (the stack's resources tagged with the frontend roles, apart from the ALB's), plan
(nlb_plan, with the ALB registered in each target group) and the same executors.

Order in the stack's plan: the ALB's steps, then the NLB's (the ALB must exist to be registered), except that
the ALB (or port) leaving a target group is deregistered first, before the ALB's steps may delete that ALB or
its listener; deleting the stack, the NLB and its target groups go first (the ALB is their target)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.nlb import NlbHealthCheck
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import Ref, Step

from .clients import AwsClients
from .discover import CurrentStack
from .naming import (
    ROLE_FRONTEND_LISTENER,
    ROLE_FRONTEND_NLB,
    ROLE_FRONTEND_TARGET_GROUP,
    _readable,
    ownership_tags,
    short_hash,
    target_group_name,
    user_tags,
)
from .network import find_subnets, resolve_security_groups
from .nlb_discover import CurrentNlb, describe_details
from .nlb_plan import plan_nlb
from .nlb_translate import DesiredNlb, DesiredNlbListener, DesiredNlbTargetGroup, health_check_body
from .plan import Plan, target_steps
from .translate import DesiredLoadBalancer, stack_error

NLB_IP_ADDRESS_TYPES = ("ipv4", "dualstack")


@dataclass
class FrontendPlan:
    steps: list[Step] = field(default_factory=list)
    address: str | Ref | None = None
    warnings: list[str] = field(default_factory=list)


def frontend_nlb_name(alb_name: str, eips: list[str]) -> str:
    """The ALB's name (first 28 characters) + `-nlb`, as the anchor names it; with Elastic IPs (fixed at
    creation) a hash of them too, so that other EIPs make another NLB."""
    if eips:
        return f"{alb_name[:21]}-{short_hash(*eips, length=6)}-nlb"
    return f"{alb_name[:28]}-nlb"


def translate_frontend(spec: LoadBalancerSpec, cluster: str, alb: DesiredLoadBalancer) -> DesiredNlb | None:
    """The frontend NLB the spec asks for (None: none); its target groups' targets are set when planning."""
    want = spec.frontend.frontend_nlb
    if want is None:
        return None
    if alb.ip_address_type not in NLB_IP_ADDRESS_TYPES:
        raise stack_error(
            spec,
            spec.field_of("frontend.ip_address_type"),
            f"the frontend NLB takes the ALB's IP address type, and an NLB cannot be {alb.ip_address_type}: "
            f"use {' or '.join(NLB_IP_ADDRESS_TYPES)}",
        )
    tags = dict(want.tags) if want.tags is not None else user_tags(alb.tags)
    check = want.health_check
    body = health_check_body(
        NlbHealthCheck(
            protocol=str(check.protocol),
            port=check.port if check.port is not None else "traffic-port",
            path=check.path,
            interval=int(check.interval_seconds or 0),
            timeout=int(check.timeout_seconds or 0),
            healthy=int(check.healthy_threshold or 0),
            unhealthy=int(check.unhealthy_threshold or 0),
            success_codes=check.success_codes,
        )
    )
    namespace, name = _readable(spec.stack)
    groups: dict[str, DesiredNlbTargetGroup] = {}
    listeners: list[DesiredNlbListener] = []
    for listener in want.listeners:
        key = str(listener.port)
        groups[key] = DesiredNlbTargetGroup(
            key=key,
            name=target_group_name(
                cluster, spec.stack, "frontend-nlb:" + key, namespace, name, ("alb", listener.alb_port)
            ),
            protocol="TCP",
            port=listener.alb_port,
            target_type="alb",
            health_check=body,
            attributes={},
            tags={**tags, **ownership_tags(cluster, spec.stack, ROLE_FRONTEND_TARGET_GROUP + key)},
        )
        listeners.append(
            DesiredNlbListener(
                listener.port,
                "TCP",
                key,
                {**tags, **ownership_tags(cluster, spec.stack, ROLE_FRONTEND_LISTENER + key)},
            )
        )
    return DesiredNlb(
        stack=spec.stack,
        name=frontend_nlb_name(alb.name, want.eip_allocations),
        scheme=want.scheme,
        ip_address_type=alb.ip_address_type,
        subnets=tuple(want.subnets),
        tags={**tags, **ownership_tags(cluster, spec.stack, ROLE_FRONTEND_NLB)},
        attributes=dict(want.attributes),
        listeners=listeners,
        target_groups=groups,
        addresses={"AllocationId": tuple(want.eip_allocations)} if want.eip_allocations else {},
        security_groups=tuple(want.security_groups),
    )


def current_frontend(clients: AwsClients, current: CurrentStack, details: bool) -> CurrentNlb:
    """What the stack's discovery found of the frontend NLB; with `details` also what its plan compares."""
    found = CurrentNlb(list(current.frontend_load_balancers), list(current.frontend_target_groups))
    if details:
        describe_details(clients, found)
    return found


def plan_frontend(
    clients: AwsClients,
    cluster: str,
    spec: LoadBalancerSpec,
    desired: DesiredNlb | None,
    current: CurrentStack,
    alb: Plan,
) -> FrontendPlan:
    """Discover (subnets, security groups, the NLB's details) and plan the frontend NLB; None desired, or
    no ALB: delete whatever of it exists."""
    have = current_frontend(clients, current, details=desired is not None)
    if desired is None or alb.load_balancer_arn is None:
        if have.empty:
            return FrontendPlan()
        planned = plan_nlb(None, have, [], None)
        return FrontendPlan(planned.steps, None, planned.warnings)
    vpc_id = current.vpc_id
    found = find_subnets(
        clients,
        list(desired.subnets),
        desired.scheme == "internet-facing",
        cluster,
        vpc_id,
        lambda message: stack_error(spec, spec.field_of("frontend_nlb.subnets"), message),
        min_zones=1,
        what="the frontend NLB",
    )
    subnets = [s["SubnetId"] for s in found]
    eips = desired.addresses.get("AllocationId", ())
    if eips and len(eips) != len(subnets):
        raise stack_error(
            spec,
            spec.field_of("frontend_nlb.eip_allocations"),
            f"{len(eips)} Elastic IP(s) for {len(subnets)} subnet(s) ({', '.join(subnets)}): give one per "
            "subnet, in that order (or name the subnets with frontend-nlb-subnets)",
        )
    refs = list(desired.security_groups or ())
    groups: list[Any] = (
        resolve_security_groups(
            clients, spec, str(vpc_id), refs, spec.field_of("frontend_nlb.security_groups")
        )
        if refs
        else list(alb.security_groups)
    )
    # the ALB, on its listen port: its ARN, or the Ref of the step creating it (the Applier resolves it)
    alb_target: Any = alb.load_balancer_arn
    wanted = dataclasses.replace(
        desired,
        security_groups=tuple(groups),
        target_groups={
            key: dataclasses.replace(group, targets=frozenset({(alb_target, group.port)}))
            for key, group in desired.target_groups.items()
        },
    )
    planned = plan_nlb(wanted, have, subnets, vpc_id)
    leaving = [  # a target group going away lets the ALB go first (before the ALB's steps drop its listener)
        step
        for gone in planned.steps
        if gone.operation == "DeleteTargetGroup"
        for step in target_steps(
            gone.name,
            gone.body["TargetGroupArn"],
            have.targets.get(gone.body["TargetGroupArn"], set()),
            set(),
        )
    ]
    return FrontendPlan(leaving + planned.steps, planned.address, planned.warnings)


def ordered_with_frontend(alb: list[Step], front: list[Step], deleting: bool) -> list[Step]:
    """The stack's steps: see the module's docstring for the order."""
    if deleting:
        return front + alb
    leaving = [s for s in front if s.operation == "DeregisterTargets"]
    return leaving + alb + [s for s in front if s.operation != "DeregisterTargets"]
