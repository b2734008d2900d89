"""TargetGroupBindings (`elbv2.k8s.aws/v1beta1`): a Service's pods or nodes registered into a target group
that exists outside the cluster. Pure: the object as lbctl reads it, and its parser (the spec a provider
converges is built in lbctl/model/binding_spec.py).

Semantics follow aws-load-balancer-controller's v1beta1 API: `targetGroupARN` wins over `targetGroupName`;
`targetType` unset means "whatever the target group is" (the provider reads it); instance targets are the
eligible nodes on the Service port's NodePort, merged with the default node selector; ip targets are the
ready endpoints of the Service port; a missing Service means no targets (everything is deregistered, with a
warning), a missing port is an error that leaves the target group as it is."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.kinds import TARGET_GROUP_BINDING
from lbctl.model.objects import _Reader

KIND = TARGET_GROUP_BINDING.kind
TARGET_TYPES = ("instance", "ip")
IP_ADDRESS_TYPES = ("ipv4", "ipv6")
PROTOCOLS = ("TCP", "UDP")
TARGET_GROUP_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
SPEC_FIELDS = frozenset(
    {
        "targetGroupARN",
        "targetGroupName",
        "targetType",
        "targetGroupProtocol",
        "serviceRef",
        "networking",
        "nodeSelector",
        "ipAddressType",
        "vpcID",
        "multiClusterTargetGroup",
        "iamRoleArnToAssume",
        "assumeRoleExternalId",
    }
)
# Fields of the API lbctl refuses rather than ignores (cross-account registration needs STS, not built).
UNSUPPORTED = {
    "iamRoleArnToAssume": "cross-account target groups (sts:AssumeRole) are not supported by lbctl",
    "assumeRoleExternalId": "cross-account target groups (sts:AssumeRole) are not supported by lbctl",
}
# The nodes aws-load-balancer-controller never registers, whatever `nodeSelector` says.
DEFAULT_NODE_EXCLUSIONS = (
    "node-role.kubernetes.io/master",
    "node.kubernetes.io/exclude-from-external-load-balancers",
    "alpha.service-controller.kubernetes.io/exclude-balancer",
)
FARGATE_LABEL = ("eks.amazonaws.com/compute-type", "fargate")


@dataclass(frozen=True)
class SelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values  # NotIn (an absent label is not in the set)


@dataclass(frozen=True)
class LabelSelector:
    """A metav1.LabelSelector: every matchLabels entry and every requirement must hold."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    requirements: tuple[SelectorRequirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.match_labels.items()) and all(
            r.matches(labels) for r in self.requirements
        )


@dataclass(frozen=True)
class NetworkPeer:
    """Where inbound traffic may come from: a CIDR, or a security group."""

    cidr: str | None = None
    security_group: str | None = None


@dataclass(frozen=True)
class NetworkPort:
    protocol: str = "TCP"  # TCP | UDP
    port: int | None = None  # None: every port


@dataclass(frozen=True)
class NetworkRule:
    """One `networking.ingress[]` entry: each peer may reach each port (no ports: every TCP port)."""

    peers: tuple[NetworkPeer, ...]
    ports: tuple[NetworkPort, ...]


@dataclass(frozen=True)
class TargetGroupBinding:
    """A TargetGroupBinding as lbctl reads it."""

    namespace: str
    name: str
    service_name: str
    service_port: int | str
    target_group_arn: str | None = None
    target_group_name: str | None = None
    target_type: str | None = None
    target_group_protocol: str | None = None
    ip_address_type: str | None = None
    vpc_id: str | None = None
    multi_cluster: bool = False
    networking: tuple[NetworkRule, ...] = ()
    node_selector: LabelSelector | None = None
    uid: str = ""
    generation: int = 0
    resource_version: str = ""
    deleting: bool = False
    finalizers: tuple[str, ...] = ()
    observed_generation: int | None = None
    tracked: frozenset[tuple[str, int]] | None = None  # status.registeredTargets (multi-cluster only)
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def subject(self) -> str:
        return f"{KIND} {self.key}"


# --------------------------------------------------------------------------- parsing


