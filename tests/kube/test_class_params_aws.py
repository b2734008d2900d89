"""IngressClassParams end to end (`lbctl run --provider aws` on the Kubernetes emulator and moto): the admin
applies the CRD and the parameters with kubectl; an Ingress from a namespace the namespaceSelector does not
select, and one whose annotation asks for another scheme than the class pins, get an error Event and never
reach the cloud, while a conforming Ingress of the class gets the pinned scheme."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes
import pytest

from emulators.aws import AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import node, service
from emulators.testing.scripts import script
from emulators.testing.waiting import wait_for

CLUSTER = "e2e-params"
MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
PARAMS = """
apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata: {name: shop-params}
spec:
  scheme: internet-facing
  namespaceSelector: {matchLabels: {team: shop}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: shop-alb}
spec:
  controller: ingress.k8s.aws/alb
  parameters: {apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: shop-params}
"""


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [script("kubectl"), "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def shop_ingress(namespace: str, name: str, annotations: dict[str, str] | None = None) -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations or {}},
        "spec": {
            "ingressClassName": "shop-alb",
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "users", "port": {"name": "http"}}},
                            }
                        ]
                    }
                }
            ],
        },
    }


def failures(api: kubernetes.client.ApiClient, namespace: str, name: str) -> list[str]:
    events = kubernetes.client.CoreV1Api(api).list_namespaced_event(namespace).items
    return [
        e.message
        for e in events
        if e.involved_object.name == name and e.type == "Warning" and e.reason == "FailedBuildModel"
    ]


@pytest.fixture
def cluster(kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount) -> None:
    core = kubernetes.client.CoreV1Api(api)
    for name, instance in account.instances.items():
        zone = "us-east-1a" if name == "node-a" else "us-east-1b"
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    core.create_namespace({"metadata": {"name": "lbctl-system"}})
    core.create_namespace({"metadata": {"name": "shop", "labels": {"team": "shop"}}})
    core.create_namespace({"metadata": {"name": "other"}})
    for namespace in ("shop", "other"):
        body = service("users", 30080 if namespace == "shop" else 30081)
        body["metadata"]["namespace"] = namespace
        core.create_namespaced_service(namespace, body)


def test_params_refuse_other_namespaces_and_pin_the_scheme(
    kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount, cluster: None, tmp_path: Path
) -> None:
    kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
    kubectl(
        kubeconfig, "apply", "-f", str(MANIFESTS / "aws" / "ingressclassparams-crd.yaml")
    )  # as an admin installs lbctl
    kubectl(kubeconfig, "apply", "-f", "-", stdin=PARAMS)
    net = kubernetes.client.NetworkingV1Api(api)
    net.create_namespaced_ingress("other", shop_ingress("other", "web"))
    internal = {"alb.ingress.kubernetes.io/scheme": "internal"}
    net.create_namespaced_ingress("shop", shop_ingress("shop", "private", internal))

    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        (refused,) = wait_for(lambda: failures(api, "other", "web"), what="namespace refusal Event")
        assert "namespace other may not use IngressClass shop-alb" in refused
        assert "namespaceSelector of IngressClassParams shop-params" in refused
        (pinned,) = wait_for(lambda: failures(api, "shop", "private"), what="scheme conflict Event")
        assert pinned.startswith("metadata.annotations[alb.ingress.kubernetes.io/scheme]: is 'internal'")
        assert "IngressClassParams shop-params spec.scheme fixes 'internet-facing'" in pinned

        # Neither Ingress reached the cloud: what was called is exactly the start-up listing of the cluster's
        # stacks (measured on an idle controller of the same configuration), no lookup or write for them.
        idle = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id)
        idle.provider.list_stacks()
        assert process.stats.snapshot() == idle.stats.snapshot()
        assert process.stats.total(mutating=True) == 0
        assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
        assert address_of_in(api, "other", "web") is None

        # A conforming Ingress of the class gets the scheme the class pins (not the registry's internal).
        net.create_namespaced_ingress("shop", shop_ingress("shop", "web"))
        hostname = wait_for(lambda: address_of_in(api, "shop", "web"), what="status address")
        (lb,) = account.client("elbv2").describe_load_balancers()["LoadBalancers"]
        assert lb["DNSName"] == hostname and lb["Scheme"] == "internet-facing"
        assert address_of_in(api, "shop", "private") is None
    finally:
        process.stop()


def address_of_in(api: kubernetes.client.ApiClient, namespace: str, name: str) -> str | None:
    status = kubernetes.client.NetworkingV1Api(api).read_namespaced_ingress_status(name, namespace).status
    entries = status.load_balancer.ingress or []
    return (entries[0].hostname or entries[0].ip) if entries else None


def test_a_group_pinned_later_moves_the_ingress_and_removes_its_old_load_balancer(
    kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount, cluster: None, tmp_path: Path
) -> None:
    kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
    kubectl(kubeconfig, "apply", "-f", str(MANIFESTS / "aws" / "ingressclassparams-crd.yaml"))
    kubectl(kubeconfig, "apply", "-f", "-", stdin=PARAMS)
    net = kubernetes.client.NetworkingV1Api(api)
    net.create_namespaced_ingress("shop", shop_ingress("shop", "web"))
    elbv2 = account.client("elbv2")

    def stacks() -> list[str]:
        lbs = elbv2.describe_load_balancers()["LoadBalancers"]
        if not lbs:
            return []
        described = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in lbs])["TagDescriptions"]
        return sorted(t["Value"] for d in described for t in d["Tags"] if t["Key"] == "lbctl.io/stack")

    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        wait_for(lambda: stacks() == ["shop/web"], what="the Ingress's own load balancer")
        kubectl(
            kubeconfig,
            "apply",
            "-f",
            "-",
            stdin=PARAMS.replace("scheme: internet-facing", "group: {name: edge}"),
        )
        wait_for(lambda: stacks() == ["edge"], what="the pinned group's load balancer, the old one gone")
        assert wait_for(
            lambda: (
                address_of_in(api, "shop", "web")
                == elbv2.describe_load_balancers()["LoadBalancers"][0]["DNSName"]
            ),
            what="the address of the new load balancer",
        )
    finally:
        process.stop()
