"""Gateway API → LoadBalancerSpec: one load balancer per Gateway of a GatewayClass this controller serves, and
the statuses the Gateway API defines for the outcome (GatewayClass, Gateway with its listeners, route parents).

Pure. What a Gateway becomes (stack `Gateway:ns/name`, frontend.managed_routing):

- a spec Listener per port of its valid HTTP/HTTPS listeners (an HTTPS listener terminates TLS with its
  certificateRefs: Secrets, in another namespace only with a ReferenceGrant); a listener lbctl cannot serve
  (TLS, TCP, UDP, HTTPS Passthrough, conflicted, certificates that do not resolve) is reported in its status
  and left out;
- one spec Rule per route match, in the order the Gateway API gives them (`gateway_routing.route_table`; across
  the listeners of one port: by hostname, GRPCRoute matches before HTTPRoute matches of the same hostname, and
  a request for a listener's hostname never falls through to a broader listener's routes on that port);
- backendRefs → the Ingress builder's Service backends (weights kept); a backendRef that cannot be used
  (InvalidKind, RefNotPermitted, BackendNotFound …) makes its rule answer 500, as the spec says for a rule whose
  backends are invalid (also when only some of them are: a cloud cannot answer a share of requests with 500);
- filters, matches and timeouts the cloud profile's GatewayFeatures cannot honour make their rule not routed:
  the route's parent status says which (Accepted=False, UnsupportedValue, when no rule of the route is left;
  else PartiallyInvalid=True, UnsupportedValue, "Dropped Rule …", as the spec's drop-rule approach has it).

A Gateway that cannot be served as a whole (an address the cloud cannot honour, spec.tls, parameters, a refused
annotation, a class not accepted) gets `spec=None`: its load balancer is left as it is, never emptied.
Route hostnames keep the Gateway API's meaning in the spec: `*.example.com` covers any deeper name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.builder import BuildConfig, cluster_default_backend, service_backend
from lbctl.model.gateway import (
    BackendRef,
    Gateway,
    GatewayClass,
    GRPCMatch,
    HTTPMatch,
    Listener,
    ReferenceGrant,
    Route,
    Rule,
    duration_seconds,
)
from lbctl.model.gateway_attach import (
    Attachment,
    Condition,
    attach,
    backend_problem,
    gateway_accepted,
    gateway_class_conditions,
    intersect,
    is_gateway_ref,
    listener_status,
    merge_conditions,
    parent_ref_dict,
)
from lbctl.model.gateway_policies import (
    ExtensionError,
    GatewayPolicyReader,
    GatewayPolicyView,
    RuleExtension,
    ServicePolicies,
)
from lbctl.model.gateway_routing import Entry, precedence_key, route_table
from lbctl.model.objects import Ingress, ObjectRef
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.profile import GatewayFeatures, Member, MemberInput
from lbctl.model.registry import ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import (
    Action,
    Authentication,
    Backend,
    FixedResponse,
    HeaderEdit,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Source,
    SourceRef,
    TLSCertificate,
    WeightedTarget,
)
from lbctl.model.spec import (
    Condition as SpecCondition,
)
from lbctl.model.spec import (
    Rule as SpecRule,
)

GATEWAY_PREFIX = "Gateway:"  # stack keys "Gateway:ns/name" (a Service's are "Service:ns/name")
# Gateway API CRD bundle versions (`vX.Y`) lbctl serves; v0.0 is upstream's unreleased main (what
# tests/data/gateway-api holds, bundle-version v0.0.0-dev).
SUPPORTED_VERSIONS = ("v1.1", "v1.2", "v1.3", "v1.4", "v0.0")
GRPC_KIND, HTTP_KIND = "GRPCRoute", "HTTPRoute"
_WILDCARD_CHARS = re.compile(r"[*?]")
_WELL_KNOWN_PORTS = {"http": 80, "https": 443}


def gateway_stack(namespace: str, name: str) -> str:
    return f"{GATEWAY_PREFIX}{namespace}/{name}"


def is_gateway_stack(stack: str) -> bool:
    return stack.startswith(GATEWAY_PREFIX)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_ip(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9.]+", value)) or ":" in value


@dataclass
class GatewayOutcome:
    """One Gateway: its spec (None: refused, the load balancer is left as it is) and what its status says."""

    key: str  # the stack, "Gateway:ns/name"
    gateway: Gateway
    spec: LoadBalancerSpec | None
    problems: list[Problem] = field(default_factory=list)
    accepted: Condition = Condition("Accepted", "True", "Accepted")
    # status.listeners entries without Programmed, and the names of the listeners the spec serves
    listeners: list[dict[str, Any]] = field(default_factory=list)
    served: set[str] = field(default_factory=set)

    def status(
        self,
        address: str | None,
        programmed: bool,
        previous: Mapping[str, Any] | None,
        now: str | None = None,
    ) -> dict[str, Any]:
        """The Gateway's whole `.status`: `address` is the load balancer's (a DNS name or an IP), `programmed`
        whether the cloud holds the spec; conditions of other types (set by others) are kept, transition times
        move only when a condition's status changes."""
        now = now or _now()
        before = dict(previous or {})
        generation = self.gateway.generation
        if self.spec is None:
            state = Condition("Programmed", "False", "Invalid", "the Gateway is not accepted")
        elif not programmed:
            state = Condition("Programmed", "False", "Pending", "the load balancer is being made")
        elif not address:
            state = Condition(
                "Programmed", "False", "AddressNotAssigned", "the load balancer has no address yet"
            )
        else:
            state = Condition("Programmed", "True", "Programmed")
        listeners_before = {str(entry.get("name")): entry for entry in before.get("listeners") or []}
        listeners = []
        for entry in self.listeners:
            served = entry["name"] in self.served
            if not served:
                listener_state = Condition("Programmed", "False", "Invalid", "the listener is not served")
            else:
                listener_state = Condition("Programmed", state.status, state.reason, state.message)
            wanted = [*entry["conditions"], listener_state.as_dict(generation)]
            old = listeners_before.get(entry["name"], {})
            listeners.append(
                {**entry, "conditions": merge_conditions(old.get("conditions") or [], wanted, now)}
            )
        wanted_conditions = [self.accepted.as_dict(generation), state.as_dict(generation)]
        out: dict[str, Any] = {
            **before,
            "conditions": merge_conditions(before.get("conditions") or [], wanted_conditions, now),
            "listeners": listeners,
        }
        if address and state.status == "True":
            out["addresses"] = [{"type": "IPAddress" if _is_ip(address) else "Hostname", "value": address}]
        else:
            out.pop("addresses", None)
        return out


