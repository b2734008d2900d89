"""Executor of Route53 steps: the DNS validation records of the ACM certificates lbctl requests."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context

OPERATIONS = frozenset({"ChangeResourceRecordSets"})


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    context.clients.call("route53", step.operation, **body)
    return {}
