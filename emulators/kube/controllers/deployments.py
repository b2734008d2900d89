"""The Deployment controller: one ReplicaSet per pod template (named `<deployment>-<pod-template-hash>`),
rolled over with RollingUpdate (`maxSurge` rounded up, `maxUnavailable` rounded down) or Recreate; status and
conditions as `kubectl rollout status` reads them."""

from __future__ import annotations

import copy
import json
from typing import Any

from .common import (
    Context,
    Obj,
    int_or_percent,
    meta,
    name,
    namespace,
    owned_by,
    owner_reference,
    set_condition,
)

HASH_LABEL = "pod-template-hash"
CONTROLLER = "deployment-controller"
REVISION = "deployment.kubernetes.io/revision"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def _fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def template_hash(template: Obj, collision_count: int = 0) -> str:
    """A short stable name suffix for a pod template, encoded with the API machinery's safe alphabet."""
    digest = _fnv32a(json.dumps(template, sort_keys=True).encode() + str(collision_count or "").encode())
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in str(digest))


def _without_hash(template: Obj) -> Obj:
    stripped = copy.deepcopy(template)
    (stripped.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return stripped


def _replicas(obj: Obj) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1) or 0)


def _status_count(obj: Obj, key: str) -> int:
    return int((obj.get("status") or {}).get(key) or 0)


