"""GCP model (ingress-gce): frontend annotations, FrontendConfig, NEG, app-protocols, BackendConfig,
readinessProbe health checks and the mandatory default service."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulators.testing.specs import (
    Obj,
    custom,
    ingress,
    meta,
    only_group,
    only_spec,
    path,
    route,
    rule,
    service,
    tls_secret,
)
from lbctl.model import annotations as a
from lbctl.model.problems import Severity
from lbctl.model.spec import LoadBalancerSpec, TLSCertificate

DEFAULT = {"service": {"name": "web", "port": {"number": 80}}}
WEB = service("web", [(80, "http", 30080), (443, "https", 30443)], target_port="http")
GKE_DEFAULT = service("default-http-backend", [(80, "http", 30999)], namespace="kube-system")


def gce(
    *paths: Obj, annotations: dict[str, str] | None = None, default: Obj | None = DEFAULT, **kw: Any
) -> Obj:
    rules = (rule("shop.test", *paths),) if paths else ()
    return ingress("shop", *rules, class_name="gce", annotations=annotations, default=default, **kw)


def pod(
    name: str,
    app: str = "web",
    probe_port: int | str = "http",
    probe_path: str = "/ready",
    host: str | None = None,
    ready: bool = True,
) -> Obj:
    http_get: Obj = {"path": probe_path, "port": probe_port}
    if host:
        http_get["httpHeaders"] = [{"name": "Host", "value": host}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, labels={"app": app}),
        "spec": {
            "nodeName": "n1",
            "containers": [
                {
                    "name": "c",
                    "ports": [
                        {"containerPort": 8080, "name": "http"},
                        {"containerPort": 9090, "name": "admin"},
                    ],
                    "readinessProbe": {"httpGet": http_get, "periodSeconds": 7, "timeoutSeconds": 3},
                }
            ],
        },
        "status": {"podIP": "10.1.0.5", "conditions": [{"type": "Ready", "status": str(ready)}]},
    }


def spec_of(*objects: Obj, **config: Any) -> LoadBalancerSpec:
    return only_spec(*objects, provider="gcp", **config)


def error_of(*objects: Obj) -> Any:
    group = only_group(*objects, provider="gcp")
    assert group.spec is None, "expected the group to fail"
    (problem,) = [p for p in group.problems if p.severity == Severity.ERROR]
    return problem


def listeners(spec: LoadBalancerSpec) -> list[tuple[str, int, int | None]]:
    return [(lis.protocol, lis.port, lis.redirect_to_https_port) for lis in spec.frontend.listeners]


def test_defaults() -> None:
    spec = spec_of(gce(path("/", "web", 80)), WEB)
    assert spec.provider == "gcp" and spec.stack == "default/shop"
    assert listeners(spec) == [("HTTP", 80, None)]
    assert spec.frontend.scheme == "internet-facing"
    backend = spec.backends["default/web:80"]
    assert (
        backend.target_type,
        backend.protocol,
        backend.health_check.path,
        backend.health_check.source,
    ) == ("instance", "HTTP", "/", "default")
    assert route(spec, "other.test", "/") == "default/web:80"


@pytest.mark.parametrize(
    ("annotations", "tls", "expected"),
    [
        ({a.ALLOW_HTTP: "false"}, [{"secretName": "tls"}], [("HTTPS", 443, None)]),
        ({}, [{"secretName": "tls"}], [("HTTP", 80, None), ("HTTPS", 443, None)]),
        ({a.PRE_SHARED_CERT: "a,b"}, None, [("HTTP", 80, None), ("HTTPS", 443, None)]),
        ({a.ALLOW_HTTP: "false", a.PRE_SHARED_CERT: "a"}, None, [("HTTPS", 443, None)]),
    ],
)
def test_allow_http_and_certificates(
    annotations: dict[str, str], tls: list[Obj] | None, expected: list[tuple[str, int, int | None]]
) -> None:
    spec = spec_of(gce(path("/", "web", 80), annotations=annotations, tls=tls), WEB, tls_secret("tls"))
    assert listeners(spec) == expected


def test_pre_shared_certs_and_secrets_together() -> None:
    spec = spec_of(
        gce(path("/", "web", 80), annotations={a.PRE_SHARED_CERT: "legacy"}, tls=[{"secretName": "tls"}]),
        WEB,
        tls_secret("tls"),
    )
    certs = spec.frontend.listeners[-1].certificates
    assert [(c.kind, c.ref) for c in certs] == [("pre-shared", "legacy"), ("secret", "default/tls")]


def test_tls_without_secret_is_not_discovered_on_gcp() -> None:
    spec = spec_of(gce(path("/", "web", 80), tls=[{"hosts": ["shop.test"]}]), WEB)
    assert listeners(spec) == [("HTTP", 80, None)]


def test_allow_http_false_without_certificate() -> None:
    problem = error_of(gce(path("/", "web", 80), annotations={a.ALLOW_HTTP: "false"}), WEB)
    assert problem.field == f"metadata.annotations[{a.ALLOW_HTTP}]"


def test_global_static_ip() -> None:
    spec = spec_of(gce(path("/", "web", 80), annotations={a.GLOBAL_STATIC_IP: "shop-ip"}), WEB)
    assert spec.frontend.static_ip_name == "shop-ip"


def test_frontend_config_redirect_and_ssl_policy() -> None:
    fc = custom("FrontendConfig", "fc", {"redirectToHttps": {"enabled": True}, "sslPolicy": "modern"})
    spec = spec_of(
        gce(path("/", "web", 80), annotations={a.FRONTEND_CONFIG: "fc"}, tls=[{"secretName": "tls"}]),
        WEB,
        fc,
        tls_secret("tls"),
    )
    assert listeners(spec) == [("HTTP", 80, 443), ("HTTPS", 443, None)]
    assert spec.frontend.listeners[1].ssl_policy == "modern"


def test_frontend_config_redirect_without_https_does_not_redirect() -> None:
    fc = custom("FrontendConfig", "fc", {"redirectToHttps": {"enabled": True}})
    spec = spec_of(gce(path("/", "web", 80), annotations={a.FRONTEND_CONFIG: "fc"}), WEB, fc)
    assert listeners(spec) == [("HTTP", 80, None)]


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        ([], "FrontendConfig default/fc not found"),
        ([custom("FrontendConfig", "fc", {"sslPolicy": 5})], "spec.sslPolicy"),
        (
            [custom("FrontendConfig", "fc", {"redirectToHttps": {"responseCodeName": "MOVED"}})],
            "spec.redirectToHttps.responseCodeName",
        ),
        (
            [custom("FrontendConfig", "fc", {"sslPolicy": "x"}, namespace="other")],
            "FrontendConfig default/fc not found",
        ),
    ],
)
def test_frontend_config_errors(objects: list[Obj], message: str) -> None:
    problem = error_of(gce(path("/", "web", 80), annotations={a.FRONTEND_CONFIG: "fc"}), WEB, *objects)
    assert problem.field == f"metadata.annotations[{a.FRONTEND_CONFIG}]"
    assert message in problem.message


def test_neg_gives_ip_targets_even_for_cluster_ip() -> None:
    svc = service("web", [(80, "http", None)], type="ClusterIP", annotations={a.NEG: '{"ingress": true}'})
    spec = spec_of(gce(path("/", "web", 80)), svc)
    assert spec.backends["default/web:80"].target_type == "ip"


def test_cluster_ip_without_neg_is_an_error() -> None:
    svc = service("web", [(80, "http", None)], type="ClusterIP")
    problem = error_of(gce(path("/", "web", 80)), svc)
    assert "ClusterIP" in problem.message


@pytest.mark.parametrize(
    ("protocols", "port", "expected"),
    [
        ('{"https": "HTTPS"}', 443, "HTTPS"),
        ('{"https": "HTTPS"}', 80, "HTTP"),
        ('{"http": "HTTP2"}', 80, "HTTP2"),
        ('{"443": "HTTPS"}', 443, "HTTPS"),
    ],
)
def test_app_protocols(protocols: str, port: int, expected: str) -> None:
    svc = service(
        "web", [(80, "http", 30080), (443, "https", 30443)], annotations={a.APP_PROTOCOLS: protocols}
    )
    spec = spec_of(gce(path("/", "web", port), default=None), svc, GKE_DEFAULT)
    backend = spec.backends[f"default/web:{port}"]
    assert backend.protocol == expected
    assert backend.health_check.protocol == expected


BC_SPEC = {
    "timeoutSec": 40,
    "connectionDraining": {"drainingTimeoutSec": 60},
    "sessionAffinity": {"affinityType": "CLIENT_IP"},
    "securityPolicy": {"name": "armor"},
}


@pytest.mark.parametrize(
    ("selection", "port", "config"),
    [
        ({"default": "bc"}, 80, "bc"),
        ({"default": "bc"}, 443, "bc"),
        ({"ports": {"443": "bc"}}, 443, "bc"),
        ({"ports": {"443": "bc"}}, 80, None),
        ({"ports": {"https": "bc"}}, 443, "bc"),
        ({"default": "other", "ports": {"80": "bc"}}, 80, "bc"),
        ({"default": "other", "ports": {"80": "bc"}}, 443, "other"),
    ],
)
def test_backend_config_default_and_per_port(selection: Obj, port: int, config: str | None) -> None:
    svc = service(
        "web",
        [(80, "http", 30080), (443, "https", 30443)],
        annotations={a.BACKEND_CONFIG: json.dumps(selection)},
    )
    spec = spec_of(
        gce(path("/", "web", port), default={"service": {"name": "web", "port": {"number": port}}}),
        svc,
        custom("BackendConfig", "bc", BC_SPEC),
        custom("BackendConfig", "other", {"timeoutSec": 5}),
    )
    got = spec.backends[f"default/web:{port}"].backend_config
    assert got == resolved({"bc": BC_SPEC, "other": {"timeoutSec": 5}, None: {}}[config])


# ingress-gce's backend service when nothing sets a value, as the model resolves it for the provider
UNSET_BACKEND_SERVICE = {
    "timeoutSec": 30,
    "connectionDraining": {"drainingTimeoutSec": 0},
    "sessionAffinity": {"affinityType": "NONE", "affinityCookieTtlSec": 0},
    "customRequestHeaders": {"headers": []},
    "customResponseHeaders": {"headers": []},
    "logging": {"enable": False},
    "cdn": {"enabled": False},
    "iap": {"enabled": False},
}


def resolved(config: Obj) -> Obj:
    """`config` over the unset defaults, one level deep."""
    out = {**UNSET_BACKEND_SERVICE, **config}
    for key, default in UNSET_BACKEND_SERVICE.items():
        if isinstance(default, dict):
            out[key] = {**default, **config.get(key, {})}
    return out


def test_backend_service_defaults_are_the_models() -> None:
    """Each unset value comes from the model, a nested one included (a type without a cookie TTL)."""
    svc = service("web", annotations={a.BACKEND_CONFIG: '{"default": "bc"}'})
    spec = spec_of(
        gce(path("/", "web", 80)),
        svc,
        custom("BackendConfig", "bc", {"sessionAffinity": {"affinityType": "GENERATED_COOKIE"}}),
    )
    got = spec.backends["default/web:80"].backend_config
    assert got["sessionAffinity"] == {"affinityType": "GENERATED_COOKIE", "affinityCookieTtlSec": 0}
    assert {k: v for k, v in got.items() if k != "sessionAffinity"} == {
        k: v for k, v in UNSET_BACKEND_SERVICE.items() if k != "sessionAffinity"
    }


def test_beta_backend_config_annotation() -> None:
    svc = service("web", annotations={a.BACKEND_CONFIG_BETA: '{"default": "bc"}'})
    spec = spec_of(gce(path("/", "web", 80)), svc, custom("BackendConfig", "bc", {"timeoutSec": 9}))
    assert spec.backends["default/web:80"].backend_config == resolved({"timeoutSec": 9})


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        ([], "BackendConfig default/bc not found"),
        ([custom("BackendConfig", "bc", {"timeoutSec": 0})], "spec.timeoutSec"),
        (
            [custom("BackendConfig", "bc", {"healthCheck": {"checkIntervalSec": "5"}})],
            "spec.healthCheck.checkIntervalSec",
        ),
        (
            [custom("BackendConfig", "bc", {"sessionAffinity": {"affinityType": "STICKY"}})],
            "spec.sessionAffinity.affinityType",
        ),
        (
            [custom("BackendConfig", "bc", {"customRequestHeaders": {"headers": ["no-colon"]}})],
            "spec.customRequestHeaders.headers[0]",
        ),
    ],
)
def test_backend_config_errors_name_the_field(configs: list[Obj], message: str) -> None:
    svc = service("web", annotations={a.BACKEND_CONFIG: '{"default": "bc"}'})
    problem = error_of(gce(path("/", "web", 80)), svc, *configs)
    assert problem.object == "Ingress default/shop"
    assert a.BACKEND_CONFIG in problem.field
    assert message in problem.message


@pytest.mark.parametrize(
    ("pods", "expected"),
    # resolved as sent, on node ports: the probe's period (7) plus the default interval (60), its timeout (3);
    # no probe: the defaults (60, 60)
    [
        ([pod("web-0")], ("/ready", None, 67, 3, "readinessProbe")),
        ([pod("web-0", probe_port=8080, host="shop.test")], ("/ready", "shop.test", 67, 3, "readinessProbe")),
        ([pod("web-0", probe_port="admin")], ("/", None, 60, 60, "default")),  # probes another port
        ([pod("web-0", probe_port=9090)], ("/", None, 60, 60, "default")),
        ([pod("web-0", app="other")], ("/", None, 60, 60, "default")),  # not selected by the Service
        (
            [pod("web-b", probe_path="/b"), pod("web-a", probe_path="/a")],
            ("/a", None, 67, 3, "readinessProbe"),
        ),
    ],
)
def test_readiness_probe_health_check(pods: list[Obj], expected: tuple[Any, ...]) -> None:
    spec = spec_of(gce(path("/", "web", 80)), WEB, *pods)
    hc = spec.backends["default/web:80"].health_check
    assert (hc.path, hc.host, hc.interval_seconds, hc.timeout_seconds, hc.source) == expected


def test_readiness_probe_with_numeric_target_port() -> None:
    svc = service("web", target_port=8080)
    hc = (
        spec_of(gce(path("/", "web", 80)), svc, pod("web-0", probe_port="http"))
        .backends["default/web:80"]
        .health_check
    )
    assert (hc.path, hc.source) == ("/ready", "readinessProbe")


def test_backend_config_health_check_wins_over_probe() -> None:
    svc = service("web", annotations={a.BACKEND_CONFIG: '{"default": "bc"}'}, target_port="http")
    bc = custom(
        "BackendConfig",
        "bc",
        {
            "timeoutSec": 30,
            "healthCheck": {"requestPath": "/hc", "checkIntervalSec": 20, "port": 9090, "type": "HTTPS"},
        },
    )
    backend = spec_of(gce(path("/", "web", 80)), svc, bc, pod("web-0")).backends["default/web:80"]
    hc = backend.health_check
    assert (hc.path, hc.interval_seconds, hc.port, hc.protocol, hc.source) == (
        "/hc",
        20,
        9090,
        "HTTPS",
        "BackendConfig",
    )
    assert hc.timeout_seconds == 3  # not set in the BackendConfig: the probe's value stays
    assert backend.backend_config == resolved({"timeoutSec": 30})


def test_missing_default_backend() -> None:
    problem = error_of(gce(path("/", "web", 80), default=None), WEB)
    assert problem.field == "spec.defaultBackend"
    assert "--default-backend-service" in problem.message


def test_cluster_default_backend() -> None:
    spec = spec_of(
        gce(path("/", "web", 80), default=None),
        WEB,
        service("default", [(80, "http", 30998)], namespace="kube-system"),
        cluster_default_backend="kube-system/default:80",
    )
    assert spec.default_action is not None
    assert spec.default_action.backend_keys() == ["kube-system/default:80"] == [spec.cluster_default]
    assert route(spec, "other.test", "/") == "kube-system/default:80"


def test_gke_default_backend_is_the_cluster_default() -> None:
    spec = spec_of(gce(path("/users", "web", 80), path("/admin", "web", 443), default=None), WEB, GKE_DEFAULT)
    assert spec.cluster_default == "kube-system/default-http-backend:80"
    assert sorted(spec.backends) == [
        "default/web:443",
        "default/web:80",
        "kube-system/default-http-backend:80",
    ]
    default = spec.backends["kube-system/default-http-backend:80"]
    assert (default.node_port, default.health_check.path, default.assumed) == (30999, "/healthz", [])
    assert route(spec, "shop.test", "/other") == "kube-system/default-http-backend:80"
    # an Ingress with its own default backend does not use it
    assert only_spec(gce(path("/", "web", 80)), WEB, GKE_DEFAULT, provider="gcp").cluster_default is None


def test_missing_gke_default_backend_names_it_and_the_install() -> None:
    problem = error_of(gce(path("/", "web", 80), default=None), WEB)
    assert problem.field == "spec.defaultBackend"
    assert "kube-system/default-http-backend:80 is missing" in problem.message
    assert "kubectl apply -f manifests/gcp/default-http-backend.yaml" in problem.message


def test_offline_the_cluster_default_backend_is_assumed_without_a_warning() -> None:
    group = only_group(gce(path("/", "web", 80), default=None), WEB, provider="gcp", assume_missing=True)
    assert group.spec is not None and not group.problems
    default = group.spec.backends["kube-system/default-http-backend:80"]
    assert default.assumed == ["service"] and default.node_port is None


def test_bad_cluster_default_backend_reference() -> None:
    group = only_group(
        gce(path("/", "web", 80), default=None),
        WEB,
        provider="gcp",
        cluster_default_backend="default-http-backend",
    )
    assert group.spec is None and "expected NAMESPACE/NAME:PORT" in group.problems[0].message


def test_rewrite_target_on_gcp() -> None:
    spec = spec_of(gce(path("/api", "web", 80), annotations={a.REWRITE_TARGET_NGINX: "/"}), WEB)
    assert spec.rules[0].rewrite_path_prefix == "/"


def test_use_annotation_is_aws_only() -> None:
    problem = error_of(gce(path("/", "x", "use-annotation")), WEB)
    assert "use-annotation" in problem.message


def test_aws_annotations_do_not_apply_on_gcp() -> None:
    spec = spec_of(
        gce(path("/", "web", 80), annotations={a.SCHEME: "internal", a.HEALTHCHECK_PATH: "/aws"}), WEB
    )
    assert spec.frontend.scheme == "internet-facing"
    assert spec.backends["default/web:80"].health_check.path == "/"


def test_secret_certificate_carries_hash_not_key() -> None:
    spec = spec_of(gce(path("/", "web", 80), tls=[{"secretName": "tls"}]), WEB, tls_secret("tls"))
    cert = spec.frontend.listeners[-1].certificates[0]
    assert cert == TLSCertificate("secret", "default/tls", [], cert.content_hash)
    assert cert.content_hash


def test_cluster_default_backend_in_the_snapshot_becomes_a_backend() -> None:
    default_svc = service("default-http-backend", [(80, "http", 30999)], namespace="kube-system")
    spec = spec_of(
        gce(path("/", "web", 80), default=None),
        WEB,
        default_svc,
        cluster_default_backend="kube-system/default-http-backend:http",
    )
    assert spec.default_action is not None
    (key,) = spec.default_action.backend_keys()
    backend = spec.backends[key]
    assert (backend.namespace, backend.service, backend.port, backend.node_port) == (
        "kube-system",
        "default-http-backend",
        80,
        30999,
    )
    assert route(spec, "other.test", "/") == "kube-system/default-http-backend:80"


def test_cluster_default_backend_with_a_bad_port() -> None:
    default_svc = service("default-http-backend", [(80, "http", 30999)], namespace="kube-system")
    group = only_group(
        gce(path("/", "web", 80), default=None),
        WEB,
        default_svc,
        provider="gcp",
        cluster_default_backend="kube-system/default-http-backend:8080",
    )
    assert group.spec is None
    assert "kube-system/default-http-backend has no port 8080" in group.problems[0].message
