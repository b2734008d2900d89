"""Issue 14, first done-when: every fixed-name annotation of aws-load-balancer-controller's annotation
reference is recognised by `lbctl validate` and changes the planned request (`lbctl plan --offline -o json`);
the frontend NLB family's too, and each of those is an error naming it without enable-frontend-nlb.

One case per name of tests/aws/data/lbc_ingress_annotations.txt. Each plans a minimal Ingress twice, without
and with the annotation (in the form LBC's doc shows), through the same functions `lbctl plan --offline -o
json` runs, in one embedded account (the CLI's own) so that resource IDs are the same in both plans; the
requests (`steps`) must differ, and the request field the annotation sets must carry its value."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulators.testing.cli import ROOT as ROOT_DIR
from emulators.testing.cli import lbctl_in_process
from lbctl.cli.common import all_problems, build_all, exit_code, plugins
from lbctl.cli.manifests import load
from lbctl.cli.offline import _plan_in_cloud, _translation_problems, plan
from lbctl.cli.render import step_documents
from lbctl.model.problems import Problem, Severity
from lbctl.provider import OfflineRequest, ProviderConfig

A = "alb.ingress.kubernetes.io/"
NAMES = [
    line.strip()
    for line in (Path(__file__).parent / "data" / "lbc_ingress_annotations.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
CLUSTER = "lbctl"  # the CLI's default --cluster-name

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop, annotations: {annotations}}}
spec:
  ingressClassName: alb
{tls}
  rules:
    - host: www.example.com
      http:
        paths:
          - {{path: {path}, pathType: {path_type}, backend: {{service: {{name: {service}, port: {port}}}}}}}
"""
SERVICE = """
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30100}]
"""
NODES = """
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {topology.kubernetes.io/zone: us-east-1a, pool: web}}
spec: {providerID: "aws:///us-east-1a/i-0aaa"}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {topology.kubernetes.io/zone: us-east-1a, pool: batch}}
spec: {providerID: "aws:///us-east-1a/i-0bbb"}
status: {conditions: [{type: Ready, status: "True"}]}
"""
OIDC_SECRET = """
---
apiVersion: v1
kind: Secret
metadata: {name: oidc-client, namespace: shop}
stringData: {clientID: shop-client, clientSecret: s3cr3t-client-value-9f8e7d}
"""

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b9e7f1c-1111-2222-3333-444455556666"
HTTPS = {"certificate-arn": CERT}  # LBC: a certificate without listen-ports means HTTPS:443
WAF_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-acl/3ab78708-85b0-49d3-b4e1-7a9615a6613b"
PCA = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/3728f28c-b201-4dfd-b329-083833017297"
STORE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/shop/0123456789abcdef"
COGNITO = {
    "userPoolARN": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
    "userPoolClientID": "client-123",
    "userPoolDomain": "shop-auth",
}
OIDC = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/auth",
    "tokenEndpoint": "https://idp.example.com/token",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "secretName": "oidc-client",
}
AUTH = {**HTTPS, "auth-type": "cognito", "auth-idp-cognito": json.dumps(COGNITO)}
JWT = {"jwksEndpoint": "https://idp.example.com/jwks", "issuer": "https://idp.example.com"}
USE_ANNOTATION = {"service": "response-503", "port": "{name: use-annotation}"}
MISSING = object()


def ops(operation: str, name: str | None = None) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """The bodies of the steps with `operation` (and, when given, a name containing `name`)."""
    return lambda steps: [
        s["body"] for s in steps if s["operation"] == operation and (name is None or name in s["name"])
    ]


def body(operation: str, *path: str | int, name: str | None = None) -> Callable[[list[dict[str, Any]]], Any]:
    """The value at `path` in the one step with `operation` (MISSING when there is none or no such key)."""

    def probe(steps: list[dict[str, Any]]) -> Any:
        found = ops(operation, name)(steps)
        if len(found) != 1:
            return MISSING if not found else ("several", len(found))
        value: Any = found[0]
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return MISSING
        return value

    return probe


