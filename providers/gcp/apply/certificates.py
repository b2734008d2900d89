"""SSL certificates (from TLS Secrets): created and deleted, never updated; the content hash is in the name,
so a rotated certificate is a new one, attached before the old one is deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute
from .common import delete, insert, run

METHODS = {"insert": insert, "delete": delete}


def execute(compute: Compute, step: Step) -> bool:
    return run(compute, step, METHODS)
