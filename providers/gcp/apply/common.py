"""What every executor shares: which collection and method a Step calls, its body made ready to send (secrets
revealed), and the tolerant insert, delete and fingerprinted update.

Tolerant of a previous crash or a lost response: an insert that finds the resource (409) and a delete that
finds nothing (404) count as done, but report that the cloud was not as planned (False), so a kept
discovery is dropped. Fingerprinted calls re-read the fingerprint and retry once on 412.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from google.api_core import exceptions

from lbctl.provider import Secret, Step

from ..clients import COLLECTIONS, Compute, from_dict, to_dict

FINGERPRINTS = ("fingerprint", "labelFingerprint")
IN_USE = {"resourceInUseByAnotherResource", "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"}


def target(step: Step) -> tuple[str, str]:
    """(collection, method) of the call a step makes, from its `operation` ("backendServices.insert")."""
    collection, _, method = step.operation.partition(".")
    return collection, method


def reveal(value: Any) -> Any:
    """A body as sent: every Secret replaced by its value (only here, right before the call)."""
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def insert(compute: Compute, step: Step) -> bool:
    """Create the resource with the step's body; 409 (an earlier attempt's lost response) counts as done."""
    collection, _ = target(step)
    spec = COLLECTIONS[collection]
    try:
        compute.mutate(
            collection,
            "insert",
            step.where,
            **{spec.resource_arg: from_dict(spec.message, reveal(dict(step.body)))},
        )
    except exceptions.Conflict:
        return False  # the next converge compares it
    return True


def delete(compute: Compute, step: Step) -> bool:
    """Delete the resource; 404 (already gone) counts as done."""
    collection, _ = target(step)
    try:
        compute.mutate(collection, "delete", step.where, **{COLLECTIONS[collection].name_arg: step.name})
    except exceptions.NotFound:
        return False
    return True


def update(compute: Compute, step: Step) -> bool:
    """Replace the resource with the step's body (a PUT), under the fingerprint read at discovery."""
    collection, _ = target(step)
    spec = COLLECTIONS[collection]

    def put(fingerprint: str | None) -> None:
        body = {k: v for k, v in step.body.items() if k != "fingerprint"}
        if fingerprint:
            body["fingerprint"] = fingerprint
        compute.mutate(
            collection,
            "update",
            step.where,
            **{spec.name_arg: step.name, spec.resource_arg: from_dict(spec.message, body)},
        )

    with_fingerprint(compute, step, put)
    return True


def with_fingerprint(
    compute: Compute, step: Step, action: Callable[[str | None], None], field_name: str = "fingerprint"
) -> None:
    """Call `action(fingerprint)` with the fingerprint in the step's body (read at discovery); on 412 (changed
    meanwhile) read it again and retry once."""
    try:
        action(step.body.get(field_name) or None)
    except exceptions.PreconditionFailed:
        action(read(compute, step).get(field_name))


def read(compute: Compute, step: Step) -> dict[str, Any]:
    collection, _ = target(step)
    kwargs: dict[str, Any] = {COLLECTIONS[collection].name_arg: step.name}
    if step.where:
        kwargs["zone"] = step.where
    return to_dict(compute.call(collection, "get", **kwargs))


def unknown(step: Step) -> ValueError:
    return ValueError(f"no executor for {step.operation}")  # plan makes only the calls the executors know


Method = Callable[["Compute", Step], bool]


def run(compute: Compute, step: Step, methods: Mapping[str, Method]) -> bool:
    """Execute `step` with the method its operation names (`insert`, `update`, `delete`, `setX`, …)."""
    method = methods.get(target(step)[1])
    if method is None:
        raise unknown(step)
    return method(compute, step)
