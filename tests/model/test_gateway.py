"""The pure Gateway API model: parsing (with the CRDs' defaults), listener attachment, ReferenceGrant checks,
HTTPRoute match precedence and the per-parent status conditions. Table-driven; every case states a fact of the
Gateway API spec or its conformance suite in our own data."""

from __future__ import annotations

from typing import Any

import pytest

from lbctl.model.gateway import (
    GROUP,
    BackendRef,
    Gateway,
    GatewayApiError,
    ReferenceGrant,
    Route,
    parse,
    parse_gateway,
    parse_grpc_route,
    parse_http_route,
    parse_reference_grant,
)
from lbctl.model.gateway_attach import (
    attach,
    backend_problem,
    effective_hostnames,
    gateway_accepted,
    gateway_class_conditions,
    intersect,
    listener_status,
    merge_route_parents,
    resolved_refs,
    route_parent_statuses,
)
from lbctl.model.gateway_routing import Request, evaluate, path_matches, route_table

V1 = f"{GROUP}/v1"
CONTROLLER = "lbctl.io/alb"


def gateway_obj(*listeners: dict[str, Any], namespace: str = "infra", name: str = "edge") -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace, "generation": 3},
        "spec": {"gatewayClassName": "lbctl", "listeners": list(listeners)},
    }


def http(name: str = "http", port: int = 80, **extra: Any) -> dict[str, Any]:
    return {"name": name, "port": port, "protocol": "HTTP", **extra}


def route_obj(
    name: str,
    namespace: str = "infra",
    parents: list[dict[str, Any]] | None = None,
    hostnames: list[str] | None = None,
    rules: list[dict[str, Any]] | None = None,
    created: str = "2026-01-01T00:00:00Z",
    kind: str = "HTTPRoute",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "parentRefs": parents if parents is not None else [{"name": "edge", "namespace": "infra"}]
    }
    if hostnames is not None:
        spec["hostnames"] = hostnames
    if rules is not None:
        spec["rules"] = rules
    return {
        "apiVersion": V1,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": created, "generation": 2},
        "spec": spec,
    }


def to(service: str, port: int = 80, namespace: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": service, "port": port}
    if namespace:
        ref["namespace"] = namespace
    return ref


# ---- parsing ----------------------------------------------------------------------------------------------


def test_parsing_fills_in_the_crds_defaults() -> None:
    route = parse_http_route(route_obj("shop", rules=[{"backendRefs": [to("web")]}]))
    (parent,) = route.parent_refs
    assert (parent.group, parent.kind, parent.namespace) == (GROUP, "Gateway", "infra")
    (rule,) = route.rules
    assert [(m.path.type, m.path.value) for m in rule.matches if m.path] == [("PathPrefix", "/")]
    assert rule.backend_refs == (BackendRef("", "Service", "infra", "web", 80, 1),)
    bare = parse_http_route(route_obj("bare"))
    assert (
        len(bare.rules) == 1 and bare.rules[0].backend_refs == ()
    )  # no rules: one rule matching all, no backend
    gateway = parse_gateway(gateway_obj(http()))
    assert gateway.listeners[0].allowed_routes.namespaces_from == "Same"
    grpc = parse_grpc_route(
        route_obj("rpc", kind="GRPCRoute", rules=[{"matches": [{"method": {"service": "a.B"}}]}])
    )
    assert grpc.rules[0].matches[0].type == "Exact"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (gateway_obj(), "spec.listeners"),
        (gateway_obj(http(), http()), "spec.listeners[1].name"),
        (gateway_obj(http(port=0)), "spec.listeners[0].port"),
        (gateway_obj(http(hostname="10.0.0.1")), "spec.listeners[0].hostname"),
        (gateway_obj(http(hostname="Shop.example.com")), "spec.listeners[0].hostname"),
        (
            gateway_obj(http(allowedRoutes={"namespaces": {"from": "Other"}})),
            "spec.listeners[0].allowedRoutes.namespaces.from",
        ),
        (
            gateway_obj(http(allowedRoutes={"namespaces": {"from": "Selector"}})),
            "spec.listeners[0].allowedRoutes.namespaces.selector",
        ),
        (
            route_obj("r", rules=[{"matches": [{"path": {"type": "Glob"}}]}]),
            "spec.rules[0].matches[0].path.type",
        ),
        (
            route_obj("r", rules=[{"matches": [{"path": {"value": "no-slash"}}]}]),
            "spec.rules[0].matches[0].path.value",
        ),
        (route_obj("r", rules=[{"matches": [{"method": "FETCH"}]}]), "spec.rules[0].matches[0].method"),
        (route_obj("r", rules=[{"backendRefs": [{"name": "web"}]}]), "spec.rules[0].backendRefs[0].port"),
        (
            route_obj("r", rules=[{"backendRefs": [to("web") | {"weight": -1}]}]),
            "spec.rules[0].backendRefs[0].weight",
        ),
        (route_obj("r", rules=[{"filters": [{"type": "Teleport"}]}]), "spec.rules[0].filters[0].type"),
        (route_obj("r", hostnames=["*"]), "spec.hostnames[0]"),
        (route_obj("r", parents=[{"name": f"g{i}"} for i in range(33)]), "spec.parentRefs"),
    ],
)
def test_what_the_schema_refuses_is_refused_naming_the_field(obj: dict[str, Any], field: str) -> None:
    with pytest.raises(GatewayApiError) as refused:
        parse(obj)
    assert refused.value.field == field


