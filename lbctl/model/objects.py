"""Plain, typed forms of the Kubernetes objects lbctl reads, parsed from API or manifest dicts.

Pure: no I/O. The same parsers serve the controller (API JSON) and file-based commands (YAML),
so the legacy Ingress forms (`extensions/v1beta1`, `networking.k8s.io/v1beta1`) are converted
here into the one internal Ingress form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.kinds import kind_named
from lbctl.model.kube_validation import label_problem, subdomain_problem
from lbctl.model.parsers import MAX_JSON_DEPTH, nesting_depth
from lbctl.model.problems import Problem, Severity, SpecError, shorten

LEGACY_INGRESS_VERSIONS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
MAX_ANNOTATIONS_BYTES = 256 * 1024  # the API server's limit on the total size of an object's annotations


@dataclass(frozen=True)
class ObjectRef:
    """kind + namespace/name of an object, used in problems, events and group membership."""

    kind: str
    namespace: str
    name: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


@dataclass(frozen=True)
class ServiceBackendRef:
    """An Ingress backend pointing at a Service port, by number or by name."""

    name: str
    port_number: int | None = None
    port_name: str | None = None

    @property
    def port(self) -> int | str:
        return self.port_number if self.port_number is not None else str(self.port_name)


@dataclass(frozen=True)
class IngressBackend:
    """A Service backend, or a typed resource backend (which load balancers cannot serve)."""

    service: ServiceBackendRef | None = None
    resource: str | None = None  # "Kind/name" of a resource backend


@dataclass(frozen=True)
class IngressPath:
    path: str  # "" only for ImplementationSpecific without a path: any path
    path_type: str
    backend: IngressBackend


@dataclass(frozen=True)
class IngressRule:
    host: str | None
    paths: tuple[IngressPath, ...]


@dataclass(frozen=True)
class IngressTLS:
    hosts: tuple[str, ...]
    secret_name: str | None


@dataclass(frozen=True)
class Ingress:
    """An Ingress in the one internal form, whatever API version it was written in."""

    namespace: str
    name: str
    annotations: Mapping[str, str]
    class_name: str | None
    rules: tuple[IngressRule, ...]
    default_backend: IngressBackend | None
    tls: tuple[IngressTLS, ...]
    uid: str = ""
    resource_version: str = ""
    deleting: bool = False
    finalizers: tuple[str, ...] = ()
    source: str = ""
    created: str = ""  # metadata.creationTimestamp (RFC 3339, sorts in time order); "" in files

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Ingress", self.namespace, self.name)


@dataclass(frozen=True)
class ServicePort:
    port: int
    name: str | None = None
    protocol: str = "TCP"
    target_port: int | str | None = None
    node_port: int | None = None
    app_protocol: str | None = None


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    type: str
    ports: tuple[ServicePort, ...]
    selector: Mapping[str, str]
    annotations: Mapping[str, str]
    source: str = ""
    # What a Service of type LoadBalancer adds (lbctl/model/services.py reads them)
    uid: str = ""
    resource_version: str = ""
    deleting: bool = False
    finalizers: tuple[str, ...] = ()
    load_balancer_class: str | None = None
    external_traffic_policy: str = "Cluster"
    health_check_node_port: int | None = None
    allocate_node_ports: bool = True
    source_ranges: tuple[str, ...] = ()
    load_balancer_ip: str | None = None
    ip_families: tuple[str, ...] = ()
    status_ingress: tuple[str, ...] = ()  # status.loadBalancer.ingress[] hostnames or IPs

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef("Service", self.namespace, self.name)

    def find_port(self, port: int | str) -> ServicePort | None:
        """The Service port an Ingress backend names, by number or by name."""
        for candidate in self.ports:
            if (isinstance(port, int) and candidate.port == port) or (
                isinstance(port, str) and candidate.name == port
            ):
                return candidate
        return None


@dataclass(frozen=True)
class Endpoint:
    addresses: tuple[str, ...]
    ready: bool
    node_name: str | None = None
    zone: str | None = None
    target_ref: str | None = None  # pod name


@dataclass(frozen=True)
class EndpointPort:
    port: int
    name: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True)
class EndpointSlice:
    namespace: str
    name: str
    service_name: str
    address_type: str
    endpoints: tuple[Endpoint, ...]
    ports: tuple[EndpointPort, ...]
    source: str = ""


@dataclass(frozen=True)
class Node:
    name: str
    labels: Mapping[str, str]
    provider_id: str
    unschedulable: bool
    ready: bool
    deleting: bool
    addresses: Mapping[str, str] = field(default_factory=dict)  # type → address
    source: str = ""

    @property
    def zone(self) -> str | None:
        zone = self.labels.get("topology.kubernetes.io/zone") or self.labels.get(
            "failure-domain.beta.kubernetes.io/zone"
        )
        if zone:
            return zone
        # aws:///us-west-2a/i-0123 and gce://project/zone/instance carry the zone too
        parts = self.provider_id.split("/")
        if self.provider_id.startswith("aws://") and len(parts) >= 2:
            return parts[-2] or None
        if self.provider_id.startswith("gce://") and len(parts) >= 2:
            return parts[-2] or None
        return None

    @property
    def instance_id(self) -> str | None:
        """The cloud instance ID/name from spec.providerID (last path element)."""
        if not self.provider_id:
            return None
        return self.provider_id.rstrip("/").split("/")[-1] or None


@dataclass(frozen=True)
class ProbeSpec:
    """An HTTP GET readiness probe of a container port."""

    path: str
    port: int | str
    host: str | None
    scheme: str
    period_seconds: int | None
    timeout_seconds: int | None


@dataclass(frozen=True)
class ContainerPort:
    port: int
    name: str | None


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: str | None
    node_name: str | None
    ready: bool
    ports: tuple[ContainerPort, ...]
    readiness_probes: tuple[tuple[tuple[ContainerPort, ...], ProbeSpec], ...]
    source: str = ""


@dataclass(frozen=True)
class Secret:
    namespace: str
    name: str
    type: str
    data: Mapping[str, str]  # base64 values, as in the API; never logged
    source: str = ""

    def __repr__(self) -> str:  # keep key material out of logs and tracebacks
        return f"Secret({self.namespace}/{self.name}, type={self.type}, keys={sorted(self.data)})"


@dataclass(frozen=True)
class IngressClass:
    name: str
    controller: str
    is_default: bool
    parameters: Mapping[str, Any] | None = None
    source: str = ""


@dataclass(frozen=True)
class Namespace:
    """A Namespace's name and labels (what a namespaceSelector matches)."""

    name: str
    labels: Mapping[str, str]
    source: str = ""


