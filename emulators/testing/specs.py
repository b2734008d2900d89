"""Small builders of Kubernetes manifest dicts, and a helper that builds specs from them.

Builders only produce plain dicts (what a YAML file holds); everything else goes through the
real parsers and the real model.
"""

from __future__ import annotations

from typing import Any

import yaml

from lbctl.cli.render import describe_action
from lbctl.model.builder import BuildConfig, BuildResult, GroupOutcome, build
from lbctl.model.gateway_build import build_gateways
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import StackInput

Obj = dict[str, Any]


def meta(
    name: str,
    namespace: str | None = "default",
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> Obj:
    out: Obj = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    if annotations:
        out["annotations"] = dict(annotations)
    if labels:
        out["labels"] = dict(labels)
    return out


def backend(service: str, port: int | str) -> Obj:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": service, "port": {key: port}}}


def path(p: str | None, service: str, port: int | str = 80, path_type: str | None = "Prefix") -> Obj:
    out: Obj = {"backend": backend(service, port)}
    if p is not None:
        out["path"] = p
    if path_type is not None:
        out["pathType"] = path_type
    return out


def rule(host: str | None, *paths: Obj) -> Obj:
    out: Obj = {"http": {"paths": list(paths)}}
    if host is not None:
        out["host"] = host
    return out


def ingress(
    name: str,
    *rules: Obj,
    namespace: str = "default",
    annotations: dict[str, str] | None = None,
    class_name: str | None = "alb",
    default: Obj | None = None,
    tls: list[Obj] | None = None,
) -> Obj:
    spec: Obj = {}
    if class_name is not None:
        spec["ingressClassName"] = class_name
    if rules:
        spec["rules"] = list(rules)
    if default is not None:
        spec["defaultBackend"] = default
    if tls is not None:
        spec["tls"] = tls
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, namespace, annotations),
        "spec": spec,
    }


def service(
    name: str,
    ports: list[tuple[int, str | None, int | None]] | None = None,
    *,
    namespace: str = "default",
    type: str = "NodePort",
    annotations: dict[str, str] | None = None,
    selector: dict[str, str] | None = None,
    target_port: int | str | None = None,
) -> Obj:
    """ports: (port, name, nodePort) triples; default one port 80 'http' on node port 30080."""
    items = []
    for port, port_name, node_port in ports or [(80, "http", 30080)]:
        item: Obj = {"port": port, "targetPort": target_port if target_port is not None else 8080}
        if port_name:
            item["name"] = port_name
        if node_port is not None:
            item["nodePort"] = node_port
        items.append(item)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, namespace, annotations),
        "spec": {"type": type, "selector": selector or {"app": name}, "ports": items},
    }


def ingress_class(name: str, controller: str, default: bool = False) -> Obj:
    annotations = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else None
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta(name, None, annotations),
        "spec": {"controller": controller},
    }


def tls_secret(name: str, crt: str = "Y3J0", key: str = "a2V5", namespace: str = "default") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(name, namespace),
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": crt, "tls.key": key},
    }


def custom(kind: str, name: str, spec: Obj, namespace: str = "default") -> Obj:
    return {
        "apiVersion": "cloud.google.com/v1" if kind == "BackendConfig" else "networking.gke.io/v1beta1",
        "kind": kind,
        "metadata": meta(name, namespace),
        "spec": spec,
    }


def snapshot(*objects: Obj) -> ClusterSnapshot:
    return ClusterSnapshot.from_objects(objects)


def build_result(*objects: Obj, provider: str = "aws", **config: Any) -> BuildResult:
    return build(snapshot(*objects), BuildConfig.for_provider(provider, **config))


def only_group(*objects: Obj, provider: str = "aws", **config: Any) -> GroupOutcome:
    result = build_result(*objects, provider=provider, **config)
    assert len(result.groups) == 1, f"expected one group, got {list(result.groups)}"
    return next(iter(result.groups.values()))


def only_spec(*objects: Obj, provider: str = "aws", **config: Any) -> LoadBalancerSpec:
    group = only_group(*objects, provider=provider, **config)
    assert group.spec is not None, [str(p) for p in group.problems]
    errors = [str(p) for p in group.problems if p.severity == "error"]
    assert not errors, errors
    return group.spec


def route(spec: LoadBalancerSpec, host: str, request_path: str) -> str:
    """'ns/service:port', 'fixed-response …', or '404 …' for a request, by first match."""
    return describe_action(first_match(spec, Request(host, request_path)).action, spec).removeprefix(
        "forward "
    )


def messages(group: GroupOutcome) -> list[str]:
    return [str(p) for p in group.problems]


def gateway_stack(text: str, provider: str, objects: list[Obj] | None = None) -> StackInput:
    """The one Gateway of a manifest (and `objects` beside it) built through the real model, with no error, as
    the provider's converge takes it."""
    snapshot = ClusterSnapshot.from_objects([*(objects or []), *(d for d in yaml.safe_load_all(text) if d)])
    config = BuildConfig.for_provider(provider)
    built = build_gateways(snapshot, config, config.gateway_controller_names)
    errors = [str(p) for p in built.problems if p.severity == "error"]
    assert errors == [], errors
    (spec,) = built.specs
    return StackInput.from_snapshot(spec, snapshot)
