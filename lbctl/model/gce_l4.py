"""Google Cloud passthrough load balancer semantics of a Service (ingress-gce's L4 controllers): which
Services are ours and the settings their annotations resolve to. `networking.gke.io/load-balancer-type:
Internal` (or the legacy `cloud.google.com/load-balancer-type`, or the class `l4-regional-internal`) makes an
internal passthrough load balancer; `cloud.google.com/l4-rbs: enabled` (or `l4-regional-external`, or an
unclassed Service claimed with the controller flag) an external one with a regional backend service. An
internal-only annotation on an external Service is refused by name (it would be silently ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lbctl.model import annotations as a
from lbctl.model.gce_negs import NEG_KEYS, StandaloneNeg, exposes_negs, standalone_negs
from lbctl.model.l4_profile import L4Resolved
from lbctl.model.objects import Service
from lbctl.model.problems import Problem, Severity
from lbctl.model.registry import ParsedAnnotations

# GKE's own classes (spec.loadBalancerClass), served by its L4 controllers.
INTERNAL_CLASS = "networking.gke.io/l4-regional-internal"
EXTERNAL_CLASS = "networking.gke.io/l4-regional-external"
GKE_CLASSES = (INTERNAL_CLASS, EXTERNAL_CLASS)


@dataclass(frozen=True)
class GceL4Settings:
    """What the GKE profile resolved; the Google Cloud provider reads these and nothing else of the
    annotations. `subnet`: the internal address's subnet (None: the cluster's)."""

    internal: bool
    subnet: str | None = None
    global_access: bool = False


def _internal_annotation(notes: Mapping[str, str]) -> bool:
    return notes.get(a.GKE_LB_TYPE) == "Internal" or notes.get(a.GKE_LEGACY_LB_TYPE) in (
        "Internal",
        "internal",
    )


class GceL4Profile:
    name = "gcp"
    own_keys = NEG_KEYS

    def exposes_negs(self, service: Service) -> bool:
        return exposes_negs(service)

    def standalone_negs(self, service: Service) -> tuple[tuple[StandaloneNeg, ...], list[Problem]]:
        return standalone_negs(service)

    def claims(self, service: Service, claim_unclassed: bool) -> bool:
        """By GKE class, else by the annotations that select ingress-gce's L4 controllers."""
        if service.load_balancer_class is not None:
            return service.load_balancer_class in GKE_CLASSES
        notes = service.annotations
        if _internal_annotation(notes):
            return True
        return notes.get(a.GKE_RBS) == "enabled" or claim_unclassed

    def resolve(self, service: Service, parsed: ParsedAnnotations) -> L4Resolved:
        out = L4Resolved()
        if service.load_balancer_class is not None:
            internal = service.load_balancer_class == INTERNAL_CLASS
            out.fields["internal"] = "spec.loadBalancerClass"
        else:
            internal = parsed.get(a.GKE_LB_TYPE) == "Internal" or parsed.has(a.GKE_LEGACY_LB_TYPE)
            source = a.GKE_LB_TYPE if parsed.has(a.GKE_LB_TYPE) else a.GKE_LEGACY_LB_TYPE
            out.fields["internal"] = parsed.field_of(source)
        out.values["internal"] = internal
        subnet = parsed.get(a.GKE_ILB_SUBNET) if parsed.has(a.GKE_ILB_SUBNET) else None
        global_access = bool(parsed.get(a.GKE_GLOBAL_ACCESS)) if parsed.has(a.GKE_GLOBAL_ACCESS) else False
        if not internal:
            for key in (a.GKE_ILB_SUBNET, a.GKE_GLOBAL_ACCESS):
                if parsed.has(key):
                    out.problems.append(_refused(service, parsed.field_of(key), "external"))
        if internal and parsed.get(a.GKE_RBS) == "enabled":
            out.problems.append(_refused(service, parsed.field_of(a.GKE_RBS), "internal"))
        out.fields["cloud.subnet"] = parsed.field_of(a.GKE_ILB_SUBNET)
        out.fields["cloud.global_access"] = parsed.field_of(a.GKE_GLOBAL_ACCESS)
        out.cloud = GceL4Settings(internal, subnet, global_access)
        return out


def _refused(service: Service, where: str, kind: str) -> Problem:
    other = "an internal" if kind == "external" else "an external"
    return Problem(
        Severity.ERROR,
        f"Service {service.namespace}/{service.name}",
        where,
        f"applies only to {other} passthrough load balancer; this Service makes {kind} one: remove it",
        service.source,
    )
