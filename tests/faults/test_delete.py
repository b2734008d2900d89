"""Deleting Ingresses while cloud calls fail (5xx, throttling, dropped connections, lost responses,
DependencyViolation / resource-in-use on the first deletes) and the first finalizer patches fail: at the moment
each Ingress disappears from the API (its finalizer removed), none of its cloud resources is left; in the end
nothing of ours is left; foreign resources — untagged ones, and a whole stack of another cluster with the
same Ingress names — are byte-for-byte unchanged."""

from __future__ import annotations

import json
import threading
from typing import Any

import kubernetes
from google.cloud import compute_v1

from emulators.kube import KubeEmulator
from emulators.testing.faults import AWS_ZONES, GCP_PROJECT, AwsFaults, World, fired, gcp_faults, twin
from emulators.testing.waiting import address_of, gone, wait_for

NAMES = ("app-0", "app-1", "app-2", "app-3")
OTHER = "other-cluster"


def _paths(i: int) -> dict[str, str]:
    return {"/users": "users", f"/products-{i}": "products"}


def foreign_untagged(world: World) -> None:
    """Load balancing resources made by hand (no lbctl markers at all), with names like ours."""
    if world.provider == "aws":
        assert world.aws is not None
        elb, ec2 = world.aws.client("elbv2"), world.aws.client("ec2")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]]  # shared by both clusters
        ec2.create_tags(
            Resources=subnets, Tags=[{"Key": f"kubernetes.io/cluster/{OTHER}", "Value": "shared"}]
        )
        sg = ec2.create_security_group(
            GroupName="k8s-hand-made", Description="hand made", VpcId=world.aws.vpc_id
        )["GroupId"]
        lb = elb.create_load_balancer(
            Name="k8s-default-app0-handmade",
            SecurityGroups=[sg],
            Subnets=[world.aws.public_subnets[z] for z in AWS_ZONES],
            Tags=[{"Key": "team", "Value": "web"}],
        )["LoadBalancers"][0]
        tg = elb.create_target_group(
            Name="k8s-default-users-handmade", Protocol="HTTP", Port=30080, VpcId=world.aws.vpc_id
        )["TargetGroups"][0]
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )
        elb.create_rule(
            ListenerArn=listener["Listeners"][0]["ListenerArn"],
            Priority=5,
            Conditions=[{"Field": "path-pattern", "Values": ["/users*"]}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
        )
        # tagged with our keys, but for another cluster and a stack name we also use
        elb.create_target_group(
            Name="k8s-other-tagged",
            Protocol="HTTP",
            Port=30081,
            VpcId=world.aws.vpc_id,
            Tags=[
                {"Key": "lbctl.io/cluster", "Value": OTHER},
                {"Key": "lbctl.io/stack", "Value": "default/app-1"},
            ],
        )
        return
    from google.auth.credentials import AnonymousCredentials

    options: dict[str, Any] = {
        "client_options": {"api_endpoint": world.cloud_url},
        "credentials": AnonymousCredentials(),
        "transport": "rest",
    }
    health = compute_v1.HealthChecksClient(**options)
    backends = compute_v1.BackendServicesClient(**options)
    maps = compute_v1.UrlMapsClient(**options)
    ops = compute_v1.GlobalOperationsClient(**options)

    def wait(op: Any) -> None:
        ops.wait(project=GCP_PROJECT, operation=op.name)

    wait(
        health.insert(
            project=GCP_PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="hand-made-hc", type_="HTTP", http_health_check=compute_v1.HTTPHealthCheck(port=80)
            ),
        )
    )
    link = f"{world.cloud_url}/compute/v1/projects/{GCP_PROJECT}/global/healthChecks/hand-made-hc"
    wait(
        backends.insert(
            project=GCP_PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name="hand-made-be", health_checks=[link], description="made by hand"
            ),
        )
    )
    backend = f"{world.cloud_url}/compute/v1/projects/{GCP_PROJECT}/global/backendServices/hand-made-be"
    wait(
        maps.insert(
            project=GCP_PROJECT,
            url_map_resource=compute_v1.UrlMap(name="hand-made-um", default_service=backend),
        )
    )
    # a k8s2-looking name with another cluster's ownership record
    record = json.dumps({"lbctl": {"cluster": OTHER, "stack": "default/app-1", "role": "hc"}})
    wait(
        health.insert(
            project=GCP_PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="k8s2-hc-00000000-default-app-1-deadbeef",
                description=record,
                type_="HTTP",
                http_health_check=compute_v1.HTTPHealthCheck(port=80),
            ),
        )
    )