def action_of(operation: str, kind: str, name: str | None = None) -> Callable[[list[dict[str, Any]]], Any]:
    """The first action of `kind` in the one step with `operation` (a rule or a listener)."""

    def probe(steps: list[dict[str, Any]]) -> Any:
        actions = body(operation, "Actions" if operation == "CreateRule" else "DefaultActions", name=name)(
            steps
        )
        if actions is MISSING or isinstance(actions, tuple):
            return MISSING
        found = [a for a in actions if a.get("Type") == kind]
        return found[0] if found else MISSING

    return probe


def in_action(
    operation: str, kind: str, *path: str, name: str | None = None
) -> Callable[[list[dict[str, Any]]], Any]:
    """The value at `path` in the first action of `kind` of the one step with `operation`."""

    def probe(steps: list[dict[str, Any]]) -> Any:
        value = action_of(operation, kind, name)(steps)
        for key in path:
            if value is MISSING:
                return MISSING
            value = value.get(key, MISSING)
        return value

    return probe


def attribute(operation: str, key: str) -> Callable[[list[dict[str, Any]]], Any]:
    """The value of attribute `key` in the one step with `operation` (ModifyXAttributes)."""

    def probe(steps: list[dict[str, Any]]) -> Any:
        attributes = body(operation, "Attributes")(steps)
        if not isinstance(attributes, list):
            return MISSING
        return {a["Key"]: a["Value"] for a in attributes}.get(key, MISSING)

    return probe


@dataclass(frozen=True)
class Case:
    """One annotation: the doc's name, the concrete key and value set, what both plans carry, and where the
    value must show in the requests (`probe` over the steps of the plan with it, compared with `want`)."""

    name: str
    value: str
    probe: Callable[[list[dict[str, Any]]], Any]
    want: Any
    key: str = ""  # the concrete key of a templated name; the name itself otherwise
    base: dict[str, str] = field(default_factory=dict)
    ingress: dict[str, str] = field(default_factory=dict)  # INGRESS fields other than the defaults
    extra: str = ""
    base_error: bool = False  # without the annotation the Ingress is refused (an error naming it)
    refusal: str = ""  # what that error names, when not the annotation
    where: str = "steps"  # "spec": no request differs in an empty account; the probe reads the document

    @property
    def annotation(self) -> str:
        return A + (self.key or self.name.removeprefix(A))


def case(name: str, value: str, probe: Callable[..., Any], want: Any, **kw: Any) -> Case:
    return Case(A + name, value, probe, want, **kw)


def has_tag(key: str, value: str) -> Callable[[list[dict[str, Any]]], Any]:
    def probe(steps: list[dict[str, Any]]) -> Any:
        tags = body("CreateLoadBalancer", "Tags")(steps)
        return (
            MISSING if not isinstance(tags, list) else {t["Key"]: t["Value"] for t in tags}.get(key, MISSING)
        )

    return probe


def first_rule_paths(steps: list[dict[str, Any]]) -> Any:
    """The path values of the rule with priority 1."""
    first = [b for b in ops("CreateRule")(steps) if b.get("Priority") == 1]
    conditions = first[0]["Conditions"] if first else []
    return [v for c in conditions if c["Field"] == "path-pattern" for v in c["PathPatternConfig"]["Values"]]


def condition_fields(steps: list[dict[str, Any]]) -> Any:
    (rule,) = ops("CreateRule")(steps) or [{}]
    return sorted(c["Field"] for c in rule.get("Conditions", []))


def registered(steps: list[dict[str, Any]]) -> Any:
    return sorted(t["Id"] for b in ops("RegisterTargets")(steps) for t in b["Targets"])


def listener_rules_sg(steps: list[dict[str, Any]]) -> Any:
    """The sources the ALB's own security group lets in."""
    out = []
    for b in ops("AuthorizeSecurityGroupIngress")(steps):
        for perm in b.get("IpPermissions", []):
            out += [r["CidrIp"] for r in perm.get("IpRanges", [])]
            out += [r["PrefixListId"] for r in perm.get("PrefixListIds", [])]
    return sorted(out)


