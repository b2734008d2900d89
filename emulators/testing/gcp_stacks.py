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
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import StackInput

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
