"""The three patch formats the API server accepts from the official client.

* JSON merge patch (RFC 7386): maps merge, `null` deletes, lists are replaced.
* Strategic merge patch: like merge patch, but lists the kind declares as "merge" lists are merged
  (scalar lists as a union, object lists by their merge key), with the `$patch`,
  `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` and `$retainKeys` directives.
* JSON patch (RFC 6902): add, remove, replace, move, copy, test.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .errors import ApiError, bad_request

# (dotted path) -> (is a merge list, merge key)
MergeListLookup = Callable[[str], tuple[bool, str | None]]

_DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList/"
_SET_ELEMENT_ORDER = "$setElementOrder/"


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch; returns a new value."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(
    target: dict[str, Any], patch: dict[str, Any], merge_list: MergeListLookup
) -> dict[str, Any]:
    """Apply a strategic merge patch to an object; returns a new object."""
    if not isinstance(patch, dict):
        raise bad_request("strategic merge patch body must be a JSON object")
    return _merge_map(copy.deepcopy(target), patch, "", merge_list)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _merge_map(
    target: dict[str, Any], patch: dict[str, Any], path: str, merge_list: MergeListLookup
) -> dict[str, Any]:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return {}
    if directive is not None:
        raise bad_request(f"unknown patch type: {directive} in {path or 'object'}")
    retain_keys = patch.get("$retainKeys")
    deletions: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith(_SET_ELEMENT_ORDER):
            continue
        if key.startswith(_DELETE_FROM_PRIMITIVE):
            deletions[key[len(_DELETE_FROM_PRIMITIVE) :]] = list(value or [])
            continue
        field_path = _join(path, key)
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            merged = _merge_map(current if isinstance(current, dict) else {}, value, field_path, merge_list)
            if value.get("$patch") == "delete":
                target.pop(key, None)
            else:
                target[key] = merged
        elif isinstance(value, list):
            is_merge_list, merge_key = merge_list(field_path)
            current = target.get(key)
            if is_merge_list and isinstance(current, list):
                target[key] = _merge_list(current, value, merge_key, field_path, merge_list)
            else:
                target[key] = [_strip_directives(v) for v in value if not _is_delete_directive(v)]
        else:
            target[key] = copy.deepcopy(value)
    for key, removed in deletions.items():
        if isinstance(target.get(key), list):
            target[key] = [v for v in target[key] if v not in removed]
    if isinstance(retain_keys, list):
        target = {k: v for k, v in target.items() if k in retain_keys}
    return target


def _is_delete_directive(value: Any) -> bool:
    return isinstance(value, dict) and value.get("$patch") == "delete"


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    return copy.deepcopy(value)


def _merge_list(
    current: list[Any], patch: list[Any], merge_key: str | None, path: str, merge_list: MergeListLookup
) -> list[Any]:
    if any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch):
        return [
            _strip_directives(v) for v in patch if not (isinstance(v, dict) and v.get("$patch") == "replace")
        ]
    if merge_key is None:  # list of scalars: union, original order first
        merged = list(current)
        for value in patch:
            if value not in merged:
                merged.append(copy.deepcopy(value))
        return merged
    merged = [copy.deepcopy(v) for v in current]
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise bad_request(f"map in list {path} does not contain the merge key {merge_key!r}")
        index = next(
            (i for i, v in enumerate(merged) if isinstance(v, dict) and v.get(merge_key) == item[merge_key]),
            None,
        )
        if _is_delete_directive(item):
            if index is not None:
                del merged[index]
        elif index is None:
            merged.append(_strip_directives(item))
        else:
            merged[index] = _merge_map(merged[index], item, path, merge_list)
    return merged


# ---- RFC 6902 JSON patch ----------------------------------------------------------------------


class JsonPatchError(ApiError):
    """A JSON patch that is well-formed but cannot be applied (answered 422, as the API server does)."""

    def __init__(self, message: str) -> None:
        super().__init__(422, message, "Invalid")


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise bad_request(f"invalid JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]] if path else []


def _resolve_parent(document: Any, tokens: list[str], path: str) -> tuple[Any, str]:
    if not tokens:
        raise JsonPatchError(f"cannot operate on the document root: {path!r}")
    current = document
    for token in tokens[:-1]:
        current = _child(current, token, path)
    return current, tokens[-1]


def _child(container: Any, token: str, path: str) -> Any:
    if isinstance(container, dict):
        if token not in container:
            raise JsonPatchError(f"doc is missing path: {path!r}")
        return container[token]
    if isinstance(container, list):
        return container[_index(container, token, path, allow_end=False)]
    raise JsonPatchError(f"doc is missing path: {path!r}")


def _index(container: list[Any], token: str, path: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise JsonPatchError(f"invalid array index {token!r} in {path!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise JsonPatchError(f"array index out of bounds in {path!r}")
    return index


def _get(document: Any, path: str) -> Any:
    current = document
    for token in _pointer(path):
        current = _child(current, token, path)
    return current


def _add(document: Any, path: str, value: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent, last = _resolve_parent(document, tokens, path)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, path, allow_end=True), value)
    else:
        raise JsonPatchError(f"doc is missing path: {path!r}")
    return document


def _remove(document: Any, path: str) -> Any:
    parent, last = _resolve_parent(document, _pointer(path), path)
    if isinstance(parent, dict):
        if last not in parent:
            raise JsonPatchError(f"unable to remove nonexistent key: {last} in {path!r}")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, path, allow_end=False))
    raise JsonPatchError(f"doc is missing path: {path!r}")


def json_patch(document: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch; returns a new document."""
    if not isinstance(operations, list):
        raise bad_request("json patch body must be a JSON array of operations")
    result = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise bad_request(f"invalid JSON patch operation: {operation!r}")
        op, path = operation["op"], operation["path"]
        if op in ("add", "replace", "test") and "value" not in operation:
            raise bad_request(f"missing value for {op} operation at {path!r}")
        value = copy.deepcopy(operation.get("value"))
        if op == "add":
            result = _add(result, path, value)
        elif op == "remove":
            _remove(result, path)
        elif op == "replace":
            if _pointer(path):
                _get(result, path)  # must exist
                _remove(result, path)
            result = _add(result, path, value)
        elif op in ("move", "copy"):
            source = operation.get("from")
            if not isinstance(source, str):
                raise bad_request(f"invalid JSON pointer: {source!r}")
            moved = _remove(result, source) if op == "move" else copy.deepcopy(_get(result, source))
            result = _add(result, path, moved)
        elif op == "test":
            if _get(result, path) != value:
                raise JsonPatchError(f"testing value {path} failed")
        else:
            raise bad_request(f"unexpected JSON patch operation {op!r}")
    return result