def test_delete_under_faults(world: World) -> None:
    foreign_untagged(world)
    # another cluster converges the same Ingresses (same namespaces and names) in the same account
    with KubeEmulator() as other_kube:
        other = twin(world, other_kube)
        other_process = other.start(OTHER)
        for i, name in enumerate(NAMES[:2]):
            other.net.create_namespaced_ingress("default", other.ingress(name, _paths(i)))
        wait_for(lambda: all(address_of(other.api, n) for n in NAMES[:2]), timeout=60, what="other cluster")
        other_process.stop()

    baseline = (
        world.inventory()
    )  # before anything of this cluster: nothing of ours may be left after the delete
    process = world.start(start=False)
    for i, name in enumerate(NAMES):
        world.net.create_namespaced_ingress("default", world.ingress(name, _paths(i)))
    process.start()
    wait_for(lambda: all(address_of(world.api, n) for n in NAMES), timeout=60, what="our Ingresses converge")
    wait_for(lambda: process.controller.queue.idle, timeout=30, what="queue idle")
    before = world.inventory()
    foreign_before = {k: json.dumps(v, sort_keys=True) for k, v in before.foreign().items()}
    assert {f"default/{n}" for n in NAMES} <= before.stacks() and before.stacks(OTHER) >= {"default/app-0"}
    print(
        f"\n[{world.provider}] before delete: {len(before.owned())} resources of ours, {len(foreign_before)} "
        f"foreign ({len(before.owned(OTHER))} of cluster {OTHER!r})"
    )

    # faults from now on
    if world.provider == "aws":
        aws = AwsFaults(
            0.2,
            3,
            lose_first={"DeleteLoadBalancer", "DeleteTargetGroup", "DeleteListener"},
            scripted={
                "DeleteSecurityGroup": [("DependencyViolation", 400)] * 3,
                "DeleteTargetGroup": [("ResourceInUse", 400)],
            },
        ).install(process)

        def injected() -> dict[str, int]:
            return dict(aws.injected)
    else:
        assert world.compute is not None
        rules = gcp_faults(world.compute, 0.2, 3)
        rules.append(
            world.compute.add_fault(
                method="DELETE",
                path="/backendServices/",
                times=1,
                operation_error={"code": 400, "reason": "resourceInUseByAnotherResource"},
            )
        )

        def injected() -> dict[str, int]:
            return fired(rules)  # the rules' own hit counts: faults that fired, not requests served

    finalizer_faults = world.kube.faults.fail(method="PATCH|PUT", path="/ingresses/", status=500, times=3)

    # watch the Ingresses: when one disappears, look at the cloud at once (once: the first DELETED is the moment)
    at_deletion: dict[str, dict[str, Any]] = {}
    replayed: list[str] = []  # DELETED seen again: the watch did not resume where it left off
    net = kubernetes.client.NetworkingV1Api(world.kube.api_client())
    version = net.list_namespaced_ingress("default").metadata.resource_version
    stop = threading.Event()

    def watch() -> None:
        seen = version
        while not stop.is_set() and len(at_deletion) < len(NAMES):
            # each stream ends after 2 s; the next resumes from the last version seen, so nothing is replayed
            stream = kubernetes.watch.Watch().stream(
                net.list_namespaced_ingress, "default", resource_version=seen, timeout_seconds=2
            )
            for event in stream:
                seen = event["object"].metadata.resource_version
                if event["type"] == "DELETED":
                    name = event["object"].metadata.name
                    if name in at_deletion:
                        replayed.append(name)
                    else:
                        at_deletion[name] = world.inventory().owned(stack=f"default/{name}")

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    for name in NAMES:
        world.net.delete_namespaced_ingress(name, "default")
    wait_for(
        lambda: all(gone(lambda n=n: world.net.read_namespaced_ingress(n, "default")) for n in NAMES),
        timeout=90,
        what="every Ingress deleted",
    )
    wait_for(lambda: len(at_deletion) == len(NAMES), timeout=20, what="every deletion seen by the watch")
    stop.set()
    watcher.join(timeout=10)

    after = world.inventory()
    foreign_after = {k: json.dumps(v, sort_keys=True) for k, v in after.foreign().items()}
    changed = sorted(
        k for k in set(foreign_before) | set(foreign_after) if foreign_before.get(k) != foreign_after.get(k)
    )
    ours_left = after.leaks(baseline)
    early = {n: sorted(left) for n, left in at_deletion.items() if left}
    print(
        f"[{world.provider}] injected during delete: {injected()}; finalizer patches failed: "
        f"{finalizer_faults.hits}"
    )
    print(
        f"[{world.provider}] found: resources left when each Ingress vanished { ({n: len(v) for n, v in at_deletion.items()}) }; "
        f"ours left at the end {ours_left}; foreign changed {changed} (of {len(foreign_before)})"
    )
    assert not early, f"finalizer removed while cloud resources remained: {early}; injected {injected()}"
    assert ours_left == [], f"left behind: {ours_left}"
    assert changed == [], f"foreign resources changed: {changed}"
    assert replayed == [], f"the watch replayed deletions it had seen (it did not resume): {replayed}"
    assert sum(injected().values()) > 0, f"no cloud fault fired during the delete: {injected()}"
    assert finalizer_faults.hits > 0, "no finalizer patch failed"
