"""Firewall rules letting the health checkers reach the nodes or pods: created, updated in place, deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute

METHODS = {"insert": Compute.insert, "update": Compute.update, "delete": Compute.delete}


def execute(compute: Compute, step: Step) -> bool:
    return compute.run(step, METHODS)
