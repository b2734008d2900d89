"""Table-driven checks of the limits the API server and the clouds enforce (lbctl.model.kube_validation and
lbctl.model.limits), of the annotations that use them, and of duplicate routes, through the model's public
entry points: the registry's parse and the builder."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lbctl.model import annotations as a
from lbctl.model import kube_validation as kv
from lbctl.model import limits
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot

# --------------------------------------------------------------------------- Kubernetes API server rules

NAMES = [  # (name, valid)
    ("web", True),
    ("a.b-c", True),
    ("a" * 253, True),
    ("a" * 254, False),
    ("Web", False),
    ("a/b", False),
    ("-web", False),
    ("web-", False),
    ("we_b", False),
    ("", False),
]
HOSTS = [
    ("shop.example.com", True),
    ("*.example.com", True),
    ("a" * 253, True),
    ("localhost", True),
    ("a" * 254, False),
    ("Shop.example.com", False),
    ("*.*.example.com", False),
    ("*", False),
    ("a*.example.com", False),
    ("10.0.0.1", False),
    ("010.000.000.001", False),
    ("::1", False),
    ("shop_example.com", False),
    ("shop.example.com.", False),
    ("shop.example.com:80", False),
]
PATHS = [  # (path, pathType, valid)
    ("/", "Prefix", True),
    ("/a/b", "Exact", True),
    ("/a.b/c..d", "Prefix", True),
    ("/%2e", "Prefix", True),
    ("//a", "Prefix", False),
    ("/a//b", "Exact", False),
    ("/a/./b", "Prefix", False),
    ("/a/../b", "Prefix", False),
    ("/a%2fb", "Prefix", False),
    ("/a%2Fb", "Exact", False),
    ("/a/..", "Prefix", False),
    ("/a/.", "Exact", False),
    ("/a/../b", "ImplementationSpecific", True),
    ("//a", "ImplementationSpecific", True),
]


@pytest.mark.parametrize(("name", "valid"), NAMES)
def test_object_names(name: str, valid: bool) -> None:
    reason = kv.subdomain_problem(name)
    assert (reason is None) == valid, reason
    if not valid:
        assert "lowercase RFC 1123 subdomain of at most 253 characters" in reason


@pytest.mark.parametrize(("host", "valid"), HOSTS)
def test_ingress_hosts(host: str, valid: bool) -> None:
    reason = kv.host_problem(host)
    assert (reason is None) == valid, reason
    if not valid:
        assert "expected a DNS name of at most 253 characters" in reason


@pytest.mark.parametrize(("path", "path_type", "valid"), PATHS)
def test_ingress_paths(path: str, path_type: str, valid: bool) -> None:
    reason = kv.path_problem(path, path_type)
    assert (reason is None) == valid, reason
    if not valid:
        assert "expected a clean absolute path" in reason


@pytest.mark.parametrize(
    ("name", "kind", "valid"),
    [
        ("users", "service", True),
        ("u" * 63, "service", True),
        ("u" * 64, "service", False),
        ("1users", "service", False),
        ("users.v1", "service", False),
        ("http", "port", True),
        ("use-annotation", "port", True),
        ("a" * 16, "port", False),
        ("80", "port", False),
        ("a--b", "port", False),
        ("HTTP", "port", False),
    ],
)
def test_backend_service_and_port_names(name: str, kind: str, valid: bool) -> None:
    reason = kv.service_name_problem(name) if kind == "service" else kv.port_name_problem(name)
    assert (reason is None) == valid, reason


# --------------------------------------------------------------------------- cloud limits

ALB_PATHS = [  # (path, pathType, valid on ALB)
    ("/" + "a" * 125, "Prefix", True),
    ("/" + "a" * 126, "Prefix", False),
    ("/" + "a" * 125 + "/", "Prefix", True),
    ("/" + "a" * 127, "Exact", True),
    ("/" + "a" * 128, "Exact", False),
    ("/a-b_c.d$e~f'g\"h@i:j+k&l", "Exact", True),
    ("/users/*", "ImplementationSpecific", True),
    ("/a b", "Exact", False),
    ("/a%20b", "Prefix", False),
    ("/a=b", "Exact", False),
    ("/é", "Prefix", False),
    ("/a;b", "Exact", False),
    ("/a\\b", "Exact", False),
]
ALB_HOSTS = [
    ("shop.example.com", True),
    ("*.example.com", True),
    ("a" * 120 + ".example", True),
    ("a" * 121 + ".example", False),
    ("localhost", False),
    ("shop.example.c0m", False),
]


@pytest.mark.parametrize(("path", "path_type", "valid"), ALB_PATHS)
def test_alb_path_patterns(path: str, path_type: str, valid: bool) -> None:
    reason = limits.alb_ingress_path_problem(path, path_type)
    assert (reason is None) == valid, reason
    if not valid:
        assert "expected" in reason and ("at most" in reason or limits.ALB_PATH_CHARS in reason)


@pytest.mark.parametrize(("host", "valid"), ALB_HOSTS)
def test_alb_host_headers(host: str, valid: bool) -> None:
    reason = limits.alb_host_problem(host)
    assert (reason is None) == valid, reason


@pytest.mark.parametrize(
    ("path", "valid"),
    [("/a", True), ("/a\x00", False), ("/a\x1bb", False), ("/\x7f", False), ("/\x85", False), ("/ü", True)],
)
def test_control_characters_in_paths_for_any_cloud(path: str, valid: bool) -> None:
    reason = limits.path_problem(path)
    assert (reason is None) == valid
    if not valid:
        assert "control character U+00" in reason and "expected printable characters" in reason


# --------------------------------------------------------------------------- annotations using the limits

ACTION = "alb.ingress.kubernetes.io/actions.web"
CONDITION = "alb.ingress.kubernetes.io/conditions.web"


def fixed(body: str, status: str = "503") -> str:
    return json.dumps(
        {"type": "fixed-response", "fixedResponseConfig": {"statusCode": status, "messageBody": body}}
    )


def condition(field: str, config: str, value: Any) -> str:
    return json.dumps([{"field": field, config: value}])


ANNOTATION_CASES = [  # (annotation key, value, None when valid, else a part of the expected form)
    (a.TAGS, ",".join(f"k{i}=v" for i in range(limits.MAX_USER_TAGS)), None),
    (
        a.TAGS,
        ",".join(f"k{i}=v" for i in range(limits.MAX_USER_TAGS + 1)),
        f"expected at most {limits.MAX_USER_TAGS}",
    ),
    (a.TAGS, "aws:team=x", "which AWS reserves"),
    (a.TAGS, "AWS:team=x", "which AWS reserves"),
    (a.TAGS, "lbctl.io/cluster=x", "lbctl reserves"),
    (a.TAGS, "k" * 128 + "=v", None),
    (a.TAGS, "k" * 129 + "=v", "expected 1 to 128"),
    (a.TAGS, "team=" + "v" * 256, None),
    (a.TAGS, "team=" + "v" * 257, "expected at most 256"),
    (a.TAGS, "team=a\x00b", "expected letters, digits, spaces"),
    (a.TAGS, "team=a\x1bb", "expected letters, digits, spaces"),
    (a.TAGS, "t#am=x", "expected letters, digits, spaces"),
    (a.TAGS, "équipe=café 1 _.:/=+-@", None),
    (a.HEALTHCHECK_PATH, "/healthz?x=1", None),
    (a.HEALTHCHECK_PATH, "/" + "h" * 1023, None),
    (a.HEALTHCHECK_PATH, "/" + "h" * 1024, "up to 1024 printable ASCII"),
    (a.HEALTHCHECK_PATH, "/health\x00", "up to 1024 printable ASCII"),
    (a.HEALTHCHECK_PATH, "/health\x1b[0m", "up to 1024 printable ASCII"),
    (a.HEALTHCHECK_PATH, "/health\x1f", "up to 1024 printable ASCII"),
    (a.HEALTHCHECK_PATH, "/gesundheit/ü", "up to 1024 printable ASCII"),
    (ACTION, fixed("x" * 1024), None),
    (ACTION, fixed("x" * 1025), "expected at most 1024 bytes"),
    (ACTION, fixed("é" * 513), "expected at most 1024 bytes"),
    (ACTION, fixed("line\nnext\ttab"), None),
    (ACTION, fixed("a\x00b"), "expected text"),
    (ACTION, fixed("a\x1bb"), "expected text"),
    (ACTION, fixed("moved", "302"), "statusCode"),
    (
        ACTION,
        json.dumps({"type": "redirect", "redirectConfig": {"statusCode": "HTTP_301", "host": "h" * 129}}),
        "expected at most 128",
    ),
    (
        ACTION,
        json.dumps({"type": "redirect", "redirectConfig": {"statusCode": "HTTP_301", "path": "/a\x00"}}),
        "expected printable characters",
    ),
    (CONDITION, condition("path-pattern", "pathPatternConfig", {"values": ["/" + "a" * 127]}), None),
    (
        CONDITION,
        condition("path-pattern", "pathPatternConfig", {"values": ["/" + "a" * 128]}),
        "expected at most 128",
    ),
    (
        CONDITION,
        condition("path-pattern", "pathPatternConfig", {"values": ["/a%20b"]}),
        limits.ALB_PATH_CHARS,
    ),
    (CONDITION, condition("host-header", "hostHeaderConfig", {"values": ["*.example.com"]}), None),
    (
        CONDITION,
        condition("host-header", "hostHeaderConfig", {"values": ["h" * 130 + ".com"]}),
        "expected at most 128",
    ),
    (CONDITION, condition("host-header", "hostHeaderConfig", {"values": ["a b.com"]}), "at least one '.'"),
    (
        CONDITION,
        condition("http-header", "httpHeaderConfig", {"httpHeaderName": "X-A", "values": ["a b"]}),
        None,
    ),
    (
        CONDITION,
        condition("http-header", "httpHeaderConfig", {"httpHeaderName": "X" * 41, "values": ["a"]}),
        "expected at most 40",
    ),
    (
        CONDITION,
        condition("http-header", "httpHeaderConfig", {"httpHeaderName": "X A", "values": ["a"]}),
        limits.ALB_HEADER_NAME_CHARS,
    ),
    (
        CONDITION,
        condition("http-header", "httpHeaderConfig", {"httpHeaderName": "X", "values": ["a\x00"]}),
        limits.ALB_HEADER_VALUE_CHARS,
    ),
    (
        CONDITION,
        condition("query-string", "queryStringConfig", {"values": [{"key": "k", "value": "v" * 129}]}),
        "expected at most 128",
    ),
    (
        CONDITION,
        condition("query-string", "queryStringConfig", {"values": [{"value": "a#b"}]}),
        limits.ALB_QUERY_CHARS,
    ),
    (
        CONDITION,
        condition("http-request-method", "httpRequestMethodConfig", {"values": ["get"]}),
        limits.ALB_METHOD_CHARS,
    ),
    (CONDITION, condition("source-ip", "sourceIpConfig", {"values": ["10.0.0.0/33"]}), "not a CIDR"),
]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    ANNOTATION_CASES,
    ids=[f"{k.split('/')[-1]}-{i}" for i, (k, _, _) in enumerate(ANNOTATION_CASES)],
)
def test_annotation_limits(key: str, value: str, expected: str | None) -> None:
    parsed = a.REGISTRY.parse({key: value}, "Ingress", "Ingress default/web")
    if expected is None:
        assert not parsed.problems, parsed.problems
        return
    (problem,) = parsed.problems
    assert problem.field == f"metadata.annotations[{key}]"
    assert expected in problem.message, problem.message


# --------------------------------------------------------------------------- through the builder


def ingress(
    name: str,
    paths: list[tuple[str, str]],
    host: str | None = "shop.example.com",
    order: int | None = None,
    group: str | None = None,
    path_type: str = "Prefix",
) -> dict[str, Any]:
    annotations = {}
    if group:
        annotations[a.GROUP_NAME] = group
    if order is not None:
        annotations[a.GROUP_ORDER] = str(order)
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": p,
                    "pathType": path_type,
                    "backend": {"service": {"name": svc, "port": {"number": 80}}},
                }
                for p, svc in paths
            ]
        }
    }
    if host:
        rule["host"] = host
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": "default", "annotations": annotations},
        "spec": {"ingressClassName": "alb", "rules": [rule]},
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]},
    }


def built(*ingresses: dict[str, Any], provider: str = "aws"):  # type: ignore[no-untyped-def]
    snapshot = ClusterSnapshot.from_objects([*ingresses, service("users"), service("products")])
    return build(snapshot, BuildConfig.for_provider(provider))


@pytest.mark.parametrize(
    ("paths", "host", "path_type", "provider", "field", "expected"),
    [
        (
            [("/" + "a" * 130, "users")],
            "shop.example.com",
            "Prefix",
            "aws",
            "spec.rules[0].http.paths[0].path",
            "expected at most 126 for pathType Prefix",
        ),
        (
            [("/a\x00", "users")],
            "shop.example.com",
            "Prefix",
            "gcp",
            "spec.rules[0].http.paths[0].path",
            "expected printable characters only",
        ),
        (
            [("/a/../b", "users")],
            "shop.example.com",
            "Prefix",
            "gcp",
            "spec.rules[0].http.paths[0].path",
            "expected a clean absolute path",
        ),
        ([("/a", "users")], "shop", "Prefix", "aws", "spec.rules[0].host", "at least one '.'"),
        ([("/a", "users")], "s" * 300, "Prefix", "gcp", "spec.rules[0].host", "at most 253 characters"),
        (
            [("/a", "Users")],
            "shop.example.com",
            "Prefix",
            "aws",
            "spec.rules[0].http.paths[0].backend.service.name",
            "RFC 1035 label",
        ),
        (
            [("/users", "users"), ("/users/", "products")],
            "shop.example.com",
            "Prefix",
            "aws",
            "spec.rules[0].http.paths[1]",
            "spec.rules[0].http.paths[0] already routes it",
        ),
        (
            [("/users", "users"), ("/users", "products")],
            None,
            "Exact",
            "gcp",
            "spec.rules[0].http.paths[1]",
            "expected one backend per host, path and pathType",
        ),
    ],
)
def test_refused_ingresses_are_left_out_with_the_field(
    paths: list[tuple[str, str]], host: str | None, path_type: str, provider: str, field: str, expected: str
) -> None:
    bad = ingress("bad", paths, host, path_type=path_type)
    if provider == "gcp":
        bad["spec"]["ingressClassName"] = "gce"
        bad["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"number": 80}}}
    outcome = built(bad, provider=provider).groups["default/bad"]
    assert outcome.spec is None
    (problem,) = outcome.problems
    assert (problem.object, problem.field, problem.severity) == ("Ingress default/bad", field, "error")
    assert expected in problem.message, problem.message


def test_identical_duplicate_paths_are_fine() -> None:
    outcome = built(ingress("web", [("/users", "users"), ("/users/", "users")])).groups["default/web"]
    assert outcome.spec is not None and not outcome.problems


@pytest.mark.parametrize(
    ("orders", "winner", "loser"), [((None, None), "a", "b"), ((5, 1), "b", "a"), ((1, 1), "a", "b")]
)
def test_group_duplicate_route_warns_the_member_that_loses(
    orders: tuple[int | None, int | None], winner: str, loser: str
) -> None:
    result = built(
        ingress("a", [("/api", "users")], order=orders[0], group="shop"),
        ingress("b", [("/api", "products"), ("/b", "products")], order=orders[1], group="shop"),
    )
    outcome = result.groups["shop"]
    assert outcome.spec is not None and sorted(outcome.spec.members) == ["default/a", "default/b"]
    (problem,) = outcome.problems
    assert (problem.object, problem.severity) == (f"Ingress default/{loser}", "warning")
    assert f"Ingress default/{winner}" in problem.message and "never receives a request" in problem.message
    api_rules = [r for r in outcome.spec.rules if r.path and r.path.path == "/api"]
    assert api_rules[0].source.ingress == f"default/{winner}"  # the documented precedence decides


def test_group_members_with_the_same_backend_do_not_warn() -> None:
    result = built(
        ingress("a", [("/api", "users")], group="shop"), ingress("b", [("/api", "users")], group="shop")
    )
    assert not result.groups["shop"].problems


def test_group_tags_over_the_limit_fail_in_translation() -> None:
    from providers.aws.translate import translate

    half = limits.MAX_USER_TAGS
    one, two = ingress("a", [("/a", "users")], group="shop"), ingress("b", [("/b", "users")], group="shop")
    one["metadata"]["annotations"][a.TAGS] = ",".join(f"a{i}=v" for i in range(half))
    two["metadata"]["annotations"][a.TAGS] = ",".join(f"b{i}=v" for i in range(half))
    spec = built(one, two).groups["shop"].spec
    assert spec is not None
    with pytest.raises(Exception, match="AWS allows 50 per resource") as err:
        translate(spec, "cluster", require_secrets=False)
    assert "alb.ingress.kubernetes.io/tags" in str(
        getattr(err.value, "field", None) or err.value
    )  # names the field
