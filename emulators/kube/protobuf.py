"""Decode the Kubernetes protobuf bodies kubectl sends for built-in kinds (`kubectl create secret|configmap|
namespace|serviceaccount|ingress`) into the JSON form the store takes.

The envelope is the 4-byte magic `k8s\\0` then a `runtime.Unknown` message {1: typeMeta {1: apiVersion,
2: kind}, 2: raw (the object's own message), 3: contentEncoding, 4: contentType}. The field numbers below are
those of the k8s.io/api and k8s.io/apimachinery `generated.proto` files. The Go types' JSON leaves out empty
strings, zero numbers and unset times, so the decoder does too; bytes fields become base64 as in JSON.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any, Union

from .errors import ApiError, bad_request

MAGIC = b"k8s\x00"

# A schema maps a field number to (JSON name, type). A type is a scalar name, a nested schema, ("map", value
# type), ("list", item type), or ("inline", schema) for a Go struct embedded with `json:",inline"`.
Type = Union[str, dict[int, tuple[str, Any]], tuple[str, Any]]  # noqa: UP007 - a runtime alias

TIME: dict[int, tuple[str, Type]] = {1: ("seconds", "int"), 2: ("nanos", "int")}
OWNER_REFERENCE: dict[int, tuple[str, Type]] = {
    5: ("apiVersion", "string"),
    1: ("kind", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    6: ("controller", "bool"),
    7: ("blockOwnerDeletion", "bool"),
}
OBJECT_META: dict[int, tuple[str, Type]] = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    4: ("selfLink", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "time"),
    9: ("deletionTimestamp", "time"),
    10: ("deletionGracePeriodSeconds", "int"),
    11: ("labels", ("map", "string")),
    12: ("annotations", ("map", "string")),
    13: ("ownerReferences", ("list", OWNER_REFERENCE)),
    14: ("finalizers", ("list", "string")),
    # 17 managedFields: the server keeps those itself; skipped like any field not listed
}
OBJECT_REFERENCE: dict[int, tuple[str, Type]] = {
    1: ("kind", "string"),
    2: ("namespace", "string"),
    3: ("name", "string"),
    4: ("uid", "string"),
    5: ("apiVersion", "string"),
    6: ("resourceVersion", "string"),
    7: ("fieldPath", "string"),
}
LOCAL_OBJECT_REFERENCE: dict[int, tuple[str, Type]] = {1: ("name", "string")}
TYPED_LOCAL_OBJECT_REFERENCE: dict[int, tuple[str, Type]] = {
    1: ("apiGroup", "string"),
    2: ("kind", "string"),
    3: ("name", "string"),
}
INGRESS_BACKEND: dict[int, tuple[str, Type]] = {
    4: ("service", {1: ("name", "string"), 2: ("port", {1: ("name", "string"), 2: ("number", "int")})}),
    3: ("resource", TYPED_LOCAL_OBJECT_REFERENCE),
}
HTTP_INGRESS_PATH: dict[int, tuple[str, Type]] = {
    1: ("path", "string"),
    3: ("pathType", "string"),
    2: ("backend", INGRESS_BACKEND),
}
INGRESS_RULE: dict[int, tuple[str, Type]] = {
    1: ("host", "string"),
    2: ("ingressRuleValue", ("inline", {1: ("http", {1: ("paths", ("list", HTTP_INGRESS_PATH))})})),
}
INGRESS_SPEC: dict[int, tuple[str, Type]] = {
    4: ("ingressClassName", "string"),
    1: ("defaultBackend", INGRESS_BACKEND),
    2: ("tls", ("list", {1: ("hosts", ("list", "string")), 2: ("secretName", "string")})),
    3: ("rules", ("list", INGRESS_RULE)),
}

# (apiVersion, kind) -> schema of the object's message. Status is left out: a create ignores it.
KINDS: dict[tuple[str, str], dict[int, tuple[str, Type]]] = {
    ("v1", "Secret"): {
        1: ("metadata", OBJECT_META),
        5: ("immutable", "bool"),
        2: ("data", ("map", "bytes")),
        4: ("stringData", ("map", "string")),
        3: ("type", "string"),
    },
    ("v1", "ConfigMap"): {
        1: ("metadata", OBJECT_META),
        4: ("immutable", "bool"),
        2: ("data", ("map", "string")),
        3: ("binaryData", ("map", "bytes")),
    },
    ("v1", "Namespace"): {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", ("list", "string"))})},
    ("v1", "ServiceAccount"): {
        1: ("metadata", OBJECT_META),
        2: ("secrets", ("list", OBJECT_REFERENCE)),
        3: ("imagePullSecrets", ("list", LOCAL_OBJECT_REFERENCE)),
        4: ("automountServiceAccountToken", "bool"),
    },
    ("networking.k8s.io/v1", "Ingress"): {1: ("metadata", OBJECT_META), 2: ("spec", INGRESS_SPEC)},
}

_MAX_DEPTH = 32  # the schemas above nest 7 deep; a body cannot make the decoder recurse further


class _Malformed(ValueError):
    pass


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data):
            raise _Malformed("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            raise _Malformed("varint longer than 10 bytes")


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: an int for varints, bytes for length-delimited; fixed-width skipped."""
    fields: list[tuple[int, int | bytes]] = []
    offset = 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = _varint(data, offset)
            fields.append((number, value))
        elif wire == 2:
            length, offset = _varint(data, offset)
            if offset + length > len(data):
                raise _Malformed(f"field {number} runs past the end of the message")
            fields.append((number, data[offset : offset + length]))
            offset += length
        elif wire == 1:
            offset += 8
        elif wire == 5:
            offset += 4
        else:
            raise _Malformed(f"unsupported wire type {wire} for field {number}")
    if offset != len(data):
        raise _Malformed("a fixed-width field runs past the end of the message")
    return fields


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == "string":
        if not isinstance(value, bytes):
            raise _Malformed("a string field is not length-delimited")
        try:
            return value.decode()
        except UnicodeDecodeError:
            raise _Malformed("a string field is not UTF-8") from None
    if kind == "bytes":
        if not isinstance(value, bytes):
            raise _Malformed("a bytes field is not length-delimited")
        return base64.b64encode(value).decode()
    if not isinstance(value, int):
        raise _Malformed(f"a {kind} field is not a varint")
    if kind == "bool":
        return bool(value)
    return value - (1 << 64) if value >= 1 << 63 else value  # int32/int64 negatives are 10-byte varints


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == 0 and not isinstance(value, bool)


