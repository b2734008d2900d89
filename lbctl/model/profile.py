"""What the cloud-neutral builder asks of a cloud's annotation semantics (`alb.py`, `gce.py`), and the
resolution of annotation values across objects with the source each value came from.

A profile is known by the provider name of the BuildConfig; the builder never branches on that name itself.
Pure: profiles read only the snapshot they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from lbctl.model.class_params import ClassPins
from lbctl.model.objects import Ingress, ObjectRef, Service
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.registry import ParsedAnnotations, annotation_field
from lbctl.model.snapshot import ClusterSnapshot

if TYPE_CHECKING:
    from lbctl.model.gateway_policies import GatewayPolicyReader, ServicePolicies
from lbctl.model.spec import (
    Action,
    Authentication,
    Backend,
    Condition,
    Frontend,
    Rule,
    Source,
    TLSCertificate,
    Transform,
)

# Resolve a Service port into a backend of the member: (service name, port, where, namespace or None) → key
ResolveBackend = Callable[[str, int | str, str, str | None], str]
# Resolve the Service port `namespace/name:port` into a Backend that is not (yet) one of the group's
ResolveOne = Callable[[str, str, int | str, str], Backend]
# The certificates of an Ingress's spec.tls Secrets; `discover`: TLS hosts without a Secret become
# certificates to discover by host
TlsCertificates = Callable[[bool], list[TLSCertificate]]


def fail(ingress: Ingress, field_path: str, message: str) -> SpecError:
    """An error about one Ingress: it is left out of its group."""
    return SpecError(Problem(Severity.ERROR, str(ingress.ref), field_path, message, ingress.source))


def group_fail(group: str, field_path: str, message: str) -> SpecError:
    """An error about a whole IngressGroup: the group does not build."""
    return SpecError(Problem(Severity.ERROR, f"IngressGroup {group}", field_path, message))


@dataclass
class MemberInput:
    """One Ingress being built, what a profile needs to read it. A Gateway API route's backends are built the
    same way: `ingress` then stands for the Gateway (its namespace, its load-balancer annotations, no rules)
    and `subject` is the object errors name (the route)."""

    ingress: Ingress
    parsed: ParsedAnnotations
    snapshot: ClusterSnapshot
    resolve_backend: ResolveBackend
    subject: ObjectRef | None = None
    # what the anchors' policy objects say for a Gateway's backends (model/gateway_policies.py)
    policies: ServicePolicies | None = None

    def fail(self, field_path: str, message: str) -> SpecError:
        if self.subject is not None:
            return SpecError(
                Problem(Severity.ERROR, str(self.subject), field_path, message, self.ingress.source)
            )
        return fail(self.ingress, field_path, message)


@dataclass(frozen=True)
class GatewayFeatures:
    """What a cloud honours of the Gateway API (model/gateway_build.py): everything else a route or Gateway asks
    for is refused by name in its status (UnsupportedValue, UnsupportedAddress …), never dropped."""

    controller_name: str  # the GatewayClass controllerName that is ours
    # another implementation's controllerName, served only with BuildConfig.gateway_drop_in
    drop_in_controller_names: tuple[str, ...]
    filters: frozenset[str]  # HTTPRoute / GRPCRoute filter types
    redirect_codes: frozenset[int]  # RequestRedirect statusCode values
    redirect_prefix: bool  # RequestRedirect path ReplacePrefixMatch
    request_timeout: bool  # HTTPRoute rule timeouts.request
    regex_query: bool  # queryParams type RegularExpression
    static_addresses: bool  # Gateway spec.addresses (a reserved address by name or IP)
    # Gateway metadata.annotations read as an Ingress's would be (load-balancer settings); others are refused
    annotations: frozenset[str] = frozenset()
    # annotation values a GRPCRoute's backends are built with (as if the Gateway set them), and the backend
    # protocol they get where the cloud says it by protocol (None: leave it)
    grpc_annotations: Mapping[str, str] = field(default_factory=dict)
    grpc_protocol: str | None = None
    # the anchors' policy kinds `lbctl convert --to gateway` writes for this cloud's settings
    conversion_policies: frozenset[str] = frozenset()
    # RegularExpression path and header matches, and GRPCRoute matches that need one (a RegularExpression
    # method match, or a service or a method alone)
    regex_matches: bool = True
    # the reader of the anchors' policy kinds for this cloud (None: no policy kind is read)
    policies: GatewayPolicyReader | None = None
    # listener `tls.options` keys this cloud reads: key → the TLSCertificate kind its comma-separated names are
    certificate_options: Mapping[str, str] = field(default_factory=dict)
    # the ports a listener of each protocol may use (None: any)
    listener_ports: Mapping[str, frozenset[int]] | None = None


@dataclass
class Member:
    """What one valid Ingress contributes to its group."""

    ingress: Ingress
    parsed: ParsedAnnotations
    order: int
    listen_ports: list[tuple[str, int]]
    rules: list[tuple[Rule, int]]  # rule, position in the manifest
    backends: dict[str, Backend]
    default_action: Action | None
    certificates: list[TLSCertificate]


class Settings:
    """The annotation values of one backend: the Service's over the Ingress's over the registry default,
    each with the Source it came from."""

    def __init__(
        self, ingress: ParsedAnnotations, service: ParsedAnnotations | None = None, service_ref: str = ""
    ) -> None:
        self.ingress = ingress
        self.service = service
        self.service_ref = service_ref

    def get(self, name: str, situation: str | None = None) -> Any:
        if self.service is not None and self.service.has(name):
            return self.service.get(name)
        return self.ingress.get(name, situation)

    def source(self, name: str) -> Source:
        if name in self.ingress.pinned:  # the class's parameters win over Ingress and Service
            return Source(self.ingress.pinned[name], self.ingress.pinned_kind)
        if self.service is not None and name in self.service.pinned:  # a Gateway backend's policy
            return Source(self.service.pinned[name], self.service.pinned_kind)
        if self.service is not None and self.service.has(name):
            return _source(name, "Service", self.service_ref)
        return _source(name, "Ingress" if self.ingress.has(name) else "default")

    def take(self, fields: dict[str, Source], attribute: str, name: str, situation: str | None = None) -> Any:
        """The value of annotation `name` for `attribute`, recording where it came from in `fields`."""
        if self.service is not None and self.service.has(name):
            pinned = self.service.pinned.get(name)  # a Gateway backend's policy
            fields[attribute] = (
                Source(pinned, self.service.pinned_kind)
                if pinned
                else _source(name, "Service", self.service_ref)
            )
            return self.service.get(name)
        ingress = self.ingress
        fields[attribute] = _source(name, "Ingress" if ingress.has(name) else "default")
        return ingress.get(name, situation)


@lru_cache(maxsize=4096)
def _source(name: str, origin: str, service_ref: str = "") -> Source:
    """The Source of annotation `name` (Sources are immutable: every backend of every reconcile shares them)."""
    if origin == "Service":
        return Source(f"Service {service_ref} {annotation_field(name)}", "Service")
    return Source(annotation_field(name), origin)


def exclusive(members: Sequence[Member], name: str, group: str, situation: str | None = None) -> Any:
    """The one value of a group-wide annotation; members that set different values are an error. A value a
    member only inherits from its class's parameters must be what the group agrees on (a map: contained in it),
    so another member's annotation can add to it but never silently drop it."""
    seen: dict[str, Any] = {}
    inherited: dict[str, Any] = {}
    for member in members:
        if member.parsed.has(name):
            own = name not in member.parsed.inherited
            (seen if own else inherited)[member.ingress.ref.key] = member.parsed.get(name)
    distinct = {repr(v) for v in seen.values()}
    if not seen and inherited:
        seen, inherited = dict([next(iter(inherited.items()))]), dict(list(inherited.items())[1:])
    agreed = next(iter(seen.values())) if seen else None
    if len(distinct) > 1 or any(not _covers(agreed, value) for value in inherited.values()):
        listing = "; ".join(f"{k}: {v!r}" for k, v in {**seen, **inherited}.items())
        fields = sorted({m.parsed.field_of(name) for m in members if m.parsed.has(name)})
        raise group_fail(
            group,
            fields[0] if len(fields) == 1 else annotation_field(name),
            f"conflicting values across the group ({listing}); set "
            "it on one Ingress or give every Ingress the same value"
            + (
                f" (set by {', '.join(f for f in fields if f != annotation_field(name))})"
                if len(fields) > 1
                else ""
            ),
        )
    return agreed if seen else members[0].parsed.get(name, situation)


