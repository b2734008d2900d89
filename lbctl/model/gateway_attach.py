"""Which listeners a Gateway API route attaches to, whether its references are permitted, and the per-parent
status conditions the spec defines for the outcome.

Pure: the caller hands in the objects (parsed by `gateway.py`) and the namespaces' labels; nothing is read.
Facts used (Gateway API v1, standard channel):

- A parentRef names a Gateway (group gateway.networking.k8s.io, kind Gateway by default) in the route's namespace
  unless it says otherwise; `sectionName` selects the listener of that name, `port` the listeners on that port,
  both together the listener matching both. No listener selected: `Accepted=False, NoMatchingParent`.
- A selected listener admits the route when its `allowedRoutes` allows the route's namespace (`Same`: the
  Gateway's own; `All`; `Selector`: namespaces whose labels the selector selects) and kind (the listed kinds, or
  when none are listed the kinds its protocol carries). None admits it: `Accepted=False, NotAllowedByListeners`.
- Hostnames: a listener without hostname takes any route; a route without hostnames takes the listener's. Both
  set: at least one must intersect (`*.example.com` covers any name ending in `.example.com`, with one label or
  more), else `Accepted=False, NoMatchingListenerHostname`; only the intersecting names are used.
- A route is attached when at least one listener of the parent admits it.
- A backendRef must be a core Service (else `ResolvedRefs=False, InvalidKind`); in another namespace it needs a
  ReferenceGrant in that namespace from the route's kind and namespace to Services (all, or that name), else
  `RefNotPermitted`; a Service that does not exist is `BackendNotFound`. Such a backend gets no traffic (the
  requests it would get are answered 500), the route's other backends are still used.
- A listener's certificateRefs follow the same rule for Secrets (ReferenceGrant from Gateway).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .gateway import (
    CORE,
    GROUP,
    BackendRef,
    Gateway,
    GatewayClass,
    Listener,
    ParentRef,
    ReferenceGrant,
    Route,
    RouteGroupKind,
    selects,
)

# Route kinds a listener's protocol carries when its allowedRoutes lists none.
PROTOCOL_KINDS: dict[str, tuple[str, ...]] = {
    "HTTP": ("HTTPRoute", "GRPCRoute"),
    "HTTPS": ("HTTPRoute", "GRPCRoute"),
    "TLS": ("TLSRoute",),
    "TCP": ("TCPRoute",),
    "UDP": ("UDPRoute",),
}
# The kinds lbctl serves (supportedKinds of its listeners).
SUPPORTED_KINDS: tuple[str, ...] = ("HTTPRoute", "GRPCRoute")


# ---- hostnames ----------------------------------------------------------------------------------------


def _covers(wildcard: str, name: str) -> bool:
    """`*.example.com` covers `a.example.com` and `a.b.example.com` (suffix match), not `example.com`."""
    return name.endswith(wildcard[1:]) and len(name) > len(wildcard) - 1


def intersect(listener: str | None, route: str) -> str | None:
    """The hostname a request must have to match both, the more specific of the two; None: disjoint."""
    if listener is None or listener == route:
        return route
    listener_wild, route_wild = listener.startswith("*."), route.startswith("*.")
    if listener_wild and (_covers(listener, route)):
        return route
    if route_wild and _covers(route, listener):
        return listener
    return None


def effective_hostnames(listener: Listener, route: Route) -> tuple[str, ...] | None:
    """The hostnames the route serves on this listener (empty: any host); None when none intersect."""
    if not route.hostnames:
        return (listener.hostname,) if listener.hostname else ()
    names = tuple(dict.fromkeys(h for h in (intersect(listener.hostname, r) for r in route.hostnames) if h))
    return names or None


# ---- attachment -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A status condition as the spec names it (lastTransitionTime is the writer's to set)."""

    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str
    message: str = ""

    def as_dict(self, generation: int) -> dict[str, Any]:
        return {
            "type": self.type,
            "status": self.status,
            "reason": self.reason,
            "message": self.message,
            "observedGeneration": generation,
        }


@dataclass(frozen=True)
class Attachment:
    """A route's outcome on one parentRef: the listeners it attached to, with the hostnames it serves there."""

    parent: ParentRef
    listeners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    accepted: Condition = Condition("Accepted", "True", "Accepted")

    @property
    def attached(self) -> bool:
        return bool(self.listeners)


def _namespace_allowed(
    listener: Listener, gateway: Gateway, route: Route, labels: Mapping[str, Mapping[str, str]]
) -> bool:
    allowed = listener.allowed_routes
    if allowed.namespaces_from == "All":
        return True
    if allowed.namespaces_from == "Same":
        return route.namespace == gateway.namespace
    return selects(allowed.selector or {}, labels.get(route.namespace, {}))


