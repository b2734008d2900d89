"""The cluster snapshot: every object the model needs, as plain data, indexed by namespace/name.

Gateway API objects (GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant; model/gateway.py) are kept
parsed in `gateway_api`, keyed `"<Kind>:<namespace>/<name>"` (`"GatewayClass:<name>"`: cluster-scoped), whether
read from files or listed from the cluster as custom objects; an object the schema refuses is a SpecError naming
its field, as for every other kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from lbctl.model import gateway as gw
from lbctl.model import kinds
from lbctl.model import objects as o
from lbctl.model.problems import Problem, Severity, SpecError

if TYPE_CHECKING:  # loaded with the first TargetGroupBinding (its dataclasses cost start-up time)
    from lbctl.model.bindings import TargetGroupBinding

BACKEND_CONFIG = kinds.BACKEND_CONFIG.kind
FRONTEND_CONFIG = kinds.FRONTEND_CONFIG.kind
MANAGED_CERTIFICATE = kinds.MANAGED_CERTIFICATE.kind
CUSTOM_KINDS = tuple(k.kind for k in kinds.CUSTOM_KINDS)
POLICY_KINDS = tuple(k.kind for k in kinds.POLICY_KINDS)
# Workloads whose pod template stands in for their pods in manifest files: what a Service's pods will look
# like (labels, ports, readinessProbe, from which Google Cloud health checks follow) before the cluster runs them.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
# What manifest files may hold: the kinds lbctl reads from a cluster, legacy Endpoints and workloads.
FILE_ONLY_KINDS = ("Endpoints", *WORKLOAD_KINDS)
GATEWAY_KINDS = tuple(k.kind for k in kinds.GATEWAY_KINDS)
SUPPORTED_KINDS = (
    tuple(k.kind for k in kinds.KNOWN_KINDS if not k.custom)
    + FILE_ONLY_KINDS
    + CUSTOM_KINDS
    + GATEWAY_KINDS
    + POLICY_KINDS
)


GatewayT = TypeVar("GatewayT", gw.GatewayClass, gw.Gateway, gw.Route, gw.ReferenceGrant)
Slices = dict[tuple[str, str], list[o.EndpointSlice]]  # (namespace, Service) → its EndpointSlices
Pods = dict[str, list[o.Pod]]  # namespace → its Pods


class _Index:
    """EndpointSlices by Service and Pods by namespace, made on first use and dropped by `put`: a reconcile
    then looks up its own Services instead of scanning every slice and pod of the cluster. Shared by the
    copies `dataclasses.replace` makes of a snapshot (they hold the same slice and pod dicts); `built` says
    which dicts (id, size) it was made of, and is set in one assignment so a concurrent reader sees a whole
    index."""

    def __init__(self) -> None:
        self.built: tuple[tuple[int, int, int, int], Slices, Pods] | None = None


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
    namespaces: dict[str, o.Namespace] = field(default_factory=dict)
    custom: dict[str, o.CustomObject] = field(default_factory=dict)  # "Kind:ns/name"
    bindings: dict[str, TargetGroupBinding] = field(default_factory=dict)  # TargetGroupBindings
    gateway_api: dict[str, gw.GatewayObject] = field(
        default_factory=dict
    )  # "Kind:ns/name", "GatewayClass:name"
    # the `gateway.networking.k8s.io/bundle-version` of the installed Gateway API CRDs (None: not known)
    gateway_api_version: str | None = None
    _index: _Index = field(default_factory=_Index, compare=False, repr=False)

    def service(self, namespace: str, name: str) -> o.Service | None:
        return self.services.get(f"{namespace}/{name}")

    def secret(self, namespace: str, name: str) -> o.Secret | None:
        return self.secrets.get(f"{namespace}/{name}")

    def custom_object(self, kind: str, namespace: str, name: str) -> o.CustomObject | None:
        return self.custom.get(f"{kind}:{namespace}/{name}")

    def gateway_objects(self, kind: type[GatewayT]) -> list[GatewayT]:
        """The Gateway API objects of one parsed type (gw.Gateway, gw.Route …), by key."""
        return [v for _, v in sorted(self.gateway_api.items()) if isinstance(v, kind)]

    def slices_of(self, namespace: str, service_name: str) -> list[o.EndpointSlice]:
        return list(self._indexed()[0].get((namespace, service_name), ()))

    def pods_selected(self, namespace: str, selector: Mapping[str, str]) -> list[o.Pod]:
        if not selector:
            return []
        return [
            p
            for p in self._indexed()[1].get(namespace, ())
            if all(p.labels.get(k) == v for k, v in selector.items())
        ]

    def _indexed(self) -> tuple[Slices, Pods]:
        made_of = (id(self.endpoint_slices), id(self.pods), len(self.endpoint_slices), len(self.pods))
        built = self._index.built
        if built is None or built[0] != made_of:
            slices: Slices = {}
            for item in self.endpoint_slices.values():
                slices.setdefault((item.namespace, item.service_name), []).append(item)
            pods: Pods = {}
            for pod in self.pods.values():
                pods.setdefault(pod.namespace, []).append(pod)
            built = (made_of, slices, pods)
            self._index.built = built
        return built[1], built[2]

    def add(self, obj: Mapping[str, Any], source: str = "") -> None:
        """Parse one API/manifest dict and store it; raises SpecError naming the bad field."""
        for parsed in parse_object(obj, source):
            self.put(parsed)

    def put(self, parsed: Any) -> None:
        """Store an already parsed object under its kind's index."""
        if isinstance(parsed, o.EndpointSlice | o.Pod):
            self._index.built = None  # also for the copies that share these dicts
        if isinstance(parsed, o.Ingress):
            self.ingresses[parsed.ref.key] = parsed
        elif isinstance(parsed, o.Service):
            self.services[parsed.ref.key] = parsed
        elif isinstance(parsed, o.EndpointSlice):
            self.endpoint_slices[f"{parsed.namespace}/{parsed.name}"] = parsed
        elif isinstance(parsed, o.Node):
            self.nodes[parsed.name] = parsed
        elif isinstance(parsed, o.Pod):
            self.pods[f"{parsed.namespace}/{parsed.name}"] = parsed
        elif isinstance(parsed, o.Secret):
            self.secrets[f"{parsed.namespace}/{parsed.name}"] = parsed
        elif isinstance(parsed, o.IngressClass):
            self.ingress_classes[parsed.name] = parsed
        elif isinstance(parsed, o.Namespace):
            self.namespaces[parsed.name] = parsed
        elif isinstance(parsed, gw.GatewayObject):
            self.gateway_api[gateway_key(parsed)] = parsed
        elif isinstance(parsed, o.CustomObject):
            self.custom[f"{parsed.kind}:{parsed.namespace}/{parsed.name}"] = parsed
        else:
            from lbctl.model.bindings import TargetGroupBinding

            if not isinstance(parsed, TargetGroupBinding):
                raise TypeError(f"cannot store {type(parsed).__name__} in a snapshot")
            self.bindings[parsed.key] = parsed

    @classmethod
    def from_objects(cls, items: Iterable[Mapping[str, Any]]) -> ClusterSnapshot:
        snapshot = cls()
        for item in items:
            snapshot.add(item)
        return snapshot


