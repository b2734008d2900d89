"""SSL certificates (from TLS Secrets): created and deleted, never updated; the content hash is in the name,
so a rotated certificate is a new one, attached before the old one is deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute

METHODS = {"insert": Compute.insert, "delete": Compute.delete}


def execute(compute: Compute, step: Step) -> bool:
    return compute.run(step, METHODS)
