"""Executor of Route53 steps: the DNS validation records of the ACM certificates lbctl requests."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset({"ChangeResourceRecordSets"})


def execute(context: Context, step: Step, body: Request) -> Outputs:
    context.clients.call("route53", step.operation, **body)
    return {}
