"""GKE's Gateway policies (`networking.gke.io/v1`), read as the BackendConfig and FrontendConfig fields they stand
for. Pure.

- HealthCheckPolicy (targetRef a Service): the backend service's health check — interval, timeout, thresholds,
  type HTTP / HTTPS / HTTP2, requestPath, a fixed port — replacing a BackendConfig's `healthCheck` whole.
- GCPBackendPolicy (targetRef a Service): timeoutSec, connectionDraining, sessionAffinity, securityPolicy (Cloud
  Armor), logging — each over the same BackendConfig field.
- GCPGatewayPolicy (targetRef the Gateway): sslPolicy of its HTTPS proxy.

A policy applies in its target's namespace; of two of one kind on the same target the older wins and the other
reads `Accepted=False, Conflicted`. Fields lbctl cannot honour are refused by name (`Accepted=False, Invalid`;
the backend's rules answer 500 as for any backend that cannot be used), never ignored. The overlay is checked
by the BackendConfig schema, so a value is held to what a BackendConfig field takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lbctl.model.gateway import Gateway, GatewayClass
from lbctl.model.gateway_attach import Condition
from lbctl.model.gateway_policies import (
    ACCEPTED,
    BackendConfigOverlay,
    ExtensionError,
    Fail,
    GatewayPolicyView,
    PolicyFieldError,
    RuleExtension,
    conflicted,
    of_kind,
    policy_name,
    targeting,
)
from lbctl.model.objects import CustomObject, Service
from lbctl.model.parsers import SchemaCheck
from lbctl.model.registry import ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot

HEALTH_CHECK_POLICY = "HealthCheckPolicy"
BACKEND_POLICY = "GCPBackendPolicy"
GATEWAY_POLICY = "GCPGatewayPolicy"
_CORE = ("",)
_GATEWAY_GROUP = ("gateway.networking.k8s.io",)
_PROBES = {"HTTP": "httpHealthCheck", "HTTPS": "httpsHealthCheck", "HTTP2": "http2HealthCheck"}
_HEALTH_NUMBERS = ("checkIntervalSec", "timeoutSec", "healthyThreshold", "unhealthyThreshold")
_BACKEND_REFUSED = {
    "iap": "Identity-Aware Proxy is not supported on Gateway backends here",
    "maxRatePerEndpoint": "not supported on Gateway backends here",
    "backendPreference": "not supported on Gateway backends here",
    "localityLBPolicy": "not supported on Gateway backends here",
}


def _default(policy: CustomObject) -> Mapping[str, Any]:
    for name in policy.spec:
        if name not in ("default", "targetRef"):
            raise PolicyFieldError(
                f"spec.{name}", "not supported; lbctl reads spec.default and spec.targetRef"
            )
    value = policy.spec.get("default")
    return value if isinstance(value, Mapping) else {}


def health_check(policy: CustomObject) -> dict[str, Any]:
    """A HealthCheckPolicy as a BackendConfig `healthCheck`."""
    default = _default(policy)
    out: dict[str, Any] = {k: default[k] for k in _HEALTH_NUMBERS if default.get(k) is not None}
    logging = default.get("logConfig")
    if isinstance(logging, Mapping) and logging.get("enabled"):
        raise PolicyFieldError("spec.default.logConfig.enabled", "health check logging is not supported here")
    config = default.get("config")
    if not isinstance(config, Mapping):
        return out
    kind = str(config.get("type") or "HTTP")
    if kind not in _PROBES:
        raise PolicyFieldError(
            "spec.default.config.type", f"{kind} is not supported; expected HTTP, HTTPS or HTTP2"
        )
    out["type"] = kind
    for name in config:
        if name not in ("type", _PROBES[kind]):
            raise PolicyFieldError(f"spec.default.config.{name}", f"does not go with type {kind}")
    probe = config.get(_PROBES[kind]) or {}
    where = f"spec.default.config.{_PROBES[kind]}"
    for name in probe:
        if name not in ("requestPath", "port", "portSpecification"):
            raise PolicyFieldError(
                f"{where}.{name}", "not supported; lbctl sets requestPath, port and portSpecification"
            )
    specification = probe.get("portSpecification") or ("USE_FIXED_PORT" if "port" in probe else None)
    if specification not in (None, "USE_FIXED_PORT", "USE_SERVING_PORT"):
        raise PolicyFieldError(f"{where}.portSpecification", f"{specification} is not supported")
    if specification == "USE_FIXED_PORT":
        if "port" not in probe:
            raise PolicyFieldError(f"{where}.port", "Required value with portSpecification USE_FIXED_PORT")
        out["port"] = probe["port"]
    elif "port" in probe:
        raise PolicyFieldError(f"{where}.port", "only with portSpecification USE_FIXED_PORT")
    if probe.get("requestPath") is not None:
        out["requestPath"] = probe["requestPath"]
    return out


def backend_fields(policy: CustomObject) -> dict[str, Any]:
    """A GCPBackendPolicy as BackendConfig fields."""
    default = _default(policy)
    out: dict[str, Any] = {}
    for name in default:
        if name in _BACKEND_REFUSED:
            raise PolicyFieldError(f"spec.default.{name}", _BACKEND_REFUSED[name])
        if name not in ("timeoutSec", "connectionDraining", "sessionAffinity", "securityPolicy", "logging"):
            raise PolicyFieldError(f"spec.default.{name}", "not a GCPBackendPolicy field lbctl applies")
    if default.get("timeoutSec") is not None:
        out["timeoutSec"] = default["timeoutSec"]
    draining = default.get("connectionDraining")
    if isinstance(draining, Mapping) and draining.get("drainingTimeoutSec") is not None:
        out["connectionDraining"] = {"drainingTimeoutSec": draining["drainingTimeoutSec"]}
    affinity = default.get("sessionAffinity")
    if isinstance(affinity, Mapping):
        out["sessionAffinity"] = {"affinityType": affinity.get("type", "NONE")}
        if affinity.get("cookieTtlSec") is not None:
            out["sessionAffinity"]["affinityCookieTtlSec"] = affinity["cookieTtlSec"]
    if default.get("securityPolicy"):
        out["securityPolicy"] = {"name": default["securityPolicy"]}
    logging = default.get("logging")
    if isinstance(logging, Mapping):
        out["logging"] = {"enable": bool(logging.get("enabled"))}
        rate = logging.get("sampleRate")
        if rate is not None:
            if not isinstance(rate, int) or not 0 <= rate <= 1_000_000:
                raise PolicyFieldError(
                    "spec.default.logging.sampleRate", "expected an integer from 0 to 1000000"
                )
            out["logging"]["sampleRate"] = rate / 1_000_000
    return out


def _check_shape(check: SchemaCheck, spec: Mapping[str, Any]) -> None:
    """The values held to what the BackendConfig fields they become take."""
    error = check.best_error(spec)
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path)
        raise PolicyFieldError("spec.default", f"{error.message} (BackendConfig field {path})")


@dataclass
class _Backends:
    """The ServicePolicies of one Gateway on Google Cloud."""

    snapshot: ClusterSnapshot
    view: GatewayPolicyView
    check: SchemaCheck  # the BackendConfig schema

    def annotations(self, service: Service, parsed: ParsedAnnotations, fail: Fail) -> ParsedAnnotations:
        return parsed

    def backend_config(self, service: Service, fail: Fail) -> BackendConfigOverlay | None:
        spec: dict[str, Any] = {}
        fields: dict[str, str] = {}
        for kind, read in ((HEALTH_CHECK_POLICY, health_check), (BACKEND_POLICY, backend_fields)):
            found = targeting(
                of_kind(self.snapshot, kind, service.namespace), "targetRef", "Service", service.name, _CORE
            )
            if not found:
                continue
            for other in found[1:]:
                self.view.report(other, conflicted(found[0]))
            policy = found[0]
            try:
                values = read(policy)
                _check_shape(self.check, {"healthCheck": values} if kind == HEALTH_CHECK_POLICY else values)
            except PolicyFieldError as err:
                self.view.report(
                    policy, Condition("Accepted", "False", "Invalid", f"{err.field}: {err.message}")
                )
                raise fail(f"{policy_name(policy)} {err.field}", err.message) from None
            self.view.report(policy, ACCEPTED)
            if kind == HEALTH_CHECK_POLICY:
                spec["healthCheck"] = values
                fields["healthCheck"] = f"{policy_name(policy)} spec.default"
            else:
                spec.update(values)
                fields.update({k: f"{policy_name(policy)} spec.default" for k in values})
        return BackendConfigOverlay(spec, fields) if spec else None


class GceGatewayPolicies:
    """The GatewayPolicyReader of the GCE profile; `backend_config` checks a BackendConfig spec."""

    kinds: tuple[str, ...] = (HEALTH_CHECK_POLICY, BACKEND_POLICY, GATEWAY_POLICY)
    status_kinds: tuple[str, ...] = kinds
    class_parameters: tuple[tuple[str, str], ...] = ()  # GKE's GatewayClasses take no parameters

    def __init__(self, backend_config: SchemaCheck) -> None:
        self.backend_config = backend_config

    def rule_extension(
        self, namespace: str, ref: Mapping[str, Any], snapshot: ClusterSnapshot
    ) -> RuleExtension:
        raise ExtensionError("extensionRef", "GKE's Gateway takes no ExtensionRef filters")

    def read(
        self, gateway: Gateway, gateway_class: GatewayClass, snapshot: ClusterSnapshot
    ) -> GatewayPolicyView:
        view = GatewayPolicyView()
        view.services = _Backends(snapshot, view, self.backend_config)
        found = targeting(
            of_kind(snapshot, GATEWAY_POLICY, gateway.namespace),
            "targetRef",
            "Gateway",
            gateway.name,
            _GATEWAY_GROUP,
        )
        if not found:
            return view
        for other in found[1:]:
            view.report(other, conflicted(found[0]))
        policy = found[0]
        try:
            default = _default(policy)
            for name in default:
                if name != "sslPolicy":
                    raise PolicyFieldError(
                        f"spec.default.{name}",
                        "not supported on the global external Application Load Balancer here; lbctl applies "
                        "sslPolicy",
                    )
        except PolicyFieldError as err:
            view.report(policy, Condition("Accepted", "False", "Invalid", f"{err.field}: {err.message}"))
            view.refusal = ("InvalidParameters", f"{policy_name(policy)} {err.field}", err.message)
            return view
        view.report(policy, ACCEPTED)
        if default.get("sslPolicy"):
            view.ssl_policy = (str(default["sslPolicy"]), f"{policy_name(policy)} spec.default.sslPolicy")
        return view


__all__ = ["GceGatewayPolicies", "backend_fields", "health_check"]
