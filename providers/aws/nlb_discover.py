"""What AWS holds of one Service's NLB stack, found by our ownership tags only (reads only): the NLB with
its attributes and listeners, the target groups with their attributes and registered targets, and the
subnets the NLB should be in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clients import AwsClients
from .discover import LB_TYPE, TG_TYPE, capacity_units, stack_load_balancers


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

    @property
    def empty(self) -> bool:
        return not (self.load_balancers or self.target_groups)


def discover_nlb(
    clients: AwsClients,
    cluster: str,
    stack: str,
    details: bool,
    attribute_ports: frozenset[int] = frozenset(),
    capacity: bool = False,
) -> CurrentNlb:
    """Everything tagged as `stack` of `cluster`; with `details` also what a plan compares with (the
    attributes of the listeners on `attribute_ports`, those some are set on; the certificates of the TLS
    listeners; with `capacity` the capacity reservation)."""
    _, lbs, tgs = stack_load_balancers(clients, cluster, stack, [LB_TYPE, TG_TYPE])
    current = CurrentNlb()
    current.load_balancers.extend(lbs)
    current.target_groups.extend(tgs)
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
