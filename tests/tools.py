"""Where the installed console scripts are: next to the interpreter running the tests, so a test works
with or without an activated virtualenv (a bare `lbctl` on PATH may be another install, or none)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def script(name: str) -> str:
    """The console script `name` installed beside this interpreter (falling back to PATH)."""
    beside = BIN / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed beside {sys.executable}: pip install -e '.[test]'")
    return found


LBCTL = script("lbctl")


def env_with_scripts(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with this interpreter's script folder first on PATH (for shell command lines)."""
    env = {**os.environ, **(extra or {})}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env
