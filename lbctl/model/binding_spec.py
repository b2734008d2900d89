"""The cloud-neutral spec of one TargetGroupBinding (pure): which targets, which inbound rules, what may be
deregistered. Built from the parsed binding (lbctl/model/bindings.py) and the cluster snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lbctl.model.bindings import (
    DEFAULT_NODE_EXCLUSIONS,
    FARGATE_LABEL,
    KIND,
    TARGET_TYPES,
    LabelSelector,
    NetworkRule,
    TargetGroupBinding,
)
from lbctl.model.objects import Node, Service
from lbctl.model.problems import Problem, Severity
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.targets import Target, eligible_nodes


@dataclass(frozen=True)
class BindingSpec:
    """What a provider converges for one binding. `instance_targets` / `ip_targets`: the targets for each
    target type (None: that type cannot be served, the reason in `unavailable`); when `target_type` is set
    only that one is filled. An empty spec (`deleting`) deregisters what the binding registered."""

    key: str  # namespace/name
    target_group_arn: str | None
    target_group_name: str | None
    target_type: str | None
    target_group_protocol: str | None = None
    ip_address_type: str | None = None
    vpc_id: str | None = None
    multi_cluster: bool = False
    networking: tuple[NetworkRule, ...] = ()
    instance_targets: tuple[Target, ...] | None = None
    ip_targets: tuple[Target, ...] | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)  # target type → why it has no targets
    tracked: frozenset[tuple[str, int]] | None = None
    deleting: bool = False
    # Every binding of the cluster with `networking` (namespace/name): they share the inbound rules.
    networking_bindings: frozenset[str] = frozenset()

    @property
    def subject(self) -> str:
        return f"{KIND} {self.key}"

    def targets_for(self, target_type: str) -> tuple[Target, ...] | None:
        return self.instance_targets if target_type == "instance" else self.ip_targets

    def field_of(self, attribute: str) -> str:
        """The object field an attribute of this spec comes from, to name it in errors."""
        names = {
            "target_group": "spec.targetGroupARN" if self.target_group_arn else "spec.targetGroupName",
            "target_type": "spec.targetType",
            "target_group_protocol": "spec.targetGroupProtocol",
            "ip_address_type": "spec.ipAddressType",
            "vpc_id": "spec.vpcID",
            "networking": "spec.networking",
            "service": "spec.serviceRef",
        }
        return names.get(attribute, f"spec.{attribute}")


# --------------------------------------------------------------------------- building


@dataclass
class BindingOutcome:
    """The spec of one binding, or the problems that stop it (`spec` None: leave the cloud as it is)."""

    spec: BindingSpec | None
    problems: list[Problem] = field(default_factory=list)


def build_binding(binding: TargetGroupBinding, snapshot: ClusterSnapshot) -> BindingOutcome:
    """The targets and rules of `binding` from the cluster's Services, EndpointSlices and Nodes."""
    base = BindingSpec(
        key=binding.key,
        target_group_arn=binding.target_group_arn,
        target_group_name=binding.target_group_name,
        target_type=binding.target_type,
        target_group_protocol=binding.target_group_protocol,
        ip_address_type=binding.ip_address_type,
        vpc_id=binding.vpc_id,
        multi_cluster=binding.multi_cluster,
        networking=binding.networking,
        tracked=binding.tracked if binding.multi_cluster else None,
        deleting=binding.deleting,
        networking_bindings=frozenset(
            b.key for b in snapshot.bindings.values() if b.networking and not b.deleting
        ),
    )
    outcome = _targets(binding, snapshot, base)
    if binding.deleting:  # what it would select still tells the provider where its rules are; no problem
        return BindingOutcome(outcome.spec or base)
    return outcome


