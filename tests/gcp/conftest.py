"""One Compute emulator per session (reset per test), nodes' VMs and the static IP in it, and providers
bound to it. Specs are built from manifests through the real model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients, make_clients
from emulators.testing.gcp_stacks import NODES, PROJECT, wait
from lbctl.provider import ProviderConfig
from providers.gcp import create
from providers.gcp.provider import GcpProvider


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(seed=11) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def session_clients(session_emulator: ComputeEmulator) -> Clients:
    return make_clients(session_emulator.url)


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
