"""Start-up of an offline command: `lbctl validate -f docs/examples/two-services.yaml` run as a subprocess,
the median of N runs (wall and CPU), beside the 0.4 s a pre-commit hook can afford (issue 13, item 8).
On a loaded machine compare the CPU figure and the module count, which load inflates far less than wall."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "docs/examples/two-services.yaml"
TARGET_S = 0.4
COUNT_MODULES = "import atexit, sys; atexit.register(lambda: print(len(sys.modules), file=sys.stderr)); "


def lbctl_command() -> list[str]:
    """The `lbctl` console script beside this interpreter, else the same entry point through it."""
    script = Path(sys.executable).parent / "lbctl"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from lbctl.cli import main; main()"]


def _timed(argv: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _modules(args: list[str]) -> int:
    code = COUNT_MODULES + f"sys.argv = ['lbctl', *{args!r}]; from lbctl.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    return int(done.stderr.strip().splitlines()[-1])


def run_startup(runs: int = 11) -> dict[str, Any]:
    """The startup record: median wall and CPU seconds of `runs` runs, and the modules the command imports."""
    args = ["validate", "-f", EXAMPLE]
    argv = lbctl_command() + args
    _timed(argv)  # the first run fills the OS file cache and writes bytecode; not counted
    samples = [_timed(argv) for _ in range(runs)]
    bare = statistics.median(_timed([sys.executable, "-c", "pass"])[0] for _ in range(max(3, runs // 2)))
    return {
        "scenario": "startup",
        "provider": "any",
        "command": "lbctl " + " ".join(args),
        "runs": runs,
        "median_wall_s": round(statistics.median(w for w, _ in samples), 3),
        "median_cpu_s": round(statistics.median(c for _, c in samples), 3),
        "python_wall_s": round(bare, 3),  # the interpreter alone on this machine now, for scale
        "modules": _modules(args),
        "target_s": TARGET_S,
    }


if __name__ == "__main__":
    print(json.dumps(run_startup(int(sys.argv[1]) if len(sys.argv) > 1 else 11)))
