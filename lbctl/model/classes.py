"""IngressClass selection: is this Ingress ours?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lbctl.model.annotations import INGRESS_CLASS
from lbctl.model.objects import Ingress, IngressClass

AWS_CONTROLLER = "ingress.k8s.aws/alb"
GCE_CONTROLLER = "k8s.io/ingress-gce"
# ingress-gce's regional Application Load Balancer classes: internal, and regional external
GCE_INTERNAL_CLASS = "gce-internal"
GCE_REGIONAL_EXTERNAL_CLASS = "gce-regional-external"
GCE_REGIONAL_CLASSES = (GCE_INTERNAL_CLASS, GCE_REGIONAL_EXTERNAL_CLASS)


@dataclass(frozen=True)
class ClassPolicy:
    """Which Ingresses a controller serves: its class names, its IngressClass controller string,
    and whether it also takes Ingresses with no class at all (ingress-gce does, the ALB one does not)."""

    class_names: tuple[str, ...]
    controller: str
    claim_unclassed: bool

    @staticmethod
    def for_provider(provider: str, class_names: tuple[str, ...] | None = None) -> ClassPolicy:
        if provider == "aws":
            return ClassPolicy(class_names or ("alb",), AWS_CONTROLLER, claim_unclassed=False)
        if provider == "gcp":
            return ClassPolicy(
                class_names or ("gce", *GCE_REGIONAL_CLASSES), GCE_CONTROLLER, claim_unclassed=True
            )
        raise ValueError(f"unknown provider {provider!r}; expected aws or gcp")


def is_ours(ingress: Ingress, classes: Mapping[str, IngressClass], policy: ClassPolicy) -> bool:
    """Decide by, in order: the legacy class annotation, spec.ingressClassName, the default IngressClass."""
    annotated = ingress.annotations.get(INGRESS_CLASS)
    if annotated:
        return _class_is_ours(annotated.strip(), classes, policy)
    if ingress.class_name:
        return _class_is_ours(ingress.class_name, classes, policy)
    defaults = [c for c in classes.values() if c.is_default]
    if defaults:
        return any(c.controller == policy.controller for c in defaults)
    return policy.claim_unclassed


def _class_is_ours(name: str, classes: Mapping[str, IngressClass], policy: ClassPolicy) -> bool:
    ingress_class = classes.get(name)
    if ingress_class is not None:
        return ingress_class.controller == policy.controller
    return name in policy.class_names
