"""Leader failover and watch drops under load: three replicas with leader election while 30 Ingresses are
created and edited twice each. The first leader is partitioned from the API server (its lease cannot be
renewed, it still reaches the cloud), the next leader is stopped (SIGTERM path), watches are dropped and the
watch history compacted in between. Then: no duplicated cloud resource, no replica made a mutating cloud call
while it was not leading or while another replica led, a replica that never led wrote nothing to the API,
and every Ingress ends in the cloud with the spec of its last edit."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import kubernetes

from lbctl.cloudcalls import is_mutating
from lbctl.kube.run import ControllerProcess
from tests.runtime.support import address_of, wait_for

from .support import CuttableProxy, World

COUNT = 30
EDITS = 2


def _paths(i: int, edit: int) -> dict[str, str]:
    return {f"/v{edit}-{i}": "users", "/common": "products"}


WORKERS = 2  # reconcile workers per replica: at most this many calls can be in flight when a lease is lost


class Timeline:
    """One ordered record of leadership changes (polled) and mutating cloud calls (CallStats listeners)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[str, str, bool]] = []  # (replica, "lead"/"unlead"/operation, leading at the time)
        self.fenced: dict[str, int] = {}  # replica → mutating calls refused after its lease was lost
        self.stop = threading.Event()

    def watch(self, replicas: dict[str, ControllerProcess]) -> None:
        def poll() -> None:
            state = dict.fromkeys(replicas, False)
            while not self.stop.is_set():
                for name, process in replicas.items():
                    leading = process.elector is not None and process.elector.leading.is_set()
                    if leading != state[name]:
                        state[name] = leading
                        with self.lock:
                            self.events.append((name, "lead" if leading else "unlead", leading))
                self.stop.wait(0.005)

        for name, process in replicas.items():
            process.stats.listeners.append(self._listener(name, process))
        threading.Thread(target=poll, daemon=True).start()

    def _listener(self, name: str, process: ControllerProcess) -> Any:
        def record(service: str, operation: str, outcome: str) -> None:
            if outcome == "fenced":
                with self.lock:
                    self.fenced[name] = self.fenced.get(name, 0) + 1
                return  # refused before it was sent: not a cloud call
            if is_mutating(operation):
                leading = process.elector is not None and process.elector.leading.is_set()
                with self.lock:
                    self.events.append((name, operation, leading))

        return record

    def violations(self) -> tuple[list[str], list[str], int]:
        """Mutating calls made while not leading; calls of a replica interleaved with another's (two writers at
        once); and how many calls were made while another replica also believed it led (split-brain belief)."""
        not_leading, interleaved = [], []
        believed = 0
        leaders: set[str] = set()
        with self.lock:
            events = list(self.events)
        writers: list[str] = []  # replicas in the order they started writing
        for replica, what, leading in events:
            if what == "lead":
                leaders.add(replica)
            elif what == "unlead":
                leaders.discard(replica)
            else:
                if not leading:
                    not_leading.append(f"{replica}:{what}")
                    continue  # counted above; below: writers that both believed they led
                believed += bool(leaders - {replica})
                if replica not in writers:
                    writers.append(replica)
                elif writers[-1] != replica:
                    interleaved.append(f"{replica}:{what} after {writers[-1]} had started writing")
        return not_leading, interleaved, believed


