"""The emulated cluster's controllers, seen through the official client: Deployments → ReplicaSets → Pods on the
emulated Nodes → EndpointSlices, readiness delays on an injected clock, rollouts within maxSurge/maxUnavailable,
garbage collection and graceful pod termination."""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator
from emulators.kube.controllers import ManualClock
from emulators.kube.store import WatchEnd

ZONES = {"node-a": "zone-1", "node-b": "zone-2", "node-c": "zone-3"}
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


class Cluster:
    """An emulator on a manual clock and the client APIs the tests use."""

    def __init__(self, emulator: KubeEmulator, clock: ManualClock) -> None:
        self.emulator, self.clock = emulator, clock
        self.api = emulator.api_client()
        self.core, self.apps = client.CoreV1Api(self.api), client.AppsV1Api(self.api)
        self.discovery = client.DiscoveryV1Api(self.api)

    def settle(self) -> None:
        assert self.emulator.settle(timeout=20), "the controllers did not catch up"

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def add_node(self, name: str, ready: bool = True, **spec: Any) -> None:
        self.core.create_node(
            {
                "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": ZONES[name]}},
                "spec": spec,
                "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
            }
        )

    def pods(self) -> list[Any]:
        return self.core.list_namespaced_pod("default").items

    def slices(self, service: str) -> list[Any]:
        return self.discovery.list_namespaced_endpoint_slice(
            "default", label_selector=f"kubernetes.io/service-name={service}"
        ).items


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    clock = ManualClock()
    with KubeEmulator(clock=clock, pod_termination_seconds=2, max_endpoints_per_slice=3) as emulator:
        yield Cluster(emulator, clock)


def deployment(
    name: str = "web",
    replicas: int = 2,
    image: str = "example/web:1",
    delay: int = 5,
    strategy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "app",
        "image": image,
        "ports": [{"name": "http", "containerPort": 8080}],
    }
    if delay:
        container["readinessProbe"] = {
            "httpGet": {"path": "/healthz", "port": 8080},
            "initialDelaySeconds": delay,
        }
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
    }
    if strategy:
        spec["strategy"] = strategy
    return {"metadata": {"name": name}, "spec": spec}


def service(name: str = "web") -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def test_deployment_pods_run_on_the_nodes_and_fill_the_endpoint_slice(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.add_node("node-b")
    svc = cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(delay=0))
    cluster.settle()
    replica_set = cluster.apps.list_namespaced_replica_set("default").items[0]
    template_hash = replica_set.metadata.labels["pod-template-hash"]
    assert replica_set.metadata.name == f"web-{template_hash}"
    assert replica_set.metadata.owner_references[0].kind == "Deployment"
    pods = cluster.pods()
    assert len(pods) == 2 and all(_ready(p) and p.status.phase == "Running" for p in pods)
    assert {p.spec.node_name for p in pods} == {"node-a", "node-b"}
    nodes = {n.metadata.name: n.spec.pod_cidr for n in cluster.core.list_node().items}
    assert sorted(nodes.values()) == ["10.244.0.0/24", "10.244.1.0/24"]
    for pod in pods:
        assert ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(nodes[pod.spec.node_name])
        assert pod.metadata.labels["pod-template-hash"] == template_hash
        assert pod.metadata.owner_references[0].name == replica_set.metadata.name
        assert pod.metadata.name.startswith(f"{replica_set.metadata.name}-")
    (slice_,) = cluster.slices("web")
    assert slice_.metadata.labels[MANAGED_BY] == "endpointslice-controller.k8s.io"
    assert slice_.metadata.name.startswith("web-") and slice_.metadata.generate_name == "web-"
    assert slice_.metadata.owner_references[0].uid == svc.metadata.uid
    assert [(p.name, p.port, p.protocol) for p in slice_.ports] == [
        ("http", 8080, "TCP")
    ]  # named port resolved
    by_ip = {e.addresses[0]: e for e in slice_.endpoints}
    assert set(by_ip) == {p.status.pod_ip for p in pods}
    for pod in pods:
        endpoint = by_ip[pod.status.pod_ip]
        assert (endpoint.conditions.ready, endpoint.conditions.serving, endpoint.conditions.terminating) == (
            True,
            True,
            False,
        )
        assert (endpoint.node_name, endpoint.zone) == (pod.spec.node_name, ZONES[pod.spec.node_name])
        assert (endpoint.target_ref.kind, endpoint.target_ref.name) == ("Pod", pod.metadata.name)
    status = cluster.apps.read_namespaced_deployment("web", "default").status
    assert (status.replicas, status.ready_replicas, status.available_replicas, status.updated_replicas) == (
        2,
        2,
        2,
        2,
    )
    assert status.observed_generation == 1
    assert {c.type: c.reason for c in status.conditions} == {
        "Available": "MinimumReplicasAvailable",
        "Progressing": "NewReplicaSetAvailable",
    }