GROUP = {"group.name": "shop"}
SECOND_INGRESS = INGRESS.format(
    name="web-b",
    annotations=json.dumps({A + "group.name": "shop"}),
    tls="",
    path="/b",
    path_type="Prefix",
    service="web",
    port="{number: 80}",
)

ALB_CASES = [
    case("load-balancer-name", "my-load-balancer", body("CreateLoadBalancer", "Name"), "my-load-balancer"),
    case(
        "group.name",
        "my-team.awesome-group",
        has_tag("lbctl.io/stack", "my-team.awesome-group"),
        "my-team.awesome-group",
    ),
    case(
        "group.order",
        "10",
        first_rule_paths,
        ["/b", "/b/*"],
        base=GROUP,
        ingress={"path": "/a"},  # as specific as web-b's /b: the group order decides (docs/migration.md)
        extra="---" + SECOND_INGRESS,
    ),
    case("tags", "Environment=dev,Team=test", has_tag("Team", "test"), "test"),
    case("ip-address-type", "dualstack", body("CreateLoadBalancer", "IpAddressType"), "dualstack"),
    case("scheme", "internet-facing", body("CreateLoadBalancer", "Scheme"), "internet-facing"),
    case(
        "subnets",
        "public-us-east-1a, public-us-east-1b",
        lambda s: sorted(body("CreateLoadBalancer", "Subnets")(s)),
        lambda planner: planner.public_subnets,
    ),
    case(
        "security-groups",
        "shop-frontend",
        body("CreateLoadBalancer", "SecurityGroups"),
        lambda planner: [planner.named["shop-frontend"]],  # by its Name tag; no group of lbctl's own
    ),
    case(
        "manage-backend-security-group-rules",
        "true",
        lambda s: len(body("CreateLoadBalancer", "SecurityGroups")(s)),
        2,  # the user's group and the cluster's shared backend group
        base={"security-groups": "shop-frontend"},
    ),
    case(
        "customer-owned-ipv4-pool",
        "ipv4pool-coip-0123abcd",
        body("CreateLoadBalancer", "CustomerOwnedIpv4Pool"),
        "ipv4pool-coip-0123abcd",
    ),
    case(
        "load-balancer-attributes",
        "idle_timeout.timeout_seconds=600",
        attribute("ModifyLoadBalancerAttributes", "idle_timeout.timeout_seconds"),
        "600",
    ),
    case("wafv2-acl-arn", WAF_ARN, body("AssociateWebACL", "WebACLArn"), WAF_ARN),
    case(
        "wafv2-acl-name",
        "web-acl-name-1",
        body("AssociateWebACL", "WebACLArn"),
        lambda planner: planner.named["web-acl-name-1"],
    ),
    case("waf-acl-id", "web-acl-id-1", body("AssociateWebACL", "WebACLId"), "web-acl-id-1"),
    case("shield-advanced-protection", "true", lambda s: bool(ops("CreateProtection")(s)), True),
    case("listen-ports", '[{"HTTP": 8080}]', body("CreateListener", "Port"), 8080),
    case(
        "ssl-redirect",
        "443",
        in_action("CreateListener", "redirect", "RedirectConfig", "Port", name="HTTP:80"),
        "443",
        base={**HTTPS, "listen-ports": '[{"HTTP": 80}, {"HTTPS":443}]'},
    ),
    case("inbound-cidrs", "10.0.0.0/24", listener_rules_sg, ["10.0.0.0/24"]),
    case("security-group-prefix-lists", "pl-00000000", lambda s: "pl-00000000" in listener_rules_sg(s), True),
    case("certificate-arn", CERT, body("CreateListener", "Certificates", 0, "CertificateArn"), CERT),
    case(
        "ssl-policy",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        body("CreateListener", "SslPolicy"),
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        base=HTTPS,
    ),
    case("target-type", "ip", body("CreateTargetGroup", "TargetType"), "ip"),
    case("backend-protocol", "HTTPS", body("CreateTargetGroup", "Protocol"), "HTTPS"),
    case(
        "backend-protocol-version",
        "HTTP2",
        body("CreateTargetGroup", "ProtocolVersion"),
        "HTTP2",
        base={**HTTPS, "backend-protocol": "HTTPS"},
    ),
    case(
        "target-group-attributes",
        "deregistration_delay.timeout_seconds=30",
        attribute("ModifyTargetGroupAttributes", "deregistration_delay.timeout_seconds"),
        "30",
    ),
    case("healthcheck-port", "8080", body("CreateTargetGroup", "HealthCheckPort"), "8080"),
    case("healthcheck-protocol", "HTTPS", body("CreateTargetGroup", "HealthCheckProtocol"), "HTTPS"),
    case("healthcheck-path", "/ping", body("CreateTargetGroup", "HealthCheckPath"), "/ping"),
    case("healthcheck-interval-seconds", "10", body("CreateTargetGroup", "HealthCheckIntervalSeconds"), 10),
    case("healthcheck-timeout-seconds", "8", body("CreateTargetGroup", "HealthCheckTimeoutSeconds"), 8),
    case("healthy-threshold-count", "3", body("CreateTargetGroup", "HealthyThresholdCount"), 3),
    case("unhealthy-threshold-count", "3", body("CreateTargetGroup", "UnhealthyThresholdCount"), 3),
    case("success-codes", "200-300", body("CreateTargetGroup", "Matcher", "HttpCode"), "200-300"),
    case(
        "auth-type",
        "cognito",
        lambda s: action_of("CreateRule", "authenticate-cognito")(s) is not MISSING,
        True,
        base={**HTTPS, "auth-idp-cognito": json.dumps(COGNITO)},
    ),
    case(
        "auth-idp-cognito",
        json.dumps(COGNITO),
        in_action("CreateRule", "authenticate-cognito", "AuthenticateCognitoConfig", "UserPoolArn"),
        COGNITO["userPoolARN"],
        base={**HTTPS, "auth-type": "cognito"},
        base_error=True,
    ),
    case(
        "auth-idp-oidc",
        json.dumps(OIDC),
        in_action("CreateRule", "authenticate-oidc", "AuthenticateOidcConfig", "Issuer"),
        OIDC["issuer"],
        base={**HTTPS, "auth-type": "oidc"},
        extra=OIDC_SECRET,
        base_error=True,
    ),
    case(
        "auth-on-unauthenticated-request",
        "allow",
        in_action(
            "CreateRule", "authenticate-cognito", "AuthenticateCognitoConfig", "OnUnauthenticatedRequest"
        ),
        "allow",
        base=AUTH,
    ),
    case(
        "auth-scope",
        "email openid",
        in_action("CreateRule", "authenticate-cognito", "AuthenticateCognitoConfig", "Scope"),
        "email openid",
        base=AUTH,
    ),
    case(
        "auth-session-cookie",
        "my-session-cookie",
        in_action("CreateRule", "authenticate-cognito", "AuthenticateCognitoConfig", "SessionCookieName"),
        "my-session-cookie",
        base=AUTH,
    ),
    case(
        "auth-session-timeout",
        "86400",
        in_action("CreateRule", "authenticate-cognito", "AuthenticateCognitoConfig", "SessionTimeout"),
        86400,
        base=AUTH,
    ),
    case(
        "jwt-validation",
        json.dumps(JWT),
        in_action("CreateRule", "jwt-validation", "JwtValidationConfig", "Issuer"),
        JWT["issuer"],
        base=HTTPS,
    ),
    case(
        "actions.${action-name}",
        json.dumps(
            {
                "type": "fixed-response",
                "fixedResponseConfig": {
                    "contentType": "text/plain",
                    "statusCode": "503",
                    "messageBody": "503 error text",
                },
            }
        ),
        in_action("CreateRule", "fixed-response", "FixedResponseConfig", "StatusCode"),
        "503",
        key="actions.response-503",
        ingress=USE_ANNOTATION,
        base_error=True,
    ),
    case(
        "transforms.${transforms-name}",
        json.dumps(
            [
                {
                    "type": "url-rewrite",
                    "urlRewriteConfig": {"rewrites": [{"regex": "^/api/(.+)$", "replace": "/$1"}]},
                }
            ]
        ),
        lambda s: [t["Type"] for b in ops("CreateRule")(s) for t in b.get("Transforms", [])],
        ["url-rewrite"],
        key="transforms.web",
    ),
    case(
        "conditions.${conditions-name}",
        json.dumps(
            [
                {
                    "field": "http-header",
                    "httpHeaderConfig": {"httpHeaderName": "HeaderName", "values": ["HeaderValue1"]},
                }
            ]
        ),
        condition_fields,
        ["host-header", "http-header", "path-pattern"],
        key="conditions.web",
    ),
    case(
        "use-regex-path-match",
        "true",
        lambda s: body("CreateRule", "Conditions")(s)[-1].get("PathPatternConfig", {}).get("RegexValues"),
        ["^/api/(.+)$"],
        ingress={"path": "'/^/api/(.+)$'", "path_type": "ImplementationSpecific"},
        base_error=True,  # without it the doc's regex path is no ALB path pattern: refused
        refusal="contains '^'",
    ),
    case("target-node-labels", "pool=web", registered, ["i-0aaa"], extra=NODES),
    case(
        "mutual-authentication",
        json.dumps([{"port": 443, "mode": "passthrough"}]),
        body("CreateListener", "MutualAuthentication", "Mode"),
        "passthrough",
        base=HTTPS,
    ),
    # It decides which targets a converge may deregister, so no request differs in an empty account; against
    # a target group holding another cluster's target, tests/aws/test_addons.py shows the plan leaving it.
    case(
        "multi-cluster-target-group",
        "true",
        lambda doc: doc["backends"]["shop/web:80"]["multi_cluster"],
        True,
        where="spec",
    ),
    case(
        "listener-attributes.${Protocol}-${Port}",
        "routing.http.response.server.enabled=false",
        attribute("ModifyListenerAttributes", "routing.http.response.server.enabled"),
        "false",
        key="listener-attributes.HTTP-80",
    ),
    case(
        "minimum-load-balancer-capacity",
        "CapacityUnits=1000",
        body("ModifyCapacityReservation", "MinimumLoadBalancerCapacity", "CapacityUnits"),
        1000,
    ),
    case(
        "ipam-ipv4-pool-id",
        "ipam-pool-1234567890abcdef0",
        body("CreateLoadBalancer", "IpamPools", "Ipv4IpamPoolId"),
        "ipam-pool-1234567890abcdef0",
    ),
    case(
        "target-control-port.${serviceName}.${servicePort}",
        "3000",
        body("CreateTargetGroup", "TargetControlPort"),
        3000,
        key="target-control-port.web.80",
        base={"target-type": "ip"},
    ),
    case(
        "create-acm-cert",
        "true",
        body("RequestCertificate", "DomainName"),
        "www.example.com",
        ingress={"tls": "  tls: [{hosts: [www.example.com]}]"},
        base_error=True,  # TLS hosts and no certificate: refused
        refusal="no ISSUED ACM certificate covers www.example.com",
    ),
    case(
        "acm-pca-arn",
        PCA,
        body("RequestCertificate", "CertificateAuthorityArn"),
        PCA,
        base={"create-acm-cert": "true"},
        ingress={"tls": "  tls: [{hosts: [www.example.com]}]"},
    ),
]


