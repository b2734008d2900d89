"""Translate a Service's L4 spec into the Network Load Balancer it needs (pure): the NLB, one TCP/UDP
listener per Service port forwarding to that port's target group, and the targets of each."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lbctl.model.nlb import NlbHealthCheck, NlbSettings
from lbctl.model.services import ServiceSpec
from lbctl.model.targets import Target
from lbctl.provider import ProviderError

from .backend_sg import traffic_protocols
from .naming import (
    ROLE_LISTENER,
    ROLE_LOAD_BALANCER,
    ROLE_SECURITY_GROUP,
    ROLE_TARGET_GROUP,
    ownership_tags,
    security_group_name,
    short_hash,
    target_group_name,
)
from .translate import DesiredBackendAccess, DesiredSecurityGroup, TargetGroupHealthCheck, backend_access

# NLB attribute defaults, restored when an annotation no longer sets one (ELB API: LoadBalancerAttribute).
NLB_DEFAULTS: dict[str, str] = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "deletion_protection.enabled": "false",
    "load_balancing.cross_zone.enabled": "false",
    "dns_record.client_routing_policy": "any_availability_zone",
    "zonal_shift.config.enabled": "false",
}
NLB_TG_DEFAULTS: dict[str, str] = {
    "deregistration_delay.timeout_seconds": "300",
    "deregistration_delay.connection_termination.enabled": "false",
    "preserve_client_ip.enabled": "true",
    "proxy_protocol_v2.enabled": "false",
    "stickiness.enabled": "false",
    "stickiness.type": "source_ip",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_health_state.unhealthy.connection_termination.enabled": "true",
}


# quic-enabled-ports: the protocol a UDP or TCP_UDP listener and its target group become.
QUIC_UPGRADE = {"UDP": "QUIC", "TCP_UDP": "TCP_QUIC"}


@dataclass(frozen=True)
class DesiredNlbTargetGroup:
    key: str  # the Service port's key ("TCP-3100")
    name: str
    protocol: str  # TCP | UDP | TCP_UDP | TLS | QUIC | TCP_QUIC
    port: int
    target_type: str
    health_check: TargetGroupHealthCheck
    attributes: dict[str, str]
    tags: dict[str, str]
    targets: frozenset[tuple[str, int]] = frozenset()
    known: frozenset[str] | None = None  # shared with other clusters: only these may be deregistered


@dataclass(frozen=True)
class DesiredNlbListener:
    port: int
    protocol: str  # TCP | UDP | TCP_UDP | TLS | QUIC | TCP_QUIC
    target_group: str  # key of its target group
    tags: dict[str, str] = field(default_factory=dict)
    certificate: str | None = None  # TLS only: the default certificate
    ssl_policy: str | None = None
    alpn_policy: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    sni_certificates: tuple[str, ...] = ()  # TLS only: the listener's certificate list besides the default


@dataclass
class DesiredNlb:
    stack: str
    name: str
    scheme: str
    ip_address_type: str
    subnets: tuple[str, ...]  # subnet IDs or Name tags from the annotation; () = discover by role tags
    tags: dict[str, str]
    attributes: dict[str, str]
    listeners: list[DesiredNlbListener]
    target_groups: dict[str, DesiredNlbTargetGroup]
    # per-subnet addresses (field of the mapping → one value per subnet), e.g. {"AllocationId": (...)}
    addresses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source_nat: bool = False  # EnablePrefixForIpv6SourceNat
    capacity_units: int | None = None  # the capacity reservation (None: not managed; 0: reset)
    # SecurityGroups given as they are (IDs, or Refs of a plan's step: the frontend NLB of an ALB); None: from
    # the fields below
    security_groups: tuple[Any, ...] | None = None
    # Else the security groups: the managed frontend one, or those the Service names (IDs or Name tags); none at all
    # with `security_groups_off`. `backend`: the shared backend group on the NLB and the node/pod SG rules.
    security_group: DesiredSecurityGroup | None = None
    security_group_refs: tuple[str, ...] = ()
    security_groups_off: bool = False
    backend: DesiredBackendAccess | None = None
    target_instances: dict[str, str] = field(default_factory=dict)  # pod IP → its node's instance ID

    @property
    def targets(self) -> dict[str, set[tuple[str, int]]]:
        """Target group key → the targets wanted (what the node/pod security groups open)."""
        return {key: set(group.targets) for key, group in self.target_groups.items()}

    def subnet_mappings(self, subnets: list[str]) -> list[dict[str, str]] | None:
        """SubnetMappings for CreateLoadBalancer when addresses are asked for (None: plain Subnets)."""
        if not self.addresses:
            return None
        return [
            {"SubnetId": subnet, **{key: values[i] for key, values in self.addresses.items()}}
            for i, subnet in enumerate(subnets)
        ]


def service_error(service: ServiceSpec, attribute: str, message: str) -> ProviderError:
    """A user-fixable problem with the Service, naming the field its `attribute` came from."""
    return ProviderError(
        message, user_fixable=True, field=service.field_of(attribute), subject=service.subject
    )


def nlb_name(cluster: str, spec: ServiceSpec, scheme: str, settings: NlbSettings) -> str:
    """`k8s-<ns>-<name>-<hash>` (≤ 32 characters), as aws-load-balancer-controller names it, unless the
    Service names its NLB."""
    if settings.name:
        return settings.name
    clean = ["".join(ch for ch in part if ch.isalnum())[:8] for part in (spec.namespace, spec.name)]
    identity = settings.uid or spec.key
    fixed = (
        settings.eip_allocations,
        settings.private_ipv4,
        settings.ipv6,
    )  # AWS cannot change them in place
    extra = (repr(fixed),) if any(fixed) else ()
    return "-".join(p for p in ("k8s", *clean, short_hash(cluster, identity, scheme, *extra)) if p)


def translate_nlb(
    spec: ServiceSpec,
    cluster: str,
    targets: dict[str, list[Target]],
    known: set[str] | None = None,
    backend_sg: bool = True,
) -> DesiredNlb:
    settings = spec.cloud
    if not isinstance(settings, NlbSettings):
        raise ProviderError(f"{spec.subject}: no NLB settings in the spec (built for another cloud)")
    scheme = "internal" if spec.internal else "internet-facing"
    user_tags = dict(settings.tags)
    groups: dict[str, DesiredNlbTargetGroup] = {}
    listeners: list[DesiredNlbListener] = []
    seen: dict[int, str] = {}
    both = {p.port for p in spec.ports if p.protocol == "TCP"} & {
        p.port for p in spec.ports if p.protocol == "UDP"
    }
    merged = both if settings.tcp_udp else set()
    for port in spec.ports:
        original = port.key  # the targets are the Service port's
        if port.port in merged:
            if port.protocol == "UDP":
                continue  # served by the TCP port's TCP_UDP listener
            port = replace(port, protocol="TCP_UDP")
        if port.protocol not in ("TCP", "UDP", "TCP_UDP"):
            raise service_error(
                spec, "ports", f"port {port.port}: an NLB serves TCP and UDP, not {port.protocol}"
            )
        if port.port in seen:
            raise service_error(
                spec,
                "ports",
                f"port {port.port} is served as {seen[port.port]} and {port.protocol}; one NLB listener per port "
                "(set enable-tcp-udp-listener for one TCP_UDP listener)",
            )
        seen[port.port] = port.protocol
        wanted = targets.get(original, [])
        target_port = _target_port(spec, port.node_port, port.target_port, wanted)
        tls = settings.tls_on(port.port, port.name, port.protocol)
        listener_protocol = "TLS" if tls else port.protocol
        tg_protocol = "TLS" if tls and settings.backend_tls else port.protocol
        if port.port in settings.quic_ports:  # the model allows it on UDP and TCP_UDP ports only
            listener_protocol = tg_protocol = QUIC_UPGRADE[port.protocol]
        attributes = dict(settings.target_group_attributes)
        if settings.proxy_ports is not None:
            attributes["proxy_protocol_v2.enabled"] = "true" if port.port in settings.proxy_ports else "false"
        groups[port.key] = DesiredNlbTargetGroup(
            key=port.key,
            name=target_group_name(
                cluster,
                spec.stack,
                port.key,
                spec.namespace,
                spec.name,
                (tg_protocol, target_port, spec.target_type),
            ),
            protocol=tg_protocol,
            port=target_port,
            target_type=spec.target_type,
            health_check=_health_check(settings),
            attributes=attributes,
            tags={**user_tags, **ownership_tags(cluster, spec.stack, ROLE_TARGET_GROUP + port.key)},
            targets=frozenset((t.id, t.port) for t in wanted),
            known=frozenset(known or ()) | {t.id for t in wanted} if settings.multi_cluster else None,
        )
        listeners.append(
            DesiredNlbListener(
                port.port,
                listener_protocol,
                port.key,
                ownership_tags(cluster, spec.stack, ROLE_LISTENER + str(port.port)),
                settings.certificate if tls else None,
                settings.ssl_policy if tls else None,
                settings.alpn_policy if tls else None,
                dict(settings.listener_attributes.get(f"{listener_protocol}-{port.port}", {})),
                settings.sni_certificates if tls else (),
            )
        )
    security_group = None
    if not settings.security_groups and not settings.security_groups_off:
        security_group = _frontend_group(spec, cluster, settings, user_tags)
    backend = None
    if settings.manage_backend_rules and not settings.security_groups_off:
        if not backend_sg:
            raise service_error(
                spec,
                "manage_backend_rules",
                "needs the shared backend security group, which this controller runs without "
                "(--aws-enable-backend-security-group=false)",
            )
        backend = backend_access(
            cluster,
            {key: g.health_check for key, g in groups.items()},
            protocols={key: traffic_protocols(g.protocol) for key, g in groups.items()},
        )
    instances = {t.id: t.instance for wanted in targets.values() for t in wanted if t.instance}
    return DesiredNlb(
        stack=spec.stack,
        name=nlb_name(cluster, spec, scheme, settings),
        scheme=scheme,
        ip_address_type=settings.ip_address_type,
        subnets=settings.subnets,
        tags={**user_tags, **ownership_tags(cluster, spec.stack, ROLE_LOAD_BALANCER)},
        attributes=dict(settings.attributes),
        listeners=listeners,
        target_groups=groups,
        addresses={
            key: values
            for key, values in (
                ("AllocationId", settings.eip_allocations),
                ("PrivateIPv4Address", settings.private_ipv4),
                ("IPv6Address", settings.ipv6),
                ("SourceNatIpv6Prefix", settings.source_nat_prefixes),
            )
            if values
        },
        source_nat=settings.source_nat,
        capacity_units=settings.capacity_units,
        security_group=security_group,
        security_group_refs=settings.security_groups,
        security_groups_off=settings.security_groups_off,
        backend=backend,
        target_instances=instances if spec.target_type == "ip" else {},
    )


def _frontend_group(
    spec: ServiceSpec, cluster: str, settings: NlbSettings, user_tags: dict[str, str]
) -> DesiredSecurityGroup:
    """The managed frontend security group: each listener port, on its protocol(s), from every source range
    (default 0.0.0.0/0, and ::/0 when dualstack; none when only prefix lists are given) and prefix list."""
    ranges = list(spec.source_ranges)
    if not ranges and not settings.prefix_lists:
        ranges = ["0.0.0.0/0", *(["::/0"] if settings.ip_address_type == "dualstack" else [])]
    sources = [*ranges, *settings.prefix_lists]
    by_protocol: dict[str, set[tuple[int, str]]] = {"TCP": set(), "UDP": set()}
    for port in spec.ports:
        by_protocol[port.protocol].update((port.port, source) for source in sources)
    return DesiredSecurityGroup(
        security_group_name(cluster, spec.stack),
        f"[lbctl] frontend of load balancer for {spec.stack}",
        sorted(by_protocol["TCP"]),
        {**user_tags, **ownership_tags(cluster, spec.stack, ROLE_SECURITY_GROUP)},
        sorted(by_protocol["UDP"]),
    )


def _target_port(
    spec: ServiceSpec, node_port: int | None, target_port: int | str | None, wanted: list[Target]
) -> int:
    """The target group's port: the NodePort (instance), the pods' port (ip; a named targetPort: the port
    the endpoints publish)."""
    if spec.target_type == "instance" and node_port is not None:
        return node_port
    if isinstance(target_port, int):
        return target_port
    return wanted[0].port if wanted else 1


def _health_check(settings: NlbSettings) -> TargetGroupHealthCheck:
    return health_check_body(settings.health_check)


def health_check_body(check: NlbHealthCheck) -> TargetGroupHealthCheck:
    """A target group's health-check fields (CreateTargetGroup / ModifyTargetGroup)."""
    body: TargetGroupHealthCheck = {
        "HealthCheckEnabled": True,
        "HealthCheckProtocol": check.protocol,
        "HealthCheckPort": str(check.port),
        "HealthCheckIntervalSeconds": check.interval,
        "HealthCheckTimeoutSeconds": check.timeout,
        "HealthyThresholdCount": check.healthy,
        "UnhealthyThresholdCount": check.unhealthy,
        "HealthCheckPath": check.path,  # None: not sent (TCP)
        "Matcher": {"HttpCode": check.success_codes} if check.success_codes is not None else {},
    }
    return body
