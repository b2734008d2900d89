"""The code base stays ruff clean (the configuration is in pyproject.toml)."""

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
