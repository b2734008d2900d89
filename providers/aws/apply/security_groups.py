"""Executor of security group steps (ec2): create, allow/revoke ingress, delete; the same for the shared
backend security group and the rules from it on node/pod security groups."""

from __future__ import annotations

import threading

from lbctl.provider import Step

from ..clients import error_code
from .context import Context, Outputs, Request

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


_BACKEND_CREATION = threading.Lock()  # converges of several stacks in one process create it once


def execute(context: Context, step: Step, body: Request) -> Outputs:
    if step.kind == "BackendSecurityGroup" and step.operation == "CreateSecurityGroup":
        with _BACKEND_CREATION:
            created = _created_meanwhile(context, body)
            return {"GroupId": created} if created is not None else _send(context, step, body)
    return _send(context, step, body)


def _send(context: Context, step: Step, body: Request) -> Outputs:
    try:
        result = context.clients.call("ec2", step.operation, **body)
    except Exception as exc:
        code = error_code(exc)
        if step.kind == "NodeSecurityGroup" and code == ALREADY.get(step.operation):
            return {}
        if step.kind == "BackendSecurityGroup" and code == "InvalidGroup.Duplicate":
            created = _created_meanwhile(context, body)  # by a converge of another stack of the cluster
            if created is not None:
                return {"GroupId": created}
        raise
    return {"GroupId": result["GroupId"]} if step.operation == "CreateSecurityGroup" else {}


def _created_meanwhile(context: Context, body: Request) -> str | None:
    """The ID of the backend group of this name in this VPC when its tags say it is the cluster's."""
    wanted = {t["Key"]: t["Value"] for spec in body.get("TagSpecifications", []) for t in spec["Tags"]}
    found = context.clients.call(
        "ec2",
        "DescribeSecurityGroups",
        Filters=[
            {"Name": "group-name", "Values": [body["GroupName"]]},
            {"Name": "vpc-id", "Values": [body["VpcId"]]},
        ],
    )["SecurityGroups"]
    for group in found:
        tags = {t["Key"]: t.get("Value", "") for t in group.get("Tags", [])}
        if all(tags.get(k) == v for k, v in wanted.items() if k.startswith("elbv2.k8s.aws/")):
            return str(group["GroupId"])
    return None
