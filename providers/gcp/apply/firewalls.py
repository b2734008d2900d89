"""Firewall rules letting the health checkers reach the nodes or pods: created, updated in place, deleted."""

from __future__ import annotations

from lbctl.provider import Step

from ..clients import Compute
from .common import delete, insert, run, update

METHODS = {"insert": insert, "update": update, "delete": delete}


def execute(compute: Compute, step: Step) -> bool:
    return run(compute, step, METHODS)
