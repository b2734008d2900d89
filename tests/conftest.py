"""Shared fixtures: one embedded moto server for the whole session (modules reset it where they need a
clean account)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.aws import moto_server
from tests.tools import missing_tools


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run without the tools the suite uses, instead of skipping what needs them."""
    missing = missing_tools()
    if missing:
        pytest.exit("the tests need tools this machine lacks:\n  " + "\n  ".join(missing), returncode=4)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url
