"""Extra `conditions.<name>` in `lbctl route`: host-header and path-pattern are evaluated (ALB syntax);
conditions on headers, method, query or source IP make a rule unmatchable by host and path alone."""

from __future__ import annotations

import pytest

from lbctl.model.matching import condition_matches
from lbctl.model.spec import Condition


@pytest.mark.parametrize(
    ("condition", "host", "path", "expected"),
    [
        (Condition("host-header", ["anno.example.com"]), "anno.example.com", "/", True),
        (Condition("host-header", ["anno.example.com"]), "ANNO.example.com:8080", "/", True),
        (Condition("host-header", ["anno.example.com"]), "www.example.com", "/", False),
        (Condition("host-header", ["*.example.com"]), "a.b.example.com", "/", True),  # ALB: * crosses dots
        (Condition("host-header", ["a?.example.com"]), "ab.example.com", "/", True),
        (Condition("host-header", ["a?.example.com"]), "abc.example.com", "/", False),
        (Condition("path-pattern", ["/anno/path2"]), "h", "/anno/path2", True),
        (Condition("path-pattern", ["/anno/path2"]), "h", "/anno/path2/x", False),
        (Condition("path-pattern", ["/api/*"]), "h", "/api/v1/users", True),  # ALB: * crosses slashes
        (Condition("path-pattern", ["/API/*"]), "h", "/api/v1", False),  # paths are case-sensitive
        (Condition("path-pattern", ["/a", "/b"]), "h", "/b", True),
        (Condition("http-header", ["v"], header_name="X"), "h", "/", None),
        (Condition("http-request-method", ["GET"]), "h", "/", None),
        (Condition("query-string", ["k=v"], query=[{"key": "k", "value": "v"}]), "h", "/", None),
        (Condition("source-ip", ["10.0.0.0/8"]), "h", "/", None),
    ],
)
def test_condition_matches(condition: Condition, host: str, path: str, expected: bool | None) -> None:
    assert condition_matches(condition, host, path) is expected
