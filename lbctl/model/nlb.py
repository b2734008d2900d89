"""AWS Network Load Balancer semantics of a Service (aws-load-balancer-controller's Service annotations):
which Services are ours, and the NLB settings their annotations resolve to, with LBC's defaults and
precedence (the scheme annotation over the legacy `internal`; the deprecated attribute annotations over
`attributes`; other health-check defaults for externalTrafficPolicy Local with instance targets)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.l4_profile import L4Resolved
from lbctl.model.objects import Service
from lbctl.model.problems import Problem, Severity
from lbctl.model.registry import ParsedAnnotations, annotation_field

# spec.loadBalancerClass values lbctl serves on AWS: LBC's (a drop-in) and its own.
LBC_CLASS = "service.k8s.aws/nlb"
LBCTL_CLASS = "lbctl.io/nlb"
CLASSES = (LBC_CLASS, LBCTL_CLASS)
# Health-check defaults for externalTrafficPolicy Local with instance targets (kube-proxy's health port).
LOCAL_HEALTH_CHECK = {"protocol": "HTTP", "path": "/healthz", "timeout": 6, "healthy": 2, "unhealthy": 2}


@dataclass(frozen=True)
class NlbHealthCheck:
    protocol: str  # TCP | HTTP | HTTPS
    port: int | str  # "traffic-port" or a number
    path: str | None  # HTTP(S) only
    interval: int
    timeout: int
    healthy: int
    unhealthy: int
    success_codes: str | None  # HTTP(S) only


@dataclass(frozen=True)
class NlbSettings:
    """What the NLB profile resolved; the provider reads these and nothing else of the annotations."""

    name: str | None
    ip_address_type: str
    health_check: NlbHealthCheck
    subnets: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    target_group_attributes: dict[str, str] = field(default_factory=dict)
    uid: str = ""
    certificate: str | None = None  # TLS listeners' certificate (None: no TLS)
    tls_ports: frozenset[str] = frozenset()  # names or numbers; empty: every TCP port
    ssl_policy: str = "ELBSecurityPolicy-2016-08"
    alpn_policy: str | None = None
    backend_tls: bool = False
    proxy_ports: frozenset[int] | None = None  # proxy protocol on these ports' target groups, off on others
    listener_attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # "TCP-80" → attributes
    tcp_udp: bool = False  # a port on both TCP and UDP: one TCP_UDP listener
    multi_cluster: bool = False  # shared target groups: deregister only what this cluster knows
    eip_allocations: tuple[str, ...] = ()  # one per subnet, in the subnets' order
    private_ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    source_nat: bool = False
    source_nat_prefixes: tuple[str, ...] = ()
    sni_certificates: tuple[str, ...] = ()  # ssl-cert after the first: the TLS listeners' certificate list
    capacity_units: int | None = None  # None: the reservation is not managed; 0 resets it
    quic_ports: frozenset[int] = frozenset()  # Service port numbers whose UDP (TCP_UDP) listener is QUIC
    security_groups: tuple[str, ...] = ()  # the NLB's own (IDs or Name tags); () = the managed frontend SG
    security_groups_off: bool = False  # disable-nlb-sg: no security group on the NLB at all
    manage_backend_rules: bool = True  # the shared backend SG on the NLB and the node/pod SG rules from it
    prefix_lists: tuple[str, ...] = ()  # allowed in by the managed frontend SG, beside the source ranges

    def tls_on(self, port: int, name: str | None, protocol: str) -> bool:
        """Whether the listener of this Service port is TLS (LBC: a certificate, TCP, and in ssl-ports)."""
        return tls_on(self.certificate, self.tls_ports, port, name, protocol)


def tls_on(
    certificate: str | None, tls_ports: frozenset[str], port: int, name: str | None, protocol: str
) -> bool:
    """LBC's rule: a certificate, a TCP port, and (when ssl-ports is set) named there by number or name."""
    if certificate is None or protocol != "TCP":
        return False
    return not tls_ports or str(port) in tls_ports or (name is not None and name in tls_ports)


