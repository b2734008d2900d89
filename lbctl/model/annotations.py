"""Every annotation lbctl understands, declared once. Parsing, validation and docs/annotations.md
all come from this table (`lbctl docs annotations` regenerates the page)."""

from __future__ import annotations

import re
from typing import Any

from lbctl.model import limits
from lbctl.model import parsers as p
from lbctl.model.registry import Annotation, AnnotationRegistry, Merge, Scope, Variant

ALB = "alb.ingress.kubernetes.io/"
GCE_INGRESS = "kubernetes.io/ingress."
GCP = "ingress.gcp.kubernetes.io/"
GKE = "cloud.google.com/"

# Names the model and providers read; a typo here fails at import time (registry.get).
LOAD_BALANCER_NAME = ALB + "load-balancer-name"
GROUP_NAME = ALB + "group.name"
GROUP_ORDER = ALB + "group.order"
TAGS = ALB + "tags"
IP_ADDRESS_TYPE = ALB + "ip-address-type"
SCHEME = ALB + "scheme"
SUBNETS = ALB + "subnets"
SECURITY_GROUPS = ALB + "security-groups"
LOAD_BALANCER_ATTRIBUTES = ALB + "load-balancer-attributes"
WAFV2_ACL_ARN = ALB + "wafv2-acl-arn"
WAFV2_ACL_NAME = ALB + "wafv2-acl-name"
WAF_ACL_ID = ALB + "waf-acl-id"
WEB_ACL_ID = ALB + "web-acl-id"
SHIELD_ADVANCED_PROTECTION = ALB + "shield-advanced-protection"
CUSTOMER_OWNED_IPV4_POOL = ALB + "customer-owned-ipv4-pool"
IPAM_IPV4_POOL_ID = ALB + "ipam-ipv4-pool-id"
MINIMUM_LB_CAPACITY = ALB + "minimum-load-balancer-capacity"
LISTENER_ATTRIBUTES = ALB + "listener-attributes.${Protocol}-${Port}"
MUTUAL_AUTHENTICATION = ALB + "mutual-authentication"
JWT_VALIDATION = ALB + "jwt-validation"
TARGET_CONTROL_PORT = ALB + "target-control-port.${serviceName}.${servicePort}"
MULTI_CLUSTER_TARGET_GROUP = ALB + "multi-cluster-target-group"
CREATE_ACM_CERT = ALB + "create-acm-cert"
ACM_PCA_ARN = ALB + "acm-pca-arn"
LISTEN_PORTS = ALB + "listen-ports"
SSL_REDIRECT = ALB + "ssl-redirect"
INBOUND_CIDRS = ALB + "inbound-cidrs"
SECURITY_GROUP_PREFIX_LISTS = ALB + "security-group-prefix-lists"
MANAGE_BACKEND_SG_RULES = ALB + "manage-backend-security-group-rules"
CERTIFICATE_ARN = ALB + "certificate-arn"
SSL_POLICY = ALB + "ssl-policy"
TARGET_TYPE = ALB + "target-type"
BACKEND_PROTOCOL = ALB + "backend-protocol"
BACKEND_PROTOCOL_VERSION = ALB + "backend-protocol-version"
TARGET_GROUP_ATTRIBUTES = ALB + "target-group-attributes"
HEALTHCHECK_PORT = ALB + "healthcheck-port"
HEALTHCHECK_PROTOCOL = ALB + "healthcheck-protocol"
HEALTHCHECK_PATH = ALB + "healthcheck-path"
HEALTHCHECK_INTERVAL = ALB + "healthcheck-interval-seconds"
HEALTHCHECK_TIMEOUT = ALB + "healthcheck-timeout-seconds"
HEALTHY_THRESHOLD = ALB + "healthy-threshold-count"
UNHEALTHY_THRESHOLD = ALB + "unhealthy-threshold-count"
SUCCESS_CODES = ALB + "success-codes"
AUTH_TYPE = ALB + "auth-type"
AUTH_IDP_COGNITO = ALB + "auth-idp-cognito"
AUTH_IDP_OIDC = ALB + "auth-idp-oidc"
AUTH_ON_UNAUTHENTICATED = ALB + "auth-on-unauthenticated-request"
AUTH_SCOPE = ALB + "auth-scope"
AUTH_SESSION_COOKIE = ALB + "auth-session-cookie"
AUTH_SESSION_TIMEOUT = ALB + "auth-session-timeout"
ACTIONS = ALB + "actions.${name}"
CONDITIONS = ALB + "conditions.${name}"
TRANSFORMS = ALB + "transforms.${name}"
USE_REGEX_PATH_MATCH = ALB + "use-regex-path-match"
TARGET_NODE_LABELS = ALB + "target-node-labels"

INGRESS_CLASS = "kubernetes.io/ingress.class"
GLOBAL_STATIC_IP = "kubernetes.io/ingress.global-static-ip-name"
REGIONAL_STATIC_IP = "kubernetes.io/ingress.regional-static-ip-name"
ALLOW_HTTP = "kubernetes.io/ingress.allow-http"
PRE_SHARED_CERT = GCP + "pre-shared-cert"
FRONTEND_CONFIG = "networking.gke.io/v1beta1.FrontendConfig"
MANAGED_CERTIFICATES = "networking.gke.io/managed-certificates"
NEG = GKE + "neg"
BACKEND_CONFIG = GKE + "backend-config"
BACKEND_CONFIG_BETA = "beta.cloud.google.com/backend-config"
APP_PROTOCOLS = GKE + "app-protocols"
APP_PROTOCOLS_LEGACY = "service.alpha.kubernetes.io/app-protocols"
TRANSPARENT_HEALTH_CHECKER = "networking.gke.io/transparent-health-checker"
SUPPRESS_FIREWALL_XPN_ERROR = "networking.gke.io/suppress-firewall-xpn-error"
NEG_STATUS = GKE + "neg-status"
REWRITE_TARGET_NGINX = "nginx.ingress.kubernetes.io/rewrite-target"
REWRITE_TARGET = "ingress.kubernetes.io/rewrite-target"

# Status annotations: what the controller made, written onto the Ingress as ingress-gce writes them.
STATUS = "ingress.kubernetes.io/"
STATUS_BACKENDS = STATUS + "backends"
STATUS_URL_MAP = STATUS + "url-map"
STATUS_REDIRECT_URL_MAP = STATUS + "redirect-url-map"
STATUS_FORWARDING_RULE = STATUS + "forwarding-rule"
STATUS_HTTPS_FORWARDING_RULE = STATUS + "https-forwarding-rule"
STATUS_TARGET_PROXY = STATUS + "target-proxy"
STATUS_HTTPS_TARGET_PROXY = STATUS + "https-target-proxy"
STATUS_SSL_CERT = STATUS + "ssl-cert"
STATUS_STATIC_IP = STATUS + "static-ip"

_ARN = r"arn:aws[a-zA-Z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:\S+"
_NAME_32 = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?"
_GROUP = r"[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?"
_RFC1035 = r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?"
_DNS_1123 = r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"

_STR = {"type": "string", "minLength": 1}
_PORT_REF = {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 65535}, _STR]}

ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": ["forward", "redirect", "fixed-response"]},
        "targetGroupARN": {"type": "string", "pattern": "^" + _ARN + "$"},
        "forwardConfig": {
            "type": "object",
            "required": ["targetGroups"],
            "additionalProperties": False,
            "properties": {
                "targetGroups": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 5,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "serviceName": _STR,
                            "servicePort": _PORT_REF,
                            "targetGroupARN": {"type": "string", "pattern": "^" + _ARN + "$"},
                            "targetGroupName": _STR,
                            "weight": {"type": "integer", "minimum": 0, "maximum": 999},
                        },
                        "oneOf": [
                            {"required": ["serviceName", "servicePort"]},
                            {"required": ["targetGroupARN"]},
                            {"required": ["targetGroupName"]},
                        ],
                    },
                },
                "targetGroupStickinessConfig": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "durationSeconds": {"type": "integer", "minimum": 1, "maximum": 604800},
                    },
                },
            },
        },
        "redirectConfig": {
            "type": "object",
            "required": ["statusCode"],
            "additionalProperties": False,
            "properties": {
                "host": _STR,
                "path": {"type": "string", "pattern": "^/"},
                "port": {"type": "string", "pattern": r"^(#\{port\}|\d{1,5})$"},
                "protocol": {"enum": ["HTTP", "HTTPS", "#{protocol}"]},
                "query": {"type": "string"},
                "statusCode": {"enum": ["HTTP_301", "HTTP_302"]},
            },
        },
        "fixedResponseConfig": {
            "type": "object",
            "required": ["statusCode"],
            "additionalProperties": False,
            "properties": {
                "contentType": {
                    "enum": [
                        "text/plain",
                        "text/css",
                        "text/html",
                        "application/javascript",
                        "application/json",
                    ]
                },
                "statusCode": {"type": "string", "pattern": r"^[245]\d\d$"},  # ALB: no 1xx or 3xx
                "messageBody": {"type": "string"},  # ≤ 1024 bytes: limits.check_alb_action
            },
        },
    },
    "allOf": [
        {
            "if": {"properties": {"type": {"const": "forward"}}},
            "then": {"oneOf": [{"required": ["targetGroupARN"]}, {"required": ["forwardConfig"]}]},
        },
        {"if": {"properties": {"type": {"const": "redirect"}}}, "then": {"required": ["redirectConfig"]}},
        {
            "if": {"properties": {"type": {"const": "fixed-response"}}},
            "then": {"required": ["fixedResponseConfig"]},
        },
    ],
}