def test_pods_turn_ready_after_the_readiness_delay(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=5))
    cluster.settle()
    (pod,) = cluster.pods()
    assert pod.status.phase == "Running" and pod.status.pod_ip and not _ready(pod)
    assert [e.conditions.ready for e in cluster.slices("web")[0].endpoints] == [False]
    cluster.advance(4.9)
    assert not _ready(cluster.pods()[0])
    cluster.advance(0.1)
    assert _ready(cluster.pods()[0])
    assert [e.conditions.ready for e in cluster.slices("web")[0].endpoints] == [True]
    assert cluster.apps.read_namespaced_deployment("web", "default").status.available_replicas == 1


def test_no_schedulable_node_leaves_pods_pending(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1))
    cluster.settle()
    (pod,) = cluster.pods()
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert (pod.status.phase, scheduled.status, scheduled.reason) == ("Pending", "False", "Unschedulable")
    cluster.add_node("node-a", ready=False)
    cluster.add_node("node-b", unschedulable=True)
    cluster.settle()
    (pod,) = cluster.pods()
    assert pod.spec.node_name is None
    assert (
        "0/2 nodes are available"
        in next(c for c in pod.status.conditions if c.type == "PodScheduled").message
    )
    cluster.add_node("node-c")
    cluster.settle()
    (pod,) = cluster.pods()
    assert pod.spec.node_name == "node-c" and pod.status.pod_ip


def test_scale_up_and_down_spreads_pods_and_slices(cluster: Cluster) -> None:
    for node in ("node-a", "node-b"):
        cluster.add_node(node)
    cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    cluster.apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 7}})
    cluster.settle()
    pods = cluster.pods()
    assert len(pods) == 7 and all(_ready(p) for p in pods)
    assert sorted(sum(1 for p in pods if p.spec.node_name == n) for n in ("node-a", "node-b")) == [3, 4]
    slices = cluster.slices("web")  # at most 3 endpoints per slice in this cluster
    assert sorted(len(s.endpoints) for s in slices) == [1, 3, 3]
    assert {e.addresses[0] for s in slices for e in s.endpoints} == {p.status.pod_ip for p in pods}
    cluster.apps.patch_namespaced_deployment("web", "default", {"spec": {"replicas": 1}})
    cluster.settle()
    assert sum(1 for p in cluster.pods() if p.metadata.deletion_timestamp is None) == 1
    cluster.advance(2)  # the terminating pods finish
    assert len(cluster.pods()) == 1
    assert sum(len(s.endpoints or []) for s in cluster.slices("web")) == 1
    assert cluster.apps.read_namespaced_deployment("web", "default").status.replicas == 1


class PodCounter:
    """Follows every pod change in the store from now on: the most pods running and the fewest available at any
    moment (terminating pods count for neither)."""

    def __init__(self, emulator: KubeEmulator) -> None:
        kind = emulator.kind("v1", "pods")
        listed = emulator.store.list(kind)
        self.pods = {p["metadata"]["uid"]: p for p in listed["items"]}
        self.watcher = emulator.store.watch(kind, resource_version=listed["metadata"]["resourceVersion"])
        self.most_pods, self.fewest_available = self._counts()

    def _counts(self) -> tuple[int, int]:
        live = [p for p in self.pods.values() if not p["metadata"].get("deletionTimestamp")]
        ready = [
            p
            for p in live
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (p.get("status") or {}).get("conditions") or []
            )
        ]
        return len(live), len(ready)

    def drain(self) -> None:
        while not self.watcher.queue.empty():
            item = self.watcher.queue.get()
            if isinstance(item, WatchEnd):
                return
            event, obj = item
            if event == "DELETED":
                self.pods.pop(obj["metadata"]["uid"], None)
            else:
                self.pods[obj["metadata"]["uid"]] = obj
            live, available = self._counts()
            self.most_pods, self.fewest_available = (
                max(self.most_pods, live),
                min(self.fewest_available, available),
            )