def _revision(obj: Obj) -> int:
    try:
        return int((meta(obj).get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def limits(deployment: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against spec.replicas; both zero would stall, so unavailable is 1."""
    strategy = (deployment.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, _replicas(deployment)
    rolling = strategy.get("rollingUpdate") or {}
    total = _replicas(deployment)
    surge = int_or_percent(rolling.get("maxSurge", "25%"), total, round_up=True)
    unavailable = int_or_percent(rolling.get("maxUnavailable", "25%"), total, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, total)


class Deployments:
    def sync(self, ctx: Context, deployments: list[Obj], replica_sets: list[Obj], pods: list[Obj]) -> None:
        for deployment in deployments:
            if meta(deployment).get("deletionTimestamp"):
                continue
            self._sync_one(ctx, deployment, owned_by(replica_sets, deployment), pods)

    def _sync_one(self, ctx: Context, deployment: Obj, owned: list[Obj], pods: list[Obj]) -> None:
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        new = next(
            (rs for rs in owned if _without_hash((rs.get("spec") or {}).get("template") or {}) == template),
            None,
        )
        old = [rs for rs in owned if rs is not new]
        newest = max((_revision(rs) for rs in old), default=0)
        if (
            new is not None and _revision(new) <= newest
        ):  # back to an earlier template: it is the newest revision
            bumped = copy.deepcopy(new)
            meta(bumped).setdefault("annotations", {})[REVISION] = str(newest + 1)
            new = ctx.update("replicasets", bumped, new) or new
        if new is None and not spec.get("paused"):
            new = self._create_replica_set(ctx, deployment, old)
            if new is None:
                return
        if new is not None and spec.get("paused"):  # paused: scaling only, no rollout step
            if not any(_replicas(rs) for rs in old):
                self._scale(ctx, new, _replicas(deployment))
        elif new is not None:
            if (spec.get("strategy") or {}).get("type") == "Recreate":
                self._recreate(ctx, deployment, new, old, pods)
            else:
                self._rolling(ctx, deployment, new, old)
            self._stamp_revision(ctx, deployment, new)
        self._clean_history(ctx, deployment, old)
        self._status(ctx, deployment, new, old)

    # ---- ReplicaSets ------------------------------------------------------------------------------

    def _create_replica_set(self, ctx: Context, deployment: Obj, old: list[Obj]) -> Obj | None:
        spec = deployment.get("spec") or {}
        collisions = int((deployment.get("status") or {}).get("collisionCount") or 0)
        suffix = template_hash(spec.get("template") or {}, collisions)
        template = copy.deepcopy(spec.get("template") or {})
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = suffix
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = suffix
        revision = max((_revision(rs) for rs in old), default=0) + 1
        surge, _ = limits(deployment)
        recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
        replicas = 0 if any(_replicas(rs) for rs in old) or recreate else _replicas(deployment)
        body = {
            "metadata": {
                "name": f"{name(deployment)}-{suffix}",
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    REVISION: str(revision),
                    "deployment.kubernetes.io/desired-replicas": str(_replicas(deployment)),
                    "deployment.kubernetes.io/max-replicas": str(_replicas(deployment) + surge),
                },
                "ownerReferences": [owner_reference(deployment, ctx.kinds["deployments"])],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                "selector": selector,
                "template": template,
            },
        }
        created = ctx.create("replicasets", namespace(deployment), body)
        if (
            created is None
        ):  # the name is taken by another template: count a collision, as the real controller does
            bumped = copy.deepcopy(deployment)
            bumped.setdefault("status", {})["collisionCount"] = collisions + 1
            ctx.update("deployments", bumped, deployment, "status")
        elif replicas:
            ctx.event(
                deployment,
                "Deployment",
                "ScalingReplicaSet",
                f"Scaled up replica set {name(created)} from 0 to {replicas}",
                CONTROLLER,
            )
        return created

    @staticmethod
    def _scale(ctx: Context, replica_set: Obj, replicas: int) -> Obj:
        """Set a ReplicaSet's replicas; the Deployment gets a ScalingReplicaSet Event, as kubectl describe shows."""
        before = _replicas(replica_set)
        if before == replicas:
            return replica_set
        scaled = copy.deepcopy(replica_set)
        scaled["spec"]["replicas"] = replicas
        written = ctx.update("replicasets", scaled, replica_set)
        if written is None:
            return replica_set
        owner: dict[str, Any] = next(
            (r for r in meta(replica_set).get("ownerReferences") or [] if r.get("controller")), {}
        )
        deployment = {
            "metadata": {
                "name": owner.get("name", ""),
                "namespace": namespace(replica_set),
                "uid": owner.get("uid", ""),
            }
        }
        direction = "up" if replicas > before else "down"
        ctx.event(
            deployment,
            "Deployment",
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {name(replica_set)} from {before} to {replicas}",
            CONTROLLER,
        )
        return written

    def _stamp_revision(self, ctx: Context, deployment: Obj, new: Obj) -> None:
        revision = str(_revision(new))
        annotations = meta(deployment).get("annotations") or {}
        if annotations.get(REVISION) != revision:
            stamped = copy.deepcopy(deployment)
            meta(stamped).setdefault("annotations", {})[REVISION] = revision
            ctx.update("deployments", stamped, deployment)

    # ---- strategies -------------------------------------------------------------------------------

    def _recreate(self, ctx: Context, deployment: Obj, new: Obj, old: list[Obj], pods: list[Obj]) -> None:
        """Scale every old ReplicaSet to 0 and start the new one only once their pods are gone (terminating
        ones included), so old and new never run side by side."""
        for replica_set in old:
            self._scale(ctx, replica_set, 0)
        old_pods = [
            p
            for rs in old
            for p in owned_by(pods, rs)
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        if not old_pods:
            self._scale(ctx, new, _replicas(deployment))

    def _rolling(self, ctx: Context, deployment: Obj, new: Obj, old: list[Obj]) -> None:
        """One step of a rolling update: scale the new ReplicaSet up within maxSurge, else scale old ones
        down while at least spec.replicas - maxUnavailable pods stay available (the real controller's order)."""
        wanted = _replicas(deployment)
        surge, unavailable = limits(deployment)
        if not any(_replicas(rs) for rs in old):  # nothing to roll over: a plain scale
            self._scale(ctx, new, wanted)
            return
        total = _replicas(new) + sum(_replicas(rs) for rs in old)
        if _replicas(new) > wanted:
            self._scale(ctx, new, wanted)
            return
        if _replicas(new) < wanted and total < wanted + surge:
            self._scale(ctx, new, _replicas(new) + min(wanted + surge - total, wanted - _replicas(new)))
            return
        min_available = wanted - unavailable
        new_unavailable = max(_replicas(new) - _status_count(new, "availableReplicas"), 0)
        budget = total - min_available - new_unavailable
        if budget <= 0:
            return
        current = sorted(old, key=lambda rs: (meta(rs).get("creationTimestamp", ""), name(rs)))
        for i, replica_set in enumerate(current):  # unavailable old pods go first: they count for nothing
            unhealthy = _replicas(replica_set) - _status_count(replica_set, "availableReplicas")
            cut = min(max(unhealthy, 0), budget)
            if cut > 0:
                current[i] = self._scale(ctx, replica_set, _replicas(replica_set) - cut)
                budget -= cut
            if budget <= 0:
                break
        available = _status_count(new, "availableReplicas") + sum(
            _status_count(rs, "availableReplicas") for rs in old
        )
        room = available - min_available
        for i, replica_set in enumerate(current):
            if room <= 0:
                break
            cut = min(_replicas(replica_set), room)
            if cut > 0:
                current[i] = self._scale(ctx, replica_set, _replicas(replica_set) - cut)
                room -= cut

    def _clean_history(self, ctx: Context, deployment: Obj, old: list[Obj]) -> None:
        limit = int((deployment.get("spec") or {}).get("revisionHistoryLimit", 10))
        idle = [rs for rs in old if _replicas(rs) == 0 and _status_count(rs, "replicas") == 0]
        for replica_set in sorted(idle, key=_revision)[: max(len(idle) - limit, 0)]:
            ctx.delete("replicasets", replica_set)

    # ---- status -----------------------------------------------------------------------------------

    def _status(self, ctx: Context, deployment: Obj, new: Obj | None, old: list[Obj]) -> None:
        fresh = {rs["metadata"]["uid"]: rs for rs in ctx.list("replicasets")}
        sets = [fresh.get(rs["metadata"]["uid"], rs) for rs in ([new] if new else []) + old]
        new = sets[0] if new else None
        wanted = _replicas(deployment)
        _, unavailable = limits(deployment)
        total = sum(_status_count(rs, "replicas") for rs in sets)
        available = sum(_status_count(rs, "availableReplicas") for rs in sets)
        status: dict[str, Any] = copy.deepcopy(deployment.get("status") or {})
        status.update(
            observedGeneration=meta(deployment).get("generation", 1),
            replicas=total,
            updatedReplicas=_status_count(new, "replicas") if new else 0,
            readyReplicas=sum(_status_count(rs, "readyReplicas") for rs in sets),
            availableReplicas=available,
            unavailableReplicas=max(wanted - available, 0),
        )
        for key in ("updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"):
            if not status[key]:
                del status[key]
        conditions = status.setdefault("conditions", [])
        if available >= wanted - unavailable:
            set_condition(
                conditions,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                update_time=True,
            )
        else:
            set_condition(
                conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                update_time=True,
            )
        if new is not None:
            done = (
                _status_count(new, "replicas") == wanted == _status_count(new, "availableReplicas")
                and total == wanted
                and _replicas(new) == wanted
            )
            reason, message = (
                ("NewReplicaSetAvailable", f'ReplicaSet "{name(new)}" has successfully progressed.')
                if done
                else ("ReplicaSetUpdated", f'ReplicaSet "{name(new)}" is progressing.')
            )
            set_condition(conditions, "Progressing", "True", reason, message, update_time=True)
        conditions.sort(key=lambda c: c["type"] != "Available")
        updated = copy.deepcopy(deployment)
        updated["status"] = status
        ctx.update("deployments", updated, deployment, "status")
