"""AWS Application Load Balancer (aws-load-balancer-controller) semantics in the model: IngressGroups,
listen-ports and ssl-redirect, custom actions and conditions, target types, health checks and
authentication. Every value is resolved here, defaults from the registry, with the field it came from.
Pure: reads only the snapshot."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from lbctl.model import alb_params
from lbctl.model import annotations as a
from lbctl.model.alb_gateway_policies import AlbGatewayPolicies
from lbctl.model.class_params import ClassPins
from lbctl.model.frontend_nlb import FRONTEND_NLB_ANNOTATIONS, frontend_nlb
from lbctl.model.objects import Ingress, Service
from lbctl.model.profile import (
    GatewayFeatures,
    Member,
    MemberInput,
    ResolveOne,
    Settings,
    TlsCertificates,
    exclusive,
    group_fail,
    group_source,
)
from lbctl.model.registry import ParsedAnnotations, annotation_field
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import (
    Action,
    Authentication,
    Backend,
    Condition,
    FixedResponse,
    Frontend,
    HealthCheck,
    JwtValidation,
    Listener,
    MutualAuthentication,
    Redirect,
    Rewrite,
    Source,
    Stickiness,
    TLSCertificate,
    Transform,
    WeightedTarget,
)

# The annotation behind each spec-level attribute (spec.fields), for a spec whatever its members set
SPEC_ANNOTATIONS = {
    "tags": a.TAGS,
    "certificates": a.CERTIFICATE_ARN,
    "frontend.name": a.LOAD_BALANCER_NAME,
    "frontend.scheme": a.SCHEME,
    "frontend.ip_address_type": a.IP_ADDRESS_TYPE,
    "frontend.subnets": a.SUBNETS,
    "frontend.security_groups": a.SECURITY_GROUPS,
    "frontend.inbound_cidrs": a.INBOUND_CIDRS,
    "frontend.prefix_lists": a.SECURITY_GROUP_PREFIX_LISTS,
    "frontend.manage_backend_rules": a.MANAGE_BACKEND_SG_RULES,
    "frontend.attributes": a.LOAD_BALANCER_ATTRIBUTES,
    "frontend.waf_acl_arn": a.WAFV2_ACL_ARN,
    "frontend.waf_acl_name": a.WAFV2_ACL_NAME,
    "frontend.waf_classic_acl_id": a.WAF_ACL_ID,
    "frontend.shield_protection": a.SHIELD_ADVANCED_PROTECTION,
    "frontend.customer_owned_ipv4_pool": a.CUSTOMER_OWNED_IPV4_POOL,
    "frontend.ipam_ipv4_pool_id": a.IPAM_IPV4_POOL_ID,
    "frontend.capacity_units": a.MINIMUM_LB_CAPACITY,
    "frontend.mutual_authentication": a.MUTUAL_AUTHENTICATION,
    "frontend.listeners": a.LISTEN_PORTS,
    "frontend.listeners.ssl_policy": a.SSL_POLICY,
    "frontend.listeners.redirect_to_https_port": a.SSL_REDIRECT,
    **FRONTEND_NLB_ANNOTATIONS,
}


GATEWAY = GatewayFeatures(
    controller_name="lbctl.io/alb",
    drop_in_controller_names=("gateway.k8s.aws/alb",),  # aws-load-balancer-controller's
    # ALB redirect action, url/host-header-rewrite; ExtensionRef: aws-load-balancer-controller's
    # ListenerRuleConfiguration (source-ip conditions, fixed responses, stickiness, the redirect's query)
    filters=frozenset({"RequestRedirect", "URLRewrite", "ExtensionRef"}),
    redirect_codes=frozenset({301, 302}),  # ALB redirects answer HTTP_301 or HTTP_302 only
    redirect_prefix=False,
    request_timeout=False,  # ALB has no per-rule timeout
    regex_query=False,  # query-string conditions take wildcards, not regexes
    static_addresses=False,  # an ALB's addresses are AWS's to choose
    annotations=frozenset(
        {
            a.SCHEME,
            a.IP_ADDRESS_TYPE,
            a.SUBNETS,
            a.SECURITY_GROUPS,
            a.INBOUND_CIDRS,
            a.LOAD_BALANCER_ATTRIBUTES,
            a.LOAD_BALANCER_NAME,
            a.SSL_POLICY,
            a.TARGET_TYPE,
            a.TARGET_GROUP_ATTRIBUTES,
            a.HEALTHCHECK_PORT,
            a.HEALTHCHECK_PROTOCOL,
            a.HEALTHCHECK_PATH,
            a.HEALTHCHECK_INTERVAL,
            a.HEALTHCHECK_TIMEOUT,
            a.HEALTHY_THRESHOLD,
            a.UNHEALTHY_THRESHOLD,
            a.SUCCESS_CODES,
        }
    ),
    grpc_annotations={a.BACKEND_PROTOCOL_VERSION: "GRPC"},
    conversion_policies=frozenset({"TargetGroupConfiguration"}),  # aws-load-balancer-controller's
    policies=AlbGatewayPolicies(),
)


class AlbProfile:
    """The ALB profile of the builder (see lbctl.model.profile.CloudProfile)."""

    name = "aws"
    cluster_default_backend: str | None = None
    gateway = GATEWAY

    def group_name(self, parsed: ParsedAnnotations) -> str | None:
        return str(parsed.get(a.GROUP_NAME)) if parsed.has(a.GROUP_NAME) else None

    def class_pins(
        self, ingress: Ingress, snapshot: ClusterSnapshot, assume_missing: bool
    ) -> ClassPins | None:
        return alb_params.class_pins(ingress, snapshot, assume_missing)

    def default_fields(self) -> dict[str, Source]:
        return {attribute: Source(annotation_field(name)) for attribute, name in SPEC_ANNOTATIONS.items()}

    def order(self, parsed: ParsedAnnotations) -> int:
        return int(parsed.get(a.GROUP_ORDER))

    def rewrite(self, member: MemberInput) -> str | None:
        return _rewrite_target(member, self.regex_paths(member))

    def conditions(self, member: MemberInput) -> dict[str, list[Condition]]:
        found = {name: _conditions(value) for name, value in member.parsed.family(a.CONDITIONS).items()}
        _check_condition_matchers(member, found, self.regex_paths(member))
        return found

    def transforms(self, member: MemberInput) -> dict[str, list[Transform]]:
        found = {name: _transforms(value) for name, value in member.parsed.family(a.TRANSFORMS).items()}
        target = _rewrite_target_name(member)
        for name, transforms in found.items():
            if target is not None and any(t.type == "url-rewrite" for t in transforms):
                raise member.fail(
                    _family_field(a.TRANSFORMS, name),
                    f"a url-rewrite here and {target} on the same Ingress would give its rules two URL "
                    "rewrites; ALB takes one per rule: keep one of them",
                )
        return found

    def regex_paths(self, member: MemberInput) -> bool:
        return bool(member.parsed.get(a.USE_REGEX_PATH_MATCH))

    def annotation_action(self, member: MemberInput, name: str, where: str) -> Action:
        action = _annotation_action(member, name, where)
        action.authentication = _annotation_action_auth(self, member, action)
        return action

    def certificates(self, member: MemberInput, tls: TlsCertificates) -> list[TLSCertificate]:
        pca = member.parsed.get(a.ACM_PCA_ARN)
        if pca is not None and not member.parsed.get(a.CREATE_ACM_CERT):
            raise member.fail(
                annotation_field(a.ACM_PCA_ARN), f"takes effect only with {a.CREATE_ACM_CERT}: 'true'"
            )
        if member.parsed.has(a.CERTIFICATE_ARN):
            return [TLSCertificate("arn", arn) for arn in member.parsed.get(a.CERTIFICATE_ARN)]
        if member.parsed.get(a.CREATE_ACM_CERT):
            return [_requested_certificate(member, pca)]
        return tls(True)

    def listen_ports(self, member: MemberInput, certificates: list[TLSCertificate]) -> list[tuple[str, int]]:
        return list(member.parsed.get(a.LISTEN_PORTS, a.WITH_TLS if certificates else None))

    def backend_settings(
        self,
        member: MemberInput,
        backend: Backend,
        service: Service,
        service_parsed: ParsedAnnotations,
        where: str,
    ) -> None:
        settings = Settings(member.parsed, service_parsed, service.ref.key)
        fields = backend.fields

        def take(attribute: str, name: str, situation: str | None = None) -> Any:
            return settings.take(fields, attribute, name, situation)

        backend.target_type = take("target_type", a.TARGET_TYPE)
        backend.protocol = take("protocol", a.BACKEND_PROTOCOL)
        backend.protocol_version = take("protocol_version", a.BACKEND_PROTOCOL_VERSION)
        grpc = a.GRPC if backend.protocol_version == "GRPC" else None
        backend.health_check = HealthCheck(
            protocol=take("health_check.protocol", a.HEALTHCHECK_PROTOCOL),
            port=take("health_check.port", a.HEALTHCHECK_PORT),
            path=take("health_check.path", a.HEALTHCHECK_PATH, grpc),
            interval_seconds=take("health_check.interval_seconds", a.HEALTHCHECK_INTERVAL),
            timeout_seconds=take("health_check.timeout_seconds", a.HEALTHCHECK_TIMEOUT),
            healthy_threshold=take("health_check.healthy_threshold", a.HEALTHY_THRESHOLD),
            unhealthy_threshold=take("health_check.unhealthy_threshold", a.UNHEALTHY_THRESHOLD),
            success_codes=take("health_check.success_codes", a.SUCCESS_CODES, grpc),
            source="annotation",
        )
        check = backend.health_check
        if check.timeout_seconds >= check.interval_seconds:  # type: ignore[operator]
            raise member.fail(
                where,
                f"healthcheck-timeout-seconds ({check.timeout_seconds}) must be less "
                f"than healthcheck-interval-seconds ({check.interval_seconds})",
            )
        backend.attributes = dict(take("attributes", a.TARGET_GROUP_ATTRIBUTES) or {})
        backend.node_selector = dict(take("node_selector", a.TARGET_NODE_LABELS) or {})
        _target_control_port(member, backend, service_parsed, service.ref.key)
        backend.multi_cluster = bool(member.parsed.get(a.MULTI_CLUSTER_TARGET_GROUP)) or bool(
            service_parsed.get(a.MULTI_CLUSTER_TARGET_GROUP)
        )
        fields["multi_cluster"] = settings.source(a.MULTI_CLUSTER_TARGET_GROUP)
        backend.tags = dict(take("tags", a.TAGS) or {})

    def authentication(
        self,
        member: MemberInput,
        service: Service | None,
        service_parsed: ParsedAnnotations | None,
        where: str,
    ) -> Authentication | None:
        """The auth-* settings of the Service's annotations over the Ingress's (the Ingress's alone without a
        Service, as for a use-annotation action that does not forward to exactly one Service)."""
        settings = Settings(member.parsed, service_parsed, service.ref.key if service is not None else "")
        fields: dict[str, Source] = {}
        auth_type = settings.take(fields, "type", a.AUTH_TYPE)
        if auth_type in (None, "none"):
            return None
        idp_name = a.AUTH_IDP_OIDC if auth_type == "oidc" else a.AUTH_IDP_COGNITO
        idp = settings.take(fields, "idp", idp_name)
        if idp is None:
            raise member.fail(annotation_field(idp_name), f"is required when auth-type is {auth_type}")
        return Authentication(
            type=auth_type,
            idp=dict(idp),
            on_unauthenticated_request=settings.take(
                fields, "on_unauthenticated_request", a.AUTH_ON_UNAUTHENTICATED
            ),
            scope=settings.take(fields, "scope", a.AUTH_SCOPE),
            session_cookie=settings.take(fields, "session_cookie", a.AUTH_SESSION_COOKIE),
            session_timeout=settings.take(fields, "session_timeout", a.AUTH_SESSION_TIMEOUT),
            fields=fields,
        )

    def group_tags(self, members: Sequence[Member]) -> tuple[dict[str, str], Source | None]:
        tags: dict[str, str] = {}
        for member in members:  # the first member by group order keeps a key
            tags.update({k: v for k, v in (member.parsed.get(a.TAGS) or {}).items() if k not in tags})
        return tags, group_source(members, a.TAGS)

    def frontend(
        self, key: str, members: Sequence[Member], snapshot: ClusterSnapshot
    ) -> tuple[Frontend, dict[str, Source]]:
        return _frontend(key, members)

    def default_backend(
        self,
        member: MemberInput,
        cluster_default: str | None,
        assume_missing: bool,
        resolve: ResolveOne,
        backends: dict[str, Backend],
    ) -> str | None:
        return None  # an ALB without a default action answers 404 itself


def _annotation_action(member: MemberInput, name: str, where: str) -> Action:
    """A custom action from `actions.<name>`: fixed-response, redirect, or forward (weights, stickiness)."""
    raw = member.parsed.family(a.ACTIONS).get(name)
    if raw is None:
        raise member.fail(
            where, f"port 'use-annotation' needs annotation {a.ACTIONS.replace('${name}', name)}"
        )
    kind = raw["type"]
    if kind == "fixed-response":
        cfg = raw["fixedResponseConfig"]
        return Action(
            kind,
            fixed_response=FixedResponse(cfg["statusCode"], cfg.get("contentType"), cfg.get("messageBody")),
        )
    if kind == "redirect":
        cfg = raw["redirectConfig"]
        return Action(
            kind,
            redirect=Redirect(
                cfg["statusCode"],
                cfg.get("protocol"),
                cfg.get("port"),
                cfg.get("host"),
                cfg.get("path"),
                cfg.get("query"),
            ),
        )
    if "targetGroupARN" in raw:
        return Action(kind, forward=[WeightedTarget(target_group_arn=raw["targetGroupARN"])])
    forward = raw["forwardConfig"]
    targets = []
    for k, item in enumerate(forward["targetGroups"]):
        if "serviceName" in item:
            port = item["servicePort"]
            port = int(port) if isinstance(port, str) and port.isascii() and port.isdigit() else port
            key = member.resolve_backend(
                item["serviceName"], port, f"{where} (actions.{name} targetGroups[{k}])", None
            )
            targets.append(WeightedTarget(backend_key=key, weight=item.get("weight")))
        else:
            targets.append(
                WeightedTarget(
                    target_group_arn=item.get("targetGroupARN"),
                    target_group_name=item.get("targetGroupName"),
                    weight=item.get("weight"),
                )
            )
    sticky = forward.get("targetGroupStickinessConfig")
    stickiness = Stickiness(bool(sticky.get("enabled")), sticky.get("durationSeconds")) if sticky else None
    return Action(kind, forward=targets, stickiness=stickiness)


def _annotation_action_auth(
    profile: AlbProfile, member: MemberInput, action: Action
) -> Authentication | None:
    """Authentication before a use-annotation action, as aws-load-balancer-controller gives it: from the
    Ingress's auth-* annotations, with the Service's over them when the action forwards to exactly one
    Service (fixed-response and redirect actions authenticate too)."""
    service = service_parsed = None
    targets = action.forward
    if len(targets) == 1 and targets[0].backend_key is not None:
        name = targets[0].backend_key.split("/", 1)[1].split(":", 1)[0]
        service = member.snapshot.service(member.ingress.namespace, name)
        if service is not None:
            service_parsed = a.REGISTRY.parse(
                service.annotations, "Service", str(service.ref), service.source
            )
    return profile.authentication(member, service, service_parsed, "")


def _family_field(family: str, name: str) -> str:
    return annotation_field(family.replace("${name}", name))


def _transforms(raw: list[dict[str, Any]]) -> list[Transform]:
    out = []
    for item in raw:
        config = item["urlRewriteConfig" if item["type"] == "url-rewrite" else "hostHeaderRewriteConfig"]
        out.append(Transform(item["type"], [Rewrite(r["regex"], r["replace"]) for r in config["rewrites"]]))
    return out


def _rewrite_target_name(member: MemberInput) -> str | None:
    return next((n for n in (a.REWRITE_TARGET_NGINX, a.REWRITE_TARGET) if member.parsed.get(n)), None)


def _rewrite_target(member: MemberInput, regex_paths: bool) -> str | None:
    """rewrite-target on ALB: a url-rewrite replacing the part of the path the rule matched (as GCE's
    pathPrefixRewrite does: the Exact path, the Prefix with its '/'), for paths where that part is known."""
    name = _rewrite_target_name(member)
    if name is None:
        return None
    target = str(member.parsed.get(name))
    where = annotation_field(name)
    if "$" in target:
        raise member.fail(
            where,
            f"{target!r} holds '$', which an ALB url-rewrite reads as a capture-group reference (ingress-nginx "
            f"regex rewrites are not this annotation's meaning); use {a.TRANSFORMS} for regex rewrites",
        )
    for i, rule in enumerate(member.ingress.rules):
        for j, path in enumerate(rule.paths):
            if path.path_type != "ImplementationSpecific" or not path.path:
                continue
            if regex_paths or re.search(r"[*?]", path.path.rstrip("*")) or path.path.count("*") > 1:
                raise member.fail(
                    where,
                    f"spec.rules[{i}].http.paths[{j}].path {path.path!r} does not say which part of the path "
                    f"to rewrite (a regex or a wildcard that is not one trailing '*'); use {a.TRANSFORMS} "
                    "with a url-rewrite for this path",
                )
    return target


def _check_condition_matchers(
    member: MemberInput, found: dict[str, list[Condition]], regex_paths: bool
) -> None:
    """The host-header (path-pattern) values of `conditions.<name>` join the rule's own host (path) in one ALB
    condition, which takes wildcard values or regexValues, never both: refuse a mix as aws-load-balancer-
    controller does. (A `*.example.com` rule host is lbctl's own regex and takes either.)"""
    for i, rule in enumerate(member.ingress.rules):
        for j, path in enumerate(rule.paths):
            service = path.backend.service.name if path.backend.service else None
            if service not in found:
                continue
            for kind in ("host-header", "path-pattern"):
                modes = {c.regex for c in found[service] if c.field == kind}
                if len(modes) > 1:
                    problem = "the annotation has both values and regexValues"
                elif kind == "host-header" and rule.host and not rule.host.startswith("*.") and True in modes:
                    problem = (
                        f"regexValues cannot join the host of spec.rules[{i}] ({rule.host}, a wildcard value); "
                        "use values, or leave the host out of the rule and match it here"
                    )
                elif kind == "path-pattern" and path.path and modes:
                    own = regex_paths and path.path_type == "ImplementationSpecific"
                    if own == (True in modes):
                        continue
                    problem = (
                        f"{'values' if own else 'regexValues'} cannot join the path of "
                        f"spec.rules[{i}].http.paths[{j}], which is "
                        + (
                            f"a regex ({a.USE_REGEX_PATH_MATCH}): use regexValues"
                            if own
                            else f"matched with wildcard values: use values, or {a.USE_REGEX_PATH_MATCH} with "
                            "an ImplementationSpecific path"
                        )
                    )
                else:
                    continue
                raise member.fail(
                    _family_field(a.CONDITIONS, service),
                    f"{kind}: {problem} (one ALB condition takes values or regexValues, never both)",
                )


def _conditions(raw: list[dict[str, Any]]) -> list[Condition]:
    out = []
    for item in raw:
        field_name = item["field"]
        if field_name in ("host-header", "path-pattern", "http-header"):
            cfg = item[
                {"host-header": "hostHeaderConfig", "path-pattern": "pathPatternConfig"}.get(
                    field_name, "httpHeaderConfig"
                )
            ]
            regex = "regexValues" in cfg
            values = list(cfg["regexValues" if regex else "values"])
            out.append(Condition(field_name, values, header_name=cfg.get("httpHeaderName"), regex=regex))
        elif field_name == "http-request-method":
            cfg = item["httpRequestMethodConfig"]
            out.append(Condition(field_name, list(cfg.get("values") or cfg.get("Values"))))
        elif field_name == "query-string":
            values = [
                {"key": v.get("key", ""), "value": v["value"]} for v in item["queryStringConfig"]["values"]
            ]
            out.append(Condition(field_name, [f"{v['key']}={v['value']}" for v in values], query=values))
        else:
            out.append(Condition(field_name, list(item["sourceIpConfig"]["values"])))
    return out


def _frontend(key: str, members: Sequence[Member]) -> tuple[Frontend, dict[str, Source]]:
    """Listeners merged across the group (one protocol per port), group-wide (Exclusive) settings agreed."""
    first = members[0].parsed
    fields = {attribute: group_source(members, name) for attribute, name in SPEC_ANNOTATIONS.items()}

    def agreed(name: str, situation: str | None = None) -> Any:
        return exclusive(members, name, key, situation)

    _jwt_validation(key, members)
    ip_type = agreed(a.IP_ADDRESS_TYPE)
    cidrs = agreed(a.INBOUND_CIDRS, a.DUALSTACK if ip_type != "ipv4" else None)
    security_groups = list(agreed(a.SECURITY_GROUPS) or [])
    prefix_lists, manage_rules = _security_group_sources(key, members, security_groups)
    if prefix_lists and not any(m.parsed.has(a.INBOUND_CIDRS) for m in members):
        cidrs = []  # as in the anchor: prefix lists alone replace the 0.0.0.0/0 default
    certificates: list[TLSCertificate] = []
    ports: dict[int, str] = {}
    for member in members:
        for protocol, port in member.listen_ports:
            if ports.get(port, protocol) != protocol:
                raise group_fail(
                    key,
                    annotation_field(a.LISTEN_PORTS),
                    f"port {port} is HTTP on one Ingress and HTTPS on another",
                )
            ports[port] = protocol
        for cert in member.certificates:
            if cert not in certificates:
                certificates.append(cert)
    ssl_redirect = agreed(a.SSL_REDIRECT)
    ssl_policy = agreed(a.SSL_POLICY)
    listeners = []
    for port, protocol in sorted(ports.items()):
        listener = Listener(protocol, port, inbound_cidrs=list(cidrs))
        if protocol == "HTTPS":
            if not certificates:
                raise group_fail(
                    key,
                    annotation_field(a.LISTEN_PORTS),
                    f"HTTPS listener {port} has no certificate: set {a.CERTIFICATE_ARN} or spec.tls",
                )
            listener.certificates = list(certificates)
            listener.ssl_policy = ssl_policy
        elif ssl_redirect is not None:
            listener.redirect_to_https_port = ssl_redirect
        listeners.append(listener)
    _listener_attributes(key, members, listeners)
    alb_params.listener_attributes(key, members, listeners)
    _mutual_authentication(key, agreed(a.MUTUAL_AUTHENTICATION), fields, listeners)
    if ssl_redirect is not None and ports.get(ssl_redirect) != "HTTPS":
        raise group_fail(
            key,
            annotation_field(a.SSL_REDIRECT),
            f"redirects to port {ssl_redirect}, which is not an HTTPS listen port",
        )
    if agreed(a.WAFV2_ACL_ARN) is not None and agreed(a.WAFV2_ACL_NAME) is not None:
        raise group_fail(
            key,
            annotation_field(a.WAFV2_ACL_NAME),
            f"set either {a.WAFV2_ACL_NAME} or {a.WAFV2_ACL_ARN}, not both (they name the same web ACL slot)",
        )
    capacity = agreed(a.MINIMUM_LB_CAPACITY)
    subnet_tags, subnet_tags_field = alb_params.class_setting(members, alb_params.SUBNET_TAGS, key)
    if subnet_tags_field is not None:
        if any(a.SUBNETS in m.parsed.values for m in members):
            raise group_fail(key, subnet_tags_field, f"conflicts with {a.SUBNETS} on a member; keep one")
        fields["frontend.subnets"] = Source(subnet_tags_field, "IngressClassParams")
    frontend = Frontend(
        subnet_tags=dict(subnet_tags or {}),
        scheme=agreed(a.SCHEME),
        ip_address_type=ip_type,
        listeners=listeners,
        subnets=list(agreed(a.SUBNETS) or []),
        security_groups=security_groups,
        inbound_cidrs=list(cidrs),
        prefix_lists=prefix_lists,
        manage_backend_rules=manage_rules,
        attributes=dict(agreed(a.LOAD_BALANCER_ATTRIBUTES) or {}),
        waf_acl_arn=agreed(a.WAFV2_ACL_ARN),
        waf_acl_name=agreed(a.WAFV2_ACL_NAME),
        waf_classic_acl_id=_waf_classic(members, key, fields),
        shield_protection=agreed(a.SHIELD_ADVANCED_PROTECTION),
        customer_owned_ipv4_pool=agreed(a.CUSTOMER_OWNED_IPV4_POOL),
        ipam_ipv4_pool_id=agreed(a.IPAM_IPV4_POOL_ID),
        capacity_units=None if capacity is None else int(capacity["CapacityUnits"]),
        name=first.get(a.LOAD_BALANCER_NAME) and agreed(a.LOAD_BALANCER_NAME),
        frontend_nlb=frontend_nlb(key, members, listeners),
    )
    return frontend, fields


def _waf_classic(members: Sequence[Member], key: str, fields: dict[str, Source]) -> str | None:
    """`waf-acl-id`, else its deprecated name `web-acl-id` (per Ingress, as the anchor reads them)."""
    seen: dict[str, str] = {}
    for member in members:
        for name in (a.WAF_ACL_ID, a.WEB_ACL_ID):
            if member.parsed.has(name):
                seen[member.ingress.ref.key] = str(member.parsed.get(name))
                if name == a.WEB_ACL_ID:
                    fields["frontend.waf_classic_acl_id"] = group_source(members, name)
                break
    if len(set(seen.values())) > 1:
        listing = "; ".join(f"{k}: {v!r}" for k, v in seen.items())
        raise group_fail(
            key,
            annotation_field(a.WAF_ACL_ID),
            f"conflicting values across the group ({listing}); set it on one Ingress or give every "
            "Ingress the same value",
        )
    return next(iter(seen.values()), None)


_LISTENER_SUFFIX = re.compile(r"(HTTPS?)-(\d{1,5})")


def _listener_attributes(key: str, members: Sequence[Member], listeners: list[Listener]) -> None:
    """`listener-attributes.${Protocol}-${Port}` of every member onto its listener (members merge; different
    values for one key are an error, as is a listener the group does not have)."""
    by_name = {f"{listener.protocol}-{listener.port}": listener for listener in listeners}
    seen: dict[tuple[str, str], str] = {}
    for member in members:
        for suffix, attributes in sorted(member.parsed.family(a.LISTENER_ATTRIBUTES).items()):
            where = annotation_field(a.LISTENER_ATTRIBUTES.replace("${Protocol}-${Port}", suffix))
            if not _LISTENER_SUFFIX.fullmatch(suffix):
                raise group_fail(
                    key,
                    where,
                    "expected listener-attributes.${Protocol}-${Port}, e.g. listener-attributes.HTTPS-443",
                )
            listener = by_name.get(suffix)
            if listener is None:
                raise group_fail(
                    key,
                    where,
                    f"the group has no listener {suffix} (its listeners: {', '.join(by_name) or 'none'})",
                )
            for name, value in attributes.items():
                other = seen.setdefault((suffix, name), value)
                if other != value:
                    raise group_fail(
                        key, where, f"conflicting values for {name} across the group: {other!r} and {value!r}"
                    )
                listener.attributes[name] = value
            listener.fields["attributes"] = Source(where, "Ingress" if len(members) == 1 else "IngressGroup")


def _mutual_authentication(
    key: str, entries: list[dict[str, Any]] | None, fields: dict[str, Source], listeners: list[Listener]
) -> None:
    """`mutual-authentication` onto the HTTPS listeners it names (a port that is not one is an error)."""
    if entries is None:
        return
    https = {listener.port: listener for listener in listeners if listener.protocol == "HTTPS"}
    where = annotation_field(a.MUTUAL_AUTHENTICATION)
    for entry in entries:
        listener = https.get(entry["port"])
        if listener is None:
            raise group_fail(
                key,
                where,
                f"port {entry['port']} is not an HTTPS listen port of the group "
                f"(HTTPS ports: {', '.join(map(str, sorted(https))) or 'none'})",
            )
        ignore = entry.get("ignoreClientCertificateExpiry")
        listener.mutual_authentication = MutualAuthentication(
            entry["mode"],
            entry.get("trustStore"),
            False if entry["mode"] == "verify" and ignore is None else ignore,
            entry.get("advertiseTrustStoreCaNames"),
        )
        listener.fields["mutual_authentication"] = fields["frontend.mutual_authentication"]


def _jwt_validation(key: str, members: Sequence[Member]) -> None:
    """`jwt-validation` of each member onto its rules' actions (and its default backend's); ALB validates
    tokens on HTTPS listeners only, and not together with authentication."""
    for member in members:
        raw = member.parsed.get(a.JWT_VALIDATION)
        if raw is None:
            continue
        where = annotation_field(a.JWT_VALIDATION)
        if not any(protocol == "HTTPS" for protocol, _ in member.listen_ports):
            raise group_fail(
                key,
                where,
                f"Ingress {member.ingress.ref.key}: JWT validation takes effect on HTTPS listeners only, and "
                "its listen-ports has none",
            )
        jwt = JwtValidation(raw["jwksEndpoint"], raw["issuer"], list(raw.get("additionalClaims", [])))
        actions = [rule.action for rule, _ in member.rules]
        if member.default_action is not None:
            actions.append(member.default_action)
        for action in actions:
            if action.authentication is not None:
                raise group_fail(
                    key,
                    where,
                    f"Ingress {member.ingress.ref.key}: authentication (auth-type) and JWT validation cannot "
                    "both be configured for one backend",
                )
            action.jwt_validation = jwt


def _security_group_sources(
    key: str, members: Sequence[Member], security_groups: list[str]
) -> tuple[list[str], bool]:
    """(prefix lists, whether the backend security group rules are managed). With the managed frontend
    security group the rules always are; with `security-groups` only when asked, and prefix lists (which
    only the managed frontend security group can carry) are refused rather than ignored."""
    prefix_lists = list(exclusive(members, a.SECURITY_GROUP_PREFIX_LISTS, key) or [])
    manage = exclusive(members, a.MANAGE_BACKEND_SG_RULES, key)
    explicit = any(m.parsed.has(a.MANAGE_BACKEND_SG_RULES) for m in members)
    if security_groups and prefix_lists:
        raise group_fail(
            key,
            annotation_field(a.SECURITY_GROUP_PREFIX_LISTS),
            f"applies to the managed frontend security group, which {a.SECURITY_GROUPS} replaces; add the "
            "prefix lists to your own security groups instead",
        )
    if not security_groups and explicit and not manage:
        raise group_fail(
            key,
            annotation_field(a.MANAGE_BACKEND_SG_RULES),
            f"'false' needs {a.SECURITY_GROUPS}: with the managed frontend security group lbctl always opens "
            "the node/pod security groups to the load balancer",
        )
    return prefix_lists, bool(manage) if security_groups else True


def _target_control_port(
    member: MemberInput, backend: Backend, service_parsed: ParsedAnnotations, service_ref: str
) -> None:
    """`target-control-port.<service>.<port>` (the port as the Ingress names it), the Service's over the
    Ingress's; only ip targets have a target control agent."""
    suffixes = {f"{backend.service}.{backend.port}", f"{backend.service}.{backend.port_name}"}
    found: list[tuple[int, Source]] = []
    for parsed, origin in ((service_parsed, f"Service {service_ref} "), (member.parsed, "")):
        for suffix, port in sorted(parsed.family(a.TARGET_CONTROL_PORT).items()):
            if suffix in suffixes:
                key = a.TARGET_CONTROL_PORT.replace("${serviceName}.${servicePort}", suffix)
                found.append(
                    (port, Source(origin + annotation_field(key), "Service" if origin else "Ingress"))
                )
        if found:
            break  # the Service's annotations win over the Ingress's
    if not found:
        return
    if len({port for port, _ in found}) > 1:
        raise member.fail(
            found[0][1].field, f"the port number and the port name of {backend.service} set different ports"
        )
    port, source = found[0]
    if backend.target_type != "ip":
        raise member.fail(
            source.field, "target control port is only supported for ip targets (target-type: ip)"
        )
    backend.target_control_port = port
    backend.fields["target_control_port"] = source


def _requested_certificate(member: MemberInput, pca: str | None) -> TLSCertificate:
    """`create-acm-cert`: one certificate for every host of the Ingress (rules, then spec.tls), the first as
    its domain name; `ref` is the private CA, if any."""
    ingress = member.ingress
    hosts: list[str] = []
    for host in [r.host for r in ingress.rules] + [h for t in ingress.tls for h in t.hosts]:
        if host and host not in hosts:
            hosts.append(host)
    if not hosts:
        raise member.fail(
            annotation_field(a.CREATE_ACM_CERT),
            "needs at least one host in spec.rules or spec.tls to request",
        )
    return TLSCertificate("request", pca or "", hosts, owner=ingress.ref.key)
