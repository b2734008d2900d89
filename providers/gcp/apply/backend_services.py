"""Backend services: created, updated in place (fingerprinted), their Cloud Armor policy set, deleted."""

from __future__ import annotations

from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import Compute


def set_security_policy(compute: Compute, step: Step) -> bool:
    request = compute_v1.SecurityPolicyReference(security_policy=step.body.get("securityPolicy") or None)
    compute.mutate(
        "backendServices",
        "setSecurityPolicy",
        backend_service=step.name,
        security_policy_reference_resource=request,
    )
    return True


METHODS = {
    "insert": Compute.insert,
    "update": Compute.update,
    "setSecurityPolicy": set_security_policy,
    "delete": Compute.delete,
}


def execute(compute: Compute, step: Step) -> bool:
    return compute.run(step, METHODS)
