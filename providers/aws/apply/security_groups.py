"""Executor of security group steps (ec2): create, allow/revoke ingress, delete."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context, send

OPERATIONS = frozenset(
    {
        "CreateSecurityGroup",
        "AuthorizeSecurityGroupIngress",
        "RevokeSecurityGroupIngress",
        "DeleteSecurityGroup",
    }
)
BUSY = {"DeleteSecurityGroup": ("DependencyViolation",)}  # still used by a load balancer being deleted


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    result = send(context, "ec2", step, body)
    return {"GroupId": result["GroupId"]} if step.operation == "CreateSecurityGroup" else {}
