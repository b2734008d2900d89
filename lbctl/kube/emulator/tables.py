"""Server-side table output (`Accept: …;as=Table;g=meta.k8s.io`), which `kubectl get` asks for.

Ingresses get kubectl's usual columns (NAME, CLASS, HOSTS, ADDRESS, PORTS, AGE); other kinds NAME, AGE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

Column = tuple[str, str, Callable[[dict[str, Any]], str]]


def wants_table(accept: str | None) -> bool:
    return bool(accept) and "as=Table" in accept  # type: ignore[operator]


def _age(obj: dict[str, Any]) -> str:
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    seconds = int((dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def _ingress_hosts(obj: dict[str, Any]) -> str:
    hosts = [r.get("host") for r in obj.get("spec", {}).get("rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _ingress_address(obj: dict[str, Any]) -> str:
    entries = (obj.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
    return ",".join(e.get("hostname") or e.get("ip") or "" for e in entries)


def _ingress_ports(obj: dict[str, Any]) -> str:
    return "80, 443" if obj.get("spec", {}).get("tls") else "80"


def _ingress_class(obj: dict[str, Any]) -> str:
    return obj.get("spec", {}).get("ingressClassName") or "<none>"


_NAME: Column = ("Name", "name", lambda o: o.get("metadata", {}).get("name", ""))
_AGE: Column = ("Age", "", _age)
COLUMNS: dict[str, list[Column]] = {
    "Ingress": [_NAME, ("Class", "", _ingress_class), ("Hosts", "", _ingress_hosts),
                ("Address", "", _ingress_address), ("Ports", "", _ingress_ports), _AGE],
}  # fmt: skip


def to_table(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A meta.k8s.io/v1 Table for a list or a single object."""
    columns = COLUMNS.get(kind, [_NAME, _AGE])
    items = body.get("items") if body.get("kind", "").endswith("List") else [body]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": body.get("metadata", {}).get("resourceVersion", "")},
        "columnDefinitions": [
            {"name": name, "type": "string", "format": fmt, "description": "", "priority": 0}
            for name, fmt, _ in columns
        ],
        "rows": [
            {
                "cells": [cell(item) for _, _, cell in columns],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                           "metadata": item.get("metadata", {})},
            }  # fmt: skip
            for item in items or []
        ],
    }
