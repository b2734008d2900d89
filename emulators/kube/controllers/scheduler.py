"""The scheduler (pods onto Ready, schedulable Nodes, least loaded first) and a kubelet per Node without any
containers: a bound pod starts at once with an IP from its Node's podCIDR, turns Ready after its readiness
probe's initialDelaySeconds (and not ready while its Node is NotReady), a deleted one stays Terminating for a
short grace period before it is removed, and the pods of a deleted Node go after a quarantine (pod GC)."""

from __future__ import annotations

import copy
import ipaddress
import secrets
from collections import Counter
from typing import Any

from ..store import now_rfc3339
from .common import Context, Obj, condition, meta, name, namespace, pod_ready, set_condition, uid

SCHEDULER = "default-scheduler"
ORPHAN_QUARANTINE_SECONDS = 40.0  # the pod garbage collector's wait before removing pods of a deleted Node


def node_ready(node: Obj) -> bool:
    ready = condition(node, "Ready")
    return ready is not None and ready.get("status") == "True"


def _tolerated(taint: Obj, tolerations: list[Obj]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists" and (
            not toleration.get("key") or toleration["key"] == taint.get("key")
        ):
            return True
        if toleration.get("key") == taint.get("key") and toleration.get("value", "") == taint.get(
            "value", ""
        ):
            return True
    return False


def _unfit_reason(pod: Obj, node: Obj) -> str | None:
    spec = pod.get("spec") or {}
    if (node.get("spec") or {}).get("unschedulable"):
        return "node(s) were unschedulable"
    if not node_ready(node):
        return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }"
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return "node(s) didn't match Pod's node affinity/selector"
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerated(
            taint, spec.get("tolerations") or []
        ):
            return f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"
    return None


def readiness_delay(pod: Obj) -> float:
    """Seconds from start to Ready: the longest readinessProbe initialDelaySeconds (no probe: ready at once)."""
    delays = [
        float((c.get("readinessProbe") or {}).get("initialDelaySeconds") or 0)
        for c in (pod.get("spec") or {}).get("containers") or []
    ]
    return max(delays, default=0.0)


