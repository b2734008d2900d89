"""A Gateway on AWS against moto: HTTP and HTTPS listeners (the certificate imported from its Secret) and
HTTPRoutes with path, header, query and method matches, weights, a redirect and a prefix rewrite — one
converge, the ALB rules in the Gateway API's order, a second converge with no write, `lbctl route`'s ALB
evaluation agreeing with the model, and what an ALB cannot honour refused by name. (moto keeps rule
Transforms as ALB does through emulators/aws_elbv2.py.)"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
import yaml

from emulators.testing.aws_stacks import CLUSTER, NODES, Account, with_nodes
from emulators.testing.certs import self_signed, tls_secret
from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import build_gateways
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import Action, HeaderEdit, LoadBalancerSpec, Redirect
from lbctl.model.spec import Rule as SpecRule
from lbctl.provider import ProviderConfig, ProviderError, StackInput
from providers.aws import create
from providers.aws.translate import translate

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/alb}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra, annotations: {alb.ingress.kubernetes.io/scheme: internet-facing}}
spec:
  gatewayClassName: lbctl
  infrastructure: {labels: {team: shop}}
  listeners:
    - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
    - name: https
      port: 443
      protocol: HTTPS
      hostname: "*.example.com"
      tls: {certificateRefs: [{name: edge-tls}]}
      allowedRoutes: {namespaces: {from: All}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [shop.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /cart}, headers: [{name: x-canary, value: "yes"}], method: POST}]
      backendRefs: [{name: cart, port: 80, weight: 80}, {name: cart-v2, port: 80, weight: 20}]
    - matches: [{path: {type: PathPrefix, value: /search}, queryParams: [{name: lang, value: en}]}]
      backendRefs: [{name: cart, port: 80}]
    - matches: [{path: {type: Exact, value: /old}}]
      filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
    - matches: [{path: {type: PathPrefix, value: /}}]
      backendRefs: [{name: cart, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  hostnames: [api.example.com]
  rules:
    - matches: [{path: {type: PathPrefix, value: /v1}}]
      filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2}}}]
      backendRefs: [{name: cart-v2, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30110}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart-v2, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30111}]}
"""


def build(text: str) -> tuple[LoadBalancerSpec, ClusterSnapshot]:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    config = BuildConfig.for_provider("aws")
    built = build_gateways(snapshot, config, config.gateway_controller_names)
    assert [p for p in built.problems if p.severity == "error"] == []
    (spec,) = built.specs
    return spec, snapshot


def manifest(account: Account | None = None) -> str:
    """The Gateway, routes, Services and TLS Secret, with Nodes on the account's instances (or made-up ones:
    routing and translation read no cloud)."""
    cert, key = self_signed("*.example.com")
    text = GATEWAY + tls_secret("infra", "edge-tls", cert, key)
    return with_nodes(text, account) if account else text + NODES.format("i-0a", "i-0b")


@functools.cache
def offline_spec() -> LoadBalancerSpec:
    return build(manifest())[0]


@functools.cache
def router() -> Any:
    return create(ProviderConfig(cluster_name="lbctl"))


def config(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule's conditions as {field: values}, header and query ones keyed by their name."""
    out: dict[str, Any] = {}
    for condition in rule["Conditions"]:
        field = condition["Field"]
        if field == "http-header":
            header = condition["HttpHeaderConfig"]
            out[f"header:{header['HttpHeaderName']}"] = header["Values"]
        elif field == "query-string":
            out["query"] = [(q.get("Key"), q["Value"]) for q in condition["QueryStringConfig"]["Values"]]
        else:
            key = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}.get(
                field, "HttpRequestMethodConfig"
            )
            out[field] = condition[key]["Values"]
    return out


