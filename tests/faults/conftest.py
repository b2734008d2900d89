"""One Compute emulator per session (reset per test) and a world (cluster + cloud account) per provider, on
the suite plugin's moto server and per-test Kubernetes API emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.gce import ComputeEmulator
from emulators.kube import KubeEmulator
from emulators.testing.faults import World, aws_world, gcp_world


@pytest.fixture(scope="session")
def compute() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(port=0, operation_polls_to_done=1) as emulator:
        yield emulator


@pytest.fixture(params=["aws", "gcp"])
def world(request: pytest.FixtureRequest, kube: KubeEmulator) -> Iterator[World]:
    if request.param == "aws":
        built = aws_world(kube, request.getfixturevalue("moto_url"))
    else:
        built = gcp_world(kube, request.getfixturevalue("compute"))
    try:
        yield built
    finally:
        built.stop_all()
