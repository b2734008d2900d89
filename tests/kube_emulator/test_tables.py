"""Server-side Table output: what `kubectl get ingress` prints, ADDRESS included."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes

from lbctl.kube.emulator import KubeEmulator
from lbctl.kube.emulator.tables import to_table

INGRESS = {
    "metadata": {"name": "shop"},
    "spec": {
        "ingressClassName": "alb",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "tls"}],
        "rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}],
    },
}  # fmt: skip


def _create_with_address(emulator: KubeEmulator, address: str) -> None:
    api = kubernetes.client.ApiClient(kubernetes.client.Configuration(host=emulator.url))
    networking = kubernetes.client.NetworkingV1Api(api)
    networking.create_namespaced_ingress("default", INGRESS)
    networking.patch_namespaced_ingress_status(
        "shop", "default", {"status": {"loadBalancer": {"ingress": [{"hostname": address}]}}}
    )


def test_ingress_table_columns(emulator: KubeEmulator) -> None:
    _create_with_address(emulator, "lb.example.net")
    body = emulator.store.list(emulator.kind("networking.k8s.io/v1", "ingresses"), "default", None, None, None, None)
    table = to_table("Ingress", body)
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    assert table["rows"][0]["cells"][:5] == ["shop", "alb", "shop.example.com", "lb.example.net", "80, 443"]


def test_kubectl_get_ingress_shows_address(emulator: KubeEmulator, tmp_path: Path) -> None:
    _create_with_address(emulator, "k8s-default-shop-0123456789.us-east-1.elb.amazonaws.com")
    kubeconfig = emulator.write_kubeconfig(tmp_path / "config")
    out = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "get", "ingress"], capture_output=True,
                         text=True, timeout=60, check=True).stdout  # fmt: skip
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert row.split()[:4] == ["shop", "alb", "shop.example.com",
                               "k8s-default-shop-0123456789.us-east-1.elb.amazonaws.com"]  # fmt: skip
