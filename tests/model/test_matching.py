"""Host and path semantics (DESIGN.md §2) and rule precedence, through the real model."""

from __future__ import annotations

import pytest

from emulators.testing.specs import Obj, ingress, only_spec, path, route, rule, service
from lbctl.model.matching import host_matches, path_matches
from lbctl.model.spec import PathMatch, PathType

E, P, IS = "Exact", "Prefix", "ImplementationSpecific"

PATH_CASES = [
    # (rule type, rule path, request path, matches)
    (E, "/foo", "/foo", True),
    (E, "/foo", "/foo/", False),
    (E, "/foo", "/Foo", False),
    (E, "/foo", "/foo/bar", False),
    (E, "/", "/", True),
    (E, "/", "/a", False),
    (P, "/foo", "/foo", True),
    (P, "/foo", "/foo/", True),
    (P, "/foo", "/foo/bar", True),
    (P, "/foo", "/foobar", False),
    (P, "/foo", "/fo", False),
    (P, "/foo", "/", False),
    (P, "/foo", "/FOO", False),
    (P, "/foo/", "/foo", True),  # trailing slash in the rule is ignored
    (P, "/foo/", "/foo/bar", True),
    (P, "/foo/", "/foobar", False),
    (P, "/foo/bar", "/foo/bar/baz", True),
    (P, "/foo/bar", "/foo/barbaz", False),
    (P, "/foo/bar", "/foo", False),
    (P, "/", "/", True),
    (P, "/", "/anything/at/all", True),
    (IS, "/users/*", "/users/42", True),
    (IS, "/users/*", "/users/42/orders", True),  # cloud syntax: '*' also crosses '/'
    (IS, "/users/*", "/users", False),
    (IS, "/users/*", "/usersx", False),
    (IS, "/a?c", "/abc", True),
    (IS, "/a?c", "/ac", False),
    (IS, "/a?c", "/abbc", False),
    (IS, "/users", "/users", True),  # verbatim otherwise
    (IS, "/users", "/users/1", False),
    (IS, "/users", "/Users", False),
    (IS, "/a.b", "/axb", False),  # regex characters are literal
    (IS, "/a+b", "/a+b", True),
]


@pytest.mark.parametrize(("path_type", "rule_path", "request_path", "expected"), PATH_CASES)
def test_path_matches(path_type: str, rule_path: str, request_path: str, expected: bool) -> None:
    assert path_matches(PathMatch(PathType(path_type), rule_path), request_path) is expected


HOST_CASES = [
    # (rule host, request host, matches)
    ("foo.example.com", "foo.example.com", True),
    ("foo.example.com", "FOO.Example.COM", True),
    ("foo.example.com", "foo.example.com:8080", True),
    ("foo.example.com", "foo.example.com.", True),
    ("foo.example.com", "bar.example.com", False),
    ("foo.example.com", "example.com", False),
    ("foo.example.com", "x.foo.example.com", False),
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "A.EXAMPLE.com:443", True),
    ("*.example.com", "a.b.example.com", False),
    ("*.example.com", "example.com", False),
    ("*.example.com", ".example.com", False),
    ("*.example.com", "aexample.com", False),
    ("*.example.com", "a.example.org", False),
    (None, "anything.test", True),
    (None, "", True),
]


@pytest.mark.parametrize(("rule_host", "request_host", "expected"), HOST_CASES)
def test_host_matches(rule_host: str | None, request_host: str, expected: bool) -> None:
    assert host_matches(rule_host, request_host) is expected


# ----------------------------------------------------------------------------- precedence, end to end

SERVICES = [service(name, [(80, "http", 30000 + i)]) for i, name in enumerate("abcdefgh")]


def _spec(*objects: Obj) -> object:
    return only_spec(*objects, *SERVICES)


def _routes(paths: list[Obj], requests: dict[str, str], host: str | None = None) -> None:
    spec = only_spec(ingress("web", rule(host, *paths)), *SERVICES)
    got = {req: route(spec, host or "any.test", req) for req in requests}
    want = {
        req: (f"default/{svc}:80" if svc != "404" else "404 (no default backend)")
        for req, svc in requests.items()
    }
    assert got == want


