"""The suite's pytest plugin (registered by tests/conftest.py): the run refuses to start without the tools it
uses, one embedded moto server per session (modules reset it where they need a clean account), and a fresh
Kubernetes API emulator per test for the folders that run a controller."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from emulators.aws import moto_server
from emulators.kube import KubeEmulator
from emulators.testing.crds import install_lbctl_crds
from emulators.testing.scripts import missing_tools


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run without the tools the suite uses, instead of skipping what needs them."""
    missing = missing_tools()
    if missing:
        pytest.exit("the tests need tools this machine lacks:\n  " + "\n  ".join(missing), returncode=4)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: half as many workers again as cores. A third of a worker's time is spent waiting (on an
    `lbctl`/`kubectl` subprocess, an emulator's reply, a controller reaching its state), which the extra
    worker fills; with one per core the run used 1.5 of 2 cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores + cores // 2 if cores > 1 else 1


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The base URL of a moto server shared by the session."""
    with moto_server() as url:
        yield url


@pytest.fixture
def kube() -> Iterator[KubeEmulator]:
    """A Kubernetes API emulator (with its cluster controllers) of this test alone."""
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture
def kube_crds(kube: KubeEmulator) -> KubeEmulator:
    """The `kube` emulator with lbctl's CRDs applied, as after `kubectl apply -k manifests/aws` and `gcp`."""
    install_lbctl_crds(kube)
    return kube
