"""Each install overlay (manifests/aws, manifests/gcp, as `kubectl kustomize` renders them) grants exactly
what the controller for that cloud calls: recorded from the Kubernetes API emulator's request log (by the
controller's User-Agent) over a lifecycle on that cloud, with a TLS Secret (read by name) in use, and a
Gateway (with an HTTPRoute and a GRPCRoute) made and deleted."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

import kubernetes
import pytest
import yaml

from emulators.aws import AwsAccount, add_aws_instances, create_aws_account, moto_server
from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.controller import controller
from emulators.testing.crds import install_gateway_api_crds, install_lbctl_crds, install_policy_crds
from emulators.testing.objects import ingress, node, service
from emulators.testing.waiting import address_of, gone, wait_for
from lbctl.kube.access import LEASE_ACCESS, required_access
from lbctl.kube.run import USER_AGENT, ControllerProcess
from lbctl.model.annotations import MANAGED_CERTIFICATES

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
Grant = tuple[str, str, str]  # (api group, resource[/subresource], verb)


def granted(overlay: str) -> set[Grant]:
    out: set[Grant] = set()
    done = subprocess.run(
        ["kubectl", "kustomize", str(MANIFESTS / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for doc in yaml.safe_load_all(done.stdout):
        if doc and doc["kind"] in ("ClusterRole", "Role"):
            for rule in doc["rules"]:
                out |= {
                    (g, r, v) for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]
                }
    return out


def called(kube: KubeEmulator) -> set[Grant]:
    return {
        (r.api_group, r.resource + (f"/{r.subresource}" if r.subresource else ""), r.verb)
        for r in kube.requests
        if r.user_agent == USER_AGENT and r.resource
    }


def lifecycle(
    kube: KubeEmulator,
    provider: str,
    cloud_url: str,
    nodes: dict[str, str],
    ingress_body: dict,
    binding: Callable[[kubernetes.client.ApiClient, ControllerProcess], None] | None = None,
    **options: object,
) -> None:
    """Create, reconcile, delete one Ingress (and, with `binding`, what it does) with a leader-elected
    controller."""
    api = kube.api_client()
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "lbctl-system"}})
    for name, provider_id in nodes.items():
        zone = provider_id.split("/")[-2]
        core.create_node(node(name, provider_id, zone))
    core.create_namespaced_service("default", service("users", 30080))
    cert, key = self_signed("shop.example.com", serial=61)
    core.create_namespaced_secret(
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
    ingress_body["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    process = controller(kube, provider, cloud_url, "rbac", leader_elect=True, **options).start()
    net = kubernetes.client.NetworkingV1Api(api)
    try:
        wait_for(lambda: process.elector.leading.is_set(), what="leadership")
        net.create_namespaced_ingress("default", ingress_body)
        wait_for(lambda: address_of(api, "shop"), what="converged")
        net.delete_namespaced_ingress("shop", "default")
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="deleted")
        if binding is not None:
            binding(api, process)
    finally:
        process.stop()


def gateway(api: kubernetes.client.ApiClient, process: ControllerProcess, controller_name: str) -> None:
    """A GatewayClass of ours, a Gateway with an HTTPRoute and a GRPCRoute attached: statuses, the finalizer,
    then the Gateway's deletion."""
    objects = kubernetes.client.CustomObjectsApi(api)
    where = ("gateway.networking.k8s.io", "v1")

    def body(kind: str, name: str, spec: dict) -> dict:
        return {"apiVersion": "/".join(where), "kind": kind, "metadata": {"name": name}, "spec": spec}

    objects.create_cluster_custom_object(
        *where, "gatewayclasses", body("GatewayClass", "lbctl", {"controllerName": controller_name})
    )
    backend = {"parentRefs": [{"name": "web"}], "rules": [{"backendRefs": [{"name": "users", "port": 80}]}]}
    objects.create_namespaced_custom_object(
        *where, "default", "httproutes", body("HTTPRoute", "web", backend)
    )
    objects.create_namespaced_custom_object(
        *where, "default", "grpcroutes", body("GRPCRoute", "rpc", backend)
    )
    # the Gateway once the controller has its routes: its first converge then has a backend (a Google Cloud
    # URL map needs one), so no failure, and no repeated Event, depends on timing
    informers = process.controller.informers
    wait_for(
        lambda: informers["HTTPRoute"].get("default/web") and informers["GRPCRoute"].get("default/rpc"),
        what="routes cached",
    )
    listener = {"name": "http", "port": 80, "protocol": "HTTP"}
    gateway = body("Gateway", "web", {"gatewayClassName": "lbctl", "listeners": [listener]})
    objects.create_namespaced_custom_object(*where, "default", "gateways", gateway)

    def written() -> bool:
        statuses = [
            objects.get_namespaced_custom_object(*where, "default", plural, name).get("status") or {}
            for plural, name in (("httproutes", "web"), ("grpcroutes", "rpc"))
        ]
        gateway = objects.get_namespaced_custom_object(*where, "default", "gateways", "web")
        return all(s.get("parents") for s in statuses) and bool(gateway.get("status", {}).get("addresses"))

    wait_for(written, timeout=60, what="Gateway and route statuses")
    if (
        controller_name == "lbctl.io/gce"
    ):  # GKE's policies of the Service and the Gateway: their status.ancestors
        service = {"group": "", "kind": "Service", "name": "users"}
        policies = {
            "healthcheckpolicies": ("HealthCheckPolicy", {"checkIntervalSec": 9}, service),
            "gcpbackendpolicies": ("GCPBackendPolicy", {"timeoutSec": 40}, service),
            "gcpgatewaypolicies": (
                "GCPGatewayPolicy",
                {"sslPolicy": "modern"},
                {"group": where[0], "kind": "Gateway", "name": "web"},
            ),
        }
        for plural, (kind, default, target) in policies.items():
            policy = {
                "apiVersion": "networking.gke.io/v1",
                "kind": kind,
                "metadata": {"name": "users"},
                "spec": {"default": default, "targetRef": target},
            }
            objects.create_namespaced_custom_object("networking.gke.io", "v1", "default", plural, policy)
        for plural in policies:
            wait_for(
                lambda plural=plural: (
                    objects.get_namespaced_custom_object(
                        "networking.gke.io", "v1", "default", plural, "users"
                    )
                    .get("status", {})
                    .get("ancestors")
                ),
                timeout=60,
                what=f"{plural} status",
            )
    objects.delete_namespaced_custom_object(*where, "default", "gateways", "web")
    wait_for(
        lambda: gone(lambda: objects.get_namespaced_custom_object(*where, "default", "gateways", "web")),
        timeout=60,
        what="Gateway deleted",
    )


