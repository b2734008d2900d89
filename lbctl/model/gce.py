"""Google Cloud (ingress-gce) semantics in the model: NEG mode, app protocols, BackendConfig,
FrontendConfig, health checks from readinessProbes, pre-shared certificates, path rewrites and the cluster
default backend. Each value is recorded with the field it came from. Pure: reads only the snapshot."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lbctl.model import annotations as a
from lbctl.model import gce_regional
from lbctl.model.alb import AlbProfile
from lbctl.model.classes import GCE_INTERNAL_CLASS
from lbctl.model.gateway_policies import BackendConfigOverlay
from lbctl.model.gce_gateway_policies import GceGatewayPolicies
from lbctl.model.objects import Ingress, ProbeSpec, Service
from lbctl.model.parsers import SchemaCheck
from lbctl.model.problems import SpecError
from lbctl.model.profile import GatewayFeatures, Member, MemberInput, ResolveOne, TlsCertificates, fail
from lbctl.model.registry import ParsedAnnotations, annotation_field
from lbctl.model.snapshot import BACKEND_CONFIG, FRONTEND_CONFIG, MANAGED_CERTIFICATE, ClusterSnapshot
from lbctl.model.spec import (
    Action,
    Authentication,
    Backend,
    Condition,
    Frontend,
    HealthCheck,
    Listener,
    Source,
    TLSCertificate,
    Transform,
)

Fail = Callable[[str, str], SpecError]

# GKE's cluster default backend: ingress-gce makes it the URL map's default service of every Ingress without
# spec.defaultBackend (the "404 (backend NotFound)" page), health-checked on /healthz.
CLUSTER_DEFAULT_BACKEND = "kube-system/default-http-backend:80"
DEFAULT_BACKEND_HEALTH_PATH = "/healthz"
DEFAULT_BACKEND_MANIFEST = "manifests/gcp/default-http-backend.yaml"
# What a rejected SSL policy names: the FrontendConfig the Ingress selects
SSL_POLICY_FIELD = f"{annotation_field(a.FRONTEND_CONFIG)} (sslPolicy)"
# FrontendConfig redirectToHttps.responseCodeName when unset: the URL map's own default, 301
DEFAULT_REDIRECT_CODE = "MOVED_PERMANENTLY_DEFAULT"
# ingress-gce's health-check defaults (pkg/healthchecks): node-port checks probe every node slowly, NEG ones
# faster. (interval, timeout, healthy threshold, unhealthy threshold) in seconds and counts.
INSTANCE_GROUP_HEALTH_DEFAULTS = (60, 60, 1, 10)
NEG_HEALTH_DEFAULTS = (15, 15, 1, 2)
# Transparent Health Checks (pkg/translator/healthchecks.go OverwriteWithTHC, flag
# --transparent-health-checks-port): the health-check agent on every node answers for the pods
THC_PORT = 7877
THC_TIMING: dict[str, Any] = {
    "interval_seconds": 5,
    "timeout_seconds": 5,
    "healthy_threshold": 1,
    "unhealthy_threshold": 10,
    "source": "transparent-health-checker",
}
HEALTH_CHECK_PROTOCOLS = ("HTTP", "HTTPS", "HTTP2")
_DNS_LABEL = r"([a-z0-9]([-a-z0-9]*[a-z0-9])?)"
_BACKEND_REF = re.compile(rf"{_DNS_LABEL}/{_DNS_LABEL}:([0-9]{{1,5}}|[a-z0-9-]{{1,15}})")


def parse_backend_ref(ref: str) -> tuple[str, str, int | str]:
    """`ns/name:port` (port number or name) → (namespace, name, port); ValueError naming the form."""
    match = _BACKEND_REF.fullmatch(ref)
    if match is None or (match.group(5).isdigit() and not 1 <= int(match.group(5)) <= 65535):
        raise ValueError(
            f"{ref!r} is not a Service port: expected NAMESPACE/NAME:PORT (port number "
            f"1-65535 or port name), e.g. {CLUSTER_DEFAULT_BACKEND}"
        )
    port = match.group(5)
    return match.group(1), match.group(3), int(port) if port.isdigit() else port


_SECONDS = {"type": "integer", "minimum": 1, "maximum": 86400}
_TTL = {"type": "integer", "minimum": 0, "maximum": 31622400}  # the Compute API's bound: one year
# The status codes a CDN negative-caching policy may name (Compute API)
NEGATIVE_CACHING_CODES = (300, 301, 302, 307, 308, 404, 405, 410, 421, 451, 501)
# ingress-gce's CDN policy when the BackendConfig leaves a field unset (pkg/backends/features/cdn.go)
CDN_DEFAULTS: dict[str, Any] = {
    "cacheMode": "CACHE_ALL_STATIC",
    "clientTtl": 3600,
    "defaultTtl": 3600,
    "maxTtl": 86400,
    "negativeCaching": True,
    "requestCoalescing": True,
    "serveWhileStale": 86400,
    "signedUrlCacheMaxAgeSec": 0,
}
CDN_DEFAULT_CACHE_KEY: dict[str, Any] = {
    "includeHost": True,
    "includeProtocol": True,
    "includeQueryString": True,
}
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
                "affinityCookieTtlSec": {"type": "integer", "minimum": 0, "maximum": 86400},
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
                "requestPath": {
                    "type": "string",
                    "pattern": r"^/[\x21-\x7e]*$",
                    "maxLength": 1024,
                },  # printable
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            },
        },
        "securityPolicy": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}},
        },
        "customRequestHeaders": {
            "type": "object",
            "properties": {
                "headers": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.*$"}}
            },
        },
        "logging": {
            "type": "object",
            "properties": {
                "enable": {"type": "boolean"},
                "sampleRate": {"type": "number", "minimum": 0, "maximum": 1},
            },
        },
        "customResponseHeaders": {
            "type": "object",
            "properties": {
                "headers": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.*$"}}
            },
        },
        "cdn": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "cachePolicy": {
                    "type": "object",
                    "properties": {
                        "includeHost": {"type": "boolean"},
                        "includeProtocol": {"type": "boolean"},
                        "includeQueryString": {"type": "boolean"},
                        "queryStringBlacklist": {"type": "array", "items": {"type": "string"}},
                        "queryStringWhitelist": {"type": "array", "items": {"type": "string"}},
                    },
                    "not": {"required": ["queryStringBlacklist", "queryStringWhitelist"]},
                },
                "cacheMode": {"enum": ["CACHE_ALL_STATIC", "USE_ORIGIN_HEADERS", "FORCE_CACHE_ALL"]},
                "clientTtl": _TTL,
                "defaultTtl": _TTL,
                "maxTtl": _TTL,
                "negativeCaching": {"type": "boolean"},
                "negativeCachingPolicy": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {"enum": list(NEGATIVE_CACHING_CODES)},
                            "ttl": {"type": "integer", "minimum": 0, "maximum": 1800},
                        },
                    },
                },
                "requestCoalescing": {"type": "boolean"},
                "serveWhileStale": {"type": "integer", "minimum": 0, "maximum": 604800},
                "signedUrlCacheMaxAgeSec": {"type": "integer", "minimum": 0},
                "signedUrlKeys": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "keyName": {"type": "string", "pattern": r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"},
                            "keyValue": {"type": "string"},
                            "secretName": {"type": "string"},
                        },
                    },
                },
                "bypassCacheOnRequestHeaders": {
                    "type": "array",
                    "maxItems": 5,
                    "items": {
                        "type": "object",
                        "required": ["headerName"],
                        "properties": {
                            "headerName": {"type": "string", "pattern": "^[!#-'*+.0-9A-Z^-z|~-]+$"}
                        },
                    },
                },
            },
        },
        "iap": {
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "oauthclientCredentials": {
                    "type": "object",
                    "properties": {"secretName": {"type": "string", "minLength": 1}},
                },
            },
        },
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
                    "enum": [
                        "MOVED_PERMANENTLY_DEFAULT",
                        "FOUND",
                        "SEE_OTHER",
                        "TEMPORARY_REDIRECT",
                        "PERMANENT_REDIRECT",
                    ]
                },
            },
        },
        "sslPolicy": {"type": "string", "minLength": 1},
    },
}

# gke-managed-certs' CRD (deploy/managedcertificates-crd.yaml): up to 100 non-wildcard domains of up to 63
# characters each. The API refuses a managed certificate without domains, so the model refuses an empty list.
MANAGED_CERTIFICATE_SPEC: dict[str, Any] = {
    "type": "object",
    "properties": {
        "domains": {
            "type": "array",
            "maxItems": 100,
            "items": {
                "type": "string",
                "maxLength": 63,
                "pattern": r"^(([a-z0-9]+|[a-z0-9][-a-z0-9]*[a-z0-9])\.)+[a-z][-a-z0-9]*[a-z0-9]$",
            },
        },
    },
}
# What lbctl writes into a ManagedCertificate's status (the CRD's status schema, as gke-managed-certs has it).
MANAGED_CERTIFICATE_STATUS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "certificateStatus": {"type": "string"},
        "domainStatus": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["domain", "status"],
                "properties": {"domain": {"type": "string"}, "status": {"type": "string"}},
            },
        },
        "certificateName": {"type": "string"},
        "expireTime": {"type": "string", "format": "date-time"},
    },
}


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    """Every object with listed properties refuses others: an unknown field is an error, never ignored."""
    if "properties" in schema:
        schema.setdefault("additionalProperties", False)
        for child in schema["properties"].values():
            _closed(child)
    if isinstance(schema.get("items"), dict):
        _closed(schema["items"])
    return schema


_closed(BACKEND_CONFIG_SPEC)
_closed(FRONTEND_CONFIG_SPEC)
_closed(MANAGED_CERTIFICATE_SPEC)
_BACKEND_VALIDATOR = SchemaCheck(BACKEND_CONFIG_SPEC)
_FRONTEND_VALIDATOR = SchemaCheck(FRONTEND_CONFIG_SPEC)
_MANAGED_VALIDATOR = SchemaCheck(MANAGED_CERTIFICATE_SPEC)


def managed_certificates(
    ingress: Ingress, parsed: ParsedAnnotations, snapshot: ClusterSnapshot, fail: Fail
) -> list[TLSCertificate]:
    """The ManagedCertificates the Ingress names, each a certificate for its domains (sorted: their order
    means nothing to the cloud); a missing or invalid one refuses the Ingress, naming it."""
    where = annotation_field(a.MANAGED_CERTIFICATES)
    out: list[TLSCertificate] = []
    for name in dict.fromkeys(parsed.get(a.MANAGED_CERTIFICATES) or []):
        what = f"ManagedCertificate {ingress.namespace}/{name}"
        config = snapshot.custom_object(MANAGED_CERTIFICATE, ingress.namespace, name)
        if config is None:
            raise fail(where, f"{what} not found (it must be in the Ingress's namespace)")
        domains = config.spec.get("domains")
        for index, domain in enumerate(domains if isinstance(domains, list) else []):
            if isinstance(domain, str) and "*" in domain:
                raise fail(
                    where,
                    f"{what} spec.domains[{index}]: {domain!r} is a wildcard; Google-managed certificates "
                    "take up to 100 non-wildcard domain names",
                )
        _check(_MANAGED_VALIDATOR, config.spec, what, fail, where)
        domains = list(config.spec.get("domains") or [])
        if not domains:
            raise fail(where, f"{what} spec.domains: is empty; expected 1 to 100 domain names")
        out.append(TLSCertificate("managed", f"{ingress.namespace}/{name}", sorted(set(domains))))
    return out


def _check(validator: SchemaCheck, spec: Any, what: str, fail: Fail, where: str) -> None:
    error = validator.best_error(spec)
    if error is not None:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise fail(where, f"{what} spec{path}: {error.message}")


def apply_gce_backend_settings(
    backend: Backend,
    service: Service,
    parsed: ParsedAnnotations,
    snapshot: ClusterSnapshot,
    fail: Fail,
    overlay: BackendConfigOverlay | None = None,
) -> None:
    """NEG or instance-group targets, protocol, BackendConfig and health check of one backend."""
    on_service = f"Service {service.ref.key} "
    fields = backend.fields
    neg = parsed.get(a.NEG) or {}
    backend.target_type = "ip" if neg.get("ingress") else "instance"
    fields["target_type"] = Source(
        on_service + annotation_field(a.NEG), "Service" if parsed.has(a.NEG) else "default"
    )
    # ingress-gce reads the legacy key first and the cloud.google.com one only without it
    protocol_key = a.APP_PROTOCOLS_LEGACY if parsed.has(a.APP_PROTOCOLS_LEGACY) else a.APP_PROTOCOLS
    protocols = parsed.get(protocol_key) or {}
    backend.protocol = protocols.get(backend.port_name or "", protocols.get(str(backend.port), "HTTP"))
    fields["protocol"] = Source(
        on_service + annotation_field(protocol_key),
        "Service" if parsed.has(protocol_key) else "default",
    )

    health = HealthCheck(protocol=backend.protocol, path="/", source="default")
    health_source = Source(on_service + annotation_field(a.BACKEND_CONFIG))  # where a health check is set
    checked = {attribute: health_source for attribute in _HEALTH_ATTRIBUTES}
    probe = _readiness_probe(backend, service, snapshot)
    if probe is not None:
        health = HealthCheck(
            protocol=probe.scheme if probe.scheme in ("HTTP", "HTTPS") else backend.protocol,
            path=probe.path,
            host=probe.host,
            interval_seconds=probe.period_seconds,
            timeout_seconds=probe.timeout_seconds,
            source="readinessProbe",
        )
        probed = Source(f"Pods of Service {service.ref.key}: readinessProbe", "readinessProbe")
        checked.update(
            {
                f"health_check.{k}": probed
                for k in ("protocol", "path", "host", "interval_seconds", "timeout_seconds")
            }
        )

    selection = parsed.get(a.BACKEND_CONFIG) or parsed.get(a.BACKEND_CONFIG_BETA)
    config_spec: Mapping[str, Any] | None = None
    config_name = ""
    where = f"Service {service.ref.key} {annotation_field(a.BACKEND_CONFIG)}"
    if selection:
        ports = selection.get("ports", {})
        config_name = (
            ports.get(str(backend.port)) or ports.get(backend.port_name or "") or selection.get("default")
        )
        if config_name:
            config = snapshot.custom_object(BACKEND_CONFIG, service.namespace, config_name)
            if config is None:
                raise fail(where, f"BackendConfig {service.namespace}/{config_name} not found")
            config_spec = config.spec
    what = f"BackendConfig {service.namespace}/{config_name} spec"
    if overlay is not None:  # a Gateway backend's policies, over its BackendConfig key by key
        config_spec = {**(config_spec or {}), **overlay.spec}
        what = ", ".join(sorted({*overlay.fields.values(), *([what] if config_name else [])}))
        where = what
    if config_spec is not None:
        _check(_BACKEND_VALIDATOR, config_spec, what.removesuffix(" spec"), fail, where)
        backend.backend_config = {k: v for k, v in config_spec.items() if k != "healthCheck"}
        if "cdn" in config_spec:
            backend.backend_config["cdn"] = resolve_cdn(config_spec["cdn"] or {}, what, where, fail)
        _secret_fields(
            config_spec, backend.backend_config, service.namespace, config_name, snapshot, fail, where
        )
        fields["backend_config"] = Source(
            what, "GCPBackendPolicy" if overlay is not None else "BackendConfig"
        )
        hc = config_spec.get("healthCheck")
        if hc:
            hc_where = (overlay.fields.get("healthCheck") if overlay is not None else None) or (
                f"BackendConfig {service.namespace}/{config_name} spec.healthCheck"
            )
            by_policy = overlay is not None and "healthCheck" in overlay.fields
            origin = "HealthCheckPolicy" if by_policy else "BackendConfig"
            for key, attribute in _BACKEND_CONFIG_HEALTH.items():
                if key in hc:
                    checked[attribute] = Source(hc_where if by_policy else f"{hc_where}.{key}", origin)
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
    backend.health_check = _with_defaults(health, backend)
    backend.backend_config = with_backend_service_defaults(backend.backend_config)
    if (parsed.get(a.TRANSPARENT_HEALTH_CHECKER) or {}).get("enabled"):
        where = on_service + annotation_field(a.TRANSPARENT_HEALTH_CHECKER)
        if backend.target_type != "ip":
            raise fail(
                where,
                "Transparent Health Checks probe pods through NEGs: also set "
                f"{a.NEG}: '{{\"ingress\": true}}', or remove the annotation",
            )
        if health.source == "BackendConfig":
            raise fail(
                where,
                "the BackendConfig of this port sets spec.healthCheck, which ingress-gce would use instead of "
                "Transparent Health Checks: remove one of the two",
            )
        backend.health_check = HealthCheck(
            protocol="HTTP", port=THC_PORT, path="/api/podhealth", **THC_TIMING
        )
        thc = Source(where, "Service")
        checked = {attribute: thc for attribute in _HEALTH_ATTRIBUTES}
    fields.update(checked)


# What ingress-gce sends for a backend service when no BackendConfig sets it (pkg/backends: the API's own
# defaults, spelled out so that an update can put them back when a BackendConfig field is removed).
BACKEND_SERVICE_DEFAULTS: dict[str, Any] = {
    "timeoutSec": 30,
    "connectionDraining": {"drainingTimeoutSec": 0},
    "sessionAffinity": {"affinityType": "NONE", "affinityCookieTtlSec": 0},
    "customRequestHeaders": {"headers": []},
    "customResponseHeaders": {"headers": []},
    "logging": {"enable": False},
    "cdn": {"enabled": False},
    "iap": {"enabled": False},
}


def with_backend_service_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The BackendConfig settings of a backend with every unset value resolved to its default, a nested one
    included (a `sessionAffinity` with only its type keeps the default cookie TTL)."""
    out = dict(config)
    for key, default in BACKEND_SERVICE_DEFAULTS.items():
        given = out.get(key)
        if isinstance(default, dict):
            out[key] = {**default, **(given if isinstance(given, dict) else {})}
        elif given is None:
            out[key] = default
    return out


