"""Helpers the emulated controllers share: owner references, label selectors, conditions, int-or-percent."""

from __future__ import annotations

import copy
import logging
import math
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ApiError
from ..kinds import Kind
from ..store import Store, now_rfc3339

Obj = dict[str, Any]
_PLURALS = {
    "Pod": "pods",
    "ReplicaSet": "replicasets",
    "Deployment": "deployments",
    "Service": "services",
    "Node": "nodes",
}
log = logging.getLogger("emulators.kube.controllers")


def meta(obj: Obj) -> Obj:
    return obj.setdefault("metadata", {})


def uid(obj: Obj) -> str:
    return str(meta(obj).get("uid", ""))


def namespace(obj: Obj) -> str:
    return str(meta(obj).get("namespace") or "")


def name(obj: Obj) -> str:
    return str(meta(obj).get("name", ""))


def owner_reference(owner: Obj, kind: Kind) -> Obj:
    """A controller ownerReference to `owner`, as the built-in controllers set it."""
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "name": name(owner),
        "uid": uid(owner),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: Obj) -> str | None:
    for ref in meta(obj).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def owned_by(objects: Iterable[Obj], owner: Obj) -> list[Obj]:
    owner_uid = uid(owner)
    return [o for o in objects if controller_uid(o) == owner_uid and namespace(o) == namespace(owner)]


def selector_matches(selector: Obj | None, labels: Obj | None) -> bool:
    """A LabelSelector (matchLabels, matchExpressions) against a label map; an empty selector matches nothing."""
    if not selector:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = (
            expression.get("key"),
            expression.get("operator"),
            expression.get("values") or [],
        )
        present = key in labels
        if (
            (operator == "In" and labels.get(key) not in values)
            or (operator == "NotIn" and labels.get(key) in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def map_selector_matches(selector: Obj | None, labels: Obj | None) -> bool:
    """A Service's plain selector map; empty or missing selects nothing."""
    return bool(selector) and all((labels or {}).get(k) == v for k, v in (selector or {}).items())


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    """`maxSurge`/`maxUnavailable`: an int, or a percentage of `total` (surge rounds up, unavailable down)."""
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = float(value[:-1])
        except ValueError:
            return 0
        scaled = percent * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def condition(obj: Obj, kind: str) -> Obj | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c.get("type") == kind), None)


def set_condition(
    conditions: list[Obj],
    kind: str,
    status: str,
    reason: str = "",
    message: str = "",
    update_time: bool = False,
) -> None:
    """Set one condition, keeping lastTransitionTime unless the status changes."""
    now = now_rfc3339()
    current = next((c for c in conditions if c.get("type") == kind), None)
    if current is None:
        entry: Obj = {"type": kind, "status": status, "lastTransitionTime": now}
        if update_time:
            entry["lastUpdateTime"] = now
        if reason:
            entry["reason"] = reason
        if message:
            entry["message"] = message
        conditions.append(entry)
        return
    if current.get("status") != status:
        current["status"], current["lastTransitionTime"] = status, now
    if (current.get("reason"), current.get("message")) != (reason or None, message or None):
        current.pop("reason", None)
        current.pop("message", None)
        if reason:
            current["reason"] = reason
        if message:
            current["message"] = message
        if update_time:
            current["lastUpdateTime"] = now


def pod_ready(pod: Obj) -> bool:
    ready = condition(pod, "Ready")
    return ready is not None and ready.get("status") == "True"


def pod_active(pod: Obj) -> bool:
    """Counted by ReplicaSets: not terminating and not finished."""
    return not meta(pod).get("deletionTimestamp") and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )


@dataclass
class Context:
    """What every controller gets: the store, the served kinds, a clock and shared per-pod timing."""

    store: Store
    kinds: dict[str, Kind]
    now: Callable[[], float]
    ready_since: dict[str, float] = field(default_factory=dict)  # pod uid → clock time it became Ready
    deadlines: list[float] = field(default_factory=list)  # clock times some controller wants to run again
    writes: int = 0
    conflicts: int = 0

    def list(self, kind: str) -> list[Obj]:
        return list(self.store.list(self.kinds[kind])["items"])

    def wake_at(self, when: float) -> None:
        self.deadlines.append(when)

    def _write(self, action: Callable[[], Obj | None], what: str) -> Obj | None:
        try:
            result = action()
        except ApiError as error:
            if error.code == 409:
                self.conflicts += 1  # someone wrote first: the next pass retries on fresh state
            elif error.code != 404:
                log.warning("emulated controller could not %s: %s", what, error.message)
            return None
        self.writes += 1
        return result

    def event(
        self, obj: Obj, kind_name: str, reason: str, message: str, component: str, event_type: str = "Normal"
    ) -> None:
        """Record a core/v1 Event about `obj`, as the built-in controllers do (not a change controllers watch)."""
        events = self.store.kinds.find("", "v1", "events")
        if events is None:
            return
        now = now_rfc3339()
        involved = {
            "kind": kind_name,
            "namespace": namespace(obj) or None,
            "name": name(obj),
            "uid": uid(obj),
            "apiVersion": self.kinds[_PLURALS[kind_name]].api_version,
            "resourceVersion": meta(obj).get("resourceVersion"),
        }
        body = {
            "metadata": {"name": f"{name(obj)}.{secrets.token_hex(8)}"},
            "involvedObject": {k: v for k, v in involved.items() if v},
            "reason": reason,
            "message": message,
            "type": event_type,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": component,
            "reportingInstance": "",
        }
        try:
            self.store.create(events, namespace(obj) or "default", body)
        except ApiError as error:  # a terminating namespace, say: the event is lost, as on a real cluster
            log.debug("event not recorded: %s", error.message)

    def create(self, kind: str, ns: str | None, body: Obj) -> Obj | None:
        return self._write(lambda: self.store.create(self.kinds[kind], ns, body), f"create {kind}")

    def update(self, kind: str, obj: Obj, before: Obj, subresource: str | None = None) -> Obj | None:
        """Write `obj` if it differs from `before` (the state it was read in, resourceVersion included)."""
        if obj == before:
            return None
        ns = namespace(obj) or None
        return self._write(
            lambda: self.store.update(self.kinds[kind], ns, name(obj), copy.deepcopy(obj), subresource),
            f"update {kind} {name(obj)}",
        )

    def delete(self, kind: str, obj: Obj, grace_seconds: int | None = None) -> None:
        options: Obj = {"preconditions": {"uid": uid(obj)}}
        if grace_seconds is not None:
            options["gracePeriodSeconds"] = grace_seconds
        self._write(
            lambda: self.store.delete(self.kinds[kind], namespace(obj) or None, name(obj), options),
            f"delete {kind} {name(obj)}",
        )
