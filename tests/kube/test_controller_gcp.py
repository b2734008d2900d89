"""`lbctl run --provider gcp` end to end: Kubernetes API emulator + Compute emulator + the real GCP provider."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from emulators.gce import ComputeEmulator
from emulators.gce.project import GcpProject, create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.controller import controller
from emulators.testing.objects import endpoint_slice, ingress, node, service
from emulators.testing.waiting import address_of, events_for, gone, wait_for
from lbctl.cloudcalls import is_mutating
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


STATUS_KEYS = {
    "ingress.kubernetes.io/backends",
    "ingress.kubernetes.io/url-map",
    "ingress.kubernetes.io/forwarding-rule",
    "ingress.kubernetes.io/https-forwarding-rule",
    "ingress.kubernetes.io/target-proxy",
    "ingress.kubernetes.io/https-target-proxy",
    "ingress.kubernetes.io/ssl-cert",
    "ingress.kubernetes.io/static-ip",
}


def status_of(net: kubernetes.client.NetworkingV1Api, name: str) -> dict[str, str]:
    found = net.read_namespaced_ingress(name, "default").metadata.annotations or {}
    return {k: v for k, v in found.items() if k.startswith("ingress.kubernetes.io/")}


def ingress_writes(kube: KubeEmulator, name: str) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in kube.requests
        if r.resource == "ingresses" and r.name == name and r.method in ("PATCH", "PUT")
    ]


def test_status_annotations_name_what_was_made(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, compute: ComputeEmulator, project: GcpProject
) -> None:
    """As ingress-gce, the Ingress names its URL map, forwarding rules, proxies, certificate, static IP and
    backend services (the emulator's own names); a resync writes nothing; TLS removed drops the HTTPS keys;
    deleting the Ingress removes them all before the finalizer goes. Beside it, a Service's standalone NEGs
    and their `neg-status` (one controller run for both)."""
    net = kubernetes.client.NetworkingV1Api(cluster)
    cert, key = self_signed("shop.example.com", serial=71)
    kubernetes.client.CoreV1Api(cluster).create_namespaced_secret(
        "default",
        {
            "metadata": {"name": "shop-tls", "namespace": "default"},
            "type": "kubernetes.io/tls",
            "data": {
                "tls.crt": base64.b64encode(cert.encode()).decode(),
                "tls.key": base64.b64encode(key.encode()).decode(),
            },
        },
    )
    expose_web(cluster)
    process = controller(
        kube, "gcp", compute.url, "e2e", project=PROJECT, zones=["us-central1-a", "us-central1-b"]
    ).start()
    try:
        body = gce_ingress("shop", {"/users": "users", "/products": "products"})
        body["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
        net.create_namespaced_ingress("default", body)
        wait_for(lambda: address_of(cluster, "shop"), what="status IP")
        status = wait_for(
            lambda: (s := status_of(net, "shop")) and set(s) == STATUS_KEYS and s, what="status annotations"
        )
        made = ours(compute)
        assert [status["ingress.kubernetes.io/url-map"]] == made["urlMaps"]
        assert sorted([status["ingress.kubernetes.io/target-proxy"]]) == made["targetHttpProxies"]
        assert [status["ingress.kubernetes.io/https-target-proxy"]] == made["targetHttpsProxies"]
        assert [status["ingress.kubernetes.io/ssl-cert"]] == made["sslCertificates"]
        assert (
            sorted(
                [
                    status["ingress.kubernetes.io/forwarding-rule"],
                    status["ingress.kubernetes.io/https-forwarding-rule"],
                ]
            )
            == made["forwardingRules"]
        )
        inventory = compute.inventory()
        https_rule = next(
            v
            for k, v in inventory.items()
            if k.endswith(status["ingress.kubernetes.io/https-forwarding-rule"])
        )
        assert https_rule["target"].endswith("/" + status["ingress.kubernetes.io/https-target-proxy"])
        assert status["ingress.kubernetes.io/static-ip"] == "shop-ip"
        assert json.loads(status["ingress.kubernetes.io/backends"]) == dict.fromkeys(
            made["backendServices"], "HEALTHY"
        )

        # the converge that wrote the status may still be finishing (under load): count from a quiet queue
        wait_for(lambda: process.controller.queue.idle, what="first converge done")
        writes = ingress_writes(kube, "shop")
        process.controller.enqueue_all()
        wait_for(lambda: process.controller.queue.idle, what="resync done")
        assert ingress_writes(kube, "shop") == writes, "a resync of an unchanged Ingress must not patch it"
        standalone_negs_follow_the_service(kube, cluster, compute, process)

        # the health checkers lose every node: getHealth reports it when discovery next reads the cloud
        for path, body in compute.inventory().items():
            if "/instances/" in path:
                compute.set_health(body["networkInterfaces"][0]["networkIP"], 0, "UNHEALTHY")
        process.controller.provider.invalidate_cache()  # as when the discovery ttl runs out
        process.controller.enqueue_all()
        wait_for(
            lambda: (
                set(json.loads(status_of(net, "shop")["ingress.kubernetes.io/backends"]).values())
                == {"UNHEALTHY"}
            ),
            what="backends UNHEALTHY",
        )
        compute.store.health.clear()

        body = net.read_namespaced_ingress("shop", "default")
        body.spec.tls = None
        net.replace_namespaced_ingress("shop", "default", body)
        plain = wait_for(
            lambda: (
                (s := status_of(net, "shop")) and "ingress.kubernetes.io/https-target-proxy" not in s and s
            ),
            what="HTTPS status annotations removed",
        )
        assert set(plain) == STATUS_KEYS - {
            "ingress.kubernetes.io/https-forwarding-rule",
            "ingress.kubernetes.io/https-target-proxy",
            "ingress.kubernetes.io/ssl-cert",
        }
        assert plain["ingress.kubernetes.io/url-map"] == status["ingress.kubernetes.io/url-map"]

        # another controller's finalizer keeps the deleted Ingress readable once lbctl let go of it
        net.patch_namespaced_ingress(
            "shop", "default", {"metadata": {"finalizers": ["example.com/hold", FINALIZER]}}
        )
        net.delete_namespaced_ingress("shop", "default")
        left = wait_for(
            lambda: (
                (i := net.read_namespaced_ingress("shop", "default")).metadata.finalizers
                == ["example.com/hold"]
                and i
            ),
            what="lbctl's finalizer dropped",
        )
        assert not ours(compute)
        assert not {k for k in left.metadata.annotations or {} if k in STATUS_KEYS}, "removed on delete"
        net.patch_namespaced_ingress("shop", "default", {"metadata": {"finalizers": None}})
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="Ingress deleted")
    finally:
        process.stop()


def test_shared_vpc_firewall_refused_is_a_warning_event_with_the_gcloud_command(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, compute: ComputeEmulator, project: GcpProject
) -> None:
    """The host project refuses the firewall rule: without networking.gke.io/suppress-firewall-xpn-error the
    reconcile fails and its Warning names the annotation and the command; with it the load balancer converges
    and a Warning Event carries the command the host project's admin runs."""
    host = "host-network-project"
    compute.deny(host, ["compute.firewalls.create", "compute.firewalls.update", "compute.firewalls.delete"])
    net = kubernetes.client.NetworkingV1Api(cluster)
    process = controller(
        kube,
        "gcp",
        compute.url,
        "e2e",
        project=PROJECT,
        zones=["us-central1-a", "us-central1-b"],
        network_project=host,
    ).start()
    try:
        net.create_namespaced_ingress("default", gce_ingress("shop", {"/users": "users"}))

        def warning(about: str) -> str | None:
            return next((m for t, _, m in events_for(cluster, "shop") if t == "Warning" and about in m), None)

        refused = wait_for(lambda: warning("gcloud compute firewall-rules create"), what="refused Warning")
        assert "suppress-firewall-xpn-error" in refused and f"--project {host}`" in refused
        assert address_of(cluster, "shop") is None and not ours(compute)

        net.patch_namespaced_ingress(
            "shop",
            "default",
            {"metadata": {"annotations": {"networking.gke.io/suppress-firewall-xpn-error": "true"}}},
        )
        assert wait_for(lambda: address_of(cluster, "shop"), what="status IP") == project.static_ip
        assert "firewalls" not in ours(compute)

        def suppressed() -> list[str]:
            return [
                m
                for t, _, m in events_for(cluster, "shop")
                if t == "Warning" and m.startswith("Firewall change required by security admin: `gcloud")
            ]

        # the Event follows the status write of the same reconcile: wait for it, not just for the address
        found = wait_for(suppressed, what="the firewall Warning")
        assert all(f"--project {host}`" in m for m in found), found
        compute.denied.clear()
        net.delete_namespaced_ingress("shop", "default")
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="Ingress deleted")
        assert ours(compute) == {}
    finally:
        process.stop()