class Kubelets:
    """Scheduling and the pod lifecycle on every emulated Node."""

    def __init__(self, termination_seconds: float = 1.0) -> None:
        self.termination_seconds = termination_seconds
        self.started: dict[str, float] = {}  # pod uid → clock time its containers started
        self.terminating: dict[str, float] = {}  # pod uid → clock time its deletion was first seen
        self._next_ip: dict[str, int] = {}  # node → offset of the next pod IP to try
        self.node_missing: dict[str, float] = {}  # pod uid → clock time its Node was first seen gone

    def sync(self, ctx: Context, pods: list[Obj], nodes: list[Obj]) -> None:
        by_name = {name(n): n for n in nodes}
        load = Counter((p.get("spec") or {}).get("nodeName") for p in pods)
        live = set()
        for pod in sorted(pods, key=lambda p: (meta(p).get("creationTimestamp", ""), name(p))):
            live.add(uid(pod))
            spec = pod.get("spec") or {}
            if meta(pod).get("deletionTimestamp"):
                self._terminate(ctx, pod)
            elif not spec.get("nodeName"):
                if spec.get("schedulerName", SCHEDULER) == SCHEDULER:
                    self._schedule(ctx, pod, nodes, load)
            elif spec["nodeName"] in by_name:
                self.node_missing.pop(uid(pod), None)
                self._run(ctx, pod, by_name[spec["nodeName"]], pods)
            else:
                self._orphaned(ctx, pod)
        for memory in (self.started, self.terminating, self.node_missing, ctx.ready_since):
            for gone in set(memory) - live:
                del memory[gone]

    # ---- scheduler --------------------------------------------------------------------------------

    def _schedule(self, ctx: Context, pod: Obj, nodes: list[Obj], load: Counter[Any]) -> None:
        reasons: Counter[str] = Counter()
        fits = []
        for node in nodes:
            reason = _unfit_reason(pod, node)
            if reason is None:
                fits.append(node)
            else:
                reasons[reason] += 1
        if not fits:
            updated = copy.deepcopy(pod)
            status = updated.setdefault("status", {})
            status["phase"] = "Pending"
            message = (
                "no nodes available to schedule pods"
                if not nodes
                else f"0/{len(nodes)} nodes are available: "
                + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items()))
                + "."
            )
            set_condition(
                status.setdefault("conditions", []), "PodScheduled", "False", "Unschedulable", message
            )
            if ctx.update("pods", updated, pod, "status") is not None:
                ctx.event(pod, "Pod", "FailedScheduling", message, SCHEDULER, "Warning")
            return
        chosen = min(fits, key=lambda n: (load[name(n)], name(n)))
        bound = copy.deepcopy(pod)
        bound["spec"]["nodeName"] = name(chosen)
        written = ctx.update("pods", bound, pod)
        if written is not None:
            load[name(chosen)] += 1
            ctx.event(
                written,
                "Pod",
                "Scheduled",
                f"Successfully assigned {namespace(pod)}/{name(pod)} to {name(chosen)}",
                SCHEDULER,
            )
            status_before = copy.deepcopy(written)
            status = written.setdefault("status", {})
            set_condition(status.setdefault("conditions", []), "PodScheduled", "True")
            ctx.update("pods", written, status_before, "status")

    # ---- kubelet ----------------------------------------------------------------------------------

    def _allocate_ip(self, node: Obj, pods: list[Obj]) -> str | None:
        cidr = (node.get("spec") or {}).get("podCIDR")
        if not cidr:
            return None
        network = ipaddress.IPv4Network(cidr)
        used = {
            (p.get("status") or {}).get("podIP")
            for p in pods
            if (p.get("spec") or {}).get("nodeName") == name(node)
        }
        size = network.num_addresses - 3  # not the network, gateway (.1) or broadcast address
        start = self._next_ip.get(name(node), 0)
        for step in range(size):
            offset = (start + step) % size
            address = str(network.network_address + 2 + offset)
            if address not in used:
                self._next_ip[name(node)] = offset + 1
                return address
        return None

    def _run(self, ctx: Context, pod: Obj, node: Obj, pods: list[Obj]) -> None:
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed"):
            return
        if status.get("podIP") and uid(pod) not in self.started:
            return  # a pod whose status someone else writes (a test or demo doing the kubelet's part)
        if not status.get("podIP"):
            if not node_ready(node):
                return
            address = self._allocate_ip(node, pods)
            if address is None:
                return
            self.started[uid(pod)] = ctx.now()
            self._write_status(ctx, pod, node, address, ready=readiness_delay(pod) <= 0)
            return
        if not node_ready(node):  # the node lifecycle controller marks the pods of a NotReady Node not ready
            if pod_ready(pod):
                self._write_status(ctx, pod, node, status["podIP"], ready=False)
            return
        if pod_ready(pod):
            return
        ready_at = self.started[uid(pod)] + readiness_delay(pod)
        if ctx.now() >= ready_at:
            self._write_status(ctx, pod, node, status["podIP"], ready=True)
        else:
            ctx.wake_at(ready_at)

    def _write_status(self, ctx: Context, pod: Obj, node: Obj, address: str, ready: bool) -> None:
        updated = copy.deepcopy(pod)
        status = updated.setdefault("status", {})
        now = now_rfc3339()
        host_ip = next(
            (
                a.get("address")
                for a in (node.get("status") or {}).get("addresses") or []
                if a.get("type") == "InternalIP"
            ),
            None,
        )
        status.update(phase="Running", podIP=address, podIPs=[{"ip": address}], qosClass="BestEffort")
        status.setdefault("startTime", now)
        if host_ip:
            status.update(hostIP=host_ip, hostIPs=[{"ip": host_ip}])
        previous = {c.get("name"): c for c in status.get("containerStatuses") or []}
        status["containerStatuses"] = [
            {
                "name": c.get("name"),
                "image": c.get("image"),
                "imageID": f"{c.get('image')}@sha256:{'0' * 64}",
                "containerID": (previous.get(c.get("name")) or {}).get("containerID")
                or f"containerd://{secrets.token_hex(32)}",
                "ready": ready,
                "started": True,
                "restartCount": 0,
                "state": {
                    "running": {
                        "startedAt": ((previous.get(c.get("name")) or {}).get("state") or {})
                        .get("running", {})
                        .get("startedAt", now)
                    }
                },
            }
            for c in (pod.get("spec") or {}).get("containers") or []
        ]
        conditions = status.setdefault("conditions", [])
        state = "True" if ready else "False"
        for kind in ("PodReadyToStartContainers", "Initialized", "PodScheduled"):
            set_condition(conditions, kind, "True")
        reason = "" if ready else "ContainersNotReady"
        set_condition(
            conditions,
            "ContainersReady",
            state,
            reason,
            ""
            if ready
            else "containers with unready status: ["
            + " ".join(c["name"] for c in status["containerStatuses"])
            + "]",
        )
        set_condition(
            conditions,
            "Ready",
            state,
            reason,
            ""
            if ready
            else "containers with unready status: ["
            + " ".join(c["name"] for c in status["containerStatuses"])
            + "]",
        )
        if ready:
            ctx.ready_since[uid(pod)] = ctx.now()
        ctx.update("pods", updated, pod, "status")

    def _orphaned(self, ctx: Context, pod: Obj) -> None:
        """Pod GC: a pod bound to a Node that no longer exists is removed after a quarantine."""
        missing_since = self.node_missing.setdefault(uid(pod), ctx.now())
        if ctx.now() >= missing_since + ORPHAN_QUARANTINE_SECONDS:
            ctx.delete("pods", pod, grace_seconds=0)
        else:
            ctx.wake_at(missing_since + ORPHAN_QUARANTINE_SECONDS)

    def _terminate(self, ctx: Context, pod: Obj) -> None:
        first_seen = self.terminating.setdefault(uid(pod), ctx.now())
        grace = meta(pod).get("deletionGracePeriodSeconds")
        grace_seconds = float(grace) if isinstance(grace, int | float) else 30.0
        done_at = first_seen + min(self.termination_seconds, grace_seconds)
        if ctx.now() >= done_at:
            ctx.delete("pods", pod, grace_seconds=0)
        else:
            ctx.wake_at(done_at)
