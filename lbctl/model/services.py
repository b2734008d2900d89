"""Services of type LoadBalancer as a source (pure): which Services a provider serves, and the cloud-neutral
L4 spec it converges for each — ports with their protocols, scheme, source ranges, traffic policy, where the
targets are — with each cloud's annotation semantics in its L4 profile (lbctl/model/nlb.py, gce_l4.py).

A Service is served by at most one controller: by `spec.loadBalancerClass` when it has one (only the classes
of the provider's profile are ours), else by the profile's reading of its annotations, else — only with
`claim_unclassed` — as the cluster's default load balancer controller (what the in-tree cloud provider does:
run one or the other, never both). Targets are computed apart from the spec (`service_targets`), so endpoint
churn never changes the spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.annotations import SERVICE_REGISTRY
from lbctl.model.gce_l4 import GceL4Profile
from lbctl.model.gce_negs import NEG_FIELD, StandaloneNeg
from lbctl.model.l4_profile import L4Profile
from lbctl.model.nlb import NlbProfile
from lbctl.model.objects import Service, ServicePort
from lbctl.model.problems import Problem, Severity
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.targets import Target, eligible_nodes

PREFIX = "Service:"  # stack keys of Services: "Service:ns/name" (an Ingress group key never has ":")
L4_KIND = "Service"
PROTOCOLS = ("TCP", "UDP", "SCTP")
TARGET_TYPES = ("instance", "ip")


def service_stack(namespace: str, name: str) -> str:
    return f"{PREFIX}{namespace}/{name}"


def is_service_stack(key: str) -> bool:
    return key.startswith(PREFIX)


@dataclass(frozen=True)
class L4Port:
    """One Service port as the load balancer serves it: the frontend port and protocol, and where its
    targets listen (`node_port` for instance targets, `target_port` on the pods for ip targets)."""

    port: int
    protocol: str  # TCP | UDP | SCTP
    name: str | None = None
    target_port: int | str | None = None
    node_port: int | None = None

    @property
    def key(self) -> str:
        """Stable key of the port inside its stack, e.g. "TCP-3100"."""
        return f"{self.protocol}-{self.port}"


@dataclass(frozen=True)
class ServiceSpec:
    """What a provider converges for one Service of type LoadBalancer. Cloud-neutral fields first; `cloud` is
    what the provider's L4 profile resolved from the annotations (its own typed settings). `fields` records
    where each value came from (attribute → object field); `empty` deletes the stack."""

    stack: str  # Service:ns/name
    namespace: str
    name: str
    ports: tuple[L4Port, ...] = ()
    internal: bool = True
    source_ranges: tuple[str, ...] = ()
    external_traffic_policy: str = "Cluster"
    health_check_node_port: int | None = None
    allocate_node_ports: bool = True
    target_type: str = "instance"
    node_selector: Mapping[str, str] = field(default_factory=dict)
    ip_families: tuple[str, ...] = ()
    load_balancer_ip: str | None = None
    cloud: Any = None
    fields: Mapping[str, str] = field(default_factory=dict)
    empty: bool = False
    load_balancer: bool = True  # False: the Service only asks for standalone NEGs (any type)
    negs: tuple[StandaloneNeg, ...] = ()  # standalone NEGs of exposed ports (Google Cloud)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def subject(self) -> str:
        return f"Service {self.key}"

    @property
    def members(self) -> tuple[str, ...]:
        return () if self.empty else (self.key,)

    def field_of(self, attribute: str) -> str:
        """The object field an attribute of this spec comes from, to name it in errors."""
        return self.fields.get(attribute, f"spec.{attribute}")


def empty_service_spec(stack: str) -> ServiceSpec:
    """The spec that deletes everything of a Service's stack."""
    namespace, _, name = stack.removeprefix(PREFIX).partition("/")
    return ServiceSpec(stack, namespace, name, empty=True)


def _profiles() -> dict[str, L4Profile]:
    return {p.name: p for p in (NlbProfile(), GceL4Profile())}


def l4_profile(provider: str) -> L4Profile | None:
    return _profiles().get(provider)


def is_served(service: Service, provider: str, claim_unclassed: bool = False) -> bool:
    """Whether `provider` serves this Service as a load balancer (never one another controller owns)."""
    profile = l4_profile(provider)
    return service.type == "LoadBalancer" and profile is not None and profile.claims(service, claim_unclassed)


