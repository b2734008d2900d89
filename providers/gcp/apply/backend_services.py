"""Backend services: created, updated in place (fingerprinted), their Cloud Armor policy set, their Cloud CDN
signing keys added and removed, deleted."""

from __future__ import annotations

from google.api_core import exceptions
from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import Compute, reveal


def set_security_policy(compute: Compute, step: Step) -> bool:
    request = compute_v1.SecurityPolicyReference(security_policy=step.body.get("securityPolicy") or None)
    compute.mutate(
        "backendServices",
        "setSecurityPolicy",
        step.where,
        backend_service=step.name,
        security_policy_reference_resource=request,
    )
    return True


def add_signed_url_key(compute: Compute, step: Step) -> bool:
    """Add one signing key; its name already there (an earlier attempt's lost response) counts as done, not
    as planned, so the next converge reads the service again."""
    key = compute_v1.SignedUrlKey(key_name=step.body["keyName"], key_value=reveal(step.body["keyValue"]))
    try:
        compute.mutate(
            "backendServices", "addSignedUrlKey", backend_service=step.name, signed_url_key_resource=key
        )
    except exceptions.BadRequest as err:
        if "already exists" not in str(err.message):
            raise
        return False
    return True


def delete_signed_url_key(compute: Compute, step: Step) -> bool:
    """Remove one signing key; already gone counts as done, not as planned."""
    try:
        compute.mutate(
            "backendServices", "deleteSignedUrlKey", backend_service=step.name, key_name=step.body["keyName"]
        )
    except exceptions.BadRequest as err:
        if "does not exist" not in str(err.message):
            raise
        return False
    return True


METHODS = {
    "insert": Compute.insert,
    "update": Compute.update,
    "setSecurityPolicy": set_security_policy,
    "addSignedUrlKey": add_signed_url_key,
    "deleteSignedUrlKey": delete_signed_url_key,
    "delete": Compute.delete,
}


def execute(compute: Compute, step: Step) -> bool:
    return compute.run(step, METHODS)
