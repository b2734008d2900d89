"""Fault injection, rate limits, the request log and the `/_emulator/` admin API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import PROJECT, Clients, Stack, make_clients


def _admin(emulator: ComputeEmulator, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.url}/_emulator{path}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _insert_policy(clients: Clients, name: str = "pol") -> compute_v1.Operation:
    return clients.ssl_policies.insert_unary(
        project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name=name)
    )


def test_injected_503_is_seen_once_then_the_call_succeeds(
    clients: Clients, emulator: ComputeEmulator
) -> None:
    _admin(
        emulator,
        "POST",
        "/faults",
        {"method": "POST", "path": "/sslPolicies$", "status": 503, "times": 1},
    )
    with pytest.raises(exceptions.ServiceUnavailable):
        _insert_policy(clients)
    clients.wait(_insert_policy(clients))
    assert [(r.api_method, r.status) for r in emulator.requests][:2] == [
        ("sslPolicies.insert", 503),
        ("sslPolicies.insert", 200),
    ]
    assert _admin(emulator, "GET", "/faults")["rules"][0]["hits"] == 1


def test_client_retries_reads_on_503(clients: Clients, stack: Stack, emulator: ComputeEmulator) -> None:
    """get/list carry a default retry on ServiceUnavailable in google-cloud-compute: two calls, one result."""
    emulator.add_fault(method="GET", path="/urlMaps/", status=503, times=1)
    emulator.clear_requests()
    assert clients.url_maps.get(project=PROJECT, url_map=stack.url_map).name == stack.url_map
    assert emulator.call_counts() == {"urlMaps.get": 2}


@pytest.mark.parametrize(
    "status, reason, error",
    [
        (500, "backendError", exceptions.InternalServerError),
        (409, "resourceNotReady", exceptions.Conflict),
        (403, "rateLimitExceeded", exceptions.Forbidden),
        (429, "rateLimitExceeded", exceptions.TooManyRequests),
    ],
)
def test_injected_status_maps_to_client_exception(
    clients: Clients, emulator: ComputeEmulator, status: int, reason: str, error: type[Exception]
) -> None:
    emulator.add_fault(method="POST", path="/sslPolicies$", status=status, reason=reason, times=1)
    with pytest.raises(error) as caught:
        _insert_policy(clients)
    assert caught.value.errors[0]["reason"] == reason


def test_fault_after_apply_loses_only_the_response(clients: Clients, emulator: ComputeEmulator) -> None:
    emulator.add_fault(method="POST", path="/sslPolicies$", status=503, phase="after", times=1)
    with pytest.raises(exceptions.ServiceUnavailable):
        _insert_policy(clients)
    assert clients.ssl_policies.get(project=PROJECT, ssl_policy="pol").name == "pol"
    with pytest.raises(exceptions.Conflict):
        _insert_policy(clients)


def test_dropped_connection(clients: Clients, emulator: ComputeEmulator) -> None:
    emulator.add_fault(method="POST", path="/sslPolicies$", drop=True, times=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        _insert_policy(clients)
    clients.wait(_insert_policy(clients))


def test_probabilistic_faults_are_reproducible_with_a_seed(
    clients: Clients, emulator: ComputeEmulator
) -> None:
    def outcomes() -> list[bool]:
        emulator.reset()
        _admin(
            emulator,
            "POST",
            "/faults",
            {"path": "/sslPolicies/", "status": 503, "probability": 0.5, "seed": 3},
        )
        results = []
        for _ in range(12):
            try:
                clients.ssl_policies.get(project=PROJECT, ssl_policy="x", retry=None)
            except exceptions.ServiceUnavailable:
                results.append(True)
            except exceptions.NotFound:
                results.append(False)
        return results

    first = outcomes()
    assert first == outcomes()
    assert 0 < sum(first) < 12


def test_rate_limit_answers_403_rate_limit_exceeded(clients: Clients, emulator: ComputeEmulator) -> None:
    _admin(emulator, "POST", "/faults", {"rate_limit": {"requests_per_second": 0.001, "burst": 2}})
    clients.wait(_insert_policy(clients, "a"))
    with pytest.raises(exceptions.Forbidden) as caught:
        _insert_policy(clients, "b")
    assert caught.value.errors[0]["reason"] == "rateLimitExceeded"
    _admin(emulator, "DELETE", "/faults")
    clients.wait(_insert_policy(clients, "b"))


def test_latency_fault_delays_answers(
    clients: Clients, emulator: ComputeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    monkeypatch.setattr(emulator.faults, "sleep", waits.append)  # record the delays instead of waiting them
    emulator.add_fault(path="/sslPolicies$", latency=0.2, times=1)
    _insert_policy(clients)
    assert waits == [0.2]
    clients.wait(_insert_policy(clients, "second"))
    assert waits == [0.2], "the fault held only its one answer"


def test_inventory_reset_requests_and_calls(
    clients: Clients, stack: Stack, emulator: ComputeEmulator
) -> None:
    inventory = _admin(emulator, "GET", "/inventory")["resources"]
    assert f"projects/{PROJECT}/global/urlMaps/{stack.url_map}" in inventory
    group = inventory[f"projects/{PROJECT}/zones/us-central1-a/instanceGroups/{stack.instance_group}"]
    assert group["_instances"][0].endswith(f"/instances/{stack.instance}")
    assert len(inventory) == 12
    calls = _admin(emulator, "GET", "/calls")["calls"]
    assert calls["urlMaps.insert"] == 1 and calls["globalOperations.wait"] >= 1
    logged = _admin(emulator, "GET", "/requests")["requests"]
    assert {
        "method": "POST",
        "path": f"/compute/v1/projects/{PROJECT}/global/urlMaps",
        "status": 200,
    }.items() <= logged[[r["api_method"] for r in logged].index("urlMaps.insert")].items()
    assert _admin(emulator, "POST", "/reset") == {"reset": True}
    assert _admin(emulator, "GET", "/inventory") == {"resources": {}}
    assert _admin(emulator, "GET", "/requests") == {"requests": []}


def test_admin_settings_and_unknown_endpoint(clients: Clients, emulator: ComputeEmulator) -> None:
    assert _admin(emulator, "POST", "/settings", {"polls_to_done": None})["polls_to_done"] is None
    assert _insert_policy(clients).status == compute_v1.Operation.Status.DONE
    with pytest.raises(urllib.error.HTTPError) as caught:
        _admin(emulator, "GET", "/nope")
    assert caught.value.code == 404


def test_custom_zones_and_a_second_emulator() -> None:
    with ComputeEmulator(zones=("europe-west1-b",), operation_polls_to_done=None) as other:
        clients = make_clients(other.url)
        assert [zone.name for zone in clients.zones.list(project=PROJECT)] == ["europe-west1-b"]
        operation = clients.instance_groups.insert_unary(
            project=PROJECT,
            zone="europe-west1-b",
            instance_group_resource=compute_v1.InstanceGroup(name="ig"),
        )
        assert operation.status == compute_v1.Operation.Status.DONE
        assert operation.target_link.startswith(other.url)


def test_verb_matches_the_compute_method_name(clients: Clients, emulator: ComputeEmulator) -> None:
    rule = emulator.add_fault(verb=r"^sslPolicies\.insert$", status=503, times=1)
    with pytest.raises(exceptions.NotFound):
        clients.ssl_policies.get(project=PROJECT, ssl_policy="absent", retry=None)
    with pytest.raises(exceptions.ServiceUnavailable):
        _insert_policy(clients)
    assert rule.hits == 1


def test_a_bad_rule_is_refused_naming_its_field(emulator: ComputeEmulator) -> None:
    with pytest.raises(urllib.request.HTTPError) as error:
        _admin(emulator, "POST", "/faults", {"path_regex": "/x", "status": 503})
    assert error.value.code == 400
    assert "path_regex" in json.loads(error.value.read())["error"]
