"""Crash-consistency of the controller: for every k, the controller dies right after its k-th mutating cloud
call of the two-service example; a fresh controller (new process, new provider) then converges to the same
end state as an uninterrupted run — full inventories equal, ignoring generated IDs — with nothing leaked or
doubled, and a further reconcile writes nothing."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from emulators.gce import ComputeEmulator
from emulators.kube import KubeEmulator
from emulators.testing.crds import install_lbctl_crds
from emulators.testing.faults import Inventory, World, aws_world, create_raw, diff, example_objects, gcp_world
from emulators.testing.waiting import address_of, wait_for
from lbctl.cloudcalls import is_mutating
from lbctl.kube.run import ControllerProcess
from lbctl.model.annotations import BACKEND_CONFIG

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


class Crash(BaseException):
    """The process dying between two cloud calls: a BaseException, so no retry or `except Exception` stops it."""


@contextmanager
def quiet_crashes() -> Iterator[list[str]]:
    """Worker threads killed by Crash end silently (as a dead process would); other thread errors still show."""
    seen: list[str] = []
    original = threading.excepthook

    def hook(args: Any) -> None:
        if isinstance(args.exc_value, Crash):
            seen.append(str(args.exc_value))
        else:
            original(args)

    threading.excepthook = hook
    try:
        yield seen
    finally:
        threading.excepthook = original


def crash_after(process: ControllerProcess, k: int | None) -> list[str]:
    """Count the process's mutating cloud calls; right after the k-th returns, raise Crash in its worker."""
    made: list[str] = []

    def listener(service: str, operation: str, outcome: str) -> None:
        if is_mutating(operation):
            made.append(f"{operation}:{outcome}")
            if k is not None and len(made) == k:
                raise Crash(f"crashed right after mutating call {k} ({operation})")

    process.stats.listeners.append(listener)
    return made


def converge(world: World, process: ControllerProcess) -> None:
    wait_for(lambda: address_of(world.api, "shop"), timeout=30, what="status address")
    wait_for(lambda: process.controller.queue.idle, timeout=30, what="queue idle")


SIGNING_KEY = "nZtRohdNF9m3cKM24IcK4w=="  # 128 bits, base64url


def backend_config_objects() -> list[dict[str, Any]]:
    """A BackendConfig on users with Cloud CDN, response headers and two signing keys (one from a Secret):
    the addSignedUrlKey calls after the backend service's insert are crash points too."""
    meta = {"name": "users-config", "namespace": "default"}
    cdn = {
        "enabled": True,
        "cacheMode": "USE_ORIGIN_HEADERS",
        "signedUrlKeys": [
            {"keyName": "from-secret", "secretName": "signing"},
            {"keyName": "inline", "keyValue": SIGNING_KEY},
        ],
    }
    secret_data = {"key_value": base64.b64encode(SIGNING_KEY.encode()).decode()}
    return [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {**meta, "name": "signing"}, "data": secret_data},
        {
            "apiVersion": "cloud.google.com/v1",
            "kind": "BackendConfig",
            "metadata": meta,
            "spec": {"cdn": cdn, "customResponseHeaders": {"headers": ["X-Cache:{cdn_cache_status}"]}},
        },
    ]


def make_world(provider: str, kube: KubeEmulator, request: pytest.FixtureRequest) -> World:
    objects = example_objects(provider.split("-")[0])
    if provider == "gcp-backendconfig":
        users = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "users")
        users["metadata"].setdefault("annotations", {})[BACKEND_CONFIG] = json.dumps(
            {"default": "users-config"}
        )
        objects = backend_config_objects() + objects
    provider = provider.split("-")[0]
    if provider == "aws":
        world = aws_world(kube, request.getfixturevalue("moto_url"), services=False)
    else:
        compute: ComputeEmulator = request.getfixturevalue("compute")
        world = gcp_world(kube, compute, services=False)
    for obj in objects:
        create_raw(world.api, obj)
    return world


# On Google Cloud the example carries a BackendConfig on one Service: every resource of the plain example plus
# the settings it adds (a plain "gcp" case crashed at the same calls, a subset of these).
@pytest.mark.parametrize("provider", ["aws", "gcp-backendconfig"])
def test_crash_after_every_mutating_call_heals(provider: str, request: pytest.FixtureRequest) -> None:
    def run(body: Callable[[World], Any]) -> Any:
        with KubeEmulator() as kube:
            install_lbctl_crds(kube, ("aws",) if provider == "aws" else ("gcp",))
            world = make_world(provider, kube, request)
            try:
                return body(world)
            finally:
                world.stop_all()

    def reference(world: World) -> tuple[Inventory, list[str]]:
        process = world.start(start=False)
        made = crash_after(process, None)
        process.start()
        converge(world, process)
        return world.inventory(), list(made)

    expected, calls = run(reference)
    ours = expected.owned()
    print(
        f"\n[{provider}] uninterrupted run: {len(calls)} mutating calls {calls}; {len(ours)} owned resources"
    )
    assert len(calls) >= 5 and ours and not expected.duplicates()

    outcomes: list[str] = []
    with quiet_crashes() as crashes:
        for k in range(1, len(calls) + 1):

            def crash_and_heal(world: World, k: int = k) -> None:
                crashing = world.start(start=False, workers=1)
                made = crash_after(crashing, k)
                crashing.start()
                wait_for(
                    lambda: len(crashes) >= k and not any(t.is_alive() for t in crashing.controller._workers),
                    timeout=30,
                    what=f"crash after call {k}",
                )
                crashing.stop()
                assert [m.split(":")[0] for m in made] == [c.split(":")[0] for c in calls[:k]], (
                    f"k={k}: the crashed run made {made}, the reference {calls[:k]}"
                )
                healer = world.start()
                converge(world, healer)
                healed = world.inventory()
                differences = diff(healed.items, expected.items)
                writes = healer.stats.total(mutating=True)
                count = healer.controller.reconcile_count
                healer.controller.enqueue_all()
                wait_for(
                    lambda: healer.controller.reconcile_count > count and healer.controller.queue.idle,
                    timeout=30,
                    what="no-op reconcile",
                )
                noop = healer.stats.total(mutating=True) - writes
                outcomes.append(
                    f"k={k} after {made[-1]}: healer made {writes} mutating calls, "
                    f"{len(differences)} differences, duplicates {healed.duplicates()}, no-op writes {noop}"
                )
                print(f"[{provider}] {outcomes[-1]}")
                assert healed.duplicates() == [], f"k={k}: duplicated {healed.duplicates()}"
                assert healed.leaks(expected) == [], (
                    f"k={k}: not in the uninterrupted run: {healed.leaks(expected)}"
                )
                assert differences == [], (
                    f"k={k} ({made[-1]}): healed state differs from the uninterrupted run: {differences}"
                )
                assert noop == 0, f"k={k}: a reconcile after healing still wrote {noop} times"

            run(crash_and_heal)
    print(f"[{provider}] {len(outcomes)} crash points, all healed to the uninterrupted end state")
