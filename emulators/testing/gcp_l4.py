"""GKE Services of type LoadBalancer for the Compute emulator: a Service (Internal, l4-rbs or by class) with the
documented example's nodes, built through the real model into its ServiceInput."""

from __future__ import annotations

from typing import Any

import yaml

from lbctl.model.services import build_services
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ServiceInput

from .gcp_stacks import example_objects

INTERNAL = {"networking.gke.io/load-balancer-type": "Internal"}
RBS = {"cloud.google.com/l4-rbs": "enabled"}


def gke_service(
    annotations: dict[str, str],
    ports: list[dict[str, Any]] | None = None,
    name: str = "loki",
    **spec: Any,
) -> dict[str, Any]:
    """A Service of type LoadBalancer in `default` with these annotations, ports and spec fields."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "annotations": dict(annotations)},
        "spec": {
            "type": "LoadBalancer",
            "selector": {"app": name},
            "ports": ports or [{"name": "http", "port": 3100, "targetPort": 3100, "nodePort": 30100}],
            **spec,
        },
    }


def nodes() -> list[dict[str, Any]]:
    return [o for o in example_objects() if o["kind"] == "Node"]


def outcome_of(service: dict[str, Any]) -> Any:
    snapshot = ClusterSnapshot.from_objects([service, *nodes()])
    outcomes = build_services(snapshot, "gcp")
    assert len(outcomes) == 1, outcomes
    return next(iter(outcomes.values())), snapshot


def l4_input(service: dict[str, Any] | str) -> ServiceInput:
    """The ServiceInput of one GKE Service (a dict or YAML), with the example's nodes as its targets."""
    manifest = yaml.safe_load(service) if isinstance(service, str) else service
    outcome, snapshot = outcome_of(manifest)
    assert outcome.spec is not None, outcome.problems
    return ServiceInput.from_snapshot(outcome.spec, snapshot)