def exposes_negs(service: Service, provider: str) -> bool:
    """Whether the Service asks `provider` for standalone NEGs (whatever its type or load balancer)."""
    profile = l4_profile(provider)
    return profile is not None and profile.exposes_negs(service)


def has_service_stack(service: Service) -> bool:
    """Whether some provider may converge a stack for the Service (a load balancer, or standalone NEGs): what
    the file commands look at."""
    return service.type == "LoadBalancer" or any(p.exposes_negs(service) for p in _profiles().values())


def is_reconciled(service: Service, provider: str, claim_unclassed: bool = False) -> bool:
    """Whether `provider` converges a stack for the Service: its load balancer, or its standalone NEGs."""
    return is_served(service, provider, claim_unclassed) or exposes_negs(service, provider)


@dataclass
class ServiceOutcome:
    """The spec of one Service, or the problems that stop it (`spec` None: leave the cloud as it is)."""

    spec: ServiceSpec | None
    problems: list[Problem] = field(default_factory=list)


def build_service(service: Service, provider: str, load_balancer: bool = True) -> ServiceOutcome:
    """The L4 spec of a Service `provider` serves (see `is_served`), with its standalone NEGs; with
    `load_balancer` False, of one that only asks for standalone NEGs (see `exposes_negs`)."""
    profile = l4_profile(provider)
    subject = f"Service {service.namespace}/{service.name}"
    if profile is None:
        return ServiceOutcome(None, [_error(service, "spec.type", f"provider {provider} serves no Services")])
    negs, neg_problems = profile.standalone_negs(service)
    if not load_balancer:
        if neg_problems:
            return ServiceOutcome(None, neg_problems)
        stack = service_stack(service.namespace, service.name)
        only = ServiceSpec(
            stack, service.namespace, service.name, load_balancer=False, negs=negs, fields={"negs": NEG_FIELD}
        )
        return ServiceOutcome(only, [])
    notes = {k: v for k, v in service.annotations.items() if k not in profile.own_keys}
    parsed = SERVICE_REGISTRY.parse(notes, L4_KIND, subject, service.source)
    problems = list(parsed.problems) + neg_problems
    ports, port_problems = _ports(service)
    problems += port_problems
    if parsed.errors or port_problems or neg_problems:
        return ServiceOutcome(None, problems)
    resolved = profile.resolve(service, parsed)
    problems += resolved.problems
    if any(p.severity == Severity.ERROR for p in resolved.problems):
        return ServiceOutcome(None, problems)
    values = resolved.values
    target_type = values.get("target_type", "instance")
    fields = {
        "ports": "spec.ports",
        "source_ranges": "spec.loadBalancerSourceRanges",
        "external_traffic_policy": "spec.externalTrafficPolicy",
        "health_check_node_port": "spec.healthCheckNodePort",
        "allocate_node_ports": "spec.allocateLoadBalancerNodePorts",
        "load_balancer_ip": "spec.loadBalancerIP",
        "negs": NEG_FIELD,
        **resolved.fields,
    }
    if target_type == "instance":
        missing = [p for p in ports if p.node_port is None]
        if missing and not service.allocate_node_ports:
            problems.append(
                _error(
                    service,
                    "spec.allocateLoadBalancerNodePorts",
                    f"instance targets need a nodePort on every port (port {missing[0].port} has none: "
                    "spec.allocateLoadBalancerNodePorts is false); use ip targets or allocate node ports",
                )
            )
            return ServiceOutcome(None, problems)
        if missing:  # a manifest file: the API server allocates it on create
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"Service {service.namespace}/{service.name}",
                    "spec.ports[].nodePort",
                    f"port {missing[0].port} has no nodePort yet (the API server allocates one); the plan "
                    "gives its target group the targetPort and registers no targets on it",
                    service.source,
                )
            )
    spec = ServiceSpec(
        stack=service_stack(service.namespace, service.name),
        namespace=service.namespace,
        name=service.name,
        ports=ports,
        internal=bool(values.get("internal", True)),
        source_ranges=tuple(values.get("source_ranges", service.source_ranges)),
        external_traffic_policy=service.external_traffic_policy,
        health_check_node_port=service.health_check_node_port,
        allocate_node_ports=service.allocate_node_ports,
        target_type=target_type,
        node_selector=dict(values.get("node_selector", {})),
        ip_families=service.ip_families,
        load_balancer_ip=service.load_balancer_ip,
        cloud=resolved.cloud,
        fields=fields,
        negs=negs,
    )
    return ServiceOutcome(spec, problems)