def _rolled_out(cluster: Cluster, replicas: int, image: str) -> bool:
    status = cluster.apps.read_namespaced_deployment("web", "default").status
    pods = cluster.pods()
    return (
        status.updated_replicas == replicas == status.available_replicas == status.replicas
        and len(pods) == replicas
        and all(p.spec.containers[0].image == image for p in pods)
    )


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "most", "fewest"),
    [
        (4, 1, 0, 5, 4),
        (4, "50%", "25%", 6, 3),
        (10, "25%", "25%", 13, 8),  # surge 2.5 rounds up to 3, unavailable 2.5 down to 2
        (3, 0, 1, 3, 2),
    ],
)
def test_rollout_honours_max_surge_and_max_unavailable(
    cluster: Cluster, replicas: int, surge: Any, unavailable: Any, most: int, fewest: int
) -> None:
    for node in ("node-a", "node-b", "node-c"):
        cluster.add_node(node)
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    cluster.apps.create_namespaced_deployment(
        "default", deployment(replicas=replicas, delay=3, strategy=strategy)
    )
    cluster.settle()
    cluster.advance(3)
    assert _rolled_out(cluster, replicas, "example/web:1")
    counter = PodCounter(cluster.emulator)
    cluster.apps.patch_namespaced_deployment(
        "web",
        "default",
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "example/web:2"}]}}}},
    )
    for _ in range(60):
        cluster.settle()
        counter.drain()
        if _rolled_out(cluster, replicas, "example/web:2"):
            break
        cluster.advance(1)
    else:
        pytest.fail("the rollout did not finish")
    counter.drain()
    assert (counter.most_pods, counter.fewest_available) == (most, fewest)
    sets = cluster.apps.list_namespaced_replica_set("default").items
    assert sorted(
        (rs.spec.replicas, rs.metadata.annotations["deployment.kubernetes.io/revision"]) for rs in sets
    ) == [(0, "1"), (replicas, "2")]
    deploy = cluster.apps.read_namespaced_deployment("web", "default")
    assert deploy.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    assert deploy.status.observed_generation == 2


