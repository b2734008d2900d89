"""The translated URL map, evaluated the way GCLB does, agrees with the Ingress semantics (first_match)."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.testing.gcp_stacks import stack_from
from emulators.testing.specs import ingress, path, rule
from lbctl.model.matching import Request, first_match
from lbctl.provider import ProviderConfig
from providers.gcp import create


def _service(name: str, node_port: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": node_port}],
        },
    }


OBJECTS = [
    ingress(
        "routes",
        rule(
            "shop.example.com",
            path("/", "shop-root"),
            path("/api", "shop-api"),
            path("/api/v1/exact", "shop-exact", path_type="Exact"),
            path("/static/*", "shop-static", path_type="ImplementationSpecific"),
        ),
        rule("*.example.com", path("/api", "wild-api"), path("/admin", "wild-admin")),
        rule(
            None,
            path("/api/v2", "any-v2"),
            path("/admin", "any-admin"),
            path("/exact", "any-exact", path_type="Exact"),
        ),
        rule("other.example.com", path("/admin/tools", "other-tools")),
        class_name="gce",
        default={"service": {"name": "fallback", "port": {"number": 80}}},
    ),
    *[
        _service(name, 30100 + i)
        for i, name in enumerate(
            [
                "shop-root",
                "shop-api",
                "shop-exact",
                "shop-static",
                "wild-api",
                "wild-admin",
                "any-v2",
                "any-admin",
                "any-exact",
                "other-tools",
                "fallback",
            ]
        )
    ],
]

CASES = [
    ("shop.example.com", "/"),
    ("shop.example.com", "/api"),
    ("shop.example.com", "/api/"),
    ("shop.example.com", "/api/v2/x"),
    ("shop.example.com", "/apix"),
    ("shop.example.com", "/api/v1/exact"),
    ("shop.example.com", "/api/v1/exact/"),
    ("shop.example.com", "/static/app.js"),
    ("shop.example.com", "/static"),
    ("shop.example.com", "/admin"),
    ("a.example.com", "/api/x"),
    ("a.example.com", "/admin"),
    ("a.example.com", "/api/v2/z"),
    ("a.example.com", "/nothing"),
    ("a.example.com", "/exact"),
    ("other.example.com", "/admin"),
    ("other.example.com", "/admin/tools/1"),
    ("other.example.com", "/admin/toolsx"),
    ("other.example.com", "/api/v2"),
    ("other.example.com", "/api"),
    ("unknown.org", "/api/v2/a"),
    ("unknown.org", "/admin/"),
    ("unknown.org", "/exact"),
    ("unknown.org", "/exact/"),
    ("unknown.org", "/"),
    ("SHOP.example.com:443", "/api/q?x=1"),
]


@pytest.fixture(scope="module")
def translated() -> Any:
    spec = stack_from(OBJECTS).spec
    return spec, create(ProviderConfig(cluster_name="lbctl"))


@pytest.mark.parametrize("host, request_path", CASES)
def test_route_agrees_with_ingress_semantics(translated: Any, host: str, request_path: str) -> None:
    spec, provider = translated
    expected = first_match(spec, Request(host, request_path.split("?")[0]))
    got = provider.route(spec, Request(host, request_path))
    assert got.action == expected.action, (got.reason, expected.reason)
    if expected.rule is not None:
        assert got.rule is expected.rule


def test_fallthrough_rules_are_copied_without_stealing_longer_paths(translated: Any) -> None:
    """shop.example.com's `/` rule covers every path, so host-less `/api/v2` must not appear under that host."""
    spec, provider = translated
    url_map = provider.translate_url_map(spec)
    shop = next(r for r in url_map.body["hostRules"] if r["hosts"] == ["shop.example.com"])
    matcher = next(m for m in url_map.body["pathMatchers"] if m["name"] == shop["pathMatcher"])
    paths = [p for r in matcher["pathRules"] for p in r["paths"]]
    assert "/api/v2/*" not in paths and "/*" in paths and "/api/*" in paths
    other = next(r for r in url_map.body["hostRules"] if r["hosts"] == ["other.example.com"])
    matcher = next(m for m in url_map.body["pathMatchers"] if m["name"] == other["pathMatcher"])
    # its own rule, then *.example.com's (whose /api covers the host-less /api/v2), then host-less /exact
    assert [p for r in matcher["pathRules"] for p in r["paths"]] == [
        "/admin/tools",
        "/admin/tools/*",
        "/admin",
        "/admin/*",
        "/api",
        "/api/*",
        "/exact",
    ]


