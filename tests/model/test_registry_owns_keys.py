"""The annotation registry declares every key once: providers, the controller, the CLI and the model's own
profiles read values from the spec (and fields from `field_of`), or take a key from lbctl.model.annotations,
never spell one themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbctl.model import annotations as a
from lbctl.model.annotations import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
# The product code outside the model's registry: each provider, the controller side, the CLI and the demo.
# The emulators are not the product (they stand in for the cloud and the API server) and are left out.
SCANNED = [ROOT / "providers", ROOT / "lbctl"]
# Inside the model, only the registry declares keys; problems.py names one in a comment's example.
DECLARING = {ROOT / "lbctl" / "model" / "annotations.py", ROOT / "lbctl" / "model" / "problems.py"}


def _sources() -> list[Path]:
    files = [
        p
        for d in SCANNED
        for p in d.rglob("*.py")
        if "emulator" not in p.relative_to(ROOT).parts[:3] and p not in DECLARING
    ]
    assert len(files) > 10, "the scan must see the providers and the controller"
    assert ROOT / "lbctl" / "kube" / "controller.py" in files and ROOT / "lbctl" / "model" / "alb.py" in files
    return sorted(files)


def _spellings() -> list[str]:
    """Each key as it would be written (a family by its prefix), and the prefixes only annotation keys use."""
    keys = [ann.family_prefix if ann.is_family else ann.name for ann in REGISTRY]
    return sorted({*keys, a.ALB, a.GCP, a.GCE_INGRESS})


def _spelled(text: str) -> list[str]:
    return [key for key in _spellings() if key in text]


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_annotation_key_is_spelled_outside_the_model(path: Path) -> None:
    found = _spelled(path.read_text())
    assert not found, (
        f"{path.relative_to(ROOT)} spells {found}: use the spec's field_of() or lbctl.model.annotations"
    )


@pytest.mark.parametrize(
    "line",
    [
        'SUBNETS_FIELD = "metadata.annotations[alb.ingress.kubernetes.io/subnets]"',
        'group = annotations.get("alb.ingress.kubernetes.io/group.name")',
        "STATIC_IP_FIELD = 'metadata.annotations[kubernetes.io/ingress.global-static-ip-name]'",
        '"cloud.google.com/neg: \'{\\"ingress\\": true}\'"',
        'key = "alb.ingress.kubernetes.io/actions." + name',
    ],
)
def test_the_scan_sees_a_spelled_key(line: str) -> None:
    """The check above is not vacuous: each way the providers used to spell a key is caught."""
    assert _spelled(line)


def test_the_scan_passes_what_providers_may_write() -> None:
    assert not _spelled('raise stack_error(spec, spec.field_of("frontend.subnets"), f"set {a.SUBNETS}")')
    assert not _spelled(
        '_custom(custom, "networking.gke.io", "v1beta1", "frontendconfigs", "FrontendConfig")'
    )
