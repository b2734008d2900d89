"""`lbctl demo -f`: the user's own manifests on the embedded cluster and cloud, through the console script.

The converging runs spawn the whole demo (emulators, controller), so there are few of them; the input checks
stop before any emulator starts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from emulators.testing.scripts import LBCTL, env_with_scripts

ROOT = Path(__file__).resolve().parents[2]
LEGACY = ROOT / "docs" / "examples" / "gke-tutorial-legacy.yaml"
SNIPPET = ROOT / "docs" / "examples" / "ingress-snippet.yaml"
ENV = {**os.environ, "COLUMNS": "200"}


def demo(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LBCTL, "demo", *args], capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT
    )


def _converged(done: subprocess.CompletedProcess[str]) -> str:
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-3000:]
    assert "Demo finished" in out
    assert "nothing of ours is left in gcp" in out
    return out


def test_legacy_gke_tutorial_converges_and_leaves_nothing() -> None:
    out = _converged(demo("-f", str(LEGACY), "--provider", "gcp"))
    assert "Ingress default/fanout-ingress" in out and "is extensions/v1beta1" in out
    assert "applied as networking.k8s.io/v1" in out
    for name in (
        "Deployment default/web",
        "Service default/web",
        "Deployment default/web2",
        "Service default/web2",
    ):
        assert f"created {name}" in out
    assert (
        "Deployment default/web: 2/2 pods Ready" in out and "Deployment default/web2: 2/2 pods Ready" in out
    )
    assert "kube-system/default-http-backend (Deployment + NodePort Service)" in out
    # two paths + GKE's default backend: three backend services, on the nodePorts the cluster assigned
    created = re.findall(r"create\s+BackendService (\S+)", out)
    assert len(created) == 3, created
    assert any("kubesystem-defaulthttpb" in name for name in created)
    assert re.search(r"create\s+UrlMap k8s2-um-", out)
    assert "status.loadBalancer.ingress set: " in out
    assert "delete UrlMap k8s2-um-" in out


def test_static_ip_is_reserved_first_and_used(tmp_path: Path) -> None:
    text = LEGACY.read_text().replace(
        "  name: fanout-ingress\n",
        "  name: fanout-ingress\n  annotations:\n    kubernetes.io/ingress.global-static-ip-name: web-static-ip\n",
    )
    (tmp_path / "static.yaml").write_text(text)
    out = _converged(demo("-f", str(tmp_path / "static.yaml")))  # no class: gcp
    reserved = re.search(
        r"reserved global static IP web-static-ip = (\S+) for Ingress default/fanout-ingress", out
    )
    assert reserved, out[-3000:]
    assert "gcloud compute addresses create web-static-ip --global" in out
    address = reserved.group(1)
    assert f"status.loadBalancer.ingress set: {address}" in out
    rules = re.findall(r"forwarding rule (k8s2-fr-\S+) IP (\S+) \(the reserved address\)", out)
    assert rules and all(ip == address for _, ip in rules), rules
    assert "the static IP(s) you reserved stay: web-static-ip" in out


def test_snippet_with_create_missing_converges() -> None:
    out = _converged(demo("-f", str(SNIPPET), "--create-missing"))
    for created in (
        "Deployment default/cart",
        "Service default/cart",
        "Deployment default/storefront",
        "Service default/storefront",
        "Secret default/shop-tls (self-signed",
    ):
        assert f"created {created}" in out
    assert (
        "Deployment default/cart: 2/2 pods Ready" in out
        and "Deployment default/storefront: 2/2 pods Ready" in out
    )
    assert re.search(r"create\s+TargetHttpsProxy ", out)
    assert "PRIVATE KEY" not in out


def test_keep_prints_commands_that_reach_the_running_cluster_and_cloud(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [LBCTL, "demo", "-f", str(LEGACY), "--keep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    lines: list[str] = []
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.strip().startswith("lbctl describe ingress default/fanout-ingress"):
                break  # the last hint: everything is up
        out = "".join(lines)
        assert "Everything keeps running" in out, out[-3000:]
        hints = [
            x.strip() for x in lines[next(i for i, x in enumerate(lines) if "Everything keeps" in x) + 1 :]
        ]
        env = env_with_scripts(
            {
                "COLUMNS": "200",
                "CLOUDSDK_CONFIG": str(tmp_path / "gcloud"),
                "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
            }
        )

        def run(start: str) -> str:
            command = next(h for h in hints if start in h)
            done = subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, timeout=120, env=env
            )
            assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
            return done.stdout

        address = re.search(r"status.loadBalancer.ingress set: (\S+)", out)
        assert address is not None
        assert re.search(
            rf"fanout-ingress\s+<none>\s+\*\s+{re.escape(address.group(1))}\s+80", run("kubectl get ingress")
        )
        assert address.group(1) in run("gcloud compute forwarding-rules list --global")
        assert run("gcloud compute backend-services list --global").count("k8s2-be-") == 3
        routed = run("lbctl route ")
        assert "forward default/web:8080" in routed and "agrees" in routed
        described = run("lbctl describe ingress default/fanout-ingress")
        assert "k8s2-um-" in described and "Drift: in sync with the Ingress" in described
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# ----------------------------------------------------------------------------- stops before any emulator starts


def test_snippet_without_create_missing_names_each_missing_object_with_the_fix() -> None:
    done = demo("-f", str(SNIPPET), timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    err = " ".join(done.stderr.split())
    assert (
        "Service default/cart (referenced by Ingress default/shop spec.rules[0].http.paths[0].backend) is not "
        "in the files: add its manifest to -f, or run again with --create-missing"
    ) in err
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
    alb = SNIPPET.read_text().replace(
        "  name: shop\n", "  name: alb-shop\n  annotations:\n    kubernetes.io/ingress.class: alb\n"
    )
    (tmp_path / "both.yaml").write_text(SNIPPET.read_text() + "---\n" + alb)
    done = demo("-f", str(tmp_path / "both.yaml"), timeout=60)
    assert done.returncode == 2
    err = " ".join(done.stderr.split())
    assert "Ingresses for both clouds" in err and "--provider aws or --provider gcp" in err


def test_a_managed_certificate_is_issued_and_reported_active(tmp_path: Path) -> None:
    """The demo plays Google's issuer: the ManagedCertificate's domains point at the load balancer, so its
    status goes Provisioning → Active; deleting leaves nothing."""
    shop = (ROOT / "docs" / "examples" / "shop-gke.yaml").read_text()
    annotated = shop.replace(
        "kubernetes.io/ingress.global-static-ip-name: shop-ip",
        "kubernetes.io/ingress.global-static-ip-name: shop-ip\n"
        "    networking.gke.io/managed-certificates: shop-cert",
    )
    assert annotated != shop
    (tmp_path / "shop.yaml").write_text(annotated)
    certificate = ROOT / "docs" / "examples" / "managed-certificate.yaml"
    out = _converged(demo("-f", str(tmp_path / "shop.yaml"), "-f", str(certificate)))
    assert re.search(r"ManagedCertificate default/shop-cert: Provisioning \(SSL certificate k8s2-mc-", out)
    assert "DNS: shop.example.com → " in out
    assert re.search(r"ManagedCertificate default/shop-cert: Active, expires \d{4}-", out)
    assert re.search(r"delete\s+SslCertificate k8s2-mc-", out)