_VALUES = {"type": "array", "minItems": 1, "maxItems": 5, "items": _STR}
_ONE_OF_VALUES = [{"required": ["values"]}, {"required": ["regexValues"]}]  # never both (ALB, LBC)


def _matcher(*required: str) -> dict[str, Any]:
    """A condition config with wildcard `values` or regular-expression `regexValues` (exactly one)."""
    properties: dict[str, Any] = {"values": _VALUES, "regexValues": _VALUES}
    if required:
        properties["httpHeaderName"] = _STR
    return {"type": "object", "required": list(required), "properties": properties, "oneOf": _ONE_OF_VALUES}


CONDITION_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["field"],
        "properties": {
            "field": {
                "enum": [
                    "host-header",
                    "path-pattern",
                    "http-header",
                    "http-request-method",
                    "query-string",
                    "source-ip",
                ]
            },
            "hostHeaderConfig": _matcher(),
            "pathPatternConfig": _matcher(),
            "httpHeaderConfig": _matcher("httpHeaderName"),
            "httpRequestMethodConfig": {
                "type": "object",
                "properties": {"values": _VALUES, "Values": _VALUES},
                "anyOf": [{"required": ["values"]}, {"required": ["Values"]}],
            },
            "queryStringConfig": {
                "type": "object",
                "required": ["values"],
                "properties": {
                    "values": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 5,
                        "items": {
                            "type": "object",
                            "required": ["value"],
                            "properties": {"key": {"type": "string"}, "value": _STR},
                        },
                    }
                },
            },
            "sourceIpConfig": {"type": "object", "required": ["values"], "properties": {"values": _VALUES}},
        },
        "allOf": [
            {"if": {"properties": {"field": {"const": f}}}, "then": {"required": [key]}}
            for f, key in (
                ("host-header", "hostHeaderConfig"),
                ("path-pattern", "pathPatternConfig"),
                ("http-header", "httpHeaderConfig"),
                ("http-request-method", "httpRequestMethodConfig"),
                ("query-string", "queryStringConfig"),
                ("source-ip", "sourceIpConfig"),
            )
        ],
    },
}

_MTLS_EXTRAS = ("trustStore", "ignoreClientCertificateExpiry", "advertiseTrustStoreCaNames")
MTLS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "type": "object",
        "required": ["port", "mode"],
        "additionalProperties": False,
        "properties": {
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "mode": {"enum": ["off", "passthrough", "verify"]},
            "trustStore": _STR,
            "ignoreClientCertificateExpiry": {"type": "boolean"},
            "advertiseTrustStoreCaNames": {"enum": ["on", "off"]},
        },
        "if": {"properties": {"mode": {"const": "verify"}}},
        "then": {"required": ["trustStore"]},
        "else": {"not": {"anyOf": [{"required": [key]} for key in _MTLS_EXTRAS]}},
    },
}

JWT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["jwksEndpoint", "issuer"],
    "additionalProperties": False,
    "properties": {
        "jwksEndpoint": _STR,
        "issuer": _STR,
        "additionalClaims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["format", "name", "values"],
                "additionalProperties": False,
                "properties": {
                    "format": {"enum": ["single-string", "string-array", "space-separated-values"]},
                    "name": _STR,
                    "values": {"type": "array", "minItems": 1, "items": _STR},
                },
            },
        },
    },
}

_REWRITES = {
    "type": "object",
    "required": ["rewrites"],
    "additionalProperties": False,
    "properties": {
        "rewrites": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["regex", "replace"],
                "additionalProperties": False,
                "properties": {"regex": _STR, "replace": {"type": "string"}},
            },
        }
    },
}
TRANSFORM_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "maxItems": 2,
    "items": {
        "type": "object",
        "required": ["type"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": ["url-rewrite", "host-header-rewrite"]},
            "urlRewriteConfig": _REWRITES,
            "hostHeaderRewriteConfig": _REWRITES,
        },
        "allOf": [
            {
                "if": {"properties": {"type": {"const": "url-rewrite"}}},
                "then": {"required": ["urlRewriteConfig"], "not": {"required": ["hostHeaderRewriteConfig"]}},
            },
            {
                "if": {"properties": {"type": {"const": "host-header-rewrite"}}},
                "then": {"required": ["hostHeaderRewriteConfig"], "not": {"required": ["urlRewriteConfig"]}},
            },
        ],
    },
}

OIDC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["issuer", "authorizationEndpoint", "tokenEndpoint", "userInfoEndpoint", "secretName"],
    "properties": {
        "issuer": _STR,
        "authorizationEndpoint": _STR,
        "tokenEndpoint": _STR,
        "userInfoEndpoint": _STR,
        "secretName": _STR,
        "authenticationRequestExtraParams": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
COGNITO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["userPoolARN", "userPoolClientID", "userPoolDomain"],
    "properties": {
        "userPoolARN": _STR,
        "userPoolClientID": _STR,
        "userPoolDomain": _STR,
        "authenticationRequestExtraParams": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": False,
}
NEG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ingress": {"type": "boolean"},
        "exposed_ports": {
            "type": "object",
            "propertyNames": {"pattern": "^[1-9][0-9]{0,4}$"},
            "additionalProperties": {
                "type": "object",
                "properties": {"name": {"type": "string", "pattern": "^" + _RFC1035 + "$"}},
                "additionalProperties": False,
            },
        },
        "zones": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def _no_preprovisioned_zones(value: dict[str, Any]) -> None:
    """ingress-gce's pre-provisioned NEG `zones` are not made by lbctl (NEGs go where the nodes are): a Service
    asking for them is refused rather than left without them; custom NEG names cannot serve an Ingress."""
    if value.get("zones"):
        raise ValueError(
            "$zones: pre-provisioned NEG zones are not supported by lbctl (standalone NEGs are made in the zones "
            "of the cluster's nodes); remove it"
        )
    if value.get("ingress") and any(
        (v or {}).get("name") for v in (value.get("exposed_ports") or {}).values()
    ):
        raise ValueError(
            "$exposed_ports: a custom NEG name cannot be used with ingress enabled (as in ingress-gce)"
        )


BACKEND_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"default": _STR, "ports": {"type": "object", "additionalProperties": _STR}},
    "additionalProperties": False,
    "minProperties": 1,
}
APP_PROTOCOLS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"enum": ["HTTP", "HTTPS", "HTTP2"]},
}

THC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"enabled": {"type": "boolean"}},
    "additionalProperties": False,
}

_I, _S, _B = Scope.INGRESS, Scope.SERVICE, Scope.BOTH
_X, _M, _N = Merge.EXCLUSIVE, Merge.MERGE, Merge.PER_INGRESS