def test_only_the_first_of_equivalent_header_names_counts() -> None:
    route = parse_http_route(
        route_obj(
            "r",
            rules=[
                {"matches": [{"headers": [{"name": "X-A", "value": "1"}, {"name": "x-a", "value": "2"}]}]}
            ],
        )
    )
    assert [(h.name, h.value) for h in route.rules[0].matches[0].headers] == [("X-A", "1")]  # type: ignore[union-attr]


# ---- hostnames --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listener", "route", "result"),
    [
        (None, "shop.example.com", "shop.example.com"),
        ("shop.example.com", "shop.example.com", "shop.example.com"),
        ("shop.example.com", "*.example.com", "shop.example.com"),
        ("*.example.com", "shop.example.com", "shop.example.com"),
        ("*.example.com", "a.b.example.com", "a.b.example.com"),  # a wildcard covers more than one label
        ("*.example.com", "example.com", None),
        ("*.example.com", "shop.example.net", None),
        ("*.example.com", "*.shop.example.com", "*.shop.example.com"),
        ("*.shop.example.com", "*.example.com", "*.shop.example.com"),
        ("shop.example.com", "cart.example.com", None),
    ],
)
def test_hostname_intersection(listener: str | None, route: str, result: str | None) -> None:
    assert intersect(listener, route) == result


def test_only_intersecting_route_hostnames_are_used() -> None:
    listener = parse_gateway(gateway_obj(http(hostname="*.example.com"))).listeners[0]
    route = parse_http_route(route_obj("r", hostnames=["test.example.com", "test.example.net"]))
    assert effective_hostnames(listener, route) == ("test.example.com",)


# ---- attachment -------------------------------------------------------------------------------------------

LABELS = {"infra": {"team": "infra"}, "shop": {"team": "shop", "env": "prod"}, "dev": {"env": "dev"}}


def _attach(gateway: dict[str, Any], route: dict[str, Any]) -> tuple[str, str, list[str]]:
    parsed_route = parse_http_route(route)
    outcome = attach(parsed_route, parsed_route.parent_refs[0], parse_gateway(gateway), LABELS)
    return outcome.accepted.status, outcome.accepted.reason, sorted(outcome.listeners)


SELECT_PROD = {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"env": "prod"}}}}
ONLY_GRPC = {"kinds": [{"kind": "GRPCRoute"}]}
TWO = gateway_obj(http("a", 80), http("b", 8080, hostname="b.example.com"))


