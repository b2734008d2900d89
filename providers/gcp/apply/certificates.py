"""SSL certificates (from TLS Secrets): created and deleted, never updated; the content hash is in the name,
so a rotated certificate is a new one, attached before the old one is deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute
from .common import delete, insert, target, unknown


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return insert(compute, step)
    if method == "delete":
        return delete(compute, step)
    raise unknown(step)