def _with_defaults(health: HealthCheck, backend: Backend) -> HealthCheck:
    """Every value of the health check resolved, as ingress-gce sends it: the protocol of the backend (HTTP
    for one a health check cannot speak); a readinessProbe's period plus the default interval for node ports
    (slow probes of every node), a BackendConfig interval as is; the timeout at most the interval (the API
    requires it); the port of the BackendConfig, else the node port, else None: the serving port (NEGs, or a
    node port not known yet in an offline plan)."""
    neg = backend.target_type == "ip"
    interval, timeout, healthy, unhealthy = NEG_HEALTH_DEFAULTS if neg else INSTANCE_GROUP_HEALTH_DEFAULTS
    protocol = (health.protocol or backend.protocol or "HTTP").upper()
    if health.interval_seconds is not None:
        interval = health.interval_seconds + (
            interval if health.source == "readinessProbe" and not neg else 0
        )
    port = health.port if isinstance(health.port, int) else None if neg else backend.node_port
    return HealthCheck(
        protocol=protocol if protocol in HEALTH_CHECK_PROTOCOLS else "HTTP",
        port=port,
        path=health.path,
        host=health.host,
        interval_seconds=interval,
        timeout_seconds=min(health.timeout_seconds or timeout, interval),
        healthy_threshold=health.healthy_threshold or healthy,
        unhealthy_threshold=health.unhealthy_threshold or unhealthy,
        source=health.source,
    )