@dataclass
class GatewayBuild:
    """Every Gateway of the controller's classes, and the statuses it owns: `class_statuses` (GatewayClass name
    → status, conditions without lastTransitionTime: merge them with `merge_conditions`) and `route_parents`
    ("HTTPRoute:ns/name" → this controller's `status.parents` entries: merge with `merge_route_parents`)."""

    gateways: dict[str, GatewayOutcome] = field(default_factory=dict)
    class_statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    route_parents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # policies whose status lbctl writes: "Kind:ns/name" → (generation, Gateway "ns/name" → its Accepted)
    policy_statuses: dict[str, tuple[int, dict[str, Condition]]] = field(default_factory=dict)

    @property
    def specs(self) -> list[LoadBalancerSpec]:
        return [o.spec for o in self.gateways.values() if o.spec is not None]

    @property
    def problems(self) -> list[Problem]:
        """Every problem of every Gateway and the routes it reads (each once)."""
        out: list[Problem] = []
        for outcome in self.gateways.values():
            out.extend(p for p in outcome.problems if p not in out)
        return out


# --------------------------------------------------------------------------- inputs


@dataclass
class _Inputs:
    snapshot: ClusterSnapshot
    config: BuildConfig
    features: GatewayFeatures
    labels: dict[str, Mapping[str, str]]
    grants: list[ReferenceGrant]
    services: set[tuple[str, str]]
    routes: list[Route]
    # rules the cloud's translator refused: (route "Kind ns/name", rule index) → "field: why"
    cloud_refused: Mapping[tuple[str, int], str] = field(default_factory=dict)


SpecCheck = Callable[[LoadBalancerSpec], list[Problem]]
_RULE_FIELD = re.compile(r"spec\.rules\[(\d+)\]")


def build_gateways(
    snapshot: ClusterSnapshot,
    config: BuildConfig,
    controller_names: tuple[str, ...],
    check: SpecCheck | None = None,
) -> GatewayBuild:
    """Every Gateway of a GatewayClass whose controllerName is one of `controller_names` (see
    `BuildConfig.gateway_controller_names`), built into a spec or refused, with the statuses.

    `check` is the cloud's own translation check (a provider's `validate`, no cloud call): a route rule it
    refuses is dropped from its route as the builder drops the rules the cloud profile rules out (the route's
    status says why), so one rule the load balancer cannot serve never blocks the Gateway's other routes."""
    refused: dict[tuple[str, int], str] = {}
    while True:
        result = _build_gateways(snapshot, config, controller_names, refused)
        if check is None:
            return result
        found = {
            key: why
            for outcome in result.gateways.values()
            if outcome.spec is not None
            for key, why in _rule_refusals(check(outcome.spec))
            if key not in refused
        }
        if not found:  # each round drops at least one more rule: this ends
            return result
        refused.update(found)


def _rule_refusals(problems: list[Problem]) -> Iterable[tuple[tuple[str, int], str]]:
    """The problems of a check that name one rule of an HTTPRoute or GRPCRoute, as (route, rule index)."""
    for problem in problems:
        kind = problem.object.split(" ", 1)[0]
        found = _RULE_FIELD.match(problem.field)
        if kind in (HTTP_KIND, GRPC_KIND) and found is not None:
            why = problem.message.removeprefix(f"{problem.object} {problem.field}: ")
            yield (problem.object, int(found.group(1))), f"{problem.field}: {why}"


def _build_gateways(
    snapshot: ClusterSnapshot,
    config: BuildConfig,
    controller_names: tuple[str, ...],
    cloud_refused: Mapping[tuple[str, int], str],
) -> GatewayBuild:
    result = GatewayBuild()
    classes: dict[str, GatewayClass] = {
        c.name: c for c in snapshot.gateway_objects(GatewayClass) if c.controller_name in controller_names
    }
    accepted_classes = set()
    reader = config.profile.gateway.policies
    for name, gateway_class in classes.items():
        conditions = gateway_class_conditions(gateway_class, snapshot.gateway_api_version, SUPPORTED_VERSIONS)
        refusal = _class_parameters_refusal(gateway_class, reader)
        if refusal is not None and conditions[0]["status"] == "True":
            conditions[0] = Condition("Accepted", "False", "InvalidParameters", refusal).as_dict(
                gateway_class.generation
            )
        result.class_statuses[name] = {"conditions": conditions}
        if conditions[0]["status"] == "True":
            accepted_classes.add(name)
    routes = [r for r in snapshot.gateway_objects(Route) if r.kind in (HTTP_KIND, GRPC_KIND)]
    services = {(s.namespace, s.name) for s in snapshot.services.values()}
    if config.assume_missing:  # offline: a Service not in the files is assumed (with a warning)
        services |= {
            (ref.namespace, ref.name) for r in routes for rule in r.rules for ref in rule.backend_refs
        }
    inputs = _Inputs(
        snapshot,
        config,
        config.profile.gateway,
        {n.name: n.labels for n in snapshot.namespaces.values()},
        snapshot.gateway_objects(ReferenceGrant),
        services,
        routes,
        cloud_refused,
    )
    ours = {(g.namespace, g.name): g for g in snapshot.gateway_objects(Gateway) if g.class_name in classes}
    parents: dict[str, list[dict[str, Any]]] = {}
    for gateway in ours.values():
        gateway_class = classes[gateway.class_name]
        view = GatewayPolicyView()
        if reader is not None and gateway.class_name in accepted_classes:
            view = reader.read(gateway, gateway_class, snapshot)
        outcome, route_entries = _build_gateway(gateway, gateway.class_name in accepted_classes, inputs, view)
        result.gateways[outcome.key] = outcome
        for key, (policy, condition) in view.accepted.items():
            if reader is not None and policy.kind in reader.status_kinds:
                entry = result.policy_statuses.setdefault(key, (policy.generation, {}))
                entry[1][gateway.key] = condition
        for route_key, entries in route_entries.items():
            parents.setdefault(route_key, []).extend(entries)
    for route in routes:  # in parentRef order, as the route lists them
        found = parents.get(f"{route.kind}:{route.key}")
        if found:
            entries = found
            order = [repr(sorted(parent_ref_dict(p).items())) for p in route.parent_refs]
            entries.sort(key=lambda e: order.index(repr(sorted(e["parentRef"].items()))))
            result.route_parents[f"{route.kind}:{route.key}"] = entries
    return result


