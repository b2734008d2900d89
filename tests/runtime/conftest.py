"""Fixtures: a Kubernetes API emulator per test and clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import kubernetes
import pytest

from emulators.kube import KubeEmulator


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture
def api(kube: KubeEmulator) -> kubernetes.client.ApiClient:
    return kube.api_client()