def resolve_cdn(cdn: dict[str, Any], what: str, where: str, fail: Fail) -> dict[str, Any]:
    """The CDN settings ingress-gce sends for a BackendConfig's `cdn` (pkg/backends/features/cdn.go): its
    defaults for unset fields; no TTL the cache mode forbids (USE_ORIGIN_HEADERS: no client/default/max TTL,
    FORCE_CACHE_ALL: no max TTL: left out of the request); the query-string lists only when the query string is in the key; the
    negative-caching policy only with negative caching. Disabled: {"enabled": False}."""
    if not cdn.get("enabled"):
        return {"enabled": False}
    policy = cdn.get("cachePolicy")
    if policy is None:
        key = dict(CDN_DEFAULT_CACHE_KEY)
    else:
        key = {k: bool(policy.get(k, False)) for k in CDN_DEFAULT_CACHE_KEY}
        if key["includeQueryString"]:
            for name in ("queryStringBlacklist", "queryStringWhitelist"):
                if policy.get(name):
                    key[name] = list(policy[name])
    out: dict[str, Any] = {"enabled": True, "cacheKeyPolicy": key}
    for name, default in CDN_DEFAULTS.items():
        out[name] = cdn.get(name, default)
    mode = out["cacheMode"]
    forbidden = {"USE_ORIGIN_HEADERS": ("clientTtl", "defaultTtl", "maxTtl"), "FORCE_CACHE_ALL": ("maxTtl",)}
    for name in forbidden.get(mode, ()):
        if name in cdn:
            raise fail(where, f"{what}.cdn.{name}: cannot be set with cacheMode {mode}; remove it")
        del out[name]  # not sent at all, as ingress-gce does
    if mode == "CACHE_ALL_STATIC":  # the API's bounds: neither TTL above the maximum
        for name in ("defaultTtl", "clientTtl"):
            if out[name] > out["maxTtl"]:
                raise fail(where, f"{what}.cdn.{name}: {out[name]} exceeds maxTtl {out['maxTtl']}")
    codes = [p["code"] for p in cdn.get("negativeCachingPolicy") or []]
    if len(set(codes)) != len(codes):
        raise fail(where, f"{what}.cdn.negativeCachingPolicy: a status code is listed twice")
    if out["negativeCaching"] and codes:
        out["negativeCachingPolicy"] = sorted(
            ({"code": p["code"], "ttl": p.get("ttl", 0)} for p in cdn["negativeCachingPolicy"]),
            key=lambda p: p["code"],
        )
    elif codes:
        raise fail(where, f"{what}.cdn.negativeCachingPolicy: needs negativeCaching true")
    headers = [h["headerName"] for h in cdn.get("bypassCacheOnRequestHeaders") or []]
    if headers:
        out["bypassCacheOnRequestHeaders"] = [{"headerName": h} for h in headers]
    return out