def nlb_step(operation: str, *path: str | int) -> Callable[[list[dict[str, Any]]], Any]:
    """The value at `path` in the one frontend-NLB step with `operation`: its NLB (named `…-nlb`), listener
    (`…-nlb:PORT`) or target group (TargetType alb)."""

    def probe(steps: list[dict[str, Any]]) -> Any:
        found = [
            s["body"]
            for s in steps
            if s["operation"] == operation
            and (s["name"].endswith("-nlb") or "-nlb:" in s["name"] or s["body"].get("TargetType") == "alb")
        ]
        if len(found) != 1:
            return MISSING if not found else ("several", len(found))
        value: Any = found[0]
        for key in path:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return MISSING
        return value

    return probe


def nlb_tag(key: str) -> Callable[[list[dict[str, Any]]], Any]:
    def probe(steps: list[dict[str, Any]]) -> Any:
        tags = nlb_step("CreateLoadBalancer", "Tags")(steps)
        return (
            MISSING if not isinstance(tags, list) else {t["Key"]: t["Value"] for t in tags}.get(key, MISSING)
        )

    return probe


ON = {"enable-frontend-nlb": "true"}
PUBLIC = {**ON, "frontend-nlb-scheme": "internet-facing", "frontend-nlb-subnets": "public-us-east-1a"}
TG = "CreateTargetGroup"
# The doc's example forms; where the doc's example is the default, another value of that form.
FRONTEND_CASES = [
    case("enable-frontend-nlb", "true", nlb_step("CreateLoadBalancer", "Type"), "network"),
    case(
        "frontend-nlb-scheme",
        "internet-facing",
        nlb_step("CreateLoadBalancer", "Scheme"),
        "internet-facing",
        base=ON,
    ),
    case(
        "frontend-nlb-subnets",
        "public-us-east-1a, public-us-east-1b",  # for an internal NLB, which would get the private ones
        lambda s: sorted(nlb_step("CreateLoadBalancer", "Subnets")(s)),
        lambda planner: planner.public_subnets,
        base=ON,
    ),
    case(
        "frontend-nlb-security-groups",
        "shop-frontend",
        nlb_step("CreateLoadBalancer", "SecurityGroups"),
        lambda planner: [planner.named["shop-frontend"]],
        base=ON,
    ),
    case("frontend-nlb-listener-port-mapping", "8080=80", nlb_step("CreateListener", "Port"), 8080, base=ON),
    case("frontend-nlb-healthcheck-port", "8080", nlb_step(TG, "HealthCheckPort"), "8080", base=ON),
    case("frontend-nlb-healthcheck-protocol", "HTTPS", nlb_step(TG, "HealthCheckProtocol"), "HTTPS", base=ON),
    case("frontend-nlb-healthcheck-path", "/health", nlb_step(TG, "HealthCheckPath"), "/health", base=ON),
    case(
        "frontend-nlb-healthcheck-interval-seconds",
        "30",
        nlb_step(TG, "HealthCheckIntervalSeconds"),
        30,
        base=ON,
    ),
    case(
        "frontend-nlb-healthcheck-timeout-seconds",
        "10",
        nlb_step(TG, "HealthCheckTimeoutSeconds"),
        10,
        base=ON,
    ),
    case(
        "frontend-nlb-healthcheck-healthy-threshold-count",
        "3",
        nlb_step(TG, "HealthyThresholdCount"),
        3,
        base=ON,
    ),
    case(
        "frontend-nlb-healthcheck-unhealthy-threshold-count",
        "3",
        nlb_step(TG, "UnhealthyThresholdCount"),
        3,
        base=ON,
    ),
    case(
        "frontend-nlb-healthcheck-success-codes",
        "200-299",
        nlb_step(TG, "Matcher", "HttpCode"),
        "200-299",
        base=ON,
    ),
    case("frontend-nlb-tags", "Environment=prod,Team=platform", nlb_tag("Environment"), "prod", base=ON),
    case(
        "frontend-nlb-eip-allocations",
        "eipalloc-0123456789abcdef0",
        nlb_step("CreateLoadBalancer", "SubnetMappings", 0, "AllocationId"),
        "eipalloc-0123456789abcdef0",
        base=PUBLIC,
    ),
    case(
        "frontend-nlb-attributes",
        "deletion_protection.enabled=true",
        lambda s: {
            a["Key"]: a["Value"]
            for b in ops("ModifyLoadBalancerAttributes", "-nlb")(s)
            for a in b["Attributes"]
        }.get("deletion_protection.enabled", MISSING),
        "true",
        base=ON,
    ),
]
ALB_CASES += FRONTEND_CASES


