"""Backend services: created, updated in place (fingerprinted), their Cloud Armor policy set, deleted."""

from __future__ import annotations

from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import Compute
from .common import delete, insert, target, unknown, update


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return insert(compute, step)
    if method == "update":
        return update(compute, step)
    if method == "setSecurityPolicy":
        request = compute_v1.SecurityPolicyReference(security_policy=step.body.get("securityPolicy") or None)
        compute.mutate(
            "backendServices",
            "setSecurityPolicy",
            backend_service=step.name,
            security_policy_reference_resource=request,
        )
        return True
    if method == "delete":
        return delete(compute, step)
    raise unknown(step)
