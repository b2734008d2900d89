"""The code base stays ruff and mypy clean (the configuration of both is in pyproject.toml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from emulators.testing.scripts import script

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


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [script("ruff"), "format", "--check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_formatter_escapes() -> None:
    """The formatter decides every line's layout: no `fmt: skip` / `fmt: off` anywhere."""
    marker = "fmt" + ": "
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("lbctl", "providers", "emulators", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if f"# {marker}skip" in line or f"# {marker}off" in line
    ]
    assert not found, found
