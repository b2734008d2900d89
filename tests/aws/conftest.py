"""Fixtures: a fresh moto account (reset server, VPC, tagged subnets, two instances) per test."""

from __future__ import annotations

import pytest

from emulators.testing.aws_stacks import Account, fresh_account


@pytest.fixture
def account(moto_url: str) -> Account:
    return fresh_account(moto_url)