class NlbProfile:
    name = "aws"
    own_keys: frozenset[str] = frozenset()

    def exposes_negs(self, service: Service) -> bool:
        return False  # NEGs are Google Cloud's

    def standalone_negs(self, service: Service) -> tuple[tuple[Any, ...], list[Problem]]:
        return (), []

    def claims(self, service: Service, claim_unclassed: bool) -> bool:
        """LBC's rule: by class when one is set, else by `type` external (with a target type) or nlb-ip;
        other unclassed Services only with the flag (they are the in-tree cloud provider's otherwise)."""
        if service.load_balancer_class is not None:
            return service.load_balancer_class in CLASSES
        kind = service.annotations.get(a.SVC_TYPE)
        if kind == "nlb-ip":
            return True
        if kind == "external" and service.annotations.get(a.SVC_TARGET_TYPE) in ("ip", "instance"):
            return True
        return claim_unclassed

    def resolve(self, service: Service, parsed: ParsedAnnotations) -> L4Resolved:
        out = L4Resolved()
        if parsed.has(a.SVC_TARGET_TYPE):
            out.values["target_type"] = parsed.get(a.SVC_TARGET_TYPE)
            out.fields["target_type"] = parsed.field_of(a.SVC_TARGET_TYPE)
        elif parsed.get(a.SVC_TYPE) == "nlb-ip":
            out.values["target_type"] = "ip"
            out.fields["target_type"] = parsed.field_of(a.SVC_TYPE)
        else:
            out.values["target_type"] = parsed.get(a.SVC_TARGET_TYPE)
        if parsed.has(a.SVC_SCHEME):
            out.values["internal"] = parsed.get(a.SVC_SCHEME) == "internal"
            out.fields["internal"] = parsed.field_of(a.SVC_SCHEME)
        elif parsed.has(a.SVC_INTERNAL):
            out.values["internal"] = bool(parsed.get(a.SVC_INTERNAL))
            out.fields["internal"] = parsed.field_of(a.SVC_INTERNAL)
        else:
            out.values["internal"] = parsed.get(a.SVC_SCHEME) == "internal"
        out.values["node_selector"] = parsed.get(a.SVC_TARGET_NODE_LABELS)
        out.fields["node_selector"] = parsed.field_of(a.SVC_TARGET_NODE_LABELS)
        subject = f"Service {service.namespace}/{service.name}"
        access = _access(service, parsed, out.problems, subject)
        out.values["source_ranges"], out.fields["source_ranges"] = access.pop("source_ranges")
        health, where = _health_check(service, parsed, out.values["target_type"], out.problems, subject)
        out.fields.update(where)
        attributes = dict(_legacy_attributes(parsed, out.problems, subject))
        for key, value in parsed.get(a.SVC_ATTRIBUTES).items():
            attributes.setdefault(key, value)
        tls = _tls(service, parsed, out.problems, subject)
        quic = _quic_ports(service, parsed, out.problems, subject)
        out.cloud = NlbSettings(
            name=parsed.get(a.SVC_NAME),
            ip_address_type=parsed.get(a.SVC_IP_ADDRESS_TYPE),
            health_check=health,
            subnets=tuple(parsed.get(a.SVC_SUBNETS) or ()),
            tags=dict(parsed.get(a.SVC_TAGS) or {}),
            attributes=attributes,
            target_group_attributes=_target_group_attributes(parsed),
            uid=service.uid,
            **tls,
            listener_attributes=_listener_attributes(service, parsed, tls, quic, out.problems, subject),
            proxy_ports=_proxy_ports(parsed, out.problems, subject),
            tcp_udp=bool(parsed.get(a.SVC_TCP_UDP)),
            multi_cluster=bool(parsed.get(a.SVC_MULTI_CLUSTER)),
            capacity_units=_capacity(parsed),
            **access,
            quic_ports=quic,
            **_addresses(parsed, bool(out.values["internal"]), out.problems, subject),
        )
        for attribute, name in (
            ("certificate", a.SVC_SSL_CERT),
            ("sni_certificates", a.SVC_SSL_CERT),
            ("capacity_units", a.SVC_MIN_CAPACITY),
            ("quic_ports", a.SVC_QUIC_PORTS),
            ("security_groups", a.SVC_SECURITY_GROUPS),
            ("security_groups_off", a.SVC_DISABLE_SG),
            ("manage_backend_rules", a.SVC_MANAGE_BACKEND_RULES),
            ("prefix_lists", a.SVC_PREFIX_LISTS),
            ("tcp_udp", a.SVC_TCP_UDP),
            ("eip_allocations", a.SVC_EIPS),
            ("private_ipv4", a.SVC_PRIVATE_IPV4),
            ("ipv6", a.SVC_IPV6),
            ("source_nat_prefixes", a.SVC_SOURCE_NAT_PREFIXES),
            ("tls_ports", a.SVC_SSL_PORTS),
            ("ssl_policy", a.SVC_SSL_POLICY),
            ("alpn_policy", a.SVC_ALPN_POLICY),
            ("name", a.SVC_NAME),
            ("ip_address_type", a.SVC_IP_ADDRESS_TYPE),
            ("subnets", a.SVC_SUBNETS),
            ("tags", a.SVC_TAGS),
            ("attributes", a.SVC_ATTRIBUTES),
            ("target_group_attributes", a.SVC_TG_ATTRIBUTES),
        ):
            out.fields[attribute] = parsed.field_of(name)
        return out