# --------------------------------------------------------------------------- one Gateway


def _gateway_problem(gateway: Gateway, where: str, message: str) -> Problem:
    return Problem(Severity.ERROR, f"Gateway {gateway.key}", where, message, gateway.source)


def _refused(outcome: GatewayOutcome, reason: str, where: str, message: str) -> GatewayOutcome:
    outcome.accepted = Condition("Accepted", "False", reason, f"{where}: {message}")
    outcome.problems.append(_gateway_problem(outcome.gateway, where, message))
    outcome.spec = None
    return outcome


def _class_parameters_refusal(gateway_class: GatewayClass, reader: GatewayPolicyReader | None) -> str | None:
    """Why a GatewayClass's spec.parametersRef cannot be honoured (None: it has none, or names a kind the
    cloud's policy reader takes)."""
    ref = gateway_class.parameters_ref
    if not ref:
        return None
    allowed = reader.class_parameters if reader is not None else ()
    if (ref.get("group"), ref.get("kind")) in allowed:
        return None
    shown = ", ".join(f"{kind} ({group})" for group, kind in allowed) or "none on this cloud"
    return f"spec.parametersRef: {ref.get('kind')} ({ref.get('group')}) is not a parameters kind lbctl reads; takes: {shown}"


def _gateway_refusal(gateway: Gateway, features: GatewayFeatures) -> tuple[str, str, str] | None:
    """(reason, field, message) when the Gateway as a whole cannot be served."""
    if gateway.addresses and not features.static_addresses:
        return (
            "UnsupportedAddress",
            "spec.addresses",
            "this cloud's load balancer takes the addresses it is given by the cloud; remove spec.addresses",
        )
    if len(gateway.addresses) > 1:
        return ("UnsupportedAddress", "spec.addresses", "at most one address (a reserved static address)")
    for i, address in enumerate(gateway.addresses):
        if address.type not in ("IPAddress", "NamedAddress"):
            return (
                "UnsupportedAddress",
                f"spec.addresses[{i}].type",
                f"{address.type} addresses are not supported; use NamedAddress (a reserved address's name) "
                "or IPAddress",
            )
    if gateway.tls:
        return ("Invalid", "spec.tls", "Gateway-wide TLS settings are not supported by lbctl yet")
    if gateway.infrastructure.parameters_ref and not (
        features.policies and features.policies.class_parameters
    ):
        return (
            "InvalidParameters",
            "spec.infrastructure.parametersRef",
            "infrastructure parameters are not supported by lbctl yet",
        )
    return None


def _gateway_annotations(
    gateway: Gateway,
    provider: str,
    features: GatewayFeatures,
    extra: Mapping[str, str],
    pinned: Mapping[str, str] | None = None,
) -> ParsedAnnotations:
    """The Gateway's load-balancer annotations for `provider`, read as an Ingress's would be; an annotation of
    this cloud that a Gateway does not take is an error naming it (another cloud's are not this one's).
    `extra` are values from elsewhere; those in `pinned` came from a policy field (its Source, its errors)."""
    pinned = pinned or {}
    parsed = a.REGISTRY.parse(
        {**gateway.annotations, **extra}, "Ingress", f"Gateway {gateway.key}", gateway.source
    )
    for i, problem in enumerate(parsed.problems):
        name = problem.field.removeprefix("metadata.annotations[").removesuffix("]")
        if name in pinned:  # named by the policy field it came from
            where, _, policy_field = pinned[name].rpartition(" ")
            parsed.problems[i] = dataclasses.replace(problem, object=where, field=policy_field)
    parsed.pinned = {k: v for k, v in pinned.items() if k in parsed.values}
    parsed.pinned_values = {k: parsed.values[k] for k in parsed.pinned}
    if parsed.pinned:
        parsed.pinned_kind = next(iter(parsed.pinned.values())).split(" ")[0]
    allowed = features.annotations | set(extra)
    for name in [*parsed.values, *parsed.families]:
        if name not in allowed and a.REGISTRY.get(name).provider in (provider, "any"):
            shown = ", ".join(sorted(features.annotations)) or "none"
            parsed.problems.append(
                Problem(
                    Severity.ERROR,
                    f"Gateway {gateway.key}",
                    f"metadata.annotations[{name}]",
                    f"is not read from a Gateway (listeners, routes and their filters say what it would); "
                    f"a Gateway takes: {shown}",
                    gateway.source,
                )
            )
    return parsed


def _stand_in(gateway: Gateway, name: str) -> Ingress:
    """The Ingress a Gateway's backends are built for: its namespace, its source, no rules."""
    return Ingress(gateway.namespace, name, {}, None, (), None, (), source=gateway.source)