# The Secret items ingress-gce reads (pkg/backendconfig/validation.go)
OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, SIGNED_URL_KEY_VALUE = "client_id", "client_secret", "key_value"


def inline_key_ref(namespace: str, name: str) -> str:
    """Where StackInput.secrets keeps a BackendConfig's inline signed URL key values (by key name)."""
    return f"BackendConfig:{namespace}/{name}"


def _secret_fields(
    spec: Mapping[str, Any],
    out: dict[str, Any],
    namespace: str,
    name: str,
    snapshot: ClusterSnapshot,
    fail: Fail,
    where: str,
) -> None:
    """`iap` and `cdn.signedUrlKeys` with their Secrets checked, as references only: `out` (the backend's
    settings) never holds a secret value; StackInput.secrets carries them to the provider."""
    what = f"BackendConfig {namespace}/{name} spec"

    def need(field: str, secret_name: str, items: tuple[str, ...]) -> str:
        secret = snapshot.secret(namespace, secret_name)
        if secret is None:
            raise fail(where, f"{what}.{field}: Secret {namespace}/{secret_name} not found")
        for item in items:
            if item not in secret.data:
                raise fail(where, f"{what}.{field}: Secret {namespace}/{secret_name} has no {item!r} item")
        return f"{namespace}/{secret_name}"

    cdn = spec.get("cdn") or {}
    iap = spec.get("iap")
    if iap is not None:
        enabled = bool(iap.get("enabled"))
        resolved: dict[str, Any] = {"enabled": enabled}
        secret_name = (iap.get("oauthclientCredentials") or {}).get("secretName")
        if enabled and cdn.get("enabled"):
            raise fail(where, f"{what}.iap: iap and cdn cannot be enabled at the same time")
        if secret_name and not enabled:
            raise fail(where, f"{what}.iap.oauthclientCredentials: has no effect unless iap.enabled is true")
        if secret_name:
            field = "iap.oauthclientCredentials.secretName"
            resolved["secret"] = need(field, secret_name, (OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET))
        out["iap"] = resolved
    keys = cdn.get("signedUrlKeys") or []
    if keys and not cdn.get("enabled"):
        raise fail(where, f"{what}.cdn.signedUrlKeys: has no effect unless cdn.enabled is true")
    refs: list[dict[str, str]] = []
    for index, key in enumerate(keys):
        field = f"cdn.signedUrlKeys[{index}]"
        if not key.get("keyName"):
            raise fail(where, f"{what}.{field}.keyName: required")
        if bool(key.get("secretName")) == bool(key.get("keyValue")):
            raise fail(where, f"{what}.{field}: set exactly one of keyValue and secretName")
        if key.get("secretName"):
            ref = need(f"{field}.secretName", key["secretName"], (SIGNED_URL_KEY_VALUE,))
            refs.append({"keyName": key["keyName"], "secret": ref, "item": SIGNED_URL_KEY_VALUE})
        else:
            refs.append(
                {"keyName": key["keyName"], "secret": inline_key_ref(namespace, name), "item": key["keyName"]}
            )
    if len({r["keyName"] for r in refs}) != len(refs):
        raise fail(where, f"{what}.cdn.signedUrlKeys: a keyName is listed twice")
    if len(refs) > 3:
        raise fail(where, f"{what}.cdn.signedUrlKeys: at most 3 keys per backend service")
    if refs:  # the inline values stay in the BackendConfig; only their references are kept
        out["cdn"]["signedUrlKeys"] = refs