def _tls(
    service: Service, parsed: ParsedAnnotations, problems: list[Problem], subject: str
) -> dict[str, Any]:
    """The TLS listener settings, checked as LBC checks them (every ssl-ports entry names a Service port)."""
    certificates = list(dict.fromkeys(parsed.get(a.SVC_SSL_CERT) or []))
    ports = frozenset(parsed.get(a.SVC_SSL_PORTS) or [])
    known = {str(p.port) for p in service.ports} | {p.name for p in service.ports if p.name}
    unused = sorted(ports - known)
    if unused:
        problems.append(
            Problem(
                Severity.ERROR,
                subject,
                parsed.field_of(a.SVC_SSL_PORTS),
                f"names no port of the Service: {', '.join(unused)}",
                service.source,
            )
        )
    return {
        "certificate": certificates[0] if certificates else None,
        "sni_certificates": tuple(certificates[1:]),
        "tls_ports": ports,
        "ssl_policy": parsed.get(a.SVC_SSL_POLICY),
        "alpn_policy": parsed.get(a.SVC_ALPN_POLICY),
        "backend_tls": parsed.get(a.SVC_BACKEND_PROTOCOL) == "ssl",
    }


def _listener_attributes(
    service: Service,
    parsed: ParsedAnnotations,
    tls: dict[str, Any],
    quic: frozenset[int],
    problems: list[Problem],
    subject: str,
) -> dict[str, dict[str, str]]:
    """listener-attributes.${Protocol}-${Port}: each must name a listener the Service gets."""
    found = parsed.family(a.SVC_LISTENER_ATTRIBUTES)
    if not found:
        return {}
    listeners = set()
    merged = _merged_ports(service) if parsed.get(a.SVC_TCP_UDP) else set()
    for port in service.ports:
        protocol = port.protocol.upper()
        if port.port in merged:
            protocol = "TCP_UDP"
        secure = tls_on(tls["certificate"], tls["tls_ports"], port.port, port.name, protocol)
        if port.port in quic:
            protocol = "TCP_QUIC" if protocol == "TCP_UDP" else "QUIC"
        listeners.add(f"{'TLS' if secure else protocol}-{port.port}")
    for suffix in sorted(set(found) - listeners):
        problems.append(
            Problem(
                Severity.ERROR,
                subject,
                annotation_field(a.SVC_LISTENER_ATTRIBUTES.replace("${Protocol}-${Port}", suffix)),
                f"names no listener of the Service (its listeners: {', '.join(sorted(listeners))})",
                service.source,
            )
        )
    return {k: v for k, v in found.items() if k in listeners}