# The label the API server puts on every Namespace (immutable, equal to its name).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class CustomObject:
    """A BackendConfig / FrontendConfig (or other CRD) kept as its spec dict."""

    kind: str
    namespace: str
    name: str
    spec: Mapping[str, Any]
    source: str = ""
    generation: int = field(
        default=1, compare=False
    )  # metadata.generation (a policy status's observedGeneration)
    created: str = field(
        default="", compare=False
    )  # metadata.creationTimestamp (the older of two policies wins)


# --------------------------------------------------------------------------- parsing helpers


class _Reader:
    """Walks one object dict and raises a SpecError naming the exact field that is wrong."""

    def __init__(self, obj: Mapping[str, Any], kind: str, source: str) -> None:
        self.obj = obj
        self.kind = kind
        self.source = source
        meta = obj.get("metadata")
        self.meta: Mapping[str, Any] = meta if isinstance(meta, Mapping) else {}
        name = self.meta.get("name")
        self.name = name if isinstance(name, str) else "<unnamed>"
        namespace = self.meta.get("namespace")
        self.namespace = namespace if isinstance(namespace, str) and namespace else "default"

    def fail(self, field_path: str, message: str) -> SpecError:
        who = f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"
        return SpecError(Problem(Severity.ERROR, who, field_path, message, self.source))

    def require_name(self) -> str:
        name = self.meta.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail("metadata.name", "is required (a non-empty string)")
        reason = subdomain_problem(name)  # as the API server checks every object lbctl reads
        if reason is not None:
            raise self.fail("metadata.name", f"{shorten(name)} {reason}")
        namespace = self.meta.get("namespace")
        if isinstance(namespace, str) and namespace and (reason := label_problem(namespace)) is not None:
            raise self.fail("metadata.namespace", f"{shorten(namespace)} {reason}")
        return name

    def mapping(self, value: Any, field_path: str, required: bool = False) -> Mapping[str, Any]:
        if value is None:
            if required:
                raise self.fail(field_path, "is required (an object)")
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(field_path, f"must be an object, got {type(value).__name__}")
        return value

    def sequence(self, value: Any, field_path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(field_path, f"must be a list, got {type(value).__name__}")
        return value

    def string(self, value: Any, field_path: str, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.fail(field_path, "is required (a string)")
            return None
        if not isinstance(value, str):
            raise self.fail(field_path, f"must be a string, got {type(value).__name__}")
        return value

    def integer(self, value: Any, field_path: str, required: bool = False) -> int | None:
        if value is None:
            if required:
                raise self.fail(field_path, "is required (an integer)")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field_path, f"must be an integer, got {value!r}")
        return value

    def string_map(self, value: Any, field_path: str) -> dict[str, str]:
        raw = self.mapping(value, field_path)
        out: dict[str, str] = {}
        for key, item in raw.items():
            if not isinstance(item, str):
                raise self.fail(f"{field_path}[{key}]", f"must be a string, got {item!r}")
            out[str(key)] = item
        if field_path == "metadata.annotations":
            size = sum(len(k.encode()) + len(v.encode()) for k, v in out.items())
            if size > MAX_ANNOTATIONS_BYTES:
                largest = max(out, key=lambda k: len(out[k]))
                raise self.fail(
                    f"{field_path}[{largest}]",
                    f"annotations total {size} bytes; Kubernetes allows at "
                    f"most {MAX_ANNOTATIONS_BYTES} bytes (256 KiB) per object",
                )
        return out

    def int_or_string(self, value: Any, field_path: str) -> int | str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.fail(field_path, f"must be a port number or name, got {value!r}")
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        return value


def _parse_backend(reader: _Reader, raw: Any, where: str, legacy: bool) -> IngressBackend:
    backend = reader.mapping(raw, where, required=True)
    if legacy:
        name = reader.string(backend.get("serviceName"), f"{where}.serviceName")
        if name is None:
            if backend.get("resource") is not None:
                return _resource_backend(reader, backend, where)
            raise reader.fail(f"{where}.serviceName", "is required (the Service name)")
        port = reader.int_or_string(backend.get("servicePort"), f"{where}.servicePort")
        if port is None:
            raise reader.fail(f"{where}.servicePort", "is required (a port number or name)")
        if isinstance(port, int):
            return IngressBackend(service=ServiceBackendRef(name, port_number=port))
        return IngressBackend(service=ServiceBackendRef(name, port_name=port))
    service = backend.get("service")
    if service is None:
        if backend.get("resource") is not None:
            return _resource_backend(reader, backend, where)
        raise reader.fail(f"{where}.service", "is required (a Service backend with name and port)")
    service = reader.mapping(service, f"{where}.service")
    name = reader.string(service.get("name"), f"{where}.service.name", required=True)
    port_ref = reader.mapping(service.get("port"), f"{where}.service.port", required=True)
    number = reader.integer(port_ref.get("number"), f"{where}.service.port.number")
    port_name = reader.string(port_ref.get("name"), f"{where}.service.port.name")
    if (number is None) == (port_name is None):
        raise reader.fail(f"{where}.service.port", "needs exactly one of 'number' or 'name'")
    assert name is not None
    return IngressBackend(service=ServiceBackendRef(name, port_number=number, port_name=port_name))


def _resource_backend(reader: _Reader, backend: Mapping[str, Any], where: str) -> IngressBackend:
    resource = reader.mapping(backend.get("resource"), f"{where}.resource")
    kind = reader.string(resource.get("kind"), f"{where}.resource.kind", required=True)
    name = reader.string(resource.get("name"), f"{where}.resource.name", required=True)
    return IngressBackend(resource=f"{kind}/{name}")


def parse_ingress(obj: Mapping[str, Any], source: str = "") -> Ingress:
    """An Ingress from any supported API version, in the internal form."""
    reader = _Reader(obj, "Ingress", source)
    name = reader.require_name()
    legacy = obj.get("apiVersion") in LEGACY_INGRESS_VERSIONS
    spec = reader.mapping(obj.get("spec"), "spec", required=True)
    annotations = reader.string_map(reader.meta.get("annotations"), "metadata.annotations")
    class_name = reader.string(spec.get("ingressClassName"), "spec.ingressClassName")

    default_key = "backend" if legacy else "defaultBackend"
    default_backend = None
    if spec.get(default_key) is not None:
        default_backend = _parse_backend(reader, spec.get(default_key), f"spec.{default_key}", legacy)

    rules: list[IngressRule] = []
    for i, raw_rule in enumerate(reader.sequence(spec.get("rules"), "spec.rules")):
        rule = reader.mapping(raw_rule, f"spec.rules[{i}]")
        host = reader.string(rule.get("host"), f"spec.rules[{i}].host") or None
        http = reader.mapping(rule.get("http"), f"spec.rules[{i}].http")
        paths: list[IngressPath] = []
        raw_paths = reader.sequence(http.get("paths"), f"spec.rules[{i}].http.paths")
        if rule.get("http") is not None and not raw_paths:
            raise reader.fail(f"spec.rules[{i}].http.paths", "must list at least one path")
        for j, raw_path in enumerate(raw_paths):
            where = f"spec.rules[{i}].http.paths[{j}]"
            item = reader.mapping(raw_path, where)
            path = reader.string(item.get("path"), f"{where}.path")
            path_type = reader.string(item.get("pathType"), f"{where}.pathType")
            if path_type is None:
                if not legacy:
                    raise reader.fail(
                        f"{where}.pathType", "is required: Exact, Prefix or ImplementationSpecific"
                    )
                path_type = "ImplementationSpecific"
            if path_type not in PATH_TYPES:
                raise reader.fail(
                    f"{where}.pathType", f"{path_type!r} is not one of Exact, Prefix, ImplementationSpecific"
                )
            if not path:
                if path_type != "ImplementationSpecific":
                    raise reader.fail(f"{where}.path", f"is required for pathType {path_type}")
                path = ""  # no path: every path of the host (legacy manifests often omit it)
            elif not path.startswith("/"):
                raise reader.fail(f"{where}.path", f"{path!r} must be an absolute path starting with '/'")
            backend = _parse_backend(reader, item.get("backend"), f"{where}.backend", legacy)
            paths.append(IngressPath(path, path_type, backend))
        rules.append(IngressRule(host, tuple(paths)))
    if default_backend is None and not rules:
        raise reader.fail(
            "spec",
            f"needs spec.rules or spec.{default_key}: an Ingress with neither routes nothing "
            "(the Kubernetes API rejects it)",
        )

    tls: list[IngressTLS] = []
    for i, raw_tls in enumerate(reader.sequence(spec.get("tls"), "spec.tls")):
        entry = reader.mapping(raw_tls, f"spec.tls[{i}]")
        hosts = [
            reader.string(h, f"spec.tls[{i}].hosts[{k}]", required=True)
            for k, h in enumerate(reader.sequence(entry.get("hosts"), f"spec.tls[{i}].hosts"))
        ]
        secret = reader.string(entry.get("secretName"), f"spec.tls[{i}].secretName") or None
        tls.append(IngressTLS(tuple(h for h in hosts if h), secret))

    return Ingress(
        namespace=reader.namespace,
        name=name,
        annotations=annotations,
        class_name=class_name,
        rules=tuple(rules),
        default_backend=default_backend,
        tls=tuple(tls),
        uid=str(reader.meta.get("uid") or ""),
        resource_version=str(reader.meta.get("resourceVersion") or ""),
        deleting=bool(reader.meta.get("deletionTimestamp")),
        finalizers=tuple(
            str(f) for f in reader.sequence(reader.meta.get("finalizers"), "metadata.finalizers")
        ),
        source=source,
        created=str(reader.meta.get("creationTimestamp") or ""),
    )


def parse_service(obj: Mapping[str, Any], source: str = "") -> Service:
    reader = _Reader(obj, "Service", source)
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec", required=True)
    ports: list[ServicePort] = []
    for i, raw in enumerate(reader.sequence(spec.get("ports"), "spec.ports")):
        item = reader.mapping(raw, f"spec.ports[{i}]")
        port = reader.integer(item.get("port"), f"spec.ports[{i}].port", required=True)
        assert port is not None
        ports.append(
            ServicePort(
                port=port,
                name=reader.string(item.get("name"), f"spec.ports[{i}].name") or None,
                protocol=reader.string(item.get("protocol"), f"spec.ports[{i}].protocol") or "TCP",
                target_port=reader.int_or_string(item.get("targetPort"), f"spec.ports[{i}].targetPort"),
                node_port=reader.integer(item.get("nodePort"), f"spec.ports[{i}].nodePort"),
                app_protocol=reader.string(item.get("appProtocol"), f"spec.ports[{i}].appProtocol"),
            )
        )
    return Service(
        namespace=reader.namespace,
        name=name,
        type=reader.string(spec.get("type"), "spec.type") or "ClusterIP",
        ports=tuple(ports),
        selector=reader.string_map(spec.get("selector"), "spec.selector"),
        annotations=reader.string_map(reader.meta.get("annotations"), "metadata.annotations"),
        source=source,
        uid=str(reader.meta.get("uid") or ""),
        resource_version=str(reader.meta.get("resourceVersion") or ""),
        deleting=bool(reader.meta.get("deletionTimestamp")),
        finalizers=tuple(
            str(f) for f in reader.sequence(reader.meta.get("finalizers"), "metadata.finalizers")
        ),
        load_balancer_class=reader.string(spec.get("loadBalancerClass"), "spec.loadBalancerClass") or None,
        external_traffic_policy=reader.string(spec.get("externalTrafficPolicy"), "spec.externalTrafficPolicy")
        or "Cluster",
        health_check_node_port=reader.integer(spec.get("healthCheckNodePort"), "spec.healthCheckNodePort"),
        allocate_node_ports=spec.get("allocateLoadBalancerNodePorts") is not False,
        source_ranges=tuple(
            str(r)
            for r in reader.sequence(spec.get("loadBalancerSourceRanges"), "spec.loadBalancerSourceRanges")
        ),
        load_balancer_ip=reader.string(spec.get("loadBalancerIP"), "spec.loadBalancerIP") or None,
        ip_families=tuple(str(f) for f in reader.sequence(spec.get("ipFamilies"), "spec.ipFamilies")),
        status_ingress=_status_ingress(obj),
    )


def _status_ingress(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """The hostnames (or IPs) in `status.loadBalancer.ingress`, as given."""
    status = obj.get("status")
    balancer = status.get("loadBalancer") if isinstance(status, Mapping) else None
    entries = balancer.get("ingress") if isinstance(balancer, Mapping) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping):
            value = entry.get("hostname") or entry.get("ip")
            if isinstance(value, str) and value:
                found.append(value)
    return tuple(found)


def parse_endpoint_slice(obj: Mapping[str, Any], source: str = "") -> EndpointSlice:
    reader = _Reader(obj, "EndpointSlice", source)
    name = reader.require_name()
    labels = reader.string_map(reader.meta.get("labels"), "metadata.labels")
    service_name = labels.get("kubernetes.io/service-name")
    if not service_name:
        raise reader.fail("metadata.labels[kubernetes.io/service-name]", "is required (the owning Service)")
    endpoints: list[Endpoint] = []
    for i, raw in enumerate(reader.sequence(obj.get("endpoints"), "endpoints")):
        item = reader.mapping(raw, f"endpoints[{i}]")
        conditions = reader.mapping(item.get("conditions"), f"endpoints[{i}].conditions")
        ready = conditions.get("ready")
        target = reader.mapping(item.get("targetRef"), f"endpoints[{i}].targetRef")
        endpoints.append(
            Endpoint(
                addresses=tuple(
                    str(a) for a in reader.sequence(item.get("addresses"), f"endpoints[{i}].addresses")
                ),
                ready=ready is None or bool(ready),  # nil means ready, per the API
                node_name=reader.string(item.get("nodeName"), f"endpoints[{i}].nodeName"),
                zone=reader.string(item.get("zone"), f"endpoints[{i}].zone"),
                target_ref=reader.string(target.get("name"), f"endpoints[{i}].targetRef.name"),
            )
        )
    ports = []
    for i, raw in enumerate(reader.sequence(obj.get("ports"), "ports")):
        item = reader.mapping(raw, f"ports[{i}]")
        port = reader.integer(item.get("port"), f"ports[{i}].port", required=True)
        assert port is not None
        ports.append(
            EndpointPort(
                port=port,
                name=reader.string(item.get("name"), f"ports[{i}].name") or None,
                protocol=reader.string(item.get("protocol"), f"ports[{i}].protocol") or "TCP",
            )
        )
    return EndpointSlice(
        namespace=reader.namespace,
        name=name,
        service_name=service_name,
        address_type=reader.string(obj.get("addressType"), "addressType") or "IPv4",
        endpoints=tuple(endpoints),
        ports=tuple(ports),
        source=source,
    )


def endpoints_to_slices(obj: Mapping[str, Any], source: str = "") -> list[EndpointSlice]:
    """Legacy core/v1 Endpoints → EndpointSlices (one per subset), as the EndpointSlice mirror does."""
    reader = _Reader(obj, "Endpoints", source)
    name = reader.require_name()
    slices = []
    for i, raw in enumerate(reader.sequence(obj.get("subsets"), "subsets")):
        subset = reader.mapping(raw, f"subsets[{i}]")
        endpoints = []
        for key, ready in (("addresses", True), ("notReadyAddresses", False)):
            for k, raw_addr in enumerate(reader.sequence(subset.get(key), f"subsets[{i}].{key}")):
                addr = reader.mapping(raw_addr, f"subsets[{i}].{key}[{k}]")
                ip = reader.string(addr.get("ip"), f"subsets[{i}].{key}[{k}].ip", required=True)
                target = reader.mapping(addr.get("targetRef"), f"subsets[{i}].{key}[{k}].targetRef")
                endpoints.append(
                    Endpoint(
                        addresses=(str(ip),),
                        ready=ready,
                        node_name=reader.string(addr.get("nodeName"), f"subsets[{i}].{key}[{k}].nodeName"),
                        target_ref=reader.string(
                            target.get("name"), f"subsets[{i}].{key}[{k}].targetRef.name"
                        ),
                    )
                )
        ports = []
        for k, raw_port in enumerate(reader.sequence(subset.get("ports"), f"subsets[{i}].ports")):
            item = reader.mapping(raw_port, f"subsets[{i}].ports[{k}]")
            port = reader.integer(item.get("port"), f"subsets[{i}].ports[{k}].port", required=True)
            assert port is not None
            ports.append(EndpointPort(port=port, name=reader.string(item.get("name"), "name") or None))
        slices.append(
            EndpointSlice(
                reader.namespace, f"{name}-{i}", name, "IPv4", tuple(endpoints), tuple(ports), source
            )
        )
    return slices


def parse_node(obj: Mapping[str, Any], source: str = "") -> Node:
    reader = _Reader(obj, "Node", source)
    reader.namespace = ""
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec")
    status = reader.mapping(obj.get("status"), "status")
    ready = True
    for i, raw in enumerate(reader.sequence(status.get("conditions"), "status.conditions")):
        condition = reader.mapping(raw, f"status.conditions[{i}]")
        if condition.get("type") == "Ready":
            ready = condition.get("status") == "True"
    addresses = {}
    for i, raw in enumerate(reader.sequence(status.get("addresses"), "status.addresses")):
        item = reader.mapping(raw, f"status.addresses[{i}]")
        if isinstance(item.get("type"), str) and isinstance(item.get("address"), str):
            addresses[item["type"]] = item["address"]
    return Node(
        name=name,
        labels=reader.string_map(reader.meta.get("labels"), "metadata.labels"),
        provider_id=reader.string(spec.get("providerID"), "spec.providerID") or "",
        unschedulable=bool(spec.get("unschedulable")),
        ready=ready,
        deleting=bool(reader.meta.get("deletionTimestamp")),
        addresses=addresses,
        source=source,
    )


def _parse_probe(reader: _Reader, raw: Any, where: str) -> ProbeSpec | None:
    probe = reader.mapping(raw, where)
    http = probe.get("httpGet")
    if http is None:
        return None
    http = reader.mapping(http, f"{where}.httpGet")
    host = None
    for i, raw_header in enumerate(reader.sequence(http.get("httpHeaders"), f"{where}.httpGet.httpHeaders")):
        header = reader.mapping(raw_header, f"{where}.httpGet.httpHeaders[{i}]")
        if str(header.get("name", "")).lower() == "host":
            host = reader.string(header.get("value"), f"{where}.httpGet.httpHeaders[{i}].value")
    port = reader.int_or_string(http.get("port"), f"{where}.httpGet.port")
    if port is None:
        raise reader.fail(f"{where}.httpGet.port", "is required (a port number or name)")
    return ProbeSpec(
        path=reader.string(http.get("path"), f"{where}.httpGet.path") or "/",
        port=port,
        host=host,
        scheme=reader.string(http.get("scheme"), f"{where}.httpGet.scheme") or "HTTP",
        period_seconds=reader.integer(probe.get("periodSeconds"), f"{where}.periodSeconds"),
        timeout_seconds=reader.integer(probe.get("timeoutSeconds"), f"{where}.timeoutSeconds"),
    )


def parse_pod(obj: Mapping[str, Any], source: str = "") -> Pod:
    reader = _Reader(obj, "Pod", source)
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec")
    status = reader.mapping(obj.get("status"), "status")
    ports: list[ContainerPort] = []
    probes: list[tuple[tuple[ContainerPort, ...], ProbeSpec]] = []
    for i, raw in enumerate(reader.sequence(spec.get("containers"), "spec.containers")):
        container = reader.mapping(raw, f"spec.containers[{i}]")
        container_ports = []
        for k, raw_port in enumerate(reader.sequence(container.get("ports"), f"spec.containers[{i}].ports")):
            item = reader.mapping(raw_port, f"spec.containers[{i}].ports[{k}]")
            number = reader.integer(
                item.get("containerPort"), f"spec.containers[{i}].ports[{k}].containerPort", required=True
            )
            assert number is not None
            container_ports.append(ContainerPort(number, reader.string(item.get("name"), "name") or None))
        ports.extend(container_ports)
        probe = _parse_probe(reader, container.get("readinessProbe"), f"spec.containers[{i}].readinessProbe")
        if probe is not None:
            probes.append((tuple(container_ports), probe))
    ready = False
    for raw in reader.sequence(status.get("conditions"), "status.conditions"):
        if isinstance(raw, Mapping) and raw.get("type") == "Ready":
            ready = raw.get("status") == "True"
    return Pod(
        namespace=reader.namespace,
        name=name,
        labels=reader.string_map(reader.meta.get("labels"), "metadata.labels"),
        ip=reader.string(status.get("podIP"), "status.podIP"),
        node_name=reader.string(spec.get("nodeName"), "spec.nodeName"),
        ready=ready,
        ports=tuple(ports),
        readiness_probes=tuple(probes),
        source=source,
    )


def parse_secret(obj: Mapping[str, Any], source: str = "") -> Secret:
    reader = _Reader(obj, "Secret", source)
    name = reader.require_name()
    data = dict(reader.string_map(obj.get("data"), "data"))
    string_data = reader.string_map(obj.get("stringData"), "stringData")
    if string_data:
        import base64

        for key, value in string_data.items():
            data[key] = base64.b64encode(value.encode()).decode()
    return Secret(
        namespace=reader.namespace,
        name=name,
        type=reader.string(obj.get("type"), "type") or "Opaque",
        data=data,
        source=source,
    )


def parse_ingress_class(obj: Mapping[str, Any], source: str = "") -> IngressClass:
    reader = _Reader(obj, "IngressClass", source)
    reader.namespace = ""
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec")
    controller = reader.string(spec.get("controller"), "spec.controller", required=True)
    annotations = reader.string_map(reader.meta.get("annotations"), "metadata.annotations")
    assert controller is not None
    return IngressClass(
        name=name,
        controller=controller,
        is_default=annotations.get("ingressclass.kubernetes.io/is-default-class", "").lower() == "true",
        parameters=reader.mapping(spec.get("parameters"), "spec.parameters") or None,
        source=source,
    )


def parse_namespace(obj: Mapping[str, Any], source: str = "") -> Namespace:
    reader = _Reader(obj, "Namespace", source)
    reader.namespace = ""
    name = reader.require_name()
    labels = reader.string_map(reader.meta.get("labels"), "metadata.labels")
    labels.setdefault(NAMESPACE_NAME_LABEL, name)  # as the API server sets it
    return Namespace(name, labels, source)


def parse_custom_object(obj: Mapping[str, Any], source: str = "") -> CustomObject:
    kind = str(obj.get("kind"))
    reader = _Reader(obj, kind, source)
    known = kind_named(kind)
    if known is not None and not known.namespaced:
        reader.namespace = ""  # cluster-scoped (IngressClassParams): keyed by name only
    name = reader.require_name()
    spec = reader.mapping(obj.get("spec"), "spec")
    if nesting_depth(spec, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:  # its schema check recurses once per level
        raise reader.fail(
            "spec",
            f"nested more than {MAX_JSON_DEPTH} levels deep; expected at most "
            f"{MAX_JSON_DEPTH} levels of lists and objects",
        )
    raw_meta = obj.get("metadata")
    meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
    raw_generation = meta.get("generation")
    generation = raw_generation if isinstance(raw_generation, int) else 1
    created = str(meta.get("creationTimestamp") or "")
    return CustomObject(kind, reader.namespace, name, spec, source, generation, created)
