"""`lbctl convert --to gateway`: the Gateway API objects made from each example's Ingresses route every request
as the Ingresses do — the Ingress side by the model's first match, the Gateway side by the Gateway API's own
precedence (`gateway_routing.route_table` / `evaluate`) on the converted objects, parsed as a cluster would; and
what cannot be expressed is reported by annotation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lbctl.model.builder import PROFILES, BuildConfig, build
from lbctl.model.gateway import Gateway, Route, parse
from lbctl.model.gateway_attach import attach
from lbctl.model.gateway_convert import GatewayConversion, convert_spec
from lbctl.model.gateway_routing import Entry, evaluate, route_table
from lbctl.model.matching import DEFAULT_PORTS, Request, RouteResult, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec

ROOT = Path(__file__).resolve().parents[2]
# every example, and one using what the conversion expresses beyond them (conditions, actions, rewrites …)
EXAMPLES = [
    *sorted((ROOT / "docs" / "examples").glob("*.yaml")),
    ROOT / "tests" / "data" / "convert-features.yaml",
]
VARIANTS = [  # (method, headers, query) of the conditions in convert-features.yaml, and none
    ("GET", {}, {}),
    ("POST", {"X-Tier": "gold"}, {}),
    ("PUT", {"x-tier": "silver"}, {}),
    ("DELETE", {"X-Tier": "gold"}, {}),
    ("GET", {}, {"v": "2"}),
]


def _specs(objects: list[dict[str, Any]]) -> tuple[ClusterSnapshot, list[LoadBalancerSpec]]:
    snapshot = ClusterSnapshot.from_objects(objects)
    specs = []
    for provider in PROFILES:
        specs += build(snapshot, BuildConfig.for_provider(provider, assume_missing=True)).specs
    return snapshot, specs


def _requests(spec: LoadBalancerSpec) -> list[Request]:
    """Hosts × paths from the rules, plus hosts and paths no rule names, on every listener."""
    hosts = {"unmatched.example.org"}
    paths = {"/", "/nothing", "/x/y"}
    for rule in spec.rules:
        if rule.host:
            hosts.add(rule.host.replace("*", "a"))
        if rule.path:
            base = rule.path.path.rstrip("*")
            paths.update({base, base.rstrip("/") or "/", base.rstrip("/") + "/", base + "/x", base + "x"})
    variants = VARIANTS if any(rule.conditions for rule in spec.rules) else VARIANTS[:1]
    return [
        Request(host, path, method, headers, {"q": "1", **query}, listener.port, listener.protocol.lower())
        for listener in spec.frontend.listeners
        for host in sorted(hosts)
        for path in sorted(paths)
        for method, headers, query in variants
    ]


def _ingress_answer(spec: LoadBalancerSpec, found: RouteResult) -> tuple[Any, ...]:
    if found.location is not None:
        return ("redirect", found.status, _normal(found.location))
    if found.action is None or found.action.type != "forward":
        return ("status", found.status)
    targets = sorted(
        (
            spec.backends[t.backend_key].namespace,
            spec.backends[t.backend_key].service,
            spec.backends[t.backend_key].port,
        )
        for t in found.action.forward
        if t.backend_key
    )
    return ("forward", tuple(targets), found.backend_path)


def _normal(location: str) -> str:
    return re.sub(
        r"^(http://[^/:]+):80(?=/|\?|$)|^(https://[^/:]+):443(?=/|\?|$)",
        lambda m: m.group(1) or m.group(2),
        location,
    )


def _gateway_answer(entry: Entry | None, request: Request, listener_port: int) -> tuple[Any, ...]:
    """The answer of the entry the Gateway API evaluation reaches: RequestRedirect and URLRewrite as the spec
    defines them (the redirect port: the filter's, else the scheme's well-known port, else the listener's)."""
    if entry is None:
        return ("status", 404)
    filters = {f["type"]: f for f in entry.rule.filters}
    if "RequestRedirect" in filters:
        redirect = filters["RequestRedirect"]["requestRedirect"]
        scheme = redirect.get("scheme") or request.scheme or "http"
        port = redirect.get("port") or (DEFAULT_PORTS[scheme] if "scheme" in redirect else listener_port)
        host = redirect.get("hostname") or request.host.split(":")[0].lower()
        path = redirect.get("path", {}).get("replaceFullPath", request.bare_path)
        query = request.query_string()
        location = f"{scheme}://{host}:{port}{path}" + (f"?{query}" if query else "")
        return ("redirect", redirect.get("statusCode", 302), _normal(location))
    path = request.bare_path
    rewrite = filters.get("URLRewrite", {}).get("urlRewrite", {}).get("path")
    if rewrite and rewrite["type"] == "ReplaceFullPath":
        path = rewrite["replaceFullPath"]
    elif rewrite:
        matched = entry.match.path.value.rstrip("/") if entry.match.path else ""  # type: ignore[union-attr]
        rest = path[len(matched) :].lstrip("/")
        replacement = rewrite["replacePrefixMatch"]
        path = replacement.rstrip("/") + "/" + rest if rest else replacement
    targets = tuple(sorted((b.namespace, b.name, b.port) for b in entry.rule.backend_refs))
    return ("forward", targets, path)


def _tables(conversion: GatewayConversion) -> dict[int, list[Entry]]:
    parsed = [parse(obj) for obj in conversion.objects if obj["apiVersion"].startswith("gateway.networking")]
    (gateway,) = [p for p in parsed if isinstance(p, Gateway)]
    routes = [p for p in parsed if isinstance(p, Route)]
    labels = {r.namespace: {"kubernetes.io/metadata.name": r.namespace} for r in routes}
    tables = {}
    for listener in gateway.listeners:
        attached = [
            (route, attach(route, parent, gateway, labels))
            for route in routes
            for parent in route.parent_refs
        ]
        tables[listener.port] = route_table(attached, listener)
    return tables


CONVERTIBLE = []
for example in EXAMPLES:
    snapshot, specs = _specs([d for d in yaml.safe_load_all(example.read_text()) if d])
    CONVERTIBLE += [(example.name, snapshot, spec) for spec in specs]


@pytest.mark.parametrize(
    ("name", "snapshot", "spec"), CONVERTIBLE, ids=[f"{c[0]}-{c[2].provider}" for c in CONVERTIBLE]
)
def test_converted_routes_answer_every_request_as_the_ingresses(
    name: str, snapshot: ClusterSnapshot, spec: LoadBalancerSpec
) -> None:
    conversion = convert_spec(spec, snapshot.ingresses)
    tables = _tables(conversion)
    requests = _requests(spec)
    assert requests
    for request in requests:
        expected = _ingress_answer(spec, first_match(spec, request))
        got = _gateway_answer(evaluate(tables[request.port or 80], request), request, request.port or 80)
        assert got == expected, (name, request)


def test_the_cases_cover_both_clouds_conditions_redirects_and_rewrites() -> None:
    assert {spec.provider for _, _, spec in CONVERTIBLE} == {"aws", "gcp"}
    rules = [rule for _, _, spec in CONVERTIBLE for rule in spec.rules]
    assert {c.field for rule in rules for c in rule.conditions} >= {
        "http-header",
        "http-request-method",
        "query-string",
    }
    assert {rule.action.type for rule in rules} >= {"forward", "redirect"}
    assert any(rule.rewrite_path_prefix for rule in rules)
    assert any(x.redirect_to_https_port for _, _, spec in CONVERTIBLE for x in spec.frontend.listeners)


def test_what_cannot_be_expressed_is_reported_by_annotation() -> None:
    text = (ROOT / "tests" / "data" / "route-conditions.yaml").read_text()
    text = text.replace(
        "  annotations:\n",
        "  annotations:\n    alb.ingress.kubernetes.io/wafv2-acl-arn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/0a1b\n",
        1,
    )
    snapshot, (spec,) = _specs([d for d in yaml.safe_load_all(text) if d])
    conversion = convert_spec(spec, snapshot.ingresses, "edge")
    reported = {item.what: item.why for item in conversion.unexpressed}
    assert "source-ip" in reported["alb.ingress.kubernetes.io/conditions.office"]
    assert "fixed response" in reported["alb.ingress.kubernetes.io/actions.gone"]
    assert "certificate" in reported["alb.ingress.kubernetes.io/certificate-arn"]
    assert "lbctl's Gateway does not read it" in reported["alb.ingress.kubernetes.io/wafv2-acl-arn"]
    assert {item.object for item in conversion.unexpressed} == {"Ingress shop/web"}
    gateway = conversion.objects[0]
    assert (gateway["kind"], gateway["spec"]["gatewayClassName"]) == ("Gateway", "edge")
    # what is expressed is not reported: listeners, ssl-redirect, the header/method and query conditions
    assert not {"alb.ingress.kubernetes.io/listen-ports", "alb.ingress.kubernetes.io/ssl-redirect"} & set(
        reported
    )


def _kinds(conversion: GatewayConversion) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for obj in conversion.objects:
        out.setdefault(obj["kind"], []).append(obj)
    return out


def test_anchor_policies_carry_health_checks_and_backend_settings() -> None:
    """AWS: the health check annotations as TargetGroupConfiguration per Service (and Gateway annotations lbctl
    reads); GCP: a BackendConfig as HealthCheckPolicy + GCPBackendPolicy, its CDN reported on the Service."""
    snapshot, (spec,) = _specs(
        [d for d in yaml.safe_load_all((ROOT / "docs/examples/two-services.yaml").read_text()) if d]
    )
    aws = _kinds(convert_spec(spec, snapshot.ingresses))
    (users,) = [t for t in aws["TargetGroupConfiguration"] if t["spec"]["targetReference"]["name"] == "users"]
    assert users["spec"]["defaultConfiguration"]["healthCheckConfig"]["healthCheckPath"] == "/healthz"
    assert (
        aws["Gateway"][0]["metadata"]["annotations"]["alb.ingress.kubernetes.io/healthcheck-path"]
        == "/healthz"
    )
    objects = yaml.safe_load_all(
        """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default, annotations: {kubernetes.io/ingress.class: gce}}
spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, annotations: {cloud.google.com/backend-config: '{"default": "bc"}'}}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
---
apiVersion: cloud.google.com/v1
kind: BackendConfig
metadata: {name: bc, namespace: default}
spec:
  timeoutSec: 40
  sessionAffinity: {affinityType: GENERATED_COOKIE, affinityCookieTtlSec: 50}
  healthCheck: {requestPath: /hc, checkIntervalSec: 7, type: HTTP}
  cdn: {enabled: true}
"""
    )
    snapshot, (spec,) = _specs([d for d in objects if d])
    conversion = convert_spec(spec, snapshot.ingresses)
    gcp = _kinds(conversion)
    (check,) = gcp["HealthCheckPolicy"]
    assert check["spec"]["default"]["config"]["httpHealthCheck"]["requestPath"] == "/hc"
    assert check["spec"]["default"]["checkIntervalSec"] == 7
    (backend,) = gcp["GCPBackendPolicy"]
    assert backend["spec"]["default"]["timeoutSec"] == 40
    assert backend["spec"]["default"]["sessionAffinity"] == {"type": "GENERATED_COOKIE", "cookieTtlSec": 50}
    assert backend["spec"]["targetRef"] == {"group": "", "kind": "Service", "name": "web"}
    assert [(u.object, u.what) for u in conversion.unexpressed] == [
        ("Service default/web", "BackendConfig cdn")
    ]


def test_a_rule_the_gateway_api_orders_before_an_earlier_one_is_reported() -> None:
    """Two ALB rules on one path, a header condition listed before a method condition: the Ingress tries them
    in that order, the Gateway API tries a method match first — reported on the method rule's annotation."""
    conditions = {
        "alb.ingress.kubernetes.io/conditions.by-header": '[{"field": "http-header", "httpHeaderConfig": '
        '{"httpHeaderName": "X-A", "values": ["1"]}}]',
        "alb.ingress.kubernetes.io/conditions.by-method": '[{"field": "http-request-method", '
        '"httpRequestMethodConfig": {"Values": ["POST"]}}]',
    }
    paths = [
        {"path": "/p", "pathType": "Prefix", "backend": {"service": {"name": n, "port": {"number": 80}}}}
        for n in ("by-header", "by-method")
    ]
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "default", "annotations": conditions},
        "spec": {"ingressClassName": "alb", "rules": [{"http": {"paths": paths}}]},
    }
    snapshot, (spec,) = _specs([ingress])
    conversion = convert_spec(spec, snapshot.ingresses)
    (item,) = [u for u in conversion.unexpressed if "tries" in u.why]
    assert item.what == "alb.ingress.kubernetes.io/conditions.by-method", item
    request = Request("h", "/p", "POST", {"X-A": "1"})
    assert spec.backends[first_match(spec, request).action.forward[0].backend_key].service == "by-header"  # type: ignore[union-attr]
    entry = evaluate(_tables(conversion)[80], request)
    assert entry is not None and entry.rule.backend_refs[0].name == "by-method"