def _build_gateway(
    gateway: Gateway, class_accepted: bool, inputs: _Inputs, view: GatewayPolicyView
) -> tuple[GatewayOutcome, dict[str, list[dict[str, Any]]]]:
    features = inputs.features
    stack = gateway_stack(gateway.namespace, gateway.name)
    outcome = GatewayOutcome(stack, gateway, None)
    listener_statuses, certificates = _listeners(gateway, inputs, view)
    outcome.listeners = listener_statuses
    served = [
        listener
        for listener, entry in zip(gateway.listeners, listener_statuses, strict=True)
        if _condition(entry, "Accepted") == "True"
        and _condition(entry, "Conflicted") == "False"
        and (listener.protocol == "HTTP" or _condition(entry, "ResolvedRefs") == "True")
    ]
    outcome.accepted = Condition(
        **{
            k: v
            for k, v in gateway_accepted(gateway, listener_statuses).items()
            if k in ("type", "status", "reason", "message")
        }
    )

    attachments = _attachments(gateway, inputs)
    parsed = _gateway_annotations(gateway, inputs.config.provider, features, view.annotations, view.fields)
    grpc_parsed = _gateway_annotations(
        gateway,
        inputs.config.provider,
        features,
        {**view.annotations, **features.grpc_annotations},
        view.fields,
    )
    outcome.problems.extend(parsed.problems)
    refusal = view.refusal or _gateway_refusal(gateway, features)
    if not class_accepted:
        refusal = ("Pending", "spec.gatewayClassName", f"GatewayClass {gateway.class_name} is not accepted")
    elif refusal is None and parsed.errors:
        first = parsed.errors[0]
        if first.object == f"Gateway {gateway.key}":
            refusal = ("Invalid", first.field, first.message)
        else:  # a policy's field
            refusal = ("InvalidParameters", f"{first.object} {first.field}", first.message)
        outcome.problems.remove(first)

    backends: dict[str, Backend] = {}
    grpc_backends: dict[str, Backend] = {}
    routed: dict[tuple[str, str], dict[int, _RuleOutcome]] = {}
    route_entries: dict[str, list[dict[str, Any]]] = {}
    for route, pairs in attachments.values():
        route_backends = grpc_backends if route.kind == GRPC_KIND else backends
        member_parsed = grpc_parsed if route.kind == GRPC_KIND else parsed
        rules = _route_rules(gateway, route, member_parsed, route_backends, inputs, view.services)
        routed[(route.kind, route.key)] = rules
        outcome.problems.extend(p for r in rules.values() for p in r.problems)
        route_entries[f"{route.kind}:{route.key}"] = _parent_entries(route, pairs, rules, inputs)
    if refusal is not None:
        return _refused(outcome, *refusal), route_entries
    if not served:
        outcome.accepted = Condition("Accepted", "False", "ListenersNotValid", "no listener is valid")
        return outcome, route_entries
    renames = _merge_backends(backends, grpc_backends, features)
    spec_rules = _spec_rules(gateway, served, attachments, routed, renames)
    listen_ports = sorted({(listener.protocol, listener.port) for listener in served})
    member = Member(
        _stand_in(gateway, gateway.name),
        parsed,
        0,
        listen_ports,
        [],
        {},
        None,
        [cert for listener in served for cert in certificates.get(listener.name, [])],
    )
    try:
        frontend, fields = inputs.config.profile.frontend(stack, [member], inputs.snapshot)
    except SpecError as err:
        return _refused(outcome, "Invalid", err.problem.field, err.problem.message), route_entries
    # only the listeners the Gateway has (a cloud's frontend may add its default HTTP one)
    frontend.listeners = [x for x in frontend.listeners if (x.protocol, x.port) in listen_ports]
    for spec_listener in frontend.listeners:
        spec_listener.certificates = []
        for listener in served:
            if listener.port == spec_listener.port:
                spec_listener.certificates.extend(
                    c for c in certificates.get(listener.name, []) if c not in spec_listener.certificates
                )
    frontend.managed_routing = True
    if view.ssl_policy is not None:
        policy, policy_field = view.ssl_policy
        for spec_listener in frontend.listeners:
            if spec_listener.protocol == "HTTPS":
                spec_listener.ssl_policy = policy
        fields["frontend.listeners.ssl_policy"] = Source(policy_field, policy_field.split(" ")[0])
    if gateway.addresses and gateway.addresses[0].value:
        frontend.static_ip_name = gateway.addresses[0].value
        fields["frontend.static_ip_name"] = Source(
            f"Gateway {gateway.key} spec.addresses[0].value", "Gateway"
        )
    tags = {**gateway.infrastructure.annotations, **gateway.infrastructure.labels}
    fields["tags"] = Source(f"Gateway {gateway.key} spec.infrastructure", "Gateway")
    if parsed.has(a.TAGS):  # a policy's tags (a Gateway's own tags annotation is refused)
        policy_tags = dict(parsed.get(a.TAGS))
        clash = sorted(k for k in policy_tags if k in tags and tags[k] != policy_tags[k])
        if clash:
            message = f"tag {clash[0]!r} is also set by spec.infrastructure with another value; remove one"
            return _refused(outcome, "InvalidParameters", parsed.field_of(a.TAGS), message), route_entries
        tags = {**policy_tags, **tags}
        fields["tags"] = Source(f"{fields['tags'].field}, {parsed.field_of(a.TAGS)}", "Gateway")
    all_backends = {**backends, **grpc_backends}
    cluster_default = None
    if not any(rule.action.backend_keys() for rule in spec_rules):
        cluster_default = _cluster_default(gateway, parsed, inputs, all_backends)
    outcome.spec = LoadBalancerSpec(
        provider=inputs.config.provider,
        stack=stack,
        explicit_group=False,
        members=[gateway.key],
        frontend=frontend,
        rules=spec_rules,
        default_action=None,  # unmatched requests: 404
        backends=all_backends,
        tags=tags,
        cluster_default=cluster_default,
        fields=fields,
    )
    outcome.served = {listener.name for listener in served}
    if inputs.config.assume_missing:
        outcome.problems.extend(_assumption_warnings(outcome.spec, gateway))
    return outcome, route_entries


def _cluster_default(
    gateway: Gateway, parsed: ParsedAnnotations, inputs: _Inputs, backends: dict[str, Backend]
) -> str | None:
    """Where a cloud's load balancer needs a backend to answer 404 at all (a Google Cloud URL map) and no rule
    sends to one (no route yet, or only redirects): the cluster default backend, as GKE's Gateway uses its own
    404 backend. None where the cloud needs none, or it cannot be had (the provider then says why)."""
    config = inputs.config
    if config.profile.cluster_default_backend is None or config.cluster_default_backend is None:
        return None
    try:
        stand_in = _stand_in(gateway, gateway.name)
        return cluster_default_backend(stand_in, parsed, inputs.snapshot, config, backends)
    except SpecError:
        return None


def _condition(entry: Mapping[str, Any], kind: str) -> str | None:
    return next((c["status"] for c in entry["conditions"] if c["type"] == kind), None)


def _set_condition(entry: dict[str, Any], condition: Condition, generation: int) -> None:
    entry["conditions"] = [
        condition.as_dict(generation) if c["type"] == condition.type else c for c in entry["conditions"]
    ]


# --------------------------------------------------------------------------- listeners


