"""The desired AWS stack of one LoadBalancerSpec, as plain data (no ARNs yet).

Target groups are referenced from actions as `tg-key:<backend key>` (ours) or `tg-name:<name>`
(an existing group named in `actions.<name>`); certificates as `arn:…`, `secret:<ns/name>` or
`discover:<host,…>`. The plan resolves these references to ARNs (or to Refs of the steps creating them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lbctl.provider import TLSMaterial

TG_KEY_REF = "tg-key:"
TG_NAME_REF = "tg-name:"
CERT_SECRET_REF = "secret:"
CERT_DISCOVER_REF = "discover:"
CERT_REQUEST_REF = "request:"
TRUST_STORE_NAME_REF = "trust-store-name:"


@dataclass
class DesiredSecurityGroup:
    name: str
    description: str
    ingress: list[tuple[int, str]]  # (tcp port, CIDR or managed prefix list ID)
    tags: dict[str, str]


@dataclass
class DesiredBackendAccess:
    """The shared backend security group on the load balancer, and the node/pod security group rules from it
    for the targets' ports and each target group's health-check port (when it is not the traffic port)."""

    name: str
    description: str
    tags: dict[str, str]
    health_check_ports: dict[str, int] = field(default_factory=dict)  # backend key → port
    control_ports: dict[str, int] = field(default_factory=dict)  # backend key → target control port


@dataclass
class DesiredTargetGroup:
    key: str  # backend key
    name: str
    protocol: str
    protocol_version: str | None
    port: int
    target_type: str
    health_check: dict[str, Any]  # CreateTargetGroup/ModifyTargetGroup health-check parameters
    attributes: dict[str, str]
    tags: dict[str, str]
    target_control_port: int | None = None  # CreateTargetGroup only (part of the name's hash)
    multi_cluster: bool = False  # deregister only targets of this cluster


@dataclass
class DesiredLoadBalancer:
    name: str
    scheme: str
    ip_address_type: str
    subnets: list[str]  # IDs or Name tags; empty = discover by role tags
    security_groups: list[str]  # IDs or Name tags; empty = the managed frontend SG
    attributes: dict[str, str]
    tags: dict[str, str]
    waf_acl_arn: str | None  # ARN or "none" (disassociate); None: only the one we associated is removed
    waf_acl_name: str | None = None  # a WAFv2 web ACL by name (discover resolves it), or "none"
    waf_classic_acl_id: str | None = None  # WAF Classic web ACL ID or "none"; None: not managed
    shield_protection: bool | None = None  # None: not managed
    customer_owned_ipv4_pool: str | None = None  # set at creation only
    ipam_ipv4_pool_id: str | None = None
    capacity_units: int | None = None  # 0: reset; None: not managed
    fields: dict[str, str] = field(default_factory=dict)  # attribute → the spec field to name in errors


@dataclass
class DesiredRule:
    priority: int
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    spec_index: int  # index of the spec rule it comes from
    label: str  # the spec rule's source, for messages
    transforms: list[dict[str, Any]] = field(default_factory=list)  # ALB rule transforms (rewrites)


@dataclass
class DesiredListener:
    port: int
    protocol: str
    ssl_policy: str | None
    certificates: list[str]  # references, first = default certificate
    default_actions: list[dict[str, Any]]
    rules: list[DesiredRule] = field(default_factory=list)
    redirect_only: bool = False
    attributes: dict[str, str] = field(default_factory=dict)  # ModifyListenerAttributes (only these keys)
    # MutualAuthentication as CreateListener takes it; TrustStoreArn may be TRUST_STORE_NAME_REF + a name:
    mutual_authentication: dict[str, Any] | None = None
    fields: dict[str, str] = field(default_factory=dict)  # attribute → the spec field to name in errors


@dataclass
class DesiredCertificate:
    """A certificate the listeners need: imported from a Secret, discovered in ACM, or requested from ACM."""

    ref: str  # secret:<ns/name> | discover:<hosts> | request:<ns/name of the Ingress>
    hosts: list[str]
    content_hash: str | None = None
    secret: str | None = None  # "ns/name" of the TLS Secret it is imported from
    material: TLSMaterial | None = None  # that Secret's certificate and key (None: not provided)
    request_for: str | None = None  # "ns/name" of the Ingress a requested certificate is for
    pca_arn: str | None = None  # the private CA that issues a requested certificate (None: Amazon-issued)


@dataclass
class DesiredStack:
    stack: str
    load_balancer: DesiredLoadBalancer
    security_group: DesiredSecurityGroup | None
    target_groups: dict[str, DesiredTargetGroup]
    listeners: list[DesiredListener]
    certificates: list[DesiredCertificate]
    warnings: list[str] = field(default_factory=list)
    # names of existing target groups that actions forward to:
    external_target_groups: list[str] = field(default_factory=list)
    cluster: str = ""
    # backend key → (target ID, port) wanted: not part of the stack's fingerprint (see the targets-only path)
    targets: dict[str, set[tuple[str, int]]] = field(default_factory=dict, repr=False, compare=False)
    backend: DesiredBackendAccess | None = None  # None: no backend security group for this stack
    # target ID → the node's instance ID (pod targets: where their ENI is looked for when no ENI has the IP)
    target_instances: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # backend key → the target IDs this cluster knows, for target groups shared with other clusters
    known: dict[str, set[str]] = field(default_factory=dict, repr=False, compare=False)


Desired = DesiredStack