def _targets(binding: TargetGroupBinding, snapshot: ClusterSnapshot, base: BindingSpec) -> BindingOutcome:
    service = snapshot.service(binding.namespace, binding.service_name)
    wanted_types = (binding.target_type,) if binding.target_type else TARGET_TYPES
    if service is None:
        warning = Problem(
            Severity.WARNING,
            binding.subject,
            "spec.serviceRef.name",
            f"Service {binding.namespace}/{binding.service_name} not found; no targets are registered",
            binding.source,
        )
        empty: tuple[Target, ...] = ()
        return BindingOutcome(_with_targets(base, {t: empty for t in wanted_types}, {}), [warning])
    port = service.find_port(binding.service_port)
    if port is None:
        names = ", ".join(str(p.name or p.port) for p in service.ports) or "none"
        return BindingOutcome(
            None,
            [
                Problem(
                    Severity.ERROR,
                    binding.subject,
                    "spec.serviceRef.port",
                    f"Service {service.ref.key} has no port {binding.service_port!r} (its ports: {names})",
                    binding.source,
                )
            ],
        )
    targets: dict[str, tuple[Target, ...]] = {}
    unavailable: dict[str, str] = {}
    for target_type in wanted_types:
        if target_type == "instance":
            if port.node_port is None:
                unavailable["instance"] = (
                    f"Service {service.ref.key} port {binding.service_port!r} has no nodePort "
                    "(instance targets need a NodePort or LoadBalancer Service)"
                )
                continue
            targets["instance"] = tuple(
                Target(str(n.instance_id), port.node_port, n.zone, n.name)
                for n in binding_nodes(snapshot, binding.node_selector)
            )
        else:
            targets["ip"] = _pod_targets(snapshot, service, port.name, binding.ip_address_type)
    if binding.target_type and binding.target_type in unavailable:
        return BindingOutcome(
            None,
            [
                Problem(
                    Severity.ERROR,
                    binding.subject,
                    "spec.serviceRef.port",
                    unavailable[binding.target_type],
                    binding.source,
                )
            ],
        )
    return BindingOutcome(_with_targets(base, targets, unavailable))


def _with_targets(
    base: BindingSpec, targets: Mapping[str, tuple[Target, ...]], unavailable: Mapping[str, str]
) -> BindingSpec:
    return replace(
        base,
        instance_targets=targets.get("instance"),
        ip_targets=targets.get("ip"),
        unavailable=dict(unavailable),
    )


def binding_nodes(snapshot: ClusterSnapshot, selector: LabelSelector | None) -> list[Node]:
    """The nodes instance targets go to: eligible for traffic, outside the default exclusions (control
    plane, excluded from load balancers, Fargate), and matching `nodeSelector` when it is set."""
    out = []
    for node in eligible_nodes(snapshot, {}):
        if any(label in node.labels for label in DEFAULT_NODE_EXCLUSIONS):
            continue
        if node.labels.get(FARGATE_LABEL[0]) == FARGATE_LABEL[1]:
            continue
        if selector is not None and not selector.matches(node.labels):
            continue
        out.append(node)
    return out


def _pod_targets(
    snapshot: ClusterSnapshot, service: Service, port_name: str | None, ip_address_type: str | None
) -> tuple[Target, ...]:
    """Ready endpoints of the Service port, on their pod ports, of the binding's address family."""
    family = "IPv6" if ip_address_type == "ipv6" else "IPv4"
    found: set[Target] = set()
    for eps in snapshot.slices_of(service.namespace, service.name):
        if eps.address_type != family:
            continue
        number = next((p.port for p in eps.ports if (p.name or None) == (port_name or None)), None)
        if number is None and len(eps.ports) == 1 and not port_name:
            number = eps.ports[0].port
        if number is None:
            continue
        for endpoint in eps.endpoints:
            if not endpoint.ready:
                continue
            zone = endpoint.zone
            if zone is None and endpoint.node_name in snapshot.nodes:
                zone = snapshot.nodes[endpoint.node_name].zone
            for address in endpoint.addresses:
                found.add(Target(address, number, zone, endpoint.node_name))
    return tuple(sorted(found))
