"""The `filter` expressions of Compute `list` calls.

Supported: `field = "v"`, `field != v`, `field : "substr"`, `field:*` (present), `field eq regex`,
`field ne regex` (full match), nested fields (`labels.env`), parentheses, `AND`, `OR`, `NOT` and
juxtaposition (= AND). A list-valued field matches when any element matches.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from .errors import invalid

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<op>!=|=|:|<=|>=|<|>|\b(?:eq|ne)\b) |
        (?P<quoted>"(?:[^"\\]|\\.)*") |
        (?P<word>[^\s()=!:<>"]+)
    )""",
    re.VERBOSE,
)


def compile_filter(expression: str | None) -> Predicate:
    """Compile a filter expression into a predicate over resource dicts; 400 if it is malformed."""
    if not expression or not expression.strip():
        return lambda _resource: True
    tokens = _tokenize(expression)
    parser = _Parser(tokens, expression)
    predicate = parser.parse_or()
    if parser.position != len(tokens):
        raise _malformed(expression)
    return predicate


def _malformed(expression: str) -> Exception:
    return invalid(f"Invalid list filter expression '{expression}'.")


def _tokenize(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            raise _malformed(expression)
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "quoted":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append((kind, text))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], expression: str) -> None:
        self.tokens = tokens
        self.position = 0
        self.expression = expression

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise _malformed(self.expression)
        self.position += 1
        return token

    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self._peek() == ("word", "OR"):
            self._take()
            terms.append(self.parse_and())
        return terms[0] if len(terms) == 1 else (lambda r: any(t(r) for t in terms))

    def parse_and(self) -> Predicate:
        terms = [self.parse_unary()]
        while (token := self._peek()) is not None and token[0] != "rparen" and token != ("word", "OR"):
            if token == ("word", "AND"):
                self._take()
            terms.append(self.parse_unary())
        return terms[0] if len(terms) == 1 else (lambda r: all(t(r) for t in terms))

    def parse_unary(self) -> Predicate:
        if self._peek() == ("word", "NOT"):
            self._take()
            inner = self.parse_unary()
            return lambda r: not inner(r)
        if self._peek() == ("lparen", "("):
            self._take()
            inner = self.parse_or()
            if self._take() != ("rparen", ")"):
                raise _malformed(self.expression)
            return inner
        return self.parse_comparison()

    def parse_comparison(self) -> Predicate:
        kind, field_path = self._take()
        if kind != "word":
            raise _malformed(self.expression)
        op_kind, operator = self._take()
        value_kind, value = self._take()
        if op_kind != "op" or value_kind not in ("word", "quoted"):
            raise _malformed(self.expression)
        return _comparison(field_path, operator, value, self.expression)


def _comparison(field_path: str, operator: str, value: str, expression: str) -> Predicate:
    match_value: Callable[[str], bool]
    if operator in ("eq", "ne"):
        try:
            pattern = re.compile(value)
        except re.error as error:
            raise _malformed(expression) from error
        match_value = lambda actual: pattern.fullmatch(actual) is not None  # noqa: E731
    elif operator in ("=", "!="):
        match_value = lambda actual: actual == value  # noqa: E731
    elif operator == ":":
        if value == "*":
            return lambda r: bool(_values(r, field_path))
        match_value = lambda actual: value.lower() in actual.lower()  # noqa: E731
    else:
        match_value = lambda actual: _ordered(actual, value, operator)  # noqa: E731
    negate = operator in ("ne", "!=")

    def predicate(resource: dict[str, Any]) -> bool:
        matched = any(match_value(actual) for actual in _values(resource, field_path))
        return not matched if negate else matched

    return predicate


def _ordered(actual: str, expected: str, operator: str) -> bool:
    left: Any = actual
    right: Any = expected
    with contextlib.suppress(ValueError):
        left, right = float(actual), float(expected)
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[operator]


def _values(resource: Any, field_path: str) -> list[str]:
    nodes: list[Any] = [resource]
    for part in field_path.split("."):
        next_nodes: list[Any] = []
        for node in nodes:
            node_items = node if isinstance(node, list) else [node]
            for item in node_items:
                if isinstance(item, dict) and part in item:
                    next_nodes.append(item[part])
        nodes = next_nodes
    flat: list[str] = []
    for node in nodes:
        for item in node if isinstance(node, list) else [node]:
            if isinstance(item, bool):
                flat.append("true" if item else "false")
            elif not isinstance(item, dict | list):
                flat.append(str(item))
    return flat