def _time(data: bytes) -> str | None:
    fields = _message(data, TIME, 0)
    if not fields.get("seconds"):
        return None
    moment = datetime.datetime.fromtimestamp(fields["seconds"], datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(kind: Type, value: int | bytes, depth: int) -> Any:
    if isinstance(kind, str):
        if kind == "time":
            if not isinstance(value, bytes):
                raise _Malformed("a time field is not a message")
            return _time(value)
        return _scalar(kind, value)
    if isinstance(kind, dict):
        if not isinstance(value, bytes):
            raise _Malformed("a message field is not length-delimited")
        return _message(value, kind, depth + 1)
    raise _Malformed("internal schema error")  # maps and lists are handled by _message


def _message(data: bytes, schema: dict[int, tuple[str, Type]], depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise _Malformed("nested too deeply")
    out: dict[str, Any] = {}
    for number, value in _fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if isinstance(kind, tuple) and kind[0] == "map":
            if not isinstance(value, bytes):
                raise _Malformed(f"map field {name} is not length-delimited")
            entry = dict(_fields(value))
            key = _scalar("string", entry.get(1, b""))
            out.setdefault(name, {})[key] = _scalar(kind[1], entry.get(2, b""))
        elif isinstance(kind, tuple) and kind[0] == "list":
            out.setdefault(name, []).append(_value(kind[1], value, depth))
        elif isinstance(kind, tuple) and kind[0] == "inline":
            if not isinstance(value, bytes):
                raise _Malformed(f"field {name} is not length-delimited")
            out.update(_message(value, kind[1], depth + 1))
        else:
            decoded = _value(kind, value, depth)
            if _empty(decoded):
                out.pop(name, None)
            else:
                out[name] = decoded
    return out


def supported_kinds() -> list[str]:
    """The kinds whose protobuf bodies are decoded, e.g. `Secret`."""
    return sorted(kind for _, kind in KINDS)


def decode(raw: bytes) -> dict[str, Any]:
    """The object a `application/vnd.kubernetes.protobuf` body carries, as a JSON-shaped dict.

    Raises 400 for a body that is not a well-formed envelope and 415 for a kind this emulator cannot decode.
    """
    if not raw.startswith(MAGIC):
        raise bad_request(
            "the body of the request could not be decoded: protobuf body without the k8s magic prefix"
        )
    try:
        envelope = dict(_fields(raw[len(MAGIC) :]))
        type_meta = envelope.get(1, b"")
        if not isinstance(type_meta, bytes):
            raise _Malformed("typeMeta is not a message")
        meta = _message(type_meta, {1: ("apiVersion", "string"), 2: ("kind", "string")}, 0)
        api_version, kind = meta.get("apiVersion", ""), meta.get("kind", "")
        encoding = _scalar("string", envelope.get(3, b""))
        schema = KINDS.get((api_version, kind))
        if schema is None or encoding:
            what = f"{kind or 'an object'} ({api_version or 'no apiVersion'})" + (
                f" with content encoding {encoding!r}" if encoding else ""
            )
            raise ApiError(
                415,
                f"this emulator decodes Kubernetes protobuf only for {', '.join(supported_kinds())}"
                f", not {what}: send it as JSON or YAML (e.g. `kubectl create ... --dry-run=client "
                "-o yaml | kubectl apply -f -`)",
                "UnsupportedMediaType",
            )
        body = envelope.get(2, b"")
        if not isinstance(body, bytes):
            raise _Malformed("raw is not length-delimited")
        return {"apiVersion": api_version, "kind": kind, **_message(body, schema, 0)}
    except _Malformed as error:
        raise bad_request(f"the body of the request could not be decoded: {error}") from None