def _listeners(
    gateway: Gateway, inputs: _Inputs, view: GatewayPolicyView
) -> tuple[list[dict[str, Any]], dict[str, list[TLSCertificate]]]:
    """Each listener's status (without Programmed), and the certificates of the HTTPS ones."""
    secrets = set(inputs.snapshot.secrets)
    statuses = []
    certificates: dict[str, list[TLSCertificate]] = {}
    for listener in gateway.listeners:
        entry = listener_status(
            gateway,
            listener,
            inputs.routes,
            inputs.labels,
            inputs.grants,
            {tuple(k.split("/", 1)) for k in secrets},  # type: ignore[misc]
        )
        ports = (inputs.features.listener_ports or {}).get(listener.protocol)
        if ports is not None and listener.port not in ports:
            shown = ", ".join(str(p) for p in sorted(ports))
            message = f"{listener.protocol} listeners take port {shown} on this cloud's load balancer"
            _set_condition(
                entry, Condition("Accepted", "False", "PortUnavailable", message), gateway.generation
            )
        elif listener.protocol == "HTTPS" and listener.tls_mode == "Passthrough":
            message = "HTTPS listeners terminate TLS here (tls.mode Terminate); Passthrough is not supported"
            _set_condition(
                entry, Condition("Accepted", "False", "UnsupportedProtocol", message), gateway.generation
            )
        elif listener.protocol == "HTTPS" and _condition(entry, "ResolvedRefs") == "True":
            certs, problem = _listener_certificates(
                gateway, listener, inputs, view.certificates.get(listener.port, [])
            )
            if problem is not None:
                _set_condition(entry, problem, gateway.generation)
            else:
                certificates[listener.name] = certs
        statuses.append(entry)
    return statuses, certificates


def _listener_certificates(
    gateway: Gateway,
    listener: Listener,
    inputs: _Inputs,
    view_certificates: list[TLSCertificate],
) -> tuple[list[TLSCertificate], Condition | None]:
    """The certificates of an HTTPS listener — the cloud's own named in tls.options or by a policy, then its
    certificateRefs' Secrets (by content hash, never the key) — or why they do not resolve."""
    certs = []
    for key, value in sorted(listener.tls_options.items()):  # the cloud's own certificates, by name
        kind = inputs.features.certificate_options.get(key)
        if kind is None:
            shown = ", ".join(sorted(inputs.features.certificate_options)) or "none on this cloud"
            return [], Condition(
                "ResolvedRefs",
                "False",
                "InvalidCertificateRef",
                f"tls.options[{key}] is not an option lbctl reads (it reads: {shown})",
            )
        certs += [TLSCertificate(kind, name.strip()) for name in value.split(",") if name.strip()]
    certs += [c for c in view_certificates if c not in certs]
    if not listener.certificate_refs and not certs:
        shown = "".join(f", or tls.options[{k}]" for k in sorted(inputs.features.certificate_options))
        return [], Condition(
            "ResolvedRefs",
            "False",
            "InvalidCertificateRef",
            f"an HTTPS listener needs tls.certificateRefs{shown}",
        )
    for ref in listener.certificate_refs:
        secret = inputs.snapshot.secret(ref.namespace, ref.name)
        if secret is None or "tls.crt" not in secret.data or "tls.key" not in secret.data:
            return [], Condition(
                "ResolvedRefs",
                "False",
                "InvalidCertificateRef",
                f"Secret {ref.namespace}/{ref.name} must hold tls.crt and tls.key (type kubernetes.io/tls)",
            )
        digest = hashlib.sha256((secret.data["tls.crt"] + "\0" + secret.data["tls.key"]).encode()).hexdigest()
        hosts = [listener.hostname] if listener.hostname else []
        certs.append(TLSCertificate("secret", f"{ref.namespace}/{ref.name}", hosts, digest[:16]))
    return certs, None


# --------------------------------------------------------------------------- routes


def _attachments(gateway: Gateway, inputs: _Inputs) -> dict[tuple[str, str], tuple[Route, list[Attachment]]]:
    """Each route naming the Gateway (by kind and key), with its outcome on every parentRef that does."""
    out: dict[tuple[str, str], tuple[Route, list[Attachment]]] = {}
    here = (gateway.namespace, gateway.name)
    for route in inputs.routes:
        for parent in route.parent_refs:
            if is_gateway_ref(parent) and (parent.namespace, parent.name) == here:
                found = out.setdefault((route.kind, route.key), (route, []))
                found[1].append(attach(route, parent, gateway, inputs.labels))
    return out


@dataclass
class _RuleOutcome:
    """One route rule on this cloud: what its spec rules carry, or why it is not routed (`refused`)."""

    rule: Rule
    refused: str | None = None  # the message naming the field
    action: Action | None = None
    rewrite_path_prefix: str | None = None
    full_path_rewrite: str | None = None
    host_rewrite: str | None = None
    request_headers: HeaderEdit | None = None
    response_headers: HeaderEdit | None = None
    timeout_seconds: float | None = None
    unresolved: Condition | None = None  # the first backendRef that cannot be used
    problems: list[Problem] = field(default_factory=list)
    extension: RuleExtension | None = None  # an ExtensionRef filter's additions


def _route_rules(
    gateway: Gateway,
    route: Route,
    parsed: ParsedAnnotations,
    backends: dict[str, Backend],
    inputs: _Inputs,
    policies: ServicePolicies,
) -> dict[int, _RuleOutcome]:
    subject = ObjectRef(route.kind, route.namespace, route.name)
    stand_in = _stand_in(gateway, "grpc" if route.kind == GRPC_KIND else gateway.name)
    auths: dict[str, Authentication | None] = {}

    def unused(*_: Any) -> str:
        raise AssertionError("route backends are resolved directly")

    member = MemberInput(stand_in, parsed, inputs.snapshot, unused, subject, policies)
    out = {}
    for rule in route.rules:
        result = _RuleOutcome(rule)
        where = f"spec.rules[{rule.index}]"
        refusal = inputs.cloud_refused.get((str(subject), rule.index))
        if refusal is None:
            refusal = _filters(route, rule, where, inputs, result)
        if refusal is None:
            refusal = _unsupported_matches(route, rule, where, inputs.features)
        if refusal is not None:
            result.refused = refusal
            field_path, _, message = refusal.partition(": ")
            result.problems.append(
                Problem(
                    Severity.ERROR,
                    str(subject),
                    field_path,
                    f"{message}; the rule is not routed",
                    route.source,
                )
            )
        elif result.action is None:
            result.action = _forward(route, rule, where, member, backends, auths, inputs, result)
            if result.extension is not None and result.action.type == "forward":
                result.action.stickiness = result.extension.stickiness
        out[rule.index] = result
    return out


def _header_edit(raw: Any) -> HeaderEdit:
    config = raw if isinstance(raw, Mapping) else {}
    return HeaderEdit(
        {str(h["name"]): str(h["value"]) for h in config.get("set") or []},
        {str(h["name"]): str(h["value"]) for h in config.get("add") or []},
        [str(n) for n in config.get("remove") or []],
    )