def _matching(pattern: str, error: str) -> Any:
    """A list-item check: the item itself when it matches `pattern` in full, else ValueError(error)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(error)
        return value

    return check


def _aws(
    name: str,
    parser: p.Parser,
    scope: Scope,
    merge: Merge,
    doc: str,
    default: Any = None,
    default_doc: str = "",
    *variants: Variant,
) -> Annotation:
    return Annotation(name, parser, scope, merge, "aws", doc, default, default_doc, variants)


# Situations in which a default differs (Variant keys the model asks for).
WITH_TLS = "tls"  # the Ingress has TLS certificates
DUALSTACK = "dualstack"  # ip-address-type is not ipv4
GRPC = "grpc"  # backend-protocol-version is GRPC


def _gcp(
    name: str, parser: p.Parser, scope: Scope, doc: str, default: Any = None, default_doc: str = ""
) -> Annotation:
    return Annotation(name, parser, scope, Merge.PER_INGRESS, "gcp", doc, default, default_doc)


ANNOTATIONS: list[Annotation] = [
    # ----- AWS: load balancer
    _aws(
        LOAD_BALANCER_NAME,
        p.string(_NAME_32, 32, "up to 32 letters, digits or '-', not starting or ending with '-'"),
        _I,
        _X,
        "Custom name of the load balancer (otherwise `k8s-<ns>-<name>-<hash>`).",
    ),
    _aws(
        GROUP_NAME,
        p.string(
            _GROUP, 63, "up to 63 lower-case letters, digits, '-' or '.', starting and ending alphanumeric"
        ),
        _I,
        _N,
        "IngressGroup this Ingress belongs to; Ingresses of one group share one ALB.",
    ),
    _aws(
        GROUP_ORDER,
        p.integer(-1000, 1000),
        _I,
        _N,
        "Order of this Ingress's rules within its group (smaller first; ties by namespace/name).",
        0,
        "0",
    ),
    _aws(
        TAGS,
        p.string_map(
            check=limits.check_tags,
            expected=f"comma-separated key=value pairs, e.g. 'team=shop,"
            f"env=prod': at most {limits.MAX_USER_TAGS} tags, keys of 1-{limits.ALB_MAX_TAG_KEY} and "
            f"values of up to {limits.ALB_MAX_TAG_VALUE} characters ({limits.TAG_CHARS}), keys not "
            "starting with 'aws:'",
        ),
        _B,
        _M,
        "Extra AWS tags on the resources created for this Ingress.",
    ),
    _aws(
        IP_ADDRESS_TYPE,
        p.one_of("ipv4", "dualstack", "dualstack-without-public-ipv4"),
        _I,
        _X,
        "IP address type of the load balancer.",
        "ipv4",
        "ipv4",
    ),
    _aws(
        SCHEME,
        p.one_of("internal", "internet-facing"),
        _I,
        _X,
        "Whether the load balancer is internet-facing.",
        "internal",
        "internal",
    ),
    _aws(
        SUBNETS,
        p.string_list(),
        _I,
        _X,
        "Subnet IDs or Name tags (≥ 2 AZs); otherwise discovered by the `kubernetes.io/role/elb` (or "
        "`internal-elb`) and cluster tags.",
    ),
    _aws(
        SECURITY_GROUPS,
        p.string_list(),
        _I,
        _X,
        "Security groups (IDs or Name tags) to attach instead of the managed frontend security group.",
    ),
    _aws(
        MANAGE_BACKEND_SG_RULES,
        p.boolean(),
        _I,
        _X,
        "With `security-groups`: also attach the cluster's shared backend security group and open the "
        "node/pod security groups to it (as with the managed frontend security group, where this is "
        "always so and `false` is refused).",
        False,
        "false",
    ),
    _aws(
        SECURITY_GROUP_PREFIX_LISTS,
        p.string_list(
            _matching(r"pl-[0-9a-f]{8,17}", "not a managed prefix list ID like pl-0123456789abcdef0"),
            "managed prefix list IDs",
        ),
        _I,
        _X,
        "Managed prefix lists allowed to reach the listen ports through the managed frontend security "
        "group (with them, `inbound-cidrs` has no default); refused with `security-groups`.",
    ),
    _aws(
        LOAD_BALANCER_ATTRIBUTES,
        p.string_map(),
        _I,
        _X,
        "Load balancer attributes, e.g. `idle_timeout.timeout_seconds=600`.",
    ),
    _aws(
        WAFV2_ACL_ARN,
        p.string(
            "^(none|arn:aws[a-zA-Z-]*:wafv2:[a-z0-9-]+:\\d{0,12}:regional/webacl/\\S+)$",
            2048,
            "a WAFv2 web ACL ARN (regional: arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID), or 'none'",
        ),
        _I,
        _X,
        "WAFv2 web ACL to associate with the load balancer; `none` disassociates whatever is associated. "
        "Absent: a web ACL lbctl associated is disassociated, any other is left alone.",
    ),
    _aws(
        WAFV2_ACL_NAME,
        p.string(
            r"[\w-]{1,128}",
            128,
            "the name of a regional WAFv2 web ACL (letters, digits, '_' or '-'), or 'none'",
        ),
        _I,
        _X,
        "WAFv2 web ACL to associate, by name (looked up with `wafv2:ListWebACLs`); `none` disassociates. "
        "Not together with `wafv2-acl-arn`.",
    ),
    _aws(
        WAF_ACL_ID,
        p.string(r"[\w-]{1,128}", 128, "a WAF Classic regional web ACL ID, or 'none'"),
        _I,
        _X,
        "WAF Classic (waf-regional) web ACL to associate; `none` disassociates. Absent: unchanged.",
    ),
    _aws(
        WEB_ACL_ID,
        p.string(r"[\w-]{1,128}", 128, "a WAF Classic regional web ACL ID, or 'none'"),
        _I,
        _X,
        "Deprecated name of `waf-acl-id` (which wins when both are set).",
    ),
    _aws(
        SHIELD_ADVANCED_PROTECTION,
        p.boolean(),
        _I,
        _X,
        "Turn AWS Shield Advanced protection of the load balancer on (`true`) or off (`false`). Absent: "
        "unchanged.",
    ),
    _aws(
        CUSTOMER_OWNED_IPV4_POOL,
        p.string(r"ipv4pool-coip-[0-9a-f]+", 64, "a customer-owned IPv4 pool ID like ipv4pool-coip-0123abcd"),
        _I,
        _X,
        "Customer-owned IPv4 pool of an ALB on an Outpost. Cannot change in place: a new value replaces the "
        "load balancer.",
    ),
    _aws(
        IPAM_IPV4_POOL_ID,
        p.string(r"ipam-pool-[0-9a-f]+", 64, "an IPv4 IPAM pool ID like ipam-pool-0f995c17c00375b48"),
        _I,
        _X,
        "IPAM pool the load balancer's public IPv4 addresses come from first; removing the annotation removes "
        "the pool from the load balancer.",
    ),
    _aws(
        MINIMUM_LB_CAPACITY,
        p.string_map(
            check=limits.check_capacity_reservation,
            expected="CapacityUnits=N (N from 0 to 2147483647; 0 resets the reservation)",
        ),
        _I,
        _X,
        "Load balancer capacity unit reservation, `CapacityUnits=1000`; `CapacityUnits=0` resets it. Absent: "
        "unchanged.",
    ),
    _aws(
        LISTENER_ATTRIBUTES,
        p.escaped_string_map(
            "comma-separated key=value pairs ('\\,' for a comma in a value), e.g. "
            "'routing.http.response.server.enabled=false'"
        ),
        _I,
        _M,
        "Attributes of the listener `${Protocol}-${Port}` (e.g. `listener-attributes.HTTPS-443`), set with "
        "ModifyListenerAttributes; a key removed later keeps its last value, as in the anchor.",
    ),
    _aws(
        MUTUAL_AUTHENTICATION,
        p.json_value(
            MTLS_SCHEMA,
            '\'[{"port":443,"mode":"verify","trustStore":"my-store","ignoreClientCertificateExpiry":false}]\'',
            check=limits.check_mutual_authentication,
        ),
        _I,
        _X,
        "Mutual TLS per HTTPS listen port: mode `off`, `passthrough` or `verify` (with `trustStore`, an ARN or "
        "a name, `ignoreClientCertificateExpiry`, `advertiseTrustStoreCaNames`). Absent: unchanged; turn it off "
        "with mode `off`.",
    ),
    _aws(
        LISTEN_PORTS,
        p.listen_ports(),
        _I,
        _M,
        "Listener ports, JSON list of {protocol: port}.",
        [("HTTP", 80)],
        '[{"HTTP": 80}]',
        Variant(WITH_TLS, "with TLS certificates", [("HTTPS", 443)], '[{"HTTPS": 443}]'),
    ),
    _aws(SSL_REDIRECT, p.integer(1, 65535), _I, _X, "Redirect every HTTP listener to this HTTPS port."),
    _aws(
        INBOUND_CIDRS,
        p.cidr_list(),
        _I,
        _X,
        "CIDRs allowed to reach the load balancer.",
        ["0.0.0.0/0"],
        "0.0.0.0/0",
        Variant(DUALSTACK, "dualstack", ["0.0.0.0/0", "::/0"], "0.0.0.0/0,::/0"),
    ),
    _aws(
        CERTIFICATE_ARN,
        p.string_list(
            _matching(_ARN, "not an ARN like arn:aws:acm:REGION:ACCOUNT:certificate/ID"), "certificate ARNs"
        ),
        _I,
        _M,
        "ACM certificate ARNs for HTTPS listeners; else discovered from ACM by the TLS hosts.",
    ),
    _aws(
        CREATE_ACM_CERT,
        p.boolean(),
        _I,
        _N,
        "Request an ACM certificate for the Ingress's hosts (the first is the domain name, all are SANs) "
        "instead of importing its TLS Secrets or discovering one; tagged, and deleted when no longer used. "
        "`certificate-arn` wins. Amazon-issued certificates use DNS validation: lbctl writes the validation "
        "CNAMEs into the matching public Route53 hosted zone (else names them in a warning), and the HTTPS "
        "listeners wait until ACM issues the certificate.",
        False,
        "false",
    ),
    _aws(
        ACM_PCA_ARN,
        p.string(
            r"arn:aws[a-zA-Z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority/[\w-]+",
            2048,
            "an ACM private CA ARN like arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID",
        ),
        _I,
        _N,
        "Private certificate authority that issues the certificate `create-acm-cert` requests.",
    ),
    _aws(
        SSL_POLICY,
        p.string(r"[A-Za-z0-9-]+", 128, "an ELB security policy name"),
        _I,
        _X,
        "Security policy of HTTPS listeners.",
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-2016-08",
    ),
    # ----- AWS: targets
    _aws(
        TARGET_TYPE,
        p.one_of("instance", "ip"),
        _B,
        _N,
        "`instance`: nodes on the Service NodePort; `ip`: pod IPs.",
        "instance",
        "instance",
    ),
    _aws(BACKEND_PROTOCOL, p.one_of("HTTP", "HTTPS"), _B, _N, "Protocol to the targets.", "HTTP", "HTTP"),
    _aws(
        BACKEND_PROTOCOL_VERSION,
        p.one_of("HTTP1", "HTTP2", "GRPC"),
        _B,
        _N,
        "Protocol version to the targets.",
        "HTTP1",
        "HTTP1",
    ),
    _aws(
        TARGET_GROUP_ATTRIBUTES,
        p.string_map(),
        _B,
        _N,
        "Target group attributes, e.g. `deregistration_delay.timeout_seconds=30`.",
    ),
    _aws(
        TARGET_NODE_LABELS,
        p.string_map(),
        _B,
        _N,
        "Only nodes with these labels are registered (instance mode).",
    ),
    _aws(
        TARGET_CONTROL_PORT,
        p.integer(1, 65535),
        _B,
        _N,
        "Port on which the ALB target control agent of the backend `${serviceName}` port `${servicePort}` (as "
        "the Ingress names it: number or name) exchanges management traffic (ip targets only). A new value "
        "replaces the target group, as AWS cannot change it.",
    ),
    _aws(
        MULTI_CLUSTER_TARGET_GROUP,
        p.boolean(),
        _B,
        _N,
        "Share the target group with other clusters: targets this cluster does not know (other clusters') are "
        "never deregistered. `true` on the Ingress or on the Service turns it on.",
        False,
        "false",
    ),
    _aws(
        HEALTHCHECK_PORT, p.health_check_port(), _B, _N, "Health check port.", "traffic-port", "traffic-port"
    ),
    _aws(HEALTHCHECK_PROTOCOL, p.one_of("HTTP", "HTTPS"), _B, _N, "Health check protocol.", "HTTP", "HTTP"),
    _aws(
        HEALTHCHECK_PATH,
        p.string(
            r"/[\x21-\x7e]*",
            limits.ALB_MAX_HEALTH_CHECK_PATH,
            f"a path starting with '/', up to {limits.ALB_MAX_HEALTH_CHECK_PATH} printable ASCII characters",
        ),
        _B,
        _N,
        "Health check path.",
        "/",
        "/",
        Variant(GRPC, "gRPC", "/AWS.ALB/healthcheck", "/AWS.ALB/healthcheck"),
    ),
    _aws(HEALTHCHECK_INTERVAL, p.integer(5, 300), _B, _N, "Seconds between health checks.", 15, "15"),
    _aws(HEALTHCHECK_TIMEOUT, p.integer(2, 120), _B, _N, "Health check timeout in seconds.", 5, "5"),
    _aws(HEALTHY_THRESHOLD, p.integer(2, 10), _B, _N, "Successes before a target is healthy.", 2, "2"),
    _aws(UNHEALTHY_THRESHOLD, p.integer(2, 10), _B, _N, "Failures before a target is unhealthy.", 2, "2"),
    _aws(
        SUCCESS_CODES,
        p.success_codes(),
        _B,
        _N,
        "HTTP (or gRPC) codes that mean healthy.",
        "200",
        "200",
        Variant(GRPC, "gRPC", "12", "12"),
    ),
    # ----- AWS: authentication
    _aws(
        AUTH_TYPE,
        p.one_of("none", "oidc", "cognito"),
        _B,
        _N,
        "Authenticate users before forwarding.",
        "none",
        "none",
    ),
    _aws(
        AUTH_IDP_COGNITO,
        p.json_value(COGNITO_SCHEMA, '\'{"userPoolARN":"…","userPoolClientID":"…","userPoolDomain":"…"}\''),
        _B,
        _N,
        "Cognito user pool for `auth-type: cognito`.",
    ),
    _aws(
        AUTH_IDP_OIDC,
        p.json_value(
            OIDC_SCHEMA,
            '\'{"issuer":"…","authorizationEndpoint":"…","tokenEndpoint":"…","userInfoEndpoint":"…","secretName":"…"}\'',
        ),
        _B,
        _N,
        "OIDC provider for `auth-type: oidc`; client ID/secret come from the named Secret.",
    ),
    _aws(
        AUTH_ON_UNAUTHENTICATED,
        p.one_of("authenticate", "allow", "deny"),
        _B,
        _N,
        "What to do with unauthenticated requests.",
        "authenticate",
        "authenticate",
    ),
    _aws(
        AUTH_SCOPE,
        p.string(r"[\w.:/ -]+", 512, "space-separated claims, e.g. 'openid email'"),
        _B,
        _N,
        "Claims to request from the IdP.",
        "openid",
        "openid",
    ),
    _aws(
        AUTH_SESSION_COOKIE,
        p.string(r"[\w-]+", 128, "a cookie name"),
        _B,
        _N,
        "Name of the session cookie.",
        "AWSELBAuthSessionCookie",
        "AWSELBAuthSessionCookie",
    ),
    _aws(
        AUTH_SESSION_TIMEOUT, p.integer(1, 604800), _B, _N, "Session lifetime in seconds.", 604800, "604800"
    ),
    _aws(
        JWT_VALIDATION,
        p.json_value(JWT_SCHEMA, '\'{"jwksEndpoint":"https://…","issuer":"https://…"}\''),
        _I,
        _N,
        "Validate JSON Web Tokens before forwarding (HTTPS listeners): the JWKS endpoint, the issuer and "
        "`additionalClaims` ({format: single-string | string-array | space-separated-values, name, values}). "
        "Not together with `auth-type`.",
    ),
    # ----- AWS: custom actions and conditions
    _aws(
        ACTIONS,
        p.json_value(
            ACTION_SCHEMA,
            '\'{"type":"fixed-response","fixedResponseConfig":{"statusCode":"503"}}\'',
            check=limits.check_alb_action,
        ),
        _I,
        _N,
        "Custom action for backends named `${name}` with port `use-annotation`: forward (weights, "
        "stickiness, external targetGroupARN), redirect, or fixed-response.",
    ),
    _aws(
        CONDITIONS,
        p.json_value(
            CONDITION_SCHEMA,
            '\'[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X","values":["y"]}}]\'',
            check=limits.check_alb_conditions,
        ),
        _I,
        _N,
        "Extra rule conditions for backends named `${name}`: host-header and path-pattern values join the "
        "rule's host or path (either matches), http-header, http-request-method, query-string and source-ip "
        "are ANDed; `regexValues` instead of `values` for host-header, path-pattern and http-header.",
    ),
    _aws(
        TRANSFORMS,
        p.json_value(
            TRANSFORM_SCHEMA,
            '\'[{"type":"url-rewrite","urlRewriteConfig":{"rewrites":[{"regex":"^/api/(.+)$","replace":"/$1"}]}}]\'',
            check=limits.check_alb_transforms,
        ),
        _I,
        _N,
        "Request rewrites (ALB rule transforms) for backends named `${name}`: one `url-rewrite` and one "
        "`host-header-rewrite`, each a regex and its replacement (`$1` … for groups).",
    ),
    _aws(
        USE_REGEX_PATH_MATCH,
        p.boolean(),
        _I,
        _N,
        "Match `ImplementationSpecific` paths as regular expressions (the path without its leading '/'; "
        "ALB `RegexValues`).",
        False,
        "false",
    ),
    # ----- GCP (ingress-gce)
    Annotation(
        INGRESS_CLASS,
        p.string(None, 253, "an ingress class name, e.g. 'alb' or 'gce'"),
        _I,
        _N,
        "any",
        "Ingress class (deprecated form of `spec.ingressClassName`).",
    ),
    _gcp(
        GLOBAL_STATIC_IP,
        p.string(
            _RFC1035,
            63,
            "the name of an existing global static IP address (lower-case letters, "
            "digits and '-', starting with a letter, up to 63)",
        ),
        _I,
        "Existing global address to use for the forwarding rules (never deleted by lbctl).",
    ),
    _gcp(
        REGIONAL_STATIC_IP,
        p.string(
            _RFC1035,
            63,
            "the name of an existing regional static IP address (lower-case letters, "
            "digits and '-', starting with a letter, up to 63)",
        ),
        _I,
        "Existing regional address in the cluster's region for the forwarding rules of a `gce-internal` "
        "(an INTERNAL address of the cluster's subnetwork; purpose SHARED_LOADBALANCER_VIP to serve HTTP and "
        "HTTPS on it) or `gce-regional-external` Ingress (never deleted by lbctl).",
    ),
    _gcp(ALLOW_HTTP, p.boolean(), _I, "Serve plain HTTP on :80 as well as HTTPS.", True, "true"),
    _gcp(
        PRE_SHARED_CERT,
        p.string_list(
            _matching(_RFC1035, "not an SSL certificate name (RFC 1035, up to 63 characters)"),
            "SSL certificate names",
        ),
        _I,
        "Names of existing SSL certificates to attach (never deleted).",
    ),
    _gcp(
        MANAGED_CERTIFICATES,
        p.string_list(
            _matching(_DNS_1123, "not a ManagedCertificate name (lower-case DNS subdomain, up to 253)"),
            "ManagedCertificate names",
        ),
        _I,
        "ManagedCertificates (`networking.gke.io/v1`) in the Ingress's namespace: a Google-managed SSL "
        "certificate for each one's `spec.domains` on the HTTPS proxy, beside spec.tls and pre-shared "
        "certificates; their `status` is written back.",
    ),
    _gcp(
        FRONTEND_CONFIG,
        p.string(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", 253, "a FrontendConfig name"),
        _I,
        "FrontendConfig (redirectToHttps, sslPolicy) for this Ingress.",
    ),
    _gcp(
        NEG,
        p.json_value(
            NEG_SCHEMA,
            '\'{"ingress": true}\' or \'{"exposed_ports": {"80": {}}}\'',
            check=_no_preprovisioned_zones,
        ),
        _S,
        'Container-native load balancing: `{"ingress": true}` targets pod IPs through zonal NEGs. '
        '`{"exposed_ports": {"80": {}, "443": {"name": "my-neg"}}}`: a standalone GCE_VM_IP_PORT NEG per '
        "Service port in every zone of the nodes, on any Service type, kept in sync with the ready endpoints "
        "(pod IP, targetPort, node) and reported in `cloud.google.com/neg-status`; deleted with the annotation "
        "or the Service. `zones` (pre-provisioning) is refused.",
    ),
    _gcp(
        BACKEND_CONFIG,
        p.json_value(
            BACKEND_CONFIG_SCHEMA, '\'{"default": "my-config"}\' or \'{"ports": {"80": "my-config"}}\''
        ),
        _S,
        "BackendConfig per Service port (`ports`) or for all ports (`default`).",
    ),
    _gcp(
        BACKEND_CONFIG_BETA,
        p.json_value(BACKEND_CONFIG_SCHEMA, '\'{"default": "my-config"}\''),
        _S,
        "Older name of `cloud.google.com/backend-config`.",
    ),
    _gcp(
        APP_PROTOCOLS,
        p.json_value(APP_PROTOCOLS_SCHEMA, '\'{"my-https-port": "HTTPS"}\''),
        _S,
        "Protocol per Service port name: HTTP, HTTPS or HTTP2.",
    ),
    _gcp(
        APP_PROTOCOLS_LEGACY,
        p.json_value(APP_PROTOCOLS_SCHEMA, '\'{"my-https-port": "HTTPS"}\''),
        _S,
        "Older name of `cloud.google.com/app-protocols`; as in ingress-gce, when both are set this one wins.",
    ),
    _gcp(
        TRANSPARENT_HEALTH_CHECKER,
        p.json_value(THC_SCHEMA, "'{\"enabled\": true}'"),
        _S,
        "Transparent Health Checks: the health check probes the node's health-check agent (HTTP, fixed port "
        "7877, `/api/podhealth`, every 5 s, timeout 5 s, healthy 1, unhealthy 10) instead of the pod. Needs "
        '`cloud.google.com/neg` `{"ingress": true}`; refused beside a BackendConfig `healthCheck` (which '
        "ingress-gce would let win).",
    ),
    _gcp(
        SUPPRESS_FIREWALL_XPN_ERROR,
        p.boolean(),
        _I,
        "Shared VPC: when the firewall rule cannot be created or changed in the host project (no permission), "
        "converge the rest and record a Warning Event carrying the gcloud command for the host project's "
        "admin; without it the reconcile fails with that error and command.",
        False,
        "false",
    ),
    Annotation(
        REWRITE_TARGET_NGINX,
        p.string(r"/[\x21-\x7e]*", 1024, "a path starting with '/', up to 1024 printable ASCII characters"),
        _I,
        _N,
        "any",
        "Rewrite the part of the path each rule matched to this path — the Exact path, a Prefix with its "
        "'/' (GCP: URL map `pathPrefixRewrite`; AWS: an ALB `url-rewrite` transform on each rule, refused for "
        "regex or mid-path wildcard paths and for a '$').",
    ),
    Annotation(
        REWRITE_TARGET,
        p.string(r"/[\x21-\x7e]*", 1024, "a path starting with '/', up to 1024 printable ASCII characters"),
        _I,
        _N,
        "any",
        "Same as `nginx.ingress.kubernetes.io/rewrite-target`.",
    ),
]

# aws-load-balancer-controller's frontend Network Load Balancer in front of the ALB (lbctl/model/frontend_nlb.py
# reads them; every one but enable-frontend-nlb is refused without it). Group-wide: members must agree.
FRONTEND_NLB_ENABLE = ALB + "enable-frontend-nlb"
FRONTEND_NLB_SCHEME = ALB + "frontend-nlb-scheme"
FRONTEND_NLB_SUBNETS = ALB + "frontend-nlb-subnets"
FRONTEND_NLB_SECURITY_GROUPS = ALB + "frontend-nlb-security-groups"
FRONTEND_NLB_PORT_MAPPING = ALB + "frontend-nlb-listener-port-mapping"
FRONTEND_NLB_HC_PORT = ALB + "frontend-nlb-healthcheck-port"
FRONTEND_NLB_HC_PROTOCOL = ALB + "frontend-nlb-healthcheck-protocol"
FRONTEND_NLB_HC_PATH = ALB + "frontend-nlb-healthcheck-path"
FRONTEND_NLB_HC_INTERVAL = ALB + "frontend-nlb-healthcheck-interval-seconds"
FRONTEND_NLB_HC_TIMEOUT = ALB + "frontend-nlb-healthcheck-timeout-seconds"
FRONTEND_NLB_HC_HEALTHY = ALB + "frontend-nlb-healthcheck-healthy-threshold-count"
FRONTEND_NLB_HC_UNHEALTHY = ALB + "frontend-nlb-healthcheck-unhealthy-threshold-count"
FRONTEND_NLB_HC_SUCCESS_CODES = ALB + "frontend-nlb-healthcheck-success-codes"
FRONTEND_NLB_TAGS = ALB + "frontend-nlb-tags"
FRONTEND_NLB_EIPS = ALB + "frontend-nlb-eip-allocations"
FRONTEND_NLB_ATTRIBUTES = ALB + "frontend-nlb-attributes"


def _port_mapping(mapping: dict[str, str]) -> None:
    """frontend-nlb-listener-port-mapping: NLB port = ALB listen port, both numbers 1-65535."""
    for nlb_port, alb_port in mapping.items():
        for port in (nlb_port, alb_port):
            if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
                raise ValueError(f"{port!r} is not a port number (1-65535)")


def _traffic_port_or_number() -> p.Parser:
    expected = "'traffic-port' or a port number (1-65535)"

    def convert(raw: str) -> int | str:
        value = raw.strip()
        if value == "traffic-port":
            return value
        if value.isascii() and value.isdigit() and len(value) <= 5 and 1 <= int(value) <= 65535:
            return int(value)
        raise p.AnnotationValueError(expected)

    return p.Parser("integer \\| traffic-port", expected, convert)


_FNLB = "Frontend NLB (with enable-frontend-nlb): "
ANNOTATIONS += [
    _aws(
        FRONTEND_NLB_ENABLE,
        p.boolean(),
        _I,
        _X,
        "`true`: a Network Load Balancer in front of the ALB, with a TCP listener per ALB listen port "
        "forwarding to a target group of type `alb` that has the ALB registered; its DNS name is added to the "
        "Ingress status after the ALB's. Removing it deletes that NLB and its target groups.",
        False,
        "false",
    ),
    _aws(
        FRONTEND_NLB_SCHEME,
        p.one_of("internal", "internet-facing"),
        _I,
        _X,
        _FNLB + "scheme of the NLB (not the ALB's: unset, it is internal, as in the anchor).",
        "internal",
        "internal",
    ),
    _aws(
        FRONTEND_NLB_SUBNETS,
        p.string_list(),
        _I,
        _X,
        _FNLB + "subnets (IDs or Name tags); otherwise discovered for the NLB's scheme by the role tags.",
    ),
    _aws(
        FRONTEND_NLB_SECURITY_GROUPS,
        p.string_list(),
        _I,
        _X,
        _FNLB + "security groups (IDs or Name tags) of the NLB; otherwise the ALB's security groups.",
    ),
    _aws(
        FRONTEND_NLB_PORT_MAPPING,
        p.string_map(
            check=_port_mapping, expected="comma-separated NLB-port=ALB-port pairs, e.g. '80=443,8443=443'"
        ),
        _I,
        _M,
        _FNLB + "listeners as NLB port=ALB listen port (each ALB port must be one of the Ingress's listen "
        "ports); set, only the mapped ports get NLB listeners. Otherwise one per ALB listen port, same number.",
    ),
    _aws(
        FRONTEND_NLB_HC_PORT,
        _traffic_port_or_number(),
        _I,
        _X,
        _FNLB + "health-check port of its target groups.",
        "traffic-port",
        "traffic-port",
    ),
    _aws(
        FRONTEND_NLB_HC_PROTOCOL,
        p.one_of("HTTP", "HTTPS"),
        _I,
        _X,
        _FNLB + "health-check protocol (an `alb` target group checks HTTP or HTTPS).",
        "HTTP",
        "HTTP",
    ),
    _aws(
        FRONTEND_NLB_HC_PATH,
        p.string(r"/[\x21-\x7e]*", 1024, "a path starting with '/', up to 1024 printable ASCII characters"),
        _I,
        _X,
        _FNLB + "health-check path.",
        "/",
        "/",
    ),
    _aws(
        FRONTEND_NLB_HC_INTERVAL,
        p.integer(5, 300),
        _I,
        _X,
        _FNLB + "seconds between health checks.",
        15,
        "15",
    ),
    _aws(
        FRONTEND_NLB_HC_TIMEOUT,
        p.integer(2, 120),
        _I,
        _X,
        _FNLB + "health-check timeout in seconds.",
        5,
        "5",
    ),
    _aws(
        FRONTEND_NLB_HC_HEALTHY,
        p.integer(2, 10),
        _I,
        _X,
        _FNLB + "healthy threshold count (the anchor's code default, 2; its doc says 3).",
        2,
        "2",
    ),
    _aws(
        FRONTEND_NLB_HC_UNHEALTHY,
        p.integer(2, 10),
        _I,
        _X,
        _FNLB + "unhealthy threshold count (the anchor's code default, 2; its doc says 3).",
        2,
        "2",
    ),
    _aws(
        FRONTEND_NLB_HC_SUCCESS_CODES,
        p.success_codes(),
        _I,
        _X,
        _FNLB + "HTTP codes of a healthy ALB.",
        "200",
        "200",
    ),
    _aws(
        FRONTEND_NLB_TAGS,
        p.string_map(check=limits.check_tags),
        _I,
        _X,
        _FNLB + "tags of the NLB, its listeners and target groups; otherwise the ALB's `tags`.",
    ),
    _aws(
        FRONTEND_NLB_EIPS,
        p.string_list(_matching(r"eipalloc-[0-9a-f]+", "not an Elastic IP allocation ID"), "eipalloc- IDs"),
        _I,
        _X,
        _FNLB + "Elastic IP allocations, one per subnet in the subnets' order (internet-facing only). AWS "
        "fixes them at creation: a change replaces the NLB.",
    ),
    _aws(
        FRONTEND_NLB_ATTRIBUTES,
        p.string_map(check=limits.check_nlb_routing_policy),
        _I,
        _X,
        _FNLB
        + "load balancer attributes of the NLB (key=value pairs); one removed gets its AWS default back.",
    ),
]
FRONTEND_NLB = tuple(
    x.name for x in ANNOTATIONS if x.name.startswith((FRONTEND_NLB_ENABLE, ALB + "frontend-nlb-"))
)

_STATUS_DOCS = {
    STATUS_BACKENDS: "JSON object: backend service name → health state from `backendServices.getHealth`, as "
    "ingress-gce computes it: `HEALTHY` when any endpoint of its groups is, else the last endpoint's state "
    "(`UNHEALTHY`, …), `Unknown` without endpoints. Read again whenever lbctl reads the cloud afresh "
    "(`--discovery-ttl`), after a change, and while a backend is not `HEALTHY`.",
    STATUS_URL_MAP: "Name of the URL map.",
    STATUS_REDIRECT_URL_MAP: "Name of the URL map that redirects HTTP to HTTPS (FrontendConfig redirectToHttps).",
    STATUS_FORWARDING_RULE: "Name of the HTTP forwarding rule (absent when HTTP is not served).",
    STATUS_HTTPS_FORWARDING_RULE: "Name of the HTTPS forwarding rule (absent without TLS).",
    STATUS_TARGET_PROXY: "Name of the target HTTP proxy (absent when HTTP is not served).",
    STATUS_HTTPS_TARGET_PROXY: "Name of the target HTTPS proxy (absent without TLS).",
    STATUS_SSL_CERT: "Comma-separated names of the SSL certificates on the HTTPS proxy.",
    STATUS_STATIC_IP: "Name of the reserved global address the forwarding rules use.",
}
ANNOTATIONS += [
    Annotation(
        name,
        p.string(None, None, "any value (written by lbctl; not read)"),
        _I,
        _N,
        "gcp",
        f"Status, written by lbctl after each converge and removed on delete. {doc}",
        status=True,
    )
    for name, doc in _STATUS_DOCS.items()
]
ANNOTATIONS.append(
    Annotation(
        NEG_STATUS,
        p.string(None, None, "any value (written by lbctl; not read)"),
        _S,
        _N,
        "gcp",
        "Status, written by lbctl on a Service with `exposed_ports` after each converge and removed with them, "
        'as ingress-gce writes it: `{"network_endpoint_groups":{"80":"<NEG name>"},"zones":["<zone>",…]}`.',
        status=True,
    )
)

REGISTRY = AnnotationRegistry(
    ANNOTATIONS,
    watched_prefixes=(ALB, GCP, GCE_INGRESS, "networking.gke.io/"),
    strict_prefixes=(
        ALB,
    ),  # an unknown alb.ingress.kubernetes.io/ name: a different load balancer than asked
)


# --------------------------------------------------------------------------- Services of type LoadBalancer
# Read only when lbctl serves the Service itself (lbctl/model/services.py), never for an Ingress backend: a
# registry of their own, so that an Ingress routing to such a Service is not judged by them.

SVC = "service.beta.kubernetes.io/"
AWS_SVC = SVC + "aws-load-balancer-"
SVC_SOURCE_RANGES = SVC + "load-balancer-source-ranges"
SVC_TYPE = AWS_SVC + "type"
SVC_TARGET_TYPE = AWS_SVC + "nlb-target-type"
SVC_NAME = AWS_SVC + "name"
SVC_SCHEME = AWS_SVC + "scheme"
SVC_INTERNAL = AWS_SVC + "internal"
SVC_PROXY_PROTOCOL = AWS_SVC + "proxy-protocol"
SVC_IP_ADDRESS_TYPE = AWS_SVC + "ip-address-type"
SVC_ACCESS_LOG_ENABLED = AWS_SVC + "access-log-enabled"
SVC_ACCESS_LOG_BUCKET = AWS_SVC + "access-log-s3-bucket-name"
SVC_ACCESS_LOG_PREFIX = AWS_SVC + "access-log-s3-bucket-prefix"
SVC_CROSS_ZONE = AWS_SVC + "cross-zone-load-balancing-enabled"
SVC_TAGS = AWS_SVC + "additional-resource-tags"
SVC_HC_PROTOCOL = AWS_SVC + "healthcheck-protocol"
SVC_HC_PORT = AWS_SVC + "healthcheck-port"
SVC_HC_PATH = AWS_SVC + "healthcheck-path"
SVC_HC_HEALTHY = AWS_SVC + "healthcheck-healthy-threshold"
SVC_HC_UNHEALTHY = AWS_SVC + "healthcheck-unhealthy-threshold"
SVC_HC_TIMEOUT = AWS_SVC + "healthcheck-timeout"
SVC_HC_INTERVAL = AWS_SVC + "healthcheck-interval"
SVC_HC_SUCCESS_CODES = AWS_SVC + "healthcheck-success-codes"
SVC_TG_ATTRIBUTES = AWS_SVC + "target-group-attributes"
SVC_SUBNETS = AWS_SVC + "subnets"
SVC_TARGET_NODE_LABELS = AWS_SVC + "target-node-labels"
SVC_ATTRIBUTES = AWS_SVC + "attributes"
SVC_PROXY_PROTOCOL_PORTS = AWS_SVC + "proxy-protocol-per-target-group"
SVC_SSL_CERT = AWS_SVC + "ssl-cert"
SVC_SSL_PORTS = AWS_SVC + "ssl-ports"
SVC_SSL_POLICY = AWS_SVC + "ssl-negotiation-policy"
SVC_BACKEND_PROTOCOL = AWS_SVC + "backend-protocol"
SVC_ALPN_POLICY = AWS_SVC + "alpn-policy"
SVC_EIPS = AWS_SVC + "eip-allocations"
SVC_PRIVATE_IPV4 = AWS_SVC + "private-ipv4-addresses"
SVC_IPV6 = AWS_SVC + "ipv6-addresses"
SVC_MULTI_CLUSTER = AWS_SVC + "multi-cluster-target-group"
SVC_SOURCE_NAT = AWS_SVC + "enable-prefix-for-ipv6-source-nat"
SVC_SOURCE_NAT_PREFIXES = AWS_SVC + "source-nat-ipv6-prefixes"
SVC_TCP_UDP = AWS_SVC + "enable-tcp-udp-listener"
SVC_LISTENER_ATTRIBUTES = AWS_SVC + "listener-attributes.${Protocol}-${Port}"
SVC_MIN_CAPACITY = AWS_SVC + "minimum-load-balancer-capacity"
SVC_QUIC_PORTS = AWS_SVC + "quic-enabled-ports"
SVC_SECURITY_GROUPS = AWS_SVC + "security-groups"
SVC_MANAGE_BACKEND_RULES = AWS_SVC + "manage-backend-security-group-rules"
SVC_PREFIX_LISTS = AWS_SVC + "security-group-prefix-lists"
SVC_DISABLE_SG = AWS_SVC + "disable-nlb-sg"
# Google Cloud's passthrough load balancers (ingress-gce's L4 controllers)
GKE_LB_TYPE = "networking.gke.io/load-balancer-type"
GKE_LEGACY_LB_TYPE = "cloud.google.com/load-balancer-type"
GKE_RBS = "cloud.google.com/l4-rbs"
GKE_GLOBAL_ACCESS = "networking.gke.io/internal-load-balancer-allow-global-access"
GKE_ILB_SUBNET = "networking.gke.io/internal-load-balancer-subnet"

_SVC_NOT_YET = (
    "not supported by lbctl yet for Services; the load balancer would differ from what you asked: remove it"
)


def _ip_address(version: int) -> Any:
    """A list-item check: an IPv4 or IPv6 address."""
    import ipaddress

    def check(value: str) -> str:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv{version} address") from None
        if address.version != version:
            raise ValueError(f"{value!r} is not an IPv{version} address")
        return value

    return check


def _svc(name: str, parser: p.Parser, doc: str, default: Any = None, default_doc: str = "") -> Annotation:
    return Annotation(name, parser, _S, _N, "aws", doc, default, default_doc)


def _svc_refused(name: str, doc: str) -> Annotation:
    return Annotation(
        name, p.string(None, None, "any value (refused)"), _S, _N, "aws", doc, refused=_SVC_NOT_YET
    )


_HC_INT = p.integer(2, 10)
SERVICE_ANNOTATIONS: list[Annotation] = [
    _svc(
        SVC_TYPE,
        p.one_of("external", "nlb-ip", "nlb"),
        "`external` (with nlb-target-type) or `nlb-ip` makes an unclassed Service aws-load-balancer-controller's; "
        "`nlb` is the in-tree cloud provider's (lbctl takes it only with --claim-unclassed-services). `nlb-ip` "
        "means ip targets.",
    ),
    _svc(
        SVC_TARGET_TYPE,
        p.one_of("instance", "ip"),
        "Targets: `instance` (nodes on the NodePort) or `ip` (pod IPs).",
        "instance",
        "instance",
    ),
    _svc(
        SVC_NAME,
        p.string(_NAME_32, 32, "up to 32 letters, digits or '-', not starting or ending with '-'"),
        "Name of the Network Load Balancer (otherwise `k8s-<ns>-<name>-<hash>`).",
    ),
    _svc(SVC_SCHEME, p.one_of("internal", "internet-facing"), "Scheme of the NLB.", "internal", "internal"),
    _svc(SVC_INTERNAL, p.boolean(), "Deprecated: `true` is scheme internal; the scheme annotation wins."),
    _svc(SVC_IP_ADDRESS_TYPE, p.one_of("ipv4", "dualstack"), "IP address type of the NLB.", "ipv4", "ipv4"),
    _svc(
        SVC_TAGS,
        p.string_map(check=limits.check_tags),
        "Tags added to the NLB and its target groups.",
    ),
    _svc(
        SVC_PROXY_PROTOCOL,
        p.one_of("*"),
        "`*` turns proxy protocol v2 on for every target group.",
    ),
    _svc(
        SVC_HC_PROTOCOL,
        p.one_of("TCP", "HTTP", "HTTPS", "tcp", "http", "https"),
        "Health-check protocol.",
        "TCP",
        "TCP (externalTrafficPolicy Local with instance targets: HTTP)",
    ),
    _svc(
        SVC_HC_PORT,
        p.health_check_port(),
        "Health-check port: `traffic-port`, a number, or a named Service port.",
        "traffic-port",
        "traffic-port (Local with instance targets: spec.healthCheckNodePort)",
    ),
    _svc(
        SVC_HC_PATH,
        p.string(None, 1024, "a path"),
        "Health-check path (HTTP/HTTPS).",
        "/",
        "/ (Local: /healthz)",
    ),
    _svc(SVC_HC_HEALTHY, _HC_INT, "Healthy threshold count.", 3, "3 (Local: 2)"),
    _svc(SVC_HC_UNHEALTHY, _HC_INT, "Unhealthy threshold count.", 3, "3 (Local: 2)"),
    _svc(SVC_HC_TIMEOUT, p.integer(2, 120), "Health-check timeout in seconds.", 10, "10 (Local: 6)"),
    _svc(SVC_HC_INTERVAL, p.integer(5, 300), "Health-check interval in seconds.", 10, "10"),
    _svc(SVC_HC_SUCCESS_CODES, p.success_codes(), "HTTP codes of a healthy target.", "200-399", "200-399"),
    _svc(SVC_TG_ATTRIBUTES, p.string_map(), "Target group attributes (key=value pairs).", {}, ""),
    _svc(SVC_ATTRIBUTES, p.string_map(), "Load balancer attributes (key=value pairs).", {}, ""),
    _svc(
        SVC_ACCESS_LOG_ENABLED,
        p.boolean(),
        "Deprecated: access_logs.s3.enabled (wins over the attributes annotation, as in the anchor).",
    ),
    _svc(SVC_ACCESS_LOG_BUCKET, p.string(None, 255), "Deprecated: access_logs.s3.bucket."),
    _svc(SVC_ACCESS_LOG_PREFIX, p.string(None, 1024), "Deprecated: access_logs.s3.prefix."),
    _svc(SVC_CROSS_ZONE, p.boolean(), "Deprecated: load_balancing.cross_zone.enabled."),
    _svc(SVC_SUBNETS, p.string_list(), "Subnets of the NLB (IDs or Name tags), one per zone."),
    _svc(
        SVC_TARGET_NODE_LABELS, p.string_map(), "Only nodes with these labels are instance targets.", {}, ""
    ),
    _svc(
        SVC_PROXY_PROTOCOL_PORTS,
        p.string_list(),
        "Proxy protocol v2 on the target groups of these ports (numbers), off on the others; the "
        "proxy-protocol annotation wins.",
    ),
    _svc(
        SVC_SSL_CERT,
        p.string_list(
            _matching(r"arn:aws[-a-z]*:(acm|iam):[^\s,]+", "not a certificate ARN"), "certificate ARNs"
        ),
        "ACM (or IAM) certificates of the TLS listeners: the first is the default, the others are added to "
        "the listeners' certificate list (SNI).",
    ),
    _svc(SVC_SSL_PORTS, p.string_list(), "Ports (numbers or names) served with TLS; unset: every TCP port."),
    _svc(
        SVC_SSL_POLICY,
        p.string(r"[A-Za-z0-9-]+", 128, "a security policy name"),
        "Security policy of the TLS listeners.",
        "ELBSecurityPolicy-2016-08",
        "ELBSecurityPolicy-2016-08",
    ),
    _svc(SVC_BACKEND_PROTOCOL, p.one_of("ssl", "tcp"), "`ssl`: TLS to the targets of TLS listeners."),
    _svc(
        SVC_ALPN_POLICY,
        p.one_of("None", "HTTP1Only", "HTTP2Only", "HTTP2Optional", "HTTP2Preferred"),
        "ALPN policy of the TLS listeners.",
    ),
    _svc(
        SVC_EIPS,
        p.string_list(_matching(r"eipalloc-[0-9a-f]+", "not an Elastic IP allocation ID"), "eipalloc- IDs"),
        "Elastic IP allocations, one per subnet in the subnets' order (internet-facing only).",
    ),
    _svc(
        SVC_PRIVATE_IPV4,
        p.string_list(_ip_address(4), "IPv4 addresses"),
        "Private IPv4 addresses, one per subnet in the subnets' order (internal only).",
    ),
    _svc(
        SVC_IPV6,
        p.string_list(_ip_address(6), "IPv6 addresses"),
        "IPv6 addresses, one per subnet in the subnets' order (dualstack only).",
    ),
    _svc(
        SVC_LISTENER_ATTRIBUTES,
        p.string_map(),
        "Attributes of the listener of that protocol and port (e.g. listener-attributes.TCP-80: "
        "tcp.idle_timeout.seconds=60); set ones only, as in the anchor.",
    ),
    _svc(
        SVC_TCP_UDP,
        p.boolean(),
        "`true`: a Service port number served on both TCP and UDP gets one TCP_UDP listener and target group.",
        False,
        "false",
    ),
    _svc(
        SVC_MULTI_CLUSTER,
        p.boolean(),
        "`true`: the target groups are shared with other clusters; lbctl deregisters only targets this "
        "cluster knows (its nodes' instances, its endpoints' addresses).",
        False,
        "false",
    ),
    _svc(
        SVC_SOURCE_NAT,
        p.one_of("on", "off"),
        "`on`: IPv6 source NAT prefixes for UDP (dualstack only; AWS fixes it at creation, so a change "
        "replaces the NLB).",
        "off",
        "off",
    ),
    _svc(
        SVC_SOURCE_NAT_PREFIXES,
        p.string_list(),
        "IPv6 source NAT prefixes (`auto` or a /80 CIDR), one per subnet in the subnets' order; with "
        "enable-prefix-for-ipv6-source-nat on.",
    ),
    _svc(
        SVC_MIN_CAPACITY,
        p.string_map(
            check=limits.check_capacity_reservation,
            expected="CapacityUnits=N (N from 0 to 2147483647; 0 resets the reservation)",
        ),
        "NLB capacity unit reservation, `CapacityUnits=3000`; `CapacityUnits=0` resets it. Absent: unchanged.",
    ),
    _svc(
        SVC_QUIC_PORTS,
        p.string_list(),
        "Ports (numbers or names) whose UDP listener becomes QUIC (TCP_UDP: TCP_QUIC), with a QUIC target "
        "group; a port that is neither UDP nor TCP_UDP is an error.",
    ),
    _svc(
        SVC_SECURITY_GROUPS,
        p.string_list(),
        "Security groups of the NLB (IDs or Name tags) instead of the managed frontend security group; "
        "source ranges and prefix lists are then refused (the groups decide who gets in).",
    ),
    _svc(
        SVC_MANAGE_BACKEND_RULES,
        p.boolean(),
        "Attach the cluster's shared backend security group and open the node/pod security groups to it for "
        "the target and health-check ports.",
        None,
        "true (with security-groups: false)",
    ),
    _svc(
        SVC_PREFIX_LISTS,
        p.string_list(
            _matching(r"pl-[0-9a-f]{8,17}", "not a managed prefix list ID like pl-0123456789abcdef0"),
            "managed prefix list IDs",
        ),
        "Managed prefix lists allowed to reach the listener ports through the managed security group (with "
        "them, the source ranges have no default).",
    ),
    _svc(
        SVC_DISABLE_SG,
        p.boolean(),
        "`true`: an NLB without security groups (AWS cannot add or remove them later: a change replaces the "
        "NLB); lbctl then manages no node security group rules, so it needs manage-backend-security-group-"
        "rules `false`, and no source ranges, prefix lists or security groups.",
        False,
        "false",
    ),
    *(
        _svc_refused(AWS_SVC + suffix, doc)
        for suffix, doc in (
            ("inbound-sg-rules-on-private-link-traffic", "Security group rules on PrivateLink traffic."),
            ("enable-icmp-for-path-mtu-discovery", "ICMP rules for path MTU discovery."),
        )
    ),
    _svc_refused(SVC + "actions.${protocol}-${port}", "A default action of the listener on this port."),
    _svc(
        SVC_SOURCE_RANGES,
        p.cidr_list(),
        "CIDRs allowed to reach the NLB's listener ports (spec.loadBalancerSourceRanges wins).",
        None,
        "0.0.0.0/0 (dualstack: also ::/0)",
    ),
    Annotation(
        GKE_LB_TYPE,
        p.one_of("Internal", "External"),
        _S,
        _N,
        "gcp",
        "`Internal`: an internal passthrough Network Load Balancer.",
    ),
    Annotation(
        GKE_LEGACY_LB_TYPE,
        p.one_of("Internal", "internal"),
        _S,
        _N,
        "gcp",
        "Legacy form of networking.gke.io/load-balancer-type.",
    ),
    Annotation(
        GKE_RBS,
        p.one_of("enabled"),
        _S,
        _N,
        "gcp",
        "`enabled`: an external passthrough Network Load Balancer with a regional backend service.",
    ),
    Annotation(
        GKE_GLOBAL_ACCESS,
        p.boolean(),
        _S,
        _N,
        "gcp",
        "Internal load balancer reachable from every region (allowGlobalAccess on its forwarding rules); "
        "refused on an external one.",
    ),
    Annotation(
        GKE_ILB_SUBNET,
        p.string(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?", 63, "a subnet name"),
        _S,
        _N,
        "gcp",
        "Subnet the internal load balancer's address is taken from (in the cluster's region); refused on an "
        "external one.",
    ),
]
SERVICE_REGISTRY = AnnotationRegistry(
    SERVICE_ANNOTATIONS,
    watched_prefixes=(AWS_SVC, SVC, "networking.gke.io/", "cloud.google.com/"),
    strict_prefixes=(AWS_SVC,),  # an unknown aws-load-balancer- name: a different NLB than asked
)