_PARSERS = {
    kinds.INGRESS.kind: o.parse_ingress,
    kinds.SERVICE.kind: o.parse_service,
    kinds.ENDPOINT_SLICE.kind: o.parse_endpoint_slice,
    kinds.NODE.kind: o.parse_node,
    kinds.POD.kind: o.parse_pod,
    kinds.SECRET.kind: o.parse_secret,
    kinds.INGRESS_CLASS.kind: o.parse_ingress_class,
    kinds.NAMESPACE.kind: o.parse_namespace,
    **{kind: o.parse_custom_object for kind in CUSTOM_KINDS + POLICY_KINDS},
    kinds.TARGET_GROUP_BINDING.kind: lambda obj, source="": _parse_binding(obj, source),
    **{kind: lambda obj, source="": parse_gateway_object(obj, source) for kind in GATEWAY_KINDS},
}


def gateway_key(parsed: gw.GatewayObject) -> str:
    """The snapshot key of a Gateway API object: "Gateway:ns/name", "HTTPRoute:ns/name", "GatewayClass:name"."""
    if isinstance(parsed, gw.GatewayClass):
        return f"GatewayClass:{parsed.name}"
    kind = parsed.kind if isinstance(parsed, gw.Route) else type(parsed).__name__
    return f"{kind}:{parsed.namespace}/{parsed.name}"


def parse_gateway_object(obj: Mapping[str, Any], source: str = "") -> gw.GatewayObject:
    """A Gateway API object, parsed; SpecError naming the field the schema refuses."""
    try:
        return gw.parse(obj, source)
    except gw.GatewayApiError as err:
        meta = _mapping(obj.get("metadata"))
        kind = str(obj.get("kind"))
        name = str(meta.get("name") or "<unnamed>")
        who = name if kind == "GatewayClass" else f"{meta.get('namespace') or 'default'}/{name}"
        raise SpecError(Problem(Severity.ERROR, f"{kind} {who}", err.field, err.message, source)) from None


def _parse_binding(obj: Mapping[str, Any], source: str = "") -> TargetGroupBinding:
    from lbctl.model.bindings import parse_target_group_binding

    return parse_target_group_binding(obj, source)


def _mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is a mapping, else an empty one (a field of the wrong type reads as absent)."""
    return value if isinstance(value, Mapping) else {}


def template_pod(workload: Mapping[str, Any]) -> dict[str, Any]:
    """The pod a workload's template describes, not yet scheduled (no IP, not Ready), named after it."""
    meta = _mapping(workload.get("metadata"))
    spec = _mapping(workload.get("spec"))
    template = _mapping(spec.get("template"))
    template_meta = _mapping(template.get("metadata"))
    return {
        "metadata": {
            "name": f"{meta.get('name', '')}-template",
            "namespace": meta.get("namespace") or "default",
            "labels": template_meta.get("labels") or {},
        },
        "spec": template.get("spec") or {},
    }


def parse_object(obj: Mapping[str, Any], source: str = "") -> list[Any]:
    """The parsed form(s) of one API/manifest dict (legacy Endpoints become several slices)."""
    kind = obj.get("kind")
    if kind == "Endpoints":
        return list(o.endpoints_to_slices(obj, source))
    if kind in WORKLOAD_KINDS:
        return [o.parse_pod(template_pod(obj), f"{source} spec.template")]
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise SpecError(
            Problem(
                Severity.ERROR,
                str(kind),
                "kind",
                f"unsupported kind {kind!r}; expected one of {', '.join(SUPPORTED_KINDS)}",
                source,
            )
        )
    return [parser(obj, source)]
