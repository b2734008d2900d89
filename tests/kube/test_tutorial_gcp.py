"""A GKE tutorial as written, on the embedded cluster: `kubectl apply` of the GCP install's default backend, a
2-replica Deployment per app, NodePort Services without `nodePort` and a v1 Ingress without `defaultBackend`,
with `lbctl run --provider gcp` as a real process. The cluster assigns node ports, runs the pods and fills the
EndpointSlices; the URL map gets three backend services (two paths and the cluster default)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import kubernetes
import yaml

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.objects import node
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import address_of, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "tutorial-project"
ZONES = {"gke-pool-a": "us-central1-a", "gke-pool-b": "us-central1-b"}


def app(name: str) -> list[dict]:
    labels = {"app": name}
    container = {
        "name": name,
        "image": f"example/{name}:1",
        "ports": [{"name": "http", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": f"/{name}/healthz", "port": 8080}},
    }
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "NodePort", "selector": labels, "ports": [{"port": 80, "targetPort": 8080}]},
        },
    ]


INGRESS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "shop", "namespace": "default"},
    "spec": {
        "ingressClassName": "gce",
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": f"/{name}",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": name, "port": {"number": 80}}},
                        }
                        for name in ("users", "products")
                    ]
                }
            }
        ],
    },
}


def test_tutorial_converges_with_the_cluster_doing_its_part(tmp_path: Path) -> None:
    with KubeEmulator() as kube, ComputeEmulator(port=0) as compute:
        create_gcp_project(compute.url, PROJECT, ZONES, static_ip_name=None)
        api = kube.api_client()
        core = kubernetes.client.CoreV1Api(api)
        for name, zone in ZONES.items():
            core.create_node(node(name, f"gce://{PROJECT}/{zone}/{name}", zone))
        kubeconfig = str(kube.write_kubeconfig(tmp_path / "kubeconfig"))

        def kubectl(*args: str) -> str:
            done = subprocess.run(
                ["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        files = tmp_path / "tutorial.yaml"
        files.write_text(yaml.safe_dump_all([*app("users"), *app("products"), INGRESS]))
        kubectl("apply", "-f", str(ROOT / "manifests" / "gcp" / "default-http-backend.yaml"))
        kubectl("apply", "-f", str(files))

        health = free_port()
        env = {**os.environ, "LBCTL_KUBE_API_TOKEN": kube.token}
        with open(tmp_path / "run.log", "w") as log:
            run = subprocess.Popen(
                [
                    LBCTL,
                    "run",
                    "--provider",
                    "gcp",
                    "--cluster-name",
                    "tutorial",
                    "--gcp-project",
                    PROJECT,
                    "--endpoint-url",
                    compute.url,
                    "--kube-api-url",
                    kube.url,
                    "--metrics-addr",
                    f"127.0.0.1:{free_port()}",
                    "--health-addr",
                    f"127.0.0.1:{health}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                env=env,
            )
            try:
                address = wait_for(lambda: address_of(api, "shop"), timeout=120, what="the Ingress's IP")
            finally:
                run.terminate()
                run.wait(timeout=60)
        log_text = (tmp_path / "run.log").read_text()
        assert "Traceback" not in log_text, log_text[-3000:]

        for name in ("users", "products"):
            (port,) = core.read_namespaced_service(name, "default").spec.ports
            assert 30000 <= port.node_port <= 32767
            pods = core.list_namespaced_pod("default", label_selector=f"app={name}").items
            assert len(pods) == 2 and all(p.status.pod_ip for p in pods)
            slices = (
                kubernetes.client.DiscoveryV1Api(api)
                .list_namespaced_endpoint_slice(
                    "default", label_selector=f"kubernetes.io/service-name={name}"
                )
                .items
            )
            addresses = {a for s in slices for e in s.endpoints for a in e.addresses if e.conditions.ready}
            assert addresses == {p.status.pod_ip for p in pods}
        inventory = compute.inventory()
        backends = [k for k in inventory if "/backendServices/" in k]
        assert len(backends) == 3, backends
        (url_map,) = [v for k, v in inventory.items() if "/urlMaps/" in k]
        assert "kubesystem-defaulthttp" in url_map["defaultService"]
        rules = [v for k, v in inventory.items() if "/forwardingRules/" in k]
        assert {r["IPAddress"] for r in rules} == {address}

        shown = kubectl("get", "svc,events", "-A")
        headers = [line.split() for line in shown.splitlines() if line.startswith("NAMESPACE")]
        assert ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"] in headers
        assert ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] in headers
