"""Firewall rules letting the health checkers reach the nodes or pods: created, updated in place, deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute
from .common import delete, insert, target, unknown, update


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return insert(compute, step)
    if method == "update":
        return update(compute, step)
    if method == "delete":
        return delete(compute, step)
    raise unknown(step)
