"""LoadBalancerSpec: the provider-neutral description of one wanted load balancer (one Ingress group).

Plain dataclasses: comparable with ==, serialisable with `to_dict` (YAML/JSON). Values are already
parsed, validated and resolved (annotation, Service, IngressGroup merge or the registry default): providers
only translate them and apply no default of their own. Where a value came from is recorded in the `fields`
of the object holding it, so a provider names the field in an error with `field_of(attribute)` without
spelling an annotation key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lbctl.model import annotations as a

# What a Backend's inputs did not say, so a plan assumes it (offline, file-based commands only; the controller
# reads the real cluster and never assumes).
ASSUMED_SERVICE = "service"  # the Service is not in the files: its type, port and targets are assumed
ASSUMED_NODE_PORT = "nodePort"  # a NodePort Service without nodePort: the cluster assigns it
NONE = "none"  # an add-on value that removes the add-on (WAF web ACLs)


@dataclass(frozen=True)
class Source:
    """Where one resolved value came from. `field` is what an error names: the annotation on the Ingress
    (`metadata.annotations[<key>]`, also for a default: where to set it), on the Service (`Service ns/name
    metadata.annotations[<key>]`), or a field of another object (`BackendConfig ns/name spec.healthCheck.…`).
    `origin`: default | Ingress | IngressGroup | Service | BackendConfig | FrontendConfig | readinessProbe."""

    field: str
    origin: str = "default"


@dataclass
class Sourced:
    """A part of the spec that records, per attribute ("health_check.path", "frontend.subnets"), its Source.
    Not compared and not serialised: two backends with equal values are the same backend whatever set them."""

    fields: dict[str, Source] = field(
        default_factory=dict, compare=False, repr=False, kw_only=True, metadata={"plain": False}
    )

    def field_of(self, attribute: str) -> str:
        """The field that sets `attribute`, to name in an error (KeyError: the model never records it)."""
        return self.fields[attribute].field

    def source_of(self, attribute: str) -> Source:
        return self.fields[attribute]


class PathType(StrEnum):
    EXACT = "Exact"
    PREFIX = "Prefix"
    IMPLEMENTATION_SPECIFIC = "ImplementationSpecific"


@dataclass(frozen=True)
class SourceRef:
    """Where a rule came from, so warnings can name it: `Ingress ns/name spec.rules[0].http.paths[1]`,
    `HTTPRoute ns/name spec.rules[0].matches[1]` (`kind`: the object's kind)."""

    ingress: str  # "ns/name" of the object (an Ingress unless `kind` says otherwise)
    field: str
    kind: str = dataclasses.field(default="Ingress", metadata={"omit_default": True})

    def __str__(self) -> str:
        return f"{self.kind} {self.ingress} {self.field}"


@dataclass
class HealthCheck:
    protocol: str | None = None  # HTTP / HTTPS / HTTP2 / GRPC
    port: int | str | None = None  # "traffic-port", a number or a named port
    path: str | None = None
    host: str | None = None  # Host header (GCP, from readinessProbe)
    interval_seconds: int | None = None
    timeout_seconds: int | None = None
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    success_codes: str | None = None
    source: str = "default"  # default | annotation | readinessProbe | BackendConfig


@dataclass
class Backend(Sourced):
    """One Service port as a load-balancer backend (an ALB target group, a GCE backend service)."""

    key: str  # stable id: "ns/service:port[:ip]"
    namespace: str
    service: str
    port: int  # Service port number (0: unknown, a named port of a Service not in the files)
    port_name: str | None
    target_port: int | str | None  # container port (number or name)
    node_port: int | None
    service_type: str
    target_type: str  # "instance" (node ports) or "ip" (pod IPs)
    protocol: str = "HTTP"  # HTTP | HTTPS | HTTP2
    protocol_version: str | None = None  # HTTP1 | HTTP2 | GRPC (AWS)
    health_check: HealthCheck = field(default_factory=HealthCheck)
    attributes: dict[str, str] = field(default_factory=dict)  # AWS target group attributes
    node_selector: dict[str, str] = field(default_factory=dict)  # target-node-labels
    target_control_port: int | None = None  # AWS target optimizer agent port (ip targets)
    multi_cluster: bool = False  # AWS: targets other clusters registered are left alone
    tags: dict[str, str] = field(default_factory=dict)
    # GCP BackendConfig values (timeoutSec, connectionDraining, sessionAffinity, securityPolicy,
    # customRequestHeaders, logging, cdn, iap …), already validated, keyed as in BackendConfig.spec.
    backend_config: dict[str, Any] = field(default_factory=dict)
    assumed: list[str] = field(default_factory=list)  # ASSUMED_SERVICE / ASSUMED_NODE_PORT; empty: resolved

    @property
    def port_label(self) -> str:
        """The Service port: its number, or its name when the number is unknown (0)."""
        return str(self.port) if self.port else str(self.port_name)


@dataclass
class WeightedTarget:
    backend_key: str | None = None  # a Backend of this spec
    target_group_arn: str | None = None  # an external AWS target group
    target_group_name: str | None = None
    weight: int | None = None


@dataclass
class Stickiness:
    enabled: bool
    duration_seconds: int | None = None


@dataclass
class Redirect:
    status_code: str  # HTTP_301 | HTTP_302 (Gateway API also HTTP_303 | HTTP_307 | HTTP_308)
    protocol: str | None = None  # HTTP | HTTPS | "#{protocol}"
    port: str | None = None
    host: str | None = None
    path: str | None = None
    query: str | None = None
    # Gateway API RequestRedirect `ReplacePrefixMatch`: the matched path prefix is replaced by this (GCP
    # urlRedirect.prefixRedirect); None: `path` (a full path) or the request's path
    prefix_path: str | None = None


@dataclass
class FixedResponse:
    status_code: str
    content_type: str | None = None
    message_body: str | None = None


def _default(name: str) -> Any:
    return a.REGISTRY.get(name).default


@dataclass
class Authentication(Sourced):
    """AWS ALB authenticate-oidc / authenticate-cognito before forwarding (the defaults are the registry's)."""

    type: str  # oidc | cognito
    idp: dict[str, Any]  # as in the annotation; OIDC secretName is resolved by the provider
    on_unauthenticated_request: str = _default(a.AUTH_ON_UNAUTHENTICATED)
    scope: str = _default(a.AUTH_SCOPE)
    session_cookie: str = _default(a.AUTH_SESSION_COOKIE)
    session_timeout: int = _default(a.AUTH_SESSION_TIMEOUT)


@dataclass
class JwtValidation:
    """AWS ALB JWT validation before the action (HTTPS listeners only), as `jwt-validation` says it."""

    jwks_endpoint: str
    issuer: str
    additional_claims: list[dict[str, Any]] = field(default_factory=list)  # {format, name, values}


@dataclass
class Action:
    type: str  # forward | redirect | fixed-response
    forward: list[WeightedTarget] = field(default_factory=list)
    stickiness: Stickiness | None = None
    redirect: Redirect | None = None
    fixed_response: FixedResponse | None = None
    authentication: Authentication | None = None
    jwt_validation: JwtValidation | None = None

    @staticmethod
    def to_backend(key: str) -> Action:
        return Action("forward", forward=[WeightedTarget(backend_key=key)])

    def backend_keys(self) -> list[str]:
        return [t.backend_key for t in self.forward if t.backend_key]


@dataclass
class Condition:
    """An extra rule condition from `conditions.<name>` (ALB condition field and values). `regex`: the values
    are regular expressions (ALB `RegexValues`: host-header, path-pattern, http-header), else wildcards."""

    field: str  # host-header | path-pattern | http-header | http-request-method | query-string | source-ip
    values: list[str]
    header_name: str | None = None  # http-header
    query: list[dict[str, str]] | None = None  # query-string: [{"key": k, "value": v}]
    regex: bool = dataclasses.field(default=False, metadata={"omit_default": True})


@dataclass
class PathMatch:
    """A rule's path. `regex`: an ImplementationSpecific path under `use-regex-path-match`, `path` then holds
    the regular expression (the Ingress path without its leading '/')."""

    type: PathType
    path: str
    regex: bool = field(default=False, metadata={"omit_default": True})


@dataclass
class Rewrite:
    regex: str
    replace: str


@dataclass
class Transform:
    """A request rewrite applied before forwarding (ALB rule transform, from `transforms.<name>`)."""

    type: str  # url-rewrite | host-header-rewrite
    rewrites: list[Rewrite]


@dataclass
class HeaderEdit:
    """Header changes a rule makes (Gateway API RequestHeaderModifier / ResponseHeaderModifier): `set` replaces
    or adds, `add` appends to any value already there, `remove` drops by name."""

    set: dict[str, str] = field(default_factory=dict)
    add: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)


