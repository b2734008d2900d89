"""Fault injection (in-process and over HTTP) and the request log."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from emulators.kube import KubeEmulator
from emulators.testing.kube_objects import ingress


def _control(emulator: KubeEmulator, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{emulator.url}{path}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **emulator.auth_headers()},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "InternalError"), (503, "ServiceUnavailable"), (429, "TooManyRequests"), (504, "Timeout")],
)
def test_injected_failures_reach_the_client_then_stop(
    emulator: KubeEmulator, net: client.NetworkingV1Api, status: int, reason: str
) -> None:
    emulator.faults.fail(method="GET", path=r"/namespaces/default/ingresses$", status=status, times=2)
    for _ in range(2):
        with pytest.raises(ApiException) as error:
            net.list_namespaced_ingress("default")
        assert error.value.status == status
        assert json.loads(error.value.body)["reason"] == reason
    assert net.list_namespaced_ingress("default").items == []
    net.create_namespaced_ingress("default", ingress("web"))  # POST on the same path was never affected


def test_throttling_carries_retry_after(emulator: KubeEmulator, net: client.NetworkingV1Api) -> None:
    emulator.faults.fail(verb="^patch$", status=429, retry_after=3)
    net.create_namespaced_ingress("default", ingress("web"))
    with pytest.raises(ApiException) as error:
        net.patch_namespaced_ingress_status("web", "default", {"status": {"loadBalancer": {}}})
    assert error.value.headers["Retry-After"] == "3"
    assert json.loads(error.value.body)["details"]["retryAfterSeconds"] == 3


def test_latency(emulator: KubeEmulator, core: client.CoreV1Api, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(emulator.faults, "sleep", waits.append)  # record the latency instead of waiting it
    emulator.faults.delay(0.3, path="/api/v1/namespaces$", times=1)
    core.list_namespace()
    assert waits == [0.3]
    core.list_namespace()
    core.list_namespaced_pod("default")
    assert waits == [0.3], "the rule held only its one matching answer"


def test_faults_over_http(emulator: KubeEmulator, net: client.NetworkingV1Api) -> None:
    added = _control(emulator, "POST", "/_emulator/faults", {"verb": "create", "status": 503, "times": 1})
    assert added["added"][0]["status"] == 503
    with pytest.raises(ApiException) as error:
        net.create_namespaced_ingress("default", ingress("web"))
    assert error.value.status == 503
    net.create_namespaced_ingress("default", ingress("web"))

    rv = net.list_namespaced_ingress("default").metadata.resource_version
    _control(emulator, "POST", "/_emulator/faults", {"action": "compact"})
    with pytest.raises(ApiException) as expired:
        list(
            watch.Watch().stream(
                net.list_namespaced_ingress, "default", resource_version=rv, timeout_seconds=1
            )
        )
    assert expired.value.status == 410

    _control(emulator, "POST", "/_emulator/faults", {"path": "ingresses", "status": 500, "times": None})
    rules = _control(emulator, "GET", "/_emulator/faults")[
        "rules"
    ]  # a spent rule stays listed, with its hits
    assert [(rule["status"], rule["times"], rule["hits"]) for rule in rules] == [(503, 1, 1), (500, None, 0)]
    _control(emulator, "DELETE", "/_emulator/faults")
    net.list_namespaced_ingress("default")

    finished = threading.Event()

    def consume() -> None:
        list(watch.Watch().stream(net.list_namespaced_ingress, "default", timeout_seconds=3600))
        finished.set()

    threading.Thread(target=consume, daemon=True).start()
    deadline = time.monotonic() + 30
    while emulator.store.open_watches == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _control(emulator, "POST", "/_emulator/faults", {"action": "drop_watches"}) == {"dropped": 1}
    assert finished.wait(30), "the stream's own timeout is an hour away: only the drop ends it"


def test_bad_fault_request_is_400(emulator: KubeEmulator) -> None:
    with pytest.raises(urllib.request.HTTPError) as error:
        _control(emulator, "POST", "/_emulator/faults", {"colour": "red", "status": 500})
    assert error.value.code == 400


def test_request_log_names_what_a_controller_called(emulator: KubeEmulator, api: client.ApiClient) -> None:
    net, core = client.NetworkingV1Api(api), client.CoreV1Api(api)
    net.create_namespaced_ingress("default", ingress("web"))
    emulator.request_log.clear()

    net.list_ingress_for_all_namespaces()
    list(watch.Watch().stream(net.list_ingress_for_all_namespaces, timeout_seconds=1))
    net.patch_namespaced_ingress_status(
        "web", "default", {"status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}}
    )
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"generateName": "web."},
            "reason": "Synced",
            "involvedObject": {"kind": "Ingress", "name": "web"},
        },
    )
    client.CoordinationV1Api(api).create_namespaced_lease("kube-system", {"metadata": {"name": "lbctl"}})
    with pytest.raises(ApiException):
        core.read_namespaced_secret("missing", "default")

    assert [
        (r.verb, r.api_group, r.resource, r.subresource, r.namespace, r.status) for r in emulator.requests
    ] == [
        ("list", "networking.k8s.io", "ingresses", "", "", 200),
        ("watch", "networking.k8s.io", "ingresses", "", "", 200),
        ("patch", "networking.k8s.io", "ingresses", "status", "default", 200),
        ("create", "", "events", "", "default", 201),
        ("create", "coordination.k8s.io", "leases", "", "kube-system", 201),
        ("get", "", "secrets", "", "default", 404),
    ]
    over_http = _control(emulator, "GET", "/_emulator/requests")["requests"]
    assert over_http[2]["subresource"] == "status" and over_http[2]["api_group"] == "networking.k8s.io"


def test_the_shared_vocabulary_drop_after_and_verb(
    emulator: KubeEmulator, net: client.NetworkingV1Api
) -> None:
    """The rule fields every emulator shares: `phase: after` applies the write and loses only its answer;
    `drop` closes the connection unanswered; `verb` matches the Kubernetes verb."""
    _control(
        emulator,
        "POST",
        "/_emulator/faults",
        {"verb": "^create$", "status": 503, "phase": "after", "times": 1},
    )
    with pytest.raises(ApiException) as error:
        net.create_namespaced_ingress("default", ingress("lost-answer"))
    assert error.value.status == 503
    assert net.read_namespaced_ingress("lost-answer", "default").metadata.name == "lost-answer", (
        "it was applied"
    )

    _control(
        emulator,
        "POST",
        "/_emulator/faults",
        {"method": "GET", "path": "/ingresses/dropped$", "drop": True, "times": 1},
    )
    request = urllib.request.Request(
        f"{emulator.url}/apis/networking.k8s.io/v1/namespaces/default/ingresses/dropped",
        headers=emulator.auth_headers(),
    )
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.RemoteDisconnected)):
        urllib.request.urlopen(request, timeout=5)
    assert [r.status for r in emulator.requests if r.name == "dropped"] == [0]
    rules = _control(emulator, "GET", "/_emulator/faults")["rules"]
    assert [(rule["phase"], rule["drop"], rule["hits"]) for rule in rules] == [
        ("after", False, 1),
        ("before", True, 1),
    ]


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"status": 503, "path_regex": "/x"}, "path_regex"),
        ({"status": 503, "count": 1}, "count"),
        ({"status": 200}, "status"),
        ({"latency": -1}, "latency"),
        ({"path": "("}, "path"),
        ({"phase": "later", "status": 500}, "phase"),
        ({"operation_error": {"code": 400}}, "operation_error"),  # no operations in the Kubernetes API
    ],
)
def test_a_bad_rule_is_refused_naming_its_field(
    emulator: KubeEmulator, rule: dict[str, Any], named: str
) -> None:
    with pytest.raises(urllib.request.HTTPError) as error:
        _control(emulator, "POST", "/_emulator/faults", rule)
    assert error.value.code == 400
    assert named in json.loads(error.value.read())["message"]
    assert emulator.faults.rules == []


def test_rate_limit(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    _control(
        emulator,
        "POST",
        "/_emulator/faults",
        {"rate_limit": {"requests_per_second": 0.001, "burst": 1, "status": 429, "path": "/namespaces$"}},
    )
    core.list_namespace()
    with pytest.raises(ApiException) as error:
        core.list_namespace()
    assert error.value.status == 429
    core.list_namespaced_pod("default")  # another path: not limited
    _control(emulator, "DELETE", "/_emulator/faults")
    core.list_namespace()
