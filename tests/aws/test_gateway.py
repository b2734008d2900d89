"""A Gateway on AWS against moto: HTTP and HTTPS listeners (the certificate imported from its Secret) and
HTTPRoutes with path, header, query and method matches, weights, a redirect and a prefix rewrite — one
converge, the ALB rules in the Gateway API's order, a second converge with no write, `lbctl route`'s ALB
evaluation agreeing with the model, and what an ALB cannot honour refused by name. (moto keeps rule
Transforms as ALB does through emulators/aws_elbv2.py.)"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from emulators.testing.aws_stacks import CLUSTER, Account, with_nodes
from emulators.testing.certs import self_signed, tls_secret
from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import build_gateways
from lbctl.model.matching import first_match
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


def manifest(account: Account, routes: str = "") -> str:
    cert, key = self_signed("*.example.com")
    return with_nodes(GATEWAY + routes + tls_secret("infra", "edge-tls", cert, key), account)


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
    # HTTPS: the same rules but the redirect to itself, which is left off (it would loop)
    https = rules(443)
    assert [config(r) for r in https] == [config(r) for r in http[1:]]

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


def test_route_through_the_alb_rules_agrees_with_the_model(account: Account) -> None:
    spec, _ = build(manifest(account))
    provider = create(ProviderConfig(cluster_name="lbctl"))
    for host, path, reached in [
        ("shop.example.com", "/old", "redirect"),
        ("shop.example.com", "/", "shop/cart:80"),
        ("shop.example.com", "/cart/1", "shop/cart:80"),  # no header and method: the catch-all
        ("api.example.com", "/v1/users", "shop/cart-v2:80"),
        ("api.example.com", "/v3", None),
        ("other.example.org", "/", None),
    ]:
        model = first_match(spec, host, path)
        cloud = provider.route(spec, host, path)
        assert (cloud.rule.source if cloud.rule else None) == (model.rule.source if model.rule else None)
        keys = model.action.backend_keys() if model.action else []
        assert (keys[0] if keys else model.action.type if model.action else None) == reached, (host, path)
    rewritten = provider.route(spec, "api.example.com", "/v1/users")
    assert "rewritten to path /v2/users" in rewritten.reason


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
    account: Account, change: str, field: str, named: str
) -> None:
    """The model leaves such a rule out already (its route's status says why); a spec that carries one anyway
    is refused by the provider naming the route's field, never served without it."""
    spec, _ = build(manifest(account))
    rule = next(r for r in spec.rules if r.source.field == "spec.rules[3].matches[0]")
    _edited(rule, change)
    with pytest.raises(ProviderError) as refused:
        translate(spec, CLUSTER, secrets={}, require_secrets=False)
    assert refused.value.field == f"HTTPRoute shop/shop spec.rules[3].{field}"
    assert named in str(refused.value) and refused.value.subject == "Gateway infra/edge"
