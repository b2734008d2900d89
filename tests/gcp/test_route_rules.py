"""Managed-routing (Gateway API) specs → URL map routeRules, and `lbctl route --provider gcp` on them: pure
translation of specs built here, what GCLB cannot express refused naming the rule, and requests routed by the
translated map the way the spec's routes say (a Gateway and HTTPRoute built through the real model)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from emulators.testing.gcp_stacks import example_objects, stack_from
from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import build_gateways
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import (
    Action,
    Condition,
    FixedResponse,
    Frontend,
    HeaderEdit,
    Listener,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Rule,
    SourceRef,
    WeightedTarget,
)
from lbctl.provider import ProviderConfig, ProviderError
from providers.gcp import create
from providers.gcp.provider import GcpProvider
from providers.gcp.translate import Context, spec_url_map, translate

A, B = "default/a:80", "default/b:80"
SOURCE = SourceRef("default/store", "spec.rules[0].matches[0]", "HTTPRoute")


def _spec(*rules: Rule, listeners: tuple[tuple[str, int], ...] = (("HTTPS", 443),)) -> LoadBalancerSpec:
    frontend = Frontend(listeners=[Listener(p, port) for p, port in listeners], managed_routing=True)
    return LoadBalancerSpec(
        "gcp", "Gateway:default/store", False, ["default/store"], frontend, list(rules), None, {}
    )


def _rule(path: PathMatch | None = None, action: Action | None = None, **fields: Any) -> Rule:
    return Rule(SOURCE, "shop.example.com", path, action or Action.to_backend(A), **fields)


def _route_rules(spec: LoadBalancerSpec, port: int | None = None) -> list[dict[str, Any]]:
    translation = spec_url_map(spec, "test", port)
    assert translation is not None
    matcher = next(m for m in translation.body["pathMatchers"] if "routeRules" in m)
    rules: list[dict[str, Any]] = matcher["routeRules"]  # type: ignore[typeddict-item]
    return [{k: v for k, v in r.items() if k != "priority"} for r in rules]


def _short(value: Any) -> Any:
    """References shortened to the Service they are for (`a`, `b`)."""
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    if isinstance(value, str) and "/backendServices/" in value:
        return "a" if "-defaulta80-" in value else "b"
    return value


PREFIX = PathMatch(PathType.PREFIX, "/users")
TRANSLATED = {
    "Prefix: the whole path and everything under it": (
        _rule(PREFIX),
        [{"matchRules": [{"fullPathMatch": "/users"}, {"prefixMatch": "/users/"}], "service": "a"}],
    ),
    "no path, a method, a header and a query parameter": (
        _rule(
            conditions=[
                Condition("http-request-method", ["GET"]),
                Condition("http-header", ["canary"], header_name="x-track"),
                Condition("query-string", [], query=[{"key": "v", "value": r"x\*"}]),
            ]
        ),
        [
            {
                "matchRules": [
                    {
                        "prefixMatch": "/",
                        "headerMatches": [
                            {"headerName": ":method", "exactMatch": "GET"},
                            {"headerName": "x-track", "exactMatch": "canary"},
                        ],
                        "queryParameterMatches": [{"name": "v", "exactMatch": "x*"}],
                    }
                ],
                "service": "a",
            }
        ],
    ),
    "any of a condition's values: one matchRule each": (
        _rule(
            PathMatch(PathType.EXACT, "/x"), conditions=[Condition("http-request-method", ["GET", "HEAD"])]
        ),
        [
            {
                "matchRules": [
                    {"fullPathMatch": "/x", "headerMatches": [{"headerName": ":method", "exactMatch": m}]}
                    for m in ("GET", "HEAD")
                ],
                "service": "a",
            }
        ],
    ),
    "an escaped literal pattern is an exact match": (
        _rule(PathMatch(PathType.IMPLEMENTATION_SPECIFIC, r"^/a\*b$", regex=True)),
        [{"matchRules": [{"fullPathMatch": "/a*b"}], "service": "a"}],
    ),
    "weights, a prefix rewrite (two rules), header edits and a timeout": (
        _rule(
            PREFIX,
            Action("forward", forward=[WeightedTarget(A, weight=3), WeightedTarget(B, weight=1)]),
            rewrite_path_prefix="/v2",
            request_headers=HeaderEdit(set={"x-s": "1"}, add={"x-a": "2"}, remove=["x-r"]),
            response_headers=HeaderEdit(remove=["server"]),
            timeout_seconds=1.5,
        ),
        [
            {
                "matchRules": [{prefix: path}],
                "routeAction": {
                    "urlRewrite": {"pathPrefixRewrite": rewrite},
                    "timeout": {"seconds": "1", "nanos": 500000000},
                    "weightedBackendServices": [
                        {"backendService": "a", "weight": 3},
                        {"backendService": "b", "weight": 1},
                    ],
                },
                "headerAction": {
                    "requestHeadersToAdd": [
                        {"headerName": "x-s", "headerValue": "1", "replace": True},
                        {"headerName": "x-a", "headerValue": "2", "replace": False},
                    ],
                    "requestHeadersToRemove": ["x-r"],
                    "responseHeadersToRemove": ["server"],
                },
            }
            for prefix, path, rewrite in (
                ("fullPathMatch", "/users", "/v2"),
                ("prefixMatch", "/users/", "/v2/"),
            )
        ],
    ),
    "weights past 1000 reduced exactly": (
        _rule(
            action=Action("forward", forward=[WeightedTarget(A, weight=3000), WeightedTarget(B, weight=1000)])
        ),
        [
            {
                "matchRules": [{"prefixMatch": "/"}],
                "routeAction": {
                    "weightedBackendServices": [
                        {"backendService": "a", "weight": 3},
                        {"backendService": "b", "weight": 1},
                    ]
                },
            }
        ],
    ),
    "a full path rewrite and a host rewrite of an Exact path": (
        _rule(PathMatch(PathType.EXACT, "/old"), full_path_rewrite="/new", host_rewrite="internal"),
        [
            {
                "matchRules": [{"fullPathMatch": "/old"}],
                "service": "a",
                "routeAction": {"urlRewrite": {"pathPrefixRewrite": "/new", "hostRewrite": "internal"}},
            }
        ],
    ),
    "a prefix redirect (two rules) with a 308": (
        _rule(
            PREFIX, Action("redirect", redirect=Redirect("HTTP_308", host="new.example.com", prefix_path="/"))
        ),
        [
            {
                "matchRules": [{prefix: path}],
                "urlRedirect": {
                    "redirectResponseCode": "PERMANENT_REDIRECT",
                    "stripQuery": False,
                    "hostRedirect": "new.example.com",
                    target: "/",
                },
            }
            for prefix, path, target in (
                ("fullPathMatch", "/users", "pathRedirect"),
                ("prefixMatch", "/users/", "prefixRedirect"),
            )
        ],
    ),
    "an unresolved backend answers 500 by fault injection": (
        _rule(action=Action("fixed-response", fixed_response=FixedResponse("500"))),
        [
            {
                "matchRules": [{"prefixMatch": "/"}],
                "routeAction": {
                    "weightedBackendServices": [{"backendService": "a", "weight": 1}],
                    "faultInjectionPolicy": {"abort": {"httpStatus": 500, "percentage": 100}},
                },
            }
        ],
    ),
}


@pytest.mark.parametrize("rule,expected", TRANSLATED.values(), ids=list(TRANSLATED))
def test_translation(rule: Rule, expected: list[dict[str, Any]]) -> None:
    anchor = _rule(PathMatch(PathType.EXACT, "/anchor"))  # a backend for the fault-injected answers
    assert _short(_route_rules(_spec(rule, anchor)))[: len(expected)] == expected


def test_an_https_redirect_is_on_the_http_listeners_own_url_map() -> None:
    redirect = _rule(
        action=Action("redirect", redirect=Redirect("HTTP_301", "HTTPS", "443")), listen_ports=[80]
    )
    served = _rule(PREFIX, listen_ports=[443])
    spec = _spec(redirect, served, listeners=(("HTTP", 80), ("HTTPS", 443)))
    assert _route_rules(spec, 80) == [
        {
            "matchRules": [{"prefixMatch": "/"}],
            "urlRedirect": {
                "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT",
                "stripQuery": False,
                "httpsRedirect": True,
            },
        }
    ]
    assert [r.get("service", "").rsplit("/", 1)[-1][:22] for r in _route_rules(spec, 443)] == [
        "k8s2-be-df8cc5e3-defau"
    ]
    assert spec_url_map(spec, "test", 8080) is None  # no listener there
    # a redirect naming the listener's own well-known port keeps the scheme and names no port
    same_port = _rule(action=Action("redirect", redirect=Redirect("HTTP_302", None, "443", "b.example.com")))
    assert _route_rules(_spec(same_port, served))[0]["urlRedirect"] == {
        "redirectResponseCode": "FOUND",
        "stripQuery": False,
        "hostRedirect": "b.example.com",
    }


REFUSED = {
    "a redirect port": (
        _rule(action=Action("redirect", redirect=Redirect("HTTP_302", port="8443"))),
        "redirect port 8443 (the API's urlRedirect has no port)",
    ),
    "a full path rewrite of a Prefix match": (
        _rule(PREFIX, full_path_rewrite="/x"),
        "a full path rewrite (ReplaceFullPath) needs an Exact path match",
    ),
    "a regular expression on the global scheme": (
        _rule(PathMatch(PathType.IMPLEMENTATION_SPECIFIC, "^/a.*$", regex=True)),
        "a RegularExpression path needs regexMatch, which the API allows only on regional",
    ),
    "a header regular expression on the global scheme": (
        _rule(conditions=[Condition("http-header", ["^v[0-9]$"], header_name="x-v", regex=True)]),
        "a RegularExpression match of '^v[0-9]$' needs regexMatch",
    ),
    "weights no 0..1000 scale keeps exact": (
        _rule(
            action=Action("forward", forward=[WeightedTarget(A, weight=1001), WeightedTarget(B, weight=1)])
        ),
        "cannot be expressed exactly in the API's 0..1000",
    ),
    "a fixed response with a body": (
        _rule(action=Action("fixed-response", fixed_response=FixedResponse("503", "text/plain", "down"))),
        "a fixed response with a body is not available",
    ),
    "an ALB source-ip condition": (
        _rule(conditions=[Condition("source-ip", ["10.0.0.0/8"])]),
        "a source-ip condition is not available",
    ),
    "response header edits on a redirect": (
        _rule(
            action=Action("redirect", redirect=Redirect("HTTP_302", host="b.example.com")),
            response_headers=HeaderEdit(set={"x-a": "1"}),
        ),
        "response header edits on a redirect",
    ),
    "a redirect from HTTPS to http": (
        _rule(action=Action("redirect", redirect=Redirect("HTTP_301", "HTTP", "80"))),
        "a redirect from HTTPS to http",
    ),
}


@pytest.mark.parametrize("rule,message", REFUSED.values(), ids=list(REFUSED))
def test_what_gclb_cannot_express_is_refused_naming_the_rule(rule: Rule, message: str) -> None:
    with pytest.raises(ProviderError) as caught:
        spec_url_map(_spec(rule, _rule()), "test")
    assert str(caught.value).startswith(f"{SOURCE}: ")
    assert message in str(caught.value)
    assert caught.value.user_fixable and caught.value.field == SOURCE.field
    assert caught.value.subject == "HTTPRoute default/store"


def test_a_gateway_without_any_backend_nor_a_cluster_default_is_refused_naming_it() -> None:
    redirect = _rule(action=Action("redirect", redirect=Redirect("HTTP_302", host="b.example.com")))
    with pytest.raises(ProviderError) as caught:
        spec_url_map(_spec(redirect), "test")
    assert caught.value.subject == "Gateway default/store" and "route a rule to a Service" in str(
        caught.value
    )
    assert "--default-backend-service" in str(caught.value)


# ---- `lbctl route --provider gcp` on a Gateway built through the model ------------------------------------

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/gce}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: store, namespace: default}
spec:
  gatewayClassName: lbctl
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: store}]
  hostnames: [shop.example.com]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /users}
      headers: [{name: x-track, value: canary}]
    filters:
    - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}
    backendRefs: [{name: users, port: 80, weight: 3}, {name: products, port: 80, weight: 1}]
  - matches: [{path: {type: PathPrefix, value: /users}, method: POST}]
    backendRefs: [{name: users, port: 80}]
  - matches: [{path: {type: Exact, value: /products}, queryParams: [{name: view, value: full}]}]
    backendRefs: [{name: products, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: new.example.com, statusCode: 301}}]
  - matches: [{path: {type: PathPrefix, value: /missing}}]
    backendRefs: [{name: nothere, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: users, namespace: default}
spec: {type: NodePort, selector: {app: users}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: v1
kind: Service
metadata: {name: products, namespace: default}
spec: {type: NodePort, selector: {app: products}, ports: [{port: 80, targetPort: 8080, nodePort: 30081}]}
"""


