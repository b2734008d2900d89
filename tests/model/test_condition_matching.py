"""Extra `conditions.<name>` in `lbctl route`, evaluated for a whole request with ALB's semantics: host and
http-header values and query strings case-insensitively with `*`/`?` wildcards, paths case-sensitively,
methods exactly, source-ip by CIDR; and the listener, redirect and rewrite a request meets."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lbctl.model.matching import Request, condition_matches, first_match, redirect_location, select_listener
from lbctl.model.spec import (
    Action,
    Condition,
    FixedResponse,
    Frontend,
    Listener,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Rewrite,
    Rule,
    SourceRef,
    Transform,
    WeightedTarget,
)

HEADER = Condition("http-header", ["gold", "silver*"], header_name="X-Tier")
QUERY = Condition("query-string", [], query=[{"key": "version", "value": "2*"}, {"value": "beta"}])


@pytest.mark.parametrize(
    ("condition", "request_", "expected"),
    [
        (Condition("host-header", ["anno.example.com"]), Request("anno.example.com"), True),
        (Condition("host-header", ["anno.example.com"]), Request("ANNO.example.com:8080"), True),
        (Condition("host-header", ["anno.example.com"]), Request("www.example.com"), False),
        (
            Condition("host-header", ["*.example.com"]),
            Request("a.b.example.com"),
            True,
        ),  # ALB: * crosses dots
        (Condition("host-header", ["a?.example.com"]), Request("ab.example.com"), True),
        (Condition("host-header", ["a?.example.com"]), Request("abc.example.com"), False),
        (Condition("path-pattern", ["/anno/path2"]), Request("h", "/anno/path2"), True),
        (Condition("path-pattern", ["/anno/path2"]), Request("h", "/anno/path2/x"), False),
        (Condition("path-pattern", ["/anno/path2"]), Request("h", "/anno/path2?q=1"), True),  # query not path
        (
            Condition("path-pattern", ["/api/*"]),
            Request("h", "/api/v1/users"),
            True,
        ),  # ALB: * crosses slashes
        (Condition("path-pattern", ["/API/*"]), Request("h", "/api/v1"), False),  # paths are case-sensitive
        (Condition("path-pattern", ["/a", "/b"]), Request("h", "/b"), True),
        (HEADER, Request("h"), False),  # no such header
        (HEADER, Request("h", headers={"x-tier": "GOLD"}), True),  # name and value case-insensitive
        (HEADER, Request("h", headers={"X-Tier": "silver-plus"}), True),
        (HEADER, Request("h", headers={"X-Tier": "bronze"}), False),
        (HEADER, Request("h", headers={"X-Other": "gold"}), False),
        (
            Condition("http-header", ["^v[0-9]$"], header_name="X-V", regex=True),
            Request("h", headers={"x-v": "v2"}),
            True,
        ),
        (
            Condition("http-header", ["^v[0-9]$"], header_name="X-V", regex=True),
            Request("h", headers={"x-v": "v22"}),
            False,
        ),
        (
            Condition("http-header", ["*mobile*"], header_name="User-Agent"),
            Request("h", headers={"User-Agent": "a Mobile b"}),
            True,
        ),
        (Condition("http-request-method", ["GET", "HEAD"]), Request("h"), True),  # GET by default
        (Condition("http-request-method", ["POST"]), Request("h", method="POST"), True),
        (Condition("http-request-method", ["POST"]), Request("h", method="post"), False),  # methods are exact
        (Condition("http-request-method", ["POST"]), Request("h"), False),
        (QUERY, Request("h", query={"version": "2.1"}), True),
        (QUERY, Request("h", query={"VERSION": "2"}), True),  # keys and values case-insensitive
        (QUERY, Request("h", query={"version": "1"}), False),
        (QUERY, Request("h", query={"channel": "BETA"}), True),  # a value without a key: any parameter
        (QUERY, Request("h", "/p?a=1&version=20"), True),  # from the path's query string
        (QUERY, Request("h"), False),
        (Condition("source-ip", ["10.0.0.0/8", "2001:db8::/32"]), Request("h", source_ip="10.1.2.3"), True),
        (
            Condition("source-ip", ["10.0.0.0/8", "2001:db8::/32"]),
            Request("h", source_ip="2001:db8::7"),
            True,
        ),
        (Condition("source-ip", ["10.0.0.0/8"]), Request("h", source_ip="192.168.0.1"), False),
        (Condition("source-ip", ["10.0.0.0/8"]), Request("h"), False),  # no client address given
    ],
)
def test_condition_matches(condition: Condition, request_: Request, expected: bool) -> None:
    assert condition_matches(condition, request_) is expected


def _forward(key: str) -> Action:
    return Action("forward", forward=[WeightedTarget(backend_key=key)])


def _rule(
    path: str | None,
    action: Action,
    conditions: list[Condition] | None = None,
    path_type: PathType = PathType.PREFIX,
    **extra: object,
) -> Rule:
    match = PathMatch(path_type, path) if path is not None else None
    return Rule(SourceRef("shop/web", f"rule {path}"), None, match, action, conditions or [], **extra)  # type: ignore[arg-type]


def _spec(rules: list[Rule], listeners: list[Listener], default: Action | None = None) -> LoadBalancerSpec:
    return LoadBalancerSpec(
        "aws", "shop/web", False, ["shop/web"], Frontend(listeners=listeners), rules, default, {}
    )


HTTP, HTTPS = Listener("HTTP", 80), Listener("HTTPS", 443)
REDIRECTING = Listener("HTTP", 80, redirect_to_https_port=443)
SPEC = _spec(
    [
        _rule("/admin", _forward("admin"), [Condition("source-ip", ["10.0.0.0/8"])]),
        _rule("/api", _forward("api-v2"), [HEADER, Condition("http-request-method", ["POST"])]),
        _rule("/api", _forward("api-beta"), [QUERY]),
        _rule("/api", _forward("api"), rewrite_path_prefix="/v1/"),
        _rule(
            "/old", Action("redirect", redirect=Redirect("HTTP_302", host="new.#{host}", path="/new/#{path}"))
        ),
        _rule("/gone", Action("fixed-response", fixed_response=FixedResponse("410"))),
        _rule("/tls-only", _forward("tls"), listen_ports=[443]),
        _rule(
            "/t",
            _forward("t"),
            transforms=[Transform("url-rewrite", [Rewrite("^/t/(.*)$", "/$1")])],
            host_rewrite="internal.example",
        ),
    ],
    [HTTP, HTTPS],
    _forward("web"),
)


@pytest.mark.parametrize(
    ("request_", "backend", "answer"),
    [
        (Request("h", "/api/x"), "api", {"path": "/v1/x"}),  # rewrite-target replaces the matched "/api/"
        (Request("h", "/api/x", "POST", {"X-Tier": "gold"}), "api-v2", {"path": "/api/x"}),
        (Request("h", "/api/x", "PUT", {"X-Tier": "gold"}), "api", {"path": "/v1/x"}),  # method must hold too
        (Request("h", "/api", query={"version": "2"}), "api-beta", {}),
        (Request("h", "/admin", source_ip="10.9.9.9"), "admin", {}),
        (Request("h", "/admin"), "web", {}),  # the default backend
        (
            Request("a.example.com", "/old/x", query={"q": "1"}),
            None,
            {"status": 302, "location": "http://new.a.example.com:80/new/old/x?q=1"},
        ),
        (
            Request("a.example.com", "/old", scheme="https"),
            None,
            {"status": 302, "location": "https://new.a.example.com:443/new/old"},
        ),
        (Request("h", "/gone"), None, {"status": 410}),
        (Request("h", "/tls-only"), "web", {}),  # the rule is on the HTTPS listener only
        (Request("h", "/tls-only", scheme="https"), "tls", {}),
        (Request("h", "/tls-only", port=443), "tls", {}),
        (Request("h", "/t/a/b"), "t", {"host": "internal.example", "path": "/a/b"}),
        (Request("h", "/x", port=8080), None, {"refused": "no listener on port 8080"}),
        (Request("h", "/x", port=443, scheme="http"), None, {"refused": "speaks HTTPS, not HTTP"}),
    ],
)
def test_first_match_of_a_request(request_: Request, backend: str | None, answer: dict[str, object]) -> None:
    found = first_match(SPEC, request_)
    keys = found.action.backend_keys() if found.action and found.action.type == "forward" else []
    assert keys == ([backend] if backend else []), found.reason
    for key, value in answer.items():
        got = getattr(found, key if key not in ("host", "path") else f"backend_{key}")
        assert got == value if key != "refused" else value in str(got), (key, got)


@pytest.mark.parametrize(
    ("listener", "request_", "location", "status"),
    [
        (REDIRECTING, Request("Shop.Example.com:80", "/a?x=1"), "https://shop.example.com:443/a?x=1", 301),
        (
            Listener("HTTP", 80, redirect_to_https_port=443, redirect_code="FOUND"),
            Request("h", "/a"),
            "https://h/a",
            302,
        ),
    ],
)
def test_listener_redirects_to_https(
    listener: Listener, request_: Request, location: str, status: int
) -> None:
    spec = _spec([], [listener, HTTPS], _forward("web"))
    found = first_match(spec, replace(request_, port=80))
    assert (found.status, found.location, found.action) == (status, location, None)
    assert first_match(spec, request_).action is not None  # no port nor scheme: the HTTPS listener serves


def test_without_port_or_scheme_the_first_serving_listener_answers() -> None:
    assert select_listener([REDIRECTING, HTTPS], Request("h")) == (HTTPS, None)
    assert select_listener([], Request("h", port=1)) == (None, None)  # a spec without listeners: any


def test_redirect_components_keep_what_the_action_leaves() -> None:
    request_ = Request("h.example.com", "/p/q", query={"a": "1"}, scheme="https")
    assert (
        redirect_location(Redirect("HTTP_301"), request_, "HTTPS", 443) == "https://h.example.com:443/p/q?a=1"
    )
    full = Redirect("HTTP_301", protocol="HTTP", port="8080", host="x", path="/#{host}/#{path}", query="b=2")
    assert redirect_location(full, request_, "HTTPS", 443) == "http://x:8080/h.example.com/p/q?b=2"
