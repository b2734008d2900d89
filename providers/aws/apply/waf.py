"""Executor of web ACL steps: associate or disassociate the WAFv2 (or WAF Classic) web ACL of a load balancer."""

from __future__ import annotations

from lbctl.provider import Step

from ..naming import WAF_CLASSIC_KIND
from .context import Context, Outputs, Request

OPERATIONS = frozenset({"AssociateWebACL", "DisassociateWebACL"})


def execute(context: Context, step: Step, body: Request) -> Outputs:
    context.clients.call("waf-regional" if step.kind == WAF_CLASSIC_KIND else "wafv2", step.operation, **body)
    return {}
