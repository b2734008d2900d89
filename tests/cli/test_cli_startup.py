"""Start-up of the offline commands (issue 13, item 8): `lbctl validate|plan|route -f FILE` import no cloud
SDK, no Kubernetes client, and neither jsonschema (no JSON annotation in the file) nor rich (nothing drawn as
a table) — so they can run as a pre-commit hook. Checked on the modules imported, never on time; the time
itself is `python -m bench --scenario startup`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

EXAMPLE = "docs/examples/two-services.yaml"
HEAVY = ("boto3", "botocore", "google.cloud", "google.api_core", "kubernetes", "jsonschema", "rich", "moto")

# Runs lbctl's entry point and, at exit, prints the heavy modules that were imported, as JSON on stderr.
PROBE = """
import atexit, json, sys
heavy = {heavy!r}
atexit.register(lambda: print("MODULES " + json.dumps(sorted(
    m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))), file=sys.stderr))
sys.argv = ["lbctl", *{argv!r}]
from lbctl.cli import main
main()
"""


def heavy_imports(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY, argv=list(argv))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("MODULES ")]
    return json.loads(line.removeprefix("MODULES "))


@pytest.mark.parametrize(
    "argv",
    [
        ("validate", "-f", EXAMPLE),
        ("validate", "-f", "docs/examples/two-services-gce.yaml"),
        ("route", "-f", EXAMPLE, "--host", "shop.example.com", "--path", "/users"),
        ("plan", "-f", EXAMPLE, "-o", "json"),
        ("--version",),
    ],
    ids=["validate", "validate-gce", "route", "plan-json", "version"],
)
def test_offline_commands_import_no_sdk_and_no_heavy_library(argv: tuple[str, ...]) -> None:
    assert heavy_imports(*argv) == []


def test_the_probe_sees_heavy_imports() -> None:
    """The check can fail: a table is drawn with rich, so `plan` (table output) imports it."""
    assert "rich" in {m.split(".")[0] for m in heavy_imports("plan", "-f", EXAMPLE)}