def listener_kinds(listener: Listener) -> tuple[RouteGroupKind, ...]:
    """The route kinds a listener accepts: its allowedRoutes.kinds, or its protocol's."""
    if listener.allowed_routes.kinds:
        return listener.allowed_routes.kinds
    return tuple(RouteGroupKind(GROUP, k) for k in PROTOCOL_KINDS.get(listener.protocol, ()))


def _kind_allowed(listener: Listener, route: Route) -> bool:
    return RouteGroupKind(GROUP, route.kind) in listener_kinds(listener)


def _selected(gateway: Gateway, parent: ParentRef) -> list[Listener]:
    return [
        listener
        for listener in gateway.listeners
        if (parent.section_name is None or listener.name == parent.section_name)
        and (parent.port is None or listener.port == parent.port)
    ]


def is_gateway_ref(parent: ParentRef) -> bool:
    return parent.group == GROUP and parent.kind == "Gateway"


def attach(
    route: Route, parent: ParentRef, gateway: Gateway, namespace_labels: Mapping[str, Mapping[str, str]]
) -> Attachment:
    """The route's outcome on `parent`, which names `gateway`."""
    selected = _selected(gateway, parent)
    if not selected:
        where = " and ".join(
            part
            for part in (
                f"sectionName {parent.section_name!r}" if parent.section_name else "",
                f"port {parent.port}" if parent.port is not None else "",
            )
            if part
        )
        return Attachment(
            parent,
            {},
            Condition("Accepted", "False", "NoMatchingParent", f"no listener of the Gateway matches {where}"),
        )
    admitting = [
        listener
        for listener in selected
        if _namespace_allowed(listener, gateway, route, namespace_labels) and _kind_allowed(listener, route)
    ]
    if not admitting:
        return Attachment(
            parent,
            {},
            Condition(
                "Accepted",
                "False",
                "NotAllowedByListeners",
                f"no listener allows {route.kind}s from namespace {route.namespace!r}",
            ),
        )
    attached = {}
    for listener in admitting:
        names = effective_hostnames(listener, route)
        if names is not None:
            attached[listener.name] = names
    if not attached:
        return Attachment(
            parent,
            {},
            Condition(
                "Accepted",
                "False",
                "NoMatchingListenerHostname",
                "no route hostname intersects a listener hostname",
            ),
        )
    return Attachment(parent, attached)


# ---- references -----------------------------------------------------------------------------------------


def permitted(
    grants: Iterable[ReferenceGrant],
    from_group: str,
    from_kind: str,
    from_namespace: str,
    to_group: str,
    to_kind: str,
    to_namespace: str,
    to_name: str,
) -> bool:
    """Whether a reference may cross from `from_namespace` into `to_namespace` (always when they are equal)."""
    if from_namespace == to_namespace:
        return True
    for grant in grants:
        if grant.namespace != to_namespace:
            continue
        if not any(
            f.group == from_group and f.kind == from_kind and f.namespace == from_namespace
            for f in grant.from_
        ):
            continue
        if any(t.group == to_group and t.kind == to_kind and t.name in (None, to_name) for t in grant.to):
            return True
    return False


def backend_problem(
    route: Route, ref: BackendRef, grants: Iterable[ReferenceGrant], services: Iterable[tuple[str, str]]
) -> Condition | None:
    """Why a backendRef cannot be used (a `ResolvedRefs=False` condition), or None."""
    if ref.group != CORE or ref.kind != "Service":
        return Condition(
            "ResolvedRefs",
            "False",
            "InvalidKind",
            f"backendRef {ref.name!r}: kind {ref.group or 'core'}/{ref.kind} is not supported (only Services)",
        )
    if not permitted(grants, GROUP, route.kind, route.namespace, CORE, "Service", ref.namespace, ref.name):
        return Condition(
            "ResolvedRefs",
            "False",
            "RefNotPermitted",
            f"backendRef to Service {ref.namespace}/{ref.name} needs a ReferenceGrant in namespace {ref.namespace!r}",
        )
    if (ref.namespace, ref.name) not in set(services):
        return Condition(
            "ResolvedRefs", "False", "BackendNotFound", f"Service {ref.namespace}/{ref.name} not found"
        )
    return None


def resolved_refs(
    route: Route, grants: Iterable[ReferenceGrant], services: Iterable[tuple[str, str]]
) -> tuple[Condition, frozenset[BackendRef]]:
    """The route's `ResolvedRefs` condition (the first problem, in rule order) and the refs that cannot be used."""
    grants, services = list(grants), set(services)
    bad: set[BackendRef] = set()
    first: Condition | None = None
    for rule in route.rules:
        for ref in rule.backend_refs:
            problem = backend_problem(route, ref, grants, services)
            if problem is not None:
                bad.add(ref)
                first = first or problem
    return first or Condition("ResolvedRefs", "True", "ResolvedRefs"), frozenset(bad)