def _covers(agreed: Any, value: Any) -> bool:
    """An inherited value is kept by the agreed one: equal, or (maps) each of its keys with the same value."""
    if isinstance(agreed, dict) and isinstance(value, dict):
        return all(k in agreed and agreed[k] == v for k, v in value.items())
    return repr(agreed) == repr(value)


def group_source(members: Sequence[Member], name: str) -> Source:
    """Where a group-wide value came from: the class's parameters, a member's annotation, or the default."""
    pinned = [m for m in members if name in m.parsed.pinned]
    if pinned:
        return Source(pinned[0].parsed.pinned[name], pinned[0].parsed.pinned_kind)
    setters = [m for m in members if m.parsed.has(name)]
    origin = "default" if not setters else "Ingress" if len(members) == 1 else "IngressGroup"
    return Source(annotation_field(name), origin)


class CloudProfile(Protocol):
    """One cloud's Ingress annotation semantics, called by the cloud-neutral builder."""

    name: str  # the provider name the profile serves
    cluster_default_backend: str | None  # "ns/name:port" an Ingress without a default backend gets, if any
    gateway: GatewayFeatures  # what the cloud honours of the Gateway API

    def group_name(self, parsed: ParsedAnnotations) -> str | None:
        """The explicit group an Ingress joins (None: it is alone, keyed ns/name)."""
        ...

    def default_fields(self) -> dict[str, Source]:
        """The field behind each spec-level attribute when no member sets it (also for an empty spec)."""
        ...

    def class_pins(
        self, ingress: Ingress, snapshot: ClusterSnapshot, assume_missing: bool
    ) -> ClassPins | None:
        """What the parameters of the Ingress's class fix (None: nothing); SpecError refuses the Ingress
        (parameters unreadable, or its namespace may not use the class)."""
        ...

    def order(self, parsed: ParsedAnnotations) -> int:
        """Where the Ingress's rules go in its group (smaller first)."""
        ...

    def rewrite(self, member: MemberInput) -> str | None:
        """The path-prefix rewrite of the Ingress's rules, or an error when the cloud cannot rewrite."""
        ...

    def conditions(self, member: MemberInput) -> dict[str, list[Condition]]:
        """Extra rule conditions per backend Service name."""
        ...

    def transforms(self, member: MemberInput) -> dict[str, list[Transform]]:
        """Request rewrites per backend Service name (ALB transforms)."""
        ...

    def regex_paths(self, member: MemberInput) -> bool:
        """Whether the Ingress's ImplementationSpecific paths are regular expressions."""
        ...

    def annotation_action(self, member: MemberInput, name: str, where: str) -> Action:
        """The action of a backend whose port is 'use-annotation' (named `name`), with its authentication."""
        ...

    def certificates(self, member: MemberInput, tls: TlsCertificates) -> list[TLSCertificate]:
        """The certificates the Ingress brings to its HTTPS listeners."""
        ...

    def listen_ports(self, member: MemberInput, certificates: list[TLSCertificate]) -> list[tuple[str, int]]:
        """(protocol, port) of the listeners the Ingress's rules are on (empty: the frontend decides)."""
        ...

    def backend_settings(
        self,
        member: MemberInput,
        backend: Backend,
        service: Service,
        service_parsed: ParsedAnnotations,
        where: str,
    ) -> None:
        """Fill in the target type, protocol, health check … of one backend, recording each source."""
        ...

    def authentication(
        self,
        member: MemberInput,
        service: Service | None,
        service_parsed: ParsedAnnotations | None,
        where: str,
    ) -> Authentication | None:
        """Authentication before forwarding to the backend, if the cloud has it and it is asked for."""
        ...

    def group_tags(self, members: Sequence[Member]) -> tuple[dict[str, str], Source | None]:
        """Tags of the group's resources and where they came from."""
        ...

    def frontend(
        self, key: str, members: Sequence[Member], snapshot: ClusterSnapshot
    ) -> tuple[Frontend, dict[str, Source]]:
        """The group's frontend (listeners, addresses …) and the source of each of its values."""
        ...

    def default_backend(
        self,
        member: MemberInput,
        cluster_default: str | None,
        assume_missing: bool,
        resolve: ResolveOne,
        backends: dict[str, Backend],
    ) -> str | None:
        """The backend key of the group's default action when no member sets spec.defaultBackend (None:
        the cloud needs none)."""
        ...