def _filters(route: Route, rule: Rule, where: str, inputs: _Inputs, result: _RuleOutcome) -> str | None:
    """Apply the rule's filters to `result`; the message naming what the cloud cannot honour, if any."""
    features = inputs.features
    prefix_only = all(
        isinstance(m, HTTPMatch) and m.path is not None and m.path.type == "PathPrefix" for m in rule.matches
    )
    for i, item in enumerate(rule.filters):
        kind = str(item["type"])
        here = f"{where}.filters[{i}]"
        if kind not in features.filters:
            return f"{here}: filter {kind} is not supported on this cloud (supported: {', '.join(sorted(features.filters))})"
        config_key = kind[0].lower() + kind[1:]
        if kind == "URLRewrite":
            config_key = "urlRewrite"
        elif kind == "ExtensionRef":
            config_key = "extensionRef"
        config = item.get(config_key)
        if not isinstance(config, Mapping):
            return f"{here}.{config_key}: Required value for a {kind} filter"
        if kind == "ExtensionRef":
            refusal = _extension(route, config, f"{here}.{config_key}", inputs, result)
            if refusal is not None:
                return refusal
            continue
        if kind in ("RequestHeaderModifier", "ResponseHeaderModifier"):
            edit = _header_edit(config)
            if kind == "RequestHeaderModifier":
                result.request_headers = edit
            else:
                result.response_headers = edit
            continue
        path = config.get("path") if isinstance(config.get("path"), Mapping) else None
        full = prefix = None
        if path is not None:
            if path.get("type") == "ReplaceFullPath":
                full = str(path.get("replaceFullPath") or "/")
            elif path.get("type") == "ReplacePrefixMatch":
                prefix = str(path.get("replacePrefixMatch") or "/")
                if not prefix_only:
                    return f"{here}.{config_key}.path: ReplacePrefixMatch needs PathPrefix matches only"
            else:
                return f"{here}.{config_key}.path.type: expected ReplaceFullPath or ReplacePrefixMatch"
        if kind == "URLRewrite":
            result.host_rewrite = config.get("hostname")
            result.full_path_rewrite = full
            result.rewrite_path_prefix = prefix
            continue
        code = config.get("statusCode", 302)
        if code not in features.redirect_codes:
            shown = ", ".join(str(c) for c in sorted(features.redirect_codes))
            return f"{here}.requestRedirect.statusCode: {code} is not supported on this cloud (supported: {shown})"
        if prefix is not None and not features.redirect_prefix:
            return (
                f"{here}.requestRedirect.path: ReplacePrefixMatch redirects are not supported on this cloud"
            )
        scheme = config.get("scheme")
        port = config.get("port")
        if port is None and scheme is not None:
            port = _WELL_KNOWN_PORTS.get(str(scheme).lower())
        result.action = Action(
            "redirect",
            redirect=Redirect(
                f"HTTP_{code}",
                str(scheme).upper() if scheme else None,
                str(port) if port is not None else None,
                config.get("hostname"),
                full,
                prefix_path=prefix,
            ),
        )
    extension = result.extension
    if extension is not None and extension.redirect_query is not None:
        if result.action is None or result.action.redirect is None:
            return (
                f"{where}.filters: a ListenerRuleConfiguration redirectConfig needs a RequestRedirect filter"
            )
        result.action.redirect.query = extension.redirect_query
    if extension is not None and extension.fixed_response is not None:
        result.action = Action("fixed-response", fixed_response=extension.fixed_response)
    timeouts = rule.timeouts
    if "backendRequest" in timeouts:
        return f"{where}.timeouts.backendRequest: not supported on this cloud"
    if "request" in timeouts:
        if not features.request_timeout:
            return f"{where}.timeouts.request: request timeouts are not supported on this cloud"
        seconds = duration_seconds(timeouts["request"])
        result.timeout_seconds = seconds or None  # 0s: no timeout
    return None


def _extension(
    route: Route, ref: Mapping[str, Any], where: str, inputs: _Inputs, result: _RuleOutcome
) -> str | None:
    """An ExtensionRef filter (the cloud's rule configuration): its additions on `result`, or the refusal. One
    whose object is missing makes the rule answer 500, as the spec has it for a filter that does not resolve."""
    reader = inputs.features.policies
    if reader is None:
        return f"{where}: ExtensionRef filters are not supported on this cloud"
    if result.extension is not None:
        return f"{where}: one ExtensionRef filter per rule"
    try:
        result.extension = reader.rule_extension(route.namespace, ref, inputs.snapshot)
    except ExtensionError as err:
        if not err.missing:
            return f"{where}: {err.field}: {err.message}"
        result.action = Action("fixed-response", fixed_response=FixedResponse("500"))
        result.unresolved = Condition("ResolvedRefs", "False", "InvalidKind", f"{where}: {err.message}")
        result.problems.append(
            Problem(
                Severity.ERROR,
                f"{route.kind} {route.key}",
                where,
                f"{err.message}; the rule answers 500",
                route.source,
            )
        )
    return None


def _unsupported_matches(route: Route, rule: Rule, where: str, features: GatewayFeatures) -> str | None:
    for i, match in enumerate(rule.matches):
        if not features.regex_matches:
            refusal = _regex_match(match, f"{where}.matches[{i}]")
            if refusal is not None:
                return refusal
        if isinstance(match, HTTPMatch):
            for j, query in enumerate(match.query_params):
                if query.type == "RegularExpression" and not features.regex_query:
                    return (
                        f"{where}.matches[{i}].queryParams[{j}].type: RegularExpression query matches are not "
                        "supported on this cloud"
                    )
    return None


def _regex_match(match: HTTPMatch | GRPCMatch, where: str) -> str | None:
    """The field of a match that needs a regular expression, for a cloud without them."""
    if isinstance(match, GRPCMatch):
        if match.type == "RegularExpression" and (match.service or match.method):
            return f"{where}.method.type: RegularExpression method matches are not supported on this cloud"
        if match.type == "Exact" and (match.service is None) != (match.method is None):
            return (
                f"{where}.method: a service or a method alone is not supported on this cloud (match both, or "
                "neither)"
            )
    elif match.path is not None and match.path.type == "RegularExpression":
        return f"{where}.path.type: RegularExpression path matches are not supported on this cloud"
    for j, header in enumerate(match.headers):
        if header.type == "RegularExpression":
            return (
                f"{where}.headers[{j}].type: RegularExpression header matches are not supported on this cloud"
            )
    return None


