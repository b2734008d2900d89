"""The core names no cloud: providers declare themselves (lbctl/provider.py ProviderPlugin), so a third one
needs no change in lbctl/.

What is checked, in every Python file under lbctl/ outside EXEMPT: no string literal equal to a provider's
name ("aws", "gcp": a branch on the cloud), and no string literal starting with a provider's option prefix
("--aws-", "--gcp-": an option of its own). Help and prose may still mention a cloud or one of its options
inside a sentence ("GCP: ...", "set --gcp-project"), so only whole literals and literal starts count."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "lbctl"
PROVIDER_NAMES = ("aws", "gcp")
# Where naming the clouds is the point (paths relative to lbctl/).
EXEMPT = {
    "demo": "the demo knows its targets (accounts, projects, the commands it prints)",
    "cli/demo.py": "the demo command",
    "cli/emulator.py": "the emulator commands serve each cloud's emulator by name",
    # The model's cloud profiles: each cloud's annotation semantics, class controller, limits and registry tag.
    "model/alb.py": "ALB semantics",
    "model/gce.py": "GCE semantics",
    "model/nlb.py": "NLB semantics of Services (the L4 profile names its provider)",
    "model/gce_l4.py": "GCE L4 semantics of Services (the L4 profile names its provider)",
    "model/annotations.py": "each annotation is tagged with the cloud it belongs to",
    "model/classes.py": "each cloud's IngressClass controller and default class",
    "model/limits.py": "ALB's own limits on an Ingress",
}


def _exempt(path: Path) -> bool:
    relative = path.relative_to(CORE).as_posix()
    return any(relative == name or relative.startswith(f"{name}/") for name in EXEMPT)


def offences(source: str) -> list[tuple[int, str]]:
    """(line, literal) of every cloud-naming literal in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if value in PROVIDER_NAMES or value.startswith(tuple(f"--{n}-" for n in PROVIDER_NAMES)):
                found.append((node.lineno, value))
    return found


def test_the_check_finds_what_it_looks_for() -> None:
    assert offences('PROVIDERS = ("aws", "gcp")') == [(1, "aws"), (1, "gcp")]
    assert offences('click.option("--aws-region")\nif name == "gcp": pass') == [
        (1, "--aws-region"),
        (2, "gcp"),
    ]
    assert offences('HELP = "GCP: the default backend; set --gcp-project or LBCTL_GCP_PROJECT"') == []


def test_the_exemptions_exist() -> None:
    for name in EXEMPT:
        assert (CORE / name).exists(), f"lbctl/{name} is exempt but does not exist: drop it from EXEMPT"


def test_no_cloud_literal_in_the_core() -> None:
    found = []
    files = [p for p in sorted(CORE.rglob("*.py")) if not _exempt(p)]
    assert len(files) > 20  # the walk did find the core
    for path in files:
        found += [f"{path.relative_to(ROOT)}:{line}: {value!r}" for line, value in offences(path.read_text())]
    assert found == [], "the core names a cloud (declare it in the provider's plugin instead):\n" + "\n".join(
        found
    )