# ---- status ----------------------------------------------------------------------------------------------


def parent_ref_dict(parent: ParentRef) -> dict[str, Any]:
    """The parentRef as status echoes it (group, kind, namespace, name, and sectionName/port when given)."""
    out: dict[str, Any] = {
        "group": parent.group,
        "kind": parent.kind,
        "namespace": parent.namespace,
        "name": parent.name,
    }
    if parent.section_name is not None:
        out["sectionName"] = parent.section_name
    if parent.port is not None:
        out["port"] = parent.port
    return out


def route_parent_statuses(
    route: Route,
    gateways: Mapping[tuple[str, str], Gateway],
    controller_name: str,
    namespace_labels: Mapping[str, Mapping[str, str]],
    grants: Iterable[ReferenceGrant],
    services: Iterable[tuple[str, str]],
) -> list[dict[str, Any]]:
    """`status.parents` entries this controller owns for the route: one per parentRef naming one of `gateways`
    (the Gateways of this controller's classes); parentRefs to other parents are left to their controllers."""
    resolved, _ = resolved_refs(route, grants, services)
    out = []
    for parent in route.parent_refs:
        gateway = gateways.get((parent.namespace, parent.name)) if is_gateway_ref(parent) else None
        if gateway is None:
            continue
        attachment = attach(route, parent, gateway, namespace_labels)
        out.append(
            {
                "parentRef": parent_ref_dict(parent),
                "controllerName": controller_name,
                "conditions": [c.as_dict(route.generation) for c in (attachment.accepted, resolved)],
            }
        )
    return out


def merge_conditions(
    current: Iterable[Mapping[str, Any]], wanted: Iterable[Mapping[str, Any]], now: str
) -> list[dict[str, Any]]:
    """Conditions to write: each wanted one keeps its `lastTransitionTime` while its status is unchanged (else
    `now`); conditions of other types (set by others) stay as they are."""
    existing = {str(c.get("type")): dict(c) for c in current}
    out: list[dict[str, Any]] = []
    wanted_types = set()
    for condition in wanted:
        entry = dict(condition)
        before = existing.get(str(entry["type"]))
        unchanged = before is not None and before.get("status") == entry["status"]
        entry["lastTransitionTime"] = before.get("lastTransitionTime", now) if unchanged and before else now
        wanted_types.add(entry["type"])
        out.append(entry)
    return [*(c for t, c in existing.items() if t not in wanted_types), *out]


def merge_route_parents(
    current: Iterable[Mapping[str, Any]], ours: Iterable[Mapping[str, Any]], controller_name: str, now: str
) -> list[dict[str, Any]]:
    """`status.parents` after this controller's update: other controllers' entries kept as they are, ours
    replaced (their conditions merged so transition times only move on a change)."""
    current = list(current)
    mine = {
        repr(sorted(p.get("parentRef", {}).items())): p
        for p in current
        if p.get("controllerName") == controller_name
    }
    merged = [dict(p) for p in current if p.get("controllerName") != controller_name]
    for entry in ours:
        before = mine.get(repr(sorted(entry["parentRef"].items())), {})
        merged.append(
            {
                **entry,
                "conditions": merge_conditions(before.get("conditions") or [], entry["conditions"], now),
            }
        )
    return merged


