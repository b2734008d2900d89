"""The anchors' policy kinds read by the Gateway builder (model/alb_gateway_policies.py,
model/gce_gateway_policies.py): each field becomes the setting its annotation or BackendConfig field gives, with
the policy named as its source; precedence (Service over Gateway default, GatewayClass over Gateway unless
`prefer-gateway`, the older of two policies); every field lbctl does not apply refused by name. Pure and
table-driven; the policy shapes follow the anchors' CRDs and docs, in our own data."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import GatewayBuild, build_gateways
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec

CONTROLLERS = {"aws": "lbctl.io/alb", "gcp": "lbctl.io/gce"}
AWS_GROUP, GKE = "gateway.k8s.aws/v1", "networking.gke.io/v1"


def base(
    provider: str,
    class_ref: dict[str, Any] | None = None,
    gateway_spec: dict[str, Any] | None = None,
    gateway_annotations: dict[str, str] | None = None,
    service_annotations: dict[str, str] | None = None,
) -> str:
    """GatewayClass lbctl, Gateway infra/edge (HTTP :80), an HTTPRoute shop/web to Service shop/cart."""
    gateway_class = {
        "controllerName": CONTROLLERS[provider],
        **({"parametersRef": class_ref} if class_ref else {}),
    }
    spec = {
        "gatewayClassName": "lbctl",
        "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
        ],
        **(gateway_spec or {}),
    }
    docs = [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "lbctl"},
            "spec": gateway_class,
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "infra", "annotations": gateway_annotations or {}},
            "spec": spec,
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {
                "parentRefs": [{"name": "edge", "namespace": "infra"}],
                "rules": [{"backendRefs": [{"name": "cart", "port": 80}]}],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "cart", "namespace": "shop", "annotations": service_annotations or {}},
            "spec": {
                "type": "NodePort",
                "selector": {"app": "cart"},
                "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30110}],
            },
        },
    ]
    return yaml.safe_dump_all(docs)


def policy(kind: str, namespace: str, name: str, spec: dict[str, Any], created: str = "") -> str:
    group = AWS_GROUP if kind in ("LoadBalancerConfiguration", "TargetGroupConfiguration") else GKE
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if created:
        meta["creationTimestamp"] = created
    return yaml.safe_dump({"apiVersion": group, "kind": kind, "metadata": meta, "spec": spec})


def build(provider: str, text: str) -> GatewayBuild:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    config = BuildConfig.for_provider(provider)
    return build_gateways(snapshot, config, config.gateway_controller_names)


def served(provider: str, text: str) -> LoadBalancerSpec:
    result = build(provider, text)
    assert [str(p) for p in result.problems if p.severity == "error"] == []
    (spec,) = result.specs
    return spec


def tgc(
    name: str, props: dict[str, Any], target: str | None = "cart", namespace: str = "shop", created: str = ""
) -> str:
    spec: dict[str, Any] = {"defaultConfiguration": props}
    if target:
        spec["targetReference"] = {"name": target}
    return policy("TargetGroupConfiguration", namespace, name, spec, created)


GATEWAY_LBC = {"group": "gateway.k8s.aws", "kind": "LoadBalancerConfiguration", "name": "edge"}
CLASS_LBC = {**GATEWAY_LBC, "name": "org", "namespace": "infra"}


# --------------------------------------------------------------------------- AWS: TargetGroupConfiguration

TARGET_GROUPS = [  # (TargetGroupProps, {backend attribute: value}, the field its Source names)
    ({"targetType": "ip"}, {"target_type": "ip"}, "spec.defaultConfiguration.targetType"),
    ({"protocol": "HTTPS"}, {"protocol": "HTTPS"}, "spec.defaultConfiguration.protocol"),
    (
        {"protocolVersion": "HTTP2"},
        {"protocol_version": "HTTP2"},
        "spec.defaultConfiguration.protocolVersion",
    ),
    (
        {"healthCheckConfig": {"healthCheckPath": "/healthz"}},
        {"health_check.path": "/healthz"},
        "spec.defaultConfiguration.healthCheckConfig.healthCheckPath",
    ),
    (
        {"healthCheckConfig": {"healthCheckPort": "9000", "healthCheckProtocol": "HTTPS"}},
        {"health_check.port": 9000, "health_check.protocol": "HTTPS"},
        "spec.defaultConfiguration.healthCheckConfig.healthCheckPort",
    ),
    (
        {"healthCheckConfig": {"healthCheckInterval": 10, "healthCheckTimeout": 4}},
        {"health_check.interval_seconds": 10, "health_check.timeout_seconds": 4},
        "spec.defaultConfiguration.healthCheckConfig.healthCheckInterval",
    ),
    (
        {"healthCheckConfig": {"healthyThresholdCount": 3, "unhealthyThresholdCount": 4}},
        {"health_check.healthy_threshold": 3, "health_check.unhealthy_threshold": 4},
        "spec.defaultConfiguration.healthCheckConfig.healthyThresholdCount",
    ),
    (
        {"healthCheckConfig": {"matcher": {"httpCode": "200-299"}}},
        {"health_check.success_codes": "200-299"},
        "spec.defaultConfiguration.healthCheckConfig.matcher.httpCode",
    ),
    (
        {"targetGroupAttributes": [{"key": "deregistration_delay.timeout_seconds", "value": "30"}]},
        {"attributes": {"deregistration_delay.timeout_seconds": "30"}},
        "spec.defaultConfiguration.targetGroupAttributes",
    ),
    (
        {"nodeSelector": {"matchLabels": {"pool": "web"}}},
        {"node_selector": {"pool": "web"}},
        "spec.defaultConfiguration.nodeSelector.matchLabels",
    ),
]


def _value(backend: Any, attribute: str) -> Any:
    for part in attribute.split("."):
        backend = getattr(backend, part)
    return backend


@pytest.mark.parametrize(
    ("props", "wanted", "source"), TARGET_GROUPS, ids=[str(p) for p, _, _ in TARGET_GROUPS]
)
def test_a_service_target_group_configuration_sets_its_target_group(
    props: dict[str, Any], wanted: dict[str, Any], source: str
) -> None:
    spec = served("aws", base("aws") + "---\n" + tgc("cart", props))
    (backend,) = spec.backends.values()
    assert {k: _value(backend, k) for k in wanted} == wanted
    first = next(iter(wanted))
    assert backend.fields[first].field == f"TargetGroupConfiguration shop/cart {source}"
    assert backend.fields[first].origin == "TargetGroupConfiguration"


def test_without_a_policy_the_target_group_is_the_default_one() -> None:
    (backend,) = served("aws", base("aws")).backends.values()
    assert (backend.target_type, backend.health_check.path) == ("instance", "/")


def test_the_service_policy_wins_over_the_gateway_default_field_by_field() -> None:
    default = tgc(
        "defaults",
        {
            "targetType": "ip",
            "healthCheckConfig": {"healthCheckPath": "/base", "healthCheckInterval": 20},
            "targetGroupAttributes": [
                {"key": "deregistration_delay.timeout_seconds", "value": "30"},
                {"key": "slow_start.duration_seconds", "value": "60"},
            ],
        },
        target=None,
        namespace="infra",
    )
    lbc = policy(
        "LoadBalancerConfiguration",
        "infra",
        "edge",
        {"defaultTargetGroupConfiguration": {"name": "defaults"}},
    )
    own = tgc(
        "cart",
        {
            "healthCheckConfig": {"healthCheckPath": "/cart"},
            "targetGroupAttributes": [{"key": "slow_start.duration_seconds", "value": "90"}],
        },
    )
    text = base("aws", gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC}})
    (backend,) = served("aws", "---\n".join([text, default, lbc, own])).backends.values()
    assert backend.target_type == "ip"  # the default's
    assert backend.health_check.path == "/cart"
    assert backend.health_check.interval_seconds != 20  # healthCheckConfig is taken whole from the Service's
    assert backend.attributes == {
        "deregistration_delay.timeout_seconds": "30",
        "slow_start.duration_seconds": "90",
    }
    assert backend.fields["target_type"].field.startswith("TargetGroupConfiguration infra/defaults ")


def test_of_two_policies_of_one_service_the_older_wins() -> None:
    text = "---\n".join(
        [
            base("aws"),
            tgc("newer", {"targetType": "ip"}, created="2026-02-01T00:00:00Z"),
            tgc("older", {"healthCheckConfig": {"healthCheckPath": "/old"}}, created="2026-01-01T00:00:00Z"),
        ]
    )
    (backend,) = served("aws", text).backends.values()
    assert (backend.target_type, backend.health_check.path) == ("instance", "/old")


TARGET_GROUP_REFUSALS = [  # (props or spec, the field the refusal names)
    ({"targetType": "pod"}, "TargetGroupConfiguration shop/cart spec.defaultConfiguration.targetType"),
    (
        {"targetGroupName": "mine"},
        "TargetGroupConfiguration shop/cart spec.defaultConfiguration.targetGroupName",
    ),
    ({"ipAddressType": "ipv6"}, "TargetGroupConfiguration shop/cart spec.defaultConfiguration.ipAddressType"),
    ({"tags": {"a": "b"}}, "TargetGroupConfiguration shop/cart spec.defaultConfiguration.tags"),
    (
        {"nodeSelector": {"matchExpressions": [{"key": "a", "operator": "Exists"}]}},
        "TargetGroupConfiguration shop/cart spec.defaultConfiguration.nodeSelector.matchExpressions",
    ),
    (
        {"healthCheckConfig": {"healthCheckInterval": 1000}},
        "TargetGroupConfiguration shop/cart spec.defaultConfiguration.healthCheckConfig.healthCheckInterval",
    ),
]


@pytest.mark.parametrize(
    ("props", "where"), TARGET_GROUP_REFUSALS, ids=[w.rsplit(".", 1)[1] for _, w in TARGET_GROUP_REFUSALS]
)
def test_a_target_group_field_lbctl_cannot_apply_is_refused_by_name(
    props: dict[str, Any], where: str
) -> None:
    result = build("aws", base("aws") + "---\n" + tgc("cart", props))
    (outcome,) = result.gateways.values()
    assert outcome.spec is not None and outcome.spec.backends == {}  # the rule answers 500: never another TG
    (error,) = [p for p in result.problems if p.severity == "error"]
    assert (error.object, error.field.split(".backendRefs")[0]) == ("HTTPRoute shop/web", "spec.rules[0]")
    assert where in error.message or where in error.field, error
    (parent,) = result.route_parents["HTTPRoute:shop/web"]
    resolved = next(c for c in parent["conditions"] if c["type"] == "ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "UnsupportedValue")


def test_route_specific_target_group_settings_are_refused() -> None:
    own = policy(
        "TargetGroupConfiguration",
        "shop",
        "cart",
        {
            "targetReference": {"name": "cart"},
            "routeConfigurations": [
                {
                    "routeIdentifier": {"kind": "HTTPRoute", "name": "web"},
                    "targetGroupProps": {"targetType": "ip"},
                }
            ],
        },
    )
    result = build("aws", base("aws") + "---\n" + own)
    (error,) = [p for p in result.problems if p.severity == "error"]
    assert "spec.routeConfigurations" in error.message and "not supported" in error.message


# --------------------------------------------------------------------------- AWS: LoadBalancerConfiguration

LOAD_BALANCERS = [  # (LoadBalancerConfiguration spec, {frontend attribute: value})
    ({"scheme": "internal"}, {"scheme": "internal"}),
    ({"loadBalancerName": "edge-alb"}, {"name": "edge-alb"}),
    ({"ipAddressType": "dualstack"}, {"ip_address_type": "dualstack"}),
    (
        {"loadBalancerSubnets": [{"identifier": "subnet-1"}, {"identifier": "subnet-2"}]},
        {"subnets": ["subnet-1", "subnet-2"]},
    ),
    ({"securityGroups": ["sg-1"]}, {"security_groups": ["sg-1"]}),
    ({"sourceRanges": ["10.0.0.0/8"]}, {"inbound_cidrs": ["10.0.0.0/8"]}),
    (
        {"loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}]},
        {"attributes": {"idle_timeout.timeout_seconds": "120"}},
    ),
    (
        {"wafV2": {"webACL": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/1"}},
        {"waf_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/1"},
    ),
    ({"shieldConfiguration": {"enabled": True}}, {"shield_protection": True}),
    ({"minimumLoadBalancerCapacity": {"capacityUnits": 100}}, {"capacity_units": 100}),
]


@pytest.mark.parametrize(("lbc", "wanted"), LOAD_BALANCERS, ids=[next(iter(x)) for x, _ in LOAD_BALANCERS])
def test_a_gateway_load_balancer_configuration_sets_its_load_balancer(
    lbc: dict[str, Any], wanted: dict[str, Any]
) -> None:
    text = base("aws", gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC}})
    spec = served("aws", text + "---\n" + policy("LoadBalancerConfiguration", "infra", "edge", lbc))
    assert {k: getattr(spec.frontend, k) for k in wanted} == wanted
    attribute = f"frontend.{next(iter(wanted))}"
    assert spec.fields[attribute].field.startswith("LoadBalancerConfiguration infra/edge spec.")
    assert spec.fields[attribute].origin == "LoadBalancerConfiguration"


def test_lbc_tags_join_the_infrastructure_labels_and_a_clash_is_refused() -> None:
    lbc = policy("LoadBalancerConfiguration", "infra", "edge", {"tags": {"team": "shop", "cost": "42"}})
    ok = base(
        "aws", gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC, "labels": {"env": "prod"}}}
    )
    assert served("aws", ok + "---\n" + lbc).tags == {"team": "shop", "cost": "42", "env": "prod"}
    clash = base(
        "aws", gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC, "labels": {"team": "ops"}}}
    )
    (outcome,) = build("aws", clash + "---\n" + lbc).gateways.values()
    assert outcome.spec is None and outcome.accepted.reason == "InvalidParameters"
    assert "'team'" in outcome.accepted.message


@pytest.mark.parametrize(("mode", "scheme"), [(None, "internal"), ("prefer-gateway", "internet-facing")])
def test_the_class_configuration_wins_unless_it_prefers_the_gateway(mode: str | None, scheme: str) -> None:
    org: dict[str, Any] = {
        "scheme": "internal",
        "loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "90"}],
    }
    if mode:
        org["mergingMode"] = mode
    text = "---\n".join(
        [
            base("aws", class_ref=CLASS_LBC, gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC}}),
            policy("LoadBalancerConfiguration", "infra", "org", org),
            policy("LoadBalancerConfiguration", "infra", "edge", {"scheme": "internet-facing"}),
        ]
    )
    spec = served("aws", text)
    assert spec.frontend.scheme == scheme
    assert spec.frontend.attributes == {
        "idle_timeout.timeout_seconds": "90"
    }  # not set by the Gateway's: kept


LOAD_BALANCER_REFUSALS = [  # (spec, the field named)
    ({"scheme": "public"}, "LoadBalancerConfiguration infra/edge spec.scheme"),
    ({"enableICMP": True}, "LoadBalancerConfiguration infra/edge spec.enableICMP"),
    (
        {"loadBalancerSubnets": [{"identifier": "subnet-1", "eipAllocation": "eipalloc-1"}]},
        "LoadBalancerConfiguration infra/edge spec.loadBalancerSubnets[0].eipAllocation",
    ),
    (
        {"listenerConfigurations": [{"protocolPort": "HTTPS:443", "alpnPolicy": "HTTP2Only"}]},
        "LoadBalancerConfiguration infra/edge spec.listenerConfigurations[0].alpnPolicy",
    ),
    (
        {
            "listenerConfigurations": [
                {"protocolPort": "HTTP:80", "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
            ]
        },
        "LoadBalancerConfiguration infra/edge spec.listenerConfigurations[0].protocolPort",
    ),
    (
        {"defaultTargetGroupConfiguration": {"name": "missing"}},
        "LoadBalancerConfiguration infra/edge spec.defaultTargetGroupConfiguration",
    ),
]


@pytest.mark.parametrize(
    ("lbc", "where"), LOAD_BALANCER_REFUSALS, ids=[w.rsplit(" ", 1)[1] for _, w in LOAD_BALANCER_REFUSALS]
)
def test_a_load_balancer_field_lbctl_cannot_apply_refuses_the_gateway_by_name(
    lbc: dict[str, Any], where: str
) -> None:
    text = base("aws", gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC}})
    result = build("aws", text + "---\n" + policy("LoadBalancerConfiguration", "infra", "edge", lbc))
    (outcome,) = result.gateways.values()
    assert outcome.spec is None  # the load balancer is left as it is
    assert (outcome.accepted.status, outcome.accepted.reason) == ("False", "InvalidParameters")
    assert outcome.accepted.message.startswith(where), outcome.accepted.message


def test_a_setting_both_a_gateway_annotation_and_its_configuration_give_is_refused() -> None:
    text = base(
        "aws",
        gateway_spec={"infrastructure": {"parametersRef": GATEWAY_LBC}},
        gateway_annotations={"alb.ingress.kubernetes.io/scheme": "internal"},
    )
    lbc = policy("LoadBalancerConfiguration", "infra", "edge", {"scheme": "internal"})
    (outcome,) = build("aws", text + "---\n" + lbc).gateways.values()
    assert outcome.spec is None
    assert "also set by LoadBalancerConfiguration infra/edge spec.scheme" in outcome.accepted.message


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"group": "example.com", "kind": "Params", "name": "edge"}, "expected group gateway.k8s.aws"),
        (GATEWAY_LBC, "LoadBalancerConfiguration infra/edge not found"),
    ],
)
def test_a_parameters_ref_lbctl_cannot_resolve_refuses_the_gateway(ref: dict[str, Any], message: str) -> None:
    (outcome,) = build(
        "aws", base("aws", gateway_spec={"infrastructure": {"parametersRef": ref}})
    ).gateways.values()
    assert outcome.spec is None and outcome.accepted.reason == "InvalidParameters"
    assert message in outcome.accepted.message


@pytest.mark.parametrize("provider", ["aws", "gcp"])
def test_a_class_parameters_kind_the_cloud_does_not_read_is_not_accepted(provider: str) -> None:
    ref = {"group": "example.com", "kind": "Params", "name": "x", "namespace": "infra"}
    result = build(provider, base(provider, class_ref=ref))
    accepted = result.class_statuses["lbctl"]["conditions"][0]
    assert (accepted["status"], accepted["reason"]) == ("False", "InvalidParameters")
    assert result.specs == []


# --------------------------------------------------------------------------- Google Cloud


def gke(
    kind: str,
    default: dict[str, Any],
    name: str = "cart",
    created: str = "",
    target: dict[str, Any] | None = None,
) -> str:
    namespace = "infra" if kind == "GCPGatewayPolicy" else "shop"
    ref = target or (
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}
        if kind == "GCPGatewayPolicy"
        else {"group": "", "kind": "Service", "name": "cart"}
    )
    return policy(kind, namespace, name, {"default": default, "targetRef": ref}, created)


GKE_BACKENDS = [  # (kind, spec.default, {backend attribute: value})
    (
        "HealthCheckPolicy",
        {"checkIntervalSec": 7, "timeoutSec": 3},
        {"health_check.interval_seconds": 7, "health_check.timeout_seconds": 3},
    ),
    (
        "HealthCheckPolicy",
        {"healthyThreshold": 2, "unhealthyThreshold": 5},
        {"health_check.healthy_threshold": 2, "health_check.unhealthy_threshold": 5},
    ),
    (
        "HealthCheckPolicy",
        {"config": {"type": "HTTP", "httpHealthCheck": {"requestPath": "/healthz"}}},
        {"health_check.path": "/healthz"},
    ),
    (
        "HealthCheckPolicy",
        {"config": {"type": "HTTPS", "httpsHealthCheck": {"port": 8443}}},
        {"health_check.protocol": "HTTPS", "health_check.port": 8443},
    ),
    (
        "HealthCheckPolicy",
        {"config": {"type": "HTTP2", "http2HealthCheck": {"portSpecification": "USE_SERVING_PORT"}}},
        {"health_check.protocol": "HTTP2"},
    ),
    ("GCPBackendPolicy", {"timeoutSec": 45}, {"backend_config.timeoutSec": 45}),
    (
        "GCPBackendPolicy",
        {"connectionDraining": {"drainingTimeoutSec": 20}},
        {"backend_config.connectionDraining": {"drainingTimeoutSec": 20}},
    ),
    (
        "GCPBackendPolicy",
        {"sessionAffinity": {"type": "GENERATED_COOKIE", "cookieTtlSec": 60}},
        {"backend_config.sessionAffinity": {"affinityType": "GENERATED_COOKIE", "affinityCookieTtlSec": 60}},
    ),
    (
        "GCPBackendPolicy",
        {"sessionAffinity": {"type": "CLIENT_IP"}},
        {"backend_config.sessionAffinity": {"affinityType": "CLIENT_IP", "affinityCookieTtlSec": 0}},
    ),
    (
        "GCPBackendPolicy",
        {"securityPolicy": "edge-armor"},
        {"backend_config.securityPolicy": {"name": "edge-armor"}},
    ),
    (
        "GCPBackendPolicy",
        {"logging": {"enabled": True, "sampleRate": 250000}},
        {"backend_config.logging": {"enable": True, "sampleRate": 0.25}},
    ),
]


def _gke_value(backend: Any, attribute: str) -> Any:
    if attribute.startswith("backend_config."):
        return backend.backend_config[attribute.split(".", 1)[1]]
    return _value(backend, attribute)


@pytest.mark.parametrize(
    ("kind", "default", "wanted"), GKE_BACKENDS, ids=[f"{k}-{next(iter(d))}" for k, d, _ in GKE_BACKENDS]
)
def test_a_gke_policy_sets_the_backend_service(
    kind: str, default: dict[str, Any], wanted: dict[str, Any]
) -> None:
    result = build("gcp", base("gcp") + "---\n" + gke(kind, default))
    assert [p for p in result.problems if p.severity == "error"] == []
    (backend,) = result.specs[0].backends.values()
    assert {k: _gke_value(backend, k) for k in wanted} == wanted
    source = backend.fields[next(iter(wanted)) if kind == "HealthCheckPolicy" else "backend_config"]
    assert f"{kind} shop/cart spec.default" in source.field
    assert result.policy_statuses[f"{kind}:shop/cart"][1]["infra/edge"].reason == "Accepted"


def test_gke_policies_win_over_the_services_backend_config_key_by_key() -> None:
    backend_config = yaml.safe_dump(
        {
            "apiVersion": "cloud.google.com/v1",
            "kind": "BackendConfig",
            "metadata": {"name": "cart", "namespace": "shop"},
            "spec": {
                "timeoutSec": 10,
                "connectionDraining": {"drainingTimeoutSec": 5},
                "healthCheck": {"requestPath": "/bc", "checkIntervalSec": 30},
            },
        }
    )
    text = base("gcp", service_annotations={"cloud.google.com/backend-config": '{"default": "cart"}'})
    text = "---\n".join(
        [
            text,
            backend_config,
            gke("GCPBackendPolicy", {"timeoutSec": 45}),
            gke("HealthCheckPolicy", {"checkIntervalSec": 9}),
        ]
    )
    (backend,) = served("gcp", text).backends.values()
    assert backend.backend_config["timeoutSec"] == 45
    assert backend.backend_config["connectionDraining"] == {"drainingTimeoutSec": 5}  # the BackendConfig's
    assert (backend.health_check.interval_seconds, backend.health_check.path) == (9, "/")  # replaced whole


def test_of_two_gke_policies_of_one_service_the_older_wins_and_the_other_is_conflicted() -> None:
    text = "---\n".join(
        [
            base("gcp"),
            gke("GCPBackendPolicy", {"timeoutSec": 45}, name="newer", created="2026-02-01T00:00:00Z"),
            gke("GCPBackendPolicy", {"timeoutSec": 12}, name="older", created="2026-01-01T00:00:00Z"),
        ]
    )
    result = build("gcp", text)
    (backend,) = result.specs[0].backends.values()
    assert backend.backend_config["timeoutSec"] == 12
    newer = result.policy_statuses["GCPBackendPolicy:shop/newer"][1]["infra/edge"]
    assert (newer.status, newer.reason) == ("False", "Conflicted")
    assert "GCPBackendPolicy shop/older" in newer.message


GKE_REFUSALS = [  # (kind, spec.default, the field named)
    ("HealthCheckPolicy", {"config": {"type": "TCP", "tcpHealthCheck": {}}}, "spec.default.config.type"),
    (
        "HealthCheckPolicy",
        {"config": {"type": "HTTP", "httpHealthCheck": {"host": "x"}}},
        "spec.default.config.httpHealthCheck.host",
    ),
    (
        "HealthCheckPolicy",
        {"config": {"type": "HTTP", "httpHealthCheck": {"portSpecification": "USE_NAMED_PORT"}}},
        "spec.default.config.httpHealthCheck.portSpecification",
    ),
    ("HealthCheckPolicy", {"logConfig": {"enabled": True}}, "spec.default.logConfig.enabled"),
    ("GCPBackendPolicy", {"iap": {"enabled": True}}, "spec.default.iap"),
    ("GCPBackendPolicy", {"maxRatePerEndpoint": 10}, "spec.default.maxRatePerEndpoint"),
    (
        "GCPBackendPolicy",
        {"logging": {"enabled": True, "sampleRate": 2000000}},
        "spec.default.logging.sampleRate",
    ),
    ("GCPBackendPolicy", {"sessionAffinity": {"type": "RANDOM"}}, "sessionAffinity"),
]


@pytest.mark.parametrize(
    ("kind", "default", "where"), GKE_REFUSALS, ids=[w.rsplit(".", 1)[-1] for _, _, w in GKE_REFUSALS]
)
def test_a_gke_policy_field_lbctl_cannot_apply_is_refused_by_name(
    kind: str, default: dict[str, Any], where: str
) -> None:
    result = build("gcp", base("gcp") + "---\n" + gke(kind, default))
    (error,) = [p for p in result.problems if p.severity == "error"]
    assert where in error.message or where in error.field, error
    assert result.specs[0].backends == {} or all(
        r.action.type == "fixed-response" for r in result.specs[0].rules
    )  # the rule answers 500: never a backend service without the policy
    status = result.policy_statuses[f"{kind}:shop/cart"][1]["infra/edge"]
    assert (status.status, status.reason) == ("False", "Invalid")


def test_a_gateway_policy_sets_the_ssl_policy_of_the_https_listeners() -> None:
    cert = yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/tls",
            "metadata": {"name": "cert", "namespace": "infra"},
            "stringData": {"tls.crt": "CERT", "tls.key": "KEY"},
        }
    )
    https = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"certificateRefs": [{"name": "cert"}]},
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }
    http = {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}}
    text = "---\n".join(
        [
            base("gcp", gateway_spec={"listeners": [http, https]}),
            cert,
            gke("GCPGatewayPolicy", {"sslPolicy": "modern"}, name="edge"),
        ]
    )
    spec = served("gcp", text)
    assert {x.protocol: x.ssl_policy for x in spec.frontend.listeners} == {"HTTP": None, "HTTPS": "modern"}
    assert (
        spec.fields["frontend.listeners.ssl_policy"].field
        == "GCPGatewayPolicy infra/edge spec.default.sslPolicy"
    )


@pytest.mark.parametrize("field", ["allowGlobalAccess", "region"])
def test_a_gateway_policy_field_lbctl_cannot_apply_refuses_the_gateway(field: str) -> None:
    value: Any = True if field == "allowGlobalAccess" else "us-central1"
    result = build("gcp", base("gcp") + "---\n" + gke("GCPGatewayPolicy", {field: value}, name="edge"))
    (outcome,) = result.gateways.values()
    assert outcome.spec is None and outcome.accepted.reason == "InvalidParameters"
    assert f"spec.default.{field}" in outcome.accepted.message
    status = result.policy_statuses["GCPGatewayPolicy:infra/edge"][1]["infra/edge"]
    assert (status.status, status.reason) == ("False", "Invalid")


# --------------------------------------------------------------------------- the clouds' own certificates


def _https(provider: str, tls: dict[str, Any], **extra: Any) -> str:
    https = {
        "name": "https",
        "port": 443,
        "protocol": "HTTPS",
        "tls": tls,
        "allowedRoutes": {"namespaces": {"from": "All"}},
    }
    return base(provider, gateway_spec={"listeners": [https], **extra})


def _listener(result: GatewayBuild) -> dict[str, Any]:
    (outcome,) = result.gateways.values()
    (entry,) = outcome.listeners
    return {c["type"]: c for c in entry["conditions"]}


def test_gke_pre_shared_certificates_by_tls_option() -> None:
    text = _https("gcp", {"options": {"networking.gke.io/pre-shared-certs": "shop-cert, old-cert"}})
    (listener,) = served("gcp", text).frontend.listeners
    assert [(c.kind, c.ref) for c in listener.certificates] == [
        ("pre-shared", "shop-cert"),
        ("pre-shared", "old-cert"),
    ]


@pytest.mark.parametrize("provider", ["aws", "gcp"])
def test_a_tls_option_lbctl_does_not_read_is_refused_on_the_listener(provider: str) -> None:
    result = build(provider, _https(provider, {"options": {"example.com/certs": "a"}}))
    resolved = _listener(result)["ResolvedRefs"]
    assert (resolved["status"], resolved["reason"]) == ("False", "InvalidCertificateRef")
    assert "tls.options[example.com/certs]" in resolved["message"]
    assert result.specs == []  # its only listener is not served


def test_an_https_listener_without_certificates_names_what_would_give_some() -> None:
    resolved = _listener(build("gcp", _https("gcp", {"mode": "Terminate"})))["ResolvedRefs"]
    assert resolved["message"] == (
        "an HTTPS listener needs tls.certificateRefs, or tls.options[networking.gke.io/pre-shared-certs]"
    )


ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555"
OTHER_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/9f8e7d6c-0000-1111-2222-333344445555"


def test_acm_certificates_of_a_load_balancer_configuration_serve_its_https_listener() -> None:
    lbc = policy(
        "LoadBalancerConfiguration",
        "infra",
        "edge",
        {
            "listenerConfigurations": [
                {"protocolPort": "HTTPS:443", "defaultCertificate": ARN, "certificates": [OTHER_ARN]}
            ]
        },
    )
    text = _https("aws", {"mode": "Terminate"}, infrastructure={"parametersRef": GATEWAY_LBC})
    spec = served("aws", text + "---\n" + lbc)
    (listener,) = spec.frontend.listeners
    assert [(c.kind, c.ref) for c in listener.certificates] == [("arn", ARN), ("arn", OTHER_ARN)]


@pytest.mark.parametrize(
    ("listener", "where"),
    [
        (
            {"protocolPort": "HTTPS:443", "defaultCertificate": "not-an-arn"},
            "spec.listenerConfigurations[0].certificates",
        ),
        (
            {"protocolPort": "HTTP:80", "defaultCertificate": ARN},
            "spec.listenerConfigurations[0].protocolPort",
        ),
    ],
)
def test_a_certificate_a_load_balancer_configuration_cannot_give_is_refused(
    listener: dict[str, Any], where: str
) -> None:
    lbc = policy("LoadBalancerConfiguration", "infra", "edge", {"listenerConfigurations": [listener]})
    text = _https("aws", {"mode": "Terminate"}, infrastructure={"parametersRef": GATEWAY_LBC})
    (outcome,) = build("aws", text + "---\n" + lbc).gateways.values()
    assert outcome.spec is None and outcome.accepted.reason == "InvalidParameters"
    assert outcome.accepted.message.startswith(f"LoadBalancerConfiguration infra/edge {where}")


def test_a_google_cloud_listener_on_another_port_is_refused_not_moved() -> None:
    """The global external Application Load Balancer takes HTTP on 80 and HTTPS on 443: a listener on 8080 is
    not served on 80 instead."""
    text = base("gcp", gateway_spec={"listeners": [{"name": "http", "port": 8080, "protocol": "HTTP"}]})
    accepted = _listener(build("gcp", text))["Accepted"]
    assert (accepted["status"], accepted["reason"]) == ("False", "PortUnavailable")
    assert "take port 80" in accepted["message"]


def test_a_gateway_with_only_an_https_listener_has_no_http_one() -> None:
    text = _https("gcp", {"options": {"networking.gke.io/pre-shared-certs": "shop-cert"}})
    assert [(x.protocol, x.port) for x in served("gcp", text).frontend.listeners] == [("HTTPS", 443)]


# --------------------------------------------------------------------------- AWS: ListenerRuleConfiguration


def _with_extension(lrc: dict[str, Any] | None, *filters: dict[str, Any], name: str = "rules") -> str:
    text = base("aws")
    docs = [d for d in yaml.safe_load_all(text) if d]
    route = next(d for d in docs if d["kind"] == "HTTPRoute")
    route["spec"]["rules"] = [
        {
            "matches": [
                {"path": {"type": "PathPrefix", "value": "/admin"}},
                {"path": {"type": "Exact", "value": "/x"}},
            ],
            "filters": [
                *filters,
                {
                    "type": "ExtensionRef",
                    "extensionRef": {
                        "group": "gateway.k8s.aws",
                        "kind": "ListenerRuleConfiguration",
                        "name": name,
                    },
                },
            ],
            "backendRefs": [{"name": "cart", "port": 80}],
        }
    ]
    out = yaml.safe_dump_all(docs)
    if lrc is not None:
        out += "---\n" + policy("ListenerRuleConfiguration", "shop", "rules", lrc)
    return out


def test_a_listener_rule_configuration_adds_source_ip_conditions_to_the_matches_it_names() -> None:
    lrc = {
        "conditions": [
            {"field": "source-ip", "sourceIPConfig": {"values": ["10.0.0.0/8"]}, "matchIndexes": [0]}
        ]
    }
    spec = served("aws", _with_extension(lrc))
    conditions = {r.source.field: [(c.field, c.values) for c in r.conditions] for r in spec.rules}
    assert conditions == {
        "spec.rules[0].matches[0]": [("source-ip", ["10.0.0.0/8"])],
        "spec.rules[0].matches[1]": [],
    }


def test_a_listener_rule_configuration_gives_a_fixed_response_or_stickiness() -> None:
    fixed = {
        "actions": [
            {"type": "fixed-response", "fixedResponseConfig": {"statusCode": 403, "messageBody": "no"}}
        ]
    }
    (rule, _) = served("aws", _with_extension(fixed)).rules
    assert (
        rule.action.type,
        rule.action.fixed_response.status_code,
        rule.action.fixed_response.message_body,
    ) == (
        "fixed-response",
        "403",
        "no",
    )
    sticky = {
        "actions": [
            {
                "type": "forward",
                "forwardConfig": {"targetGroupStickinessConfig": {"enabled": True, "durationSeconds": 120}},
            }
        ]
    }
    (rule, _) = served("aws", _with_extension(sticky)).rules
    assert rule.action.type == "forward" and (
        rule.action.stickiness.enabled,
        rule.action.stickiness.duration_seconds,
    ) == (True, 120)


def test_a_listener_rule_configuration_adds_the_query_of_the_rules_redirect() -> None:
    redirect = {"type": "RequestRedirect", "requestRedirect": {"hostname": "new.example.com"}}
    lrc = {"actions": [{"type": "redirect", "redirectConfig": {"query": "from=old"}}]}
    (rule, _) = served("aws", _with_extension(lrc, redirect)).rules
    assert (rule.action.redirect.host, rule.action.redirect.query) == ("new.example.com", "from=old")


def test_a_missing_listener_rule_configuration_makes_its_rule_answer_500() -> None:
    result = build("aws", _with_extension(None))
    (spec,) = result.specs
    assert {r.action.type for r in spec.rules} == {"fixed-response"}
    assert {r.action.fixed_response.status_code for r in spec.rules} == {"500"}
    (parent,) = result.route_parents["HTTPRoute:shop/web"]
    resolved = next(c for c in parent["conditions"] if c["type"] == "ResolvedRefs")
    assert (resolved["status"], resolved["reason"]) == ("False", "InvalidKind")
    assert "ListenerRuleConfiguration shop/rules not found" in resolved["message"]


@pytest.mark.parametrize(
    ("lrc", "field"),
    [
        ({"actions": [{"type": "authenticate-oidc"}]}, "spec.actions[0].type"),
        ({"conditions": [{"field": "http-header"}]}, "spec.conditions[0].field"),
        (
            {"conditions": [{"field": "source-ip", "sourceIPConfig": {"values": ["nope"]}}]},
            "spec.conditions[0].sourceIPConfig.values",
        ),
        ({"tags": {"a": "b"}}, "spec.tags"),
    ],
)
def test_a_listener_rule_configuration_field_lbctl_cannot_apply_drops_the_rule_naming_it(
    lrc: dict[str, Any], field: str
) -> None:
    result = build("aws", _with_extension(lrc))
    (parent,) = result.route_parents["HTTPRoute:shop/web"]
    accepted = next(c for c in parent["conditions"] if c["type"] == "Accepted")
    assert (accepted["status"], accepted["reason"]) == ("False", "UnsupportedValue")
    assert f"ListenerRuleConfiguration shop/rules {field}" in accepted["message"], accepted["message"]
