"""`lbctl demo -f`: the user's own manifests on the embedded cluster and cloud, through the console script.

The converging runs spawn the whole demo (emulators, controller), so there are few of them; the input checks
stop before any emulator starts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.tools import LBCTL

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "docs" / "examples" / "gke-tutorial-legacy.yaml"
SNIPPET = ROOT / "docs" / "examples" / "ingress-snippet.yaml"
ENV = {**os.environ, "COLUMNS": "200"}


def demo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LBCTL, "demo", *args], capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)


# ----------------------------------------------------------------------------- stops before any emulator starts


def test_snippet_without_create_missing_names_each_missing_object_with_the_fix() -> None:
    done = demo("-f", str(SNIPPET), timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    err = " ".join(done.stderr.split())
    assert ("Service default/cart (referenced by Ingress default/shop spec.rules[0].http.paths[0].backend) is not "
            "in the files: add its manifest to -f, or run again with --create-missing") in err  # fmt: skip
    assert "Service default/storefront" in err
    assert "TLS Secret default/shop-tls (referenced by Ingress default/shop spec.tls[0].secretName)" in err
    assert "Starting local clouds" not in done.stdout


def test_bad_input_exits_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("kind: [Ingress\n")
    done = demo("-f", str(tmp_path / "bad.yaml"), timeout=60)
    assert done.returncode == 2
    assert "bad.yaml" in done.stderr and "malformed YAML" in done.stderr
    assert "Traceback" not in done.stderr


def test_ingresses_for_both_clouds_ask_for_a_provider(tmp_path: Path) -> None:
    alb = SNIPPET.read_text().replace("  name: shop\n", "  name: alb-shop\n  annotations:\n"
                                      "    kubernetes.io/ingress.class: alb\n")  # fmt: skip
    (tmp_path / "both.yaml").write_text(SNIPPET.read_text() + "---\n" + alb)
    done = demo("-f", str(tmp_path / "both.yaml"), timeout=60)
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "Ingresses for both clouds" in err and "--provider aws or --provider gcp" in err
