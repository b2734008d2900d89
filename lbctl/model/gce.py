"""Google Cloud (ingress-gce) semantics in the model: NEG mode, app protocols, BackendConfig,
FrontendConfig, and health checks from readinessProbes. Pure: reads only the snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.objects import Ingress, ProbeSpec, Service
from lbctl.model.parsers import SchemaCheck
from lbctl.model.problems import SpecError
from lbctl.model.registry import ParsedAnnotations
from lbctl.model.snapshot import BACKEND_CONFIG, FRONTEND_CONFIG, ClusterSnapshot
from lbctl.model.spec import Backend, Frontend, HealthCheck, Listener, TLSCertificate

Fail = Callable[[str, str], SpecError]

# GKE's cluster default backend: ingress-gce makes it the URL map's default service of every Ingress without
# spec.defaultBackend (the "404 (backend NotFound)" page), health-checked on /healthz.
CLUSTER_DEFAULT_BACKEND = "kube-system/default-http-backend:80"
DEFAULT_BACKEND_HEALTH_PATH = "/healthz"
DEFAULT_BACKEND_MANIFEST = "manifests/gcp/default-http-backend.yaml"
_DNS_LABEL = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)"
_BACKEND_REF = re.compile(rf"{_DNS_LABEL}/{_DNS_LABEL}:([0-9]{{1,5}}|[a-z0-9-]{{1,15}})")


def parse_backend_ref(ref: str) -> tuple[str, str, int | str]:
    """`ns/name:port` (port number or name) → (namespace, name, port); ValueError naming the form."""
    match = _BACKEND_REF.fullmatch(ref)
    if match is None or (match.group(5).isdigit() and not 1 <= int(match.group(5)) <= 65535):
        raise ValueError(f"{ref!r} is not a Service port: expected NAMESPACE/NAME:PORT (port number "
                         f"1-65535 or port name), e.g. {CLUSTER_DEFAULT_BACKEND}")  # fmt: skip
    port = match.group(5)
    return match.group(1), match.group(3), int(port) if port.isdigit() else port

_SECONDS = {"type": "integer", "minimum": 1, "maximum": 86400}
BACKEND_CONFIG_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "timeoutSec": _SECONDS,
        "connectionDraining": {
            "type": "object",
            "properties": {"drainingTimeoutSec": {"type": "integer", "minimum": 0, "maximum": 3600}},
        },
        "sessionAffinity": {
            "type": "object",
            "properties": {
                "affinityType": {"enum": ["NONE", "CLIENT_IP", "GENERATED_COOKIE"]},
                "affinityCookieTtlSec": {"type": "integer", "minimum": 0, "maximum": 1209600},
            },
        },
        "healthCheck": {
            "type": "object",
            "properties": {
                "checkIntervalSec": {"type": "integer", "minimum": 1, "maximum": 300},
                "timeoutSec": {"type": "integer", "minimum": 1, "maximum": 300},
                "healthyThreshold": {"type": "integer", "minimum": 1, "maximum": 10},
                "unhealthyThreshold": {"type": "integer", "minimum": 1, "maximum": 10},
                "type": {"enum": ["HTTP", "HTTPS", "HTTP2"]},
                "requestPath": {"type": "string", "pattern": r"^/[\x21-\x7e]*$", "maxLength": 1024},  # printable
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            },
        },
        "securityPolicy": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "customRequestHeaders": {
            "type": "object",
            "properties": {"headers": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.*$"}}},
        },
        "logging": {
            "type": "object",
            "properties": {"enable": {"type": "boolean"}, "sampleRate": {"type": "number", "minimum": 0, "maximum": 1}},
        },
        "cdn": {
            "type": "object",
            "properties": {"enabled": {"type": "boolean"}, "cachePolicy": {"type": "object"}},
        },
        "iap": {"type": "object"},
    },
}
FRONTEND_CONFIG_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "redirectToHttps": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "responseCodeName": {
                    "enum": ["MOVED_PERMANENTLY_DEFAULT", "FOUND", "SEE_OTHER", "TEMPORARY_REDIRECT", "PERMANENT_REDIRECT"]
                },
            },
        },
        "sslPolicy": {"type": "string", "minLength": 1},
    },
}
_BACKEND_VALIDATOR = SchemaCheck(BACKEND_CONFIG_SPEC)
_FRONTEND_VALIDATOR = SchemaCheck(FRONTEND_CONFIG_SPEC)


def _check(validator: SchemaCheck, spec: Any, what: str, fail: Fail, where: str) -> None:
    error = validator.best_error(spec)
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise fail(where, f"{what} spec{path}: {error.message}")


def apply_gce_backend_settings(
    backend: Backend, service: Service, parsed: ParsedAnnotations, snapshot: ClusterSnapshot, fail: Fail
) -> None:
    """NEG or instance-group targets, protocol, BackendConfig and health check of one backend."""
    neg = parsed.get(a.NEG) or {}
    backend.target_type = "ip" if neg.get("ingress") else "instance"
    protocols = parsed.get(a.APP_PROTOCOLS) or {}
    backend.protocol = protocols.get(backend.port_name or "", protocols.get(str(backend.port), "HTTP"))

    health = HealthCheck(protocol=backend.protocol, path="/", source="default")
    probe = _readiness_probe(backend, service, snapshot)
    if probe is not None:
        health = HealthCheck(protocol=probe.scheme if probe.scheme in ("HTTP", "HTTPS") else backend.protocol,
                             path=probe.path, host=probe.host, interval_seconds=probe.period_seconds,
                             timeout_seconds=probe.timeout_seconds, source="readinessProbe")  # fmt: skip

    selection = parsed.get(a.BACKEND_CONFIG) or parsed.get(a.BACKEND_CONFIG_BETA)
    if selection:
        ports = selection.get("ports", {})
        name = ports.get(str(backend.port)) or ports.get(backend.port_name or "") or selection.get("default")
        if name:
            config = snapshot.custom_object(BACKEND_CONFIG, service.namespace, name)
            where = f"Service {service.ref.key} metadata.annotations[{a.BACKEND_CONFIG}]"
            if config is None:
                raise fail(where, f"BackendConfig {service.namespace}/{name} not found")
            _check(_BACKEND_VALIDATOR, config.spec, f"BackendConfig {service.namespace}/{name}", fail, where)
            backend.backend_config = {k: v for k, v in config.spec.items() if k != "healthCheck"}
            hc = config.spec.get("healthCheck")
            if hc:
                health = HealthCheck(
                    protocol=hc.get("type", health.protocol),
                    port=hc.get("port", health.port),
                    path=hc.get("requestPath", health.path),
                    host=health.host,
                    interval_seconds=hc.get("checkIntervalSec", health.interval_seconds),
                    timeout_seconds=hc.get("timeoutSec", health.timeout_seconds),
                    healthy_threshold=hc.get("healthyThreshold"),
                    unhealthy_threshold=hc.get("unhealthyThreshold"),
                    source="BackendConfig",
                )
    backend.health_check = health


def _readiness_probe(backend: Backend, service: Service, snapshot: ClusterSnapshot) -> ProbeSpec | None:
    """The HTTP GET readinessProbe that checks the serving port, from the first matching pod by name."""
    for pod in sorted(snapshot.pods_selected(service.namespace, service.selector), key=lambda p: p.name):
        for ports, probe in pod.readiness_probes:
            serving = backend.target_port
            names = {p.name for p in ports if p.name}
            numbers = {p.port for p in ports}
            probe_port = probe.port
            if isinstance(probe_port, str):
                probe_port = next((p.port for p in ports if p.name == probe_port), probe_port)
            serving_number = serving
            if isinstance(serving, str):
                serving_number = next((p.port for p in ports if p.name == serving), None)
            if probe_port == serving_number or (isinstance(serving, str) and serving in names and probe.port == serving):
                return probe
            if serving_number in numbers and probe_port == serving_number:
                return probe
    return None


def gce_frontend(
    ingress: Ingress,
    parsed: ParsedAnnotations,
    certificates: list[TLSCertificate],
    snapshot: ClusterSnapshot,
    fail: Fail,
) -> Frontend:
    """HTTP :80 (unless allow-http is false) and HTTPS :443 (when there are certificates)."""
    listeners: list[Listener] = []
    redirect = False
    ssl_policy = None
    config_name = parsed.get(a.FRONTEND_CONFIG)
    if config_name:
        where = f"metadata.annotations[{a.FRONTEND_CONFIG}]"
        config = snapshot.custom_object(FRONTEND_CONFIG, ingress.namespace, config_name)
        if config is None:
            raise fail(where, f"FrontendConfig {ingress.namespace}/{config_name} not found")
        _check(_FRONTEND_VALIDATOR, config.spec, f"FrontendConfig {ingress.namespace}/{config_name}", fail, where)
        redirect = bool((config.spec.get("redirectToHttps") or {}).get("enabled"))
        ssl_policy = config.spec.get("sslPolicy")
    if parsed.get(a.ALLOW_HTTP):
        listeners.append(Listener("HTTP", 80, redirect_to_https_port=443 if redirect and certificates else None))
    if certificates:
        listeners.append(Listener("HTTPS", 443, certificates=list(certificates), ssl_policy=ssl_policy))
    if not listeners:
        raise fail(f"metadata.annotations[{a.ALLOW_HTTP}]",
                   "is 'false' but the Ingress has no TLS certificate: nothing would listen (add spec.tls or "
                   f"{a.PRE_SHARED_CERT})")  # fmt: skip
    return Frontend(scheme="internet-facing", static_ip_name=parsed.get(a.GLOBAL_STATIC_IP), listeners=listeners)