@dataclass
class Rule:
    """One routing rule: host + path (+ extra conditions) → action. Rules are in evaluation order. A host
    `*.example.com` covers exactly one more DNS label (Ingress), or any deeper name when the frontend's
    `managed_routing` says the rules are Gateway API routes (the Gateway API's hostname semantics)."""

    source: SourceRef
    host: str | None  # exact host, "*.example.com", or None for any host
    path: PathMatch | None  # None: any path
    action: Action
    conditions: list[Condition] = field(default_factory=list)
    listen_ports: list[int] = field(default_factory=list)  # listeners the rule is on; empty = all
    rewrite_path_prefix: str | None = (
        None  # rewrite-target: GCP urlRewrite.pathPrefixRewrite, ALB url-rewrite
    )
    transforms: list[Transform] = field(default_factory=list)  # ALB transforms.<name>
    # Gateway API filters and timeouts (a provider that cannot honour one refuses the spec by name)
    full_path_rewrite: str | None = None  # URLRewrite ReplaceFullPath
    host_rewrite: str | None = None  # URLRewrite hostname
    request_headers: HeaderEdit | None = None
    response_headers: HeaderEdit | None = None
    timeout_seconds: float | None = None  # HTTPRoute timeouts.request


@dataclass
class TLSCertificate:
    """A certificate for HTTPS listeners: an ARN, an existing named cert, or a Secret to import."""

    # "arn" | "pre-shared" | "secret" | "discover" | "request" (AWS: create-acm-cert) | "managed" (GCP:
    # a ManagedCertificate, its domains in `hosts`)
    kind: str
    # ARN, certificate name, "ns/secret", "" for discovery, the private CA ARN (or "") to request, "ns/name"
    ref: str
    hosts: list[str] = field(default_factory=list)
    content_hash: str | None = None  # of a Secret's tls.crt+tls.key, to see rotations (never the key)
    owner: str | None = None  # "ns/name" of the Ingress a requested certificate is for


