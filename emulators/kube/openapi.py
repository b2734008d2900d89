"""A minimal OpenAPI v3 surface, just enough for `kubectl apply` to use server-side field validation.

kubectl reads `/openapi/v3` and, per group/version, looks for a PATCH operation tagged with the kind's
`x-kubernetes-group-version-kind` that accepts a `fieldValidation` query parameter. No schemas are
served, so kubectl computes strategic merge patches from its built-in types (merge patch for CRDs).
"""

from __future__ import annotations

from typing import Any

from .discovery import EMULATED_MINOR
from .kinds import Kind, KindTable


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def index(kinds: KindTable) -> dict[str, Any]:
    """`/openapi/v3`: one entry per served group/version."""
    paths = {}
    for group, versions in kinds.group_versions().items():
        for version in versions:
            gv_path = _gv_path(group, version)
            paths[gv_path] = {"serverRelativeURL": f"/openapi/v3/{gv_path}"}
    return {"paths": paths}


def _patch_operation(kind: Kind) -> dict[str, Any]:
    return {
        "operationId": f"patch{kind.kind}",
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": kind.group, "version": kind.version, "kind": kind.kind},
        "parameters": [
            {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
            for name in ("dryRun", "fieldManager", "fieldValidation")
        ],
        "responses": {"200": {"description": "OK"}},
    }


def group_version_document(kinds: KindTable, path: str) -> dict[str, Any] | None:
    """`/openapi/v3/apis/{group}/{version}` (or `/openapi/v3/api/v1`), None if not served."""
    parts = path.strip("/").split("/")
    if parts[:1] == ["api"] and len(parts) == 2:
        group, version = "", parts[1]
    elif parts[:1] == ["apis"] and len(parts) == 3:
        group, version = parts[1], parts[2]
    else:
        return None
    served = kinds.in_group_version(group, version)
    if not served:
        return None
    prefix = "/" + _gv_path(group, version)
    paths = {}
    for kind in served:
        if kind.review:
            continue
        scope = f"{prefix}/namespaces/{{namespace}}" if kind.namespaced else prefix
        paths[f"{scope}/{kind.plural}/{{name}}"] = {"patch": _patch_operation(kind)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (lbctl emulator)", "version": f"v1.{EMULATED_MINOR}.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
