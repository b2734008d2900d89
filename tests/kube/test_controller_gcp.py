"""`lbctl run --provider gcp` end to end: Kubernetes API emulator + Compute emulator + the real GCP provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest
import yaml

from emulators.gce import ComputeEmulator
from emulators.gce.project import GcpProject, create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import endpoint_slice, ingress, node, service
from emulators.testing.waiting import address_of, events_for, gone, wait_for
from lbctl.kube.events import FINALIZER

PROJECT = "e2e-project"


@pytest.fixture(scope="module")
def compute() -> Iterator[ComputeEmulator]:
    emulator = ComputeEmulator(port=0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def project(compute: ComputeEmulator) -> GcpProject:
    compute.reset()
    return create_gcp_project(
        compute.url, PROJECT, {"gke-a": "us-central1-a", "gke-b": "us-central1-b"}, "shop-ip"
    )


def ours(compute: ComputeEmulator) -> dict[str, list[str]]:
    """Names of our resources by collection (the inventory is keyed by resource path)."""
    out: dict[str, list[str]] = {}
    for path in compute.inventory():
        collection, name = path.rsplit("/", 2)[-2:]
        if name.startswith("k8s2-"):
            out.setdefault(collection, []).append(name)
    return {k: sorted(v) for k, v in out.items()}


def addresses(compute: ComputeEmulator) -> list[str]:
    return [path.rsplit("/", 1)[-1] for path in compute.inventory() if "/addresses/" in path]


@pytest.fixture
def cluster(api: kubernetes.client.ApiClient, project: GcpProject) -> kubernetes.client.ApiClient:
    core = kubernetes.client.CoreV1Api(api)
    for name, zone in project.instances.items():
        core.create_node(node(name, f"gce://{PROJECT}/{zone}/{name}", zone))
    for name, port in (("users", 30080), ("products", 30081)):
        core.create_namespaced_service("default", service(name, port))
    core.create_namespace({"metadata": {"name": "lbctl-system"}})
    return api


def gce_ingress(name: str, paths: dict[str, str]) -> dict:
    body = ingress(name, paths, {"kubernetes.io/ingress.global-static-ip-name": "shop-ip"}, class_name="gce")
    body["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"name": "http"}}}
    return body


def test_create_update_delete_on_the_static_ip(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, compute: ComputeEmulator, project: GcpProject
) -> None:
    net = kubernetes.client.NetworkingV1Api(cluster)
    kubernetes.client.DiscoveryV1Api(cluster).create_namespaced_endpoint_slice(
        "default", endpoint_slice("users", ["10.8.0.10"], zone="us-central1-a")
    )
    process = controller(
        kube, "gcp", compute.url, "e2e", project=PROJECT, zones=["us-central1-a", "us-central1-b"]
    ).start()
    try:
        net.create_namespaced_ingress(
            "default", gce_ingress("shop", {"/users": "users", "/products": "products"})
        )
        assert wait_for(lambda: address_of(cluster, "shop"), what="status IP") == project.static_ip
        assert FINALIZER in net.read_namespaced_ingress("shop", "default").metadata.finalizers
        created = ours(compute)
        assert len(created["urlMaps"]) == 1 and len(created["backendServices"]) == 2
        mutating = process.stats.total(mutating=True)
        process.controller.enqueue_all()
        wait_for(lambda: process.controller.queue.idle, what="resync done")
        assert process.stats.total(mutating=True) == mutating, (
            "a resync of an unchanged Ingress must not write"
        )

        net.patch_namespaced_ingress("shop", "default", gce_ingress("shop", {"/users": "users"}))
        wait_for(lambda: len(ours(compute).get("backendServices", [])) == 1, what="products backend removed")

        net.delete_namespaced_ingress("shop", "default")
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="Ingress deleted")
        left = ours(compute)
        assert left == {}, f"left behind: {left}"
        assert addresses(compute) == ["shop-ip"], "the static IP is never deleted"
    finally:
        process.stop()


DEFAULT_BACKEND = Path(__file__).resolve().parents[2] / "manifests" / "gcp" / "default-http-backend.yaml"


def test_gke_cluster_default_backend(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, compute: ComputeEmulator, project: GcpProject
) -> None:
    """A two-path Ingress without spec.defaultBackend: until kube-system/default-http-backend exists, a Warning
    naming it and its install, and nothing in the cloud; once it is applied, a URL map whose default service is
    the third backend service."""
    net = kubernetes.client.NetworkingV1Api(cluster)
    process = controller(
        kube, "gcp", compute.url, "e2e", project=PROJECT, zones=["us-central1-a", "us-central1-b"]
    ).start()
    try:
        body = gce_ingress("shop", {"/users": "users", "/products": "products"})
        del body["spec"]["defaultBackend"]
        net.create_namespaced_ingress("default", body)

        def warning() -> str | None:
            return next(
                (
                    m
                    for t, r, m in events_for(cluster, "shop")
                    if t == "Warning" and r == "FailedBuildModel" and "kube-system/default-http-backend" in m
                ),
                None,
            )

        message = wait_for(warning, what="a Warning naming the missing cluster default backend")
        assert "kubectl apply -f manifests/gcp/default-http-backend.yaml" in message
        assert not ours(compute), "nothing is created for an Ingress whose default backend is missing"
        assert address_of(cluster, "shop") is None

        # kubectl apply -f manifests/gcp/default-http-backend.yaml: the cluster assigns the node port, runs the pod
        for doc in yaml.safe_load_all(DEFAULT_BACKEND.read_text()):
            if doc["kind"] == "Deployment":
                kubernetes.client.AppsV1Api(cluster).create_namespaced_deployment("kube-system", doc)
            else:
                kubernetes.client.CoreV1Api(cluster).create_namespaced_service("kube-system", doc)
        assert wait_for(lambda: address_of(cluster, "shop"), what="status IP") == project.static_ip
        created = ours(compute)
        assert len(created["urlMaps"]) == 1 and len(created["backendServices"]) == 3
        inventory = compute.inventory()
        (url_map,) = [v for k, v in inventory.items() if "/urlMaps/" in k]
        default_service = url_map["defaultService"].rsplit("/", 1)[-1]
        assert "kubesystem-defaulthttp" in default_service and default_service in created["backendServices"]
        checks = [v for k, v in inventory.items() if "/healthChecks/" in k and "kubesystem" in k]
        assert [c["httpHealthCheck"]["requestPath"] for c in checks] == ["/healthz"]
        node_port = (
            kubernetes.client.CoreV1Api(cluster)
            .read_namespaced_service("default-http-backend", "kube-system")
            .spec.ports[0]
            .node_port
        )
        assert checks[0]["httpHealthCheck"]["port"] == node_port
    finally:
        process.stop()
