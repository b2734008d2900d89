"""Executor of target steps: register and deregister batches of targets."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset({"RegisterTargets", "DeregisterTargets"})


def execute(context: Context, step: Step, body: Request) -> Outputs:
    context.clients.call("elbv2", step.operation, **body)
    return {}
