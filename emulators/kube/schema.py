"""What the API server does with a custom resource's `openAPIV3Schema` on every write: prune the fields the
schema does not declare, apply its defaults, then validate (with the `jsonschema` library) and answer what
fails as the API server's causes (`spec.listeners[0].port: Invalid value: 0: ... should be greater than or
equal to 1`).

Not evaluated: `x-kubernetes-validations` (CEL rules) and `format` (the emulator checks no string formats).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any

import jsonschema

Cause = tuple[str, str, str]  # (reason, field, message)
Schema = dict[str, Any]

_ROOT_KEPT = ("apiVersion", "kind", "metadata")
# Keywords jsonschema must not see: Kubernetes extensions, and what OpenAPI means differently.
_DROPPED = ("nullable", "x-kubernetes-validations", "format", "default", "description", "example")


def _go_value(value: Any) -> str:
    """A value the way the API server's messages print it: strings quoted, numbers bare, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), sort_keys=isinstance(value, dict))


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def field_path(parts: Iterable[str | int]) -> str:
    """`spec.listeners[0].port` from ("spec", "listeners", 0, "port")."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---- pruning and defaults ---------------------------------------------------------------------------


def prune(schema: Schema, obj: Any, root: bool = True) -> list[str]:
    """Drop from `obj` (in place) every field `schema` does not declare; returns their paths.

    A node with `x-kubernetes-preserve-unknown-fields: true` keeps its unknown fields; at the root (and in an
    `x-kubernetes-embedded-resource`) `apiVersion`, `kind` and `metadata` are always kept."""
    dropped: list[str] = []
    _prune(schema, obj, [], root, dropped)
    return dropped


def _prune(schema: Schema, value: Any, path: list[str | int], keep_meta: bool, dropped: list[str]) -> None:
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        preserve = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
        kept = _ROOT_KEPT if keep_meta or schema.get("x-kubernetes-embedded-resource") else ()
        for key in list(value):
            child = (properties or {}).get(key)
            if key == "metadata" and kept:  # ObjectMeta is the API server's own, never pruned by a schema
                continue
            if child is not None:
                _prune(child, value[key], [*path, key], False, dropped)
            elif isinstance(extra, dict):
                _prune(extra, value[key], [*path, key], False, dropped)
            elif key in kept or preserve or extra is True:
                continue
            else:
                del value[key]
                dropped.append(field_path([*path, key]))
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _prune(schema["items"], item, [*path, index], False, dropped)


def apply_defaults(schema: Schema, value: Any) -> None:
    """Set (in place) each absent property that has a `default`, in every object present, as the API server
    does; a null where the schema is not nullable is replaced by the default too."""
    if isinstance(value, dict):
        for key, child in (schema.get("properties") or {}).items():
            if "default" in child and (
                key not in value or (value[key] is None and not child.get("nullable"))
            ):
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                apply_defaults(child, value[key])
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in (schema.get("properties") or {}):
                    apply_defaults(extra, item)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(schema["items"], item)


# ---- validation -----------------------------------------------------------------------------------


def json_schema(schema: Schema, root: bool = True) -> Schema:
    """The OpenAPI v3 schema as JSON Schema (draft 4, whose boolean `exclusiveMinimum` OpenAPI 3.0 shares):
    `nullable` becomes a null type, int-or-string takes both, the root's metadata is not checked here."""
    out: Schema = {}
    for key, value in schema.items():
        if key in _DROPPED or key.startswith("x-kubernetes-"):
            continue
        if key == "properties":
            out[key] = {
                name: json_schema(child, False)
                for name, child in value.items()
                if not (root and name == "metadata")
            }
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = json_schema(value, False)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [json_schema(child, False) for child in value]
        else:
            out[key] = value
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        for combined in ("anyOf", "oneOf"):
            if combined in out:
                out[combined] = [*out[combined], {"type": "null"}]
    return out


