"""Executor of target group steps: create, health check, attributes, delete."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset(
    {"CreateTargetGroup", "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup"}
)
BUSY = {"DeleteTargetGroup": ("ResourceInUse",)}  # still used by a listener or rule being deleted


def execute(context: Context, step: Step, body: Request) -> Outputs:
    result = context.clients.call("elbv2", step.operation, **body)
    if step.operation == "CreateTargetGroup":
        return {"TargetGroupArn": result["TargetGroups"][0]["TargetGroupArn"]}
    return {}
