"""Google Cloud stacks on the Compute emulator: the documented two-service example as objects, its spec built
through the real model, the cluster's nodes, and what of lbctl's the emulator holds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from lbctl.model import annotations as a
from lbctl.model.builder import BuildConfig, build
from lbctl.model.services import build_services
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ServiceInput, StackInput

PROJECT = "lbctl-demo"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "two-services-gce.yaml"
NODES = {
    "gke-shop-pool-a-1": "us-central1-a",
    "gke-shop-pool-b-1": "us-central1-b",
    "gke-shop-pool-c-1": "us-central1-c",
}


def example_objects() -> list[dict[str, Any]]:
    """The documented example, as dicts tests may modify."""
    return [copy.deepcopy(d) for d in yaml.safe_load_all(EXAMPLE.read_text()) if d]


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def stack_from(objects: list[dict[str, Any]], **build_kwargs: Any) -> StackInput:
    """Build the one spec of these manifests through the real model, with its targets and TLS material."""
    snapshot = ClusterSnapshot.from_objects(objects)
    result = build(snapshot, BuildConfig.for_provider("gcp", **build_kwargs))
    assert not [p for p in result.problems if p.severity.name == "ERROR"], result.problems
    specs = result.specs
    assert len(specs) == 1, specs
    return StackInput.from_snapshot(specs[0], snapshot)


def wait(clients: Clients, op: Any) -> None:
    from providers.gcp.operations import wait_for_operation

    wait_for_operation(
        op,
        project=PROJECT,
        global_ops_client=clients.global_ops,
        zone_ops_client=clients.zone_ops,
        timeout=10,
    )


def ours(emulator: ComputeEmulator) -> dict[str, dict[str, Any]]:
    """Every resource of lbctl's naming in the emulator, by partial path."""
    return {k: v for k, v in emulator.inventory().items() if k.rsplit("/", 1)[-1].startswith("k8s2-")}


def of(emulator: ComputeEmulator, collection: str) -> list[dict[str, Any]]:
    return [v for k, v in ours(emulator).items() if f"/{collection}/" in k]


def with_endpoints(objects: list[dict[str, Any]]) -> None:
    """An EndpointSlice for users, so NEG mode has pod IPs."""
    objects.append(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "users-abc",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "users"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.8.0.5"],
                    "conditions": {"ready": True},
                    "nodeName": "gke-shop-pool-a-1",
                    "zone": "us-central1-a",
                },
                {
                    "addresses": ["10.8.1.7"],
                    "conditions": {"ready": True},
                    "nodeName": "gke-shop-pool-b-1",
                    "zone": "us-central1-b",
                },
            ],
        }
    )


def regional_objects(cls: str = "gce-internal", address: str | None = "shop-vip") -> list[dict[str, Any]]:
    """The documented example as a regional Ingress: NEG backends, the regional address instead of the global."""
    objects = example_objects()
    annotations = find(objects, "Ingress", "shop")["metadata"]["annotations"]
    annotations[a.INGRESS_CLASS] = cls
    del annotations[a.GLOBAL_STATIC_IP]
    if address:
        annotations[a.REGIONAL_STATIC_IP] = address
    for service in ("users", "products"):
        find(objects, "Service", service)["metadata"]["annotations"] = {a.NEG: '{"ingress": true}'}
    with_endpoints(objects)
    objects.append(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "products-abc",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "products"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.8.2.4"],
                    "conditions": {"ready": True},
                    "nodeName": "gke-shop-pool-c-1",
                    "zone": "us-central1-c",
                }
            ],
        }
    )
    return objects


# --- GKE Services of type LoadBalancer (passthrough load balancers)

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
