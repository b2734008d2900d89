"""`lbctl run` as a process, as in issue 5's "done when": the two-service example created through the
kubernetes client converges, `kubectl get ingress` shows the ALB hostname, deleting the Ingress removes
our resources and then the finalizer; probes, metrics, JSON logs with the group key; SIGTERM drains
and releases the Lease; resources leaked while the controller was down are collected at start-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest
import requests

from emulators.aws import DEMO_KEYS, AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.objects import ingress, node, service
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import address_of, free_port, gone, health_ready, wait_for
from lbctl.cloudcalls import CallStats
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, StackInput, create_provider

CLUSTER = "proc"


def start_run(
    kube: KubeEmulator, account: AwsAccount, tmp_path: Path
) -> tuple[subprocess.Popen[str], int, int]:
    metrics, health = free_port(), free_port()
    env = {
        **os.environ,
        **{k.upper(): v for k, v in DEMO_KEYS.items()},
        "LBCTL_CLUSTER_NAME": CLUSTER,
        "LBCTL_KUBE_API_TOKEN": kube.token,
        "LBCTL_LEADER_ELECT": "true",
        "LBCTL_LEADER_NAMESPACE": "lbctl-system",
    }
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            LBCTL,
            "run",
            "--provider",
            "aws",
            "--endpoint-url",
            account.endpoint_url,
            "--aws-vpc-id",
            account.vpc_id,
            "--kube-api-url",
            kube.url,
            "--metrics-addr",
            f"127.0.0.1:{metrics}",
            "--health-addr",
            f"127.0.0.1:{health}",
            "--workers",
            "2",
            "--discovery-ttl",
            "60",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return process, metrics, health


def our_load_balancers(account: AwsAccount) -> list[str]:
    elbv2 = account.client("elbv2")
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    if not arns:
        return []
    tags = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]
    return [t["ResourceArn"] for t in tags if {"Key": "lbctl.io/cluster", "Value": CLUSTER} in t["Tags"]]


@pytest.fixture
def cluster(account: AwsAccount) -> Iterator[tuple[KubeEmulator, kubernetes.client.ApiClient]]:
    with KubeEmulator() as kube:
        api = kube.api_client()
        core = kubernetes.client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "lbctl-system"}})
        for name, instance in account.instances.items():
            zone = "us-east-1a" if name == "node-a" else "us-east-1b"
            core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
        for name, port in (("users", 30080), ("products", 30081)):
            core.create_namespaced_service("default", service(name, port))
        yield kube, api


def test_run_process_converges_reports_and_drains(cluster, account: AwsAccount, tmp_path: Path) -> None:
    kube, api = cluster
    process, metrics, health = start_run(kube, account, tmp_path)
    try:
        wait_for(lambda: health_ready(health), timeout=60, what="/readyz")
        assert requests.get(f"http://127.0.0.1:{health}/healthz", timeout=5).text == "ok"
        net = kubernetes.client.NetworkingV1Api(api)
        net.create_namespaced_ingress(
            "default",
            ingress(
                "shop",
                {"/users": "users", "/products": "products"},
                {"alb.ingress.kubernetes.io/scheme": "internet-facing"},
            ),
        )
        hostname = wait_for(lambda: address_of(api, "shop"), timeout=60, what="ALB hostname in status")
        kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
        shown = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "get", "ingress", "shop"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert hostname in shown.splitlines()[1].split()
        text = requests.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5).text
        assert 'lbctl_reconcile_total{outcome="success",provider="aws"}' in text
        assert (
            'lbctl_cloud_api_calls_total{operation="CreateLoadBalancer",outcome="ok",service="elbv2"} 1.0'
            in text
        )
        assert "lbctl_leader 1.0" in text

        net.delete_namespaced_ingress("shop", "default")
        wait_for(
            lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")),
            timeout=60,
            what="Ingress gone",
        )
        assert our_load_balancers(account) == []
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
    lease = kubernetes.client.CoordinationV1Api(api).read_namespaced_lease("lbctl-aws-leader", "lbctl-system")
    assert not lease.spec.holder_identity, "SIGTERM must release the Lease"
    lines = [
        json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines() if line.startswith("{")
    ]
    assert any(line.get("key") == "default/shop" and line["msg"] == "reconciled" for line in lines)


def test_stacks_leaked_while_down_are_collected_at_start(
    cluster, account: AwsAccount, tmp_path: Path
) -> None:
    kube, _ = cluster
    manifest = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", **ingress("ghost", {"/": "users"})},
        *({"apiVersion": "v1", "kind": "Service", **service(n, p)} for n, p in (("users", 30080),)),
    ]
    snapshot = ClusterSnapshot.from_objects(manifest)
    (spec,) = build(snapshot, BuildConfig.for_provider("aws")).specs
    provider = create_provider(
        "aws",
        ProviderConfig(
            CLUSTER,
            account.endpoint_url,
            call_stats=CallStats(),
            options={"region": "us-east-1", "vpc_id": account.vpc_id, **DEMO_KEYS},
        ),
    )
    provider.converge(
        StackInput.from_snapshot(spec, snapshot)
    )  # a stack whose Ingress no longer exists in the cluster
    assert len(our_load_balancers(account)) == 1
    process, _, health = start_run(kube, account, tmp_path)
    try:
        # the load balancer goes first, then its target groups and security groups: wait for all of them
        wait_for(
            lambda: our_load_balancers(account) == [] and provider.list_stacks() == [],
            timeout=60,
            what="leaked stack collected",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
