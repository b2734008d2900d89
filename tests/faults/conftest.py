"""One moto server and one Compute emulator per session (reset per test), a Kubernetes API emulator per test,
and a world (cluster + cloud account) per provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.gce import ComputeEmulator
from emulators.kube import KubeEmulator

from .support import World, aws_world, gcp_world


@pytest.fixture(scope="session")
def compute() -> Iterator[ComputeEmulator]:
    with ComputeEmulator(port=0, operation_polls_to_done=1) as emulator:
        yield emulator


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
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
