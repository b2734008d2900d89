"""The code base stays ruff and mypy clean (the configuration of both is in pyproject.toml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.tools import script

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_check_is_clean() -> None:
    result = subprocess.run(
        [script("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    # The files to check and the strictness come from [tool.mypy]; no cache so a stale one cannot hide errors.
    result = subprocess.run(
        [script("mypy"), "--no-incremental", "--cache-dir", "/dev/null"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
