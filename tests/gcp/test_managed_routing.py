"""A managed-routing (Gateway API) spec on the Compute emulator through google-cloud-compute: the global external
Application Load Balancer with advanced traffic management (EXTERNAL_MANAGED, URL map routeRules), converged
once, then again with no write; the URL maps the emulator holds route requests as the spec says."""

from __future__ import annotations

from typing import Any

import yaml
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import PROJECT, example_objects, of, wait
from emulators.testing.specs import gateway_stack
from lbctl.cloudcalls import is_mutating
from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import build_gateways
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import StackInput
from providers.gcp.provider import GcpProvider
from providers.gcp.translate import backend_service_name
from providers.gcp.urlmap_route import Request, select_host_rule, select_route_rule

USERS, PRODUCTS = "default/users:80", "default/products:80"
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
  addresses: [{type: NamedAddress, value: shop-ip}]
  listeners:
  - {name: http, protocol: HTTP, port: 80}
  - {name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: shop-tls}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: to-https, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: store, sectionName: http}]
  rules:
  - filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 301}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: store, sectionName: https}]
  hostnames: [shop.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /users}, headers: [{name: x-track, value: canary}]}]
    filters:
    - {type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /v2/users}}}
    - {type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x-gw, value: lbctl}], remove: [x-debug]}}
    backendRefs: [{name: users, port: 80, weight: 80}, {name: products, port: 80, weight: 20}]
    timeouts: {request: 15s}
  - matches: [{path: {type: Exact, value: /products}, method: GET, queryParams: [{name: view, value: full}]}]
    backendRefs: [{name: products, port: 80}]
  - backendRefs: [{name: users, port: 80}]
"""


def managed_stack() -> StackInput:
    """The example's Services, Secret and nodes behind a Gateway (built through the real model): HTTP (80) only
    redirects to HTTPS; HTTPS (443) routes by header, method, query and path, with weights, a prefix rewrite,
    header edits and a timeout, on the reserved address."""
    objects = [o for o in example_objects() if o["kind"] != "Ingress"]
    snapshot = ClusterSnapshot.from_objects(objects + [o for o in yaml.safe_load_all(GATEWAY) if o])
    config = BuildConfig.for_provider("gcp")
    built = build_gateways(snapshot, config, config.gateway_controller_names)
    assert not built.problems
    (spec,) = built.specs
    return StackInput.from_snapshot(spec, snapshot)


def _url_map_for(emulator: ComputeEmulator, proxy_collection: str) -> dict[str, Any]:
    proxy = of(emulator, proxy_collection)[0]
    name = str(proxy["urlMap"]).rsplit("/", 1)[-1]
    return next(m for m in of(emulator, "urlMaps") if m["name"] == name)


def _where(url_map: dict[str, Any], request: Request) -> Any:
    host_rule = select_host_rule(url_map, request.host)  # type: ignore[arg-type]
    assert host_rule is not None
    matcher = next(m for m in url_map["pathMatchers"] if m["name"] == host_rule["pathMatcher"])
    return select_route_rule(matcher, request)


def test_managed_spec_converges_to_route_rules_then_makes_no_write(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    stack = managed_stack()
    first = provider.converge(stack)
    assert first.changes and not first.warnings
    assert first.address == of(emulator, "forwardingRules")[0]["IPAddress"]
    assert {b["loadBalancingScheme"] for b in of(emulator, "backendServices")} == {"EXTERNAL_MANAGED"}
    assert {f["loadBalancingScheme"] for f in of(emulator, "forwardingRules")} == {"EXTERNAL_MANAGED"}
    assert len(of(emulator, "urlMaps")) == 2  # the HTTP listener's rules differ from the HTTPS one's

    http_map = _url_map_for(emulator, "targetHttpProxies")
    redirect = _where(http_map, Request("shop.example.com", "/users/1"))
    assert redirect["urlRedirect"]["httpsRedirect"] is True
    assert redirect["urlRedirect"]["redirectResponseCode"] == "MOVED_PERMANENTLY_DEFAULT"

    https_map = _url_map_for(emulator, "targetHttpsProxies")
    canary = _where(https_map, Request("shop.example.com", "/users/7", headers={"X-Track": "canary"}))
    users, products_service = (
        backend_service_name("test", stack.spec.stack, stack.spec.backends[k]) for k in (USERS, PRODUCTS)
    )
    weights = {
        w["backendService"].rsplit("/", 1)[-1]: w["weight"]
        for w in canary["routeAction"]["weightedBackendServices"]
    }
    assert weights == {users: 80, products_service: 20}
    assert canary["routeAction"]["urlRewrite"] == {"pathPrefixRewrite": "/v2/users/"}
    assert canary["routeAction"]["timeout"]["seconds"] == "15"
    assert canary["headerAction"]["requestHeadersToRemove"] == ["x-debug"]
    products = _where(https_map, Request("shop.example.com", "/products", "GET", query={"view": "full"}))
    assert products["service"].endswith(f"/{products_service}")
    fallback = _where(https_map, Request("shop.example.com", "/products", "POST", query={"view": "full"}))
    assert fallback is not None
    assert fallback["service"].endswith(f"/{users}")

    described = {(r["conditions"][-1], r["action"]) for r in provider.describe(stack.spec.stack)["rules"]}
    assert ("path prefix /", "redirect MOVED_PERMANENTLY_DEFAULT to the same path over HTTPS") in described
    weighted = f"→ {users} (weight 80), {products_service} (weight 20)"
    assert (
        "path prefix /users/ and header x-track canary",
        f"{weighted} (rewrite prefix to /v2/users/) (timeout 15s)",
    ) in described
    assert ("path /products and method GET and query view=full", f"→ {products_service}") in described
    assert ("anything else", "answer 404") in described

    provider.stats.reset()
    emulator.clear_requests()
    again = provider.converge(managed_stack())
    assert again.changes == [] and provider.stats.total(mutating=True) == 0
    assert not [r.api_method for r in emulator.requests if is_mutating(r.api_method)]


NO_ROUTES = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/gce}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: empty, namespace: default}
spec:
  gatewayClassName: lbctl
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: default-http-backend, namespace: kube-system}
spec:
  type: NodePort
  selector: {k8s-app: glbc}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30999}]
"""


