"""Executor of target steps: register and deregister batches of targets."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context

OPERATIONS = frozenset({"RegisterTargets", "DeregisterTargets"})


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    context.clients.call("elbv2", step.operation, **body)
    return {}
