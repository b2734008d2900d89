"""Fixtures: a fresh emulator per test, reached through the official client only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator
from emulators.testing.crds import install_lbctl_crds


@pytest.fixture
def emulator() -> Iterator[KubeEmulator]:
    """A bare API server: these tests check API semantics on objects they write, so no controller acts on
    them (test_controllers.py runs the cluster's controllers)."""
    with KubeEmulator(bookmark_interval=0.3, controllers=False) as running:
        yield running


@pytest.fixture
def lbctl_crds(emulator: KubeEmulator) -> list[str]:
    """lbctl's CRDs (IngressClassParams, TargetGroupBinding, BackendConfig, FrontendConfig), applied."""
    return install_lbctl_crds(emulator)


@pytest.fixture
def api(emulator: KubeEmulator) -> Iterator[client.ApiClient]:
    api_client = emulator.api_client()
    yield api_client
    api_client.close()


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def net(api: client.ApiClient) -> client.NetworkingV1Api:
    return client.NetworkingV1Api(api)


@pytest.fixture
def custom(api: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api)
