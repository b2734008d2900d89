"""What a real API server rejects and so must the emulator: non-string annotations (400), annotations over
256 KiB, IP or malformed Ingress hosts, out-of-range ports (422)."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException


def _ingress(
    host: str | None = None, annotations: dict[str, Any] | None = None, number: int = 80
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "s", "port": {"number": number}}},
                }
            ]
        }
    }
    if host is not None:
        rule["host"] = host
    return {"metadata": {"name": "i", "annotations": annotations or {}}, "spec": {"rules": [rule]}}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (_ingress(annotations={"a": 1}), 400, None),
        (_ingress(annotations={"a": "x" * (256 * 1024 + 1)}), 422, "metadata.annotations"),
        (_ingress(host="10.0.0.1"), 422, "spec.rules[0].host"),
        (_ingress(host="*.*.example.com"), 422, "spec.rules[0].host"),
        (_ingress(host="under_score.example.com"), 422, "spec.rules[0].host"),
        (_ingress(number=70000), 422, "spec.rules[0].http.paths[0].backend.service.port.number"),
    ],
)
def test_invalid_ingress_is_rejected(
    api: client.ApiClient, body: dict[str, Any], status: int, field: str | None
) -> None:
    # raw JSON: the typed client would refuse some of these bodies before sending them
    with pytest.raises(ApiException) as raised:
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            "networking.k8s.io", "v1", "default", "ingresses", body
        )
    assert raised.value.status == status
    if field:
        assert field in raised.value.body


@pytest.mark.parametrize("host", ["shop.example.com", "*.example.com", None])
def test_valid_hosts_are_accepted(net: client.NetworkingV1Api, host: str | None) -> None:
    net.create_namespaced_ingress("default", _ingress(host=host))


def test_service_port_range(core: client.CoreV1Api) -> None:
    with pytest.raises(ApiException) as raised:
        core.create_namespaced_service(
            "default", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 70000}]}}
        )
    assert raised.value.status == 422 and "spec.ports[0].port" in raised.value.body
