"""Workloads in manifest files: their pod template stands in for the pods the cluster will run, so an offline
plan derives what a cluster would (a Google Cloud health check from the readinessProbe) and a tutorial with its
Deployments passes `validate --strict`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from emulators.testing.scripts import LBCTL
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot

INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "web"},
    "spec": {
        "ingressClassName": "gce",
        "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
    },
}
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
}


def workload(kind: str, labels: dict[str, str], probe_path: str = "/ready") -> dict:
    container = {
        "name": "web",
        "image": "nginx",
        "ports": [{"containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": probe_path, "port": 8080}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"])
def test_the_template_readiness_probe_gives_the_health_check(kind: str) -> None:
    snapshot = ClusterSnapshot.from_objects([INGRESS, SERVICE, workload(kind, {"app": "web"})])
    result = build(snapshot, BuildConfig.for_provider("gcp", assume_missing=True))
    (spec,) = result.specs
    (backend,) = [b for b in spec.backends.values() if b.service == "web"]
    assert (backend.health_check.path, backend.health_check.source) == ("/ready", "readinessProbe")


def test_a_template_the_selector_does_not_match_is_not_used() -> None:
    snapshot = ClusterSnapshot.from_objects([INGRESS, SERVICE, workload("Deployment", {"app": "other"})])
    (spec,) = build(snapshot, BuildConfig.for_provider("gcp", assume_missing=True)).specs
    (backend,) = [b for b in spec.backends.values() if b.service == "web"]
    assert backend.health_check.source != "readinessProbe"


def test_validate_strict_passes_a_tutorial_with_its_deployment(tmp_path: Path) -> None:
    manifest = tmp_path / "tutorial.yaml"
    manifest.write_text(yaml.safe_dump_all([INGRESS, SERVICE, workload("Deployment", {"app": "web"})]))
    done = subprocess.run(
        [LBCTL, "validate", "--strict", "-o", "json", "-f", str(manifest)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout) == []
