"""TargetGroupBindings end to end: the real controller loop on the Kubernetes API emulator and moto. A
binding registers a Service's pods (ip) or nodes (instance) into a target group created outside lbctl,
follows the endpoints, writes its status and finalizer, and on delete deregisters its targets — the target
group itself unchanged, with no request that could change it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import kubernetes
import pytest

from emulators.aws import AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.crds import install_lbctl_crds
from emulators.testing.objects import endpoint_slice, node, service
from emulators.testing.waiting import events_for, gone, wait_for
from lbctl.cloudcalls import is_mutating
from lbctl.kube.bindings import FINALIZER
from providers.aws.bindings import BINDABLE_TAG

CLUSTER = "e2e"
GROUP, VERSION, PLURAL = "elbv2.k8s.aws", "v1beta1", "targetgroupbindings"
READS = {"DescribeTargetGroups", "DescribeTags", "DescribeTargetHealth"}


@pytest.fixture
def cluster(kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount) -> Any:
    install_lbctl_crds(kube, ("aws",))
    core = kubernetes.client.CoreV1Api(api)
    for name, instance in account.instances.items():
        zone = "us-east-1a" if name == "node-a" else "us-east-1b"
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    core.create_namespaced_service("default", service("web", 30080))
    kubernetes.client.DiscoveryV1Api(api).create_namespaced_endpoint_slice(
        "default", endpoint_slice("web", ["10.0.0.11", "10.0.0.12"])
    )
    return api


def target_group(account: AwsAccount, name: str, target_type: str) -> str:
    return str(
        account.client("elbv2").create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=80,
            VpcId=account.vpc_id,
            TargetType=target_type,
            HealthCheckPath="/healthz",
            Tags=[{"Key": BINDABLE_TAG, "Value": "default"}, {"Key": "team", "Value": "web"}],
        )["TargetGroups"][0]["TargetGroupArn"]
    )


def group_state(account: AwsAccount, arn: str) -> tuple[Any, ...]:
    elbv2 = account.client("elbv2")
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return (
        group,
        sorted((a["Key"], a["Value"]) for a in attributes),
        sorted((t["Key"], t["Value"]) for t in tags),
    )


def registered(account: AwsAccount, arn: str) -> set[tuple[str, int]]:
    health = account.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return {(d["Target"]["Id"], d["Target"]["Port"]) for d in health}


def tgb(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "TargetGroupBinding",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"serviceRef": {"name": "web", "port": 80}, **spec},
    }


def custom(api: kubernetes.client.ApiClient) -> kubernetes.client.CustomObjectsApi:
    return kubernetes.client.CustomObjectsApi(api)


def read(api: kubernetes.client.ApiClient, name: str) -> dict[str, Any]:
    return dict(custom(api).get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, name))


def operations(stats: Any) -> set[str]:
    return {key.split(":")[1] for key in stats.snapshot()}


def test_ip_binding_lifecycle(kube: KubeEmulator, cluster: Any, account: AwsAccount) -> None:
    arn = target_group(account, "web-ip", "ip")
    before = group_state(account, arn)
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        custom(cluster).create_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, tgb("web", {"targetGroupName": "web-ip"})
        )
        wanted = {("10.0.0.11", 8080), ("10.0.0.12", 8080)}
        wait_for(lambda: registered(account, arn) == wanted, what="pods registered")
        wait_for(lambda: read(cluster, "web").get("status", {}).get("observedGeneration") == 1, what="status")
        assert FINALIZER in read(cluster, "web")["metadata"]["finalizers"]
        assert ("Normal", "SuccessfullyReconciled") in {(t, r) for t, r, _ in events_for(cluster, "web")}

        # The endpoints change: only the targets follow.
        kubernetes.client.DiscoveryV1Api(cluster).replace_namespaced_endpoint_slice(
            "web-abc", "default", endpoint_slice("web", ["10.0.0.12", "10.0.0.13"])
        )
        wait_for(
            lambda: registered(account, arn) == {("10.0.0.12", 8080), ("10.0.0.13", 8080)}, what="scaled"
        )

        # A reconcile with nothing changed makes no write.
        writes_before = {k: n for k, n in process.stats.snapshot().items() if k.split(":")[1] not in READS}
        key = "TargetGroupBinding:default/web"
        process.controller.reconcile(key)
        writes_after = {k: n for k, n in process.stats.snapshot().items() if k.split(":")[1] not in READS}
        assert writes_after == writes_before

        custom(cluster).delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "web")
        wait_for(
            lambda: gone(
                lambda: custom(cluster).get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "web")
            ),
            what="binding deleted",
        )
        assert registered(account, arn) == set()
        assert group_state(account, arn) == before
        # Besides reads (the start-up garbage collection's included), only the two target calls were made.
        writes = {op for op in operations(process.stats) if not op.startswith(("Describe", "Get", "List"))}
        assert writes == {"RegisterTargets", "DeregisterTargets"}
    finally:
        process.stop()


def test_instance_binding_registers_node_ports_and_heals_after_a_restart(
    kube: KubeEmulator, cluster: Any, account: AwsAccount
) -> None:
    arn = target_group(account, "web-instance", "instance")
    before = group_state(account, arn)
    first = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        custom(cluster).create_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, tgb("nodes", {"targetGroupARN": arn, "targetType": "instance"})
        )
        nodes = {(i, 30080) for i in account.instances.values()}
        wait_for(lambda: registered(account, arn) == nodes, what="nodes registered")
        wait_for(
            lambda: FINALIZER in read(cluster, "nodes")["metadata"].get("finalizers", []), what="finalizer"
        )
    finally:
        first.stop()

    # While no controller runs, a node is excluded and the binding is deleted: it waits on our finalizer.
    core = kubernetes.client.CoreV1Api(cluster)
    core.patch_node(
        "node-b", {"metadata": {"labels": {"node.kubernetes.io/exclude-from-external-load-balancers": ""}}}
    )
    custom(cluster).delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "nodes")
    assert read(cluster, "nodes")["metadata"].get("deletionTimestamp")

    second = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        wait_for(
            lambda: gone(
                lambda: custom(cluster).get_namespaced_custom_object(
                    GROUP, VERSION, "default", PLURAL, "nodes"
                )
            ),
            what="binding released",
        )
        assert registered(account, arn) == set()
        assert group_state(account, arn) == before
    finally:
        second.stop()


def test_multi_cluster_binding_records_its_targets_and_keeps_the_others(
    kube: KubeEmulator, cluster: Any, account: AwsAccount
) -> None:
    arn = target_group(account, "web-shared", "ip")
    account.client("elbv2").register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.9.0.1", "Port": 8080}])
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        custom(cluster).create_namespaced_custom_object(
            GROUP,
            VERSION,
            "default",
            PLURAL,
            tgb("shared", {"targetGroupARN": arn, "multiClusterTargetGroup": True}),
        )
        ours = {("10.0.0.11", 8080), ("10.0.0.12", 8080)}
        wait_for(lambda: registered(account, arn) == ours | {("10.9.0.1", 8080)}, what="registered")
        wait_for(
            lambda: (
                read(cluster, "shared").get("status", {}).get("registeredTargets")
                == ["10.0.0.11:8080", "10.0.0.12:8080"]
            ),
            what="tracked targets",
        )
        custom(cluster).delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "shared")
        wait_for(
            lambda: gone(
                lambda: custom(cluster).get_namespaced_custom_object(
                    GROUP, VERSION, "default", PLURAL, "shared"
                )
            ),
            what="binding deleted",
        )
        assert registered(account, arn) == {("10.9.0.1", 8080)}
    finally:
        process.stop()


def test_a_refused_binding_gets_an_event_and_no_target(
    kube: KubeEmulator, cluster: Any, account: AwsAccount
) -> None:
    arn = str(
        account.client("elbv2").create_target_group(
            Name="untagged", Protocol="HTTP", Port=80, VpcId=account.vpc_id, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]
    )
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        custom(cluster).create_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, tgb("refused", {"targetGroupARN": arn})
        )
        wait_for(
            lambda: any(
                r == "FailedDeployModel" and "spec.targetGroupARN" in m
                for _, r, m in events_for(cluster, "refused")
            ),
            what="Warning Event",
        )
        assert registered(account, arn) == set()
    finally:
        process.stop()


# --------------------------------------------------------------------------- crash between any two calls


class Crash(BaseException):
    """The process dying right after a cloud call: a BaseException, so no retry or `except Exception` stops it."""


@contextmanager
def quiet_crashes() -> Iterator[list[str]]:
    """Worker threads killed by Crash end silently, as a dead process would."""
    seen: list[str] = []
    original = threading.excepthook

    def hook(args: Any) -> None:
        if isinstance(args.exc_value, Crash):
            seen.append(str(args.exc_value))
        else:
            original(args)

    threading.excepthook = hook
    try:
        yield seen
    finally:
        threading.excepthook = original


def crash_after(process: Any, k: int) -> list[str]:
    made: list[str] = []

    def listener(service: str, operation: str, outcome: str) -> None:
        if is_mutating(operation):
            made.append(operation)
            if len(made) == k:
                raise Crash(f"crashed right after {operation}")

    process.stats.listeners.append(listener)
    return made


def our_rules(account: AwsAccount) -> set[tuple[str, str, int]]:
    out = set()
    for group in account.client("ec2").describe_security_groups()["SecurityGroups"]:
        for permission in group["IpPermissions"]:
            for block in permission.get("IpRanges", []):
                if block.get("Description") == f"lbctl.io/targetGroupBinding={CLUSTER}":
                    out.add((group["GroupId"], block["CidrIp"], permission["FromPort"]))
    return out


NETWORKED = {
    "targetType": "instance",
    "multiClusterTargetGroup": True,
    "networking": {
        "ingress": [
            {
                "from": [{"ipBlock": {"cidr": "10.8.0.0/16"}}, {"ipBlock": {"cidr": "10.9.0.0/16"}}],
                "ports": [{"port": 30080}],
            }
        ]
    },
}


@pytest.mark.parametrize("phase", ["bind", "delete"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_crash_after_any_cloud_call_is_healed(
    kube: KubeEmulator, cluster: Any, account: AwsAccount, phase: str, k: int
) -> None:
    """Binding makes three writes (two rules, then RegisterTargets), deleting three (DeregisterTargets, then
    the two rules): the controller dies right after the k-th; a new one ends where an uninterrupted run ends,
    and a reconcile after that writes nothing."""
    arn = target_group(account, f"crash-{phase}-{k}", "instance")
    nodes = {(i, 30080) for i in account.instances.values()}
    body = tgb("crash", {"targetGroupARN": arn, **NETWORKED})

    def start() -> Any:
        return controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id)

    with quiet_crashes() as crashes:
        if phase == "delete":
            first = start().start()
            custom(cluster).create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, body)
            wait_for(
                lambda: read(cluster, "crash").get("status", {}).get("registeredTargets"),
                what="bound before delete",
            )
            first.stop()
        crashing = start()
        made = crash_after(crashing, k)
        crashing.start()
        if phase == "bind":
            custom(cluster).create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, body)
        else:
            custom(cluster).delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "crash")
        wait_for(lambda: crashes, what=f"crash after call {k}")
        crashing.stop()
    assert len(made) == k

    healer = start().start()
    try:
        if phase == "bind":
            wait_for(lambda: registered(account, arn) == nodes, what="healed registration")
            wait_for(
                lambda: (
                    sorted(read(cluster, "crash").get("status", {}).get("registeredTargets") or [])
                    == sorted(f"{i}:{p}" for i, p in nodes)
                ),
                what="healed record",
            )
            assert {(cidr, port) for _, cidr, port in our_rules(account)} == {
                ("10.8.0.0/16", 30080),
                ("10.9.0.0/16", 30080),
            }
            wait_for(lambda: healer.controller.queue.idle, what="queue idle")
            writes = healer.stats.total(mutating=True)
            healer.controller.reconcile("TargetGroupBinding:default/crash")
            assert healer.stats.total(mutating=True) == writes
        else:
            wait_for(
                lambda: gone(
                    lambda: custom(cluster).get_namespaced_custom_object(
                        GROUP, VERSION, "default", PLURAL, "crash"
                    )
                ),
                what="healed delete",
            )
            assert registered(account, arn) == set() and our_rules(account) == set()
    finally:
        healer.stop()