@pytest.mark.parametrize(
    ("gateway", "route", "expected"),
    [
        # no sectionName and no port: every listener that admits the route
        (TWO, route_obj("r"), ("True", "Accepted", ["a", "b"])),
        (TWO, route_obj("r", parents=[{"name": "edge", "sectionName": "b"}]), ("True", "Accepted", ["b"])),
        (TWO, route_obj("r", parents=[{"name": "edge", "port": 80}]), ("True", "Accepted", ["a"])),
        (
            TWO,
            route_obj("r", parents=[{"name": "edge", "sectionName": "b", "port": 80}]),
            ("False", "NoMatchingParent", []),
        ),
        (
            TWO,
            route_obj("r", parents=[{"name": "edge", "sectionName": "c"}]),
            ("False", "NoMatchingParent", []),
        ),
        # allowedRoutes namespaces: Same by default
        (
            gateway_obj(http()),
            route_obj("r", "shop", [{"name": "edge", "namespace": "infra"}]),
            ("False", "NotAllowedByListeners", []),
        ),
        (
            gateway_obj(http(allowedRoutes={"namespaces": {"from": "All"}})),
            route_obj("r", "dev", [{"name": "edge", "namespace": "infra"}]),
            ("True", "Accepted", ["http"]),
        ),
        (
            gateway_obj(http(allowedRoutes=SELECT_PROD)),
            route_obj("r", "shop", [{"name": "edge", "namespace": "infra"}]),
            ("True", "Accepted", ["http"]),
        ),
        (
            gateway_obj(http(allowedRoutes=SELECT_PROD)),
            route_obj("r", "dev", [{"name": "edge", "namespace": "infra"}]),
            ("False", "NotAllowedByListeners", []),
        ),
        # allowedRoutes kinds
        (gateway_obj(http(allowedRoutes=ONLY_GRPC)), route_obj("r"), ("False", "NotAllowedByListeners", [])),
        (
            gateway_obj({"name": "tcp", "port": 9000, "protocol": "TCP"}),
            route_obj("r"),
            ("False", "NotAllowedByListeners", []),
        ),
        # hostnames: one listener of two intersecting is enough
        (TWO, route_obj("r", hostnames=["b.example.com"]), ("True", "Accepted", ["a", "b"])),
        (
            gateway_obj(http(hostname="a.example.com")),
            route_obj("r", hostnames=["b.example.com"]),
            ("False", "NoMatchingListenerHostname", []),
        ),
        # namespace check comes before the hostname check
        (
            gateway_obj(http(hostname="a.example.com")),
            route_obj("r", "dev", [{"name": "edge", "namespace": "infra"}], hostnames=["b.example.com"]),
            ("False", "NotAllowedByListeners", []),
        ),
    ],
)
def test_attachment(
    gateway: dict[str, Any], route: dict[str, Any], expected: tuple[str, str, list[str]]
) -> None:
    assert _attach(gateway, route) == expected


# ---- references -------------------------------------------------------------------------------------------


def grant(namespace: str, from_ns: str, kind: str = "HTTPRoute", name: str | None = None) -> ReferenceGrant:
    target: dict[str, Any] = {"group": "", "kind": "Service"}
    if name:
        target["name"] = name
    return parse_reference_grant(
        {
            "apiVersion": f"{GROUP}/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": namespace},
            "spec": {"from": [{"group": GROUP, "kind": kind, "namespace": from_ns}], "to": [target]},
        }
    )


SERVICES = {("shop", "web"), ("backends", "api")}
CROSS = route_obj("r", "shop", rules=[{"backendRefs": [to("api", namespace="backends")]}])


