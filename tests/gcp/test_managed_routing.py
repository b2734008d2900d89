"""A managed-routing (Gateway API) spec on the Compute emulator through google-cloud-compute: the global external
Application Load Balancer with advanced traffic management (EXTERNAL_MANAGED, URL map routeRules), converged
once, then again with no write; the URL maps the emulator holds route requests as the spec says."""

from __future__ import annotations

from typing import Any

from emulators.gce import ComputeEmulator
from emulators.testing.gcp_stacks import example_objects, of, stack_from
from lbctl.cloudcalls import is_mutating
from lbctl.model.spec import (
    Action,
    Condition,
    HeaderEdit,
    PathMatch,
    PathType,
    Redirect,
    Rule,
    SourceRef,
    WeightedTarget,
)
from lbctl.provider import StackInput
from providers.gcp.provider import GcpProvider
from providers.gcp.translate import backend_service_name
from providers.gcp.urlmap_route import Request, select_host_rule, select_route_rule

USERS, PRODUCTS = "default/users:80", "default/products:80"


def _source(index: int) -> SourceRef:
    return SourceRef("default/store", f"spec.rules[{index}]")


def managed_stack() -> StackInput:
    """The example's backends behind Gateway-style rules: HTTP (80) only redirects to HTTPS; HTTPS (443) routes
    by header, method, query and path, with weights, a prefix rewrite, header edits and a timeout."""
    stack = stack_from(example_objects())
    spec = stack.spec
    spec.frontend.managed_routing = True
    spec.default_action = None
    spec.rules = [
        Rule(
            _source(0),
            "shop.example.com",
            None,
            Action("redirect", redirect=Redirect("HTTP_301", protocol="HTTPS")),
            listen_ports=[80],
        ),
        Rule(
            _source(1),
            "shop.example.com",
            PathMatch(PathType.PREFIX, "/users"),
            Action(
                "forward", forward=[WeightedTarget(USERS, weight=80), WeightedTarget(PRODUCTS, weight=20)]
            ),
            conditions=[Condition("http-header", ["canary"], header_name="x-track")],
            listen_ports=[443],
            rewrite_path_prefix="/v2/users",
            request_headers=HeaderEdit(set={"x-gw": "lbctl"}, remove=["x-debug"]),
            timeout_seconds=15,
        ),
        Rule(
            _source(2),
            "shop.example.com",
            PathMatch(PathType.EXACT, "/products"),
            Action.to_backend(PRODUCTS),
            conditions=[
                Condition("http-request-method", ["GET"]),
                Condition("query-string", [], query=[{"key": "view", "value": "full"}]),
            ],
            listen_ports=[443],
        ),
        Rule(_source(3), None, PathMatch(PathType.PREFIX, "/"), Action.to_backend(USERS), listen_ports=[443]),
    ]
    return stack


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
    assert fallback["service"].endswith(f"/{users}")

    provider.stats.reset()
    emulator.clear_requests()
    again = provider.converge(managed_stack())
    assert again.changes == [] and provider.stats.total(mutating=True) == 0
    assert not [r.api_method for r in emulator.requests if is_mutating(r.api_method)]