def manifest(annotations: dict[str, str], c: Case) -> str:
    fields = {"tls": "", "path": "/", "path_type": "Prefix", "service": "web", "port": "{number: 80}"}
    fields.update(c.ingress)
    text = INGRESS.format(
        name="web", annotations=json.dumps({A + k: v for k, v in annotations.items()}), **fields
    )
    return text + SERVICE + c.extra


@dataclass
class Planned:
    """What `lbctl plan --offline -o json` prints for the files (documents) and what `lbctl validate` lists."""

    documents: list[dict[str, Any]]
    problems: list[Problem]

    @property
    def steps(self) -> list[dict[str, Any]]:
        (doc,) = self.documents
        return list(doc["steps"])

    def errors_naming(self, text: str) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR and text in f"{p.field} {p.message}"]


class OfflinePlanner:
    """The body of `lbctl plan --offline -o json` and of `lbctl validate`, in this process, against one
    embedded account opened as the CLI opens it (so both plans of a case see the same resource IDs)."""

    def __init__(
        self, config: ProviderConfig, work: Path, public_subnets: list[str], named: dict[str, str]
    ) -> None:
        self.config, self.work, self.public_subnets = config, work, public_subnets
        self.named = named  # what the fixture created: name → ID or ARN
        self.seen: dict[
            str, Planned
        ] = {}  # plans only read: many cases share their plan without the annotation

    def __call__(self, text: str) -> Planned:
        if text not in self.seen:
            self.seen[text] = self._plan(text)
        return self.seen[text]

    def _plan(self, text: str) -> Planned:
        path = self.work / "manifest.yaml"
        path.write_text(text)
        ctx = plan.make_context("plan", ["-f", str(path), "--provider", "aws", "--offline", "-o", "json"])
        opts = {
            k: v
            for k, v in ctx.params.items()
            if k not in {"files", "provider", "class_names", "output", "offline", "live", "strict"}
        }
        result = load((str(path),))
        builds = build_all(result, "aws", (), "plan", opts, assume_missing=True)
        problems = all_problems(result, builds) + _translation_problems(builds)
        cloud = plugins()["aws"](self.config)
        documents = []
        for spec in builds["aws"].specs:
            planned = _plan_in_cloud(cloud, spec, result, problems)
            doc = spec.to_dict()
            if planned is not None:
                doc["changes"] = [vars(c) for c in planned.changes]
                doc["steps"] = step_documents(planned.steps)
            documents.append(json.loads(json.dumps(doc, default=str)))
        return Planned(documents, problems)


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflinePlanner]:
    """The CLI's embedded account, with what the cases name: a security group, a WAFv2 web ACL."""
    work = tmp_path_factory.mktemp("every-annotation")
    aws = plugins()["aws"]
    assert aws.offline is not None
    # moto keeps one backend per process: start from an empty cloud, as every other moto test does
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    with aws.offline(OfflineRequest(CLUSTER, None, [], {})) as config:  # type: ignore[arg-type]
        client = lambda service: boto3.client(  # noqa: E731
            service,
            endpoint_url=config.endpoint_url,
            region_name=config.options["region"],
            aws_access_key_id=config.options["aws_access_key_id"],
            aws_secret_access_key=config.options["aws_secret_access_key"],
        )
        group = client("ec2").create_security_group(
            GroupName="shop-frontend",
            Description="the shop's own ALB security group",
            VpcId=config.options["vpc_id"],
            TagSpecifications=[
                {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "shop-frontend"}]}
            ],
        )
        acl = client("wafv2").create_web_acl(
            Name="web-acl-name-1",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": False,
                "CloudWatchMetricsEnabled": False,
                "MetricName": "m",
            },
        )
        # moto's backends are per process: other tests' VPCs may hold public-* subnets too
        subnets = client("ec2").describe_subnets(
            Filters=[
                {"Name": "tag:Name", "Values": ["public-*"]},
                {"Name": "vpc-id", "Values": [config.options["vpc_id"]]},
            ]
        )
        named = {"shop-frontend": group["GroupId"], "web-acl-name-1": acl["Summary"]["ARN"]}
        yield OfflinePlanner(config, work, sorted(s["SubnetId"] for s in subnets["Subnets"]), named)