@pytest.mark.parametrize(
    ("route", "grants", "reason"),
    [
        (route_obj("r", "shop", rules=[{"backendRefs": [to("web")]}]), [], "ResolvedRefs"),
        (CROSS, [], "RefNotPermitted"),
        (CROSS, [grant("backends", "shop")], "ResolvedRefs"),
        (CROSS, [grant("backends", "shop", name="api")], "ResolvedRefs"),
        (CROSS, [grant("backends", "shop", name="other")], "RefNotPermitted"),
        (CROSS, [grant("backends", "elsewhere")], "RefNotPermitted"),
        (CROSS, [grant("backends", "shop", kind="GRPCRoute")], "RefNotPermitted"),
        (CROSS, [grant("shop", "shop")], "RefNotPermitted"),  # the grant lives in the target's namespace
        (route_obj("r", "shop", rules=[{"backendRefs": [to("gone")]}]), [], "BackendNotFound"),
        (
            route_obj(
                "r",
                "shop",
                rules=[{"backendRefs": [{"name": "b", "kind": "Bucket", "group": "storage.example.com"}]}],
            ),
            [],
            "InvalidKind",
        ),
    ],
)
def test_backend_references(route: dict[str, Any], grants: list[ReferenceGrant], reason: str) -> None:
    condition, bad = resolved_refs(parse_http_route(route), grants, SERVICES)
    assert condition.reason == reason
    assert condition.status == ("True" if reason == "ResolvedRefs" else "False")
    assert bool(bad) == (reason != "ResolvedRefs")


def test_a_refused_backend_leaves_the_routes_other_backends_usable() -> None:
    route = parse_http_route(
        route_obj("r", "shop", rules=[{"backendRefs": [to("web"), to("api", namespace="backends")]}])
    )
    condition, bad = resolved_refs(route, [], SERVICES)
    assert condition.reason == "RefNotPermitted"
    assert [r.name for r in bad] == ["api"]
    assert backend_problem(route, route.rules[0].backend_refs[0], [], SERVICES) is None


# ---- status -----------------------------------------------------------------------------------------------


def test_route_status_has_one_entry_per_own_parent_with_observed_generation() -> None:
    gateways = {("infra", "edge"): parse_gateway(gateway_obj(http()))}
    route = parse_http_route(
        route_obj(
            "r",
            "infra",
            [{"name": "edge"}, {"name": "edge", "sectionName": "nope"}, {"name": "foreign"}],
            rules=[{"backendRefs": [to("web")]}],
        )
    )
    statuses = route_parent_statuses(route, gateways, CONTROLLER, LABELS, [], {("infra", "web")})
    assert [s["parentRef"] for s in statuses] == [
        {"group": GROUP, "kind": "Gateway", "namespace": "infra", "name": "edge"},
        {"group": GROUP, "kind": "Gateway", "namespace": "infra", "name": "edge", "sectionName": "nope"},
    ]
    assert [
        [(c["type"], c["status"], c["reason"], c["observedGeneration"]) for c in s["conditions"]]
        for s in statuses
    ] == [
        [("Accepted", "True", "Accepted", 2), ("ResolvedRefs", "True", "ResolvedRefs", 2)],
        [("Accepted", "False", "NoMatchingParent", 2), ("ResolvedRefs", "True", "ResolvedRefs", 2)],
    ]
    assert all(s["controllerName"] == CONTROLLER for s in statuses)


def test_status_merge_keeps_other_controllers_and_unchanged_transition_times() -> None:
    ref = {"group": GROUP, "kind": "Gateway", "namespace": "infra", "name": "edge"}
    theirs = {
        "parentRef": {**ref, "name": "mesh"},
        "controllerName": "example.com/mesh",
        "conditions": [{"type": "Accepted"}],
    }
    before = {
        "parentRef": ref,
        "controllerName": CONTROLLER,
        "conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": "T0"},
            {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "lastTransitionTime": "T0"},
            {"type": "example.com/Extra", "status": "True", "lastTransitionTime": "T0"},
        ],
    }
    ours = {
        "parentRef": ref,
        "controllerName": CONTROLLER,
        "conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted"},
            {"type": "ResolvedRefs", "status": "False", "reason": "RefNotPermitted"},
        ],
    }
    merged = merge_route_parents([theirs, before], [ours], CONTROLLER, "T1")
    assert merged[0] == theirs
    times = {c["type"]: c["lastTransitionTime"] for c in merged[1]["conditions"]}
    assert times == {"Accepted": "T0", "ResolvedRefs": "T1", "example.com/Extra": "T0"}