@dataclass
class MutualAuthentication:
    """ALB mutual TLS of an HTTPS listener."""

    mode: str  # off | passthrough | verify
    trust_store: str | None = None  # ARN or name (verify)
    ignore_client_certificate_expiry: bool | None = None  # verify; None: AWS's default (false)
    advertise_trust_store_ca_names: str | None = None  # on | off (verify)


@dataclass
class Listener(Sourced):
    protocol: str  # HTTP | HTTPS
    port: int
    certificates: list[TLSCertificate] = field(default_factory=list)
    ssl_policy: str | None = None
    redirect_to_https_port: int | None = None  # HTTP listener that only redirects
    redirect_code: str | None = None  # GCP: the redirect's redirectResponseCode (None: not redirecting)
    inbound_cidrs: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)  # AWS listener attributes to set
    mutual_authentication: MutualAuthentication | None = None  # None: not managed


@dataclass
class FrontendNlbListener:
    """A TCP listener of the frontend NLB and the ALB listen port its target group forwards to."""

    port: int
    alb_port: int


@dataclass
class FrontendNlb:
    """AWS: a Network Load Balancer in front of the ALB (aws-load-balancer-controller's enable-frontend-nlb),
    each listener forwarding to a target group of type `alb` with the ALB registered. Its sources are the
    spec's `frontend_nlb.*` fields."""

    scheme: str
    listeners: list[FrontendNlbListener]
    health_check: HealthCheck
    subnets: list[str] = field(default_factory=list)  # IDs or Name tags; empty = discover for the scheme
    security_groups: list[str] = field(default_factory=list)  # IDs or Name tags; empty = the ALB's
    eip_allocations: list[str] = field(default_factory=list)  # one per subnet (internet-facing)
    attributes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] | None = None  # None: the ALB's tags


