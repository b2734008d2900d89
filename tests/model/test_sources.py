"""Every value of a spec is resolved by the model (registry default, Ingress, Service, IngressGroup merge,
BackendConfig) and records the field it came from, so providers apply no default and name fields with
`field_of` alone."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from emulators.testing.specs import custom, ingress, only_spec, path, rule, service
from lbctl.model import annotations as a
from lbctl.model.builder import empty_spec
from lbctl.model.registry import annotation_field
from lbctl.model.spec import LoadBalancerSpec, Source

ROOT = Path(__file__).resolve().parents[2]
ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def alb(*, annotations: dict[str, str] | None = None, name: str = "shop") -> dict:
    return ingress(name, rule("shop.test", path("/", "web", 80)), annotations=annotations)


def gce(*, annotations: dict[str, str] | None = None) -> dict:
    return ingress(
        "shop",
        rule("shop.test", path("/", "web", 80)),
        annotations=annotations,
        class_name="gce",
        default={"service": {"name": "web", "port": {"number": 80}}},
    )


def test_alb_defaults_are_the_registry_s_and_name_their_annotation() -> None:
    spec = only_spec(alb(), service("web"))
    (backend,) = spec.backends.values()
    check = backend.health_check
    registry = {
        name: a.REGISTRY.get(name).default
        for name in (
            a.HEALTHCHECK_PATH,
            a.HEALTHCHECK_INTERVAL,
            a.HEALTHCHECK_TIMEOUT,
            a.HEALTHY_THRESHOLD,
            a.UNHEALTHY_THRESHOLD,
            a.SUCCESS_CODES,
        )
    }
    assert (
        check.path,
        check.interval_seconds,
        check.timeout_seconds,
        check.healthy_threshold,
        check.unhealthy_threshold,
        check.success_codes,
    ) == tuple(registry.values())
    assert backend.source_of("health_check.path") == Source(annotation_field(a.HEALTHCHECK_PATH), "default")
    (listener,) = spec.frontend.listeners
    assert (listener.protocol, listener.port) == ("HTTP", 80)
    assert spec.frontend.inbound_cidrs == ["0.0.0.0/0"]
    assert spec.source_of("frontend.subnets") == Source(annotation_field(a.SUBNETS), "default")


def test_grpc_defaults_are_the_registry_s_variants() -> None:
    spec = only_spec(alb(annotations={a.BACKEND_PROTOCOL_VERSION: "GRPC"}), service("web"))
    (backend,) = spec.backends.values()
    assert (backend.health_check.path, backend.health_check.success_codes) == (
        a.REGISTRY.get(a.HEALTHCHECK_PATH).default_for(a.GRPC),
        a.REGISTRY.get(a.SUCCESS_CODES).default_for(a.GRPC),
    )
    assert backend.health_check.path == "/AWS.ALB/healthcheck" and backend.health_check.success_codes == "12"


def test_https_and_dualstack_defaults() -> None:
    spec = only_spec(
        alb(annotations={a.CERTIFICATE_ARN: ARN, a.IP_ADDRESS_TYPE: "dualstack"}), service("web")
    )
    (listener,) = spec.frontend.listeners
    assert (listener.protocol, listener.port, listener.ssl_policy) == (
        "HTTPS",
        443,
        "ELBSecurityPolicy-2016-08",
    )
    assert spec.frontend.inbound_cidrs == ["0.0.0.0/0", "::/0"]
    assert spec.source_of("certificates") == Source(annotation_field(a.CERTIFICATE_ARN), "Ingress")
    assert spec.field_of("frontend.listeners.ssl_policy") == annotation_field(a.SSL_POLICY)


def test_service_value_wins_and_names_the_service() -> None:
    svc = service("web", annotations={a.HEALTHCHECK_PATH: "/svc", a.TAGS: "team=web"})
    spec = only_spec(alb(annotations={a.HEALTHCHECK_PATH: "/ing", a.HEALTHCHECK_INTERVAL: "30"}), svc)
    (backend,) = spec.backends.values()
    assert (backend.health_check.path, backend.health_check.interval_seconds) == ("/svc", 30)
    field = f"Service default/web {annotation_field(a.HEALTHCHECK_PATH)}"
    assert backend.source_of("health_check.path") == Source(field, "Service")
    assert backend.source_of("health_check.interval_seconds") == Source(
        annotation_field(a.HEALTHCHECK_INTERVAL), "Ingress"
    )
    assert backend.field_of("tags") == f"Service default/web {annotation_field(a.TAGS)}"


def test_group_values_name_the_group_annotation() -> None:
    group = {a.GROUP_NAME: "shop", a.SCHEME: "internet-facing"}
    spec = only_spec(
        alb(annotations=group, name="a"), alb(annotations={a.GROUP_NAME: "shop"}, name="b"), service("web")
    )
    assert spec.frontend.scheme == "internet-facing"
    assert spec.source_of("frontend.scheme") == Source(annotation_field(a.SCHEME), "IngressGroup")


def test_authentication_records_its_idp_annotation() -> None:
    oidc = (
        '{"issuer":"https://idp","authorizationEndpoint":"https://idp/a","tokenEndpoint":"https://idp/t",'
        '"userInfoEndpoint":"https://idp/u","secretName":"oidc"}'
    )
    spec = only_spec(alb(annotations={a.AUTH_TYPE: "oidc", a.AUTH_IDP_OIDC: oidc}), service("web"))
    auth = spec.rules[0].action.authentication
    assert auth is not None and auth.field_of("idp") == annotation_field(a.AUTH_IDP_OIDC)
    assert auth.scope == a.REGISTRY.get(a.AUTH_SCOPE).default
    assert auth.source_of("scope") == Source(annotation_field(a.AUTH_SCOPE), "default")


def test_gce_backend_config_fields() -> None:
    svc = service("web", annotations={a.BACKEND_CONFIG: '{"default": "bc"}'})
    bc = custom("BackendConfig", "bc", {"healthCheck": {"requestPath": "/hc"}})
    spec = only_spec(gce(), svc, bc, provider="gcp")
    backend = spec.backends["default/web:80"]
    assert backend.health_check.path == "/hc"
    assert backend.source_of("health_check.path") == Source(
        "BackendConfig default/bc spec.healthCheck.requestPath", "BackendConfig"
    )
    assert backend.source_of("health_check.interval_seconds").origin == "default"
    assert spec.field_of("frontend.static_ip_name") == annotation_field(a.GLOBAL_STATIC_IP)


def test_sources_are_neither_compared_nor_serialised() -> None:
    one = only_spec(alb(), service("web", annotations={a.HEALTHCHECK_PATH: "/"}))
    other = only_spec(alb(), service("web"))
    assert one.backends == other.backends  # the same values, set in different places
    assert "fields" not in str(one.to_dict())


def _asked_by(provider: str) -> set[str]:
    """The spec attributes a provider passes to `spec.field_of`: literal names and module constants."""
    asked: set[str] = set()
    for source in sorted((ROOT / "providers" / provider).rglob("*.py")):
        if "emulator" in source.parts:
            continue
        module = None
        for arg in re.findall(r"\bspec\.field_of\(([^()]+)\)", source.read_text()):
            if arg.startswith('"'):
                asked.add(arg.strip('"'))
                continue
            if module is None:
                dotted = ".".join(source.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                module = importlib.import_module(dotted)
            asked.add(getattr(module, arg))
    return asked


@pytest.mark.parametrize(
    ("provider", "make", "seen"),
    [
        ("aws", lambda: only_spec(alb(), service("web")), "frontend.subnets"),
        ("aws", lambda: empty_spec("aws", "default/gone"), "frontend.subnets"),
        ("gcp", lambda: only_spec(gce(), service("web"), provider="gcp"), "frontend.static_ip_name"),
        ("gcp", lambda: empty_spec("gcp", "default/gone"), "frontend.static_ip_name"),
    ],
)
def test_every_field_a_provider_asks_for_is_recorded(
    provider: str, make: Callable[[], LoadBalancerSpec], seen: str
) -> None:
    spec = make()
    asked = _asked_by(provider)
    assert seen in asked, asked  # the scan sees the provider's calls
    for attribute in sorted(asked):
        assert spec.field_of(attribute), attribute