_BACKEND_CONFIG_HEALTH = {
    "type": "health_check.protocol",
    "port": "health_check.port",
    "requestPath": "health_check.path",
    "checkIntervalSec": "health_check.interval_seconds",
    "timeoutSec": "health_check.timeout_seconds",
    "healthyThreshold": "health_check.healthy_threshold",
    "unhealthyThreshold": "health_check.unhealthy_threshold",
}
_HEALTH_ATTRIBUTES = (*_BACKEND_CONFIG_HEALTH.values(), "health_check.host")


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
            if probe_port == serving_number or (
                isinstance(serving, str) and serving in names and probe.port == serving
            ):
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
    fields: dict[str, Source] | None = None,
) -> Frontend:
    """HTTP :80 (unless allow-http is false) and HTTPS :443 (when there are certificates); `fields` gets the
    source of each value."""
    fields = {} if fields is None else fields
    fields.update(gce_default_fields())
    listeners: list[Listener] = []
    redirect = False
    redirect_code, code_set = DEFAULT_REDIRECT_CODE, False
    ssl_policy = None
    config_name = parsed.get(a.FRONTEND_CONFIG)
    if config_name:
        where = annotation_field(a.FRONTEND_CONFIG)
        config = snapshot.custom_object(FRONTEND_CONFIG, ingress.namespace, config_name)
        if config is None:
            raise fail(where, f"FrontendConfig {ingress.namespace}/{config_name} not found")
        _check(
            _FRONTEND_VALIDATOR, config.spec, f"FrontendConfig {ingress.namespace}/{config_name}", fail, where
        )
        redirect_spec = config.spec.get("redirectToHttps") or {}
        redirect = bool(redirect_spec.get("enabled"))
        redirect_code = redirect_spec.get("responseCodeName") or DEFAULT_REDIRECT_CODE
        code_set = "responseCodeName" in redirect_spec
        ssl_policy = config.spec.get("sslPolicy")
    origins = {
        "frontend.listeners.ssl_policy": "FrontendConfig" if ssl_policy else "default",
        "frontend.listeners.redirect_to_https_port": "FrontendConfig" if redirect else "default",
        "frontend.listeners.redirect_code": "FrontendConfig" if code_set else "default",
        "frontend.listeners": "Ingress" if parsed.has(a.ALLOW_HTTP) else "default",
        "frontend.static_ip_name": "Ingress" if parsed.has(a.GLOBAL_STATIC_IP) else "default",
        "certificates": "Ingress"
        if parsed.has(a.PRE_SHARED_CERT) or parsed.has(a.MANAGED_CERTIFICATES)
        else "default",
    }
    fields.update({k: Source(fields[k].field, origin) for k, origin in origins.items()})
    if parsed.get(a.ALLOW_HTTP):
        redirecting = redirect and bool(certificates)
        listeners.append(
            Listener(
                "HTTP",
                80,
                redirect_to_https_port=443 if redirecting else None,
                redirect_code=redirect_code if redirecting else None,
            )
        )
    if certificates:
        listeners.append(Listener("HTTPS", 443, certificates=list(certificates), ssl_policy=ssl_policy))
    if not listeners:
        raise fail(
            annotation_field(a.ALLOW_HTTP),
            "is 'false' but the Ingress has no TLS certificate: nothing would listen (add spec.tls or "
            f"{a.PRE_SHARED_CERT} or {a.MANAGED_CERTIFICATES})",
        )
    fields["frontend.firewall_error_as_warning"] = Source(
        annotation_field(a.SUPPRESS_FIREWALL_XPN_ERROR),
        "Ingress" if parsed.has(a.SUPPRESS_FIREWALL_XPN_ERROR) else "default",
    )
    cls = gce_regional.regional_class(ingress, parsed, fail)
    address = gce_regional.static_ip(cls, parsed, fail)
    if cls is not None:
        gce_regional.check_frontend(cls, listeners, address, fail, SSL_POLICY_FIELD)
        fields["frontend.static_ip_name"] = Source(
            annotation_field(a.REGIONAL_STATIC_IP), "Ingress" if address else "default"
        )
    return Frontend(
        scheme="internal" if cls == GCE_INTERNAL_CLASS else "internet-facing",
        static_ip_name=address,
        listeners=listeners,
        regional=cls is not None,
        firewall_error_as_warning=bool(parsed.get(a.SUPPRESS_FIREWALL_XPN_ERROR)),
    )


