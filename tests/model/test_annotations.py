"""The annotation registry: every declared annotation has valid and invalid value cases, and the
messages name the annotation, the value and the expected form.

The coverage tests iterate `REGISTRY`: declaring a new annotation without cases here fails them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lbctl.model import annotations as a
from lbctl.model.annotations import REGISTRY
from lbctl.model.problems import Severity, shorten
from lbctl.model.registry import Annotation

ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123"
WAF_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/1"
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
FIXED = {"type": "fixed-response", "fixedResponseConfig": {"statusCode": "503", "contentType": "text/plain"}}
WEIGHTED = {
    "type": "forward",
    "forwardConfig": {
        "targetGroups": [
            {"serviceName": "a", "servicePort": 80, "weight": 10},
            {"serviceName": "b", "servicePort": "http"},
        ],
        "targetGroupStickinessConfig": {"enabled": True, "durationSeconds": 60},
    },
}
REDIRECT = {
    "type": "redirect",
    "redirectConfig": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
}
QUERY_AND_SOURCE = [
    {"field": "query-string", "queryStringConfig": {"values": [{"key": "v", "value": "2"}]}},
    {"field": "source-ip", "sourceIpConfig": {"values": ["10.0.0.0/8"]}},
]
REGEX_COND = [
    {"field": "host-header", "hostHeaderConfig": {"regexValues": ["^(.+)\\.example\\.com$"]}},
    {"field": "path-pattern", "pathPatternConfig": {"regexValues": ["^/api/?(.*)$"]}},
    {
        "field": "http-header",
        "httpHeaderConfig": {"httpHeaderName": "User-Agent", "regexValues": [".+Chrome.+"]},
    },
]
TRANSFORMS = [
    {"type": "url-rewrite", "urlRewriteConfig": {"rewrites": [{"regex": "^/api/(.+)$", "replace": "/$1"}]}},
    {
        "type": "host-header-rewrite",
        "hostHeaderRewriteConfig": {
            "rewrites": [{"regex": "^(.+)\\.example\\.com$", "replace": "$1.example.org"}]
        },
    },
]
HEADER_COND = [
    {"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X-Canary", "values": ["yes"]}}
]

# annotation name → [(raw value, typed value)]
VALID: dict[str, list[tuple[str, Any]]] = {
    a.FRONTEND_NLB_ENABLE: [("true", True), ("false", False)],
    a.FRONTEND_NLB_SCHEME: [("internet-facing", "internet-facing")],
    a.FRONTEND_NLB_SUBNETS: [("subnet-1, subnet-2", ["subnet-1", "subnet-2"])],
    a.FRONTEND_NLB_SECURITY_GROUPS: [("sg-1,web", ["sg-1", "web"])],
    a.FRONTEND_NLB_PORT_MAPPING: [("80=443, 8443=443", {"80": "443", "8443": "443"})],
    a.FRONTEND_NLB_HC_PORT: [("traffic-port", "traffic-port"), ("8080", 8080)],
    a.FRONTEND_NLB_HC_PROTOCOL: [("HTTPS", "HTTPS")],
    a.FRONTEND_NLB_HC_PATH: [("/health", "/health")],
    a.FRONTEND_NLB_HC_INTERVAL: [("15", 15)],
    a.FRONTEND_NLB_HC_TIMEOUT: [("5", 5)],
    a.FRONTEND_NLB_HC_HEALTHY: [("3", 3)],
    a.FRONTEND_NLB_HC_UNHEALTHY: [("3", 3)],
    a.FRONTEND_NLB_HC_SUCCESS_CODES: [("200", "200"), ("200-399", "200-399")],
    a.FRONTEND_NLB_TAGS: [("Environment=prod,Team=platform", {"Environment": "prod", "Team": "platform"})],
    a.FRONTEND_NLB_EIPS: [("eipalloc-0a, eipalloc-0b", ["eipalloc-0a", "eipalloc-0b"])],
    a.FRONTEND_NLB_ATTRIBUTES: [
        (
            "dns_record.client_routing_policy=availability_zone_affinity",
            {"dns_record.client_routing_policy": "availability_zone_affinity"},
        )
    ],
    a.ACTIONS: [
        (json.dumps(FIXED), FIXED),
        (
            json.dumps({"type": "forward", "targetGroupARN": TG_ARN}),
            {"type": "forward", "targetGroupARN": TG_ARN},
        ),
        (json.dumps(WEIGHTED), WEIGHTED),
        (json.dumps(REDIRECT), REDIRECT),
    ],
    a.AUTH_IDP_COGNITO: [(json.dumps(COGNITO), COGNITO)],
    a.AUTH_IDP_OIDC: [(json.dumps(OIDC), OIDC)],
    a.AUTH_ON_UNAUTHENTICATED: [("deny", "deny"), ("allow", "allow"), (" authenticate ", "authenticate")],
    a.AUTH_SCOPE: [("openid email", "openid email")],
    a.AUTH_SESSION_COOKIE: [("my-cookie", "my-cookie")],
    a.AUTH_SESSION_TIMEOUT: [("3600", 3600), ("1", 1), ("604800", 604800)],
    a.AUTH_TYPE: [("oidc", "oidc"), ("cognito", "cognito"), ("none", "none")],
    a.BACKEND_PROTOCOL: [("HTTPS", "HTTPS"), ("HTTP", "HTTP")],
    a.BACKEND_PROTOCOL_VERSION: [("GRPC", "GRPC"), ("HTTP2", "HTTP2")],
    a.CERTIFICATE_ARN: [(ARN, [ARN]), (f"{ARN}, {ARN}2", [ARN, ARN + "2"])],
    a.CONDITIONS: [
        (json.dumps(HEADER_COND), HEADER_COND),
        (json.dumps(QUERY_AND_SOURCE), QUERY_AND_SOURCE),
        (json.dumps(REGEX_COND), REGEX_COND),
    ],
    a.GROUP_NAME: [("shop", "shop"), ("team-a.shop", "team-a.shop"), ("a" * 63, "a" * 63)],
    a.GROUP_ORDER: [("-1000", -1000), ("0", 0), ("1000", 1000), (" 7 ", 7)],
    a.HEALTHCHECK_INTERVAL: [("5", 5), ("300", 300)],
    a.HEALTHCHECK_PATH: [("/healthz", "/healthz"), ("/", "/")],
    a.HEALTHCHECK_PORT: [("traffic-port", "traffic-port"), ("8080", 8080), ("metrics", "metrics")],
    a.HEALTHCHECK_PROTOCOL: [("HTTPS", "HTTPS")],
    a.HEALTHCHECK_TIMEOUT: [("2", 2), ("120", 120)],
    a.HEALTHY_THRESHOLD: [("2", 2), ("10", 10)],
    a.INBOUND_CIDRS: [("10.0.0.0/16, ::/0", ["10.0.0.0/16", "::/0"]), ("10.0.0.1/16", ["10.0.0.0/16"])],
    a.IP_ADDRESS_TYPE: [("dualstack", "dualstack"), ("ipv4", "ipv4")],
    a.LISTEN_PORTS: [
        ('[{"HTTP": 80}, {"HTTPS": 443}]', [("HTTP", 80), ("HTTPS", 443)]),
        ('[{"HTTPS": 8443}]', [("HTTPS", 8443)]),
        ('[{"HTTP": 80, "HTTPS": 443}]', [("HTTP", 80), ("HTTPS", 443)]),
    ],  # as the anchor reads it
    a.LOAD_BALANCER_ATTRIBUTES: [
        (
            "idle_timeout.timeout_seconds=600, deletion_protection.enabled=true",
            {"idle_timeout.timeout_seconds": "600", "deletion_protection.enabled": "true"},
        )
    ],
    a.LOAD_BALANCER_NAME: [("my-lb", "my-lb"), ("a" * 32, "a" * 32)],
    a.SCHEME: [("internet-facing", "internet-facing"), ("internal", "internal")],
    a.SECURITY_GROUPS: [("sg-1, web", ["sg-1", "web"])],
    a.SECURITY_GROUP_PREFIX_LISTS: [
        ("pl-0123abcd, pl-0123456789abcdef0", ["pl-0123abcd", "pl-0123456789abcdef0"])
    ],
    a.MANAGE_BACKEND_SG_RULES: [("true", True), ("False", False)],
    a.SSL_POLICY: [("ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-2021-06")],
    a.SSL_REDIRECT: [("443", 443)],
    a.SUBNETS: [("subnet-1,subnet-2", ["subnet-1", "subnet-2"])],
    a.SUCCESS_CODES: [("200", "200"), ("200,302", "200,302"), ("200-399", "200-399"), ("0-99", "0-99")],
    a.TAGS: [("team=web, env=prod", {"team": "web", "env": "prod"}), ("empty=", {"empty": ""})],
    a.TARGET_GROUP_ATTRIBUTES: [
        ("deregistration_delay.timeout_seconds=30", {"deregistration_delay.timeout_seconds": "30"})
    ],
    a.TARGET_NODE_LABELS: [("pool=web", {"pool": "web"})],
    a.TARGET_TYPE: [("ip", "ip"), ("instance", "instance")],
    a.TRANSFORMS: [(json.dumps(TRANSFORMS), TRANSFORMS)],
    a.USE_REGEX_PATH_MATCH: [("true", True), ("False", False)],
    a.UNHEALTHY_THRESHOLD: [("3", 3)],
    a.WAFV2_ACL_ARN: [(WAF_ARN, WAF_ARN), ("none", "none")],
    a.WAFV2_ACL_NAME: [("shop-acl", "shop-acl"), ("none", "none")],
    a.WAF_ACL_ID: [("499e8b99-6671-4614-a86d-adb1810b7fbe", "499e8b99-6671-4614-a86d-adb1810b7fbe")],
    a.WEB_ACL_ID: [("none", "none")],
    a.SHIELD_ADVANCED_PROTECTION: [("true", True), ("false", False)],
    a.CUSTOMER_OWNED_IPV4_POOL: [("ipv4pool-coip-0123abcd", "ipv4pool-coip-0123abcd")],
    a.LISTENER_ATTRIBUTES: [("a=b\\,c, d=e", {"a": "b,c", "d": "e"})],
    a.TARGET_CONTROL_PORT: [("3000", 3000)],
    a.CREATE_ACM_CERT: [("true", True)],
    a.ACM_PCA_ARN: [
        (
            "arn:aws:acm-pca:eu-central-1:134051052098:certificate-authority/3728f28c-b201-4dfd-b329-083833017297",
            "arn:aws:acm-pca:eu-central-1:134051052098:certificate-authority/3728f28c-b201-4dfd-b329-083833017297",
        )
    ],
    a.MULTI_CLUSTER_TARGET_GROUP: [("true", True), ("false", False)],
    a.JWT_VALIDATION: [
        (
            '{"jwksEndpoint": "https://k", "issuer": "https://i"}',
            {"jwksEndpoint": "https://k", "issuer": "https://i"},
        )
    ],
    a.MUTUAL_AUTHENTICATION: [
        ('[{"port": 443, "mode": "passthrough"}]', [{"port": 443, "mode": "passthrough"}]),
        (
            '[{"port": 443, "mode": "verify", "trustStore": "s", "advertiseTrustStoreCaNames": "on"}]',
            [{"port": 443, "mode": "verify", "trustStore": "s", "advertiseTrustStoreCaNames": "on"}],
        ),
    ],
    a.IPAM_IPV4_POOL_ID: [("ipam-pool-0f995c17c00375b48", "ipam-pool-0f995c17c00375b48")],
    a.MINIMUM_LB_CAPACITY: [
        ("CapacityUnits=1000", {"CapacityUnits": "1000"}),
        ("CapacityUnits=0", {"CapacityUnits": "0"}),
    ],
    a.BACKEND_CONFIG_BETA: [('{"default": "cfg"}', {"default": "cfg"})],
    a.APP_PROTOCOLS: [('{"https": "HTTPS", "h2": "HTTP2"}', {"https": "HTTPS", "h2": "HTTP2"})],
    a.APP_PROTOCOLS_LEGACY: [('{"https": "HTTPS"}', {"https": "HTTPS"})],
    a.TRANSPARENT_HEALTH_CHECKER: [('{"enabled": true}', {"enabled": True}), ("{}", {})],
    a.SUPPRESS_FIREWALL_XPN_ERROR: [("true", True), ("false", False)],
    a.BACKEND_CONFIG: [
        ('{"default": "cfg"}', {"default": "cfg"}),
        ('{"ports": {"80": "a", "http": "b"}}', {"ports": {"80": "a", "http": "b"}}),
    ],
    a.NEG: [('{"ingress": true}', {"ingress": True}), ('{"ingress": false}', {"ingress": False})],
    a.PRE_SHARED_CERT: [("cert-a,cert-b", ["cert-a", "cert-b"])],
    a.MANAGED_CERTIFICATES: [("shop-cert", ["shop-cert"]), ("a, b.c", ["a", "b.c"])],
    a.REWRITE_TARGET: [("/", "/"), ("/api", "/api")],
    a.ALLOW_HTTP: [("false", False), ("true", True), ("TRUE", True)],
    a.INGRESS_CLASS: [("alb", "alb"), ("gce", "gce")],
    a.GLOBAL_STATIC_IP: [("my-ip", "my-ip")],
    a.REGIONAL_STATIC_IP: [("ilb-vip", "ilb-vip")],
    a.FRONTEND_CONFIG: [("my-frontend", "my-frontend")],
    a.REWRITE_TARGET_NGINX: [("/", "/")],
}

# annotation name → [raw invalid value]
INVALID: dict[str, list[str]] = {
    a.FRONTEND_NLB_ENABLE: ["yes"],
    a.FRONTEND_NLB_SCHEME: ["public"],
    a.FRONTEND_NLB_SUBNETS: [""],
    a.FRONTEND_NLB_SECURITY_GROUPS: [""],
    a.FRONTEND_NLB_PORT_MAPPING: ["80", "80=http", "0=80"],
    a.FRONTEND_NLB_HC_PORT: ["http", "70000"],
    a.FRONTEND_NLB_HC_PROTOCOL: ["TCP"],
    a.FRONTEND_NLB_HC_PATH: ["health"],
    a.FRONTEND_NLB_HC_INTERVAL: ["4", "301"],
    a.FRONTEND_NLB_HC_TIMEOUT: ["1"],
    a.FRONTEND_NLB_HC_HEALTHY: ["11"],
    a.FRONTEND_NLB_HC_UNHEALTHY: ["1"],
    a.FRONTEND_NLB_HC_SUCCESS_CODES: ["ok"],
    a.FRONTEND_NLB_TAGS: ["team"],
    a.FRONTEND_NLB_EIPS: ["eip-1"],
    a.FRONTEND_NLB_ATTRIBUTES: ["dns_record.client_routing_policy=nearest", "x"],
    a.ACTIONS: [
        "{not json",
        '{"type": "forward"}',
        '{"type": "teleport"}',
        '{"type": "fixed-response", "fixedResponseConfig": {"statusCode": "700"}}',
        '{"type": "redirect", "redirectConfig": {"statusCode": "HTTP_307"}}',
        '{"type": "forward", "forwardConfig": {"targetGroups": [{"serviceName": "a"}]}}',
        '{"type": "forward", "targetGroupARN": "not-an-arn"}',
        '{"type": "forward", "forwardConfig": {"targetGroups": [{"serviceName": "a", "servicePort": 80, "weight": 1000}]}}',
    ],
    a.AUTH_IDP_COGNITO: ['{"userPoolARN": "x"}', "[]"],
    a.AUTH_IDP_OIDC: ['{"issuer": "https://idp"}', json.dumps({**OIDC, "clientSecret": "s"})],
    a.AUTH_ON_UNAUTHENTICATED: ["maybe", "Deny"],
    a.AUTH_SCOPE: ["", "openid;drop"],
    a.AUTH_SESSION_COOKIE: ["bad cookie", ""],
    a.AUTH_SESSION_TIMEOUT: ["0", "604801", "1h"],
    a.AUTH_TYPE: ["basic", "OIDC"],
    a.BACKEND_PROTOCOL: ["TCP", "http"],
    a.BACKEND_PROTOCOL_VERSION: ["HTTP3"],
    a.CERTIFICATE_ARN: ["", f"{ARN},,{ARN}"],
    a.CONDITIONS: [
        "{}",
        '[{"field": "cookie"}]',
        '[{"field": "http-header"}]',
        "[]",
        '[{"field": "host-header", "hostHeaderConfig": {"values": ["a.b"], "regexValues": ["a"]}}]',
        '[{"field": "path-pattern", "pathPatternConfig": {}}]',
        '[{"field": "path-pattern", "pathPatternConfig": {"regexValues": ["(a"]}}]',
        '[{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X", "regexValues": ["(?<=a)b"]}}]',
    ],
    a.GROUP_NAME: ["Shop", "-shop", "a" * 64, "shop_1", ""],
    a.GROUP_ORDER: ["-1001", "1001", "first", "1.5", "", "\uff11"],  # fullwidth digit one
    a.HEALTHCHECK_INTERVAL: ["4", "301", "ten"],
    a.HEALTHCHECK_PATH: ["healthz", "/a b"],
    a.HEALTHCHECK_PORT: ["0", "65536", "Traffic_Port", "a-very-long-port-name", "\uff18\uff10"],
    a.HEALTHCHECK_PROTOCOL: ["TCP"],
    a.HEALTHCHECK_TIMEOUT: ["1", "121"],
    a.HEALTHY_THRESHOLD: ["1", "11"],
    a.INBOUND_CIDRS: ["10.0.0.0/33", "10.0.0.0/8,", "anywhere"],
    a.IP_ADDRESS_TYPE: ["ipv6"],
    a.LISTEN_PORTS: [
        '[{"HTTP": 80}',
        '{"HTTP": 80}',
        "[]",
        '[{"HTTP": "80"}]',
        '[{"TCP": 80}]',
        '[{"HTTP": 0}]',
        '[{"HTTP": 80}, {"HTTPS": 80}]',
    ],
    a.LOAD_BALANCER_ATTRIBUTES: ["idle_timeout", "=x", "a=1,,b=2"],
    a.LOAD_BALANCER_NAME: ["-lb", "a" * 33, "my_lb"],
    a.SCHEME: ["public", "Internal"],
    a.SECURITY_GROUPS: [" , "],
    a.SECURITY_GROUP_PREFIX_LISTS: ["office", "pl-xyz", " , "],
    a.MANAGE_BACKEND_SG_RULES: ["yes", ""],
    a.SSL_POLICY: ["bad policy!"],
    a.SSL_REDIRECT: ["yes", "0", "65536"],
    a.SUBNETS: [""],
    a.SUCCESS_CODES: ["ok", "200-", "2000", "\u0662\u0660\u0660"],  # Arabic-Indic 200
    a.TAGS: ["team", "a=1,b"],
    a.TARGET_GROUP_ATTRIBUTES: ["x"],
    a.TARGET_NODE_LABELS: ["pool"],
    a.TARGET_TYPE: ["pod", "IP"],
    a.TRANSFORMS: [
        "[]",
        '[{"type": "url-rewrite"}]',
        '[{"type": "url-rewrite", "hostHeaderRewriteConfig": {"rewrites": [{"regex": "a", "replace": "b"}]}}]',
        '[{"type": "url-rewrite", "urlRewriteConfig": {"rewrites": []}}]',
        '[{"type": "url-rewrite", "urlRewriteConfig": {"rewrites": [{"regex": "(a", "replace": "b"}]}}]',
        '[{"type": "url-rewrite", "urlRewriteConfig": {"rewrites": [{"regex": "(?=a)", "replace": "b"}]}}]',
        json.dumps(TRANSFORMS[:1] * 2),
        '[{"type": "header-rewrite"}]',
    ],
    a.USE_REGEX_PATH_MATCH: ["yes"],
    a.UNHEALTHY_THRESHOLD: ["100"],
    a.WAFV2_ACL_ARN: ["my-acl", "arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/1"],
    a.WAFV2_ACL_NAME: ["shop acl", "a" * 129],
    a.WAF_ACL_ID: ["a/b", ""],
    a.WEB_ACL_ID: ["a b"],
    a.SHIELD_ADVANCED_PROTECTION: ["yes", "on"],
    a.CUSTOMER_OWNED_IPV4_POOL: ["coip-1", ""],
    a.LISTENER_ATTRIBUTES: ["a", "=b"],
    a.TARGET_CONTROL_PORT: ["0", "65536", "http"],
    a.CREATE_ACM_CERT: ["yes"],
    a.ACM_PCA_ARN: ["arn:aws:acm:us-east-1:123456789012:certificate/abc", "my-ca"],
    a.MULTI_CLUSTER_TARGET_GROUP: ["yes"],
    a.JWT_VALIDATION: [
        '{"issuer": "i"}',
        '{"jwksEndpoint": "k", "issuer": "i", "additionalClaims": [{"name": "a"}]}',
    ],
    a.MUTUAL_AUTHENTICATION: [
        "[]",
        '[{"port": 443}]',
        '[{"port": 443, "mode": "strict"}]',
        '[{"port": 443, "mode": "verify"}]',
        '[{"port": 443, "mode": "passthrough", "ignoreClientCertificateExpiry": true}]',
    ],
    a.IPAM_IPV4_POOL_ID: ["pool-1", "ipam-pool-XYZ"],
    a.MINIMUM_LB_CAPACITY: [
        "1000",
        "Units=5",
        "CapacityUnits=-1",
        "CapacityUnits=2147483648",
        "CapacityUnits=1,x=2",
    ],
    a.BACKEND_CONFIG_BETA: ["cfg", "{}"],
    a.APP_PROTOCOLS: ['{"https": "TCP"}', "{}"],
    a.APP_PROTOCOLS_LEGACY: ['{"https": "TCP"}', "{}"],
    a.TRANSPARENT_HEALTH_CHECKER: ["true", '{"enabled": "yes"}', '{"enable": true}'],
    a.SUPPRESS_FIREWALL_XPN_ERROR: ["yes"],
    a.BACKEND_CONFIG: ['{"default": ""}', '{"port": {"80": "x"}}', "cfg"],
    a.NEG: [
        '{"ingress": "yes"}',
        "true",
        '{"zones": ["*"]}',
        '{"exposed_ports": {"http": {}}}',
        '{"exposed_ports": {"80": {"name": "My_NEG"}}}',
        '{"exposed_ports": {"80": {"size": 3}}}',
        '{"ingress": true, "exposed_ports": {"80": {"name": "my-neg"}}}',
    ],
    a.PRE_SHARED_CERT: ["a,,b"],
    a.MANAGED_CERTIFICATES: ["a,,b", "Shop_Cert", ""],
    a.REWRITE_TARGET: ["api"],
    a.ALLOW_HTTP: ["yes", "1"],
    a.INGRESS_CLASS: ["", "x" * 254],
    a.GLOBAL_STATIC_IP: ["My-IP", "1ip"],
    a.REGIONAL_STATIC_IP: ["ILB_VIP", "9vip"],
    a.FRONTEND_CONFIG: ["My_Config"],
    a.REWRITE_TARGET_NGINX: ["no-slash"],
}

# refused ones: no valid value at all; status ones (written by lbctl): no invalid one
DECLARED = [ann.name for ann in REGISTRY if ann.refused is None and not ann.status]
REFUSED = [ann.name for ann in REGISTRY if ann.refused is not None]
STATUS = [ann.name for ann in REGISTRY if ann.status]


def test_every_annotation_has_valid_cases() -> None:
    missing = sorted(set(DECLARED) - set(VALID))
    assert not missing, f"declare valid value cases for: {missing}"
    assert not sorted(set(VALID) - set(DECLARED)), "cases for annotations that are not declared"


def test_every_annotation_has_invalid_cases() -> None:
    missing = sorted(set(DECLARED) - set(INVALID))
    assert not missing, f"declare invalid value cases for: {missing}"
    assert not sorted(set(INVALID) - set(DECLARED)), "cases for annotations that are not declared"


def _key(ann: Annotation) -> str:
    return ann.family_prefix + "web" if ann.is_family else ann.name


def _kind(ann: Annotation) -> str:
    return "Ingress" if ann.scope.allows("Ingress") else "Service"


# annotation name → the expected form its error message states (written here, not read from the registry)
EXPECTED_FORM: dict[str, str] = {
    "alb.ingress.kubernetes.io/enable-frontend-nlb": "'true' or 'false'",
    "alb.ingress.kubernetes.io/frontend-nlb-scheme": "one of 'internal', 'internet-facing'",
    "alb.ingress.kubernetes.io/frontend-nlb-subnets": "a comma-separated list, e.g. 'a, b'",
    "alb.ingress.kubernetes.io/frontend-nlb-security-groups": "a comma-separated list, e.g. 'a, b'",
    "alb.ingress.kubernetes.io/frontend-nlb-listener-port-mapping": "comma-separated NLB-port=ALB-port pairs, e.g. '80=443,8443=443'",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-port": "'traffic-port' or a port number (1-65535)",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-protocol": "one of 'HTTP', 'HTTPS'",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-path": "a path starting with '/'",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-interval-seconds": "an integer from 5 to 300",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-timeout-seconds": "an integer from 2 to 120",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-healthy-threshold-count": "an integer from 2 to 10",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-unhealthy-threshold-count": "an integer from 2 to 10",
    "alb.ingress.kubernetes.io/frontend-nlb-healthcheck-success-codes": "HTTP codes like '200', '200,302' or '200-399' (gRPC: '0-99')",
    "alb.ingress.kubernetes.io/frontend-nlb-tags": "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
    "alb.ingress.kubernetes.io/frontend-nlb-eip-allocations": "a comma-separated list of eipalloc- IDs",
    "alb.ingress.kubernetes.io/frontend-nlb-attributes": "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
    "alb.ingress.kubernetes.io/actions.${name}": 'JSON like \'{"type":"fixed-response","fixedResponseConfig":{"statusCode":"503"}}\'',
    "alb.ingress.kubernetes.io/auth-idp-cognito": 'JSON like \'{"userPoolARN":"…","userPoolClientID":"…","userPoolDomain":"…"}\'',
    "alb.ingress.kubernetes.io/auth-idp-oidc": 'JSON like \'{"issuer":"…","authorizationEndpoint":"…","tokenEndpoint":"…","userInfoEndpoint":"…","secretName":"…"}\'',
    "alb.ingress.kubernetes.io/auth-on-unauthenticated-request": "one of 'authenticate', 'allow', 'deny'",
    "alb.ingress.kubernetes.io/auth-scope": "space-separated claims, e.g. 'openid email'",
    "alb.ingress.kubernetes.io/auth-session-cookie": "a cookie name",
    "alb.ingress.kubernetes.io/auth-session-timeout": "an integer from 1 to 604800",
    "alb.ingress.kubernetes.io/auth-type": "one of 'none', 'oidc', 'cognito'",
    "alb.ingress.kubernetes.io/backend-protocol": "one of 'HTTP', 'HTTPS'",
    "alb.ingress.kubernetes.io/backend-protocol-version": "one of 'HTTP1', 'HTTP2', 'GRPC'",
    "alb.ingress.kubernetes.io/certificate-arn": "a comma-separated list of certificate ARNs, e.g. 'a, b'",
    "alb.ingress.kubernetes.io/conditions.${name}": 'JSON like \'[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X","values":["y"]}}]\'',
    "alb.ingress.kubernetes.io/group.name": "up to 63 lower-case letters, digits, '-' or '.', starting and ending alphanumeric",
    "alb.ingress.kubernetes.io/group.order": "an integer from -1000 to 1000",
    "alb.ingress.kubernetes.io/manage-backend-security-group-rules": "'true' or 'false'",
    "alb.ingress.kubernetes.io/security-group-prefix-lists": "a comma-separated list of managed prefix list IDs",
    "alb.ingress.kubernetes.io/healthcheck-interval-seconds": "an integer from 5 to 300",
    "alb.ingress.kubernetes.io/healthcheck-path": "a path starting with '/'",
    "alb.ingress.kubernetes.io/healthcheck-port": "'traffic-port', a port number (1-65535) or a named port",
    "alb.ingress.kubernetes.io/healthcheck-protocol": "one of 'HTTP', 'HTTPS'",
    "alb.ingress.kubernetes.io/healthcheck-timeout-seconds": "an integer from 2 to 120",
    "alb.ingress.kubernetes.io/healthy-threshold-count": "an integer from 2 to 10",
    "alb.ingress.kubernetes.io/inbound-cidrs": "a comma-separated list of CIDRs (10.0.0.0/16, ::/0), e.g. 'a, b'",
    "alb.ingress.kubernetes.io/ip-address-type": "one of 'ipv4', 'dualstack', 'dualstack-without-public-ipv4'",
    "alb.ingress.kubernetes.io/listen-ports": 'JSON like \'[{"HTTP": 80}, {"HTTPS": 443}]\'',
    "alb.ingress.kubernetes.io/load-balancer-attributes": "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
    "alb.ingress.kubernetes.io/load-balancer-name": "up to 32 letters, digits or '-', not starting or ending with '-'",
    "alb.ingress.kubernetes.io/scheme": "one of 'internal', 'internet-facing'",
    "alb.ingress.kubernetes.io/security-groups": "a comma-separated list, e.g. 'a, b'",
    "alb.ingress.kubernetes.io/ssl-policy": "an ELB security policy name",
    "alb.ingress.kubernetes.io/ssl-redirect": "an integer from 1 to 65535",
    "alb.ingress.kubernetes.io/subnets": "a comma-separated list, e.g. 'a, b'",
    "alb.ingress.kubernetes.io/success-codes": "HTTP codes like '200', '200,302' or '200-399' (gRPC: '0-99')",
    "alb.ingress.kubernetes.io/tags": "comma-separated key=value pairs, e.g. 'team=shop,env=prod'",
    "alb.ingress.kubernetes.io/transforms.${name}": 'JSON like \'[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"^/api/(.+)$","replace":"/$1"}]}}]\'',
    "alb.ingress.kubernetes.io/use-regex-path-match": "'true' or 'false'",
    "alb.ingress.kubernetes.io/target-group-attributes": "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
    "alb.ingress.kubernetes.io/target-node-labels": "comma-separated key=value pairs, e.g. 'k1=v1,k2=v2'",
    "alb.ingress.kubernetes.io/target-type": "one of 'instance', 'ip'",
    "alb.ingress.kubernetes.io/unhealthy-threshold-count": "an integer from 2 to 10",
    "alb.ingress.kubernetes.io/wafv2-acl-arn": "a WAFv2 web ACL ARN",
    "alb.ingress.kubernetes.io/wafv2-acl-name": "the name of a regional WAFv2 web ACL",
    "alb.ingress.kubernetes.io/waf-acl-id": "a WAF Classic regional web ACL ID, or 'none'",
    "alb.ingress.kubernetes.io/web-acl-id": "a WAF Classic regional web ACL ID, or 'none'",
    "alb.ingress.kubernetes.io/shield-advanced-protection": "'true' or 'false'",
    "alb.ingress.kubernetes.io/customer-owned-ipv4-pool": "a customer-owned IPv4 pool ID like ipv4pool-coip-0123abcd",
    "alb.ingress.kubernetes.io/listener-attributes.${Protocol}-${Port}": "comma-separated key=value pairs ('\\,' for a comma in a value), e.g. 'routing.http.response.server.enabled=false'",
    "alb.ingress.kubernetes.io/target-control-port.${serviceName}.${servicePort}": "an integer from 1 to 65535",
    "alb.ingress.kubernetes.io/multi-cluster-target-group": "'true' or 'false'",
    "alb.ingress.kubernetes.io/create-acm-cert": "'true' or 'false'",
    "alb.ingress.kubernetes.io/acm-pca-arn": "an ACM private CA ARN like arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID",
    "alb.ingress.kubernetes.io/jwt-validation": 'JSON like \'{"jwksEndpoint":"https://…","issuer":"https://…"}\'',
    "alb.ingress.kubernetes.io/mutual-authentication": 'JSON like \'[{"port":443,"mode":"verify","trustStore":"my-store","ignoreClientCertificateExpiry":false}]\'',
    "alb.ingress.kubernetes.io/ipam-ipv4-pool-id": "an IPv4 IPAM pool ID like ipam-pool-0f995c17c00375b48",
    "alb.ingress.kubernetes.io/minimum-load-balancer-capacity": "CapacityUnits=N (N from 0 to 2147483647; 0 resets the reservation)",
    "beta.cloud.google.com/backend-config": 'JSON like \'{"default": "my-config"}\'',
    "cloud.google.com/app-protocols": 'JSON like \'{"my-https-port": "HTTPS"}\'',
    "service.alpha.kubernetes.io/app-protocols": 'JSON like \'{"my-https-port": "HTTPS"}\'',
    "networking.gke.io/transparent-health-checker": "JSON like '{\"enabled\": true}'",
    "networking.gke.io/suppress-firewall-xpn-error": "'true' or 'false'",
    "cloud.google.com/backend-config": 'JSON like \'{"default": "my-config"}\' or \'{"ports": {"80": "my-config"}}\'',
    "cloud.google.com/neg": "JSON like '{\"ingress\": true}'",
    "ingress.gcp.kubernetes.io/pre-shared-cert": "a comma-separated list of SSL certificate names, e.g. 'a, b'",
    "networking.gke.io/managed-certificates": "a comma-separated list of ManagedCertificate names, e.g. 'a, b'",
    "ingress.kubernetes.io/rewrite-target": "a path starting with '/'",
    "kubernetes.io/ingress.allow-http": "'true' or 'false'",
    "kubernetes.io/ingress.class": "an ingress class name, e.g. 'alb' or 'gce'",
    "kubernetes.io/ingress.global-static-ip-name": "the name of an existing global static IP address (lower-case letters, digits and '-', starting with a letter, up to 63)",
    "kubernetes.io/ingress.regional-static-ip-name": "the name of an existing regional static IP address (lower-case letters, digits and '-', starting with a letter, up to 63)",
    "networking.gke.io/v1beta1.FrontendConfig": "a FrontendConfig name",
    "nginx.ingress.kubernetes.io/rewrite-target": "a path starting with '/'",
}


VALID_CASES = [(name, raw, typed) for name, cases in VALID.items() for raw, typed in cases]
INVALID_CASES = [(name, raw) for name, cases in INVALID.items() for raw in cases]


@pytest.mark.parametrize(
    ("name", "raw", "typed"), VALID_CASES, ids=[f"{n}={r[:40]}" for n, r, _ in VALID_CASES]
)
def test_valid_value(name: str, raw: str, typed: Any) -> None:
    ann = REGISTRY.get(name)
    parsed = REGISTRY.parse({_key(ann): raw}, _kind(ann), "Ingress default/web")
    assert parsed.problems == []
    value = parsed.family(name)["web"] if ann.is_family else parsed.get(name)
    assert parsed.has(name) or ann.is_family
    assert value == typed


@pytest.mark.parametrize(("name", "raw"), INVALID_CASES, ids=[f"{n}={r[:40]}" for n, r in INVALID_CASES])
def test_invalid_value_names_annotation_value_and_expected_form(name: str, raw: str) -> None:
    ann = REGISTRY.get(name)
    key = _key(ann)
    parsed = REGISTRY.parse({key: raw}, _kind(ann), "Ingress default/web", "app.yaml#0")
    assert len(parsed.problems) == 1, parsed.problems
    (problem,) = parsed.problems
    assert problem.severity == Severity.ERROR
    assert problem.field == f"metadata.annotations[{key}]"
    assert shorten(raw) in problem.message
    assert f"expected {EXPECTED_FORM[name]}" in problem.message
    text = str(problem)
    assert key in text and "app.yaml#0" in text and "Ingress default/web" in text
    assert not parsed.has(name) and parsed.family(name) == {}


def test_defaults_are_valid_typed_values() -> None:
    """A declared default must be what parsing its documented form gives (or None); so must every
    situational default (Variant), and the docs show each form."""
    for ann in REGISTRY:
        if ann.default is None:
            assert not ann.default_doc and not ann.variants, ann.name
            continue
        assert ann.parser.parse(ann.default_doc or str(ann.default)) == ann.default, ann.name
        assert ann.default_docs.startswith(ann.default_doc or str(ann.default)), ann.name
        for variant in ann.variants:
            assert ann.parser.parse(variant.form) == variant.value, (ann.name, variant.key)
            assert ann.default_for(variant.key) == variant.value and variant.form in ann.default_docs
        assert ann.default_for("no such situation") == ann.default


def test_every_annotation_is_documented() -> None:
    for ann in REGISTRY:
        assert ann.doc.strip(), ann.name
        assert ann.provider in ("aws", "gcp", "any"), ann.name


def test_malformed_listen_ports_message() -> None:
    raw = '[{"HTTP": 80}'
    parsed = REGISTRY.parse({a.LISTEN_PORTS: raw}, "Ingress", "Ingress default/web")
    (problem,) = parsed.problems
    assert problem.field == "metadata.annotations[alb.ingress.kubernetes.io/listen-ports]"
    assert "'[{\"HTTP\": 80}'" in problem.message
    assert '[{"HTTP": 80}, {"HTTPS": 443}]' in problem.message
    assert "not valid JSON" in problem.message


@pytest.mark.parametrize(
    "key",
    [
        "alb.ingress.kubernetes.io/listen-port",
        "alb.ingress.kubernetes.io/actions.",
        "alb.ingress.kubernetes.io/Scheme",
        "alb.ingress.kubernetes.io/frontend-nlb-colour",
    ],
)
@pytest.mark.parametrize("kind", ["Ingress", "Service"])
def test_unknown_alb_annotation_is_an_error(key: str, kind: str) -> None:
    """Every alb.ingress.kubernetes.io/ name means something to the load balancer: one lbctl does not
    implement is an error naming it, never a load balancer that silently differs."""
    parsed = REGISTRY.parse({key: "x"}, kind, f"{kind} default/web")
    (problem,) = parsed.problems
    assert problem.severity == Severity.ERROR
    assert problem.field == f"metadata.annotations[{key}]"
    assert problem.message == "not supported by lbctl; the load balancer would differ from what you asked"


def test_status_annotations_are_ingress_gces_and_never_input() -> None:
    """ingress-gce's status keys (pkg/annotations/ingress.go, and the Service's NEG status of
    pkg/negannotation), each accepted whatever it holds (an object copied from a GKE cluster carries them) and
    read as nothing."""
    assert sorted(STATUS) == sorted(
        ["cloud.google.com/neg-status"]
        + [
            "ingress.kubernetes.io/" + k
            for k in (
                "backends",
                "url-map",
                "redirect-url-map",
                "forwarding-rule",
                "https-forwarding-rule",
                "target-proxy",
                "https-target-proxy",
                "ssl-cert",
                "static-ip",
            )
        ]
    )
    for name in STATUS:
        for raw in ("k8s2-um-x", '{"k8s-be-1":"HEALTHY"}', ""):
            parsed = REGISTRY.parse({name: raw}, "Ingress", "Ingress default/web")
            assert not parsed.problems and not parsed.has(name)
            assert not REGISTRY.parse({name: raw}, "Service", "Service default/web").problems


def test_the_frontend_nlb_family_is_declared() -> None:
    """aws-load-balancer-controller's 16 enable-frontend-nlb / frontend-nlb-* names, all declared (none refused:
    lbctl builds the NLB; tests/model/test_frontend_nlb_model.py)."""
    assert len(a.FRONTEND_NLB) == 16 and not set(a.FRONTEND_NLB) & set(REFUSED)


@pytest.mark.parametrize(
    "key",
    [
        "ingress.gcp.kubernetes.io/pre-shared-certs",
        "kubernetes.io/ingress.allow-https",
        "networking.gke.io/managed-certificate",
    ],
)
def test_unknown_key_under_a_watched_prefix_is_a_warning(key: str) -> None:
    parsed = REGISTRY.parse({key: "x"}, "Ingress", "Ingress default/web")
    (problem,) = parsed.problems
    assert problem.severity == Severity.WARNING
    assert problem.field == f"metadata.annotations[{key}]"
    assert "unknown" in problem.message


@pytest.mark.parametrize("key", ["example.com/anything", "kubectl.kubernetes.io/last-applied-configuration"])
def test_foreign_keys_are_ignored(key: str) -> None:
    assert REGISTRY.parse({key: "{}"}, "Ingress", "Ingress default/web").problems == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (a.NEG, "Ingress"),
        (a.BACKEND_CONFIG, "Ingress"),
        (a.APP_PROTOCOLS, "Ingress"),
        (a.LISTEN_PORTS, "Service"),
        (a.GROUP_NAME, "Service"),
        (a.SCHEME, "Service"),
    ],
)
def test_scope_violation_is_a_warning(name: str, kind: str) -> None:
    raw = VALID[name][0][0]
    parsed = REGISTRY.parse({name: raw}, kind, f"{kind} default/web")
    (problem,) = parsed.problems
    assert problem.severity == Severity.WARNING
    assert problem.field == f"metadata.annotations[{name}]"
    assert f"not on {kind}" in problem.message
    assert not parsed.has(name)


def test_scope_violation_with_invalid_value_is_only_a_warning() -> None:
    parsed = REGISTRY.parse({a.NEG: "nonsense"}, "Ingress", "Ingress default/web")
    assert [p.severity for p in parsed.problems] == [Severity.WARNING]


@pytest.mark.parametrize(
    "name",
    [a.LISTEN_PORTS, a.TAGS, a.INBOUND_CIDRS, a.GROUP_NAME, a.ACTIONS, a.SCHEME, a.GROUP_ORDER, a.SUBNETS],
)
def test_huge_values_are_shortened(name: str) -> None:
    ann = REGISTRY.get(name)
    huge = {
        a.LISTEN_PORTS: "[" + '{"HTTP": 80},' * 20000,
        a.TAGS: "k" * 100000,
        a.INBOUND_CIDRS: "10.0.0.0/8," + "z" * 100000,
        a.GROUP_NAME: "a" * 100000,
        a.ACTIONS: '{"type": "fixed-response", "fixedResponseConfig": {"statusCode": "'
        + "5" * 100000
        + '"}}',
        a.SCHEME: "x" * 100000,
        a.GROUP_ORDER: "9" * 100000,
        a.SUBNETS: "a," * 50000,
    }[name]
    parsed = REGISTRY.parse({_key(ann): huge}, _kind(ann), "Ingress default/web")
    (problem,) = parsed.problems
    assert problem.severity == Severity.ERROR
    assert len(problem.message) < 600, problem.message[:700]
    assert "chars)" in problem.message


def test_default_of_undeclared_name_fails_loudly() -> None:
    with pytest.raises(KeyError):
        REGISTRY.get("alb.ingress.kubernetes.io/not-declared")


def test_a_name_cannot_be_declared_twice() -> None:
    from lbctl.model.registry import AnnotationRegistry

    first = REGISTRY.get(a.SCHEME)
    with pytest.raises(ValueError, match="declared twice"):
        AnnotationRegistry([first, first], ())
