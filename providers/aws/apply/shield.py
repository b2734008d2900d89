"""Executor of Shield Advanced steps: protect a load balancer, or remove the protection we created."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset({"CreateProtection", "DeleteProtection"})


def execute(context: Context, step: Step, body: Request) -> Outputs:
    context.clients.call("shield", step.operation, **body)
    return {}
