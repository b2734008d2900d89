"""lbctl's commands run in the test process: for tests that run many offline commands, where a process each
would spend the suite's time on start-up (tests that need the entry point itself run `LBCTL`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def lbctl_in_process(*args: str, cwd: Path | str) -> subprocess.CompletedProcess[str]:
    """`lbctl ARGS` run by its command function in this process, as a CompletedProcess: for a test that runs
    many offline commands, where a process each would spend the suite's time on start-up. An exception
    other than the exit shows in stderr as a traceback would."""
    from click.testing import CliRunner

    from lbctl.cli import main

    before = os.getcwd()
    os.chdir(cwd)
    try:
        done = CliRunner().invoke(main, list(args), catch_exceptions=True)
    finally:
        os.chdir(before)
    stderr = done.stderr
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        stderr += f"Traceback (in process): {done.exception!r}"
    return subprocess.CompletedProcess(["lbctl", *args], done.exit_code, done.stdout, stderr)