def test_failover_and_watch_drops_under_load(world: World) -> None:
    proxy = CuttableProxy(world.kube.port)
    replicas: dict[str, ControllerProcess] = {}
    for name in ("a", "b", "c"):
        # the API stores whole seconds (the elector rounds up); 2 s keeps the arithmetic obvious
        process = world.start(start=False, workers=WORKERS, leader_elect=True, kube_url=proxy.url if name == "a" else None,
                              leader_lease_seconds=2.0)  # fmt: skip
        process.api_client.user_agent = f"lbctl/replica-{name}"
        replicas[name] = process
    timeline = Timeline()
    timeline.watch(replicas)
    if world.provider == "aws":  # a slow cloud for replica a: it is surely mid-converge when partitioned
        for client in replicas["a"].provider.clients.clients.values():  # type: ignore[attr-defined]
            client.meta.events.register("before-call", _slow_mutations)
    replicas["a"].start()
    wait_for(lambda: replicas["a"].elector and replicas["a"].elector.leading.is_set(), what="a leads")
    replicas["b"].start()
    replicas["c"].start()

    net = world.net
    progress = {"created": 0, "edited": 0}
    errors: list[str] = []

    def load() -> None:
        try:
            for i in range(COUNT):
                net.create_namespaced_ingress("default", world.ingress(f"app-{i:02d}", _paths(i, 0)))
                progress["created"] += 1
            for edit in range(1, EDITS + 1):
                for i in range(COUNT):
                    _edit(net, world, f"app-{i:02d}", _paths(i, edit))
                    progress["edited"] += 1
                    time.sleep(0.02)  # spread the edits over the failovers
        except Exception as err:  # reported by the test thread
            errors.append(repr(err))

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    steps: list[str] = []

    def leader() -> str | None:
        return next((n for n, p in replicas.items() if p.elector and p.elector.leading.is_set()), None)

    wait_for(lambda: replicas["a"].stats.total(mutating=True) >= 6, timeout=60, what="a is converging")
    proxy.cut()
    steps.append(f"after {progress['created']} creates and {replicas['a'].stats.total(mutating=True)} mutating calls "
                 "of replica a: a partitioned from the API server")  # fmt: skip
    second = wait_for(lambda: (leader() or "a") != "a" and leader(), timeout=30, what="a standby takes over")
    steps.append(f"replica {second} leads")
    steps.append(f"dropped {world.kube.drop_watches(abrupt=True)} watches, compacted {world.kube.compact()}")
    wait_for(lambda: replicas[second].stats.total(mutating=True) >= 5, timeout=60, what=f"{second} is converging")
    replicas[second].stop()
    steps.append(f"after {progress['edited']} edits: replica {second} stopped (SIGTERM path)")
    third = wait_for(lambda: leader() not in (None, "a", second) and leader(), timeout=30, what="the last replica leads")
    steps.append(f"replica {third} leads")
    steps.append(f"dropped {world.kube.drop_watches(abrupt=True)} watches, compacted {world.kube.compact()}")
    loader.join(timeout=120)
    assert not errors, errors

    final = {f"app-{i:02d}": f"/v{EDITS}-{i}" for i in range(COUNT)}

    def stale() -> list[str]:
        inventory = world.inventory()
        out = []
        for name, path in final.items():
            text = json.dumps(inventory.owned(stack=f"default/{name}"))
            if f'"{path}' not in text or f"/v{EDITS - 1}-{name[4:].lstrip('0') or '0'}\"" in text:
                out.append(name)
        return out

    wait_for(lambda: all(address_of(world.api, n) for n in final), timeout=90, what="every Ingress has an address")
    with contextlib.suppress(TimeoutError):  # reported below with the names
        wait_for(lambda: not stale(), timeout=60, what="every Ingress's last edit in the cloud")
    timeline.stop.set()
    inventory = world.inventory()
    not_leading, overlapping, believed = timeline.violations()
    calls = {n: p.stats.total(mutating=True) for n, p in replicas.items()}
    writes = _api_writes(world, replicas)
    never_led = [n for n in replicas if not any(r == n and w == "lead" for r, w, _ in timeline.events)]
    print(f"\n[{world.provider}] injected: " + "; ".join(steps))
    print(f"[{world.provider}] found: mutating cloud calls per replica {calls}; API writes per replica {writes}; "
          f"never led {never_led}; calls while not leading {not_leading}; calls interleaved with another writer {overlapping}; calls while another replica also believed it "
          f"led {believed}; "
          f"duplicates {inventory.duplicates()}; stale Ingresses {stale()}; stacks {len(inventory.stacks())}")  # fmt: skip
    assert inventory.duplicates() == [], f"double writes: {inventory.duplicates()}"
    assert not overlapping, f"two replicas writing at once: {overlapping}"
    assert all(writes[n] == 0 and calls[n] == 0 for n in never_led), f"a standby wrote: {writes}, {calls}"
    assert not stale(), f"missed updates: {stale()}"
    assert inventory.stacks() == {f"default/{n}" for n in final} | ({"*"} if world.provider == "gcp" else set())
    proxy.close()
    # A call already sent when the lease is lost cannot be recalled (it is within the lease duration, before any
    # other replica may lead, which the overlap checks above cover); every later one must be refused.
    late: dict[str, int] = {}
    for entry in not_leading:
        late[entry.split(":", 1)[0]] = late.get(entry.split(":", 1)[0], 0) + 1
    print(f"[{world.provider}] after a lost lease: completed in-flight {late}, refused by the fence {timeline.fenced}")
    assert all(n <= WORKERS for n in late.values()), f"cloud writes started after the lease was lost: {not_leading}"


def _slow_mutations(model: Any, **_: Any) -> None:
    if is_mutating(model.name):
        time.sleep(0.5)


def _edit(net: kubernetes.client.NetworkingV1Api, world: World, name: str, paths: dict[str, str]) -> None:
    """Read-modify-replace with the resourceVersion, retried on conflicts (the controller writes finalizers)."""
    for _ in range(20):
        current = net.read_namespaced_ingress(name, "default")
        current.spec.rules = world.api.sanitize_for_serialization(world.ingress(name, paths))["spec"]["rules"]
        try:
            net.replace_namespaced_ingress(name, "default", current)
            return
        except kubernetes.client.ApiException as err:
            if err.status != 409:
                raise
    raise AssertionError(f"could not edit {name}")


def _api_writes(world: World, replicas: dict[str, ControllerProcess]) -> dict[str, int]:
    """Non-GET requests to anything but Leases, per replica (by user agent) in the API emulator's log."""
    out = dict.fromkeys(replicas, 0)
    for record in world.kube.requests:
        for name in replicas:
            if record.user_agent.startswith(f"lbctl/replica-{name}") and record.method != "GET" \
                    and record.resource != "leases":  # fmt: skip
                out[name] += 1
    return out
