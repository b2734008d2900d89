"""What AWS holds of one Service's NLB stack, found by our ownership tags only (reads only): the NLB with
its attributes and listeners, the target groups with their attributes and registered targets, the managed
frontend security group, the security groups the Service names, and the shared backend security group with
the node/pod security group rules (providers/aws/backend_sg.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .backend_sg import BackendView, discover_backend, instance_targets
from .clients import AwsClients
from .discover import LB_TYPE, TG_TYPE, capacity_units, stack_load_balancers, stack_security_groups
from .naming import parse_node_sg_tags
from .network import find_security_groups
from .nlb_translate import DesiredNlb, service_error


@dataclass
class CurrentNlb:
    load_balancers: list[dict[str, Any]] = field(default_factory=list)  # each with "Tags"
    target_groups: list[dict[str, Any]] = field(default_factory=list)  # each with "Tags"
    listeners: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # LB ARN → listeners
    lb_attributes: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # LB ARN → attributes
    tg_attributes: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # TG ARN → attributes
    targets: dict[str, set[tuple[str, int]]] = field(default_factory=dict)  # TG ARN → registered
    listener_attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # listener ARN → attributes
    # TLS listener ARN → DescribeListenerCertificates (the default one and the certificate list)
    listener_certificates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    capacity: dict[str, int | None] = field(default_factory=dict)  # LB ARN → reserved units (read if managed)
    security_groups: list[dict[str, Any]] = field(default_factory=list)  # ours (the managed frontend one)
    security_group_ids: list[str] = field(default_factory=list)  # those the Service names, resolved
    backend: BackendView | None = None  # the backend group and node rules (None: the stack has no stake)

    @property
    def empty(self) -> bool:
        return not (self.load_balancers or self.target_groups or self.security_groups)


def discover_nlb(
    clients: AwsClients,
    cluster: str,
    stack: str,
    details: bool,
    attribute_ports: frozenset[int] = frozenset(),
    capacity: bool = False,
    desired: DesiredNlb | None = None,
    vpc_id: str | None = None,
    spec: Any = None,
) -> CurrentNlb:
    """Everything tagged as `stack` of `cluster`; with `details` also what a plan compares with (the
    attributes of the listeners on `attribute_ports`, those some are set on; the certificates of the TLS
    listeners; with `capacity` the capacity reservation). With `desired` (or to delete: `details` False),
    the security groups and the backend rules too (`spec`: the Service's, to name its fields in errors)."""
    _, lbs, tgs = stack_load_balancers(clients, cluster, stack, [LB_TYPE, TG_TYPE])
    current = CurrentNlb()
    current.load_balancers.extend(lbs)
    current.target_groups.extend(tgs)
    current.security_groups = stack_security_groups(clients, cluster, stack)
    _security(clients, cluster, stack, desired, vpc_id, spec, current)
    if details:
        describe_details(clients, current, attribute_ports, capacity)
    return current


def describe_details(
    clients: AwsClients,
    current: CurrentNlb,
    attribute_ports: frozenset[int] = frozenset(),
    capacity: bool = False,
) -> None:
    """What a plan compares with: listeners (the attributes of those on `attribute_ports`, the certificates
    of the TLS ones), load balancer attributes (with `capacity` its capacity reservation), target group
    attributes, registered targets."""
    for lb in current.load_balancers:
        arn = lb["LoadBalancerArn"]
        current.listeners[arn] = clients.pages("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=arn)
        for listener in current.listeners[arn]:
            if int(listener["Port"]) in attribute_ports:
                found = clients.call(
                    "elbv2", "DescribeListenerAttributes", ListenerArn=listener["ListenerArn"]
                )
                current.listener_attributes[listener["ListenerArn"]] = {
                    x["Key"]: x["Value"] for x in found["Attributes"]
                }
            if listener.get("Protocol") == "TLS":
                current.listener_certificates[listener["ListenerArn"]] = clients.pages(
                    "elbv2",
                    "DescribeListenerCertificates",
                    "Certificates",
                    ListenerArn=listener["ListenerArn"],
                )
        if capacity:
            current.capacity[arn] = capacity_units(clients, arn)
        current.lb_attributes[arn] = clients.call(
            "elbv2", "DescribeLoadBalancerAttributes", LoadBalancerArn=arn
        )["Attributes"]
    for tg in current.target_groups:
        arn = tg["TargetGroupArn"]
        current.tg_attributes[arn] = clients.call(
            "elbv2", "DescribeTargetGroupAttributes", TargetGroupArn=arn
        )["Attributes"]
        health = clients.call("elbv2", "DescribeTargetHealth", TargetGroupArn=arn)["TargetHealthDescriptions"]
        current.targets[arn] = {
            (d["Target"]["Id"], int(d["Target"]["Port"]))
            for d in health
            if d.get("TargetHealth", {}).get("State") != "draining"
        }


def _security(
    clients: AwsClients,
    cluster: str,
    stack: str,
    desired: DesiredNlb | None,
    vpc_id: str | None,
    spec: Any,
    current: CurrentNlb,
) -> None:
    """The security groups the Service names (resolved to IDs) and the backend view: when the Service wants
    the backend group, or a target group of ours records node rules, or the stack is deleted with an NLB or
    a managed security group left (a converge stopped before its target groups recorded its rules)."""
    if desired is not None and desired.security_group_refs:
        current.security_group_ids = find_security_groups(
            clients,
            list(desired.security_group_refs),
            vpc_id or "",
            lambda message: service_error(spec, "security_groups", message),
        )
    wants = desired is not None and desired.backend is not None
    recorded = any(parse_node_sg_tags(tg["Tags"]) for tg in current.target_groups)
    leftovers = current.load_balancers or current.security_groups
    if not (wants or recorded or (desired is None and leftovers)):
        return
    targets = desired.targets if desired is not None and wants else {}
    by_instance = instance_targets(desired.target_groups, targets) if desired is not None else set()
    current.backend = discover_backend(
        clients,
        cluster,
        stack,
        vpc_id,
        targets,
        by_instance,
        desired.target_instances if desired is not None else {},
        health_check_ports=desired.backend.health_check_ports
        if desired is not None and desired.backend
        else {},
    )
