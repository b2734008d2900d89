"""The cluster snapshot: every object the model needs, as plain data, indexed by namespace/name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model import objects as o
from lbctl.model.problems import Problem, Severity, SpecError

BACKEND_CONFIG = "BackendConfig"
FRONTEND_CONFIG = "FrontendConfig"
CUSTOM_KINDS = (BACKEND_CONFIG, FRONTEND_CONFIG)
SUPPORTED_KINDS = (
    "Ingress", "Service", "EndpointSlice", "Endpoints", "Node", "Pod", "Secret", "IngressClass", *CUSTOM_KINDS,
)  # fmt: skip


@dataclass
class ClusterSnapshot:
    """Ingresses and the objects they reference. Keys are `namespace/name` (`name` for cluster kinds)."""

    ingresses: dict[str, o.Ingress] = field(default_factory=dict)
    services: dict[str, o.Service] = field(default_factory=dict)
    endpoint_slices: dict[str, o.EndpointSlice] = field(default_factory=dict)
    nodes: dict[str, o.Node] = field(default_factory=dict)
    pods: dict[str, o.Pod] = field(default_factory=dict)
    secrets: dict[str, o.Secret] = field(default_factory=dict)
    ingress_classes: dict[str, o.IngressClass] = field(default_factory=dict)
    custom: dict[str, o.CustomObject] = field(default_factory=dict)  # "Kind:ns/name"

    def service(self, namespace: str, name: str) -> o.Service | None:
        return self.services.get(f"{namespace}/{name}")

    def secret(self, namespace: str, name: str) -> o.Secret | None:
        return self.secrets.get(f"{namespace}/{name}")

    def custom_object(self, kind: str, namespace: str, name: str) -> o.CustomObject | None:
        return self.custom.get(f"{kind}:{namespace}/{name}")

    def slices_of(self, namespace: str, service_name: str) -> list[o.EndpointSlice]:
        return [
            s for s in self.endpoint_slices.values() if s.namespace == namespace and s.service_name == service_name
        ]

    def pods_selected(self, namespace: str, selector: Mapping[str, str]) -> list[o.Pod]:
        if not selector:
            return []
        return [
            p
            for p in self.pods.values()
            if p.namespace == namespace and all(p.labels.get(k) == v for k, v in selector.items())
        ]

    def add(self, obj: Mapping[str, Any], source: str = "") -> None:
        """Parse one API/manifest dict and store it; raises SpecError naming the bad field."""
        kind = obj.get("kind")
        if kind == "Ingress":
            ing = o.parse_ingress(obj, source)
            self.ingresses[ing.ref.key] = ing
        elif kind == "Service":
            svc = o.parse_service(obj, source)
            self.services[svc.ref.key] = svc
        elif kind == "EndpointSlice":
            eps = o.parse_endpoint_slice(obj, source)
            self.endpoint_slices[f"{eps.namespace}/{eps.name}"] = eps
        elif kind == "Endpoints":
            for eps in o.endpoints_to_slices(obj, source):
                self.endpoint_slices[f"{eps.namespace}/{eps.name}"] = eps
        elif kind == "Node":
            node = o.parse_node(obj, source)
            self.nodes[node.name] = node
        elif kind == "Pod":
            pod = o.parse_pod(obj, source)
            self.pods[f"{pod.namespace}/{pod.name}"] = pod
        elif kind == "Secret":
            secret = o.parse_secret(obj, source)
            self.secrets[f"{secret.namespace}/{secret.name}"] = secret
        elif kind == "IngressClass":
            ing_class = o.parse_ingress_class(obj, source)
            self.ingress_classes[ing_class.name] = ing_class
        elif kind in CUSTOM_KINDS:
            custom = o.parse_custom_object(obj, source)
            self.custom[f"{custom.kind}:{custom.namespace}/{custom.name}"] = custom
        else:
            raise SpecError(
                Problem(
                    Severity.ERROR,
                    str(kind),
                    "kind",
                    f"unsupported kind {kind!r}; expected one of {', '.join(SUPPORTED_KINDS)}",
                    source,
                )
            )

    @classmethod
    def from_objects(cls, items: Iterable[Mapping[str, Any]]) -> ClusterSnapshot:
        snapshot = cls()
        for item in items:
            snapshot.add(item)
        return snapshot