def _access(
    service: Service, parsed: ParsedAnnotations, problems: list[Problem], subject: str
) -> dict[str, Any]:
    """Who may reach the NLB and its targets, as LBC reads it: the source ranges (spec.loadBalancerSourceRanges,
    else the annotation; empty: the managed security group's default), prefix lists, the NLB's own security
    groups, disable-nlb-sg, and whether the backend rules are managed (by default, unless security groups
    are named). What LBC would ignore in a combination, lbctl refuses."""

    def error(where: str, message: str) -> None:
        problems.append(Problem(Severity.ERROR, subject, where, message, service.source))

    if service.source_ranges:
        ranges, where = tuple(service.source_ranges), "spec.loadBalancerSourceRanges"
        for cidr in ranges:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                error(where, f"{cidr!r} is not a CIDR like 10.0.0.0/16 or ::/0")
    else:
        ranges, where = tuple(parsed.get(a.SVC_SOURCE_RANGES) or ()), parsed.field_of(a.SVC_SOURCE_RANGES)
    if parsed.get(a.SVC_IP_ADDRESS_TYPE) != "dualstack":
        v6 = [c for c in ranges if ":" in c]
        if v6:
            error(where, f"IPv6 ranges ({', '.join(v6)}) need ip-address-type dualstack")
    groups = tuple(parsed.get(a.SVC_SECURITY_GROUPS) or ())
    prefix_lists = tuple(parsed.get(a.SVC_PREFIX_LISTS) or ())
    off = bool(parsed.get(a.SVC_DISABLE_SG))
    manage = parsed.get(a.SVC_MANAGE_BACKEND_RULES)
    if manage is None:
        manage = not groups
    narrowing = [(where, bool(ranges)), (parsed.field_of(a.SVC_PREFIX_LISTS), bool(prefix_lists))]
    if groups or off:
        reason = (
            f"has no effect with {a.SVC_SECURITY_GROUPS} (those groups decide who reaches the NLB); remove one"
            if groups
            else f"has no effect on an NLB without security groups ({a.SVC_DISABLE_SG}); remove one"
        )
        for field_name, present in narrowing:
            if present:
                error(field_name, reason)
    if off and groups:
        error(parsed.field_of(a.SVC_DISABLE_SG), f"conflicts with {a.SVC_SECURITY_GROUPS}; remove one")
    if off and manage:
        error(
            parsed.field_of(a.SVC_DISABLE_SG),
            "an NLB without security groups needs node security group rules from CIDRs, which lbctl does not "
            f'manage: also set {a.SVC_MANAGE_BACKEND_RULES}: "false" and open the node security groups '
            "yourself, or remove disable-nlb-sg",
        )
    return {
        "source_ranges": (ranges, where),
        "security_groups": groups,
        "security_groups_off": off,
        "manage_backend_rules": bool(manage),
        "prefix_lists": prefix_lists,
    }


def _merged_ports(service: Service) -> set[int]:
    """Port numbers on both TCP and UDP (one TCP_UDP listener with enable-tcp-udp-listener)."""
    udp = {p.port for p in service.ports if p.protocol.upper() == "UDP"}
    return udp & {p.port for p in service.ports if p.protocol.upper() == "TCP"}


def _capacity(parsed: ParsedAnnotations) -> int | None:
    """minimum-load-balancer-capacity's CapacityUnits (checked by the registry), None when absent."""
    value = parsed.get(a.SVC_MIN_CAPACITY)
    return None if value is None else int(value["CapacityUnits"])


