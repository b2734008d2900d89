"""The ReplicaSet controller: keep `spec.replicas` active pods from the template, report counts in status."""

from __future__ import annotations

import copy
from typing import Any

from .common import Context, Obj, meta, name, namespace, owned_by, owner_reference, pod_active, pod_ready, uid


def _deletion_rank(pod: Obj) -> tuple[Any, ...]:
    """Pods removed first on scale-down: unscheduled, then pending, then not ready, then the newest."""
    status = pod.get("status") or {}
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        status.get("phase") == "Running",
        pod_ready(pod),
        _negated(meta(pod).get("creationTimestamp", "")),
    )


def _negated(timestamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in timestamp)


def available(ctx: Context, pod: Obj, min_ready_seconds: int) -> bool:
    if not pod_ready(pod) or meta(pod).get("deletionTimestamp"):
        return False
    if min_ready_seconds <= 0:
        return True
    since = ctx.ready_since.get(uid(pod))
    if since is None:
        return True  # ready before we saw it (status written by someone else)
    if ctx.now() >= since + min_ready_seconds:
        return True
    ctx.wake_at(since + min_ready_seconds)
    return False


def _new_pod(replica_set: Obj, kind: Any) -> Obj:
    template = copy.deepcopy((replica_set.get("spec") or {}).get("template") or {})
    metadata = template.get("metadata") or {}
    metadata.pop("name", None)
    metadata.update(
        generateName=f"{name(replica_set)}-", ownerReferences=[owner_reference(replica_set, kind)]
    )
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template.get("spec") or {}}


CONTROLLER = "replicaset-controller"


class ReplicaSets:
    """Creates and deletes pods; deletions of every ReplicaSet happen before creations, so a rollout never
    runs more pods than its ReplicaSets ask for together."""

    def sync(self, ctx: Context, replica_sets: list[Obj], pods: list[Obj]) -> None:
        creations: list[tuple[Obj, int]] = []
        plans: list[tuple[Obj, list[Obj]]] = []
        for replica_set in replica_sets:
            if meta(replica_set).get("deletionTimestamp"):
                continue
            active = [p for p in owned_by(pods, replica_set) if pod_active(p)]
            wanted = int((replica_set.get("spec") or {}).get("replicas", 1) or 0)
            if len(active) > wanted:
                doomed = sorted(active, key=_deletion_rank)[: len(active) - wanted]
                for pod in doomed:
                    ctx.delete("pods", pod)
                    ctx.event(
                        replica_set, "ReplicaSet", "SuccessfulDelete", f"Deleted pod: {name(pod)}", CONTROLLER
                    )
                active = [p for p in active if p not in doomed]
            elif len(active) < wanted:
                creations.append((replica_set, wanted - len(active)))
            plans.append((replica_set, active))
        created: dict[str, int] = {}
        for replica_set, missing in creations:
            for _ in range(missing):
                new_pod = ctx.create(
                    "pods", namespace(replica_set), _new_pod(replica_set, ctx.kinds["replicasets"])
                )
                if new_pod is not None:
                    created[uid(replica_set)] = created.get(uid(replica_set), 0) + 1
                    ctx.event(
                        replica_set,
                        "ReplicaSet",
                        "SuccessfulCreate",
                        f"Created pod: {name(new_pod)}",
                        CONTROLLER,
                    )
        for replica_set, active in plans:
            self._status(ctx, replica_set, active, created.get(uid(replica_set), 0))

    @staticmethod
    def _status(ctx: Context, replica_set: Obj, active: list[Obj], created: int) -> None:
        spec = replica_set.get("spec") or {}
        min_ready = int(spec.get("minReadySeconds") or 0)
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        fully_labeled = sum(
            1 for p in active if all((meta(p).get("labels") or {}).get(k) == v for k, v in labels.items())
        )
        status: Obj = {
            "replicas": len(active) + created,
            "fullyLabeledReplicas": fully_labeled + created,
            "readyReplicas": sum(1 for p in active if pod_ready(p)),
            "availableReplicas": sum(1 for p in active if available(ctx, p, min_ready)),
            "observedGeneration": meta(replica_set).get("generation", 1),
        }
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        updated = copy.deepcopy(replica_set)
        updated["status"] = status
        ctx.update("replicasets", updated, replica_set, "status")