def test_listener_status() -> None:
    gateway = parse_gateway(
        gateway_obj(
            http("a", 80),
            http("b", 80),
            {
                "name": "tls",
                "port": 443,
                "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "cert", "namespace": "certs"}]},
            },
            {"name": "raw", "port": 80, "protocol": "TCP"},
        )
    )
    routes = [
        parse_http_route(route_obj("r1")),
        parse_http_route(route_obj("r2", parents=[{"name": "edge", "sectionName": "a"}])),
    ]
    by_name = {
        listener.name: listener_status(gateway, listener, routes, LABELS, [], {("certs", "cert")})
        for listener in gateway.listeners
    }

    def conditions(name: str) -> dict[str, tuple[str, str]]:
        return {c["type"]: (c["status"], c["reason"]) for c in by_name[name]["conditions"]}

    assert by_name["a"]["attachedRoutes"] == 2 and by_name["b"]["attachedRoutes"] == 1
    assert by_name["a"]["supportedKinds"] == [
        {"group": GROUP, "kind": "HTTPRoute"},
        {"group": GROUP, "kind": "GRPCRoute"},
    ]
    assert conditions("a")["Conflicted"] == ("True", "ProtocolConflict")  # the TCP listener shares port 80
    assert conditions("tls")["ResolvedRefs"] == (
        "False",
        "RefNotPermitted",
    )  # the Secret is in another namespace
    assert conditions("tls")["Conflicted"] == ("False", "NoConflicts")
    assert conditions("raw")["Accepted"] == ("False", "UnsupportedProtocol")
    same = parse_gateway(
        gateway_obj(http("a", 80, hostname="x.example.com"), http("b", 80, hostname="x.example.com"))
    )
    assert (
        listener_status(same, same.listeners[0], [], LABELS, [], set())["conditions"][2]["reason"]
        == "HostnameConflict"
    )


# ---- matching and precedence ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "path", "matched"),
    [
        ("PathPrefix", "/foo", "/foo", True),
        ("PathPrefix", "/foo", "/foo/", True),
        ("PathPrefix", "/foo", "/foo/bar", True),
        ("PathPrefix", "/foo", "/foobar", False),
        ("PathPrefix", "/foo/", "/foo", True),  # a trailing slash in the value is ignored
        ("PathPrefix", "/", "/anything", True),
        ("Exact", "/foo", "/foo", True),
        ("Exact", "/foo", "/foo/", False),
        ("Exact", "/foo", "/FOO", False),  # case-sensitive
        ("RegularExpression", "/v[0-9]+/.*", "/v2/users", True),
        ("RegularExpression", "/v[0-9]+/.*", "/va/users", False),
    ],
)
def test_path_matching(kind: str, value: str, path: str, matched: bool) -> None:
    route = parse_http_route(route_obj("r", rules=[{"matches": [{"path": {"type": kind, "value": value}}]}]))
    assert path_matches(route.rules[0].matches[0], path) is matched  # type: ignore[arg-type]


def _table(*routes: dict[str, Any], gateway: dict[str, Any] | None = None) -> list[Any]:
    parsed_gateway: Gateway = parse_gateway(
        gateway or gateway_obj(http(allowedRoutes={"namespaces": {"from": "All"}}))
    )
    attached: list[tuple[Route, Any]] = []
    for obj in routes:
        route = parse_http_route(obj)
        attached.append((route, attach(route, route.parent_refs[0], parsed_gateway, LABELS)))
    return route_table(attached, parsed_gateway.listeners[0])


def _rule(
    name: str,
    match: dict[str, Any],
    created: str = "2026-01-01T00:00:00Z",
    namespace: str = "infra",
    **extra: Any,
) -> dict[str, Any]:
    return route_obj(
        name,
        namespace,
        [{"name": "edge", "namespace": "infra"}],
        rules=[{"matches": [match], "backendRefs": [to(name)]}],
        created=created,
        **extra,
    )


