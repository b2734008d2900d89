"""Label and field selectors, parsed the way the API server reads `labelSelector` / `fieldSelector`."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

_LABEL_KEY = re.compile(
    r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$")
_SET_TERM = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_EQUALITY_TERM = re.compile(r"^\s*([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([^\s!=()]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One selector term: `key op values` with op in =, !=, in, notin, exists, !exists."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present  # "!exists"


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def _check_key(key: str, selector: str) -> None:
    if not _LABEL_KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise bad_request(f'unable to parse requirement: invalid label key "{key}" in selector "{selector}"')


def _check_value(value: str, selector: str) -> None:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise bad_request(
            f'unable to parse requirement: invalid label value: "{value}" in selector "{selector}"'
        )


def parse_label_selector(text: str | None) -> list[Requirement]:
    """Parse `a=b,c!=d,e in (f,g),h notin (i),j,!k`; raise a 400 ApiError on bad syntax."""
    requirements: list[Requirement] = []
    for term in _split_terms(text or ""):
        if match := _SET_TERM.match(term):
            negation, key, op, raw_values = match.groups()
            if negation:
                raise bad_request(f'unable to parse requirement: "{term}"')
            values = frozenset(v.strip() for v in raw_values.split(",") if v.strip())
            for value in values:
                _check_value(value, text or "")
            _check_key(key, text or "")
            requirements.append(Requirement(key, op, values))
        elif match := _EQUALITY_TERM.match(term):
            key, op, value = match.groups()
            _check_key(key, text or "")
            _check_value(value, text or "")
            requirements.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
        elif match := _EXISTS_TERM.match(term):
            negation, key = match.groups()
            _check_key(key, text or "")
            requirements.append(Requirement(key, "!exists" if negation else "exists"))
        else:
            raise bad_request(f'unable to parse requirement: "{term.strip()}" in selector "{text}"')
    return requirements


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """The string value of a dotted field path (`metadata.name`), "" when absent; booleans as true/false."""
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return ""
        current = current.get(part)
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    return str(current)


def parse_field_selector(text: str | None, supported: tuple[str, ...]) -> list[tuple[str, bool, str]]:
    """Parse `metadata.name=x,spec.nodeName!=y` into (field, equal, value); 400 for unsupported fields."""
    terms: list[tuple[str, bool, str]] = []
    for term in _split_terms(text or ""):
        match = _EQUALITY_TERM.match(term)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term.strip()}'")
        path, op, value = match.groups()
        if path not in supported:
            raise bad_request(f"field label not supported: {path}")
        terms.append((path, op != "!=", value))
    return terms


ObjectFilter = Callable[[Mapping[str, Any]], bool]


def object_filter(
    namespace: str | None,
    label_selector: str | None,
    field_selector: str | None,
    field_labels: tuple[str, ...],
) -> ObjectFilter:
    """A predicate for stored objects: namespace (None = all), label selector and field selector."""
    labels_required = parse_label_selector(label_selector)
    fields_required = parse_field_selector(field_selector, field_labels)

    def matches(obj: Mapping[str, Any]) -> bool:
        metadata = obj.get("metadata") or {}
        if namespace is not None and metadata.get("namespace") != namespace:
            return False
        labels = metadata.get("labels") or {}
        if not all(r.matches(labels) for r in labels_required):
            return False
        return all((field_value(obj, path) == value) == equal for path, equal, value in fields_required)

    return matches
