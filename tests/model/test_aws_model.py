"""AWS model: Service ports, use-annotation actions and conditions, auth, TLS, listeners."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulators.testing.specs import (
    Obj,
    ingress,
    messages,
    only_group,
    only_spec,
    path,
    route,
    rule,
    service,
    tls_secret,
)
from lbctl.model import annotations as a
from lbctl.model.problems import Severity
from lbctl.model.spec import (
    Authentication,
    FixedResponse,
    Redirect,
    Stickiness,
    TLSCertificate,
    WeightedTarget,
)

WEB = service("web", [(80, "http", 30080), (8443, "https", 30443), (9000, None, 30900)])
CLUSTER_IP = service("internal", [(80, "http", None)], type="ClusterIP")
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ext/0123"


def one(*paths: Obj, annotations: dict[str, str] | None = None, **kwargs: Any) -> Obj:
    return ingress("shop", rule("shop.test", *paths), annotations=annotations, **kwargs)


@pytest.mark.parametrize(
    ("port", "number", "port_name", "node_port"),
    [
        (80, 80, "http", 30080),
        ("http", 80, "http", 30080),
        ("https", 8443, "https", 30443),
        (8443, 8443, "https", 30443),
        (9000, 9000, None, 30900),
    ],
)
def test_service_port_by_number_and_name(
    port: int | str, number: int, port_name: str | None, node_port: int
) -> None:
    spec = only_spec(one(path("/", "web", port)), WEB)
    (backend,) = spec.backends.values()
    assert (backend.port, backend.port_name, backend.node_port, backend.target_port) == (
        number,
        port_name,
        node_port,
        8080,
    )
    assert backend.key == f"default/web:{number}"
    assert route(spec, "shop.test", "/x") == f"default/web:{number}"


@pytest.mark.parametrize(
    ("objects", "port", "annotations", "message"),
    [
        ([], 80, {}, "Service default/web not found"),
        ([WEB], 81, {}, "has no port 81 (its ports: 80 (http), 8443 (https), 9000)"),
        ([WEB], "grpc", {}, "has no port 'grpc'"),
        ([CLUSTER_IP], 80, {}, "is type ClusterIP; instance targets need type NodePort or LoadBalancer"),
        ([service("web", [(80, "http", None)])], 80, {}, "has no nodePort yet"),
        ([WEB], 80, {a.HEALTHCHECK_TIMEOUT: "30", a.HEALTHCHECK_INTERVAL: "30"}, "must be less than"),
        ([service("web", annotations={a.TARGET_TYPE: "pods"})], 80, {}, "Service default/web"),
    ],
)
def test_backend_errors_name_the_field(
    objects: list[Obj], port: int | str, annotations: dict[str, str], message: str
) -> None:
    svc = "internal" if objects == [CLUSTER_IP] else "web"
    group = only_group(one(path("/", svc, port), annotations=annotations), *objects)
    assert group.spec is None
    (problem,) = group.problems
    assert problem.severity == Severity.ERROR
    assert problem.object == "Ingress default/shop"
    assert problem.field == "spec.rules[0].http.paths[0].backend"
    assert message.replace("web", svc) in problem.message


@pytest.mark.parametrize(
    ("objects", "port", "assumed", "warnings"),
    [
        ([], 80, ["service"], ["Service default/web is not in the files: its port and targets are assumed"]),
        (
            [],
            "http",
            ["service"],
            ["Service default/web is not in the files: its port and targets are assumed"],
        ),
        ([service("web", [(80, "http", None)])], 80, ["nodePort"], []),
    ],
)
def test_offline_builds_assume_what_the_files_leave_to_the_cluster(
    objects: list[Obj], port: int | str, assumed: list[str], warnings: list[str]
) -> None:
    """The errors above for a missing Service and an unassigned nodePort are the controller's; the file-based
    commands (assume_missing) plan the backend as assumed instead."""
    group = only_group(one(path("/", "web", port)), *objects, assume_missing=True)
    assert group.spec is not None
    (backend,) = group.spec.backends.values()
    assert (backend.key, backend.assumed, backend.node_port) == (f"default/web:{port}", assumed, None)
    assert [p.message for p in group.problems] == warnings
    assert all(
        p.severity == Severity.WARNING and p.field == "spec.rules[0].http.paths[0].backend"
        for p in group.problems
    )


def test_cluster_ip_service_in_ip_mode() -> None:
    spec = only_spec(one(path("/", "internal", 80), annotations={a.TARGET_TYPE: "ip"}), CLUSTER_IP)
    (backend,) = spec.backends.values()
    assert (backend.target_type, backend.node_port, backend.service_type) == ("ip", None, "ClusterIP")


def test_service_annotations_override_ingress_annotations() -> None:
    svc = service(
        "api",
        [(80, "http", 30081)],
        annotations={a.HEALTHCHECK_PATH: "/svc", a.TARGET_TYPE: "ip", a.TAGS: "owner=svc"},
    )
    spec = only_spec(
        one(
            path("/web", "web", 80),
            path("/api", "api", 80),
            annotations={a.HEALTHCHECK_PATH: "/ing", a.SUCCESS_CODES: "200-299"},
        ),
        WEB,
        svc,
    )
    web, api = spec.backends["default/web:80"], spec.backends["default/api:80"]
    assert (web.health_check.path, web.target_type, web.health_check.success_codes) == (
        "/ing",
        "instance",
        "200-299",
    )
    assert (api.health_check.path, api.target_type, api.health_check.success_codes) == (
        "/svc",
        "ip",
        "200-299",
    )
    assert api.tags == {"owner": "svc"}


def test_health_check_defaults_and_grpc() -> None:
    spec = only_spec(one(path("/", "web", 80), annotations={a.BACKEND_PROTOCOL_VERSION: "GRPC"}), WEB)
    hc = spec.backends["default/web:80"].health_check
    assert (hc.path, hc.success_codes, hc.port, hc.interval_seconds, hc.timeout_seconds) == (
        "/AWS.ALB/healthcheck",
        "12",
        "traffic-port",
        15,
        5,
    )
    hc = only_spec(one(path("/", "web", 80)), WEB).backends["default/web:80"].health_check
    assert (hc.path, hc.success_codes, hc.protocol) == ("/", "200", "HTTP")


# ----------------------------------------------------------------------------- use-annotation actions


def action_ingress(action: Any, conditions: Any = None, name: str = "special") -> Obj:
    ann = {a.ALB + f"actions.{name}": json.dumps(action)}
    if conditions is not None:
        ann[a.ALB + f"conditions.{name}"] = json.dumps(conditions)
    return one(path("/special", name, "use-annotation"), path("/", "web", 80), annotations=ann)


def test_forward_with_weights_stickiness_and_external_target_group() -> None:
    action = {
        "type": "forward",
        "forwardConfig": {
            "targetGroups": [
                {"serviceName": "web", "servicePort": "http", "weight": 80},
                {"serviceName": "web", "servicePort": "8443", "weight": 20},
                {"targetGroupARN": TG_ARN, "weight": 0},
            ],
            "targetGroupStickinessConfig": {"enabled": True, "durationSeconds": 300},
        },
    }
    spec = only_spec(action_ingress(action), WEB, allow_explicit_target_groups=True)
    special = next(r for r in spec.rules if r.path and r.path.path == "/special")
    assert special.action.type == "forward"
    assert special.action.forward == [
        WeightedTarget(backend_key="default/web:80", weight=80),
        WeightedTarget(backend_key="default/web:8443", weight=20),
        WeightedTarget(target_group_arn=TG_ARN, weight=0),
    ]
    assert special.action.stickiness == Stickiness(True, 300)
    assert set(spec.backends) == {"default/web:80", "default/web:8443"}
    assert "weight 80" in route(spec, "shop.test", "/special")


def test_forward_to_external_target_group_arn() -> None:
    spec = only_spec(
        action_ingress({"type": "forward", "targetGroupARN": TG_ARN}), WEB, allow_explicit_target_groups=True
    )
    special = next(r for r in spec.rules if r.path and r.path.path == "/special")
    assert special.action.forward == [WeightedTarget(target_group_arn=TG_ARN)]
    assert route(spec, "shop.test", "/special") == TG_ARN


def test_redirect_action() -> None:
    cfg = {
        "protocol": "HTTPS",
        "port": "443",
        "host": "new.test",
        "path": "/x",
        "query": "a=1",
        "statusCode": "HTTP_301",
    }
    spec = only_spec(action_ingress({"type": "redirect", "redirectConfig": cfg}), WEB)
    special = next(r for r in spec.rules if r.path and r.path.path == "/special")
    assert special.action.redirect == Redirect("HTTP_301", "HTTPS", "443", "new.test", "/x", "a=1")
    assert route(spec, "shop.test", "/special").startswith("redirect HTTP_301")


def test_fixed_response_action_as_default_backend() -> None:
    ann = {
        a.ALB + "actions.nope": json.dumps(
            {
                "type": "fixed-response",
                "fixedResponseConfig": {
                    "statusCode": "404",
                    "contentType": "text/plain",
                    "messageBody": "nothing here",
                },
            }
        )
    }
    spec = only_spec(
        one(
            path("/", "web", 80),
            annotations=ann,
            default={"service": {"name": "nope", "port": {"name": "use-annotation"}}},
        ),
        WEB,
    )
    assert spec.default_action is not None
    assert spec.default_action.fixed_response == FixedResponse("404", "text/plain", "nothing here")
    assert route(spec, "other.test", "/") == "fixed-response 404 'nothing here'"


def test_forward_to_missing_service_names_the_action() -> None:
    action = {
        "type": "forward",
        "forwardConfig": {"targetGroups": [{"serviceName": "gone", "servicePort": 80}]},
    }
    group = only_group(action_ingress(action), WEB)
    (problem,) = group.problems
    assert "actions.special targetGroups[0]" in problem.field
    assert "Service default/gone not found" in problem.message


def test_use_annotation_without_action() -> None:
    group = only_group(one(path("/", "special", "use-annotation")), WEB)
    (problem,) = group.problems
    assert problem.field == "spec.rules[0].http.paths[0].backend"
    assert "alb.ingress.kubernetes.io/actions.special" in problem.message


def test_conditions_attach_to_the_named_backend() -> None:
    conditions = [
        {"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X-Canary", "values": ["yes"]}},
        {"field": "query-string", "queryStringConfig": {"values": [{"key": "v", "value": "2"}]}},
        {"field": "http-request-method", "httpRequestMethodConfig": {"values": ["GET"]}},
        {"field": "source-ip", "sourceIpConfig": {"values": ["10.0.0.0/8"]}},
        {"field": "host-header", "hostHeaderConfig": {"values": ["a.test"]}},
        {"field": "path-pattern", "pathPatternConfig": {"values": ["/special/*"]}},
    ]
    spec = only_spec(
        action_ingress({"type": "forward", "targetGroupARN": TG_ARN}, conditions),
        WEB,
        allow_explicit_target_groups=True,
    )
    special = next(r for r in spec.rules if r.path and r.path.path == "/special")
    assert [(c.field, c.values, c.header_name) for c in special.conditions] == [
        ("http-header", ["yes"], "X-Canary"),
        ("query-string", ["v=2"], None),
        ("http-request-method", ["GET"], None),
        ("source-ip", ["10.0.0.0/8"], None),
        ("host-header", ["a.test"], None),
        ("path-pattern", ["/special/*"], None),
    ]
    assert special.conditions[1].query == [{"key": "v", "value": "2"}]
    other = next(r for r in spec.rules if r.path and r.path.path == "/")
    assert other.conditions == []
    # a rule with conditions comes before the same path without, and plain requests skip it
    assert route(spec, "shop.test", "/special") == "default/web:80"


def test_conditions_on_a_service_backend() -> None:
    cond = [{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X-Beta", "values": ["1"]}}]
    spec = only_spec(
        one(
            path("/", "web", 80),
            path("/", "api", 80),
            annotations={a.ALB + "conditions.api": json.dumps(cond)},
        ),
        WEB,
        service("api", [(80, "http", 30081)]),
    )
    assert [bool(r.conditions) for r in spec.rules] == [True, False]
    assert route(spec, "shop.test", "/") == "default/web:80"


# ----------------------------------------------------------------------------- authentication

OIDC = {
    "issuer": "https://idp",
    "authorizationEndpoint": "https://idp/a",
    "tokenEndpoint": "https://idp/t",
    "userInfoEndpoint": "https://idp/u",
    "secretName": "oidc",
}
COGNITO = {
    "userPoolARN": "arn:aws:cognito-idp:us-east-1:1:userpool/x",
    "userPoolClientID": "c",
    "userPoolDomain": "d",
}


def test_auth_on_the_ingress() -> None:
    ann = {
        a.AUTH_TYPE: "oidc",
        a.AUTH_IDP_OIDC: json.dumps(OIDC),
        a.AUTH_SCOPE: "openid email",
        a.AUTH_ON_UNAUTHENTICATED: "deny",
        a.AUTH_SESSION_TIMEOUT: "3600",
        a.AUTH_SESSION_COOKIE: "c",
    }
    spec = only_spec(one(path("/", "web", 80), annotations=ann), WEB)
    assert spec.rules[0].action.authentication == Authentication(
        "oidc", OIDC, "deny", "openid email", "c", 3600
    )
    assert route(spec, "shop.test", "/").startswith("authenticate-oidc")


def test_service_auth_overrides_the_ingress() -> None:
    ingress_auth = {a.AUTH_TYPE: "oidc", a.AUTH_IDP_OIDC: json.dumps(OIDC)}
    public = service("public", [(80, "http", 30082)], annotations={a.AUTH_TYPE: "none"})
    admin = service(
        "admin",
        [(80, "http", 30083)],
        annotations={a.AUTH_TYPE: "cognito", a.AUTH_IDP_COGNITO: json.dumps(COGNITO)},
    )
    spec = only_spec(
        one(
            path("/", "web", 80),
            path("/public", "public", 80),
            path("/admin", "admin", 80),
            annotations=ingress_auth,
        ),
        WEB,
        public,
        admin,
    )
    auth = {r.path.path: r.action.authentication for r in spec.rules if r.path}
    assert auth["/public"] is None
    assert auth["/admin"] == Authentication("cognito", COGNITO)
    assert auth["/"] == Authentication("oidc", OIDC)


@pytest.mark.parametrize(("auth_type", "idp"), [("oidc", a.AUTH_IDP_OIDC), ("cognito", a.AUTH_IDP_COGNITO)])
def test_auth_type_without_idp(auth_type: str, idp: str) -> None:
    group = only_group(one(path("/", "web", 80), annotations={a.AUTH_TYPE: auth_type}), WEB)
    (problem,) = group.problems
    assert problem.field == f"metadata.annotations[{idp}]"
    assert auth_type in problem.message


# ----------------------------------------------------------------------------- TLS and listeners


def listeners(spec: Any) -> list[tuple[str, int]]:
    return [(lis.protocol, lis.port) for lis in spec.frontend.listeners]


@pytest.mark.parametrize(
    ("annotations", "tls", "expected"),
    [
        ({}, None, [("HTTP", 80)]),
        ({a.CERTIFICATE_ARN: ARN}, None, [("HTTPS", 443)]),
        ({}, [{"hosts": ["shop.test"]}], [("HTTPS", 443)]),
        ({}, [{"hosts": ["shop.test"], "secretName": "tls"}], [("HTTPS", 443)]),
        ({a.LISTEN_PORTS: '[{"HTTP": 8080}]'}, None, [("HTTP", 8080)]),
        (
            {a.LISTEN_PORTS: '[{"HTTP": 80}, {"HTTPS": 443}]', a.CERTIFICATE_ARN: ARN},
            None,
            [("HTTP", 80), ("HTTPS", 443)],
        ),
    ],
)
def test_listen_ports_default(
    annotations: dict[str, str], tls: list[Obj] | None, expected: list[tuple[str, int]]
) -> None:
    spec = only_spec(one(path("/", "web", 80), annotations=annotations, tls=tls), WEB, tls_secret("tls"))
    assert listeners(spec) == expected


def test_certificates_from_arn_secret_and_discovery() -> None:
    spec = only_spec(one(path("/", "web", 80), annotations={a.CERTIFICATE_ARN: f"{ARN},{ARN}2"}), WEB)
    (https,) = spec.frontend.listeners
    assert https.certificates == [TLSCertificate("arn", ARN), TLSCertificate("arn", ARN + "2")]
    assert https.ssl_policy == "ELBSecurityPolicy-2016-08"

    tls = [{"hosts": ["shop.test"], "secretName": "tls"}, {"hosts": ["*.other.test"]}]
    spec = only_spec(one(path("/", "web", 80), tls=tls), WEB, tls_secret("tls", "Y3J0MQ==", "a2V5"))
    secret, discover = spec.frontend.listeners[0].certificates
    assert (secret.kind, secret.ref, secret.hosts) == ("secret", "default/tls", ["shop.test"])
    assert secret.content_hash and len(secret.content_hash) == 16
    assert "a2V5" not in json.dumps(spec.to_dict())  # the key material itself never enters the spec
    assert discover == TLSCertificate("discover", "", ["*.other.test"])

    rotated = only_spec(one(path("/", "web", 80), tls=tls), WEB, tls_secret("tls", "Y3J0Mg==", "a2V5"))
    assert rotated.frontend.listeners[0].certificates[0].content_hash != secret.content_hash


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        ([], "Secret default/tls not found"),
        (
            [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "data": {"x": "eQ=="}}],
            "tls.crt",
        ),
    ],
)
def test_tls_secret_problems(secrets: list[Obj], message: str) -> None:
    group = only_group(
        one(path("/", "web", 80), tls=[{"hosts": ["shop.test"], "secretName": "tls"}]), WEB, *secrets
    )
    (problem,) = group.problems
    assert problem.field == "spec.tls[0].secretName" and message in problem.message


def test_https_without_certificate_is_an_error() -> None:
    group = only_group(one(path("/", "web", 80), annotations={a.LISTEN_PORTS: '[{"HTTPS": 443}]'}), WEB)
    assert group.spec is None
    (problem,) = group.problems
    assert problem.field == f"metadata.annotations[{a.LISTEN_PORTS}]"
    assert "no certificate" in problem.message


def test_ssl_redirect() -> None:
    ann = {a.LISTEN_PORTS: '[{"HTTP": 80}, {"HTTPS": 443}]', a.CERTIFICATE_ARN: ARN, a.SSL_REDIRECT: "443"}
    spec = only_spec(one(path("/", "web", 80), annotations=ann), WEB)
    http, https = spec.frontend.listeners
    assert (http.redirect_to_https_port, https.redirect_to_https_port) == (443, None)


def test_ssl_redirect_to_a_port_that_is_not_https() -> None:
    ann = {a.LISTEN_PORTS: '[{"HTTP": 80}, {"HTTPS": 443}]', a.CERTIFICATE_ARN: ARN, a.SSL_REDIRECT: "8443"}
    group = only_group(one(path("/", "web", 80), annotations=ann), WEB)
    assert group.spec is None
    assert "8443" in messages(group)[0]


@pytest.mark.parametrize("key", [a.REWRITE_TARGET, a.REWRITE_TARGET_NGINX])
def test_rewrite_target_on_aws_rewrites_every_rule_of_the_ingress(key: str) -> None:
    spec = only_spec(
        one(path("/api", "web", 80), path("/x", "web", 80, "Exact"), annotations={key: "/"}), WEB
    )
    assert [r.rewrite_path_prefix for r in spec.rules] == ["/", "/"]


@pytest.mark.parametrize(
    ("paths", "extra", "message"),
    [
        ([path("/api", "web", 80)], {}, "capture-group reference"),  # the target holds '$'
        ([path("/img/*.png", "web", 80, "ImplementationSpecific")], {}, "does not say which part"),
        (
            [path("/^/api/(.*)$", "web", 80, "ImplementationSpecific")],
            {a.USE_REGEX_PATH_MATCH: "true"},
            "regex",
        ),
    ],
)
def test_rewrite_target_on_aws_refuses_what_it_cannot_express(
    paths: list[Obj], extra: dict[str, str], message: str
) -> None:
    target = "/$2" if message == "capture-group reference" else "/"
    group = only_group(one(*paths, annotations={a.REWRITE_TARGET_NGINX: target, **extra}), WEB)
    assert group.spec is None
    (problem,) = group.problems
    assert problem.field == f"metadata.annotations[{a.REWRITE_TARGET_NGINX}]"
    assert message in problem.message


def test_rewrite_target_and_a_url_rewrite_transform_on_one_ingress_is_an_error() -> None:
    transform = [
        {"type": "url-rewrite", "urlRewriteConfig": {"rewrites": [{"regex": "^/a", "replace": "/b"}]}}
    ]
    ann = {a.REWRITE_TARGET: "/", a.ALB + "transforms.web": json.dumps(transform)}
    (problem,) = only_group(one(path("/api", "web", 80), annotations=ann), WEB).problems
    assert problem.field == f"metadata.annotations[{a.ALB}transforms.web]"
    assert "two URL rewrites" in problem.message


def test_frontend_settings() -> None:
    ann = {
        a.SCHEME: "internet-facing",
        a.IP_ADDRESS_TYPE: "dualstack",
        a.SUBNETS: "s-1,s-2",
        a.SECURITY_GROUPS: "sg-1",
        a.LOAD_BALANCER_ATTRIBUTES: "idle_timeout.timeout_seconds=600",
        a.LOAD_BALANCER_NAME: "my-lb",
        a.WAFV2_ACL_ARN: "arn:aws:wafv2:us-east-1:1:regional/webacl/a/1",
    }
    fe = only_spec(one(path("/", "web", 80), annotations=ann), WEB).frontend
    assert (fe.scheme, fe.ip_address_type, fe.subnets, fe.security_groups, fe.name) == (
        "internet-facing",
        "dualstack",
        ["s-1", "s-2"],
        ["sg-1"],
        "my-lb",
    )
    assert fe.inbound_cidrs == ["0.0.0.0/0", "::/0"]
    assert fe.attributes == {"idle_timeout.timeout_seconds": "600"}
    fe = only_spec(one(path("/", "web", 80)), WEB).frontend
    assert (fe.scheme, fe.ip_address_type, fe.inbound_cidrs, fe.name) == (
        "internal",
        "ipv4",
        ["0.0.0.0/0"],
        None,
    )


@pytest.mark.parametrize(
    ("host", "ok"), [("Shop.test", False), ("shop_1.test", False), ("*.shop.test", True), ("a.*.test", False)]
)
def test_rule_host_validation(host: str, ok: bool) -> None:
    group = only_group(ingress("shop", rule(host, path("/", "web", 80))), WEB)
    assert (group.spec is not None) is ok
    if not ok:
        assert group.problems[0].field == "spec.rules[0].host"


def test_resource_backend_is_an_error() -> None:
    obj = one({"path": "/", "pathType": "Prefix", "backend": {"resource": {"kind": "Bucket", "name": "b"}}})
    group = only_group(obj, WEB)
    (problem,) = group.problems
    assert "resource backend Bucket/b" in problem.message


# ----------------------------------------------------------------------------- auth on use-annotation actions


def test_auth_applies_to_use_annotation_actions_as_in_aws_load_balancer_controller() -> None:
    """The Ingress's auth-* settings authenticate before every use-annotation action (fixed-response and
    redirect included); one forwarding to exactly one Service takes that Service's auth-* over them."""
    admin = service(
        "admin",
        [(80, "http", 30083)],
        annotations={a.AUTH_TYPE: "cognito", a.AUTH_IDP_COGNITO: json.dumps(COGNITO)},
    )
    actions = {
        "fixed": {"type": "fixed-response", "fixedResponseConfig": {"statusCode": "503"}},
        "to-admin": {
            "type": "forward",
            "forwardConfig": {"targetGroups": [{"serviceName": "admin", "servicePort": 80}]},
        },
        "split": {
            "type": "forward",
            "forwardConfig": {
                "targetGroups": [
                    {"serviceName": "admin", "servicePort": 80, "weight": 1},
                    {"serviceName": "web", "servicePort": 80, "weight": 1},
                ]
            },
        },
        "external": {"type": "forward", "targetGroupARN": TG_ARN},
    }
    ann = {a.AUTH_TYPE: "oidc", a.AUTH_IDP_OIDC: json.dumps(OIDC)}
    ann |= {a.ALB + f"actions.{name}": json.dumps(action) for name, action in actions.items()}
    paths = [path(f"/{name}", name, "use-annotation") for name in actions]
    spec = only_spec(one(*paths, annotations=ann), WEB, admin, allow_explicit_target_groups=True)
    auth = {r.path.path: r.action.authentication for r in spec.rules if r.path}
    assert auth["/to-admin"] == Authentication("cognito", COGNITO)  # the one Service's settings win
    for name in ("fixed", "split", "external"):
        assert auth[f"/{name}"] == Authentication("oidc", OIDC), name
    plain = only_spec(
        one(*paths, annotations={k: v for k, v in ann.items() if "auth" not in k}),
        WEB,
        admin,
        allow_explicit_target_groups=True,
    )
    assert {r.path.path: r.action.authentication for r in plain.rules if r.path} == {
        "/to-admin": Authentication("cognito", COGNITO),
        "/fixed": None,
        "/split": None,
        "/external": None,
    }