PRECEDENCE_ROUTES = (
    _rule("prefix-short", {"path": {"type": "PathPrefix", "value": "/"}}),
    _rule("prefix-long", {"path": {"type": "PathPrefix", "value": "/shop"}}),
    _rule("exact", {"path": {"type": "Exact", "value": "/shop/cart"}}),
    _rule("method", {"path": {"type": "PathPrefix", "value": "/shop"}, "method": "POST"}),
    _rule(
        "one-header",
        {"path": {"type": "PathPrefix", "value": "/shop"}, "headers": [{"name": "x-tier", "value": "gold"}]},
    ),
    _rule(
        "two-headers",
        {
            "path": {"type": "PathPrefix", "value": "/shop"},
            "headers": [{"name": "x-tier", "value": "gold"}, {"name": "x-region", "value": "eu"}],
        },
    ),
    _rule(
        "query",
        {"path": {"type": "PathPrefix", "value": "/shop"}, "queryParams": [{"name": "beta", "value": "1"}]},
    ),
    _rule("method-vs-headers", {"path": {"type": "PathPrefix", "value": "/api"}, "method": "GET"}),
    _rule(
        "headers-vs-method",
        {
            "path": {"type": "PathPrefix", "value": "/api"},
            "headers": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}],
        },
    ),
    _rule("older", {"path": {"type": "PathPrefix", "value": "/tie"}}, created="2025-06-01T00:00:00Z"),
    _rule("newer", {"path": {"type": "PathPrefix", "value": "/tie"}}, created="2025-07-01T00:00:00Z"),
    _rule("b-name", {"path": {"type": "PathPrefix", "value": "/same"}}, namespace="infra"),
    _rule("a-name", {"path": {"type": "PathPrefix", "value": "/same"}}, namespace="infra"),
    _rule("z-namespace", {"path": {"type": "PathPrefix", "value": "/ns"}}, namespace="aaa"),
    _rule("a-namespace", {"path": {"type": "PathPrefix", "value": "/ns"}}, namespace="zzz"),
    _rule("exact-host", {"path": {"type": "PathPrefix", "value": "/"}}, hostnames=["a.example.com"]),
    _rule("wild-host", {"path": {"type": "Exact", "value": "/only"}}, hostnames=["*.example.com"]),
)


@pytest.mark.parametrize(
    ("request_", "winner"),
    [
        (Request("other.test", "/shop/cart"), "exact"),  # Exact beats a prefix, however long
        (Request("other.test", "/shop/cart/x"), "prefix-long"),  # the longer prefix wins
        (Request("other.test", "/shopping"), "prefix-short"),  # /shop is element-wise
        (Request("other.test", "/shop", "POST"), "method"),  # a method match before header matches
        (Request("other.test", "/shop", headers={"X-Tier": "gold", "x-region": "eu"}), "two-headers"),
        (Request("other.test", "/shop", headers={"x-tier": "gold"}), "one-header"),
        (
            Request("other.test", "/shop", headers={"x-tier": "gold"}, query={"beta": "1"}),
            "one-header",
        ),  # headers before query
        (Request("other.test", "/shop", query={"beta": "1"}), "query"),
        (Request("other.test", "/shop", query={"beta": "2"}), "prefix-long"),  # query values are exact
        (
            Request("other.test", "/api", headers={"a": "1", "b": "2"}),
            "method-vs-headers",
        ),  # method outranks headers
        (Request("other.test", "/api", "PUT", headers={"a": "1", "b": "2"}), "headers-vs-method"),
        (Request("other.test", "/tie"), "older"),  # the oldest route
        (Request("other.test", "/same"), "a-name"),  # then namespace/name
        (Request("other.test", "/ns"), "z-namespace"),  # namespace "aaa" sorts first
        (
            Request("a.example.com", "/only"),
            "exact-host",
        ),  # an exact hostname before a wildcard, whatever the path
        (Request("b.example.com", "/only"), "wild-host"),
        (Request("a.b.example.com:8080", "/only"), "wild-host"),  # port ignored, several labels covered
        (Request("example.com", "/only"), "prefix-short"),
    ],
)
def test_precedence(request_: Request, winner: str) -> None:
    found = evaluate(_table(*PRECEDENCE_ROUTES), request_)
    assert found is not None and found.route.name == winner


