"""Executor of listener rule steps: create, rewrite, reorder, delete."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset({"CreateRule", "ModifyRule", "DeleteRule", "SetRulePriorities"})


def may_step_past(step: Step) -> bool:
    """A rule created or rewritten in full is something nothing later depends on: when AWS rejects it for a
    reason the user can fix, the failure is reported and the rest of the stack still converges. Re-sending
    only the actions (a rotated OIDC client secret) is followed by the fingerprint tag saying it was sent, so
    its failure stops the converge."""
    return step.operation == "CreateRule" or (step.operation == "ModifyRule" and "Conditions" in step.body)


def execute(context: Context, step: Step, body: Request) -> Outputs:
    context.clients.call("elbv2", step.operation, **body)
    return {}