def listener_status(
    gateway: Gateway,
    listener: Listener,
    routes: Iterable[Route],
    namespace_labels: Mapping[str, Mapping[str, str]],
    grants: Iterable[ReferenceGrant],
    secrets: Iterable[tuple[str, str]],
) -> dict[str, Any]:
    """A `status.listeners` entry without `Programmed` (the provider's to say): supportedKinds, attachedRoutes,
    Accepted, ResolvedRefs, Conflicted."""
    grants, secrets = list(grants), set(secrets)
    kinds = listener_kinds(listener)
    supported = [k for k in kinds if k.group == GROUP and k.kind in SUPPORTED_KINDS]
    conditions: list[Condition] = []
    if listener.protocol not in ("HTTP", "HTTPS"):
        conditions.append(
            Condition(
                "Accepted", "False", "UnsupportedProtocol", f"protocol {listener.protocol} is not supported"
            )
        )
    elif listener.allowed_routes.kinds and not supported:
        conditions.append(
            Condition("Accepted", "False", "InvalidRouteKinds", "none of allowedRoutes.kinds is supported")
        )
    else:
        conditions.append(Condition("Accepted", "True", "Accepted"))
    problem: Condition | None = None
    if listener.allowed_routes.kinds and len(supported) < len(kinds):
        problem = Condition(
            "ResolvedRefs", "False", "InvalidRouteKinds", "some of allowedRoutes.kinds are not supported"
        )
    for ref in listener.certificate_refs:
        if problem is not None:
            break
        if ref.group != CORE or ref.kind != "Secret":
            problem = Condition(
                "ResolvedRefs", "False", "InvalidCertificateRef", f"certificateRef {ref.name!r}: only Secrets"
            )
        elif not permitted(
            grants, GROUP, "Gateway", gateway.namespace, CORE, "Secret", ref.namespace, ref.name
        ):
            problem = Condition(
                "ResolvedRefs",
                "False",
                "RefNotPermitted",
                f"Secret {ref.namespace}/{ref.name} needs a ReferenceGrant",
            )
        elif (ref.namespace, ref.name) not in secrets:
            problem = Condition(
                "ResolvedRefs",
                "False",
                "InvalidCertificateRef",
                f"Secret {ref.namespace}/{ref.name} not found",
            )
    conditions.append(problem or Condition("ResolvedRefs", "True", "ResolvedRefs"))
    conditions.append(conflicted(gateway, listener))
    attached = 0
    here = (gateway.namespace, gateway.name)
    for route in routes:
        for parent in route.parent_refs:
            if not is_gateway_ref(parent) or (parent.namespace, parent.name) != here:
                continue
            if listener.name in attach(route, parent, gateway, namespace_labels).listeners:
                attached += 1
                break
    return {
        "name": listener.name,
        "supportedKinds": [{"group": k.group, "kind": k.kind} for k in supported],
        "attachedRoutes": attached,
        "conditions": [c.as_dict(gateway.generation) for c in conditions],
    }


def conflicted(gateway: Gateway, listener: Listener) -> Condition:
    """`Conflicted`: another listener on the same port with an incompatible protocol (ProtocolConflict), or the
    same port, protocol and hostname (HostnameConflict)."""
    others = [o for o in gateway.listeners if o is not listener and o.port == listener.port]
    for other in others:  # a protocol conflict outranks a hostname conflict
        if other.protocol != listener.protocol:
            return Condition(
                "Conflicted",
                "True",
                "ProtocolConflict",
                f"listener {other.name!r} uses port {other.port} with {other.protocol}",
            )
    for other in others:
        if other.hostname == listener.hostname:
            return Condition(
                "Conflicted",
                "True",
                "HostnameConflict",
                f"listener {other.name!r} has the same port, protocol and hostname",
            )
    return Condition("Conflicted", "False", "NoConflicts")


def gateway_class_conditions(
    gateway_class: GatewayClass, bundle_version: str | None, supported_versions: Iterable[str]
) -> list[dict[str, Any]]:
    """A GatewayClass of this controller: `Accepted`, and `SupportedVersion` from the installed CRDs' bundle
    version (the `gateway.networking.k8s.io/bundle-version` annotation; `vX.Y.Z`, compared on `vX.Y`)."""
    supported = set(supported_versions)
    minor = ".".join((bundle_version or "").split(".")[:2])
    if bundle_version is None or minor in supported:
        version = Condition("SupportedVersion", "True", "SupportedVersion")
        accepted = Condition("Accepted", "True", "Accepted")
    else:
        shown = ", ".join(sorted(supported))
        message = f"the Gateway API CRDs are {bundle_version}; supported: {shown}"
        version = Condition("SupportedVersion", "False", "UnsupportedVersion", message)
        accepted = Condition("Accepted", "False", "UnsupportedVersion", message)
    return [c.as_dict(gateway_class.generation) for c in (accepted, version)]


def gateway_accepted(gateway: Gateway, listeners: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The Gateway's `Accepted` from its listeners' statuses: every listener accepted: True/Accepted; some not:
    True/ListenersNotValid (the valid ones are served); none: False/ListenersNotValid."""
    accepted = [
        any(c["type"] == "Accepted" and c["status"] == "True" for c in entry.get("conditions") or [])
        and not any(
            c["type"] == "Conflicted" and c["status"] == "True" for c in entry.get("conditions") or []
        )
        for entry in listeners
    ]
    if all(accepted):
        condition = Condition("Accepted", "True", "Accepted")
    elif any(accepted):
        condition = Condition("Accepted", "True", "ListenersNotValid", "some listeners are not valid")
    else:
        condition = Condition("Accepted", "False", "ListenersNotValid", "no listener is valid")
    return condition.as_dict(gateway.generation)
