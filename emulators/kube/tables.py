"""Server-side table output (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.

Each kind gets the columns the real API server prints for it (see `printers`); kinds without their own
printer get NAME and AGE (CREATED AT for the cluster-scoped RBAC kinds and CRDs, as the real server does).
"""

from __future__ import annotations

from typing import Any

from .printers import COLUMNS, Column, age, name_of


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept  # type: ignore[operator]


_DEFAULT: list[Column] = [Column("Name", name_of, fmt="name"), Column("Age", age)]


def _columns(kind: str) -> list[Column]:
    return COLUMNS.get(kind, _DEFAULT)


def to_table(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table for a list or a single object."""
    columns = _columns(kind)
    items = body.get("items") if body.get("kind", "").endswith("List") else [body]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": body.get("metadata", {}).get("resourceVersion", "")},
        "columnDefinitions": [
            {
                "name": c.name,
                "type": c.type,
                "format": c.fmt,
                "description": c.description,
                "priority": c.priority,
            }
            for c in columns
        ],
        "rows": [
            {
                "cells": [c.cell(item) for c in columns],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": item.get("metadata", {}),
                },
            }
            for item in items or []
        ],
    }
