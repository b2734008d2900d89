"""Server-side table output (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.

Each kind gets the columns the real API server prints for it (see `printers`); kinds without their own
printer get NAME and AGE (CREATED AT for the cluster-scoped RBAC kinds and CRDs, as the real server does).
"""

from __future__ import annotations

import re
from typing import Any

from .kinds import Kind
from .printers import COLUMNS, Column, age, name_of


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept  # type: ignore[operator]


_DEFAULT: list[Column] = [Column("Name", name_of, fmt="name"), Column("Age", age)]


_STEP = re.compile(
    r"""\.([A-Za-z0-9_-]+)|\[(-?\d+|\*)\]|\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*["']([^"']*)["']\)\]"""
)


def _json_path(path: str) -> Any:
    """A cell reading a CRD printer column's JSONPath, in the forms CRDs use: `.spec.a.b`, `.list[0].x`,
    `.list[*].x` (values joined with commas) and `.conditions[?(@.type=="Ready")].status`."""
    steps = _STEP.findall(path.strip())

    def cell(obj: dict[str, Any]) -> Any:
        values: list[Any] = [obj]
        for key, index, filter_key, filter_value in steps:
            found: list[Any] = []
            for value in values:
                if key:
                    if isinstance(value, dict) and value.get(key) is not None:
                        found.append(value[key])
                elif filter_key:
                    if isinstance(value, list):
                        found += [
                            v for v in value if isinstance(v, dict) and str(v.get(filter_key)) == filter_value
                        ]
                elif isinstance(value, list):
                    if index == "*":
                        found += value
                    elif -len(value) <= int(index) < len(value):
                        found.append(value[int(index)])
            values = found
        if not values:
            return None
        return values[0] if len(values) == 1 else ",".join(str(v) for v in values)

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
