"""Executor of Shield Advanced steps: protect a load balancer, or remove the protection we created."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .context import Context

OPERATIONS = frozenset({"CreateProtection", "DeleteProtection"})


def execute(context: Context, step: Step, body: dict[str, Any]) -> dict[str, Any]:
    context.clients.call("shield", step.operation, **body)
    return {}