def test_recreate_stops_every_old_pod_first(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment(
        "default", deployment(replicas=3, delay=0, strategy={"type": "Recreate"})
    )
    cluster.settle()
    counter = PodCounter(cluster.emulator)
    cluster.apps.patch_namespaced_deployment(
        "web", "default", {"spec": {"template": {"metadata": {"annotations": {"restartedAt": "now"}}}}}
    )
    cluster.settle()
    counter.drain()
    assert {p.metadata.deletion_timestamp is not None for p in cluster.pods()} == {
        True
    }  # old ones terminating
    cluster.advance(2)
    counter.drain()
    assert counter.most_pods == 3 and len(cluster.pods()) == 3
    assert all(p.metadata.annotations.get("restartedAt") == "now" for p in cluster.pods())


def test_deleting_a_deployment_collects_its_replica_sets_and_pods(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    cluster.apps.delete_namespaced_deployment("web", "default")
    cluster.settle()
    assert cluster.apps.list_namespaced_replica_set("default").items == []
    pods = cluster.pods()
    assert len(pods) == 2 and all(p.metadata.deletion_timestamp for p in pods)
    endpoints = cluster.slices("web")[0].endpoints
    assert {(e.conditions.ready, e.conditions.serving, e.conditions.terminating) for e in endpoints} == {
        (False, True, True)
    }
    cluster.advance(2)
    assert cluster.pods() == []
    (placeholder,) = cluster.slices("web")  # the Service stays: one empty slice
    assert not placeholder.endpoints
    cluster.core.delete_namespaced_service("web", "default")
    cluster.settle()
    assert cluster.slices("web") == []


def test_deleted_pod_is_terminating_for_its_grace_period_then_replaced(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    (pod,) = cluster.pods()
    cluster.core.delete_namespaced_pod(pod.metadata.name, "default")
    cluster.settle()
    pods = {p.metadata.name: p for p in cluster.pods()}
    assert pods[pod.metadata.name].metadata.deletion_timestamp is not None
    assert pods[pod.metadata.name].metadata.deletion_grace_period_seconds == 30
    assert len(pods) == 2  # the ReplicaSet replaced it at once
    endpoints = {e.target_ref.name: e.conditions for e in cluster.slices("web")[0].endpoints}
    assert (endpoints[pod.metadata.name].ready, endpoints[pod.metadata.name].terminating) == (False, True)
    cluster.advance(1.9)
    assert pod.metadata.name in {p.metadata.name for p in cluster.pods()}
    cluster.advance(0.1)
    assert pod.metadata.name not in {p.metadata.name for p in cluster.pods()}
    assert len(cluster.slices("web")[0].endpoints) == 1


def test_grace_period_zero_removes_at_once(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    (pod,) = cluster.pods()
    cluster.core.delete_namespaced_pod(pod.metadata.name, "default", grace_period_seconds=0)
    assert pod.metadata.name not in {p.metadata.name for p in cluster.pods()}


def test_slices_written_by_others_are_left_alone(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.core.create_namespaced_service("default", service())
    mine = {
        "metadata": {"name": "web-manual", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 9090, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["192.0.2.10"], "conditions": {"ready": True}}],
    }
    cluster.discovery.create_namespaced_endpoint_slice("default", mine)
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    slices = {s.metadata.name: s for s in cluster.slices("web")}
    assert len(slices) == 2
    manual = slices["web-manual"]
    assert [e.addresses for e in manual.endpoints] == [["192.0.2.10"]] and manual.metadata.resource_version
    assert MANAGED_BY not in manual.metadata.labels
    cluster.core.delete_namespaced_service("web", "default")
    cluster.settle()
    assert [s.metadata.name for s in cluster.slices("web")] == ["web-manual"]


def test_node_keeps_a_given_pod_cidr(cluster: Cluster) -> None:
    cluster.add_node("node-a", podCIDR="10.0.8.0/24")
    cluster.add_node("node-b")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    cidrs = {n.metadata.name: n.spec.pod_cidr for n in cluster.core.list_node().items}
    assert cidrs == {"node-a": "10.0.8.0/24", "node-b": "10.244.0.0/24"}
    ips = {p.spec.node_name: p.status.pod_ip for p in cluster.pods()}
    assert ips["node-a"].startswith("10.0.8.") and ips["node-b"].startswith("10.244.0.")


def test_controllers_off_leaves_pods_alone() -> None:
    with KubeEmulator(controllers=False) as emulator:
        core = client.CoreV1Api(emulator.api_client())
        core.create_node(
            {"metadata": {"name": "node-a"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
        )
        core.create_namespaced_pod(
            "default",
            {
                "metadata": {"name": "p", "labels": {"app": "web"}},
                "spec": {"nodeName": "node-a", "containers": [{"name": "a", "image": "x"}]},
            },
        )
        core.create_namespaced_service("default", service())
        assert emulator.settle()
        pod = core.read_namespaced_pod("p", "default")
        assert pod.status.phase == "Pending" and pod.status.pod_ip is None
        core.delete_namespaced_pod("p", "default")  # no kubelet to finish it: removed at once
        assert core.list_namespaced_pod("default").items == []
        assert client.DiscoveryV1Api(core.api_client).list_namespaced_endpoint_slice("default").items == []


def test_scale_subresource(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    scale = cluster.apps.read_namespaced_deployment_scale("web", "default")
    assert (scale.spec.replicas, scale.status.replicas) == (1, 1)
    assert scale.status.selector == "app=web"
    cluster.apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 3}})
    cluster.settle()
    assert len(cluster.pods()) == 3
    with pytest.raises(client.ApiException) as refused:
        cluster.apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": -1}})
    assert refused.value.status == 422


def test_rolling_back_reuses_the_old_replica_set_as_the_newest_revision(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    for image in ("example/web:2", "example/web:1"):
        cluster.apps.patch_namespaced_deployment(
            "web",
            "default",
            {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}},
        )
        cluster.settle()
        cluster.advance(2)
    sets = {
        rs.spec.template.spec.containers[0].image: rs
        for rs in cluster.apps.list_namespaced_replica_set("default").items
    }
    assert len(sets) == 2
    assert sets["example/web:1"].metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    assert (sets["example/web:1"].spec.replicas, sets["example/web:2"].spec.replicas) == (1, 0)
    assert [p.spec.containers[0].image for p in cluster.pods()] == ["example/web:1"]


def test_legacy_endpoints_follow_the_pods(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.core.create_namespaced_service("default", service())
    manual = {
        "metadata": {"name": "external"},
        "subsets": [{"addresses": [{"ip": "192.0.2.1"}], "ports": [{"port": 443}]}],
    }
    cluster.core.create_namespaced_service(
        "default", {"metadata": {"name": "external"}, "spec": {"ports": [{"port": 443}]}}
    )
    cluster.core.create_namespaced_endpoints("default", manual)
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=5))
    cluster.settle()
    (subset,) = cluster.core.read_namespaced_endpoints("web", "default").subsets
    assert subset.addresses is None and len(subset.not_ready_addresses) == 2
    assert [(p.name, p.port) for p in subset.ports] == [("http", 8080)]
    cluster.advance(5)
    (subset,) = cluster.core.read_namespaced_endpoints("web", "default").subsets
    assert sorted(a.ip for a in subset.addresses) == sorted(p.status.pod_ip for p in cluster.pods())
    assert {a.node_name for a in subset.addresses} == {"node-a"} and subset.not_ready_addresses is None
    cluster.core.delete_namespaced_service("web", "default")
    cluster.core.delete_namespaced_service("external", "default")
    cluster.settle()
    names = [e.metadata.name for e in cluster.core.list_namespaced_endpoints("default").items]
    assert names == ["external"]  # written by someone else: left alone


def test_orphan_propagation_keeps_the_dependents(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    cluster.apps.delete_namespaced_deployment("web", "default", propagation_policy="Orphan")
    cluster.settle()
    (replica_set,) = cluster.apps.list_namespaced_replica_set("default").items
    assert replica_set.metadata.owner_references is None
    pods = cluster.pods()
    assert len(pods) == 2 and not any(p.metadata.deletion_timestamp for p in pods)
    assert all(p.metadata.owner_references[0].name == replica_set.metadata.name for p in pods)


def test_foreground_propagation_removes_dependents_first(cluster: Cluster) -> None:
    cluster.add_node("node-a")
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    with pytest.raises(client.ApiException) as refused:
        cluster.apps.delete_namespaced_deployment("web", "default", propagation_policy="Sideways")
    assert refused.value.status == 422 and "propagationPolicy" in refused.value.body
    request = urllib.request.Request(
        f"{cluster.emulator.url}/apis/apps/v1/namespaces/default/deployments/web",
        json.dumps({"propagationPolicy": "Foreground"}).encode(),
        {"Content-Type": "application/json", **cluster.emulator.auth_headers()},
        method="DELETE",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        pending = json.loads(answer.read())
    assert pending["metadata"]["deletionTimestamp"] and pending["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]
    cluster.settle()
    assert cluster.apps.list_namespaced_deployment("default").items == []
    assert cluster.apps.list_namespaced_replica_set("default").items == []


def test_controllers_record_events_as_kubectl_describe_shows(cluster: Cluster) -> None:
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=1, delay=0))
    cluster.settle()
    cluster.add_node("node-a")
    cluster.settle()
    cluster.apps.patch_namespaced_deployment_scale("web", "default", {"spec": {"replicas": 2}})
    cluster.settle()
    events = cluster.core.list_namespaced_event("default").items
    seen = {(e.involved_object.kind, e.reason, e.type, e.source.component) for e in events}
    assert {
        ("Deployment", "ScalingReplicaSet", "Normal", "deployment-controller"),
        ("ReplicaSet", "SuccessfulCreate", "Normal", "replicaset-controller"),
        ("Pod", "FailedScheduling", "Warning", "default-scheduler"),
        ("Pod", "Scheduled", "Normal", "default-scheduler"),
    } <= seen
    scaling = sorted(e.message for e in events if e.reason == "ScalingReplicaSet")
    replica_set = cluster.apps.list_namespaced_replica_set("default").items[0].metadata.name
    assert scaling == [
        f"Scaled up replica set {replica_set} from 0 to 1",
        f"Scaled up replica set {replica_set} from 1 to 2",
    ]
    assert any(e.message.endswith("to node-a") for e in events if e.reason == "Scheduled")


def test_pods_of_a_not_ready_node_are_not_ready_until_it_recovers(cluster: Cluster) -> None:
    for node in ("node-a", "node-b"):
        cluster.add_node(node)
    cluster.core.create_namespaced_service("default", service())
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    down = {"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletStopped"}]}}
    cluster.core.patch_node_status("node-a", down)
    cluster.settle()
    ready = {p.spec.node_name: _ready(p) for p in cluster.pods()}
    assert ready == {"node-a": False, "node-b": True}
    endpoints = {e.node_name: e.conditions.ready for e in cluster.slices("web")[0].endpoints}
    assert endpoints == {"node-a": False, "node-b": True}
    cluster.core.patch_node_status(
        "node-a", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    )
    cluster.settle()
    assert all(_ready(p) for p in cluster.pods())


def test_pods_of_a_deleted_node_are_collected_and_replaced(cluster: Cluster) -> None:
    for node in ("node-a", "node-b"):
        cluster.add_node(node)
    cluster.apps.create_namespaced_deployment("default", deployment(replicas=2, delay=0))
    cluster.settle()
    lost = next(p.metadata.name for p in cluster.pods() if p.spec.node_name == "node-b")
    cluster.core.delete_node("node-b")
    cluster.settle()
    cluster.advance(39)
    assert lost in {p.metadata.name for p in cluster.pods()}
    cluster.advance(1)
    pods = cluster.pods()
    assert lost not in {p.metadata.name for p in pods}
    assert len(pods) == 2 and {p.spec.node_name for p in pods} == {"node-a"} and all(_ready(p) for p in pods)
