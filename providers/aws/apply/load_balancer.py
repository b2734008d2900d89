"""Executor of load balancer steps: create, subnets, security groups, IP address type, attributes, delete."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context

OPERATIONS = frozenset(
    {
        "CreateLoadBalancer",
        "DeleteLoadBalancer",
        "SetSubnets",
        "SetSecurityGroups",
        "SetIpAddressType",
        "ModifyLoadBalancerAttributes",
        "ModifyIpPools",
        "ModifyCapacityReservation",
    }
)


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    result = context.clients.call("elbv2", step.operation, **body)
    if step.operation == "CreateLoadBalancer":
        created = result["LoadBalancers"][0]
        return {"LoadBalancerArn": created["LoadBalancerArn"], "DNSName": created.get("DNSName")}
    return {}
