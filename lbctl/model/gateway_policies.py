"""The anchors' policy objects for Gateway API load balancers: what they are, which object each targets, and
what a cloud's reader of them hands the Gateway builder (model/gateway_build.py). Pure.

A cloud declares its reader in its GatewayFeatures (`policies`): aws-load-balancer-controller's
LoadBalancerConfiguration and TargetGroupConfiguration (model/alb_gateway_policies.py), GKE's HealthCheckPolicy,
GCPBackendPolicy and GCPGatewayPolicy (model/gce_gateway_policies.py). Each reader turns a policy's fields into
what the Ingress path already reads (annotation values, a BackendConfig-shaped spec), so parsing, validation and
defaults stay in one place, and every field it cannot honour is refused by name — never ignored.

Status: GKE's policies carry the Gateway API's PolicyAncestorStatus (`status.ancestors`: one entry per Gateway
the policy takes part in, with `Accepted` True/Accepted, False/Invalid, False/Conflicted or
False/TargetNotFound), written by the controller; aws-load-balancer-controller's kinds have no conditions in their
schema, so their refusals are in the Gateway's and the routes' statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from lbctl.model.gateway import Gateway, GatewayClass
from lbctl.model.gateway_attach import Condition
from lbctl.model.objects import CustomObject, Service
from lbctl.model.problems import SpecError
from lbctl.model.registry import ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import Condition as SpecCondition
from lbctl.model.spec import FixedResponse, Stickiness, TLSCertificate

Fail = Callable[[str, str], SpecError]


def policy_key(policy: CustomObject) -> str:
    return f"{policy.kind}:{policy.namespace}/{policy.name}"


def policy_name(policy: CustomObject) -> str:
    """How messages and Sources name a policy: "HealthCheckPolicy shop/cart"."""
    return f"{policy.kind} {policy.namespace}/{policy.name}"


@dataclass(frozen=True)
class BackendConfigOverlay:
    """A BackendConfig-shaped spec from policies (it wins over the Service's BackendConfig, key by key; a
    `healthCheck` replaces the BackendConfig's whole), and the policy field each top-level key came from."""

    spec: Mapping[str, Any]
    fields: Mapping[str, str]


class ServicePolicies(Protocol):
    """What policies say for the backends of one Gateway, per Service."""

    def annotations(self, service: Service, parsed: ParsedAnnotations, fail: Fail) -> ParsedAnnotations:
        """The Service's annotation values with the policies' on top (the policy field pinned as the source)."""
        ...

    def backend_config(self, service: Service, fail: Fail) -> BackendConfigOverlay | None: ...


class NoServicePolicies:
    def annotations(self, service: Service, parsed: ParsedAnnotations, fail: Fail) -> ParsedAnnotations:
        return parsed

    def backend_config(self, service: Service, fail: Fail) -> BackendConfigOverlay | None:
        return None


@dataclass
class GatewayPolicyView:
    """What the policies give one Gateway: load-balancer annotation values (each with the policy field it came
    from), a refusal of the whole Gateway (reason, field, message), an SSL policy for its HTTPS listeners, the
    per-Service settings, and the `Accepted` condition of each policy this Gateway reads."""

    annotations: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)
    refusal: tuple[str, str, str] | None = None
    ssl_policy: tuple[str, str] | None = None  # (the policy's name, the field it came from)
    services: ServicePolicies = field(default_factory=NoServicePolicies)
    accepted: dict[str, tuple[CustomObject, Condition]] = field(default_factory=dict)
    # certificates of the HTTPS listeners on a port (the cloud's own, by reference)
    certificates: dict[int, list[TLSCertificate]] = field(default_factory=dict)

    def report(self, policy: CustomObject, condition: Condition) -> None:
        """Record a policy's outcome for this Gateway; a refusal is kept over an acceptance."""
        key = policy_key(policy)
        if key not in self.accepted or condition.status == "False":
            self.accepted[key] = (policy, condition)