@pytest.fixture(scope="module")
def gateway_spec() -> LoadBalancerSpec:
    snapshot = ClusterSnapshot.from_objects([o for o in yaml.safe_load_all(GATEWAY) if o])
    config = BuildConfig.for_provider("gcp")
    (spec,) = build_gateways(snapshot, config, config.gateway_controller_names).specs
    return spec


@pytest.fixture(scope="module")
def gcp() -> GcpProvider:
    provider = create(ProviderConfig(cluster_name="test", options={"project": "p"}))
    assert isinstance(provider, GcpProvider)
    return provider


ROUTED = [
    # (request, the HTTPRoute rule it reaches (None: none), what GCLB does with it)
    (Request("shop.example.com", "/users/7", headers={"X-Track": "canary"}), 0, "path rewritten to /v2/7"),
    (Request("shop.example.com", "/users", headers={"x-track": "canary"}), 0, "users-80-"),
    (Request("shop.example.com", "/users/", headers={"x-track": "canary"}), 0, "path rewritten to /v2/"),
    (Request("shop.example.com", "/users/7", "PUT", {"x-track": "canary"}), 0, "75%"),
    (Request("shop.example.com", "/users/7", "POST"), 1, "backend k8s2-be-df8cc5e3-default-users-80"),
    # a match with a method goes before one with headers (the Gateway API's precedence)
    (Request("shop.example.com", "/users/7", "POST", {"x-track": "canary"}), 1, "default-users-80"),
    (Request("shop.example.com", "/users/7"), None, "answers 404"),
    (Request("shop.example.com", "/usersx", headers={"x-track": "canary"}), None, "answers 404"),
    (Request("shop.example.com", "/products?view=full", query={"view": "full"}), 2, "products-80"),
    (Request("shop.example.com", "/products", query={"view": "short"}), None, "answers 404"),
    (Request("shop.example.com", "/products/", query={"view": "full"}), None, "answers 404"),
    (
        Request("shop.example.com", "/old/a?q=1"),
        3,
        "redirect MOVED_PERMANENTLY_DEFAULT to <scheme>://new.example.com/old/a?q=1",
    ),
    (Request("shop.example.com", "/missing/x"), 4, "answers 500"),
    (Request("other.example.com", "/users/7", headers={"x-track": "canary"}), None, "no host rule matched"),
]


