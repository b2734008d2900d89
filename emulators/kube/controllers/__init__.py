"""Kubelet-less core controllers inside the emulator, as KWOK runs them: Deployments → ReplicaSets → Pods placed
on the emulated Nodes (with IPs from their podCIDRs) → EndpointSlices (and legacy Endpoints), plus node IPAM
and garbage collection.

One thread, level-triggered: every stored change (or a clock timer coming due) runs a pass of all controllers
over the current state until nothing changes. `settle()` waits until they have caught up.
"""

from __future__ import annotations

import logging
import threading

from ..store import Store
from .clock import Clock, ManualClock, SystemClock
from .common import Context
from .deployments import Deployments
from .endpoints import EndpointsController
from .endpointslices import EndpointSlices
from .gc import GarbageCollector
from .nodes import NodeIpam
from .replicasets import ReplicaSets
from .scheduler import Kubelets

__all__ = ["Clock", "ClusterControllers", "ManualClock", "SystemClock"]

log = logging.getLogger(__name__)
_MAX_PASSES = 50  # per wake-up: a pass that keeps writing (a fight with a client) must not spin forever
_WATCHED = ("nodes", "pods", "services", "endpointslices", "endpoints", "replicasets", "deployments")


class ClusterControllers:
    """The emulated control plane's controllers over one `Store`."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        cluster_cidr: str = "10.244.0.0/16",
        node_cidr_mask: int = 24,
        pod_termination_seconds: float = 1.0,
        max_endpoints_per_slice: int = 100,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        kinds = {}
        for plural, group in (
            ("nodes", ""),
            ("pods", ""),
            ("services", ""),
            ("endpoints", ""),
            ("endpointslices", "discovery.k8s.io"),
            ("replicasets", "apps"),
            ("deployments", "apps"),
        ):
            kind = store.kinds.find(group, "v1", plural)
            if kind is None:
                raise ValueError(f"controllers need {plural} to be served")
            kinds[plural] = kind
        self.ctx = Context(store, kinds, self.clock.now)
        self.ipam = NodeIpam(cluster_cidr, node_cidr_mask)
        self.kubelets = Kubelets(pod_termination_seconds)
        self.replica_sets = ReplicaSets()
        self.deployments = Deployments()
        self.endpoint_slices = EndpointSlices(max_endpoints_per_slice)
        self.endpoints = EndpointsController()
        self.gc = GarbageCollector()
        self._watched = {kinds[p] for p in _WATCHED}
        self._cond = threading.Condition()
        self._changes = 0  # stored changes (and clock advances) seen
        self._caught_up = 0  # changes fully processed
        self._next_deadline: float | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        store.add_listener(self._on_change)
        self.clock.subscribe(self._on_tick)

    # ---- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="kube-emulator-controllers", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until every change made so far has been acted on (timers not yet due excepted)."""
        with self._cond:
            target = self._changes
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._caught_up >= target or self._stopping, timeout)

    # ---- wake-ups -------------------------------------------------------------------------------

    def _on_change(self, kind: object) -> None:  # called by the store, under its lock: keep it short
        if kind in self._watched:
            with self._cond:
                self._changes += 1
                self._cond.notify_all()

    def _on_tick(self) -> None:
        with self._cond:
            self._changes += 1
            self._cond.notify_all()

    def _wait_seconds(self) -> float | None:
        if self._next_deadline is None:
            return None
        remaining = self._next_deadline - self.clock.now()
        if remaining <= 0:
            return 0.0
        return None if self.clock.manual else remaining

    def _run(self) -> None:
        seen = -1
        while True:
            with self._cond:
                while not self._stopping and self._changes == seen:
                    wait = self._wait_seconds()
                    if wait == 0.0:
                        break
                    self._cond.wait(wait)
                if self._stopping:
                    return
                seen = self._changes
            try:
                self._sync()
            except (
                Exception
            ):  # a controller bug must not kill the cluster: log it, go on with the next change
                log.exception("emulated controllers failed a pass")
            with self._cond:
                if self._changes == seen:
                    self._caught_up = seen
                    self._cond.notify_all()

    # ---- one round ------------------------------------------------------------------------------

    def _sync(self) -> None:
        for _ in range(_MAX_PASSES):
            self.ctx.writes, self.ctx.conflicts, self.ctx.deadlines = 0, 0, []
            self._pass()
            self._next_deadline = min(self.ctx.deadlines, default=None)
            if not self.ctx.writes and not self.ctx.conflicts:
                return
        log.warning("emulated controllers still writing after %d passes", _MAX_PASSES)

    def _pass(self) -> None:
        ctx = self.ctx
        self.ipam.sync(ctx, ctx.list("nodes"))
        nodes = ctx.list("nodes")
        self.kubelets.sync(ctx, ctx.list("pods"), nodes)
        pods = ctx.list("pods")
        self.replica_sets.sync(ctx, ctx.list("replicasets"), pods)
        self.deployments.sync(ctx, ctx.list("deployments"), ctx.list("replicasets"), ctx.list("pods"))
        objects = {
            plural: ctx.list(plural) for plural in ("pods", "replicasets", "endpointslices", "deployments")
        }
        services = ctx.list("services")
        self.endpoint_slices.sync(ctx, services, objects["pods"], objects["endpointslices"], nodes)
        self.endpoints.sync(ctx, services, objects["pods"], ctx.list("endpoints"))
        objects.update(endpointslices=ctx.list("endpointslices"), services=services)
        self.gc.sync(ctx, objects)
