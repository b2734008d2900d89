"""Operations: PENDING → RUNNING → DONE, wait, errors inside DONE operations, the wait helper."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.testing.gce import PROJECT, ZONE, Clients, Stack
from providers.gcp.operations import bind_operation_clients, wait_for_operation

Status = compute_v1.Operation.Status


def _insert_policy(clients: Clients, name: str = "pol") -> compute_v1.Operation:
    return clients.ssl_policies.insert_unary(
        project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name=name)
    )


def test_global_operation_progresses_on_successive_gets(clients: Clients) -> None:
    operation = _insert_policy(clients)
    assert operation.status == Status.PENDING and operation.operation_type == "insert"
    seen = [clients.global_ops.get(project=PROJECT, operation=operation.name).status for _ in range(3)]
    assert seen == [Status.RUNNING, Status.DONE, Status.DONE]
    done = clients.global_ops.get(project=PROJECT, operation=operation.name)
    assert done.progress == 100 and done.end_time and not done.error.errors
    assert done.target_link.endswith("/global/sslPolicies/pol") and done.target_id > 0


def test_zonal_operation_and_wait(clients: Clients) -> None:
    operation = clients.instance_groups.insert_unary(
        project=PROJECT, zone=ZONE, instance_group_resource=compute_v1.InstanceGroup(name="ig")
    )
    assert operation.zone.endswith(f"/zones/{ZONE}")
    waited = clients.zone_ops.wait(project=PROJECT, zone=ZONE, operation=operation.name)
    assert waited.status == Status.DONE
    listed = [op.name for op in clients.zone_ops.list(project=PROJECT, zone=ZONE)]
    assert listed == [operation.name]
    clients.zone_ops.delete(project=PROJECT, zone=ZONE, operation=operation.name)
    with pytest.raises(exceptions.NotFound):
        clients.zone_ops.get(project=PROJECT, zone=ZONE, operation=operation.name)


class ManualClock:
    """Time that moves only when told to: `sleep` moves it on by the seconds asked, and records them."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_time_based_operations_finish_after_the_delay(
    clients: Clients, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    monkeypatch.setattr(emulator.settings, "clock", clock)
    monkeypatch.setattr(emulator.settings, "sleep", clock.sleep)
    emulator.settings.polls_to_done = None
    emulator.settings.delay_seconds = 0.5  # binary fractions: the clock arithmetic below is exact
    operation = _insert_policy(clients)
    assert clients.global_ops.get(project=PROJECT, operation=operation.name).status == Status.RUNNING
    clock.now += 0.25  # not yet the delay, however long the machine took so far
    assert clients.global_ops.get(project=PROJECT, operation=operation.name).status == Status.RUNNING
    assert clients.wait(operation).status == Status.DONE
    assert clock.slept == [0.25], "operations.wait blocks for the rest of the delay, no longer"
    operation = _insert_policy(clients, "later")
    clock.now += 0.5
    assert clients.global_ops.get(project=PROJECT, operation=operation.name).status == Status.DONE


def test_operations_done_at_once_when_configured(clients: Clients, emulator: Any) -> None:
    emulator.settings.polls_to_done = None
    assert _insert_policy(clients).status == Status.DONE


def test_injected_operation_error_is_raised_by_the_wait_helper(clients: Clients, emulator: Any) -> None:
    emulator.add_fault(
        method="POST",
        path="/global/sslPolicies$",
        operation_error={"code": 400, "reason": "resourceNotReady", "message": "not ready"},
        times=1,
    )
    operation = _insert_policy(clients)
    with pytest.raises(exceptions.BadRequest, match="not ready") as caught:
        clients.wait(operation)
    assert caught.value.errors[0].code == "RESOURCE_NOT_READY"
    done = clients.global_ops.get(project=PROJECT, operation=operation.name)
    assert done.http_error_status_code == 400 and done.error.errors[0].message == "not ready"
    with pytest.raises(exceptions.NotFound):
        clients.ssl_policies.get(project=PROJECT, ssl_policy="pol")
    clients.wait(_insert_policy(clients))
    assert clients.ssl_policies.get(project=PROJECT, ssl_policy="pol").name == "pol"


def test_adding_a_member_twice_fails_inside_the_operation(clients: Clients, stack: Stack) -> None:
    operation = clients.instance_groups.add_instances(
        project=PROJECT,
        zone=ZONE,
        instance_group=stack.instance_group,
        instance_groups_add_instances_request_resource=compute_v1.InstanceGroupsAddInstancesRequest(
            instances=[compute_v1.InstanceReference(instance=f"zones/{ZONE}/instances/{stack.instance}")]
        ),
    )
    with pytest.raises(exceptions.BadRequest) as caught:
        clients.wait(operation)
    assert caught.value.errors[0].code == "MEMBER_ALREADY_EXISTS"


def test_deferred_errors_report_in_use_inside_the_operation(
    clients: Clients, stack: Stack, emulator: Any
) -> None:
    emulator.settings.deferred_errors = True
    operation = clients.health_checks.delete(project=PROJECT, health_check=stack.health_check)
    with pytest.raises(exceptions.BadRequest, match="already being used"):
        clients.wait(operation)
    assert clients.health_checks.get(project=PROJECT, health_check=stack.health_check)


def test_wait_helper_times_out(clients: Clients, emulator: Any) -> None:
    emulator.settings.polls_to_done = None
    emulator.settings.delay_seconds = 30
    emulator.settings.max_wait_seconds = 0.05
    operation = _insert_policy(clients)
    with pytest.raises(TimeoutError):
        wait_for_operation(
            operation, project=PROJECT, global_ops_client=clients.global_ops, timeout=0.3, poll_interval=0.05
        )


def test_wait_helper_needs_a_zone_client_for_zonal_operations(clients: Clients) -> None:
    operation = clients.negs.insert_unary(
        project=PROJECT, zone=ZONE, network_endpoint_group_resource=compute_v1.NetworkEndpointGroup(name="n")
    )
    with pytest.raises(ValueError, match="zonal"):
        wait_for_operation(operation, project=PROJECT, global_ops_client=clients.global_ops)


def test_bound_operation_clients_make_result_work(clients: Clients) -> None:
    url_maps = bind_operation_clients(
        compute_v1.UrlMapsClient(
            credentials=clients.url_maps._transport._credentials,
            client_options={"api_endpoint": clients.global_ops._transport._host},
        ),
        global_ops_client=clients.global_ops,
    )
    operation = url_maps.insert(
        project=PROJECT,
        url_map_resource=compute_v1.UrlMap(
            name="um", default_url_redirect=compute_v1.HttpRedirectAction(https_redirect=True)
        ),
    )
    assert operation.result(timeout=5) is None
    assert operation.done()