def test_first_rule_then_first_match_within_a_route() -> None:
    route = route_obj(
        "r",
        rules=[
            {
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/a"}},
                    {"path": {"type": "PathPrefix", "value": "/a"}, "method": "GET"},
                ]
            },
            {"matches": [{"path": {"type": "PathPrefix", "value": "/a"}}]},
        ],
    )
    table = _table(route)
    assert [(e.rule.index, e.match_index) for e in table] == [(0, 1), (0, 0), (1, 0)]
    found = evaluate(table, Request("h", "/a/b", "POST"))
    assert found is not None and (found.rule.index, found.match_index) == (0, 0)


def test_no_match_is_none_and_detached_routes_route_nothing() -> None:
    only = _rule("exact", {"path": {"type": "Exact", "value": "/x"}})
    assert evaluate(_table(only), Request("h", "/y")) is None
    refused = _rule("other-ns", {"path": {"type": "PathPrefix", "value": "/"}}, namespace="dev")
    assert (
        evaluate(_table(refused, gateway=gateway_obj(http())), Request("h", "/")) is None
    )  # Same namespace only


# ---- GRPCRoute ----------------------------------------------------------------------------------------------


def _grpc(
    name: str, method: dict[str, Any] | None, created: str = "2026-01-01T00:00:00Z", **extra: Any
) -> dict[str, Any]:
    match: dict[str, Any] = {} if method is None else {"method": method}
    match.update(extra.pop("match", {}))
    return route_obj(
        name,
        rules=[{"matches": [match], "backendRefs": [to(name, 50051)]}],
        created=created,
        kind="GRPCRoute",
        **extra,
    )


def _grpc_table(*routes: dict[str, Any]) -> list[Any]:
    gateway = parse_gateway(gateway_obj(http()))
    attached = []
    for obj in routes:
        route = parse_grpc_route(obj)
        attached.append((route, attach(route, route.parent_refs[0], gateway, LABELS)))
    return route_table(attached, gateway.listeners[0], kind="GRPCRoute")


GRPC_ROUTES = (
    _grpc("any", None),
    _grpc("service", {"service": "shop.Cart"}),
    _grpc("service-method", {"service": "shop.Cart", "method": "Add"}),
    _grpc("longer-service", {"service": "shop.CartV2"}),
    _grpc("method-only", {"method": "Add"}),
    _grpc("headers", {"service": "shop.Cart"}, match={"headers": [{"name": "x-canary", "value": "yes"}]}),
    _grpc("regex", {"type": "RegularExpression", "service": "shop\\.Pay.*"}),
    _grpc("host", None, hostnames=["rpc.example.com"]),
)


@pytest.mark.parametrize(
    ("request_", "winner"),
    [
        (Request("h", "/shop.Cart/Add", "POST"), "service-method"),  # service then method characters
        (Request("h", "/shop.Cart/Remove", "POST"), "service"),
        (
            Request("h", "/shop.Cart/Remove", "POST", headers={"X-Canary": "yes"}),
            "headers",
        ),  # ties: more headers
        (Request("h", "/shop.CartV2/Add", "POST"), "longer-service"),
        (Request("h", "/other.Svc/Add", "POST"), "method-only"),
        (Request("h", "/shop.Payments/Charge", "POST"), "regex"),
        (Request("h", "/other.Svc/Get", "POST"), "any"),
        (Request("rpc.example.com", "/shop.Cart/Add", "POST"), "host"),  # the hostname comes first
    ],
)
def test_grpc_precedence(request_: Request, winner: str) -> None:
    found = evaluate(_grpc_table(*GRPC_ROUTES), request_)
    assert found is not None and found.route.name == winner


def test_grpc_and_http_routes_are_ordered_apart() -> None:
    gateway = parse_gateway(gateway_obj(http()))
    grpc = parse_grpc_route(_grpc("rpc", {"service": "shop.Cart"}))
    web = parse_http_route(
        route_obj("web", rules=[{"matches": [{"path": {"type": "Exact", "value": "/shop.Cart/Add"}}]}])
    )
    attached = [(r, attach(r, r.parent_refs[0], gateway, LABELS)) for r in (grpc, web)]
    assert [e.route.name for e in route_table(attached, gateway.listeners[0])] == ["web"]
    assert [e.route.name for e in route_table(attached, gateway.listeners[0], kind="GRPCRoute")] == ["rpc"]
    assert (
        evaluate(
            route_table(attached, gateway.listeners[0], kind="GRPCRoute"),
            Request("h", "/shop.Cart/Add", "GET"),
        )
        is None
    )


