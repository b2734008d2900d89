"""Fixtures: one emulator per session, reset before each test, and real google-cloud-compute clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients, Stack, build_stack, make_clients


@pytest.fixture(scope="session")
def session_emulator() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(seed=7) as emulator:
        yield emulator


@pytest.fixture
def emulator(session_emulator: ComputeEmulator) -> ComputeEmulator:
    """The shared emulator, emptied and with default settings."""
    session_emulator.reset()
    session_emulator.settings.polls_to_done = 2
    session_emulator.settings.delay_seconds = None
    session_emulator.settings.deferred_errors = False
    session_emulator.settings.max_wait_seconds = 120.0
    return session_emulator


@pytest.fixture(scope="session")
def session_clients(session_emulator: ComputeEmulator) -> Clients:
    return make_clients(session_emulator.url)


@pytest.fixture
def clients(emulator: ComputeEmulator, session_clients: Clients) -> Clients:
    """Clients on a freshly reset emulator."""
    return session_clients


@pytest.fixture
def stack(clients: Clients) -> Stack:
    """A complete load balancer on a fresh emulator."""
    return build_stack(clients)