def parse_target_group_binding(obj: Mapping[str, Any], source: str = "") -> TargetGroupBinding:
    """A TargetGroupBinding from an API or manifest dict; raises SpecError naming the first bad field (the
    CRD's schema and aws-load-balancer-controller's webhook checks, done here so files get them too)."""
    reader = _Reader(obj, KIND, source)
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec", required=True)
    unknown = sorted(set(spec) - SPEC_FIELDS)
    if unknown:
        raise reader.fail(
            f"spec.{unknown[0]}", f"unknown field; expected one of {', '.join(sorted(SPEC_FIELDS))}"
        )
    for key, why in UNSUPPORTED.items():
        if spec.get(key):
            raise reader.fail(f"spec.{key}", why)
    arn = reader.string(spec.get("targetGroupARN"), "spec.targetGroupARN") or None
    tg_name = reader.string(spec.get("targetGroupName"), "spec.targetGroupName") or None
    if arn is None and tg_name is None:
        raise reader.fail(
            "spec.targetGroupARN", "one of spec.targetGroupARN or spec.targetGroupName is required"
        )
    ref = reader.mapping(spec.get("serviceRef"), "spec.serviceRef", required=True)
    service_name = reader.string(ref.get("name"), "spec.serviceRef.name", required=True)
    port = reader.int_or_string(ref.get("port"), "spec.serviceRef.port")
    if not service_name:
        raise reader.fail("spec.serviceRef.name", "is required (the name of a Service in this namespace)")
    if port is None or port == "":
        raise reader.fail("spec.serviceRef.port", "is required (a Service port number or name)")
    target_type = _enum(reader, spec.get("targetType"), "spec.targetType", TARGET_TYPES)
    node_selector = _selector(reader, spec.get("nodeSelector"), "spec.nodeSelector")
    if node_selector is not None and target_type == "ip":
        raise reader.fail("spec.nodeSelector", "applies to targetType instance only; drop it for ip targets")
    multi = spec.get("multiClusterTargetGroup", False)
    if not isinstance(multi, bool):
        raise reader.fail("spec.multiClusterTargetGroup", f"must be true or false, got {multi!r}")
    meta = reader.meta
    status = reader.mapping(obj.get("status"), "status")
    return TargetGroupBinding(
        namespace=reader.namespace,
        name=name,
        service_name=service_name,
        service_port=port,
        target_group_arn=arn,
        target_group_name=None if arn else tg_name,
        target_type=target_type,
        target_group_protocol=_enum(
            reader, spec.get("targetGroupProtocol"), "spec.targetGroupProtocol", TARGET_GROUP_PROTOCOLS
        ),
        ip_address_type=_enum(reader, spec.get("ipAddressType"), "spec.ipAddressType", IP_ADDRESS_TYPES),
        vpc_id=reader.string(spec.get("vpcID"), "spec.vpcID") or None,
        multi_cluster=multi,
        networking=_networking(reader, spec.get("networking")),
        node_selector=node_selector,
        uid=str(meta.get("uid") or ""),
        generation=int(meta.get("generation") or 0),
        resource_version=str(meta.get("resourceVersion") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
        finalizers=tuple(f for f in meta.get("finalizers") or () if isinstance(f, str)),
        observed_generation=_int_or_none(status.get("observedGeneration")),
        tracked=_tracked(status.get("registeredTargets")),
        source=source,
    )


def _enum(reader: _Reader, value: Any, where: str, allowed: tuple[str, ...]) -> str | None:
    text = reader.string(value, where)
    if text is None:
        return None
    if text not in allowed:
        raise reader.fail(where, f"must be one of {', '.join(allowed)}, got {text!r}")
    return text


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tracked(value: Any) -> frozenset[tuple[str, int]] | None:
    """What status.registeredTargets says this binding registered ("id:port" each); None if never written."""
    if not isinstance(value, list):
        return None
    out = set()
    for item in value:
        if isinstance(item, str) and ":" in item:
            target, _, port = item.rpartition(":")
            if port.isdigit():
                out.add((target, int(port)))
    return frozenset(out)


def tracked_entries(targets: set[tuple[str, int]] | frozenset[tuple[str, int]]) -> list[str]:
    """status.registeredTargets for a set of (id, port)."""
    return [f"{target}:{port}" for target, port in sorted(targets)]


def _selector(reader: _Reader, raw: Any, where: str) -> LabelSelector | None:
    if raw is None:
        return None
    selector = reader.mapping(raw, where)
    labels = reader.string_map(selector.get("matchLabels"), f"{where}.matchLabels")
    requirements = []
    for i, item in enumerate(reader.sequence(selector.get("matchExpressions"), f"{where}.matchExpressions")):
        at = f"{where}.matchExpressions[{i}]"
        expression = reader.mapping(item, at)
        key = reader.string(expression.get("key"), f"{at}.key", required=True) or ""
        operator = _enum(reader, expression.get("operator"), f"{at}.operator", SELECTOR_OPERATORS)
        if operator is None:
            raise reader.fail(f"{at}.operator", f"is required (one of {', '.join(SELECTOR_OPERATORS)})")
        values = [
            reader.string(v, f"{at}.values[{k}]") or ""
            for k, v in enumerate(reader.sequence(expression.get("values"), f"{at}.values"))
        ]
        if operator in ("In", "NotIn") and not values:
            raise reader.fail(f"{at}.values", f"must not be empty for operator {operator}")
        if operator in ("Exists", "DoesNotExist") and values:
            raise reader.fail(f"{at}.values", f"must be empty for operator {operator}")
        requirements.append(SelectorRequirement(key, operator, tuple(values)))
    return LabelSelector(labels, tuple(requirements))


def _networking(reader: _Reader, raw: Any) -> tuple[NetworkRule, ...]:
    if raw is None:
        return ()
    networking = reader.mapping(raw, "spec.networking")
    rules = []
    for i, item in enumerate(reader.sequence(networking.get("ingress"), "spec.networking.ingress")):
        at = f"spec.networking.ingress[{i}]"
        rule = reader.mapping(item, at)
        peers = []
        sources = reader.sequence(rule.get("from"), f"{at}.from")
        if not sources:
            raise reader.fail(f"{at}.from", "needs at least one peer (ipBlock or securityGroup)")
        for k, peer_raw in enumerate(sources):
            peer_at = f"{at}.from[{k}]"
            peer = reader.mapping(peer_raw, peer_at)
            block, group = peer.get("ipBlock"), peer.get("securityGroup")
            if (block is None) == (group is None):
                raise reader.fail(peer_at, "needs exactly one of ipBlock or securityGroup")
            if block is not None:
                cidr = (
                    reader.string(
                        reader.mapping(block, f"{peer_at}.ipBlock").get("cidr"),
                        f"{peer_at}.ipBlock.cidr",
                        required=True,
                    )
                    or ""
                )
                try:
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise reader.fail(
                        f"{peer_at}.ipBlock.cidr", f"must be an IPv4 or IPv6 CIDR, got {cidr!r}"
                    ) from None
                peers.append(NetworkPeer(cidr=cidr))
            else:
                group_id = (
                    reader.string(
                        reader.mapping(group, f"{peer_at}.securityGroup").get("groupID"),
                        f"{peer_at}.securityGroup.groupID",
                        required=True,
                    )
                    or ""
                )
                if not group_id.startswith("sg-"):
                    raise reader.fail(
                        f"{peer_at}.securityGroup.groupID",
                        f"must be a security group ID (sg-…), got {group_id!r}",
                    )
                peers.append(NetworkPeer(security_group=group_id))
        ports = []
        for k, port_raw in enumerate(reader.sequence(rule.get("ports"), f"{at}.ports")):
            port_at = f"{at}.ports[{k}]"
            port = reader.mapping(port_raw, port_at)
            protocol = _enum(reader, port.get("protocol"), f"{port_at}.protocol", PROTOCOLS) or "TCP"
            number = reader.int_or_string(port.get("port"), f"{port_at}.port")
            if isinstance(number, str):
                raise reader.fail(
                    f"{port_at}.port", "named ports are not supported by lbctl; give the port number"
                )
            if number is not None and not 0 <= number <= 65535:
                raise reader.fail(f"{port_at}.port", f"must be 0-65535, got {number}")
            ports.append(NetworkPort(protocol, number))
        rules.append(NetworkRule(tuple(peers), tuple(ports) or (NetworkPort("TCP", None),)))
    return tuple(rules)