def test_wildcard_depth_difference_is_warned_and_modelled(translated: Any) -> None:
    spec, provider = translated
    warnings = provider.translate_url_map(spec).warnings
    assert any("*.example.com" in w and "spec.rules[1]" in w for w in warnings)
    # GCLB's wildcard also matches a.b.example.com; the Ingress rule does not
    assert (
        first_match(spec, Request("a.b.example.com", "/api/x")).action
        != provider.route(spec, Request("a.b.example.com", "/api/x")).action
    )


def test_unexpressible_paths_are_skipped_with_a_warning() -> None:
    objects = [
        ingress(
            "odd",
            rule(
                "x.example.com", path("/a*b", "one", path_type="ImplementationSpecific"), path("/ok", "two")
            ),
            class_name="gce",
            default={"service": {"name": "two", "port": {"number": 80}}},
        ),
        _service("one", 30001),
        _service("two", 30002),
    ]
    spec = stack_from(objects).spec
    provider = create(ProviderConfig(cluster_name="lbctl"))
    url_map = provider.translate_url_map(spec)
    assert any("spec.rules[0].http.paths[0]" in w and "'*'" in w for w in url_map.warnings)
    paths = [p for m in url_map.body["pathMatchers"] for r in m["pathRules"] for p in r["paths"]]
    assert paths == ["/ok", "/ok/*"]


def test_redirect_and_rewrite_answers_agree_with_the_model() -> None:
    """A FrontendConfig redirectToHttps answers HTTP with GCLB's httpsRedirect Location; HTTPS requests reach
    the URL map, whose pathPrefixRewrite the backend sees as the model's rewrite-target does."""
    objects = [
        ingress(
            "rw",
            rule("shop.example.com", path("/api", "api"), path("/v1/x", "api", path_type="Exact")),
            class_name="gce",
            default={"service": {"name": "api", "port": {"number": 80}}},
            annotations={
                "ingress.kubernetes.io/rewrite-target": "/internal/",
                "networking.gke.io/v1beta1.FrontendConfig": "fc",
                "ingress.gcp.kubernetes.io/pre-shared-cert": "shop-cert",
            },
        ),
        _service("api", 30100),
        {
            "apiVersion": "networking.gke.io/v1beta1",
            "kind": "FrontendConfig",
            "metadata": {"name": "fc", "namespace": "default"},
            "spec": {"redirectToHttps": {"enabled": True, "responseCodeName": "SEE_OTHER"}},
        },
    ]
    spec = stack_from(objects).spec
    provider = create(ProviderConfig(cluster_name="lbctl"))
    for request, status, location, backend_path in [
        (
            Request("shop.example.com", "/api/a?q=1", scheme="http"),
            303,
            "https://shop.example.com/api/a?q=1",
            None,
        ),
        (Request("shop.example.com", "/api/a", scheme="https"), None, None, "/internal/a"),
        (Request("shop.example.com", "/api", scheme="https"), None, None, "/internal/"),
        (Request("shop.example.com", "/v1/x", scheme="https"), None, None, "/internal/"),
        (Request("shop.example.com", "/other", scheme="https"), None, None, "/other"),
    ]:
        for found in (first_match(spec, request), provider.route(spec, request)):
            got = (found.status, found.location, found.backend_path)
            assert got == (status, location, backend_path), (request, found.reason)
