"""Leader failover and watch drops under load: three replicas with leader election while 30 Ingresses are
created and edited twice each. The first leader, on a slow cloud, is partitioned from the API server
mid-converge (its lease cannot be renewed, it still reaches the cloud), the next leader is stopped (SIGTERM
path), watches are dropped and the watch history compacted in between; a fourth replica starts as a standby
under the last leader and never leads. Then: no duplicated cloud resource, no mutating cloud call while its
replica did not lead or while another replica led or believed it led, writes of the partitioned replica refused
by the fence once its lease was lost, nothing at all written by the replica that never led, and every Ingress
ends in the cloud with the spec of its last edit."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import kubernetes

from emulators.testing.faults import CuttableProxy, World
from emulators.testing.waiting import address_of, wait_for
from lbctl.cloudcalls import is_mutating
from lbctl.kube.run import ControllerProcess

COUNT = 30
EDITS = 2


def _paths(i: int, edit: int) -> dict[str, str]:
    return {f"/v{edit}-{i}": "users", "/common": "products"}


LEASE_SECONDS = 4.0
WORKERS = 2  # reconcile workers per replica: at most this many calls can be in flight when a lease is lost


class Timeline:
    """One ordered record of leadership changes (polled) and mutating cloud calls (CallStats listeners)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[
            tuple[str, str, bool]
        ] = []  # (replica, "lead"/"unlead"/operation, leading at the time)
        self.fenced: dict[str, int] = {}  # replica → mutating calls refused after its lease was lost
        self.stop = threading.Event()

    def watch(self, replicas: dict[str, ControllerProcess]) -> None:
        replicas = dict(replicas)  # these, even if the caller's dict grows

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
        # the API stores whole seconds (the elector rounds up); 4 s (a renew deadline of 2.7 s) is short for a
        # test and still long enough for a replica to renew while the suite's other workers load the machine
        process = world.start(
            start=False,
            workers=WORKERS,
            leader_elect=True,
            kube_url=proxy.url if name == "a" else None,
            leader_lease_seconds=LEASE_SECONDS,
        )
        process.api_client.user_agent = f"lbctl/replica-{name}"
        replicas[name] = process
    timeline = Timeline()
    timeline.watch(replicas)
    # a slow cloud for replica a: it is surely mid-converge when partitioned, so its lease is lost with calls
    # still to make, which the fence must refuse
    slow_rules: list[Any] = []
    partitioned = threading.Event()
    if world.provider == "aws":
        # a is cut off while its CreateLoadBalancer is in flight, and that call returns only once a has lost
        # the lease: its converge surely has writes left (the listeners), which the fence must refuse
        a = replicas["a"]

        def slow_then_partition(model: Any, **_: Any) -> None:
            if not is_mutating(model.name):
                return
            time.sleep(0.5)
            if model.name == "CreateLoadBalancer":
                with partition_lock:
                    if partitioned.is_set():
                        return
                    proxy.cut()
                    partitioned.set()
                a.stats.fenced.wait(timeout=60)

        partition_lock = threading.Lock()
        for client in a.provider.clients.clients.values():  # type: ignore[attr-defined]
            client.meta.events.register("before-call", slow_then_partition)
    else:  # the Compute emulator delays every mutation while a leads (the standbys make none), until a lost it
        assert world.compute is not None
        slow_rules = [
            world.compute.add_fault(method=method, latency=0.5)
            for method in ("POST", "PATCH", "PUT", "DELETE")
        ]
    replicas["a"].start()
    wait_for(lambda: replicas["a"].elector and replicas["a"].elector.leading.is_set(), what="a leads")
    replicas["b"].start()
    replicas["c"].start()

    net = world.net
    progress = {"created": 0, "edited": 0}
    errors: list[str] = []
    # each round of edits starts at a failover: the first once a is partitioned, the second once the next
    # leader was stopped, so edits arrive while leadership changes hands
    rounds = {1: threading.Event(), 2: threading.Event()}

    def load() -> None:
        try:
            for i in range(COUNT):
                net.create_namespaced_ingress("default", world.ingress(f"app-{i:02d}", _paths(i, 0)))
                progress["created"] += 1
            for edit in range(1, EDITS + 1):
                if not rounds[edit].wait(timeout=300):
                    raise TimeoutError(f"edit round {edit} never started")
                for i in range(COUNT):
                    _edit(net, world, f"app-{i:02d}", _paths(i, edit))
                    progress["edited"] += 1
        except Exception as err:  # reported by the test thread
            errors.append(repr(err))

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    steps: list[str] = []

    def leader() -> str | None:
        return next((n for n, p in replicas.items() if p.elector and p.elector.leading.is_set()), None)

    if world.provider == "aws":
        wait_for(partitioned.is_set, timeout=60, what="a partitioned mid-converge")
    else:
        wait_for(lambda: replicas["a"].stats.total(mutating=True) >= 6, timeout=60, what="a is converging")
        proxy.cut()
    rounds[1].set()
    steps.append(
        f"after {progress['created']} creates and {replicas['a'].stats.total(mutating=True)} mutating calls "
        "of replica a: a partitioned from the API server"
    )
    second = wait_for(lambda: (leader() or "a") != "a" and leader(), timeout=60, what="a standby takes over")
    steps.append(f"replica {second} leads")
    if world.compute is not None:
        world.compute.faults.clear()  # a lost its lease: the cloud is fast again for the next leaders
    steps.append(f"slowed {sum(r.hits for r in slow_rules)} mutations in the Compute emulator while a led")
    steps.append(f"dropped {world.kube.drop_watches(abrupt=True)} watches, compacted {world.kube.compact()}")
    wait_for(
        lambda: replicas[second].stats.total(mutating=True) >= 5, timeout=60, what=f"{second} is converging"
    )
    replicas[second].stop()
    rounds[2].set()
    steps.append(f"after {progress['edited']} edits: replica {second} stopped (SIGTERM path)")
    third = wait_for(
        lambda: leader() not in (None, "a", second) and leader(), timeout=60, what="the last replica leads"
    )
    steps.append(f"replica {third} leads")
    # a standby that never leads: started once the last leader holds the lease, which it keeps until the end
    late = world.start(start=False, workers=WORKERS, leader_elect=True, leader_lease_seconds=LEASE_SECONDS)
    late.api_client.user_agent = "lbctl/replica-d"
    replicas["d"] = late
    timeline.watch({"d": late})
    late.start()
    wait_for(lambda: _lease_reads(world, "d") >= 3, timeout=60, what="d found the lease held three times")
    steps.append(f"replica d started as a standby while {third} leads")
    steps.append(f"dropped {world.kube.drop_watches(abrupt=True)} watches, compacted {world.kube.compact()}")
    loader.join(timeout=300)
    assert not loader.is_alive() and not errors, errors

    final = {f"app-{i:02d}": f"/v{EDITS}-{i}" for i in range(COUNT)}

    def stale() -> list[str]:
        inventory = world.inventory()
        out = []
        for name, path in final.items():
            text = json.dumps(inventory.owned(stack=f"default/{name}"))
            if f'"{path}' not in text or f'/v{EDITS - 1}-{name[4:].lstrip("0") or "0"}"' in text:
                out.append(name)
        return out

    wait_for(
        lambda: all(address_of(world.api, n) for n in final), timeout=90, what="every Ingress has an address"
    )
    with contextlib.suppress(TimeoutError):  # reported below with the names
        wait_for(lambda: not stale(), timeout=60, what="every Ingress's last edit in the cloud")
    inventory = world.inventory()
    assert replicas[third].elector is not None and replicas[third].elector.leading.is_set(), (
        f"{third} lost the lease"
    )
    late.stop()  # before the leader: d's whole life was under one lease
    timeline.stop.set()
    not_leading, overlapping, believed = timeline.violations()
    calls = {
        n: sum(c for (_, op, outcome), c in p.stats.counts.items() if is_mutating(op) and outcome != "fenced")
        for n, p in replicas.items()
    }
    writes = _api_writes(world, replicas)
    never_led = [n for n in replicas if not any(r == n and w == "lead" for r, w, _ in timeline.events)]
    print(f"\n[{world.provider}] injected: " + "; ".join(steps))
    print(
        f"[{world.provider}] found: mutating cloud calls per replica {calls}; API writes per replica {writes}; "
        f"never led {never_led}; calls while not leading {not_leading}; calls interleaved with another writer {overlapping}; calls while another replica also believed it "
        f"led {believed}; "
        f"duplicates {inventory.duplicates()}; stale Ingresses {stale()}; stacks {len(inventory.stacks())}"
    )
    assert inventory.duplicates() == [], f"double writes: {inventory.duplicates()}"
    assert not overlapping, f"two replicas writing at once: {overlapping}"
    assert believed == 0, f"{believed} cloud writes while another replica also believed it led"
    assert never_led == ["d"], f"every replica but d leads in this scenario; never led: {never_led}"
    assert writes["d"] == 0 and calls["d"] == 0, (
        f"a replica that never led wrote: API {writes}, cloud {calls}"
    )
    assert not stale(), f"missed updates: {stale()}"
    assert inventory.stacks() == {f"default/{n}" for n in final} | (
        {"*"} if world.provider == "gcp" else set()
    )
    proxy.close()
    # A call already sent when the lease is lost cannot be recalled (it is within the lease duration, before any
    # other replica may lead, which the overlap checks above cover); every later one must be refused.
    late_calls: dict[str, int] = {}
    for entry in not_leading:
        late_calls[entry.split(":", 1)[0]] = late_calls.get(entry.split(":", 1)[0], 0) + 1
    print(
        f"[{world.provider}] after a lost lease: completed in-flight {late_calls}, refused by the fence "
        f"{timeline.fenced}"
    )
    assert all(n <= WORKERS for n in late_calls.values()), (
        f"cloud writes started after the lease was lost: {not_leading}"
    )
    # a lost its lease mid-converge on a slow cloud: its workers had writes left, and the fence refused them
    assert timeline.fenced.get("a", 0) > 0, (
        f"no write of replica a refused after its lease was lost: {timeline.fenced}"
    )
    assert set(timeline.fenced) <= {"a"}, f"only the partitioned replica loses its lease: {timeline.fenced}"


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


def _lease_reads(world: World, name: str) -> int:
    return sum(
        1
        for r in world.kube.requests
        if r.resource == "leases" and r.verb == "get" and r.user_agent.startswith(f"lbctl/replica-{name}")
    )


def _api_writes(world: World, replicas: dict[str, ControllerProcess]) -> dict[str, int]:
    """Non-GET requests to anything but Leases, per replica (by user agent) in the API emulator's log."""
    out = dict.fromkeys(replicas, 0)
    for record in world.kube.requests:
        for name in replicas:
            if (
                record.user_agent.startswith(f"lbctl/replica-{name}")
                and record.method != "GET"
                and record.resource != "leases"
            ):
                out[name] += 1
    return out