def test_a_gateway_without_routes_answers_404_from_its_url_map(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    """A URL map needs a backend service even to answer 404: with no route yet, the cluster default backend
    anchors it (as GKE's Gateway uses its own 404 backend), so the Gateway is served before its first route."""
    stack = gateway_stack(NO_ROUTES, "gcp", [o for o in example_objects() if o["kind"] == "Node"])
    assert stack.spec.cluster_default == "kube-system/default-http-backend:80" and stack.spec.rules == []
    result = provider.converge(stack)
    assert result.address and not result.errors
    (url_map,) = of(emulator, "urlMaps")
    abort = url_map["defaultRouteAction"]["faultInjectionPolicy"]["abort"]
    assert (abort["httpStatus"], abort["percentage"]) == (404, 100)
    (service,) = of(emulator, "backendServices")
    assert url_map["defaultRouteAction"]["weightedBackendServices"][0]["backendService"].endswith(
        service["name"]
    )


PRE_SHARED = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/gce}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tls, namespace: default}
spec:
  gatewayClassName: lbctl
  listeners:
  - name: https
    protocol: HTTPS
    port: 443
    tls: {options: {networking.gke.io/pre-shared-certs: shared-cert}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: tls, namespace: default}
spec:
  parentRefs: [{name: tls}]
  rules: [{backendRefs: [{name: users, port: 80}]}]
"""


def test_an_https_only_gateway_with_a_pre_shared_certificate(
    emulator: ComputeEmulator, clients: Clients, provider: GcpProvider
) -> None:
    """GKE's `networking.gke.io/pre-shared-certs` listener option names an SslCertificate of the project: the
    HTTPS proxy carries it, and no HTTP forwarding rule is made for a Gateway without an HTTP listener."""
    certificate = compute_v1.SslCertificate(
        name="shared-cert",
        certificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        private_key="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    )
    wait(clients, clients.ssl_certificates.insert(project=PROJECT, ssl_certificate_resource=certificate))
    objects = [o for o in example_objects() if o["kind"] != "Ingress"]
    provider.converge(gateway_stack(PRE_SHARED, "gcp", objects))
    (proxy,) = of(emulator, "targetHttpsProxies")
    assert [c.rsplit("/", 1)[-1] for c in proxy["sslCertificates"]] == ["shared-cert"]
    assert of(emulator, "targetHttpProxies") == []
    assert [r["portRange"] for r in of(emulator, "forwardingRules")] == ["443-443"]