# Matching across two routes sharing a hostname (the conformance suite's case, in our own data): a match of
# only headers has the default path PathPrefix "/", and the route serving one more hostname still routes it.
ACROSS = (
    route_obj(
        "store-a",
        hostnames=["store.test", "store.example"],
        rules=[
            {
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/"}},
                    {"headers": [{"name": "tier", "value": "a"}]},
                ],
                "backendRefs": [to("a")],
            }
        ],
    ),
    route_obj(
        "store-b",
        hostnames=["store.test"],
        rules=[
            {
                "matches": [
                    {"path": {"type": "PathPrefix", "value": "/b"}},
                    {"headers": [{"name": "tier", "value": "b"}]},
                ],
                "backendRefs": [to("b")],
            }
        ],
    ),
)


@pytest.mark.parametrize(
    ("request_", "backend"),
    [
        (Request("store.test", "/"), "a"),
        (Request("store.test", "/shoes"), "a"),
        (Request("store.example", "/shoes"), "a"),
        (Request("store.test", "/shoes", headers={"Tier": "a"}), "a"),
        (Request("store.test", "/b"), "b"),
        (Request("store.example", "/b"), "a"),  # store-b does not serve that host
        (Request("store.test", "/b/shoes"), "b"),
        (Request("store.test", "/", headers={"Tier": "b"}), "b"),  # same path, one header more
    ],
)
def test_matching_across_routes(request_: Request, backend: str) -> None:
    found = evaluate(_table(*ACROSS), request_)
    assert found is not None and found.rule.backend_refs[0].name == backend


# ---- GatewayClass and Gateway conditions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        (None, [("Accepted", "True", "Accepted"), ("SupportedVersion", "True", "SupportedVersion")]),
        ("v1.3.0", [("Accepted", "True", "Accepted"), ("SupportedVersion", "True", "SupportedVersion")]),
        (
            "v0.9.1",
            [
                ("Accepted", "False", "UnsupportedVersion"),
                ("SupportedVersion", "False", "UnsupportedVersion"),
            ],
        ),
    ],
)
def test_gateway_class_conditions(bundle: str | None, expected: list[tuple[str, str, str]]) -> None:
    parsed = parse(
        {
            "apiVersion": V1,
            "kind": "GatewayClass",
            "metadata": {"name": "lbctl", "generation": 4},
            "spec": {"controllerName": CONTROLLER},
        }
    )
    conditions = gateway_class_conditions(parsed, bundle, ("v1.2", "v1.3"))  # type: ignore[arg-type]
    assert [(c["type"], c["status"], c["reason"]) for c in conditions] == expected
    assert {c["observedGeneration"] for c in conditions} == {4}


@pytest.mark.parametrize(
    ("listeners", "expected"),
    [
        ([http("a", 80), http("b", 8080)], ("True", "Accepted")),
        ([http("a", 80), {"name": "udp", "port": 53, "protocol": "UDP"}], ("True", "ListenersNotValid")),
        ([{"name": "udp", "port": 53, "protocol": "UDP"}], ("False", "ListenersNotValid")),
        ([http("a", 80), http("b", 80)], ("False", "ListenersNotValid")),  # both conflicted
    ],
)
def test_gateway_accepted_follows_its_listeners(
    listeners: list[dict[str, Any]], expected: tuple[str, str]
) -> None:
    gateway = parse_gateway(gateway_obj(*listeners))
    statuses = [listener_status(gateway, listener, [], LABELS, [], set()) for listener in gateway.listeners]
    condition = gateway_accepted(gateway, statuses)
    assert (condition["status"], condition["reason"]) == expected and condition["observedGeneration"] == 3