def test_a_gateway_converges_in_route_order_and_a_second_converge_writes_nothing(account: Account) -> None:
    spec, snapshot = build(manifest(account))
    provider = account.provider()
    stack = StackInput.from_snapshot(spec, snapshot)
    result = provider.converge(stack)
    elb = account.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    assert result.address == lb["DNSName"] and lb["Scheme"] == "internet-facing"
    tags = {
        t["Key"]: t["Value"]
        for t in elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    }
    assert tags["team"] == "shop" and tags["lbctl.io/stack"] == "Gateway:infra/edge"
    listeners = {
        x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    }
    assert {p: x["Protocol"] for p, x in listeners.items()} == {80: "HTTP", 443: "HTTPS"}
    (certificate,) = account.client("acm").list_certificates()["CertificateSummaryList"]
    assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate["CertificateArn"]
    groups = {g["TargetGroupArn"]: g["Port"] for g in elb.describe_target_groups()["TargetGroups"]}

    def rules(port: int) -> list[dict[str, Any]]:
        found = elb.describe_rules(ListenerArn=listeners[port]["ListenerArn"])["Rules"]
        return sorted((r for r in found if not r["IsDefault"]), key=lambda r: int(r["Priority"]))

    http = rules(80)
    assert [config(r) for r in http] == [
        {"host-header": ["shop.example.com"], "path-pattern": ["/old"]},
        {
            "host-header": ["shop.example.com"],
            "path-pattern": ["/search", "/search/*"],
            "query": [("lang", "en")],
        },
        {
            "host-header": ["shop.example.com"],
            "path-pattern": ["/cart", "/cart/*"],
            "http-request-method": ["POST"],
            "header:x-canary": ["yes"],
        },
        {"host-header": ["shop.example.com"], "path-pattern": ["/*"]},
        {"host-header": ["api.example.com"], "path-pattern": ["/v1", "/v1/*"]},  # shorter hostname: after
    ]
    redirect = http[0]["Actions"][0]["RedirectConfig"]
    assert (redirect["Protocol"], redirect["Port"], redirect["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    weights = {
        groups[t["TargetGroupArn"]]: t["Weight"]
        for t in http[2]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    }
    assert weights == {30110: 80, 30111: 20}
    # HTTPS: the same rules, the redirect too (to the URL it matched: as the route says)
    assert [config(r) for r in rules(443)] == [config(r) for r in http]

    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before

    # The prefix rewrite: /v1/x reaches the backend as /v2/x
    assert http[-1]["Transforms"] == [
        {
            "Type": "url-rewrite",
            "UrlRewriteConfig": {"Rewrites": [{"Regex": "^/v1(/.*)?$", "Replace": "/v2$1"}]},
        }
    ]


ROUTED = [  # (request, what it reaches: a backend, or the status it is answered with)
    (Request("shop.example.com", "/old"), 301),
    (Request("shop.example.com", "/old", scheme="https"), 301),  # as written, also to the URL it matched
    (Request("shop.example.com", "/"), "shop/cart:80"),
    (Request("shop.example.com", "/cart/1", "POST", {"X-Canary": "yes"}), "shop/cart:80,shop/cart-v2:80"),
    (Request("shop.example.com", "/cart/1", "GET", {"x-canary": "yes"}), "shop/cart:80"),  # method differs
    (Request("shop.example.com", "/search?lang=en"), "shop/cart:80"),
    (Request("shop.example.com", "/search?lang=de"), "shop/cart:80"),
    (Request("api.example.com", "/v1/users", scheme="https"), "shop/cart-v2:80"),
    (Request("api.example.com", "/v3"), 404),
    (Request("other.example.org", "/"), 404),
]


@pytest.mark.parametrize(("request_", "reached"), ROUTED, ids=[f"{r.host}{r.path}" for r, _ in ROUTED])
def test_route_through_the_alb_rules_agrees_with_the_model(request_: Request, reached: str | int) -> None:
    spec = offline_spec()
    model = first_match(spec, request_)
    cloud = router().route(spec, request_)
    assert (cloud.rule.source if cloud.rule else None) == (model.rule.source if model.rule else None)
    assert (cloud.status, cloud.backend_path) == (model.status, model.backend_path)
    # ALB's Location names the port it was given; the Gateway API leaves a default port out
    assert (cloud.location or "").replace(":443/", "/") == (model.location or "")
    keys = ",".join(model.action.backend_keys()) if model.action else ""
    assert (keys or model.status) == reached
    if request_.path == "/v1/users":
        assert model.backend_path == "/v2/users"  # the prefix rewrite
    if reached == 301:
        assert model.location == "https://shop.example.com/old"


def _edited(rule: SpecRule, change: str) -> None:
    if change == "request_headers":
        rule.request_headers = HeaderEdit(set={"a": "b"})
    elif change == "timeout_seconds":
        rule.timeout_seconds = 10.0
    elif change == "prefix_redirect":
        rule.action = Action("redirect", redirect=Redirect("HTTP_302", prefix_path="/new"))
    else:
        rule.action = Action("redirect", redirect=Redirect("HTTP_308"))


@pytest.mark.parametrize(
    ("change", "field", "named"),
    [
        ("request_headers", "filters", "RequestHeaderModifier"),
        ("timeout_seconds", "timeouts.request", "a request timeout"),
        ("prefix_redirect", "filters", "ReplacePrefixMatch"),
        ("status_308", "filters", "statusCode 308"),
    ],
)
def test_what_an_alb_cannot_honour_is_refused_by_the_provider_by_name(
    change: str, field: str, named: str
) -> None:
    """The model leaves such a rule out already (its route's status says why); a spec that carries one anyway
    is refused by the provider naming the route's field, never served without it."""
    spec = copy.deepcopy(offline_spec())
    rule = next(r for r in spec.rules if r.source.field == "spec.rules[3].matches[0]")
    _edited(rule, change)
    with pytest.raises(ProviderError) as refused:
        translate(spec, CLUSTER, secrets={}, require_secrets=False)
    assert refused.value.field == f"HTTPRoute shop/shop spec.rules[3].{field}"
    assert named in str(refused.value) and refused.value.subject == "Gateway infra/edge"