def _quic_ports(
    service: Service, parsed: ParsedAnnotations, problems: list[Problem], subject: str
) -> frozenset[int]:
    """The port numbers quic-enabled-ports upgrades: each entry names a Service port (number or name) whose
    listener is UDP, or TCP_UDP with enable-tcp-udp-listener (LBC refuses the upgrade of any other)."""
    wanted = set(parsed.get(a.SVC_QUIC_PORTS) or [])
    if not wanted:
        return frozenset()
    udp = {p.port for p in service.ports if p.protocol.upper() == "UDP"}
    tcp = {p.port for p in service.ports if p.protocol.upper() == "TCP"}
    merged = _merged_ports(service) if parsed.get(a.SVC_TCP_UDP) else set()
    out: set[int] = set()
    matched: set[str] = set()
    for port in service.ports:
        names = {str(port.port)} | ({port.name} if port.name else set())
        if not names & wanted:
            continue
        matched |= names & wanted
        if port.port in udp and (port.port not in tcp or port.port in merged):
            out.add(port.port)
            continue
        listener = "TCP_UDP" if port.port in merged else port.protocol.upper()
        problems.append(
            Problem(
                Severity.ERROR,
                subject,
                parsed.field_of(a.SVC_QUIC_PORTS),
                f"port {port.port} is served as {listener}: only a UDP (or TCP_UDP) listener can become "
                "QUIC; remove it from the list",
                service.source,
            )
        )
    unused = sorted(wanted - matched)
    if unused:
        problems.append(
            Problem(
                Severity.ERROR,
                subject,
                parsed.field_of(a.SVC_QUIC_PORTS),
                f"names no port of the Service: {', '.join(unused)}",
                service.source,
            )
        )
    return frozenset(out)


def _addresses(
    parsed: ParsedAnnotations, internal: bool, problems: list[Problem], subject: str
) -> dict[str, Any]:
    """The NLB's per-subnet addresses, each only where LBC allows it (the count is checked against the
    subnets by the provider, which finds them)."""
    rules = (
        (a.SVC_EIPS, not internal, "only an internet-facing NLB takes Elastic IPs"),
        (a.SVC_PRIVATE_IPV4, internal, "only an internal NLB takes private IPv4 addresses"),
        (
            a.SVC_IPV6,
            parsed.get(a.SVC_IP_ADDRESS_TYPE) == "dualstack",
            "only a dualstack NLB takes IPv6 addresses",
        ),
    )
    for name, allowed, why in rules:
        if parsed.has(name) and not allowed:
            problems.append(Problem(Severity.ERROR, subject, parsed.field_of(name), why))
    return {
        "eip_allocations": tuple(parsed.get(a.SVC_EIPS) or ()),
        "private_ipv4": tuple(parsed.get(a.SVC_PRIVATE_IPV4) or ()),
        "ipv6": tuple(parsed.get(a.SVC_IPV6) or ()),
        "source_nat": parsed.get(a.SVC_SOURCE_NAT) == "on",
        "source_nat_prefixes": tuple(parsed.get(a.SVC_SOURCE_NAT_PREFIXES) or ()),
    }


def _proxy_ports(parsed: ParsedAnnotations, problems: list[Problem], subject: str) -> frozenset[int] | None:
    """The ports of proxy-protocol-per-target-group (None: not set, or proxy-protocol `*` wins)."""
    if not parsed.has(a.SVC_PROXY_PROTOCOL_PORTS) or parsed.get(a.SVC_PROXY_PROTOCOL) == "*":
        return None
    out: set[int] = set()
    for item in parsed.get(a.SVC_PROXY_PROTOCOL_PORTS):
        if not (item.isascii() and item.isdigit()):
            problems.append(
                Problem(
                    Severity.ERROR,
                    subject,
                    parsed.field_of(a.SVC_PROXY_PROTOCOL_PORTS),
                    f"{item!r} is not a port number; expected comma-separated port numbers, e.g. '80, 443'",
                )
            )
            continue
        out.add(int(item))
    return frozenset(out)


def _legacy_attributes(parsed: ParsedAnnotations, problems: list[Problem], subject: str) -> dict[str, str]:
    """The deprecated attribute annotations, as LBC turns them into attributes."""
    out: dict[str, str] = {}
    if not parsed.get(a.SVC_ACCESS_LOG_ENABLED):
        for name in (a.SVC_ACCESS_LOG_BUCKET, a.SVC_ACCESS_LOG_PREFIX):
            if parsed.has(name):
                problems.append(
                    Problem(
                        Severity.WARNING,
                        subject,
                        parsed.field_of(name),
                        f"only takes effect with {a.SVC_ACCESS_LOG_ENABLED} true; ignored",
                    )
                )
    if parsed.get(a.SVC_ACCESS_LOG_ENABLED):
        out["access_logs.s3.enabled"] = "true"
        if parsed.has(a.SVC_ACCESS_LOG_BUCKET):
            out["access_logs.s3.bucket"] = parsed.get(a.SVC_ACCESS_LOG_BUCKET)
        if parsed.has(a.SVC_ACCESS_LOG_PREFIX):
            out["access_logs.s3.prefix"] = parsed.get(a.SVC_ACCESS_LOG_PREFIX)
    if parsed.has(a.SVC_CROSS_ZONE):
        out["load_balancing.cross_zone.enabled"] = "true" if parsed.get(a.SVC_CROSS_ZONE) else "false"
    return out


