"""Server-side table output (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.

Each kind gets the columns the real API server prints for it (see `printers`); kinds without their own
printer get NAME and AGE (CREATED AT for the cluster-scoped RBAC kinds and CRDs, as the real server does).
"""

from __future__ import annotations

from typing import Any

from .kinds import Kind
from .printers import COLUMNS, Column, age, name_of


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept  # type: ignore[operator]


_DEFAULT: list[Column] = [Column("Name", name_of, fmt="name"), Column("Age", age)]


def _json_path(path: str) -> Any:
    """A cell reading a CRD printer column's simple JSONPath (`.spec.a.b`, `.status.list[0].x`)."""
    parts = [p for p in path.strip().lstrip(".").replace("[", ".[").split(".") if p]

    def cell(obj: dict[str, Any]) -> Any:
        value: Any = obj
        for part in parts:
            if part.startswith("[") and part.endswith("]") and part[1:-1].lstrip("-").isdigit():
                index = int(part[1:-1])
                value = (
                    value[index] if isinstance(value, list) and -len(value) <= index < len(value) else None
                )
            else:
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                return None
        return value

    return cell


def _printer_column(spec: dict[str, Any]) -> Column:
    kind = str(spec.get("type", "string"))
    read = _json_path(str(spec.get("jsonPath", "")))
    cell = (lambda obj: age({"metadata": {"creationTimestamp": read(obj)}})) if kind == "date" else read
    return Column(
        str(spec.get("name", "")),
        cell,
        type=kind,
        priority=int(spec.get("priority") or 0),
        fmt=str(spec.get("format", "")),
        description=str(spec.get("description", "")),
    )


def _columns(kind: Kind | str) -> list[Column]:
    if isinstance(kind, str):
        return COLUMNS.get(kind, _DEFAULT)
    if kind.crd and kind.printer_columns:
        return [_DEFAULT[0], *(_printer_column(c) for c in kind.printer_columns)]
    return COLUMNS.get(kind.kind, _DEFAULT)


def to_table(kind: Kind | str, body: dict[str, Any]) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table for a list or a single object (a CRD's kinds: its additionalPrinterColumns)."""
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
