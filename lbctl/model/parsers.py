"""Typed parsers for annotation values, in the formats the anchors use.

Each parser turns the raw string into a typed value or raises AnnotationValueError carrying
the expected form, so the caller can name the annotation and the value in the message.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lbctl.model.problems import shorten

# Bounds on JSON annotation values: far above any real value (the deepest real one, a condition, nests 5
# levels and fits in 2 KB), far below what would reach Python's recursion limit (json, jsonschema and repr
# recurse once or more per level) or make one annotation cost more than a few milliseconds to check.
MAX_JSON_DEPTH = 32
MAX_JSON_BYTES = 32 * 1024


class SchemaCheck:
    """A JSON Schema (draft 2020-12) whose validator is made on first use: importing jsonschema costs a
    third of the CLI's start-up, and most runs read no JSON annotation."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator: Any = None

    def best_error(self, value: Any) -> Any:
        """The most relevant validation error of `value` (a jsonschema ValidationError), or None."""
        import jsonschema

        if self._validator is None:
            self._validator = jsonschema.Draft202012Validator(self.schema)
        return jsonschema.exceptions.best_match(self._validator.iter_errors(value))


class Verdicts:
    """What checking a JSON annotation value concluded, by raw value: None (valid) or the detail of the refusal.
    The check is pure, and every reconcile reads the same values again; validating them against a schema each
    time was most of a no-op reconcile's model cost. Bounded: the oldest half is dropped when full."""

    LIMIT = 1024
    MAX_RAW = 4096  # longer values are checked each time (rare, and they would hold memory)

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def get(self, raw: str) -> tuple[bool, str | None]:
        try:
            return True, self._seen[raw]
        except KeyError:
            return False, None

    def put(self, raw: str, detail: str | None) -> None:
        if len(raw) > self.MAX_RAW:
            return
        if len(self._seen) >= self.LIMIT:
            for key in list(self._seen)[: self.LIMIT // 2]:
                self._seen.pop(key, None)
        self._seen[raw] = detail


class AnnotationValueError(ValueError):
    """The value does not have the expected form; `detail` says what exactly is off."""

    def __init__(self, expected: str, detail: str = "") -> None:
        super().__init__(detail or expected)
        self.expected = expected
        self.detail = detail


@dataclass(frozen=True)
class Parser:
    """A named value format: `type_name` for the docs table, `expected` for error messages."""

    type_name: str
    expected: str
    convert: Callable[[str], Any]

    def parse(self, raw: str) -> Any:
        return self.convert(raw)


def boolean() -> Parser:
    def convert(raw: str) -> bool:
        value = raw.strip().lower()
        if value in ("true", "false"):
            return value == "true"
        raise AnnotationValueError("'true' or 'false'")

    return Parser("boolean", "'true' or 'false'", convert)


def integer(minimum: int | None = None, maximum: int | None = None) -> Parser:
    bounds = ""
    if minimum is not None and maximum is not None:
        bounds = f" from {minimum} to {maximum}"
    elif minimum is not None:
        bounds = f" ≥ {minimum}"
    expected = f"an integer{bounds}"

    def convert(raw: str) -> int:
        text = raw.strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,18}", text):  # ASCII only: int() also reads other digits
            raise AnnotationValueError(expected)
        value = int(text)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise AnnotationValueError(expected, f"{value} is out of range")
        return value

    return Parser("integer", expected, convert)


def string(pattern: str | None = None, max_length: int | None = None, expected: str = "a string") -> Parser:
    regex = re.compile(pattern) if pattern else None

    def convert(raw: str) -> str:
        value = raw.strip(" \t\r\n")  # not str.strip(): it also drops control characters such as U+001F
        if not value:
            raise AnnotationValueError(expected, "the value is empty")
        if max_length is not None and len(value) > max_length:
            raise AnnotationValueError(expected, f"{len(value)} characters is more than {max_length}")
        if regex and not regex.fullmatch(value):
            raise AnnotationValueError(expected)
        return value

    return Parser("string", expected, convert)


def one_of(*choices: str, case_sensitive: bool = True) -> Parser:
    expected = "one of " + ", ".join(repr(c) for c in choices)

    def convert(raw: str) -> str:
        value = raw.strip()
        for choice in choices:
            if value == choice or (not case_sensitive and value.lower() == choice.lower()):
                return choice
        raise AnnotationValueError(expected)

    return Parser(" \\| ".join(choices), expected, convert)


def string_list(item: Callable[[str], Any] | None = None, item_expected: str = "") -> Parser:
    expected = "a comma-separated list" + (f" of {item_expected}" if item_expected else "") + ", e.g. 'a, b'"

    def convert(raw: str) -> list[Any]:
        values = [v.strip() for v in raw.split(",")]
        if not raw.strip() or any(not v for v in values):
            raise AnnotationValueError(expected, "the list has an empty item")
        if item is None:
            return values
        out = []
        for value in values:
            try:
                out.append(item(value))
            except ValueError as err:
                raise AnnotationValueError(expected, f"{shorten(value, 40)}: {err}") from None
        return out

    return Parser("stringList", expected, convert)


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError("not a CIDR like 10.0.0.0/16 or ::/0") from None


def cidr_list() -> Parser:
    return string_list(_cidr, "CIDRs (10.0.0.0/16, ::/0)")