PRECEDENCE_CASES = {
    "longest prefix wins": (
        [path("/", "a"), path("/api", "b"), path("/api/v2", "c")],
        {"/": "a", "/x": "a", "/api": "b", "/api/v1": "b", "/api/v2": "c", "/api/v2/x": "c", "/apiv2": "a"},
    ),
    "longest prefix wins in reverse manifest order": (
        [path("/api/v2", "c"), path("/api", "b"), path("/", "a")],
        {"/": "a", "/api/x": "b", "/api/v2/x": "c"},
    ),
    "exact beats prefix of the same path": (
        [path("/foo", "a", path_type=P), path("/foo", "b", path_type=E)],
        {"/foo": "b", "/foo/": "a", "/foo/x": "a"},
    ),
    "exact beats prefix, other order": (
        [path("/foo", "b", path_type=E), path("/foo", "a", path_type=P)],
        {"/foo": "b", "/foo/x": "a"},
    ),
    "trailing slash prefix is the same length as without": (
        [path("/foo/", "a"), path("/foo", "b", path_type=E)],
        {"/foo": "b", "/foo/bar": "a"},
    ),
    "longer exact beats shorter prefix": (
        [path("/a", "a"), path("/a/b", "b", path_type=E)],
        {"/a/b": "b", "/a/b/c": "a"},
    ),
    "longer prefix beats shorter exact": (
        [path("/a/b", "a", path_type=E), path("/a/b/c", "b")],
        {"/a/b": "a", "/a/b/c/d": "b"},
    ),
    "no match is 404": (
        [path("/users", "a"), path("/products", "b", path_type=E)],
        {"/": "404", "/usersx": "404", "/products/1": "404", "/Users": "404"},
    ),
    "implementation specific glob": (
        [path("/users/*", "a", path_type=IS), path("/", "b")],
        {"/users/1": "a", "/users": "b"},
    ),
}


@pytest.mark.parametrize("case", PRECEDENCE_CASES, ids=list(PRECEDENCE_CASES))
def test_path_precedence(case: str) -> None:
    paths, requests = PRECEDENCE_CASES[case]
    _routes(paths, requests)


def test_host_precedence_exact_then_wildcard_then_none() -> None:
    spec = only_spec(
        ingress(
            "web",
            rule(None, path("/", "c")),
            rule("*.example.com", path("/", "b")),
            rule("shop.example.com", path("/", "a")),
        ),
        *SERVICES,
    )
    assert route(spec, "shop.example.com", "/x") == "default/a:80"
    assert route(spec, "SHOP.example.com:80", "/x") == "default/a:80"
    assert route(spec, "blog.example.com", "/x") == "default/b:80"
    assert route(spec, "a.b.example.com", "/x") == "default/c:80"
    assert route(spec, "example.com", "/x") == "default/c:80"


def test_host_rank_beats_path_length() -> None:
    """A host-specific rule wins over a longer path in a rule for any host."""
    spec = only_spec(
        ingress("web", rule(None, path("/long/path", "b")), rule("h.test", path("/", "a"))), *SERVICES
    )
    assert route(spec, "h.test", "/long/path") == "default/a:80"
    assert route(spec, "other.test", "/long/path") == "default/b:80"


def test_precedence_across_group_members_ignores_order() -> None:
    group = {"alb.ingress.kubernetes.io/group.name": "shop"}
    first = {**group, "alb.ingress.kubernetes.io/group.order": "-5"}
    spec = only_spec(
        ingress("aaa", rule(None, path("/", "a")), annotations=first),
        ingress("zzz", rule(None, path("/api", "b"), path("/api", "c", path_type=E)), annotations=group),
        *SERVICES,
    )
    assert spec.members == ["default/aaa", "default/zzz"]
    assert route(spec, "h", "/api") == "default/c:80"
    assert route(spec, "h", "/api/x") == "default/b:80"
    assert route(spec, "h", "/other") == "default/a:80"


def test_equal_rules_keep_group_order_then_manifest_order() -> None:
    """Identical host+path in two members: the lower group.order member is evaluated first."""
    group = {"alb.ingress.kubernetes.io/group.name": "shop"}
    spec = only_spec(
        ingress(
            "aaa",
            rule(None, path("/x", "a")),
            annotations={**group, "alb.ingress.kubernetes.io/group.order": "10"},
        ),
        ingress(
            "zzz",
            rule(None, path("/x", "b")),
            annotations={**group, "alb.ingress.kubernetes.io/group.order": "1"},
        ),
        *SERVICES,
    )
    assert spec.members == ["default/zzz", "default/aaa"]
    assert route(spec, "h", "/x") == "default/b:80"


@pytest.mark.parametrize(
    ("default", "request_path", "expected"),
    [
        (None, "/nowhere", "404 (no default backend)"),
        ({"service": {"name": "h", "port": {"number": 80}}}, "/nowhere", "default/h:80"),
        ({"service": {"name": "h", "port": {"number": 80}}}, "/users/1", "default/a:80"),
    ],
)
def test_default_backend_or_404(default: Obj | None, request_path: str, expected: str) -> None:
    spec = only_spec(ingress("web", rule("h.test", path("/users", "a")), default=default), *SERVICES)
    assert route(spec, "h.test", request_path) == expected
    assert route(spec, "other.test", "/users/1") == (
        "404 (no default backend)" if default is None else "default/h:80"
    )


def test_default_backend_only_ingress_routes_everything() -> None:
    spec = only_spec(ingress("web", default={"service": {"name": "a", "port": {"name": "http"}}}), *SERVICES)
    assert spec.rules == []
    assert route(spec, "x", "/anything") == "default/a:80"