@pytest.mark.parametrize("request_,rule,outcome", ROUTED)
def test_route_reaches_the_routes_rule(
    gcp: GcpProvider, gateway_spec: LoadBalancerSpec, request_: Request, rule: int | None, outcome: str
) -> None:
    result = gcp.route(gateway_spec, request_)
    reached = result.rule.source.field.split(".")[1] if result.rule is not None else None
    assert reached == (f"rules[{rule}]" if rule is not None else None), result.reason
    assert outcome in result.reason
    model = first_match(gateway_spec, request_)  # the spec's own semantics agree with GCLB's answer
    assert model.rule is result.rule
    answer = ("status", "location", "backend_host", "backend_path", "refused")
    assert [getattr(model, f) for f in answer] == [getattr(result, f) for f in answer]


def test_each_listener_of_a_protocol_has_its_own_proxy_and_forwarding_rule() -> None:
    stack = stack_from(example_objects())
    spec = stack.spec
    users = next(k for k in spec.backends if "users" in k)
    spec.frontend.managed_routing = True
    spec.frontend.listeners = [Listener("HTTP", 80), Listener("HTTP", 8080)]
    spec.rules = [
        Rule(SOURCE, None, None, Action.to_backend(users), listen_ports=[80]),
        Rule(SOURCE, None, PathMatch(PathType.EXACT, "/alt"), Action.to_backend(users), listen_ports=[8080]),
    ]
    desired = translate(stack, Context("test", "p"))
    by_kind = {
        kind: [w for w in desired.resources if w.collection == kind]
        for kind in ("urlMaps", "targetHttpProxies", "forwardingRules")
    }
    assert [len(v) for v in by_kind.values()] == [2, 2, 2]
    maps = {w.name for w in by_kind["urlMaps"]}
    assert {p.body["urlMap"].rsplit("/", 1)[-1] for p in by_kind["targetHttpProxies"]} == maps
    assert sorted(f.body["portRange"] for f in by_kind["forwardingRules"]) == ["80-80", "8080-8080"]
    assert {f.body["loadBalancingScheme"] for f in by_kind["forwardingRules"]} == {"EXTERNAL_MANAGED"}
