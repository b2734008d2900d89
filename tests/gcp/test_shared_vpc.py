"""Shared VPC (`--gcp-network-project`): the firewall rule lives in the network's host project. When that
project refuses the change (a service project's account without firewall permissions there, answered 403
`forbidden` as Compute does), the reconcile fails with the gcloud command the host project's admin runs, or,
with `networking.gke.io/suppress-firewall-xpn-error: "true"`, converges the rest with that command as a
warning."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import example_objects, find, of, ours, stack_from, with_endpoints
from lbctl.cloudcalls import is_mutating
from lbctl.model import annotations as a
from lbctl.model.builder import empty_spec
from lbctl.provider import ProviderError, StackInput
from providers.gcp.provider import GcpProvider

HOST = "host-network-project"
FIREWALL_PERMISSIONS = ["compute.firewalls.create", "compute.firewalls.update", "compute.firewalls.delete"]


def _suppressed() -> StackInput:
    objects = example_objects()
    find(objects, "Ingress", "shop")["metadata"].setdefault("annotations", {})[
        a.SUPPRESS_FIREWALL_XPN_ERROR
    ] = "true"
    return stack_from(objects)


def _firewalls(emulator: ComputeEmulator) -> list[str]:
    return [path for path in ours(emulator) if "/firewalls/" in path]


def test_the_host_project_answers_a_denied_insert_as_compute_does(
    emulator: ComputeEmulator, clients: Clients
) -> None:
    emulator.deny(HOST, FIREWALL_PERMISSIONS)
    with pytest.raises(exceptions.Forbidden) as raised:
        clients.firewalls.insert(project=HOST, firewall_resource=compute_v1.Firewall(name="k8s-fw"))
    assert raised.value.code == 403
    assert (
        "Required 'compute.firewalls.create' permission for 'projects/host-network-project/global/firewalls'"
        in str(raised.value)
    )
    assert [e["reason"] for e in raised.value.errors] == ["forbidden"]
    clients.firewalls.list(project=HOST)  # what is not denied is served


def test_the_firewall_rule_lives_in_the_host_project(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    provider = make_provider(network_project=HOST)
    provider.converge(stack_from(example_objects()))
    (path,) = _firewalls(emulator)
    assert path.startswith(f"projects/{HOST}/global/firewalls/")
    assert emulator.inventory()[path]["network"].endswith(f"/projects/{HOST}/global/networks/default")
    provider.stats.reset()
    assert provider.converge(stack_from(example_objects())).changes == []
    assert provider.stats.total(mutating=True) == 0
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert not ours(emulator)


def test_a_refused_firewall_fails_the_reconcile_with_the_gcloud_command(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    emulator.deny(HOST, FIREWALL_PERMISSIONS)
    provider = make_provider(network_project=HOST)
    with pytest.raises(ProviderError) as raised:
        provider.converge(stack_from(example_objects()))
    message = str(raised.value)
    assert raised.value.user_fixable
    assert raised.value.field == f"metadata.annotations[{a.SUPPRESS_FIREWALL_XPN_ERROR}]"
    assert (
        "Firewall change required by security admin: `gcloud compute firewall-rules create k8s2-fw-"
        in message
    )
    assert "--network default --description '{" in message
    assert "--allow tcp:30080,tcp:30081 --source-ranges 130.211.0.0/22,35.191.0.0/16" in message
    assert f"--project {HOST}`" in message
    assert not ours(emulator), "the firewall comes first: nothing else is made while it is refused"


def test_suppressed_the_rest_converges_and_the_command_is_a_warning(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    emulator.deny(HOST, FIREWALL_PERMISSIONS)
    provider = make_provider(network_project=HOST)
    result = provider.converge(_suppressed())
    (warning,) = [w for w in result.warnings if "gcloud compute firewall-rules create" in w]
    assert f"--project {HOST}" in warning and "Firewall change required by security admin" in warning
    assert of(emulator, "forwardingRules") and of(emulator, "backendServices") and not _firewalls(emulator)
    assert result.address

    # the admin runs the command: the next converge finds the rule as wanted and changes nothing
    emulator.denied.clear()
    provider.converge(_suppressed())
    assert _firewalls(emulator)
    provider.stats.reset()
    assert provider.converge(_suppressed()).changes == []
    assert provider.stats.total(mutating=True) == 0

    # deleting: a refused delete keeps the finalizer and names the command; once allowed nothing is left
    emulator.deny(HOST, FIREWALL_PERMISSIONS)
    gone = provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert not gone.deleted
    assert any("gcloud compute firewall-rules delete k8s2-fw-" in str(e) for e in gone.errors), gone.errors
    emulator.denied.clear()
    assert provider.converge(StackInput(empty_spec("gcp", "default/shop"))).deleted
    assert not ours(emulator)


class Crash(Exception):
    """The controller dies right after a mutating call reached the cloud."""


def _thc_stack() -> StackInput:
    """NEG backends with Transparent Health Checks: the THC health check, NEGs and the host's firewall rule."""
    objects = example_objects()
    with_endpoints(objects)
    annotations = find(objects, "Service", "users")["metadata"].setdefault("annotations", {})
    annotations[a.NEG] = '{"ingress": true}'
    annotations[a.TRANSPARENT_HEALTH_CHECKER] = '{"enabled": true}'
    return stack_from(objects)


def _state(emulator: ComputeEmulator) -> dict[str, dict[str, object]]:
    volatile = {"fingerprint", "id", "creationTimestamp", "labelFingerprint", "selfLink"}
    return {k: {f: v for f, v in r.items() if f not in volatile} for k, r in ours(emulator).items()}


def test_a_crash_after_every_fourth_write_is_healed(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    seeded = {k: v for k, v in emulator.inventory().items() if "/instances/" in k or "/addresses/" in k}
    clean = make_provider(network_project=HOST)
    clean.converge(_thc_stack())
    wanted = _state(emulator)
    total = clean.stats.total(mutating=True)
    assert total >= 12
    for crash_after in range(1, total, 4):
        clean.converge(StackInput(empty_spec("gcp", "default/shop")))
        assert not ours(emulator) and set(seeded) <= set(emulator.inventory())
        provider = make_provider(network_project=HOST)
        done = [0]

        def crash(
            service: str, operation: str, outcome: str, done: list[int] = done, k: int = crash_after
        ) -> None:
            if outcome == "ok" and is_mutating(operation):
                done[0] += 1
                if done[0] == k:
                    raise Crash(operation)

        provider.stats.listeners.append(crash)
        with pytest.raises(Crash):
            provider.converge(_thc_stack())
        healer = make_provider(network_project=HOST)
        healer.converge(_thc_stack())
        assert _state(emulator) == wanted, f"crash after mutating call {crash_after}"
        healer.stats.reset()
        assert healer.converge(_thc_stack()).changes == []