def aws_calls() -> set[Grant]:
    with moto_server() as aws_url:
        account = create_aws_account(aws_url, "us-east-1", "rbac", ("us-east-1a", "us-east-1b"))
        instances = add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
        with KubeEmulator() as kube:
            install_lbctl_crds(kube, ("aws",))
            install_gateway_api_crds(kube)
            install_policy_crds(kube, ("aws",))
            nodes = {
                n: f"aws:///{'us-east-1a' if n == 'node-a' else 'us-east-1b'}/{i}"
                for n, i in instances.items()
            }
            lifecycle(
                kube,
                "aws",
                aws_url,
                nodes,
                ingress("shop", {"/users": "users"}),
                binding=lambda api, process: (
                    target_group_binding(api, account),
                    load_balancer_service(api),
                    gateway(api, process, "lbctl.io/alb"),
                ),
                vpc_id=account.vpc_id,
            )
            return called(kube)


def target_group_binding(api: kubernetes.client.ApiClient, account: AwsAccount) -> None:
    """Bind a target group made outside lbctl, then delete the binding (finalizer, status, Events)."""
    elbv2 = account.client("elbv2")
    arn = elbv2.create_target_group(
        Name="bound",
        Protocol="HTTP",
        Port=80,
        VpcId=account.vpc_id,
        TargetType="instance",
        Tags=[{"Key": "lbctl.io/target-group-binding", "Value": "default"}],
    )["TargetGroups"][0]["TargetGroupArn"]
    objects = kubernetes.client.CustomObjectsApi(api)
    where = ("elbv2.k8s.aws", "v1beta1", "default", "targetgroupbindings")
    body = {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": {"name": "bound"},
        "spec": {"targetGroupARN": arn, "serviceRef": {"name": "users", "port": 80}},
    }
    objects.create_namespaced_custom_object(*where, body)

    def targets() -> int:
        return len(elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"])

    wait_for(lambda: targets() == 2, what="targets registered")
    wait_for(
        lambda: (
            objects.get_namespaced_custom_object(*where, "bound").get("status", {}).get("observedGeneration")
        ),
        what="binding status",
    )
    objects.delete_namespaced_custom_object(*where, "bound")
    wait_for(lambda: gone(lambda: objects.get_namespaced_custom_object(*where, "bound")), what="binding gone")
    assert targets() == 0


def load_balancer_service(api: kubernetes.client.ApiClient) -> None:
    """A Service of type LoadBalancer of LBC's class: its NLB, status and finalizer, then its deletion."""
    core = kubernetes.client.CoreV1Api(api)
    body = {
        "metadata": {"name": "loki"},
        "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": "service.k8s.aws/nlb",
            "ports": [{"name": "http", "port": 3100, "targetPort": 3100}],
            "selector": {"app": "loki"},
        },
    }
    core.create_namespaced_service("default", body)

    def hostname() -> str | None:
        entries = core.read_namespaced_service("loki", "default").status.load_balancer.ingress or []
        return entries[0].hostname if entries else None

    wait_for(hostname, what="NLB hostname in the Service status")
    core.delete_namespaced_service("loki", "default")
    wait_for(lambda: gone(lambda: core.read_namespaced_service("loki", "default")), what="Service gone")


