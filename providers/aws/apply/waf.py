"""Executor of WAFv2 steps: associate or disassociate the web ACL of a load balancer."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context, send

OPERATIONS = frozenset({"AssociateWebACL", "DisassociateWebACL"})


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    send(context, "wafv2", step, body)
    return {}