def _forward(
    route: Route,
    rule: Rule,
    where: str,
    member: MemberInput,
    backends: dict[str, Backend],
    auths: dict[str, Authentication | None],
    inputs: _Inputs,
    result: _RuleOutcome,
) -> Action:
    """The rule's weighted forward, or a 500 when it has no usable backend (or any backendRef fails)."""
    targets: list[WeightedTarget] = []
    broken = False
    for j, ref in enumerate(rule.backend_refs):
        here = f"{where}.backendRefs[{j}]"
        problem = backend_problem(route, ref, inputs.grants, inputs.services)
        key = None
        if problem is not None:
            message = f"{problem.reason}: {problem.message}; the rule answers 500"
            result.problems.append(Problem(Severity.ERROR, str(member.subject), here, message, route.source))
        else:
            key, problem = _resolve(ref, here, member, backends, auths, inputs, result)
        if problem is not None:
            result.unresolved = result.unresolved or problem
            broken = broken or ref.weight > 0
            continue
        if ref.weight > 0 and key is not None:
            targets.append(WeightedTarget(backend_key=key, weight=ref.weight))
    if broken or not targets:
        return Action("fixed-response", fixed_response=FixedResponse("500"))
    return Action("forward", forward=targets)


def _resolve(
    ref: BackendRef,
    where: str,
    member: MemberInput,
    backends: dict[str, Backend],
    auths: dict[str, Authentication | None],
    inputs: _Inputs,
    result: _RuleOutcome,
) -> tuple[str | None, Condition | None]:
    assert ref.port is not None  # the schema requires it for Services
    try:
        key = service_backend(
            member, ref.name, ref.port, where, inputs.config, backends, auths, ref.namespace
        )
        if auths.get(key) is not None:
            raise member.fail(
                where,
                f"Service {ref.namespace}/{ref.name} asks for authentication (auth-* annotations), which "
                "lbctl does not apply to Gateway API routes; remove them",
            )
    except SpecError as err:
        result.problems.append(err.problem)
        reason = "BackendNotFound" if "has no port" in err.problem.message else "UnsupportedValue"
        return None, Condition("ResolvedRefs", "False", reason, f"{where}: {err.problem.message}")
    features = inputs.features
    backend = backends[key]
    if member.ingress.name == "grpc" and features.grpc_protocol and backend.protocol == "HTTP":
        backend.protocol = features.grpc_protocol
        if backend.health_check.protocol == "HTTP":
            backend.health_check.protocol = features.grpc_protocol
    return key, None


def _parent_entries(
    route: Route, attachments: list[Attachment], rules: Mapping[int, _RuleOutcome], inputs: _Inputs
) -> list[dict[str, Any]]:
    """This controller's status.parents entries of the route for one Gateway."""
    refused = [r for r in rules.values() if r.refused is not None]
    unresolved = next((r.unresolved for r in rules.values() if r.unresolved is not None), None)
    resolved = unresolved or Condition("ResolvedRefs", "True", "ResolvedRefs")
    out = []
    for attachment in attachments:
        conditions = [attachment.accepted]
        if attachment.attached and refused:
            messages = "; ".join(str(r.refused) for r in refused)
            if len(refused) == len(rules):
                conditions = [Condition("Accepted", "False", "UnsupportedValue", messages)]
            else:
                dropped = ", ".join(str(r.rule.index) for r in refused)
                conditions.append(
                    Condition(
                        "PartiallyInvalid",
                        "True",
                        "UnsupportedValue",
                        f"Dropped Rule(s) {dropped}: {messages}",
                    )
                )
        conditions.insert(1, resolved)
        out.append(
            {
                "parentRef": parent_ref_dict(attachment.parent),
                "controllerName": inputs.features.controller_name,
                "conditions": [c.as_dict(route.generation) for c in conditions],
            }
        )
    return out


# --------------------------------------------------------------------------- spec rules


def _merge_backends(
    backends: dict[str, Backend], grpc_backends: dict[str, Backend], features: GatewayFeatures
) -> dict[str, str]:
    """gRPC backends join the HTTP ones; one that differs from an HTTP backend of the same Service port gets
    its own key. Returns the renames (old key → new)."""
    renames = {}
    for key in list(grpc_backends):
        backend = grpc_backends[key]
        if key in backends and backends[key] != backend:
            renamed = f"{key.split('@')[0]}@grpc"
            backend.key = renamed
            renames[key] = renamed
            del grpc_backends[key]
            grpc_backends[renamed] = backend
    return renames


def _sort_key(entry: Entry) -> tuple[object, ...]:
    """Hostname first, then gRPC matches before HTTP matches of that hostname, then the route precedence."""
    key = precedence_key(entry)
    return (key[0], 0 if entry.route.kind == GRPC_KIND else 1, *key[1:])


def _claimed(hostname: str | None, listener: Listener, others: Iterable[Listener]) -> bool:
    """Whether a request for `hostname` is matched to another, more specific listener on the port."""
    if hostname is None:
        return False
    for other in others:
        if other is listener or other.hostname is None:
            continue
        broader = listener.hostname is None or (
            listener.hostname != other.hostname
            and intersect(listener.hostname, other.hostname) == other.hostname
        )
        if broader and intersect(other.hostname, hostname) == hostname:
            return True
    return False


def _spec_rules(
    gateway: Gateway,
    served: list[Listener],
    attachments: Mapping[tuple[str, str], tuple[Route, list[Attachment]]],
    routed: Mapping[tuple[str, str], Mapping[int, _RuleOutcome]],
    renames: Mapping[str, str],
) -> list[SpecRule]:
    ordered: list[tuple[tuple[object, ...], tuple[object, ...], SpecRule]] = []
    by_identity: dict[tuple[object, ...], SpecRule] = {}
    identity: tuple[object, ...]
    pairs = [(route, att) for route, atts in attachments.values() for att in atts if att.attached]
    for listener in served:
        same_port = [other for other in served if other.port == listener.port]
        entries = route_table(pairs, listener, HTTP_KIND) + route_table(pairs, listener, GRPC_KIND)
        for entry in entries:
            outcome = routed[(entry.route.kind, entry.route.key)][entry.rule.index]
            if outcome.refused is not None or _claimed(entry.hostname, listener, same_port):
                continue
            identity = (
                entry.route.kind,
                entry.route.key,
                entry.rule.index,
                entry.match_index,
                entry.hostname,
            )
            if identity in by_identity:
                if listener.port not in by_identity[identity].listen_ports:
                    by_identity[identity].listen_ports.append(listener.port)
                continue
            rule = _spec_rule(entry, outcome, listener.port, renames if entry.route.kind == GRPC_KIND else {})
            by_identity[identity] = rule
            ordered.append((_sort_key(entry), identity, rule))
        if listener.hostname is not None and any(
            other is not listener and _claimed(listener.hostname, other, same_port) for other in same_port
        ):
            identity = ("Gateway", gateway.key, listener.name, 0, listener.hostname)
            index = gateway.listeners.index(listener)
            rule = SpecRule(
                SourceRef(gateway.key, f"spec.listeners[{index}]", "Gateway"),
                listener.hostname,
                None,
                Action("fixed-response", fixed_response=FixedResponse("404")),
                listen_ports=[listener.port],
            )
            key = (
                precedence_key(Entry(_NO_ROUTE, _NO_RULE, 0, HTTPMatch(path=None), listener.hostname))[0],
                2,
            )
            ordered.append((key, identity, rule))
    ordered.sort(key=lambda item: item[0])
    for _, _, rule in ordered:
        rule.listen_ports.sort()
    return [rule for _, _, rule in ordered]