def _target_group_attributes(parsed: ParsedAnnotations) -> dict[str, str]:
    attributes = dict(parsed.get(a.SVC_TG_ATTRIBUTES) or {})
    if parsed.get(a.SVC_PROXY_PROTOCOL) == "*":
        attributes["proxy_protocol_v2.enabled"] = "true"
    return attributes


def _health_check(
    service: Service, parsed: ParsedAnnotations, target_type: str, problems: list[Problem], subject: str
) -> tuple[NlbHealthCheck, dict[str, str]]:
    local = service.external_traffic_policy == "Local" and target_type == "instance"
    fields: dict[str, str] = {}

    def take(name: str, attribute: str, local_default: object = None) -> object:
        if parsed.has(name):
            fields[f"health_check.{attribute}"] = parsed.field_of(name)
            return parsed.get(name)
        if local and local_default is not None:
            return local_default
        return parsed.get(name)

    protocol = str(take(a.SVC_HC_PROTOCOL, "protocol", LOCAL_HEALTH_CHECK["protocol"])).upper()
    port: int | str = "traffic-port"
    if parsed.has(a.SVC_HC_PORT):
        fields["health_check.port"] = parsed.field_of(a.SVC_HC_PORT)
        raw = parsed.get(a.SVC_HC_PORT)
        port = _named_port(service, raw, target_type, problems, subject) if isinstance(raw, str) else raw
    elif local and service.health_check_node_port:
        port = service.health_check_node_port
        fields["health_check.port"] = "spec.healthCheckNodePort"
    http = protocol in ("HTTP", "HTTPS")
    for name in (a.SVC_HC_PATH, a.SVC_HC_SUCCESS_CODES):
        if parsed.has(name) and not http:
            problems.append(
                Problem(
                    Severity.WARNING,
                    subject,
                    parsed.field_of(name),
                    f"only takes effect with an HTTP or HTTPS health check (the protocol is {protocol}); ignored",
                    service.source,
                )
            )
    check = NlbHealthCheck(
        protocol=protocol,
        port=port,
        path=str(take(a.SVC_HC_PATH, "path", LOCAL_HEALTH_CHECK["path"])) if http else None,
        interval=int(str(take(a.SVC_HC_INTERVAL, "interval"))),
        timeout=int(str(take(a.SVC_HC_TIMEOUT, "timeout", LOCAL_HEALTH_CHECK["timeout"]))),
        healthy=int(str(take(a.SVC_HC_HEALTHY, "healthy", LOCAL_HEALTH_CHECK["healthy"]))),
        unhealthy=int(str(take(a.SVC_HC_UNHEALTHY, "unhealthy", LOCAL_HEALTH_CHECK["unhealthy"]))),
        success_codes=str(take(a.SVC_HC_SUCCESS_CODES, "success_codes")) if http else None,
    )
    return check, fields


def _named_port(
    service: Service, raw: str, target_type: str, problems: list[Problem], subject: str
) -> int | str:
    """`traffic-port`, or the port a named Service port's targets listen on."""
    if raw == "traffic-port":
        return raw
    port = service.find_port(raw)
    number = None
    if port is not None:
        number = port.node_port if target_type == "instance" else port.target_port
    if isinstance(number, int):
        return number
    problems.append(
        Problem(
            Severity.ERROR,
            subject,
            annotation_field(a.SVC_HC_PORT),
            f"no Service port named {raw!r} with a numeric "
            f"{'nodePort' if target_type == 'instance' else 'targetPort'}",
            service.source,
        )
    )
    return "traffic-port"
