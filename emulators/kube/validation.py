"""Server-side validation: object metadata and names, and the Ingress and Service fields a controller relies on."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from .errors import ApiError, invalid
from .kinds import Kind

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")

Cause = tuple[str, str, str]  # (reason, field, message)


def name_causes(kind: Kind, name: str) -> list[Cause]:
    """Causes for an invalid `metadata.name` (DNS label for namespaces, DNS subdomain otherwise)."""
    if kind.kind == "Namespace":
        if len(name) > 63 or not _DNS_LABEL.match(name):
            return [
                (
                    "FieldValueInvalid",
                    "metadata.name",
                    f'Invalid value: "{name}": a lowercase RFC 1123 label must consist of lower case '
                    "alphanumeric characters or '-'",
                )
            ]
        return []
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        return [
            (
                "FieldValueInvalid",
                "metadata.name",
                f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                "alphanumeric characters, '-' or '.'",
            )
        ]
    return []


def _backend_causes(backend: Any, field: str) -> list[Cause]:
    if not isinstance(backend, dict) or not backend:
        return [("FieldValueRequired", field, "Required value")]
    service, resource = backend.get("service"), backend.get("resource")
    if service is not None and resource is not None:
        return [("FieldValueInvalid", field, "Invalid value: cannot set both service and resource backends")]
    if resource is not None:
        missing = [k for k in ("kind", "name") if not resource.get(k)]
        return [("FieldValueRequired", f"{field}.resource.{k}", "Required value") for k in missing]
    if not isinstance(service, dict):
        return [("FieldValueRequired", f"{field}.service", "Required value")]
    causes: list[Cause] = []
    if not service.get("name"):
        causes.append(("FieldValueRequired", f"{field}.service.name", "Required value"))
    port = service.get("port")
    if not isinstance(port, dict) or (not port.get("name") and not port.get("number")):
        causes.append(("FieldValueRequired", f"{field}.service.port", "Required value: port name or number"))
    elif port.get("name") and port.get("number"):
        causes.append(
            (
                "FieldValueInvalid",
                f"{field}.service.port",
                "Invalid value: cannot set both port name & port number",
            )
        )
    elif isinstance(port.get("number"), int) and not 1 <= port["number"] <= 65535:
        causes.append(
            (
                "FieldValueInvalid",
                f"{field}.service.port.number",
                f"Invalid value: {port['number']}: must be between 1 and 65535, inclusive",
            )
        )
    return causes


_INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
_INVALID_PATH_SUFFIXES = ("/..", "/.")


def _path_sequence_causes(path: str, field: str) -> list[Cause]:
    """Exact and Prefix paths: no directory traversal or encoded slash, as the API server checks."""
    causes: list[Cause] = [
        ("FieldValueInvalid", field, f"Invalid value: \"{path}\": must not contain '{s}'")
        for s in _INVALID_PATH_SEQUENCES
        if s in path
    ]
    causes += [
        ("FieldValueInvalid", field, f"Invalid value: \"{path}\": cannot end with '{s}'")
        for s in _INVALID_PATH_SUFFIXES
        if path.endswith(s)
    ]
    return causes


def ingress_causes(ingress: dict[str, Any]) -> list[Cause]:
    """The subset of Ingress validation a controller depends on."""
    spec = ingress.get("spec")
    if not isinstance(spec, dict) or not spec:
        return [
            (
                "FieldValueRequired",
                "spec",
                "Required value: either `defaultBackend` or `rules` must be specified",
            )
        ]
    causes: list[Cause] = []
    rules = spec.get("rules") or []
    if not rules and not spec.get("defaultBackend"):
        causes.append(
            (
                "FieldValueInvalid",
                "spec",
                "Invalid value: either `defaultBackend` or `rules` must be specified",
            )
        )
    if spec.get("defaultBackend") is not None:
        causes += _backend_causes(spec["defaultBackend"], "spec.defaultBackend")
    for rule_index, rule in enumerate(rules):
        http = (rule or {}).get("http")
        if http is None:
            continue
        paths = http.get("paths") or []
        if not paths:
            causes.append(("FieldValueRequired", f"spec.rules[{rule_index}].http.paths", "Required value"))
        for path_index, path in enumerate(paths):
            field = f"spec.rules[{rule_index}].http.paths[{path_index}]"
            path_type = path.get("pathType")
            if not path_type:
                causes.append(
                    ("FieldValueRequired", f"{field}.pathType", "Required value: pathType must be specified")
                )
            elif path_type not in PATH_TYPES:
                causes.append(
                    (
                        "FieldValueNotSupported",
                        f"{field}.pathType",
                        f'Unsupported value: "{path_type}": supported values: "Exact", '
                        '"ImplementationSpecific", "Prefix"',
                    )
                )
            elif path_type != "ImplementationSpecific" and not str(path.get("path", "")).startswith("/"):
                causes.append(
                    (
                        "FieldValueInvalid",
                        f"{field}.path",
                        f'Invalid value: "{path.get("path", "")}": must be an absolute path',
                    )
                )
            elif path_type != "ImplementationSpecific":
                causes += _path_sequence_causes(str(path["path"]), f"{field}.path")
            causes += _backend_causes(path.get("backend"), f"{field}.backend")
    return causes


MAX_ANNOTATIONS_BYTES = 256 * 1024


def metadata_causes(obj: dict[str, Any]) -> list[Cause]:
    """Labels and annotations are string maps (else the body does not decode: 400); annotations ≤ 256 KiB."""
    meta = obj.get("metadata") or {}
    for field in ("labels", "annotations"):
        values = meta.get(field) or {}
        if not isinstance(values, dict):
            raise ApiError(
                400,
                f"json: cannot unmarshal {type(values).__name__} into Go struct field "
                f"ObjectMeta.metadata.{field} of type map[string]string",
            )
        for key, value in values.items():
            if not isinstance(value, str):
                raise ApiError(
                    400,
                    f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                    f"ObjectMeta.metadata.{field} of type string (key {key!r})",
                )
    size = sum(len(k) + len(v) for k, v in (meta.get("annotations") or {}).items())
    if size > MAX_ANNOTATIONS_BYTES:
        return [
            (
                "FieldValueTooLong",
                "metadata.annotations",
                f"Too long: must have at most {MAX_ANNOTATIONS_BYTES} bytes",
            )
        ]
    return []


def _host_causes(host: Any, field: str) -> list[Cause]:
    if not isinstance(host, str) or not host:
        return []
    try:
        ipaddress.ip_address(host)
        return [
            ("FieldValueInvalid", field, f'Invalid value: "{host}": must be a DNS name, not an IP address')
        ]
    except ValueError:
        pass
    name = host[2:] if host.startswith("*.") else host
    if not _DNS_SUBDOMAIN.match(name) or len(host) > 253:
        return [
            (
                "FieldValueInvalid",
                field,
                f'Invalid value: "{host}": a lowercase RFC 1123 subdomain, optionally '
                "prefixed with '*.' (a wildcard in the first label only)",
            )
        ]
    return []


def ingress_host_causes(ingress: dict[str, Any]) -> list[Cause]:
    spec = ingress.get("spec") or {}
    causes: list[Cause] = []
    for i, rule in enumerate(spec.get("rules") or []):
        causes += _host_causes((rule or {}).get("host"), f"spec.rules[{i}].host")
    for i, tls in enumerate(spec.get("tls") or []):
        for j, host in enumerate((tls or {}).get("hosts") or []):
            causes += _host_causes(host, f"spec.tls[{i}].hosts[{j}]")
    return causes


def service_causes(service: dict[str, Any]) -> list[Cause]:
    causes: list[Cause] = []
    for i, port in enumerate((service.get("spec") or {}).get("ports") or []):
        for key, low in (("port", 1), ("nodePort", 0)):
            value = (port or {}).get(key)
            if isinstance(value, int) and not low <= value <= 65535:
                causes.append(
                    (
                        "FieldValueInvalid",
                        f"spec.ports[{i}].{key}",
                        f"Invalid value: {value}: must be between {low} and 65535, inclusive",
                    )
                )
    return causes


def workload_causes(workload: dict[str, Any]) -> list[Cause]:
    """apps/v1 Deployments and ReplicaSets: a selector that selects the template's labels, a template with containers."""
    spec = workload.get("spec")
    if not isinstance(spec, dict):
        return [("FieldValueRequired", "spec", "Required value")]
    causes: list[Cause] = []
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        causes.append(("FieldValueRequired", "spec.selector", "Required value"))
    elif any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        causes.append(
            (
                "FieldValueInvalid",
                "spec.template.metadata.labels",
                f"Invalid value: {labels!r}: `selector` does not match template `labels`",
            )
        )
    if not ((spec.get("template") or {}).get("spec") or {}).get("containers"):
        causes.append(("FieldValueRequired", "spec.template.spec.containers", "Required value"))
    replicas = spec.get("replicas")
    if isinstance(replicas, int) and replicas < 0:
        causes.append(
            (
                "FieldValueInvalid",
                "spec.replicas",
                f"Invalid value: {replicas}: must be greater than or equal to 0",
            )
        )
    return causes


KIND_VALIDATORS: dict[tuple[str, str], Callable[[dict[str, Any]], list[Cause]]] = {
    ("apps", "Deployment"): workload_causes,
    ("apps", "ReplicaSet"): workload_causes,
    ("networking.k8s.io", "Ingress"): lambda obj: ingress_causes(obj) + ingress_host_causes(obj),
    ("", "Service"): service_causes,
}


def validate(kind: Kind, obj: dict[str, Any], extra: list[Cause] | None = None) -> None:
    """Raise 422 Invalid when the object fails name or kind-specific validation (or `extra`: what its schema
    found)."""
    name = obj.get("metadata", {}).get("name", "")
    causes = name_causes(kind, name) + metadata_causes(obj) + list(extra or ())
    validator = KIND_VALIDATORS.get((kind.group, kind.kind))
    if validator is not None:
        causes += validator(obj)
    if causes:
        raise invalid(kind.kind, kind.group, name, causes)