_NO_RULE = Rule(0, (HTTPMatch(),), ())
_NO_ROUTE = Route(HTTP_KIND, "", "", (), (), (_NO_RULE,))


def _path(match: HTTPMatch | GRPCMatch) -> PathMatch | None:
    if isinstance(match, GRPCMatch):
        if match.service is None and match.method is None:
            return None
        if match.type == "Exact" and match.service and match.method:
            path = f"/{match.service}/{match.method}"
            if not _WILDCARD_CHARS.search(path):
                return PathMatch(PathType.EXACT, path)
        if match.type == "Exact":
            service = re.escape(match.service) if match.service else "[^/]+"
            method = re.escape(match.method) if match.method else "[^/]+"
        else:
            service = f"(?:{match.service})" if match.service else "[^/]+"
            method = f"(?:{match.method})" if match.method else "[^/]+"
        return PathMatch(PathType.IMPLEMENTATION_SPECIFIC, f"^/{service}/{method}$", regex=True)
    if match.path is None:
        return None
    value = match.path.value
    if match.path.type == "RegularExpression":
        return PathMatch(PathType.IMPLEMENTATION_SPECIFIC, f"^(?:{value})$", regex=True)
    if match.path.type == "Exact":
        if _WILDCARD_CHARS.search(value):  # the clouds' path values read '*' and '?' as wildcards
            return PathMatch(PathType.IMPLEMENTATION_SPECIFIC, f"^{re.escape(value)}$", regex=True)
        return PathMatch(PathType.EXACT, value)
    if _WILDCARD_CHARS.search(value):
        base = value.rstrip("/")
        return PathMatch(PathType.IMPLEMENTATION_SPECIFIC, f"^{re.escape(base)}(/.*)?$", regex=True)
    return PathMatch(PathType.PREFIX, value)


def _query_value(value: str) -> str:
    """A literal query value in the wildcard syntax of query-string conditions ('*', '?' escaped)."""
    return re.sub(r"([*?\\])", r"\\\1", value)


def _conditions(match: HTTPMatch | GRPCMatch) -> list[SpecCondition]:
    out: list[SpecCondition] = []
    method = "POST" if isinstance(match, GRPCMatch) else match.method
    if method is not None:
        out.append(SpecCondition("http-request-method", [method]))
    for header in match.headers:
        if header.type == "RegularExpression":
            out.append(
                SpecCondition("http-header", [f"^(?:{header.value})$"], header_name=header.name, regex=True)
            )
        elif _WILDCARD_CHARS.search(header.value):
            out.append(
                SpecCondition(
                    "http-header", [f"^{re.escape(header.value)}$"], header_name=header.name, regex=True
                )
            )
        else:
            out.append(SpecCondition("http-header", [header.value], header_name=header.name))
    if isinstance(match, HTTPMatch):
        for query in match.query_params:
            regex = query.type == "RegularExpression"
            value = f"^(?:{query.value})$" if regex else _query_value(query.value)
            out.append(
                SpecCondition("query-string", [], query=[{"key": query.name, "value": value}], regex=regex)
            )
    return out


def _spec_rule(entry: Entry, outcome: _RuleOutcome, port: int, renames: Mapping[str, str]) -> SpecRule:
    assert outcome.action is not None
    action = Action(
        outcome.action.type,
        forward=[
            WeightedTarget(backend_key=renames.get(t.backend_key or "", t.backend_key), weight=t.weight)
            for t in outcome.action.forward
        ],
        stickiness=outcome.action.stickiness,
        redirect=outcome.action.redirect,
        fixed_response=outcome.action.fixed_response,
    )
    where = f"spec.rules[{entry.rule.index}].matches[{entry.match_index}]"
    extra = outcome.extension
    conditions = _conditions(entry.match)
    if extra is not None and (extra.match_indexes is None or entry.match_index in extra.match_indexes):
        conditions += extra.conditions
    return SpecRule(
        source=SourceRef(entry.route.key, where, entry.route.kind),
        host=entry.hostname,
        path=_path(entry.match),
        action=action,
        conditions=conditions,
        listen_ports=[port],
        rewrite_path_prefix=outcome.rewrite_path_prefix,
        full_path_rewrite=outcome.full_path_rewrite,
        host_rewrite=outcome.host_rewrite,
        request_headers=outcome.request_headers,
        response_headers=outcome.response_headers,
        timeout_seconds=outcome.timeout_seconds,
    )


def _assumption_warnings(spec: LoadBalancerSpec, gateway: Gateway) -> list[Problem]:
    """One warning per backend Service not in the files (offline commands), on the first rule using it."""
    out = []
    for key, backend in spec.backends.items():
        if "service" not in backend.assumed or key == spec.cluster_default:
            continue  # the cluster default backend belongs to the cluster, not the files: the plan notes it
        rule = next((r for r in spec.rules if key in r.action.backend_keys()), None)
        subject = f"{rule.source.kind} {rule.source.ingress}" if rule else f"Gateway {gateway.key}"
        out.append(
            Problem(
                Severity.WARNING,
                subject,
                rule.source.field if rule else "spec",
                f"Service {backend.namespace}/{backend.service} is not in the files: its port and targets "
                "are assumed",
                gateway.source,
            )
        )
    return out


__all__ = [
    "GATEWAY_PREFIX",
    "GatewayBuild",
    "GatewayOutcome",
    "build_gateways",
    "gateway_stack",
    "is_gateway_stack",
]