def _web_slice(ip: str, node_name: str, zone: str) -> dict:
    return {
        "metadata": {
            "name": "web-abc",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": True}, "nodeName": node_name, "zone": zone}
        ],
    }


NEG, NEG_STATUS = "cloud.google.com/neg", "cloud.google.com/neg-status"


def expose_web(cluster: kubernetes.client.ApiClient) -> None:
    """A ClusterIP Service `web` exposing port 80 as standalone NEGs, its one pod on gke-a."""
    body = {
        "metadata": {
            "name": "web",
            "namespace": "default",
            "annotations": {NEG: '{"exposed_ports": {"80": {}}}'},
        },
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }
    kubernetes.client.CoreV1Api(cluster).create_namespaced_service("default", body)
    kubernetes.client.DiscoveryV1Api(cluster).create_namespaced_endpoint_slice(
        "default", _web_slice("10.8.0.5", "gke-a", "us-central1-a")
    )


def standalone_negs_follow_the_service(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, compute: ComputeEmulator, process: Any
) -> None:
    """`exposed_ports` on a ClusterIP Service: a NEG per zone of the nodes, `cloud.google.com/neg-status` as
    ingress-gce writes it; a resync writes nothing; the pod moving zones only attaches and detaches; the
    annotation removed takes the NEGs, the status annotation and the finalizer away."""
    core, discovery = kubernetes.client.CoreV1Api(cluster), kubernetes.client.DiscoveryV1Api(cluster)

    def endpoints() -> dict[str, list[tuple[str, int]]]:
        return {
            path.split("/zones/")[1].split("/")[0]: [(e["ipAddress"], e["port"]) for e in item["_endpoints"]]
            for path, item in compute.inventory().items()
            if "/networkEndpointGroups/" in path
        }

    def annotations() -> dict[str, str]:
        return core.read_namespaced_service("web", "default").metadata.annotations or {}

    raw = wait_for(lambda: annotations().get(NEG_STATUS), what="neg-status")
    (name,) = set(ours(compute)["networkEndpointGroups"])  # one name, in both zones
    assert raw == json.dumps(
        {"network_endpoint_groups": {"80": name}, "zones": ["us-central1-a", "us-central1-b"]},
        separators=(",", ":"),
    )
    assert endpoints() == {"us-central1-a": [("10.8.0.5", 8080)], "us-central1-b": []}
    assert FINALIZER in core.read_namespaced_service("web", "default").metadata.finalizers

    compute.clear_requests()
    patches = [r for r in kube.requests if r.resource == "services" and r.method == "PATCH"]
    process.controller.enqueue_all()
    wait_for(lambda: process.controller.queue.idle, what="resync done")
    assert [r for r in kube.requests if r.resource == "services" and r.method == "PATCH"] == patches
    assert not [r for r in compute.requests if is_mutating(r.api_method)]

    discovery.replace_namespaced_endpoint_slice(
        "web-abc", "default", _web_slice("10.8.1.7", "gke-b", "us-central1-b")
    )
    wait_for(
        lambda: endpoints() == {"us-central1-a": [], "us-central1-b": [("10.8.1.7", 8080)]}, what="moved"
    )
    writes = {r.api_method for r in compute.requests if is_mutating(r.api_method)}
    assert writes == {
        "networkEndpointGroups.attachNetworkEndpoints",
        "networkEndpointGroups.detachNetworkEndpoints",
    }

    core.patch_namespaced_service("web", "default", {"metadata": {"annotations": {NEG: None}}})
    wait_for(lambda: NEG_STATUS not in annotations(), what="neg-status removed")
    assert not endpoints() and "networkEndpointGroups" not in ours(compute)
    assert FINALIZER not in (core.read_namespaced_service("web", "default").metadata.finalizers or [])
