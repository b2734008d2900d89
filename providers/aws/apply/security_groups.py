"""Executor of security group steps (ec2): create, allow/revoke ingress, delete; the same for the shared
backend security group and the rules from it on node/pod security groups."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from ..clients import error_code
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


# A node rule (one permission per call) another converge of the cluster already added or revoked is done.
ALREADY = {
    "AuthorizeSecurityGroupIngress": "InvalidPermission.Duplicate",
    "RevokeSecurityGroupIngress": "InvalidPermission.NotFound",
}


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    try:
        result = send(context, "ec2", step, body)
    except Exception as exc:
        if step.kind == "NodeSecurityGroup" and error_code(exc) == ALREADY.get(step.operation):
            return {}
        raise
    return {"GroupId": result["GroupId"]} if step.operation == "CreateSecurityGroup" else {}
