"""Shared fixtures: one embedded moto server for the whole session (modules reset it where they need a
clean account)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lbctl.demo.clouds import moto_server


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url
