"""Where the tools the tests run are: console scripts next to the interpreter running the tests (so a test
works with or without an activated virtualenv), and the machine's `kubectl` and `gcloud`. A missing tool
fails the run with how to install it; nothing is skipped for lack of a tool."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

# Tools the suite runs and how a fresh machine gets each (the Python ones come with the `test` extra).
INSTALL_HINTS = {
    "lbctl": "pip install -e '.[test]'",
    "ruff": "pip install -e '.[test]'",
    "mypy": "pip install -e '.[test]'",
    "aws": "pip install -e '.[test]' (the AWS CLI is the awscli package)",
    "kubectl": "install kubectl (e.g. the google-cloud-cli or kubernetes-client package, or the release binary)",
    "gcloud": "install the Google Cloud CLI (the google-cloud-cli package)",
}


class MissingTool(RuntimeError):
    """A tool the tests need is not installed; the message says how to install it."""


def find(name: str) -> str | None:
    """The tool `name` beside this interpreter, else on PATH, else None."""
    beside = BIN / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def script(name: str) -> str:
    """The path of tool `name`, or MissingTool naming the install step."""
    found = find(name)
    if found is None:
        raise MissingTool(
            f"{name} is needed by the tests and is not installed: {INSTALL_HINTS.get(name, name)}"
        )
    return found


def missing_tools() -> list[str]:
    """Every tool of INSTALL_HINTS that is not installed, with its install step."""
    return [f"{name}: {hint}" for name, hint in INSTALL_HINTS.items() if find(name) is None]


LBCTL = script("lbctl")


def env_with_scripts(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with this interpreter's script folder first on PATH (for shell command lines)."""
    env = {**os.environ, **(extra or {})}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env
