"""Server-side defaults of Pods and Deployments (what controllers rely on), and workload validation."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator


def _template(labels: dict[str, str], probe: bool = True) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "example/app:1", "ports": [{"containerPort": 8080}]}
    if probe:
        container["readinessProbe"] = {"httpGet": {"port": 8080}, "initialDelaySeconds": 5}
    return {"metadata": {"labels": labels}, "spec": {"containers": [container]}}


def deployment(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": _template({"app": name}), **spec},
    }


def test_deployment_defaults(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    spec = apps.create_namespaced_deployment("default", deployment("web")).spec
    assert (spec.replicas, spec.revision_history_limit, spec.progress_deadline_seconds) == (1, 10, 600)
    assert spec.strategy.type == "RollingUpdate"
    assert (spec.strategy.rolling_update.max_surge, spec.strategy.rolling_update.max_unavailable) == (
        "25%",
        "25%",
    )
    pod_spec = spec.template.spec
    assert (pod_spec.restart_policy, pod_spec.dns_policy, pod_spec.termination_grace_period_seconds) == (
        "Always",
        "ClusterFirst",
        30,
    )
    probe = pod_spec.containers[0].readiness_probe
    assert (
        probe.period_seconds,
        probe.timeout_seconds,
        probe.success_threshold,
        probe.failure_threshold,
    ) == (10, 1, 1, 3)
    assert probe.initial_delay_seconds == 5 and probe.http_get.path == "/" and probe.http_get.scheme == "HTTP"


def test_recreate_strategy_gets_no_rolling_parameters(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    spec = apps.create_namespaced_deployment("default", deployment("web", strategy={"type": "Recreate"})).spec
    assert spec.strategy.type == "Recreate" and spec.strategy.rolling_update is None


def test_pod_defaults(core: client.CoreV1Api) -> None:
    body = {
        "metadata": {"name": "p"},
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "image": "nginx",
                    "ports": [{"containerPort": 80}],
                    "livenessProbe": {"tcpSocket": {"port": 80}},
                },
                {"name": "b", "image": "example/b:1.2"},
            ]
        },
    }
    spec = core.create_namespaced_pod("default", body).spec
    assert (spec.restart_policy, spec.dns_policy, spec.scheduler_name) == (
        "Always",
        "ClusterFirst",
        "default-scheduler",
    )
    first, second = spec.containers
    assert (
        first.termination_message_path == "/dev/termination-log"
        and first.termination_message_policy == "File"
    )
    assert (first.image_pull_policy, second.image_pull_policy) == ("Always", "IfNotPresent")
    assert first.ports[0].protocol == "TCP"
    assert (first.liveness_probe.period_seconds, first.liveness_probe.failure_threshold) == (10, 3)


def test_given_values_are_kept(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    body = deployment("web", replicas=3, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}})
    spec = apps.create_namespaced_deployment("default", body).spec
    assert spec.replicas == 3
    assert (spec.strategy.rolling_update.max_surge, spec.strategy.rolling_update.max_unavailable) == (
        1,
        "25%",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"selector": {"matchLabels": {"app": "other"}}}, "spec.template.metadata.labels"),
        ({"replicas": -1}, "spec.replicas"),
    ],
)
def test_deployment_validation(api: client.ApiClient, change: dict[str, Any], field: str) -> None:
    body = deployment("web")
    body["spec"].update(change)
    with pytest.raises(client.ApiException) as raised:
        client.AppsV1Api(api).create_namespaced_deployment("default", body)
    assert raised.value.status == 422 and f'"field":"{field}"' in raised.value.body


def test_deployment_without_selector_is_invalid(emulator: KubeEmulator) -> None:
    body = deployment("web")
    del body["spec"]["selector"]  # the official client refuses to send this; kubectl would
    request = urllib.request.Request(
        f"{emulator.url}/apis/apps/v1/namespaces/default/deployments",
        json.dumps(body).encode(),
        {"Content-Type": "application/json", **emulator.auth_headers()},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    status = json.loads(raised.value.read())
    assert (raised.value.code, status["details"]["causes"][0]["field"]) == (422, "spec.selector")
