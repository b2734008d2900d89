"""Run a plan's Steps in order, each through the executor of its resource kind, resolving the Refs in its
body from the results of earlier steps. Nothing here decides what to change; the plan did.

What a step's failure means is decided here, the same for every kind: a rejected rule is stepped past (the
rest still converges, the failure is reported); a delete that AWS sees as still in use is retried for a
while; deleting the whole stack (`cleanup`) reports what could not be deleted and deletes the rest, except
that everything waits for the load balancer (its listeners use the target groups, certificates and the
security group). Anything else stops the converge.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

from lbctl.cloudcalls import note
from lbctl.model.services import ServiceSpec
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import Change, ProviderError, Ref, Secret, Step

from ..clients import AwsClients, error_code
from . import (
    certificates,
    dns,
    listeners,
    load_balancer,
    rules,
    security_groups,
    shield,
    tags,
    target_groups,
    targets,
    waf,
)
from .context import Context, Outputs, Request

EXECUTORS: dict[str, ModuleType] = {
    operation: module
    for module in (
        security_groups,
        certificates,
        dns,
        target_groups,
        load_balancer,
        waf,
        shield,
        listeners,
        rules,
        targets,
        tags,
    )
    for operation in module.OPERATIONS
}


class Applier:
    """Executes steps; keeps what took effect (`done`, `changes`), what was stepped past (`failures`) and what
    was left for a later converge (`warnings`)."""

    def __init__(
        self,
        clients: AwsClients,
        spec: LoadBalancerSpec | ServiceSpec,
        cleanup: bool = False,
        delete_retry_seconds: float = 30.0,
    ) -> None:
        self.context = Context(clients, spec)
        self.cleanup = cleanup
        self.delete_retry_seconds = delete_retry_seconds
        self.results: dict[str, Outputs] = {}
        self.done: list[Step] = []
        self.failures: list[ProviderError] = []
        self.warnings: list[str] = []
        self.complete = True  # every step took effect

    @property
    def changes(self) -> list[Change]:
        return [step.change() for step in self.done]

    def run(self, steps: list[Step]) -> None:
        held = False  # a load balancer of the stack could not be deleted: what it uses waits for it
        for step in steps:
            if held and step.kind != "LoadBalancer":
                continue
            module = EXECUTORS[step.operation]
            body = self.resolve(dict(step.body))
            busy: tuple[str, ...] = getattr(module, "BUSY", {}).get(step.operation, ())
            if busy:
                self._delete_when_free(step, module, body, busy)
                continue
            try:
                outputs = module.execute(self.context, step, body)
            except Exception as exc:
                note(exc, resource=f"{step.kind} {step.name}", field=step.field)
                error = self._user_fixable(exc)
                if error is not None and getattr(module, "may_step_past", lambda _: False)(step):
                    self.failures.append(error)
                    self.complete = False
                    continue
                if error is not None and self.cleanup and step.operation == "DeleteLoadBalancer":
                    self.failures.append(
                        _cleanup_error(
                            step,
                            str(error),
                            "fix what the cloud reports (e.g. turn "
                            "deletion protection off), or delete it by hand; its target "
                            "groups, security group and certificates wait for it",
                        )
                    )
                    self.complete = False
                    held = True
                    continue
                raise
            self.results[step.key] = outputs
            self.done.append(step)

    def resolve(self, value: Any) -> Any:
        """`value` with every Ref replaced by the result of its step and every Secret by what it holds."""
        if isinstance(value, Ref):
            outputs = self.results.get(value.step)
            if outputs is None or value.field not in outputs:
                raise RuntimeError(f"step {value.step!r} has not produced {value.field} yet")
            return outputs[value.field]
        if isinstance(value, Secret):
            return value.value
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _user_fixable(self, exc: BaseException) -> ProviderError | None:
        error = self.context.clients.caller.provider_error(exc)
        return error if error is not None and error.user_fixable else None

    def _delete_when_free(self, step: Step, module: ModuleType, body: Request, busy: tuple[str, ...]) -> None:
        """Delete something AWS may still see as in use for a moment; a warning if it stays busy (a later
        converge deletes it). In cleanup, a rejection the user must fix — still in use by something we do not
        own, any other 4xx — is kept in `failures` naming the resource."""
        deadline = time.monotonic() + self.delete_retry_seconds
        delay = 0.5
        while True:
            try:
                module.execute(self.context, step, body)
                self.results[step.key] = {}
                self.done.append(step)
                return
            except Exception as exc:
                note(exc, resource=f"{step.kind} {step.name}", field=step.field)
                code = error_code(exc)
                if code not in busy:
                    error = self._user_fixable(exc) if self.cleanup else None
                    if error is None:
                        raise
                    self.failures.append(
                        _cleanup_error(
                            step, str(error), "fix what the cloud reports, or delete the resource by hand"
                        )
                    )
                    self.complete = False
                    return
                if time.monotonic() + delay > deadline:
                    shared = step.kind == "BackendSecurityGroup"  # the cluster's, not this stack's
                    self.complete = self.complete and shared
                    if self.cleanup and not shared:
                        why = self._user_fixable(exc) or exc
                        self.failures.append(
                            _cleanup_error(
                                step,
                                str(why),
                                "remove what still uses it (something "
                                "lbctl does not own), or delete it by hand",
                            )
                        )
                    else:
                        self.warnings.append(
                            f"{step.kind} {step.name} is still in use ({code}); "
                            "it will be deleted by a later converge"
                        )
                    return
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _cleanup_error(step: Step, why: str, fix: str) -> ProviderError:
    """A resource of ours that could not be deleted: it keeps the finalizer until it is gone."""
    why = why.replace(f" for {step.kind} {step.name}", "")
    return ProviderError(
        f"{step.kind} {step.name} could not be deleted: {why}; {fix}. The finalizer stays until it is gone",
        user_fixable=True,
        cleanup=True,
    )
