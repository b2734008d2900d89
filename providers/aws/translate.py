"""LoadBalancerSpec → DesiredStack, the desired AWS stack as plain data (pure: no cloud calls, no ARNs yet).

Target groups are referenced from actions as `tg-key:<backend key>` (ours) or `tg-name:<name>`
(an existing group named in `actions.<name>`); certificates as `arn:…`, `secret:<ns/name>`,
`discover:<host,…>` or `request:<ns/name>`. The plan resolves these references to ARNs (or to Refs of the
steps creating them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict

from lbctl.model.services import ServiceSpec
from lbctl.model.spec import (
    NONE,
    Action,
    Authentication,
    Backend,
    LoadBalancerSpec,
    MutualAuthentication,
    Rule,
    TLSCertificate,
)
from lbctl.model.targets import Target
from lbctl.provider import ProviderError, Secret, TLSMaterial

from . import alb_rules, naming

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
    udp_ingress: list[tuple[int, str]] = field(default_factory=list)  # (udp port, CIDR or prefix list ID)


class TargetGroupHealthCheck(TypedDict):
    """The health-check parameters of CreateTargetGroup / ModifyTargetGroup, as sent."""

    HealthCheckEnabled: bool
    HealthCheckProtocol: str | None
    HealthCheckPort: str
    HealthCheckPath: str | None
    HealthCheckIntervalSeconds: int | None
    HealthCheckTimeoutSeconds: int | None
    HealthyThresholdCount: int | None
    UnhealthyThresholdCount: int | None
    Matcher: dict[str, str | None]  # {"HttpCode": …} or {"GrpcCode": …}


@dataclass
class DesiredBackendAccess:
    """The shared backend security group on the load balancer, and the node/pod security group rules from it
    for the targets' ports and each target group's health-check port (when it is not the traffic port)."""

    name: str
    description: str
    tags: dict[str, str]
    health_check_ports: dict[str, int] = field(default_factory=dict)  # backend key → port
    control_ports: dict[str, int] = field(default_factory=dict)  # backend key → target control port
    protocols: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key → traffic protocols (tcp)


@dataclass
class DesiredTargetGroup:
    key: str  # backend key
    name: str
    protocol: str
    protocol_version: str | None
    port: int
    target_type: str
    health_check: TargetGroupHealthCheck
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
    frontend_nlb: Any = None  # the DesiredNlb in front of the ALB (providers/aws/frontend_nlb.py); None: none


Desired = DesiredStack

MAX_TAGS = 50  # per load balancer, target group or security group
NOT_FOUND_ACTION: dict[str, Any] = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}


def stack_error(spec: LoadBalancerSpec | ServiceSpec, field: str, message: str) -> ProviderError:
    """A user-fixable problem with the stack, naming the group (or Service) and field."""
    if isinstance(spec, ServiceSpec):
        return ProviderError(message, user_fixable=True, field=field, subject=spec.subject)
    if spec.frontend.managed_routing:  # a Gateway: its stack is "Gateway:ns/name"
        return ProviderError(message, user_fixable=True, field=field, subject=spec.stack.replace(":", " ", 1))
    where = f"Ingress {spec.members[0]}" if len(spec.members) == 1 else f"IngressGroup {spec.stack}"
    return ProviderError(message, user_fixable=True, field=field, subject=where)


def translate(
    spec: LoadBalancerSpec,
    cluster: str,
    regex_hosts: bool = True,
    secrets: dict[str, dict[str, str]] | None = None,
    require_secrets: bool = True,
    tls: dict[str, TLSMaterial] | None = None,
    targets: dict[str, list[Target]] | None = None,
    backend_sg: bool = True,
    known: dict[str, set[str]] | None = None,
) -> DesiredStack:
    """The ALB stack giving `spec`'s meaning; `secrets` holds OIDC client secrets by "ns/name"
    (`require_secrets=False` for routing only, where the client secret does not matter) and `tls` the
    certificates and keys of TLS Secrets by "ns/name", `targets` the endpoints per backend key; `backend_sg`:
    the controller manages the shared backend security group. Pure: once per reconcile."""
    if secrets is None and require_secrets:
        secrets = {}
    stack = spec.stack
    frontend = spec.frontend
    gateway = frontend.managed_routing  # Gateway API routes
    tags = dict(spec.tags)
    warnings: list[str] = list(spec.warnings)

    security_group = None
    if not frontend.security_groups:
        ports = sorted({listener.port for listener in frontend.listeners})
        sources = [*frontend.inbound_cidrs, *frontend.prefix_lists]
        ingress = sorted({(port, source) for port in ports for source in sources})
        security_group = DesiredSecurityGroup(
            naming.security_group_name(cluster, stack),
            f"[lbctl] frontend of load balancer for {stack}",
            ingress,
            {**tags, **naming.ownership_tags(cluster, stack, naming.ROLE_SECURITY_GROUP)},
        )

    load_balancer = DesiredLoadBalancer(
        name=naming.load_balancer_name(cluster, stack, frontend.scheme, frontend.name),
        scheme=frontend.scheme,
        ip_address_type=frontend.ip_address_type,
        subnets=list(frontend.subnets),
        security_groups=list(frontend.security_groups),
        attributes=dict(frontend.attributes),
        tags={
            **tags,
            **naming.ownership_tags(cluster, stack, naming.ROLE_LOAD_BALANCER),
            **naming.attributes_tag(dict(frontend.attributes)),
            **_waf_tag(frontend.waf_acl_arn or frontend.waf_acl_name),
        },
        waf_acl_arn=frontend.waf_acl_arn,
        waf_acl_name=frontend.waf_acl_name,
        waf_classic_acl_id=frontend.waf_classic_acl_id,
        shield_protection=frontend.shield_protection,
        customer_owned_ipv4_pool=frontend.customer_owned_ipv4_pool,
        ipam_ipv4_pool_id=frontend.ipam_ipv4_pool_id,
        capacity_units=frontend.capacity_units,
        fields={
            "waf_acl_arn": spec.field_of("frontend.waf_acl_arn"),
            "waf_acl_name": spec.field_of("frontend.waf_acl_name"),
            "waf_classic_acl_id": spec.field_of("frontend.waf_classic_acl_id"),
            "shield_protection": spec.field_of("frontend.shield_protection"),
            "ipam_ipv4_pool_id": spec.field_of("frontend.ipam_ipv4_pool_id"),
            "capacity_units": spec.field_of("frontend.capacity_units"),
        },
    )

    target_groups = {key: _target_group(spec, cluster, backend) for key, backend in spec.backends.items()}
    tagged = [
        ("load balancer", load_balancer.tags),
        ("security group", security_group.tags if security_group else {}),
    ]
    for what, tags in tagged + [(f"target group for {k}", tg.tags) for k, tg in target_groups.items()]:
        if len(tags) > MAX_TAGS:  # each Ingress's tags are within the limit, the group's union may not be
            raise stack_error(
                spec,
                spec.field_of("tags"),
                f"the {what} would carry {len(tags)} tags with lbctl's own; AWS allows {MAX_TAGS} per "
                "resource: use fewer tags across the group's Ingresses and Services",
            )

    certificates: list[DesiredCertificate] = []
    listeners: list[DesiredListener] = []
    for spec_listener in frontend.listeners:
        refs = [_certificate_ref(cert, certificates, tls or {}) for cert in spec_listener.certificates]
        https = spec_listener.protocol == "HTTPS"
        listener = DesiredListener(
            port=spec_listener.port,
            protocol=spec_listener.protocol,
            ssl_policy=spec_listener.ssl_policy if https else None,
            certificates=refs,
            default_actions=[],
            attributes=dict(spec_listener.attributes),
            mutual_authentication=_mutual_authentication(spec_listener.mutual_authentication),
            fields={name: source.field for name, source in spec_listener.fields.items()},
        )
        if spec_listener.redirect_to_https_port is not None:
            listener.redirect_only = True
            listener.default_actions = [
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": str(spec_listener.redirect_to_https_port),
                        "StatusCode": "HTTP_301",
                    },
                }
            ]
            listeners.append(listener)
            continue
        if spec.default_action is not None:
            listener.default_actions = actions(
                spec.default_action, https, spec, secrets, "spec.defaultBackend"
            )
        else:
            listener.default_actions = [dict(NOT_FOUND_ACTION)]
        priority = 1
        for index, rule in enumerate(spec.rules):
            if rule.listen_ports and spec_listener.port not in rule.listen_ports:
                continue
            if gateway:
                _refuse_unsupported(spec, rule)
            conditions, rule_warnings = alb_rules.rule_conditions(rule, regex_hosts, gateway)
            warnings.extend(w for w in rule_warnings if w not in warnings)
            parts = alb_rules.split_conditions(conditions)
            if parts is None:
                raise stack_error(
                    spec,
                    rule.source.field,
                    f"{rule.source}: more than "
                    f"{alb_rules.MAX_CONDITION_VALUES} condition values that cannot be split into "
                    "several ALB rules; use fewer conditions",
                )
            rule_actions = actions(rule.action, https, spec, secrets, str(rule.source))
            transforms = alb_rules.rule_transforms(rule, gateway)
            for part in parts:
                # a Gateway API redirect is kept as written, also one to the URL it matched (the spec's)
                if not gateway and alb_rules.needless(
                    part, rule_actions, listener.rules, spec_listener.port, spec_listener.protocol
                ):
                    continue
                listener.rules.append(
                    DesiredRule(priority, part, rule_actions, index, str(rule.source), transforms)
                )
                priority += 1
        if len(listener.rules) > alb_rules.MAX_RULES_PER_LISTENER:
            raise stack_error(
                spec,
                "spec.rules",
                f"listener {spec_listener.protocol}:{spec_listener.port} needs "
                f"{len(listener.rules)} ALB rules; an ALB listener holds at most "
                f"{alb_rules.MAX_RULES_PER_LISTENER}. Split the group into several load balancers "
                "(group.name) or use fewer host/path combinations",
            )
        listeners.append(listener)

    external = sorted(
        {
            g["TargetGroupArn"][len(TG_NAME_REF) :]
            for listener in listeners
            for actions_ in [listener.default_actions, *(r.actions for r in listener.rules)]
            for action in actions_
            for g in action.get("ForwardConfig", {}).get("TargetGroups", [])
            if g["TargetGroupArn"].startswith(TG_NAME_REF)
        }
    )
    wanted = {key: {(t.id, t.port) for t in (targets or {}).get(key, [])} for key in target_groups}
    backend = _backend_access(spec, cluster, target_groups, backend_sg)
    instances = {t.id: t.instance for group in (targets or {}).values() for t in group if t.instance}
    return DesiredStack(
        stack,
        load_balancer,
        security_group,
        target_groups,
        listeners,
        certificates,
        warnings,
        external,
        cluster,
        wanted,
        backend,
        instances,
        {key: set(ids) for key, ids in (known or {}).items()},
    )


# ALB redirect actions answer these codes only
ALB_REDIRECT_CODES = ("HTTP_301", "HTTP_302")


def _refuse_unsupported(spec: LoadBalancerSpec, rule: Rule) -> None:
    """What an ALB rule cannot do of a Gateway API route's rule, refused naming the route's field."""
    rule_field = rule.source.field.split(".matches")[0]
    redirect = rule.action.redirect
    refused = [
        (rule.request_headers is not None, ".filters", "the RequestHeaderModifier filter"),
        (rule.response_headers is not None, ".filters", "the ResponseHeaderModifier filter"),
        (rule.timeout_seconds is not None, ".timeouts.request", "a request timeout"),
        (
            redirect is not None and redirect.prefix_path is not None,
            ".filters",
            "a RequestRedirect with path type ReplacePrefixMatch",
        ),
        (
            redirect is not None and redirect.status_code not in ALB_REDIRECT_CODES,
            ".filters",
            f"a RequestRedirect statusCode {redirect.status_code.removeprefix('HTTP_') if redirect else ''} "
            "(ALB redirects answer 301 or 302)",
        ),
        (
            any(c.field == "query-string" and c.regex for c in rule.conditions),
            ".matches",
            "a RegularExpression queryParams match",
        ),
    ]
    for found, where, what in refused:
        if found:
            raise stack_error(
                spec,
                f"{rule.source.kind} {rule.source.ingress} {rule_field}{where}",
                f"{rule.source}: an Application Load Balancer cannot honour {what}; remove it",
            )


def _backend_access(
    spec: LoadBalancerSpec, cluster: str, target_groups: dict[str, DesiredTargetGroup], enabled: bool
) -> DesiredBackendAccess | None:
    """The shared backend security group and its rules, when the stack has them (as the anchor decides: always
    with the managed frontend security group, with `security-groups` only when asked)."""
    if not spec.frontend.manage_backend_rules:
        return None
    if not enabled:
        if spec.frontend.security_groups:
            raise stack_error(
                spec,
                spec.field_of("frontend.manage_backend_rules"),
                "needs the shared backend security group, which this controller runs without "
                "(--aws-enable-backend-security-group=false)",
            )
        return None
    health = {key: tg.health_check for key, tg in target_groups.items()}
    control = {
        k: tg.target_control_port for k, tg in target_groups.items() if tg.target_control_port is not None
    }
    return backend_access(cluster, health, control)


def backend_access(
    cluster: str,
    health_checks: dict[str, TargetGroupHealthCheck],
    control_ports: dict[str, int] | None = None,
    protocols: dict[str, tuple[str, ...]] | None = None,
) -> DesiredBackendAccess:
    """The shared backend security group of the cluster, with the health-check ports (those not the traffic
    port) and target control ports the node/pod security groups open to it per target group."""
    return DesiredBackendAccess(
        naming.backend_security_group_name(cluster),
        naming.BACKEND_SG_DESCRIPTION,
        naming.backend_security_group_tags(cluster),
        {
            key: int(c["HealthCheckPort"])
            for key, c in health_checks.items()
            if str(c["HealthCheckPort"]).isdigit()
        },
        dict(control_ports or {}),
        dict(protocols or {}),
    )


def _mutual_authentication(mtls: MutualAuthentication | None) -> dict[str, Any] | None:
    if mtls is None:
        return None
    out: dict[str, Any] = {"Mode": mtls.mode}
    if mtls.trust_store:
        store = mtls.trust_store
        out["TrustStoreArn"] = store if store.startswith("arn:") else TRUST_STORE_NAME_REF + store
    if mtls.ignore_client_certificate_expiry is not None:
        out["IgnoreClientCertificateExpiry"] = mtls.ignore_client_certificate_expiry
    if mtls.advertise_trust_store_ca_names is not None:
        out["AdvertiseTrustStoreCaNames"] = mtls.advertise_trust_store_ca_names
    return out


def _waf_tag(acl: str | None) -> dict[str, str]:
    """The tag saying which WAFv2 web ACL we associated (ARN or name), so that removing the annotation
    disassociates it again; `none` associates nothing."""
    return {naming.WAF_TAG: acl} if acl and acl != NONE else {}


def _certificate_ref(
    cert: TLSCertificate, certificates: list[DesiredCertificate], tls: dict[str, TLSMaterial]
) -> str:
    if cert.kind == "arn":
        return cert.ref
    if cert.kind == "secret":
        ref = CERT_SECRET_REF + cert.ref
        wanted = DesiredCertificate(ref, list(cert.hosts), cert.content_hash, cert.ref, tls.get(cert.ref))
    elif cert.kind == "request":
        ref = CERT_REQUEST_REF + str(cert.owner)
        digest = naming.short_hash(*cert.hosts, cert.ref, length=16)  # a new host or CA: a new certificate
        wanted = DesiredCertificate(
            ref, list(cert.hosts), digest, request_for=cert.owner, pca_arn=cert.ref or None
        )
    else:
        ref = CERT_DISCOVER_REF + ",".join(sorted(cert.hosts))
        wanted = DesiredCertificate(ref, list(cert.hosts), cert.content_hash)
    if all(c.ref != ref for c in certificates):
        certificates.append(wanted)
    return ref


def _health_check_port(backend: Backend) -> str:
    port = backend.health_check.port
    if port == "traffic-port":
        return "traffic-port"
    if isinstance(port, int) or str(port).isdigit():
        return str(port)
    if port == backend.port_name:  # a named Service port: the port the targets listen on
        resolved = backend.node_port if backend.target_type == "instance" else backend.target_port
        if isinstance(resolved, int):
            return str(resolved)
    return "traffic-port" if port == backend.port_name else str(port)


def _target_group(spec: LoadBalancerSpec, cluster: str, backend: Backend) -> DesiredTargetGroup:
    if backend.target_type == "instance":
        port = backend.node_port or backend.port
    else:
        port = backend.target_port if isinstance(backend.target_port, int) else backend.port
    port = port or 80  # a named port of a Service not in the files (offline plan): the ALB's default port
    version = backend.protocol_version
    check = backend.health_check
    grpc = version == "GRPC"
    health_check: TargetGroupHealthCheck = {
        "HealthCheckEnabled": True,
        "HealthCheckProtocol": check.protocol,
        "HealthCheckPort": _health_check_port(backend),
        "HealthCheckPath": check.path,
        "HealthCheckIntervalSeconds": check.interval_seconds,
        "HealthCheckTimeoutSeconds": check.timeout_seconds,
        "HealthyThresholdCount": check.healthy_threshold,
        "UnhealthyThresholdCount": check.unhealthy_threshold,
        "Matcher": {"GrpcCode" if grpc else "HttpCode": check.success_codes},
    }
    immutable: tuple[object, ...] = (backend.protocol, version, port, backend.target_type)
    if backend.target_control_port is not None:  # AWS cannot change it: a new value is a new target group
        immutable += (backend.target_control_port,)
    return DesiredTargetGroup(
        key=backend.key,
        name=naming.target_group_name(
            cluster, spec.stack, backend.key, backend.namespace, backend.service, immutable
        ),
        protocol=backend.protocol,
        protocol_version=version,
        port=int(port),
        target_type=backend.target_type,
        health_check=health_check,
        attributes=dict(backend.attributes),
        tags={
            **spec.tags,
            **backend.tags,
            **naming.ownership_tags(cluster, spec.stack, naming.ROLE_TARGET_GROUP + backend.key),
            **naming.attributes_tag(dict(backend.attributes)),
        },
        target_control_port=backend.target_control_port,
        multi_cluster=backend.multi_cluster,
    )


def actions(
    action: Action, https: bool, spec: LoadBalancerSpec, secrets: dict[str, dict[str, str]] | None, where: str
) -> list[dict[str, Any]]:
    """ALB actions for a spec action; authentication only on HTTPS listeners (as ALB requires)."""
    out: list[dict[str, Any]] = []
    if action.authentication is not None and https:
        out.append(_authenticate(action.authentication, spec, secrets, where))
    if action.jwt_validation is not None and https:
        jwt = action.jwt_validation
        jwt_config: dict[str, Any] = {"JwksEndpoint": jwt.jwks_endpoint, "Issuer": jwt.issuer}
        if jwt.additional_claims:
            jwt_config["AdditionalClaims"] = [
                {"Format": c["format"], "Name": c["name"], "Values": list(c["values"])}
                for c in jwt.additional_claims
            ]
        out.append({"Type": "jwt-validation", "JwtValidationConfig": jwt_config})
    if action.type == "fixed-response":
        fixed = action.fixed_response
        assert fixed is not None
        config = {"StatusCode": fixed.status_code}
        if fixed.content_type:
            config["ContentType"] = fixed.content_type
        if fixed.message_body:
            config["MessageBody"] = fixed.message_body
        out.append({"Type": "fixed-response", "FixedResponseConfig": config})
    elif action.type == "redirect":
        redirect = action.redirect
        assert redirect is not None
        config = {"StatusCode": redirect.status_code}
        for key, value in (
            ("Protocol", redirect.protocol),
            ("Port", redirect.port),
            ("Host", redirect.host),
            ("Path", redirect.path),
            ("Query", redirect.query),
        ):
            if value is not None:
                config[key] = value
        out.append({"Type": "redirect", "RedirectConfig": config})
    else:
        groups = []
        for target in action.forward:
            if target.backend_key:
                ref = TG_KEY_REF + target.backend_key
            elif target.target_group_arn:
                ref = target.target_group_arn
            else:
                ref = TG_NAME_REF + str(target.target_group_name)
            groups.append({"TargetGroupArn": ref, "Weight": 1 if target.weight is None else target.weight})
        forward: dict[str, Any] = {"TargetGroups": groups}
        if action.stickiness is not None:
            sticky: dict[str, Any] = {"Enabled": action.stickiness.enabled}
            if action.stickiness.enabled and action.stickiness.duration_seconds:
                sticky["DurationSeconds"] = action.stickiness.duration_seconds
            forward["TargetGroupStickinessConfig"] = sticky
        out.append({"Type": "forward", "ForwardConfig": forward})
    if len(out) > 1:
        for order, item in enumerate(out, start=1):
            item["Order"] = order
    return out


def _authenticate(
    auth: Authentication, spec: LoadBalancerSpec, secrets: dict[str, dict[str, str]] | None, where: str
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "SessionCookieName": auth.session_cookie,
        "Scope": auth.scope,
        "SessionTimeout": auth.session_timeout,
        "OnUnauthenticatedRequest": auth.on_unauthenticated_request,
    }
    extra = auth.idp.get("authenticationRequestExtraParams")
    if extra:
        common["AuthenticationRequestExtraParams"] = dict(extra)
    if auth.type == "cognito":
        return {
            "Type": "authenticate-cognito",
            "AuthenticateCognitoConfig": {
                "UserPoolArn": auth.idp["userPoolARN"],
                "UserPoolClientId": auth.idp["userPoolClientID"],
                "UserPoolDomain": auth.idp["userPoolDomain"],
                **common,
            },
        }
    namespace = (
        where.split(" ", 2)[1].split("/", 1)[0]
        if where.startswith("Ingress ")
        else spec.members[0].split("/")[0]
    )
    secret_ref = f"{namespace}/{auth.idp['secretName']}"
    routing_only = {"clientID": "", "clientSecret": ""}
    secret = routing_only if secrets is None else secrets.get(secret_ref)
    if secret is None or "clientID" not in secret or "clientSecret" not in secret:
        raise stack_error(
            spec,
            auth.field_of("idp"),
            f"{where}: Secret {secret_ref} must exist and hold clientID and clientSecret",
        )
    return {
        "Type": "authenticate-oidc",
        "AuthenticateOidcConfig": {
            "Issuer": auth.idp["issuer"],
            "AuthorizationEndpoint": auth.idp["authorizationEndpoint"],
            "TokenEndpoint": auth.idp["tokenEndpoint"],
            "UserInfoEndpoint": auth.idp["userInfoEndpoint"],
            "ClientId": secret["clientID"],
            "ClientSecret": Secret(secret["clientSecret"]),
            **common,
        },
    }