@dataclass
class Frontend:
    scheme: str = "internet-facing"
    ip_address_type: str = "ipv4"
    static_ip_name: str | None = (
        None  # GCP address to use (global, or regional when `regional`), never deleted
    )
    regional: bool = False  # GCP: a regional Application Load Balancer (gce-internal, gce-regional-external)
    # GCP Shared VPC: a firewall rule the host project refuses is a warning with the admin's command, not a failure
    firewall_error_as_warning: bool = False
    listeners: list[Listener] = field(default_factory=list)
    subnets: list[str] = field(default_factory=list)  # AWS, IDs or Name tags; empty = discover
    subnet_tags: dict[str, list[str]] = field(default_factory=dict)  # AWS: discover by these tags instead
    security_groups: list[str] = field(default_factory=list)  # AWS, empty = managed SG
    inbound_cidrs: list[str] = field(default_factory=list)
    prefix_lists: list[str] = field(default_factory=list)  # AWS managed prefix lists allowed in
    manage_backend_rules: bool = True  # AWS: shared backend SG and node/pod SG rules (custom SGs: opt-in)
    attributes: dict[str, str] = field(default_factory=dict)  # AWS load balancer attributes
    waf_acl_arn: str | None = None  # WAFv2 web ACL ARN, or NONE (disassociate); None: ours only
    waf_acl_name: str | None = None  # WAFv2 web ACL by name, or NONE
    waf_classic_acl_id: str | None = None  # WAF Classic (waf-regional) web ACL ID, or NONE; None: unchanged
    shield_protection: bool | None = None  # Shield Advanced on/off; None: unchanged
    customer_owned_ipv4_pool: str | None = None  # AWS Outposts
    ipam_ipv4_pool_id: str | None = None  # None: no IPAM pool
    capacity_units: int | None = None  # minimum capacity units (0: reset); None: unchanged
    name: str | None = None  # explicit load-balancer-name
    # Gateway API: rules are ordered matches (their list order is their priority), served on GCP by the global
    # external Application Load Balancer with advanced traffic management (EXTERNAL_MANAGED, URL map routeRules)
    managed_routing: bool = False
    frontend_nlb: FrontendNlb | None = None  # AWS: an NLB in front of the ALB


@dataclass
class LoadBalancerSpec(Sourced):
    """One wanted load balancer for one Ingress group (or one Ingress outside any group)."""

    provider: str  # aws | gcp
    stack: str  # group key: "ns/name" for a lone Ingress, the group name for an explicit group
    explicit_group: bool
    members: list[str]  # "ns/name" of each Ingress, in group order
    frontend: Frontend
    rules: list[Rule]
    default_action: Action | None
    backends: dict[str, Backend]
    tags: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cluster_default: str | None = None  # key of the cluster default backend, when default_action is it

    def to_dict(self) -> dict[str, Any]:
        return _plain(_as_dict(self))

    @property
    def empty(self) -> bool:
        """No member Ingress left: the provider deletes the stack."""
        return not self.members


def _as_dict(value: Any) -> Any:
    """dataclasses.asdict without the fields marked not plain (the recorded sources)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _as_dict(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("plain", True)
            and not (f.metadata.get("omit_default") and getattr(value, f.name) == f.default)
        }
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_dict(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Enums → their values, drop None and empty containers, so YAML output stays short."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            plain = _plain(item)
            if plain is None or plain == [] or plain == {}:
                continue
            out[key] = plain
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value
