"""lbctl's commands run in the test process: for tests that run many commands, where a process each would
spend the suite's time on start-up (imports of the Kubernetes client and the cloud SDKs, moto's first
requests). Tests that need the entry point itself, the docs' commands and the long-running `run` and `demo`
run `LBCTL` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import traceback
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lbctl_in_process(
    *args: str,
    cwd: Path | str = ROOT,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`lbctl ARGS` run by its command function in this process, as `subprocess.run(..., text=True)` would
    return it. `env`, when given, is the whole environment (as for subprocess); `input` is its stdin. An
    exception other than the exit fails as the process would: exit code 1, the traceback in stderr."""
    from click.testing import CliRunner

    from lbctl.cli import main

    overlay: dict[str, str | None] | None = None
    if env is not None:
        overlay = {name: None for name in os.environ if name not in env}
        overlay.update(env)
    before = os.getcwd()
    os.chdir(cwd)
    try:
        done = CliRunner().invoke(
            main, list(args), input=input, env=overlay, catch_exceptions=True, prog_name="lbctl"
        )
    finally:
        os.chdir(before)
    stderr, code = done.stderr, done.exit_code
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        assert done.exc_info is not None
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(*done.exc_info))
        code = 1
    return subprocess.CompletedProcess(["lbctl", *args], code, done.stdout, stderr)
