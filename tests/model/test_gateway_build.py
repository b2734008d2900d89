"""Gateway → LoadBalancerSpec (model/gateway_build.py): listeners, rule order, matches, filters, backends and the
statuses the Gateway API defines for each outcome, on both clouds' profiles. Pure and table-driven; the data
states facts of the Gateway API spec in our own words."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lbctl.model.builder import BuildConfig
from lbctl.model.gateway import GROUP
from lbctl.model.gateway_build import GatewayBuild, build_gateways, gateway_stack, is_gateway_stack
from lbctl.model.gateway_routing import evaluate, route_table
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec, PathType

V1 = f"{GROUP}/v1"
CONTROLLERS = {"aws": "lbctl.io/alb", "gcp": "lbctl.io/gce"}


def objects(
    provider: str = "aws", listeners: list[dict[str, Any]] | None = None, **gateway: Any
) -> list[dict[str, Any]]:
    """GatewayClass `lbctl`, Gateway infra/edge (HTTP :80, HTTPS :443 for *.example.com with Secret infra/cert),
    Services shop/api and shop/api-v2 (NodePort), the Secret; routes are added by each test."""
    return [
        {
            "apiVersion": V1,
            "kind": "GatewayClass",
            "metadata": {"name": "lbctl"},
            "spec": {"controllerName": CONTROLLERS[provider]},
        },
        {
            "apiVersion": V1,
            "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "infra", "generation": 2},
            "spec": {
                "gatewayClassName": "lbctl",
                "listeners": listeners
                if listeners is not None
                else [
                    {
                        "name": "http",
                        "port": 80,
                        "protocol": "HTTP",
                        "allowedRoutes": {"namespaces": {"from": "All"}},
                    },
                    {
                        "name": "https",
                        "port": 443,
                        "protocol": "HTTPS",
                        "hostname": "*.example.com",
                        "tls": {"certificateRefs": [{"name": "cert"}]},
                        "allowedRoutes": {"namespaces": {"from": "All"}},
                    },
                ],
                **gateway,
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cert", "namespace": "infra"},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y3J0", "tls.key": "a2V5"},
        },
        *(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": port}]},
            }
            for name, port in (("api", 30080), ("api-v2", 30081))
        ),
    ]


def route(
    name: str,
    rules: list[dict[str, Any]],
    hostnames: list[str] | None = None,
    kind: str = "HTTPRoute",
    namespace: str = "shop",
    **spec: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": V1,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": 5,
            "creationTimestamp": f"2026-01-01T00:00:0{len(name) % 10}Z",
        },
        "spec": {
            "parentRefs": [{"name": "edge", "namespace": "infra"}],
            "hostnames": hostnames or [],
            "rules": rules,
            **spec,
        },
    }


def to(name: str = "api", **extra: Any) -> dict[str, Any]:
    return {"name": name, "port": 80, **extra}


def built(items: list[dict[str, Any]], provider: str = "aws", **config: Any) -> GatewayBuild:
    snapshot = ClusterSnapshot.from_objects(items)
    build_config = BuildConfig.for_provider(provider, **config)
    return build_gateways(snapshot, build_config, build_config.gateway_controller_names)


def the_spec(result: GatewayBuild) -> LoadBalancerSpec:
    outcome = result.gateways[gateway_stack("infra", "edge")]
    assert outcome.spec is not None, outcome.problems
    return outcome.spec


def parent_conditions(result: GatewayBuild, key: str) -> dict[str, tuple[str, str]]:
    (entry,) = result.route_parents[key]
    return {c["type"]: (c["status"], c["reason"]) for c in entry["conditions"]}


SHOP = route(
    "shop",
    [
        {
            "matches": [
                {
                    "path": {"type": "PathPrefix", "value": "/api"},
                    "headers": [{"name": "x-env", "value": "canary"}],
                    "method": "GET",
                }
            ],
            "backendRefs": [to(weight=90), to("api-v2", weight=10)],
        },
        {
            "matches": [{"path": {"type": "Exact", "value": "/old"}}],
            "filters": [
                {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 301}}
            ],
        },
        {
            "matches": [{"path": {"value": "/v1"}, "queryParams": [{"name": "debug", "value": "1"}]}],
            "filters": [
                {
                    "type": "URLRewrite",
                    "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/v2"}},
                }
            ],
            "backendRefs": [to()],
        },
        {"matches": [{"path": {"value": "/"}}], "backendRefs": [to()]},
    ],
    ["shop.example.com"],
)


def test_stack_keys() -> None:
    assert gateway_stack("infra", "edge") == "Gateway:infra/edge"
    assert is_gateway_stack("Gateway:infra/edge") and not is_gateway_stack("infra/edge")


def test_a_gateway_becomes_one_managed_routing_spec() -> None:
    result = built([*objects(), SHOP])
    spec = the_spec(result)
    assert (
        spec.stack == "Gateway:infra/edge"
        and spec.members == ["infra/edge"]
        and spec.frontend.managed_routing
    )
    listeners = {(li.protocol, li.port): [c.ref for c in li.certificates] for li in spec.frontend.listeners}
    assert listeners == {("HTTP", 80): [], ("HTTPS", 443): ["infra/cert"]}
    # Exact before prefixes, longer prefixes first; one rule serves both listeners
    assert [(r.path.type if r.path else None, r.path.path if r.path else None) for r in spec.rules] == [
        (PathType.EXACT, "/old"),
        (PathType.PREFIX, "/api"),
        (PathType.PREFIX, "/v1"),
        (PathType.PREFIX, "/"),
    ]
    assert all(r.host == "shop.example.com" and r.listen_ports == [80, 443] for r in spec.rules)
    redirect, api, v1, _ = spec.rules
    assert redirect.action.redirect is not None
    assert (
        redirect.action.redirect.status_code,
        redirect.action.redirect.protocol,
        redirect.action.redirect.port,
    ) == ("HTTP_301", "HTTPS", "443")
    assert [(t.backend_key, t.weight) for t in api.action.forward] == [
        ("shop/api:80", 90),
        ("shop/api-v2:80", 10),
    ]
    assert [(c.field, c.values, c.header_name) for c in api.conditions] == [
        ("http-request-method", ["GET"], None),
        ("http-header", ["canary"], "x-env"),
    ]
    assert v1.rewrite_path_prefix == "/v2" and v1.conditions[0].query == [{"key": "debug", "value": "1"}]
    assert str(api.source) == "HTTPRoute shop/shop spec.rules[0].matches[0]"
    assert parent_conditions(result, "HTTPRoute:shop/shop") == {
        "Accepted": ("True", "Accepted"),
        "ResolvedRefs": ("True", "ResolvedRefs"),
    }
    assert result.class_statuses["lbctl"]["conditions"][0]["status"] == "True"


def test_the_specs_plain_requests_reach_what_the_gateway_api_says() -> None:
    """For requests with only a host and a path, the spec's first match is the route entry the Gateway API's
    precedence picks (gateway_routing.evaluate), across hostnames, Exact/Prefix and wildcard listeners."""
    other = route(
        "other",
        [{"matches": [{"path": {"value": "/api/v2"}}], "backendRefs": [to("api-v2")]}],
        ["*.example.com"],
    )
    items = [*objects(), copy.deepcopy(SHOP), other]
    for item in items:  # plain requests only: drop the header/method/query matches
        for rule in item.get("spec", {}).get("rules", []):
            for match in rule.get("matches", []):
                for key in ("headers", "method", "queryParams"):
                    match.pop(key, None)
    snapshot = ClusterSnapshot.from_objects(items)
    result = built(items)
    spec = the_spec(result)
    from lbctl.model.gateway import Gateway, Route
    from lbctl.model.gateway_attach import attach

    (gateway,) = snapshot.gateway_objects(Gateway)
    routes = snapshot.gateway_objects(Route)
    pairs = [(r, attach(r, r.parent_refs[0], gateway, {})) for r in routes]
    table = route_table(pairs, gateway.listeners[0])
    for host, path in [
        ("shop.example.com", "/old"),
        ("shop.example.com", "/api/v2/x"),
        ("a.b.example.com", "/api/v2"),
        ("shop.example.com", "/oldx"),
        ("x.example.com", "/"),
        ("example.org", "/api/v2"),
    ]:
        entry = evaluate(table, Request(host, path))
        found = first_match(spec, Request(host, path)).rule
        got = (found.source.ingress, found.source.field) if found else None
        wanted = (
            (entry.route.key, f"spec.rules[{entry.rule.index}].matches[{entry.match_index}]")
            if entry
            else None
        )
        assert got == wanted, (host, path)


@pytest.mark.parametrize(
    ("provider", "rule", "field", "reason"),
    [
        (
            "aws",
            {
                "filters": [
                    {
                        "type": "RequestHeaderModifier",
                        "requestHeaderModifier": {"set": [{"name": "a", "value": "b"}]},
                    }
                ],
                "backendRefs": [to()],
            },
            "filters[0]",
            "UnsupportedValue",
        ),
        (
            "aws",
            {
                "filters": [{"type": "RequestMirror", "requestMirror": {"backendRef": to()}}],
                "backendRefs": [to()],
            },
            "filters[0]",
            "UnsupportedValue",
        ),
        (
            "aws",
            {"filters": [{"type": "RequestRedirect", "requestRedirect": {"statusCode": 308}}]},
            "filters[0].requestRedirect.statusCode",
            "UnsupportedValue",
        ),
        (
            "aws",
            {
                "filters": [
                    {
                        "type": "RequestRedirect",
                        "requestRedirect": {
                            "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/n"}
                        },
                    }
                ]
            },
            "filters[0].requestRedirect.path",
            "UnsupportedValue",
        ),
        (
            "aws",
            {"timeouts": {"request": "10s"}, "backendRefs": [to()]},
            "timeouts.request",
            "UnsupportedValue",
        ),
        (
            "aws",
            {
                "matches": [{"queryParams": [{"name": "q", "value": "a.*", "type": "RegularExpression"}]}],
                "backendRefs": [to()],
            },
            "matches[0].queryParams[0].type",
            "UnsupportedValue",
        ),
        (
            "gcp",
            {
                "filters": [{"type": "RequestMirror", "requestMirror": {"backendRef": to()}}],
                "backendRefs": [to()],
            },
            "filters[0]",
            "UnsupportedValue",
        ),
        (  # the global external Application Load Balancer has no regexMatch
            "gcp",
            {"matches": [{"path": {"type": "RegularExpression", "value": "/a.*"}}], "backendRefs": [to()]},
            "matches[0].path.type",
            "UnsupportedValue",
        ),
        (
            "gcp",
            {
                "matches": [{"headers": [{"name": "x-v", "value": "v[0-9]", "type": "RegularExpression"}]}],
                "backendRefs": [to()],
            },
            "matches[0].headers[0].type",
            "UnsupportedValue",
        ),
    ],
)
def test_what_the_cloud_cannot_honour_drops_the_rule_by_name(
    provider: str, rule: dict[str, Any], field: str, reason: str
) -> None:
    fine = {"matches": [{"path": {"value": "/ok"}}], "backendRefs": [to()]}
    result = built([*objects(provider), route("r", [fine, rule])], provider)
    spec = the_spec(result)
    assert {r.source.field for r in spec.rules} == {"spec.rules[0].matches[0]"}  # the other is not routed
    conditions = parent_conditions(result, "HTTPRoute:shop/r")
    assert conditions["Accepted"] == ("True", "Accepted") and conditions["PartiallyInvalid"] == (
        "True",
        reason,
    )
    problem = next(p for p in result.problems if p.object == "HTTPRoute shop/r")
    assert problem.field == f"spec.rules[1].{field}" and "not routed" in problem.message
    alone = built([*objects(provider), route("r", [rule])], provider)
    assert parent_conditions(alone, "HTTPRoute:shop/r")["Accepted"] == ("False", reason)


def test_gcp_honours_header_modifiers_timeouts_and_prefix_redirects() -> None:
    rules = [
        {
            "matches": [{"path": {"value": "/a"}}],
            "timeouts": {"request": "1m30s"},
            "filters": [
                {
                    "type": "RequestHeaderModifier",
                    "requestHeaderModifier": {
                        "set": [{"name": "x-a", "value": "1"}],
                        "add": [{"name": "x-b", "value": "2"}],
                        "remove": ["x-c"],
                    },
                },
                {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"remove": ["server"]}},
                {
                    "type": "URLRewrite",
                    "urlRewrite": {
                        "hostname": "internal",
                        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/x"},
                    },
                },
            ],
            "backendRefs": [to()],
        },
        {
            "matches": [{"path": {"value": "/b"}}],
            "filters": [
                {
                    "type": "RequestRedirect",
                    "requestRedirect": {
                        "statusCode": 307,
                        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/c"},
                    },
                }
            ],
        },
    ]
    spec = the_spec(built([*objects("gcp"), route("r", rules)], "gcp"))
    assert {r.host for r in spec.rules} == {None, "*.example.com"}  # each rule on both listeners' hostnames
    first = next(r for r in spec.rules if r.path and r.path.path == "/a")
    assert (
        first.timeout_seconds == 90 and first.host_rewrite == "internal" and first.full_path_rewrite == "/x"
    )
    assert first.request_headers is not None and (
        first.request_headers.set,
        first.request_headers.add,
        first.request_headers.remove,
    ) == ({"x-a": "1"}, {"x-b": "2"}, ["x-c"])
    assert first.response_headers is not None and first.response_headers.remove == ["server"]
    second = next(r for r in spec.rules if r.path and r.path.path == "/b")
    assert second.action.redirect is not None and (
        second.action.redirect.status_code,
        second.action.redirect.prefix_path,
    ) == ("HTTP_307", "/c")


@pytest.mark.parametrize(
    ("refs", "grant", "reason"),
    [
        ([to("other", namespace="elsewhere")], False, "RefNotPermitted"),
        ([to("missing")], False, "BackendNotFound"),
        ([{"name": "bucket", "group": "storage.example.com", "kind": "Bucket"}], False, "InvalidKind"),
        ([to(weight=1), to("missing", weight=1)], False, "BackendNotFound"),  # a share of 500: the whole rule
        ([to("other", namespace="elsewhere")], True, None),
    ],
)
def test_a_backend_ref_that_cannot_be_used_answers_500(
    refs: list[dict[str, Any]], grant: bool, reason: str | None
) -> None:
    items = [*objects(), route("r", [{"backendRefs": refs}])]
    items.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "other", "namespace": "elsewhere"},
            "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30090}]},
        }
    )
    if grant:
        items.append(
            {
                "apiVersion": V1,
                "kind": "ReferenceGrant",
                "metadata": {"name": "g", "namespace": "elsewhere"},
                "spec": {
                    "from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": "shop"}],
                    "to": [{"group": "", "kind": "Service"}],
                },
            }
        )
    result = built(items)
    (rule,) = {r.source.field: r for r in the_spec(result).rules}.values()
    conditions = parent_conditions(result, "HTTPRoute:shop/r")
    if reason is None:
        assert rule.action.type == "forward" and conditions["ResolvedRefs"] == ("True", "ResolvedRefs")
    else:
        assert rule.action.fixed_response is not None and rule.action.fixed_response.status_code == "500"
        assert conditions["ResolvedRefs"] == ("False", reason) and conditions["Accepted"][0] == "True"


@pytest.mark.parametrize(
    ("listener", "reason"),
    [
        (
            {"name": "tls", "port": 8443, "protocol": "TLS", "tls": {"mode": "Passthrough"}},
            ("Accepted", "UnsupportedProtocol"),
        ),
        ({"name": "tcp", "port": 9000, "protocol": "TCP"}, ("Accepted", "UnsupportedProtocol")),
        (
            {"name": "pass", "port": 8443, "protocol": "HTTPS", "tls": {"mode": "Passthrough"}},
            ("Accepted", "UnsupportedProtocol"),
        ),
        (
            {
                "name": "x",
                "port": 8443,
                "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "c", "namespace": "other"}]},
            },
            ("ResolvedRefs", "RefNotPermitted"),
        ),
        (
            {"name": "x", "port": 8443, "protocol": "HTTPS", "tls": {"certificateRefs": [{"name": "nope"}]}},
            ("ResolvedRefs", "InvalidCertificateRef"),
        ),
        (
            {
                "name": "clash",
                "port": 80,
                "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "cert"}]},
            },
            ("Conflicted", "ProtocolConflict"),
        ),
    ],
)
def test_listeners_lbctl_cannot_serve_are_reported_and_left_out(
    listener: dict[str, Any], reason: tuple[str, str]
) -> None:
    http = {"name": "http", "port": 80, "protocol": "HTTP"}
    outcome = built(objects(listeners=[http, listener])).gateways["Gateway:infra/edge"]
    status = outcome.status("lb.example", True, None, now="t")
    entries = {
        e["name"]: {c["type"]: (c["status"], c["reason"]) for c in e["conditions"]}
        for e in status["listeners"]
    }
    kind, why = reason
    assert entries[listener["name"]][kind][1] == why
    assert entries[listener["name"]]["Programmed"] == ("False", "Invalid")
    if why != "ProtocolConflict":  # a listener not served: the Gateway serves the others
        assert outcome.spec is not None and [li.port for li in outcome.spec.frontend.listeners] == [80]
        assert status["conditions"][0]["reason"] == (
            "ListenersNotValid" if kind == "Accepted" else "Accepted"  # unresolved refs: still accepted
        )


def test_gateway_addresses_tls_annotations_and_class_refusals() -> None:
    def accepted(provider: str, **spec: Any) -> tuple[str, str, bool]:
        outcome = built(objects(provider, **spec), provider).gateways["Gateway:infra/edge"]
        return outcome.accepted.status, outcome.accepted.reason, outcome.spec is not None

    address = {"addresses": [{"type": "NamedAddress", "value": "my-ip"}]}
    assert accepted("aws", **address) == ("False", "UnsupportedAddress", False)
    assert accepted("gcp", **address) == ("True", "Accepted", True)
    gcp = built(objects("gcp", **address), "gcp")
    assert the_spec(gcp).frontend.static_ip_name == "my-ip"
    assert (
        accepted("gcp", addresses=[{"type": "Hostname", "value": "a.example.com"}])[1] == "UnsupportedAddress"
    )
    assert accepted("aws", tls={"frontend": {"default": {"validation": {}}}})[:2] == ("False", "Invalid")
    assert (
        accepted("aws", infrastructure={"parametersRef": {"group": "", "kind": "ConfigMap", "name": "x"}})[1]
        == "InvalidParameters"
    )
    tagged = built(objects(infrastructure={"labels": {"team": "shop"}, "annotations": {"cost": "7"}}))
    assert the_spec(tagged).tags == {"team": "shop", "cost": "7"}
    items = objects()
    items[1]["metadata"]["annotations"] = {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 8080}]'}
    refused = built(items).gateways["Gateway:infra/edge"]
    assert (refused.accepted.reason, refused.spec) == ("Invalid", None)
    assert "listen-ports" in refused.accepted.message
    items[1]["metadata"]["annotations"] = {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
    assert the_spec(built(items)).frontend.scheme == "internet-facing"


def test_only_our_classes_and_the_drop_in_ones_with_the_flag() -> None:
    items = objects()
    items[0]["spec"]["controllerName"] = "gateway.k8s.aws/alb"
    assert built(items).gateways == {} and built(items).class_statuses == {}
    assert the_spec(built(items, gateway_drop_in=True)).stack == "Gateway:infra/edge"
    items[1]["spec"]["gatewayClassName"] = "other"
    assert built(items, gateway_drop_in=True).gateways == {}


@pytest.mark.parametrize(
    ("provider", "protocol", "version"), [("aws", "HTTP", "GRPC"), ("gcp", "HTTP2", None)]
)
def test_grpc_routes_match_service_and_method_paths(
    provider: str, protocol: str, version: str | None
) -> None:
    grpc = route(
        "rpc",
        [
            {"matches": [{"method": {"service": "shop.Cart", "method": "Add"}}], "backendRefs": [to()]},
            {"matches": [{"method": {"service": "shop.Cart"}}], "backendRefs": [to()]},
            {
                "matches": [{"method": {"service": "shop\\..*", "type": "RegularExpression"}}],
                "backendRefs": [to()],
            },
        ],
        ["rpc.example.com"],
        kind="GRPCRoute",
    )
    plain = route("web", [{"backendRefs": [to()]}], ["rpc.example.com"])
    spec = the_spec(built([*objects(provider), grpc, plain], provider))
    paths = [(r.source.kind, r.path.path if r.path else None) for r in spec.rules]
    regex = [("GRPCRoute", "^/shop\\.Cart/[^/]+$"), ("GRPCRoute", "^/(?:shop\\..*)/[^/]+$")]
    if provider == "gcp":  # no regexMatch on the global external Application Load Balancer: not routed
        regex = []
    assert paths == [("GRPCRoute", "/shop.Cart/Add"), *regex, ("HTTPRoute", "/")]
    grpc_rules = spec.rules[: 1 + len(regex)]
    assert all(c.values == ["POST"] for r in grpc_rules for c in r.conditions)
    grpc_keys = {k for r in grpc_rules for k in r.action.backend_keys()}
    (grpc_key,) = grpc_keys
    (http_key,) = spec.rules[-1].action.backend_keys()
    assert grpc_key != http_key and spec.backends[http_key].protocol == "HTTP"
    assert (spec.backends[grpc_key].protocol, spec.backends[grpc_key].protocol_version) == (
        protocol,
        version or spec.backends[grpc_key].protocol_version,
    )
    if version:
        assert spec.backends[grpc_key].protocol_version == version


def test_a_request_for_a_listeners_hostname_never_falls_to_a_broader_listener() -> None:
    listeners = [
        {
            "name": "wild",
            "port": 80,
            "protocol": "HTTP",
            "hostname": "*.example.com",
            "allowedRoutes": {"namespaces": {"from": "All"}},
        },
        {
            "name": "shop",
            "port": 80,
            "protocol": "HTTP",
            "hostname": "shop.example.com",
            "allowedRoutes": {"namespaces": {"from": "All"}},
        },
    ]
    broad = route("broad", [{"backendRefs": [to("api-v2")]}])
    broad["spec"]["parentRefs"] = [{"name": "edge", "namespace": "infra", "sectionName": "wild"}]
    narrow = route("narrow", [{"matches": [{"path": {"value": "/cart"}}], "backendRefs": [to()]}])
    narrow["spec"]["parentRefs"] = [{"name": "edge", "namespace": "infra", "sectionName": "shop"}]
    spec = the_spec(built([*objects(listeners=listeners), broad, narrow]))
    assert first_match(spec, Request("shop.example.com", "/cart")).rule.source.ingress == "shop/narrow"  # type: ignore[union-attr]
    missed = first_match(spec, Request("shop.example.com", "/other"))
    assert missed.action is not None and missed.action.fixed_response is not None
    assert missed.action.fixed_response.status_code == "404"
    assert first_match(spec, Request("a.b.example.com", "/")).rule.source.ingress == "shop/broad"  # type: ignore[union-attr]


def test_gateway_status_programmed_with_the_address_and_foreign_conditions_kept() -> None:
    outcome = built([*objects(), SHOP]).gateways["Gateway:infra/edge"]
    previous = {
        "conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted", "lastTransitionTime": "old"},
            {"type": "example.com/Audited", "status": "True", "reason": "Done"},
        ]
    }
    pending = outcome.status(None, False, previous, now="new")
    by_type = {c["type"]: c for c in pending["conditions"]}
    assert by_type["Programmed"]["reason"] == "Pending" and "addresses" not in pending
    assert (
        by_type["Accepted"]["lastTransitionTime"] == "old"
        and by_type["example.com/Audited"]["reason"] == "Done"
    )
    done = outcome.status("k8s-edge.elb.amazonaws.com", True, pending, now="later")
    assert done["addresses"] == [{"type": "Hostname", "value": "k8s-edge.elb.amazonaws.com"}]
    programmed = {c["type"]: c for c in done["conditions"]}["Programmed"]
    assert (programmed["status"], programmed["lastTransitionTime"], programmed["observedGeneration"]) == (
        "True",
        "later",
        2,
    )
    assert [e["attachedRoutes"] for e in done["listeners"]] == [1, 1]
    assert outcome.status("203.0.113.7", True, None, now="t")["addresses"][0]["type"] == "IPAddress"
