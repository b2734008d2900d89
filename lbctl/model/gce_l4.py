"""Google Cloud passthrough load balancer semantics of a Service (ingress-gce's L4 controllers): which
Services are ours. The settings (subnet, global access, backend-service based external LBs) are read by the
Google Cloud L4 provider's profile; until it lands, such Services are refused by name (never served
silently differently)."""

from __future__ import annotations

from lbctl.model import annotations as a
from lbctl.model.l4_profile import L4Resolved
from lbctl.model.objects import Service
from lbctl.model.problems import Problem, Severity
from lbctl.model.registry import ParsedAnnotations

# GKE's own classes (spec.loadBalancerClass), served by its L4 controllers.
GKE_CLASSES = ("networking.gke.io/l4-regional-internal", "networking.gke.io/l4-regional-external")


class GceL4Profile:
    name = "gcp"

    def claims(self, service: Service, claim_unclassed: bool) -> bool:
        """By GKE class, else by the annotations that select ingress-gce's L4 controllers."""
        if service.load_balancer_class is not None:
            return service.load_balancer_class in GKE_CLASSES
        notes = service.annotations
        if notes.get(a.GKE_LB_TYPE) == "Internal" or notes.get(a.GKE_LEGACY_LB_TYPE) in (
            "Internal",
            "internal",
        ):
            return True
        return notes.get(a.GKE_RBS) == "enabled" or claim_unclassed

    def resolve(self, service: Service, parsed: ParsedAnnotations) -> L4Resolved:
        out = L4Resolved()
        internal = parsed.get(a.GKE_LB_TYPE) == "Internal" or parsed.has(a.GKE_LEGACY_LB_TYPE)
        out.values["internal"] = internal
        out.problems.append(
            Problem(
                Severity.ERROR,
                f"Service {service.namespace}/{service.name}",
                "spec.type",
                "Google Cloud passthrough load balancers for Services are not supported by lbctl yet",
                service.source,
            )
        )
        return out