def gcp_calls() -> set[Grant]:
    with ComputeEmulator(port=0) as compute, KubeEmulator() as kube:
        install_lbctl_crds(kube, ("gcp",))
        install_gateway_api_crds(kube)
        install_policy_crds(kube, ("gcp",))
        create_gcp_project(compute.url, "rbac", {"gke-a": "us-central1-a"}, "shop-ip")
        body = ingress("shop", {"/users": "users"}, class_name="gce")
        body["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"name": "http"}}}
        # a ManagedCertificate too: the controller writes its status
        body["metadata"]["annotations"][MANAGED_CERTIFICATES] = "shop-cert"
        kubernetes.client.CustomObjectsApi(kube.api_client()).create_namespaced_custom_object(
            "networking.gke.io",
            "v1",
            "default",
            "managedcertificates",
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "ManagedCertificate",
                "metadata": {"name": "shop-cert"},
                "spec": {"domains": ["shop.example.com"]},
            },
        )
        lifecycle(
            kube,
            "gcp",
            compute.url,
            {"gke-a": "gce://rbac/us-central1-a/gke-a"},
            body,
            binding=lambda api, process: gateway(api, process, "lbctl.io/gce"),
            project="rbac",
            zones=["us-central1-a"],
        )
        return called(kube)


@pytest.mark.parametrize(("overlay", "lifecycle_calls"), [("aws", aws_calls), ("gcp", gcp_calls)])
def test_overlay_grants_exactly_what_the_controller_calls(
    overlay: str, lifecycle_calls: Callable[[], set[Grant]]
) -> None:
    used = lifecycle_calls()
    grants = granted(overlay)
    declared = set(required_access(overlay)) | set(LEASE_ACCESS)
    assert declared == grants, (
        f"lbctl/kube/access.py (what lbctl doctor checks) differs from manifests/{overlay}"
    )
    assert used - grants == set(), f"called but not granted: {sorted(used - grants)}"
    # a repeated Event is a patch of the first: whether one repeats in a lifecycle depends on timing
    repeats = {("", "events", "patch")}
    unused = grants - used - repeats
    assert unused == set(), f"granted but never called (least privilege): {sorted(unused)}"