def test_the_list_is_lbcs_reference() -> None:
    """67 names of the doc's table and the three its text adds; every one has a case below (the frontend NLB
    family's 16 among them)."""
    assert len(NAMES) == len(set(NAMES)) == 70
    assert {c.name for c in ALB_CASES} == set(NAMES)
    assert len({c.name for c in FRONTEND_CASES}) == 16


@pytest.mark.parametrize("c", ALB_CASES, ids=[c.name.removeprefix(A) for c in ALB_CASES])
def test_annotation_is_recognised_and_changes_the_planned_request(planner: OfflinePlanner, c: Case) -> None:
    key = c.annotation.removeprefix(A)
    without = planner(manifest(c.base, c))
    with_it = planner(manifest({**c.base, key: c.value}, c))
    assert exit_code(with_it.problems) == 0, [f"{p.field}: {p.message}" for p in with_it.problems]
    assert not [p for p in with_it.problems if c.annotation in f"{p.field} {p.message}"], with_it.problems
    want = c.want(planner) if callable(c.want) else c.want
    if c.base_error:  # the annotation is required here: without it the Ingress is refused, naming it
        assert without.errors_naming(c.refusal or c.annotation) or without.errors_naming(c.name), (
            without.problems
        )
        assert c.probe(with_it.steps) == want
        return
    assert exit_code(without.problems) == 0, [f"{p.field}: {p.message}" for p in without.problems]
    if c.where == "spec":
        (doc,) = with_it.documents
        assert with_it.documents != without.documents
        assert c.probe(doc) == want and c.probe(without.documents[0]) != want
        return
    assert with_it.steps != without.steps, "the annotation does not change any planned request"
    assert c.probe(with_it.steps) == want
    assert c.probe(without.steps) != want


