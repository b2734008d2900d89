"""The `scale` subresource of Deployments and ReplicaSets (autoscaling/v1 Scale), which `kubectl scale` uses."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request, conflict
from .kinds import Kind
from .patch import json_patch, merge_patch, strategic_merge_patch
from .store import JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, Store


def _selector(obj: dict[str, Any]) -> str:
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def to_scale(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": int((obj.get("spec") or {}).get("replicas", 1) or 0)},
        "status": {
            "replicas": int((obj.get("status") or {}).get("replicas") or 0),
            "selector": _selector(obj),
        },
    }


def handle(
    store: Store, kind: Kind, namespace: str | None, name: str, method: str, content_type: str, body: Any
) -> dict[str, Any]:
    """GET the Scale, or PUT/PATCH it: only `spec.replicas` is taken over into the object."""
    current = store.get(kind, namespace, name)
    if method == "GET":
        return to_scale(current)
    if method not in ("PUT", "PATCH"):
        raise ApiError(405, f"the server does not allow this method on the requested resource ({method})")
    scale = to_scale(current)
    if method == "PUT":
        if not isinstance(body, dict):
            raise bad_request("the body of the request must be a Scale object")
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise conflict(
                kind.group,
                kind.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        scale = body
    elif content_type == MERGE_PATCH:
        scale = merge_patch(scale, body)
    elif content_type == STRATEGIC_MERGE_PATCH:
        scale = strategic_merge_patch(scale, body, lambda _path: (False, None))
    elif content_type == JSON_PATCH:
        scale = json_patch(scale, body)
    else:
        raise ApiError(
            415,
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}",
        )
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise ApiError(
            422,
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: {replicas}: '
            "must be greater than or equal to 0",
            "Invalid",
        )
    updated = store.patch(kind, namespace, name, MERGE_PATCH, {"spec": {"replicas": replicas}})
    return to_scale(updated)
