"""Ingress in extensions/v1beta1 and networking.k8s.io/v1beta1 is refused as a Kubernetes ≥ 1.22 server
refuses it (not in discovery, 404 on its paths), with lbctl's hint to convert the manifest."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator

LEGACY = """apiVersion: {version}
kind: Ingress
metadata: {{name: old}}
spec:
  backend: {{serviceName: web, servicePort: 80}}
"""


@pytest.mark.parametrize("version", ["extensions/v1beta1", "networking.k8s.io/v1beta1"])
def test_paths_answer_404_with_the_convert_hint(emulator: KubeEmulator, version: str) -> None:
    for method, path in (
        ("GET", f"/apis/{version}/namespaces/default/ingresses"),
        ("POST", f"/apis/{version}/namespaces/default/ingresses"),
        ("GET", f"/apis/{version}"),
    ):
        data = json.dumps({"kind": "Ingress"}).encode() if method == "POST" else None
        request = urllib.request.Request(
            emulator.url + path,
            data,
            method=method,
            headers={"Content-Type": "application/json", **emulator.auth_headers()},
        )
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        status = json.loads(raised.value.read())
        assert (raised.value.code, status["reason"]) == (404, "NotFound")
        assert status["message"] == (
            f"the server could not find the requested resource; {version} Ingress was "
            "removed in Kubernetes 1.22: convert it with lbctl convert -f FILE"
        )


def test_discovery_does_not_list_them(api: client.ApiClient) -> None:
    groups = client.ApisApi(api).get_api_versions().groups
    versions = {v.group_version for g in groups for v in g.versions}
    assert "networking.k8s.io/v1" in versions
    assert not {"extensions/v1beta1", "networking.k8s.io/v1beta1"} & versions


@pytest.mark.parametrize("version", ["extensions/v1beta1", "networking.k8s.io/v1beta1"])
def test_kubectl_apply_reports_no_matches(emulator: KubeEmulator, tmp_path: Path, version: str) -> None:
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "config"))
    manifest = tmp_path / "old.yaml"
    manifest.write_text(LEGACY.format(version=version))
    done = subprocess.run(
        ["kubectl", "--kubeconfig", kubeconfig, "apply", "-f", str(manifest)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert f'no matches for kind "Ingress" in version "{version}"' in done.stderr
    raw = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            kubeconfig,
            "get",
            "--raw",
            f"/apis/{version}/namespaces/default/ingresses",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert raw.returncode == 1 and "convert it with lbctl convert -f FILE" in raw.stderr