def _cause(error: jsonschema.ValidationError) -> Iterator[Cause]:
    parts = list(error.absolute_path)
    field = field_path(parts)
    value, rule, limit = error.instance, error.validator, error.validator_value
    where = field or "body"
    if rule == "required":
        for name in limit:
            if isinstance(value, dict) and name not in value:
                yield ("FieldValueRequired", field_path([*parts, name]), "Required value")
    elif rule == "type":
        expected = limit if isinstance(limit, str) else ",".join(t for t in limit if t != "null")
        found = _json_type(value)
        yield (
            "FieldValueTypeInvalid",
            field,
            f'Invalid value: "{found}": {where} in body must be of type {expected}: "{found}"',
        )
    elif rule == "enum":
        supported = ", ".join(_go_value(v) for v in limit if v is not None)
        yield (
            "FieldValueNotSupported",
            field,
            f"Unsupported value: {_go_value(value)}: supported values: {supported}",
        )
    elif rule in ("minimum", "maximum"):
        exclusive = bool(error.schema.get("exclusiveMinimum" if rule == "minimum" else "exclusiveMaximum"))
        relation = ("greater than" if rule == "minimum" else "less than") + (
            "" if exclusive else " or equal to"
        )
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {_go_value(value)}: {where} in body should be {relation} {limit}",
        )
    elif rule == "minLength":
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {_go_value(value)}: {where} in body should be at least {limit} chars long",
        )
    elif rule == "maxLength":
        yield ("FieldValueTooLong", field, f"Too long: may not be more than {limit} bytes")
    elif rule == "pattern":
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {_go_value(value)}: {where} in body should match '{limit}'",
        )
    elif rule == "minItems":
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {len(value)}: {where} in body should have at least {limit} items",
        )
    elif rule == "maxItems":
        yield ("FieldValueTooMany", field, f"Too many: {len(value)}: must have at most {limit} items")
    elif rule == "minProperties":
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {len(value)}: {where} in body should have at least {limit} properties",
        )
    elif rule == "maxProperties":
        yield ("FieldValueTooMany", field, f"Too many: {len(value)}: must have at most {limit} items")
    elif rule == "uniqueItems":
        yield ("FieldValueDuplicate", field, f"Duplicate value: {_go_value(value)}")
    elif rule == "multipleOf":
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {_go_value(value)}: {where} in body should be a multiple of {limit}",
        )
    else:  # anyOf, oneOf, allOf, not, additionalProperties
        yield (
            "FieldValueInvalid",
            field,
            f"Invalid value: {_go_value(value)}: {where} in body {error.message}",
        )


def _list_type_causes(schema: Schema, value: Any, path: list[str | int]) -> Iterator[Cause]:
    """`x-kubernetes-list-type: set` (unique items) and `map` (unique `x-kubernetes-list-map-keys`)."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key) or (extra if isinstance(extra, dict) else None)
            if child is not None:
                yield from _list_type_causes(child, item, [*path, key])
        return
    if not isinstance(value, list):
        return
    list_type = schema.get("x-kubernetes-list-type")
    seen: list[Any] = []
    for index, item in enumerate(value):
        identity: Any = None
        if list_type == "set":
            identity = item
        elif list_type == "map" and isinstance(item, dict):
            identity = {k: item.get(k) for k in schema.get("x-kubernetes-list-map-keys") or ()}
        if identity is not None and identity in seen:
            shown = _go_value(identity)
            yield ("FieldValueDuplicate", field_path([*path, index]), f"Duplicate value: {shown}")
        elif identity is not None:
            seen.append(identity)
    if isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _list_type_causes(schema["items"], item, [*path, index])


def causes(
    schema: Schema, obj: dict[str, Any], validator: jsonschema.protocols.Validator | None = None
) -> list[Cause]:
    """Every way `obj` fails `schema`, as (reason, field, message), in field order."""
    checker = validator or jsonschema.Draft4Validator(json_schema(schema))
    found = [c for error in checker.iter_errors(obj) for c in _cause(error)]
    found += list(_list_type_causes(schema, obj, []))
    return sorted(dict.fromkeys(found), key=lambda cause: cause[1])


def validator_for(schema: Schema) -> jsonschema.protocols.Validator:
    """A reusable validator of `schema` (building one is the costly part)."""
    converted = json_schema(schema)
    jsonschema.Draft4Validator.check_schema(converted)
    return jsonschema.Draft4Validator(converted)