def gce_default_fields() -> dict[str, Source]:
    """Where each spec-level value of a GCE load balancer is set, whatever the Ingress sets."""
    return {
        "frontend.listeners": Source(annotation_field(a.ALLOW_HTTP)),
        "frontend.listeners.ssl_policy": Source(SSL_POLICY_FIELD),
        "frontend.listeners.redirect_to_https_port": Source(
            f"{annotation_field(a.FRONTEND_CONFIG)} (redirectToHttps)"
        ),
        "frontend.listeners.redirect_code": Source(
            f"{annotation_field(a.FRONTEND_CONFIG)} (redirectToHttps.responseCodeName)"
        ),
        "frontend.static_ip_name": Source(annotation_field(a.GLOBAL_STATIC_IP)),
        "frontend.firewall_error_as_warning": Source(annotation_field(a.SUPPRESS_FIREWALL_XPN_ERROR)),
        "frontend.regional": Source(annotation_field(a.INGRESS_CLASS)),
        "certificates": Source(annotation_field(a.PRE_SHARED_CERT)),
    }


# The global external Application Load Balancer with advanced traffic management (URL map routeRules).
GATEWAY = GatewayFeatures(
    controller_name="lbctl.io/gce",
    drop_in_controller_names=("networking.gke.io/gateway",),  # GKE's Gateway controller
    filters=frozenset({"RequestRedirect", "URLRewrite", "RequestHeaderModifier", "ResponseHeaderModifier"}),
    redirect_codes=frozenset({301, 302, 303, 307, 308}),  # urlRedirect.redirectResponseCode
    redirect_prefix=True,  # urlRedirect.prefixRedirect
    request_timeout=True,  # routeAction.timeout
    regex_query=False,  # queryParameterMatches regexMatch: regional and internal load balancers only (API reference)
    static_addresses=True,  # a reserved global address, by name or IP
    grpc_protocol="HTTP2",  # gRPC backends are HTTP/2 backend services
    regex_matches=False,  # regexMatch: regional and internal load balancers only (API reference)
    conversion_policies=frozenset({"HealthCheckPolicy", "GCPBackendPolicy", "GCPGatewayPolicy"}),  # GKE's
    policies=GceGatewayPolicies(_BACKEND_VALIDATOR),
    # GKE's Gateway: SslCertificates made in the project, by name, on an HTTPS listener
    certificate_options={"networking.gke.io/pre-shared-certs": "pre-shared"},
    # its forwarding rules take HTTP on 80 and HTTPS on 443 (as GKE's gke-l7-global-external-managed)
    listener_ports={"HTTP": frozenset({80}), "HTTPS": frozenset({443})},
)