@pytest.mark.parametrize("name", [c.name for c in FRONTEND_CASES[1:]], ids=lambda n: n.removeprefix(A))
def test_frontend_nlb_annotation_without_enable_is_an_error_naming_it(
    planner: OfflinePlanner, name: str
) -> None:
    """LBC reads the frontend-nlb-* annotations only with enable-frontend-nlb; set alone they would do nothing."""
    c = Case(name, "", lambda s: None, None)
    value = next(x.value for x in FRONTEND_CASES if x.name == name)
    planned = planner(manifest({name.removeprefix(A): value}, c))
    assert exit_code(planned.problems) == 2
    assert planned.errors_naming(name), planned.problems


def test_an_unknown_annotation_is_an_error_naming_it(planner: OfflinePlanner) -> None:
    c = Case(A + "made-up", "", lambda s: None, None)
    planned = planner(manifest({"made-up": "yes"}, c))
    assert exit_code(planned.problems) == 2
    assert planned.errors_naming(A + "made-up"), planned.problems


def run_cli(*argv: str, text: str) -> subprocess.CompletedProcess[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(text)
        f.flush()
        return lbctl_in_process(argv[0], "-f", f.name, "--provider", "aws", *argv[1:], cwd=ROOT_DIR)


def test_the_cli_agrees() -> None:
    """The real command: validate passes and `plan --offline -o json` carries the annotation's request field;
    a frontend NLB annotation without enable-frontend-nlb and a made-up name make validate exit 2 naming
    them."""
    c = next(c for c in ALB_CASES if c.name == A + "ssl-policy")
    text = manifest({**c.base, "ssl-policy": c.value}, c)
    checked = run_cli("validate", text=text)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = run_cli("plan", "--offline", "-o", "json", text=text)
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    assert c.probe(doc["steps"]) == c.want
    for bad in ("frontend-nlb-scheme", "made-up"):
        refused = run_cli("validate", "-o", "json", text=manifest({bad: "internet-facing"}, c))
        assert refused.returncode == 2, refused
        named = [p for p in json.loads(refused.stdout) if A + bad in p["field"] + p["message"]]
        assert [p["severity"] for p in named] == ["error"], refused.stdout
