"""Executor of load balancer steps: create, subnets, security groups, IP address type, attributes, delete."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

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


def execute(context: Context, step: Step, body: Request) -> Outputs:
    result = context.clients.call("elbv2", step.operation, **body)
    if step.operation == "CreateLoadBalancer":
        created = result["LoadBalancers"][0]
        return {"LoadBalancerArn": created["LoadBalancerArn"], "DNSName": created.get("DNSName")}
    return {}
