"""`lbctl run --provider aws` end to end: Kubernetes API emulator + moto server + the real AWS provider."""

from __future__ import annotations

import kubernetes
import pytest

from emulators.aws import AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import endpoint_slice, ingress, node, service
from emulators.testing.waiting import address_of, events_for, gone, wait_for
from lbctl.kube.events import FINALIZER

CLUSTER = "e2e"


@pytest.fixture
def cluster(
    kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount
) -> kubernetes.client.ApiClient:
    core = kubernetes.client.CoreV1Api(api)
    for name, instance in account.instances.items():
        zone = "us-east-1a" if name == "node-a" else "us-east-1b"
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    for name, port in (("users", 30080), ("products", 30081), ("orders", 30082)):
        core.create_namespaced_service("default", service(name, port))
    core.create_namespace({"metadata": {"name": "lbctl-system"}})
    return api


def our_load_balancers(account: AwsAccount) -> list[dict]:
    elbv2 = account.client("elbv2")
    lbs = elbv2.describe_load_balancers()["LoadBalancers"]
    if not lbs:
        return []
    tags = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"] for lb in lbs])["TagDescriptions"]
    ours = {t["ResourceArn"] for t in tags if any(tag["Value"] == CLUSTER for tag in t["Tags"])}
    return [lb for lb in lbs if lb["LoadBalancerArn"] in ours]


def rule_paths(account: AwsAccount) -> set[str]:
    elbv2 = account.client("elbv2")
    (lb,) = our_load_balancers(account)
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    paths = set()
    for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        for condition in rule["Conditions"]:
            if condition["Field"] == "path-pattern":
                paths.update(
                    condition.get("PathPatternConfig", {}).get("Values") or condition.get("Values", [])
                )
    return paths


def registered_ips(account: AwsAccount, service_name: str) -> set[str]:
    elbv2 = account.client("elbv2")
    for group in elbv2.describe_target_groups()["TargetGroups"]:
        if service_name in group["TargetGroupName"]:
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            return {t["Target"]["Id"] for t in health["TargetHealthDescriptions"]}
    return set()


def test_create_edit_scale_delete(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    net = kubernetes.client.NetworkingV1Api(cluster)
    discovery = kubernetes.client.DiscoveryV1Api(cluster)
    discovery.create_namespaced_endpoint_slice("default", endpoint_slice("users", ["10.0.0.11", "10.0.0.12"]))
    discovery.create_namespaced_endpoint_slice("default", endpoint_slice("products", ["10.0.0.21"]))
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        annotations = {
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
        }
        net.create_namespaced_ingress(
            "default", ingress("shop", {"/users": "users", "/products": "products"}, annotations)
        )
        hostname = wait_for(lambda: address_of(cluster, "shop"), what="status address")
        assert hostname == our_load_balancers(account)[0]["DNSName"]
        assert FINALIZER in net.read_namespaced_ingress("shop", "default").metadata.finalizers
        assert {"/users", "/users/*", "/products", "/products/*"} <= rule_paths(account)
        assert registered_ips(account, "users") == {"10.0.0.11", "10.0.0.12"}
        assert ("Normal", "SuccessfullyReconciled") in {(t, r) for t, r, _ in events_for(cluster, "shop")}

        # edit paths → rules follow
        net.patch_namespaced_ingress(
            "shop",
            "default",
            ingress("shop", {"/users": "users", "/products": "products", "/orders": "orders"}, annotations),
        )
        wait_for(lambda: "/orders" in rule_paths(account), what="rule for /orders")

        # scale pods → targets follow, nothing else changes
        slice_ = endpoint_slice("users", ["10.0.0.11", "10.0.0.12", "10.0.0.13"])
        discovery.replace_namespaced_endpoint_slice("users-abc", "default", slice_)
        wait_for(
            lambda: registered_ips(account, "users") == {"10.0.0.11", "10.0.0.12", "10.0.0.13"},
            what="scale-up",
        )

        # delete → cloud clean, then the finalizer goes and the Ingress with it
        net.delete_namespaced_ingress("shop", "default")
        wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="Ingress deleted")
        assert our_load_balancers(account) == []
        assert account.client("elbv2").describe_target_groups()["TargetGroups"] == []
    finally:
        process.stop()


def test_bad_annotation_is_reported_and_others_converge_with_a_frontend_nlb(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    net = kubernetes.client.NetworkingV1Api(cluster)
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        net.create_namespaced_ingress(
            "default",
            ingress("broken", {"/": "users"}, {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80'}),
        )
        front = {"alb.ingress.kubernetes.io/enable-frontend-nlb": "true"}
        net.create_namespaced_ingress("default", ingress("fine", {"/": "products"}, front))
        wait_for(lambda: address_of(cluster, "fine"), what="the valid Ingress converges")
        warnings = wait_for(
            lambda: [e for e in events_for(cluster, "broken") if e[0] == "Warning"],
            what="Warning event on the broken Ingress",
        )
        assert "alb.ingress.kubernetes.io/listen-ports" in warnings[0][2]
        assert address_of(cluster, "broken") is None
        # the ALB and its frontend NLB, both DNS names in the status, the ALB's first (as LBC writes them)
        by_type = {lb["Type"]: lb["DNSName"] for lb in our_load_balancers(account)}
        status = net.read_namespaced_ingress_status("fine", "default").status.load_balancer.ingress
        assert [e.hostname for e in status] == [by_type["application"], by_type["network"]]
    finally:
        process.stop()


def test_dropped_watch_and_expired_version_miss_no_update(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    net = kubernetes.client.NetworkingV1Api(cluster)
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        net.create_namespaced_ingress("default", ingress("shop", {"/users": "users"}))
        wait_for(lambda: address_of(cluster, "shop"), what="first converge")
        kube.compact()
        kube.drop_watches(abrupt=True)
        net.patch_namespaced_ingress(
            "shop", "default", ingress("shop", {"/users": "users", "/orders": "orders"})
        )
        wait_for(lambda: "/orders" in rule_paths(account), what="update seen after relist")
        assert process.controller.informers["Ingress"].relists >= 1
    finally:
        process.stop()


def test_two_replicas_one_leader_and_failover(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    net = kubernetes.client.NetworkingV1Api(cluster)
    first = controller(
        kube, "aws", account.endpoint_url, CLUSTER, leader_elect=True, vpc_id=account.vpc_id, lease_seconds=15
    ).start()
    wait_for(lambda: first.elector.leading.is_set(), what="first replica leads")
    second = controller(
        kube, "aws", account.endpoint_url, CLUSTER, leader_elect=True, vpc_id=account.vpc_id, lease_seconds=15
    ).start()
    try:
        net.create_namespaced_ingress("default", ingress("one", {"/": "users"}))
        wait_for(lambda: address_of(cluster, "one"), what="leader converges")
        assert not second.elector.leading.is_set()
        assert second.controller.reconcile_count == 0, "a standby must not reconcile"
        assert second.stats.total(mutating=True) == 0

        first.stop()  # the leader dies (SIGTERM path: drains and releases the lease)
        wait_for(lambda: second.elector.leading.is_set(), timeout=10, what="standby takes over")
        net.create_namespaced_ingress("default", ingress("two", {"/": "products"}))
        wait_for(lambda: address_of(cluster, "two"), what="new leader converges")
        assert first.controller.reconcile_count > 0 and second.controller.reconcile_count > 0
    finally:
        first.stop()
        second.stop()
