"""Leader election on a Lease in the Kubernetes API emulator."""

from __future__ import annotations

import threading

import kubernetes

from emulators.kube import KubeEmulator
from emulators.testing.waiting import wait_for
from lbctl.kube.leader import LeaderElector


class Replica:
    """One candidate: counts how often it started and stopped leading."""

    def __init__(self, api: kubernetes.client.ApiClient, identity: str, lease_seconds: float = 1.5) -> None:
        self.started = 0
        self.stopped = 0
        self.lock = threading.Lock()
        self.elector = LeaderElector(
            api,
            "default",
            "lbctl-test",
            identity,
            self._start,
            self._stop,
            lease_seconds=lease_seconds,
            renew_deadline=1.0,
            retry_period=0.2,
        )

    def _start(self) -> None:
        with self.lock:
            self.started += 1

    def _stop(self) -> None:
        with self.lock:
            self.stopped += 1

    @property
    def leading(self) -> bool:
        return self.elector.leading.is_set()


def _replica_api(kube: KubeEmulator, identity: str) -> kubernetes.client.ApiClient:
    """A client of its own, so the emulator's request log tells this replica's requests apart."""
    api = kube.api_client()
    api.user_agent = f"replica-{identity}"
    return api


def _lease_reads(kube: KubeEmulator, identity: str) -> int:
    return sum(
        1
        for r in kube.requests
        if r.resource == "leases" and r.verb == "get" and r.user_agent == f"replica-{identity}"
    )


def test_exactly_one_leader_and_handover_on_release(kube: KubeEmulator) -> None:
    # an hour-long lease cannot expire during the test: b can take over only because a released it
    a = Replica(_replica_api(kube, "a"), "a", lease_seconds=3600)
    b = Replica(_replica_api(kube, "b"), "b", lease_seconds=3600)
    a.elector.start()
    wait_for(lambda: a.leading)
    b.elector.start()
    wait_for(lambda: _lease_reads(kube, "b") >= 3, timeout=60, what="b found the lease held three times")
    assert a.leading and not b.leading
    a.elector.stop()
    wait_for(lambda: b.leading, timeout=60, what="b takes over the released lease")
    assert (a.started, a.stopped) == (1, 1)
    reader = kubernetes.client.CoordinationV1Api(_replica_api(kube, "reader"))
    lease = reader.read_namespaced_lease("lbctl-test", "default")
    assert lease.spec.holder_identity == "b" and lease.spec.lease_transitions == 1
    b.elector.stop()


def test_leader_that_cannot_renew_stops_work(kube: KubeEmulator, api: kubernetes.client.ApiClient) -> None:
    a, b = Replica(api, "a"), Replica(api, "b")
    a.elector.start()
    wait_for(lambda: a.leading)
    kube.faults.fail(method="PUT", path="leases/lbctl-test", status=503, times=None)
    wait_for(lambda: not a.leading, timeout=30)
    assert a.stopped == 1, "losing the lease must call on_stopped promptly"
    kube.faults.clear()
    b.elector.start()
    wait_for(lambda: b.leading or a.leading, timeout=30)
    assert a.leading != b.leading
    a.elector.stop()
    b.elector.stop()
