"""The openAPIV3Schema a CRD carries for one of the model's JSON schemas: the same fields and bounds in
Kubernetes' structural form (every node typed, no additionalProperties beside properties: the API server
prunes unknown fields; lbctl refuses them)."""

from __future__ import annotations

from typing import Any


def structural(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` as a CRD's structural schema."""
    out: dict[str, Any] = {}
    if "properties" in schema:
        out["type"] = "object"
    elif "enum" in schema:
        out["type"] = "integer" if all(isinstance(v, int) for v in schema["enum"]) else "string"
    for key, value in schema.items():
        if key == "additionalProperties":
            continue
        if key == "properties":
            out[key] = {name: structural(child) for name, child in value.items()}
        elif key == "items":
            out[key] = structural(value)
        else:
            out[key] = value
    return out


def fields(schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Every leaf field of a schema as a dotted path; `[]` marks a list's items."""
    out: list[str] = []
    for name, child in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        if "properties" in child:
            out.extend(fields(child, f"{path}."))
        elif isinstance(child.get("items"), dict) and "properties" in child["items"]:
            out.extend(fields(child["items"], f"{path}[]."))
        else:
            out.append(path)
    return out
