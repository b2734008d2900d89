"""The upstream Gateway API standard-channel CRDs (vendored in tests/data/gateway-api) applied to the emulator
as a cluster admin does: every kind is served with its schema's defaults and validation (CEL rules,
`x-kubernetes-validations`, are not evaluated by the emulator)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from kubernetes import client
from kubernetes.client.rest import ApiException

from emulators.kube import KubeEmulator
from emulators.testing.crds import install_gateway_api_crds

G = "gateway.networking.k8s.io"


@pytest.fixture
def gateway_api(emulator: KubeEmulator, custom: client.CustomObjectsApi) -> client.CustomObjectsApi:
    install_gateway_api_crds(emulator)
    return custom


def obj(kind: str, name: str, spec: dict[str, Any], version: str = "v1") -> dict[str, Any]:
    return {"apiVersion": f"{G}/{version}", "kind": kind, "metadata": {"name": name}, "spec": spec}


def gateway(name: str, *listeners: dict[str, Any]) -> dict[str, Any]:
    return obj("Gateway", name, {"gatewayClassName": "lbctl", "listeners": list(listeners)})


def test_the_five_kinds_are_discovered(emulator: KubeEmulator, api: client.ApiClient) -> None:
    install_gateway_api_crds(emulator)
    group = next(g for g in client.ApisApi(api).get_api_versions().groups if g.name == G)
    assert group.preferred_version.version == "v1"
    resources = client.ApiextensionsV1Api(api).list_custom_resource_definition().items
    kinds = {crd.spec.names.kind: crd.spec.scope for crd in resources}
    assert kinds == {
        "GatewayClass": "Cluster",
        "Gateway": "Namespaced",
        "HTTPRoute": "Namespaced",
        "GRPCRoute": "Namespaced",
        "ReferenceGrant": "Namespaced",
    }
    assert all(
        {c.type: c.status for c in crd.status.conditions}["Established"] == "True" for crd in resources
    )


def test_valid_objects_are_stored_with_the_schema_defaults(gateway_api: client.CustomObjectsApi) -> None:
    made = gateway_api.create_cluster_custom_object(
        G, "v1", "gatewayclasses", obj("GatewayClass", "lbctl", {"controllerName": "lbctl.io/alb"})
    )
    assert made["spec"] == {"controllerName": "lbctl.io/alb"}
    created = gateway_api.create_namespaced_custom_object(
        G, "v1", "default", "gateways", gateway("web", {"name": "http", "port": 80, "protocol": "HTTP"})
    )
    assert created["spec"]["listeners"][0]["allowedRoutes"] == {"namespaces": {"from": "Same"}}
    route = gateway_api.create_namespaced_custom_object(
        G,
        "v1",
        "default",
        "httproutes",
        obj(
            "HTTPRoute",
            "shop",
            {
                "parentRefs": [{"name": "web", "sectionName": "http"}],
                "hostnames": ["shop.example.com"],
                "rules": [{"backendRefs": [{"name": "web", "port": 80}]}],
            },
        ),
    )
    assert route["spec"]["parentRefs"] == [
        {"name": "web", "sectionName": "http", "group": G, "kind": "Gateway"}
    ]
    rule = route["spec"]["rules"][0]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rule["backendRefs"] == [{"name": "web", "port": 80, "group": "", "kind": "Service", "weight": 1}]
    grpc = gateway_api.create_namespaced_custom_object(
        G,
        "v1",
        "default",
        "grpcroutes",
        obj(
            "GRPCRoute",
            "rpc",
            {
                "parentRefs": [{"name": "web"}],
                "rules": [
                    {
                        "matches": [{"method": {"service": "shop.Cart"}}],
                        "backendRefs": [{"name": "rpc", "port": 50051}],
                    }
                ],
            },
        ),
    )
    assert grpc["spec"]["rules"][0]["matches"][0]["method"]["type"] == "Exact"
    grant = gateway_api.create_namespaced_custom_object(
        G,
        "v1beta1",
        "default",
        "referencegrants",
        obj(
            "ReferenceGrant",
            "from-shop",
            {
                "from": [{"group": G, "kind": "HTTPRoute", "namespace": "shop"}],
                "to": [{"group": "", "kind": "Service"}],
            },
            "v1beta1",
        ),
    )
    assert grant["apiVersion"] == f"{G}/v1beta1"
    assert gateway_api.get_namespaced_custom_object(G, "v1", "default", "referencegrants", "from-shop")[
        "apiVersion"
    ] == (f"{G}/v1")
    old = gateway_api.get_namespaced_custom_object(G, "v1beta1", "default", "httproutes", "shop")
    assert old["apiVersion"] == f"{G}/v1beta1" and old["spec"]["hostnames"] == ["shop.example.com"]


def test_gateway_status_is_a_subresource(gateway_api: client.CustomObjectsApi) -> None:
    gateway_api.create_namespaced_custom_object(
        G, "v1", "default", "gateways", gateway("web", {"name": "http", "port": 80, "protocol": "HTTP"})
    )
    condition = {
        "type": "Accepted",
        "status": "True",
        "reason": "Accepted",
        "message": "",
        "observedGeneration": 1,
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    written = gateway_api.patch_namespaced_custom_object_status(
        G, "v1", "default", "gateways", "web", {"status": {"conditions": [condition]}}
    )
    assert written["status"]["conditions"] == [condition] and written["metadata"]["generation"] == 1
    bad = {**condition, "reason": "not a reason!"}
    with pytest.raises(ApiException) as refused:
        gateway_api.patch_namespaced_custom_object_status(
            G, "v1", "default", "gateways", "web", {"status": {"conditions": [bad]}}
        )
    assert [c["field"] for c in json.loads(refused.value.body)["details"]["causes"]] == [
        "status.conditions[0].reason"
    ]


@pytest.mark.parametrize(
    ("plural", "body", "causes"),
    [
        (
            "gateways",
            gateway("g", {"name": "http", "port": 0, "protocol": "HTTP"}),
            [("spec.listeners[0].port", "FieldValueInvalid")],
        ),
        (
            "gateways",
            gateway(
                "g",
                {"name": "a", "port": 80, "protocol": "HTTP"},
                {"name": "a", "port": 81, "protocol": "HTTP"},
            ),
            [("spec.listeners[1]", "FieldValueDuplicate")],
        ),
        (
            "gateways",
            gateway("g", {"name": "a", "port": 80, "protocol": "HTTP", "hostname": "Bad_Host"}),
            [("spec.listeners[0].hostname", "FieldValueInvalid")],
        ),
        (
            "gateways",
            obj("Gateway", "g", {"listeners": []}),
            [("spec.gatewayClassName", "FieldValueRequired"), ("spec.listeners", "FieldValueInvalid")],
        ),
        (
            "httproutes",
            obj("HTTPRoute", "r", {"rules": [{"matches": [{"path": {"type": "Glob", "value": "/x"}}]}]}),
            [("spec.rules[0].matches[0].path.type", "FieldValueNotSupported")],
        ),
        (
            "httproutes",
            obj("HTTPRoute", "r", {"rules": [{"backendRefs": [{"name": "web", "port": 80, "weight": -1}]}]}),
            [("spec.rules[0].backendRefs[0].weight", "FieldValueInvalid")],
        ),
        (
            "httproutes",
            obj("HTTPRoute", "r", {"parentRefs": [{"name": f"g{i}"} for i in range(33)]}),
            [("spec.parentRefs", "FieldValueTooMany")],
        ),
        (
            "grpcroutes",
            obj("GRPCRoute", "r", {"rules": [{"matches": [{"method": {"type": "Prefix", "service": "a"}}]}]}),
            [("spec.rules[0].matches[0].method.type", "FieldValueNotSupported")],
        ),
        (
            "referencegrants",
            obj("ReferenceGrant", "rg", {"from": [], "to": [{"group": "", "kind": "Service"}]}),
            [("spec.from", "FieldValueInvalid")],
        ),
    ],
)
def test_invalid_objects_get_the_api_servers_422(
    gateway_api: client.CustomObjectsApi, plural: str, body: dict[str, Any], causes: list[tuple[str, str]]
) -> None:
    with pytest.raises(ApiException) as refused:
        gateway_api.create_namespaced_custom_object(G, "v1", "default", plural, body)
    status = json.loads(refused.value.body)
    assert refused.value.status == 422 and status["reason"] == "Invalid"
    assert status["details"]["kind"] == body["kind"] and status["details"]["group"] == G
    assert [(c["field"], c["reason"]) for c in status["details"]["causes"]] == causes
    assert status["message"].startswith(
        f'{body["kind"]}.{G} "{body["metadata"]["name"]}" is invalid: {causes[0][0]}'
    )


def test_gateway_class_controller_name_is_checked(gateway_api: client.CustomObjectsApi) -> None:
    with pytest.raises(ApiException) as refused:
        gateway_api.create_cluster_custom_object(
            G, "v1", "gatewayclasses", obj("GatewayClass", "c", {"controllerName": "no-domain"})
        )
    assert [c["field"] for c in json.loads(refused.value.body)["details"]["causes"]] == [
        "spec.controllerName"
    ]


def test_tables_show_the_crds_printer_columns(
    emulator: KubeEmulator, gateway_api: client.CustomObjectsApi
) -> None:
    gateway_api.create_namespaced_custom_object(
        G, "v1", "default", "gateways", gateway("web", {"name": "http", "port": 80, "protocol": "HTTP"})
    )
    status = {
        "addresses": [{"type": "IPAddress", "value": "203.0.113.7"}],
        "conditions": [
            {
                "type": "Programmed",
                "status": "True",
                "reason": "Programmed",
                "message": "",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
            }
        ],
    }
    gateway_api.patch_namespaced_custom_object_status(
        G, "v1", "default", "gateways", "web", {"status": status}
    )
    table = requests.get(
        f"{emulator.url}/apis/{G}/v1/namespaces/default/gateways",
        headers={**emulator.auth_headers(), "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
        timeout=10,
    ).json()
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Class",
        "Address",
        "Programmed",
        "Age",
    ]
    assert table["rows"][0]["cells"][:4] == ["web", "lbctl", "203.0.113.7", "True"]
