"""Executor of tag steps on ELB resources (load balancers, target groups, listeners, rules)."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import TAGS_FIELD, error_code
from ..translate import stack_error
from .context import Context, Outputs, Request

OPERATIONS = frozenset({"AddTags", "RemoveTags"})


def execute(context: Context, step: Step, body: Request) -> Outputs:
    try:
        context.clients.call("elbv2", step.operation, **body)
    except Exception as exc:
        if step.operation != "AddTags" or error_code(exc) != "TooManyTags":
            raise
        raise stack_error(
            context.spec,
            TAGS_FIELD,
            f"AWS refused more tags on {step.kind} {step.name} (TooManyTags); set fewer tags",
        ) from None
    return {}
