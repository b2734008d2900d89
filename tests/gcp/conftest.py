"""One Compute emulator per session (reset per test), nodes' VMs and the static IP in it, and providers
bound to it. Specs are built from manifests through the real model."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, StackInput
from providers.gcp import create
from providers.gcp.provider import GcpProvider
from tests.emulators.gce.support import Clients, make_clients

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


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(seed=11) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def session_clients(session_emulator: ComputeEmulator) -> Clients:
    return make_clients(session_emulator.url)


def wait(clients: Clients, op: Any) -> None:
    from providers.gcp.operations import wait_for_operation

    wait_for_operation(
        op,
        project=PROJECT,
        global_ops_client=clients.global_ops,
        zone_ops_client=clients.zone_ops,
        timeout=10,
    )


@pytest.fixture
def emulator(session_emulator: ComputeEmulator, session_clients: Clients) -> ComputeEmulator:
    """A fresh emulator holding the cluster's VMs and the reserved global address `shop-ip`."""
    session_emulator.reset()
    session_emulator.settings.polls_to_done = 1
    session_emulator.settings.delay_seconds = None
    session_emulator.settings.deferred_errors = False
    for name, zone in NODES.items():
        wait(
            session_clients,
            session_clients.instances.insert(
                project=PROJECT, zone=zone, instance_resource=compute_v1.Instance(name=name)
            ),
        )
    wait(
        session_clients,
        session_clients.addresses.insert(
            project=PROJECT, address_resource=compute_v1.Address(name="shop-ip")
        ),
    )
    session_emulator.clear_requests()
    return session_emulator


@pytest.fixture
def clients(emulator: ComputeEmulator, session_clients: Clients) -> Clients:
    return session_clients


@pytest.fixture
def make_provider(emulator: ComputeEmulator) -> Callable[..., GcpProvider]:
    def factory(cluster: str = "test", **options: Any) -> GcpProvider:
        options = {"retry_initial_wait": 0.01, "retry_max_wait": 0.05, **options}
        provider = create(
            ProviderConfig(
                cluster_name=cluster, endpoint_url=emulator.url, options={"project": PROJECT, **options}
            )
        )
        assert isinstance(provider, GcpProvider)
        return provider

    return factory


@pytest.fixture
def provider(make_provider: Callable[..., GcpProvider]) -> GcpProvider:
    return make_provider()


def ours(emulator: ComputeEmulator) -> dict[str, dict[str, Any]]:
    """Every resource of lbctl's naming in the emulator, by partial path."""
    return {k: v for k, v in emulator.inventory().items() if k.rsplit("/", 1)[-1].startswith("k8s2-")}


def of(emulator: ComputeEmulator, collection: str) -> list[dict[str, Any]]:
    return [v for k, v in ours(emulator).items() if f"/{collection}/" in k]