@dataclass
class RuleExtension:
    """What an `ExtensionRef` filter's object adds to a route rule: conditions (on the matches of
    `match_indexes`, None: all), a fixed response instead of its action, stickiness of its forward, the query
    of its redirect."""

    conditions: list[SpecCondition] = field(default_factory=list)
    match_indexes: frozenset[int] | None = None
    fixed_response: FixedResponse | None = None
    stickiness: Stickiness | None = None
    redirect_query: str | None = None


class PolicyFieldError(ValueError):
    """A policy field lbctl does not honour (the field path within the policy, and why)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ExtensionError(PolicyFieldError):
    """An `ExtensionRef` lbctl cannot apply: `missing` when its object is not there (the rule answers 500), else
    a field of it lbctl does not honour (`field`: the object and its field; the rule is not routed)."""

    def __init__(self, field: str, message: str, missing: bool = False) -> None:
        super().__init__(field, message)
        self.missing = missing


class GatewayPolicyReader(Protocol):
    """A cloud's reader of its policy kinds."""

    kinds: tuple[str, ...]  # the CustomObject kinds it reads (and the controller watches)
    status_kinds: tuple[str, ...]  # those whose status.ancestors lbctl writes
    # the (group, kind) a GatewayClass's parametersRef and a Gateway's infrastructure.parametersRef may name
    class_parameters: tuple[tuple[str, str], ...]

    def read(
        self, gateway: Gateway, gateway_class: GatewayClass, snapshot: ClusterSnapshot
    ) -> GatewayPolicyView: ...

    def rule_extension(
        self, namespace: str, ref: Mapping[str, Any], snapshot: ClusterSnapshot
    ) -> RuleExtension:
        """An `extensionRef` of a route rule in `namespace`; ExtensionError when it cannot be applied."""
        ...


ACCEPTED = Condition("Accepted", "True", "Accepted")


def of_kind(snapshot: ClusterSnapshot, kind: str, namespace: str | None = None) -> list[CustomObject]:
    """Every object of one policy kind (in one namespace), oldest first: where two target the same object, the
    older wins (creationTimestamp, then namespace and name), as the Gateway API's policy attachment says."""
    found = [
        o
        for o in snapshot.custom.values()
        if o.kind == kind and (namespace is None or o.namespace == namespace)
    ]
    return sorted(found, key=lambda o: (o.created or "~", o.namespace, o.name))


def targeting(
    policies: Iterable[CustomObject],
    ref_field: str,
    kind: str,
    name: str,
    groups: tuple[str, ...],
    default_kind: str | None = None,
) -> list[CustomObject]:
    """The policies whose `spec.<ref_field>` names the object (`kind` and `name`; the group one of `groups`,
    "" and absent alike for the core group), oldest first."""
    out = []
    for policy in policies:
        ref = policy.spec.get(ref_field)
        if not isinstance(ref, Mapping):
            continue
        ref_kind = ref.get("kind") or default_kind
        if ref_kind == kind and ref.get("name") == name and str(ref.get("group") or "") in groups:
            out.append(policy)
    return out


def conflicted(winner: CustomObject) -> Condition:
    return Condition(
        "Accepted",
        "False",
        "Conflicted",
        f"{policy_name(winner)} is older and targets the same object; this policy is not applied",
    )


def ancestor_status(
    entries: Mapping[str, Condition], controller_name: str, generation: int
) -> list[dict[str, Any]]:
    """A policy's `status.ancestors` entries of this controller: Gateway key ("ns/name") → its Accepted."""
    out = []
    for gateway, condition in sorted(entries.items()):
        namespace, _, name = gateway.partition("/")
        out.append(
            {
                "ancestorRef": {
                    "group": "gateway.networking.k8s.io",
                    "kind": "Gateway",
                    "namespace": namespace,
                    "name": name,
                },
                "controllerName": controller_name,
                "conditions": [condition.as_dict(generation)],
            }
        )
    return out


def merge_ancestors(
    previous: Iterable[Mapping[str, Any]], ours: list[dict[str, Any]], controller_name: str
) -> list[dict[str, Any]]:
    """`status.ancestors` with this controller's entries replaced by `ours` (others' kept, in their order)."""
    kept = [
        dict(e) for e in previous if isinstance(e, Mapping) and e.get("controllerName") != controller_name
    ]
    return kept + ours