class GceProfile:
    """The GCE profile of the builder (see lbctl.model.profile.CloudProfile)."""

    name = "gcp"
    cluster_default_backend: str | None = CLUSTER_DEFAULT_BACKEND
    gateway = GATEWAY

    def group_name(self, parsed: ParsedAnnotations) -> str | None:
        return None  # ingress-gce has no IngressGroups: one load balancer per Ingress

    def class_pins(self, ingress: Ingress, snapshot: ClusterSnapshot, assume_missing: bool) -> None:
        return None  # ingress-gce's IngressClass has no parameters

    def default_fields(self) -> dict[str, Source]:
        return gce_default_fields()

    def order(self, parsed: ParsedAnnotations) -> int:
        return 0

    def rewrite(self, member: MemberInput) -> str | None:
        return member.parsed.get(a.REWRITE_TARGET_NGINX) or member.parsed.get(a.REWRITE_TARGET)

    def conditions(self, member: MemberInput) -> dict[str, list[Condition]]:
        return AlbProfile().conditions(member)  # the annotation is ALB's; the provider skips such rules

    def transforms(self, member: MemberInput) -> dict[str, list[Transform]]:
        for name in member.parsed.family(a.TRANSFORMS):
            field = annotation_field(a.TRANSFORMS.replace("${name}", name))
            raise member.fail(field, "ALB rule transforms have no Google Cloud equivalent here; remove it")
        return {}

    def regex_paths(self, member: MemberInput) -> bool:
        if member.parsed.get(a.USE_REGEX_PATH_MATCH):
            raise member.fail(
                annotation_field(a.USE_REGEX_PATH_MATCH), "Google Cloud URL maps have no regex paths"
            )
        return False

    def annotation_action(self, member: MemberInput, name: str, where: str) -> Action:
        raise member.fail(where, "port 'use-annotation' is an ALB feature (actions.<name>)")

    def certificates(self, member: MemberInput, tls: TlsCertificates) -> list[TLSCertificate]:
        pre_shared = [
            TLSCertificate("pre-shared", name) for name in member.parsed.get(a.PRE_SHARED_CERT) or []
        ]
        managed = managed_certificates(member.ingress, member.parsed, member.snapshot, member.fail)
        return pre_shared + managed + tls(False)

    def listen_ports(self, member: MemberInput, certificates: list[TLSCertificate]) -> list[tuple[str, int]]:
        return []  # the frontend decides: :80 unless allow-http is false, :443 with certificates

    def backend_settings(
        self,
        member: MemberInput,
        backend: Backend,
        service: Service,
        service_parsed: ParsedAnnotations,
        where: str,
    ) -> None:
        try:
            overlay = member.policies.backend_config(service, member.fail) if member.policies else None
        except SpecError as err:  # named at the backendRef, saying which policy field
            raise member.fail(where, f"{err.problem.field}: {err.problem.message}") from None
        apply_gce_backend_settings(backend, service, service_parsed, member.snapshot, member.fail, overlay)
        cls = gce_regional.regional_class(member.ingress, member.parsed, member.fail)
        if cls is not None:
            gce_regional.check_backend(cls, backend, service, member.fail)

    def authentication(
        self,
        member: MemberInput,
        service: Service | None,
        service_parsed: ParsedAnnotations | None,
        where: str,
    ) -> Authentication | None:
        return None

    def group_tags(self, members: Sequence[Member]) -> tuple[dict[str, str], Source | None]:
        return {}, None

    def frontend(
        self, key: str, members: Sequence[Member], snapshot: ClusterSnapshot
    ) -> tuple[Frontend, dict[str, Source]]:
        first = members[0]
        fields: dict[str, Source] = {}
        frontend = gce_frontend(
            first.ingress,
            first.parsed,
            first.certificates,
            snapshot,
            lambda f, m: fail(first.ingress, f, m),
            fields,
        )
        return frontend, fields

    def default_backend(
        self,
        member: MemberInput,
        cluster_default: str | None,
        assume_missing: bool,
        resolve: ResolveOne,
        backends: dict[str, Backend],
    ) -> str | None:
        """A URL map needs a default service: the cluster default backend ("ns/name:port"), health-checked
        on /healthz as ingress-gce does unless its Pods' readinessProbe or a BackendConfig says otherwise.
        Missing from the cluster, the group fails naming it and the fix; missing from the files (offline
        commands), it is assumed."""
        if cluster_default is None:
            raise member.fail(
                "spec.defaultBackend",
                "a Google Cloud URL map needs a default service: set "
                "spec.defaultBackend, or start lbctl with --default-backend-service ns/name:port",
            )
        try:
            namespace, name, port = parse_backend_ref(cluster_default)
        except ValueError as err:
            raise member.fail("spec.defaultBackend", f"the cluster default backend {err}") from None
        if member.snapshot.service(namespace, name) is None and not assume_missing:
            install = "create it"
            if cluster_default == CLUSTER_DEFAULT_BACKEND:
                install = f"kubectl apply -f {DEFAULT_BACKEND_MANIFEST}"
            raise member.fail(
                "spec.defaultBackend",
                f"the cluster default backend {cluster_default} is missing "
                f"(Service {namespace}/{name} not found): {install}, set spec.defaultBackend on the "
                "Ingress, or start lbctl with --default-backend-service ns/name:port",
            )
        default = resolve(namespace, name, port, f"cluster default backend {cluster_default}")
        if default.key in backends:  # also a backend of a rule: one backend, as the rule has it
            if backends[default.key] != default:
                raise member.fail(
                    "spec.defaultBackend",
                    f"the cluster default backend {cluster_default} is also "
                    "a backend of this Ingress with other settings; set spec.defaultBackend",
                )
            return default.key
        if default.health_check.source == "default":
            default.health_check.path = DEFAULT_BACKEND_HEALTH_PATH
            default.fields["health_check.path"] = Source(f"cluster default backend {cluster_default}")
        backends[default.key] = default
        return default.key
