"""`lbctl emulator kube` serves a cluster that runs what kubectl applies: a Deployment's pods are placed on the
Nodes, turn Ready and fill the Service's EndpointSlice; `kubectl get`, `rollout status` and `scale` work on it."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.testing.scripts import LBCTL, script

MANIFEST = """
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/zone: zone-1}}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {topology.kubernetes.io/zone: zone-2}}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: example/web:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
"""


@pytest.fixture
def kubeconfig(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [LBCTL, "emulator", "kube", "--port", "0", "--kubeconfig", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "listening on" in line:
                break
        else:
            pytest.fail("lbctl emulator kube did not start")
        yield str(path)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def _kubectl(kubeconfig: str, *args: str) -> str:
    done = subprocess.run(
        [script("kubectl"), "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_applied_deployment_runs_and_fills_the_endpoint_slice(kubeconfig: str, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    _kubectl(kubeconfig, "apply", "-f", str(manifest))
    rollout = _kubectl(kubeconfig, "rollout", "status", "deployment/web", "--timeout=60s")
    assert 'deployment "web" successfully rolled out' in rollout
    deploy = _kubectl(kubeconfig, "get", "deploy", "web").splitlines()
    assert deploy[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deploy[1].split()[:4] == ["web", "2/2", "2", "2"]
    pods = _kubectl(kubeconfig, "get", "pods", "-o", "wide").splitlines()
    assert pods[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    rows = [line.split() for line in pods[1:]]
    assert [(r[1], r[2]) for r in rows] == [("1/1", "Running")] * 2
    assert sorted(r[6] for r in rows) == ["node-a", "node-b"]
    ips = sorted(r[5] for r in rows)
    deadline = time.monotonic() + 30  # the slice follows the pods' readiness: poll until it shows both
    slices: list[list[str]] = []
    while time.monotonic() < deadline:
        out = _kubectl(
            kubeconfig, "get", "endpointslices", "-l", "kubernetes.io/service-name=web"
        ).splitlines()
        slices = [line.split() for line in out[1:]]
        if len(slices) == 1 and sorted(slices[0][3].split(",")) == ips:
            break
        time.sleep(0.1)
    assert slices and slices[0][1:4] == ["IPv4", "8080", ",".join(sorted(slices[0][3].split(",")))]
    assert sorted(slices[0][3].split(",")) == ips
    services = _kubectl(kubeconfig, "get", "svc", "web").splitlines()
    assert services[1].split()[1] == "NodePort" and services[1].split()[4].startswith("80:3")


def test_kubectl_scale_goes_through_the_scale_subresource(kubeconfig: str, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(MANIFEST)
    _kubectl(kubeconfig, "apply", "-f", str(manifest))
    assert (
        _kubectl(kubeconfig, "scale", "deployment/web", "--replicas=3").strip()
        == "deployment.apps/web scaled"
    )
    _kubectl(kubeconfig, "rollout", "status", "deployment/web", "--timeout=60s")
    assert _kubectl(kubeconfig, "get", "deploy", "web").splitlines()[1].split()[:4] == [
        "web",
        "3/3",
        "3",
        "3",
    ]
    assert _kubectl(kubeconfig, "get", "deployment/web", "-o", "jsonpath={.spec.replicas}") == "3"