def string_map(
    separator: str = ",",
    check: Callable[[dict[str, str]], None] | None = None,
    expected: str = "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
) -> Parser:
    """key=value pairs; `check` may refuse the whole map with a ValueError saying why."""

    def convert(raw: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for pair in raw.split(separator):
            pair = pair.strip()
            if not pair:
                raise AnnotationValueError(expected, "an empty pair")
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise AnnotationValueError(expected, f"{shorten(pair, 40)} is not key=value")
            out[key.strip()] = value.strip()
        if check is not None:
            try:
                check(out)
            except ValueError as err:
                raise AnnotationValueError(expected, str(err)) from None
        return out

    return Parser("stringMap", expected, convert)


def json_depth(raw: str, limit: int) -> int:
    """How deeply arrays and objects nest in JSON text, counted without parsing it, and stopping as soon as
    the count passes `limit` (so `[[[[…` of any length costs one pass and no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and dicts nest in an already parsed value, walked without recursion and stopping as
    soon as the depth passes `limit` (a spec read from the Kubernetes API was parsed by the client)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def bounded_json(raw: str, expected: str) -> Any:
    """`json.loads` within MAX_JSON_BYTES and MAX_JSON_DEPTH; any other failure is AnnotationValueError."""
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_JSON_BYTES:
        raise AnnotationValueError(expected, f"{size} bytes is more than {MAX_JSON_BYTES} bytes of JSON")
    if json_depth(raw, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise AnnotationValueError(expected, f"nested more than {MAX_JSON_DEPTH} levels deep")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        raise AnnotationValueError(expected, f"not valid JSON: {err.msg} at position {err.pos}") from None
    except ValueError as err:  # e.g. an integer of more than 4300 digits
        raise AnnotationValueError(expected, f"not valid JSON: {_short(str(err), 80)}") from None


def json_value(
    schema: dict[str, Any], example: str, type_name: str = "json", check: Callable[[Any], None] | None = None
) -> Parser:
    """JSON checked against a JSON Schema, then by `check` (which raises ValueError naming the JSON path);
    errors name the JSON path that is wrong."""
    validator = SchemaCheck(schema)
    expected = f"JSON like {example}"
    verdicts = Verdicts()

    def checked(raw: str) -> Any:
        value = bounded_json(raw, expected)
        error = validator.best_error(value)
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            raise AnnotationValueError(expected, f"at ${where}: {_short(error.message)}")
        if check is not None:
            try:
                check(value)
            except ValueError as err:
                raise AnnotationValueError(expected, str(err)) from None
        return value

    def convert(raw: str) -> Any:
        known, detail = verdicts.get(raw)
        if known:
            if detail is None:
                return json.loads(raw)  # a fresh value each time: callers may keep or change it
            raise AnnotationValueError(expected, detail)
        try:
            value = checked(raw)
        except AnnotationValueError as err:
            verdicts.put(raw, err.detail)
            raise
        verdicts.put(raw, None)
        return value

    return Parser(type_name, expected, convert)


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


def health_check_port() -> Parser:
    expected = "'traffic-port', a port number (1-65535) or a named port"

    def convert(raw: str) -> int | str:
        value = raw.strip()
        if value == "traffic-port":
            return value
        if value.isascii() and value.isdigit():
            number = int(value) if len(value) <= 6 else 0
            if 1 <= number <= 65535:
                return number
            raise AnnotationValueError(expected, f"{shorten(value, 20)} is not a valid port")
        if re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", value) and len(value) <= 15:
            return value
        raise AnnotationValueError(expected)

    return Parser("integer \\| traffic-port", expected, convert)


def success_codes() -> Parser:
    expected = "HTTP codes like '200', '200,302' or '200-399' (gRPC: '0-99')"

    def convert(raw: str) -> str:
        value = raw.replace(" ", "")
        if not re.fullmatch(r"[0-9]{1,3}(-[0-9]{1,3})?(,[0-9]{1,3}(-[0-9]{1,3})?)*", value):
            raise AnnotationValueError(expected)
        return value

    return Parser("string", expected, convert)


def listen_ports() -> Parser:
    schema = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"enum": ["HTTP", "HTTPS"]},
            "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 65535},
        },
    }
    base = json_value(schema, '\'[{"HTTP": 80}, {"HTTPS": 443}]\'')

    def convert(raw: str) -> list[tuple[str, int]]:
        items = base.parse(raw)
        ports: list[tuple[str, int]] = []
        seen: set[int] = set()
        for item in items:
            for protocol, port in item.items():  # the anchor also takes [{"HTTP": 80, "HTTPS": 443}]
                if port in seen:
                    raise AnnotationValueError(base.expected, f"port {port} is listed twice")
                seen.add(port)
                ports.append((protocol, port))
        return ports

    return Parser("json", base.expected, convert)


def choices_list(choices: Sequence[str]) -> Parser:
    expected = "a comma-separated list of " + ", ".join(choices)

    def convert(raw: str) -> list[str]:
        values = [v.strip() for v in raw.split(",") if v.strip()]
        bad = [v for v in values if v not in choices]
        if not values or bad:
            raise AnnotationValueError(expected, f"unknown: {', '.join(bad)}" if bad else "")
        return values

    return Parser("stringList", expected, convert)


def escaped_string_map(expected: str) -> Parser:
    """key=value pairs where `\\,` is a comma inside a value (and `\\` escapes any character), as the anchor
    reads listener attributes such as `…header_value=a\\,b`."""

    def convert(raw: str) -> dict[str, str]:
        pairs: list[str] = []
        current: list[str] = []
        escaped = False
        for char in raw:
            if escaped:
                current.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == ",":
                pairs.append("".join(current))
                current = []
            else:
                current.append(char)
        if escaped:
            current.append("\\")
        pairs.append("".join(current))
        out: dict[str, str] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key.strip():
                raise AnnotationValueError(expected, f"{shorten(pair.strip(), 40)} is not key=value")
            out[key.strip()] = value.strip()
        return out

    return Parser("stringMap", expected, convert)
