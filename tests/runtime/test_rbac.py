"""The ClusterRole and Role in manifests/ grant exactly what the controller calls: recorded from the
Kubernetes API emulator's request log (by the controller's User-Agent) over an AWS and a GCP lifecycle,
with a TLS Secret (read by name) in use."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes
import yaml

from lbctl.demo.clouds import add_aws_instances, create_aws_account, create_gcp_project, moto_server
from lbctl.kube.access import LEASE_ACCESS, required_access
from lbctl.kube.emulator import KubeEmulator
from lbctl.kube.run import USER_AGENT
from providers.gcp.emulator import ComputeEmulator
from tests.aws.certs import self_signed
from tests.runtime.support import address_of, controller, gone, ingress, node, service, wait_for

RBAC = Path(__file__).resolve().parents[2] / "manifests" / "10-rbac.yaml"
Grant = tuple[str, str, str]  # (api group, resource[/subresource], verb)


def granted() -> set[Grant]:
    out: set[Grant] = set()
    for doc in yaml.safe_load_all(RBAC.read_text()):
        if doc and doc["kind"] in ("ClusterRole", "Role"):
            for rule in doc["rules"]:
                out |= {(g, r, v) for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    return out


def called(kube: KubeEmulator) -> set[Grant]:
    return {(r.api_group, r.resource + (f"/{r.subresource}" if r.subresource else ""), r.verb)
            for r in kube.requests if r.user_agent == USER_AGENT and r.resource}  # fmt: skip


def lifecycle(kube: KubeEmulator, provider: str, cloud_url: str, nodes: dict[str, str], ingress_body: dict,
              **options: object) -> None:  # fmt: skip
    """Create, reconcile, delete one Ingress with a leader-elected controller."""
    api = kube.api_client()
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "lbctl-system"}})
    for name, provider_id in nodes.items():
        zone = provider_id.split("/")[-2]
        core.create_node(node(name, provider_id, zone))
    core.create_namespaced_service("default", service("users", 30080))
    cert, key = self_signed("shop.example.com", serial=61)
    core.create_namespaced_secret("default", {
        "metadata": {"name": "shop-tls", "namespace": "default"}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": base64.b64encode(cert.encode()).decode(), "tls.key": base64.b64encode(key.encode()).decode()}})  # fmt: skip
    ingress_body["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    process = controller(kube, provider, cloud_url, "rbac", leader_elect=True, **options).start()
    net = kubernetes.client.NetworkingV1Api(api)
    try:
        wait_for(lambda: process.elector.leading.is_set(), what="leadership")
        net.create_namespaced_ingress("default", ingress_body)
        wait_for(lambda: address_of(api, "shop"), what="converged")
        net.delete_namespaced_ingress("shop", "default")
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="deleted")
    finally:
        process.stop()


def test_roles_grant_exactly_what_the_controller_calls() -> None:
    used: set[Grant] = set()
    with moto_server() as aws_url:
        account = create_aws_account(aws_url, "us-east-1", "rbac", ("us-east-1a", "us-east-1b"))
        instances = add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
        with KubeEmulator() as kube:
            nodes = {n: f"aws:///{'us-east-1a' if n == 'node-a' else 'us-east-1b'}/{i}" for n, i in instances.items()}
            lifecycle(kube, "aws", aws_url, nodes, ingress("shop", {"/users": "users"}), vpc_id=account.vpc_id)
            used |= called(kube)
    with ComputeEmulator(port=0) as compute, KubeEmulator() as kube:
        create_gcp_project(compute.url, "rbac", {"gke-a": "us-central1-a"}, "shop-ip")
        body = ingress("shop", {"/users": "users"}, class_name="gce")
        body["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"name": "http"}}}
        lifecycle(kube, "gcp", compute.url, {"gke-a": "gce://rbac/us-central1-a/gke-a"},
                  body, project="rbac", zones=["us-central1-a"])  # fmt: skip
        used |= called(kube)
    grants = granted()
    declared = set(required_access("aws")) | set(required_access("gcp")) | set(LEASE_ACCESS)
    assert declared == grants, "lbctl/kube/access.py (what lbctl doctor checks) differs from manifests/10-rbac.yaml"
    assert used - grants == set(), f"called but not granted: {sorted(used - grants)}"
    assert grants - used == set(), f"granted but never called (least privilege): {sorted(grants - used)}"