def _ports(service: Service) -> tuple[tuple[L4Port, ...], list[Problem]]:
    problems: list[Problem] = []
    ports: list[L4Port] = []
    if not service.ports:
        problems.append(
            _error(service, "spec.ports", "a Service of type LoadBalancer needs at least one port")
        )
    for i, port in enumerate(service.ports):
        protocol = port.protocol.upper()
        if protocol not in PROTOCOLS:
            problems.append(
                _error(service, f"spec.ports[{i}].protocol", f"expected one of {', '.join(PROTOCOLS)}")
            )
            continue
        ports.append(_l4_port(port, protocol))
    return tuple(ports), problems


def _l4_port(port: ServicePort, protocol: str) -> L4Port:
    return L4Port(port.port, protocol, port.name, port.target_port, port.node_port)


def _error(service: Service, where: str, message: str) -> Problem:
    return Problem(
        Severity.ERROR, f"Service {service.namespace}/{service.name}", where, message, service.source
    )


# --------------------------------------------------------------------------- targets


def service_targets(spec: ServiceSpec, snapshot: ClusterSnapshot) -> dict[str, list[Target]]:
    """The targets of every port (by `L4Port.key`): eligible nodes on its nodePort (matching the node
    selector), or the ready endpoints of the port on their pod ports."""
    if spec.empty:
        return {}
    out: dict[str, list[Target]] = {
        neg.key: _endpoint_targets(spec, snapshot, neg.port_name) for neg in spec.negs
    }
    if not spec.load_balancer:
        return out
    if spec.target_type == "instance":
        nodes = eligible_nodes(snapshot, dict(spec.node_selector))
        for port in spec.ports:
            out[port.key] = [
                Target(str(n.instance_id), port.node_port, n.zone, n.name, n.instance_id)
                for n in nodes
                if port.node_port is not None
            ]
        return out
    for port in spec.ports:
        out[port.key] = _endpoint_targets(spec, snapshot, port.name)
    return out


def _endpoint_targets(spec: ServiceSpec, snapshot: ClusterSnapshot, port_name: str | None) -> list[Target]:
    """The ready endpoints of the Service port named `port_name` on their pod ports, with their nodes."""
    found: set[Target] = set()
    for eps in snapshot.slices_of(spec.namespace, spec.name):
        number = next((p.port for p in eps.ports if (p.name or None) == (port_name or None)), None)
        if number is None:
            continue
        for endpoint in eps.endpoints:
            if not endpoint.ready:
                continue
            node = snapshot.nodes.get(endpoint.node_name or "")
            zone = endpoint.zone or (node.zone if node is not None else None)
            instance = node.instance_id if node is not None else None
            for address in endpoint.addresses:
                found.add(Target(address, number, zone, endpoint.node_name, instance))
    return sorted(found)


def node_zones(spec: ServiceSpec, snapshot: ClusterSnapshot) -> list[str]:
    """The zones of the nodes that may carry traffic: where a Service's standalone NEGs are made (ingress-gce
    makes them in every zone of its candidate nodes); none without standalone NEGs."""
    if spec.empty or not spec.negs:
        return []
    return sorted({n.zone for n in eligible_nodes(snapshot, {}) if n.zone})


def build_services(
    snapshot: ClusterSnapshot, provider: str, claim_unclassed: bool = False
) -> dict[str, ServiceOutcome]:
    """The outcome of every Service of the snapshot `provider` serves, by stack key."""
    return {
        service_stack(s.namespace, s.name): build_service(
            s, provider, is_served(s, provider, claim_unclassed)
        )
        for s in sorted(snapshot.services.values(), key=lambda s: (s.namespace, s.name))
        if is_reconciled(s, provider, claim_unclassed) and not s.deleting
    }


def known_target_ids(spec: ServiceSpec, snapshot: ClusterSnapshot) -> set[str]:
    """Every target this cluster could have registered for the Service, whatever its state: every node's
    instance (instance targets), every address of its endpoints (ip targets). A target group shared with
    other clusters deregisters only these."""
    if spec.target_type == "instance":
        return {str(n.instance_id) for n in snapshot.nodes.values() if n.instance_id}
    return {
        address
        for eps in snapshot.slices_of(spec.namespace, spec.name)
        for endpoint in eps.endpoints
        for address in endpoint.addresses
    }
