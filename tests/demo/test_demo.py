"""`lbctl demo`, the README's main command, through the console script; and `--keep` with kubectl and
`lbctl describe` pointed at the state it leaves running."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from emulators.testing.scripts import LBCTL

ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "COLUMNS": "200"}


def test_demo_runs_to_a_clean_finish() -> None:
    done = subprocess.run([LBCTL, "demo"], capture_output=True, text=True, timeout=240, env=ENV)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    for provider in ("AWS", "GCP"):
        assert f"{provider}: Creating Ingress default/shop" in out
        assert f"{provider}: Scaling users from 2 to 3 pods" in out
    assert re.search(r"create\s+LoadBalancer k8s-default-shop-", out)
    assert re.search(r"create\s+UrlMap k8s2-um-", out)
    assert "status.loadBalancer.ingress set: k8s-default-shop-" in out
    assert "that is the reserved static IP shop-ip" in out
    assert out.count("nothing of ours is left") == 2
    assert "Demo finished" in out


@pytest.fixture
def kept_demo() -> Iterator[str]:
    process = subprocess.Popen(
        [LBCTL, "demo", "--keep"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV
    )
    lines: list[str] = []
    deadline = time.monotonic() + 240
    assert process.stdout is not None
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("   lbctl describe ingress default/shop --provider gcp"):
                break  # the last hint: everything is up
        yield "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _command(output: str, start: str) -> list[str]:
    line = next(x.strip() for x in output.splitlines() if x.strip().startswith(start))
    return shlex.split(line.split("  (")[0])


def test_keep_leaves_state_that_describe_and_kubectl_read(kept_demo: str) -> None:
    assert "Everything keeps running" in kept_demo, kept_demo[-3000:]
    aws = subprocess.run(
        _command(kept_demo, "lbctl describe ingress default/shop --provider aws"),
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert aws.returncode == 0, aws.stdout + aws.stderr
    assert "k8s-default-shop-" in aws.stdout
    assert (
        "path-pattern /users, /users/*" in aws.stdout and "path-pattern /products, /products/*" in aws.stdout
    )
    assert aws.stdout.count("healthy") >= 5  # 3 users pods + 2 products pods
    assert "Drift: in sync with the Ingress" in aws.stdout
    gcp = subprocess.run(
        _command(kept_demo, "lbctl describe ingress default/shop --provider gcp"),
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert gcp.returncode == 0, gcp.stdout + gcp.stderr
    assert "k8s2-um-" in gcp.stdout and gcp.stdout.count("k8s2-be-") >= 2
    assert "path /users, /users/*" in gcp.stdout
    kubeconfig = re.search(r"aws cluster: KUBECONFIG=(\S+)", kept_demo)
    assert kubeconfig is not None
    got = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig.group(1), "get", "ingress"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert re.search(r"shop\s+alb\s+\*\s+k8s-default-shop-\S+\.elb\.amazonaws\.com", got.stdout), got.stdout
