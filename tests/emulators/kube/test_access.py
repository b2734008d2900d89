"""Discovery, /version, /healthz, kubeconfig round trip (Python client and, when installed, kubectl)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from emulators.kube import KubeEmulator
from emulators.testing.kube_objects import ingress


@pytest.mark.usefixtures("lbctl_crds")
def test_discovery(api: client.ApiClient) -> None:
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name: g.preferred_version.version for g in client.ApisApi(api).get_api_versions().groups}
    # networking.gke.io serves ManagedCertificate at v1 and FrontendConfig at v1beta1: v1 is preferred
    assert groups["networking.k8s.io"] == "v1" and groups["networking.gke.io"] == "v1"
    assert {
        "discovery.k8s.io",
        "coordination.k8s.io",
        "events.k8s.io",
        "cloud.google.com",
        "authorization.k8s.io",
    } <= set(groups)
    resources = {r.name: r for r in client.NetworkingV1Api(api).get_api_resources().resources}
    assert resources["ingresses"].namespaced and "watch" in resources["ingresses"].verbs
    assert resources["ingresses/status"].verbs == ["get", "patch", "update"]
    assert not resources["ingressclasses"].namespaced
    core = {r.name for r in client.CoreV1Api(api).get_api_resources().resources}
    assert {"pods", "services", "nodes", "nodes/status", "secrets", "endpoints", "events"} <= core
    assert client.VersionApi(api).get_code().major == "1"


def test_health(api: client.ApiClient) -> None:
    response = api.call_api("GET", f"{api.configuration.host}/healthz")
    response.read()
    assert (response.status, response.data) == (200, b"ok")


def test_kubeconfig_round_trip(emulator: KubeEmulator, tmp_path: Path) -> None:
    path = emulator.write_kubeconfig(tmp_path / "nested" / "kubeconfig")
    written = yaml.safe_load(path.read_text())
    assert written["clusters"][0]["cluster"]["server"] == emulator.https_url
    assert written["users"][0]["user"]["token"] == emulator.token
    assert path.stat().st_mode & 0o777 == 0o600
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=configuration)
    assert configuration.host == emulator.https_url
    with client.ApiClient(configuration) as api:
        client.NetworkingV1Api(api).create_namespaced_ingress("default", ingress("web"))
        names = [
            i.metadata.name for i in client.NetworkingV1Api(api).list_namespaced_ingress("default").items
        ]
    assert names == ["web"]


def test_kubectl_apply_and_get(emulator: KubeEmulator, tmp_path: Path) -> None:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    manifest = tmp_path / "ingress.yaml"

    def kubectl(*args: str) -> str:
        result = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manifest.write_text(yaml.safe_dump(ingress("web")))
    kubectl("apply", "-f", str(manifest))
    body = ingress("web", port=8080)
    manifest.write_text(yaml.safe_dump(body))
    kubectl("apply", "-f", str(manifest))  # second apply: a three-way strategic merge patch
    listed = json.loads(kubectl("get", "ingress", "-o", "json"))
    [item] = listed["items"]
    assert item["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] == {"number": 8080}
    assert "kubectl.kubernetes.io/last-applied-configuration" in item["metadata"]["annotations"]
    assert "web" in kubectl("get", "ing")
