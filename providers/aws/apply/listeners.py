"""Executor of listener steps: create, modify, SNI certificates, delete."""

from __future__ import annotations

from lbctl.provider import Step

from .context import Context, Outputs, Request

OPERATIONS = frozenset(
    {
        "CreateListener",
        "ModifyListener",
        "DeleteListener",
        "AddListenerCertificates",
        "RemoveListenerCertificates",
        "ModifyListenerAttributes",
    }
)


def execute(context: Context, step: Step, body: Request) -> Outputs:
    result = context.clients.call("elbv2", step.operation, **body)
    if step.operation == "CreateListener":
        return {"ListenerArn": result["Listeners"][0]["ListenerArn"]}
    return {}
