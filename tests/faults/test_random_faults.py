"""10% of cloud calls fail at random (throttling, 5xx, dropped connections, mutations applied with the response
lost; seeded) while the real controller converges 50 Ingresses: every Ingress gets its address, nothing is
duplicated, a no-op reconcile makes no mutating call, and deleting everything leaves nothing behind."""

from __future__ import annotations

from typing import Any

import kubernetes

from emulators.testing.faults import AwsFaults, World, fired, gcp_faults
from emulators.testing.waiting import address_of, gone, wait_for

COUNT = 50
RATE = 0.10
SEED = 7
PATHS = (("/users", "users"), ("/products", "products"), ("/orders", "orders"))


def _paths(i: int) -> dict[str, str]:
    first, second = PATHS[i % 3], PATHS[(i + 1) % 3]
    return {f"{first[0]}-{i}": first[1], f"{second[0]}": second[1]}


def test_ten_percent_of_cloud_calls_fail(world: World) -> None:
    baseline = world.inventory()
    process = world.start(start=False)
    aws_faults: AwsFaults | None = None
    gcp_rules: list[Any] = []
    if world.provider == "aws":
        aws_faults = AwsFaults(
            RATE,
            SEED,
            lose_first={
                "CreateLoadBalancer",
                "CreateTargetGroup",
                "CreateListener",
                "CreateRule",
                "CreateSecurityGroup",
                "RegisterTargets",
                "AuthorizeSecurityGroupIngress",
            },
        ).install(process)
    else:
        assert world.compute is not None
        gcp_rules = gcp_faults(world.compute, RATE, SEED)
    process.start()
    names = [f"app-{i:02d}" for i in range(COUNT)]
    for i, name in enumerate(names):
        world.net.create_namespaced_ingress("default", world.ingress(name, _paths(i)))

    def unconverged() -> list[str]:
        return [n for n in names if not address_of(world.api, n)]

    wait_for(lambda: not unconverged(), timeout=150, what=f"all {COUNT} Ingresses get an address")
    wait_for(lambda: process.controller.queue.idle, timeout=60, what="queue drained")

    def injected() -> dict[str, int]:
        if aws_faults is not None:
            return {**aws_faults.injected, "calls": aws_faults.calls}
        return {**fired(gcp_rules), "requests": len(world.compute.requests) if world.compute else 0}

    converged = world.inventory()
    stats = process.stats.snapshot()
    failed_attempts = {k: n for k, n in stats.items() if not k.endswith(":ok")}
    print(f"\n[{world.provider}] injected over the converge of {COUNT} Ingresses: {injected()}")
    print(
        f"[{world.provider}] failed call attempts seen by the controller: {sum(failed_attempts.values())} "
        f"({failed_attempts})"
    )
    owned = converged.owned()
    stacks = converged.stacks()
    leaked_stacks = stacks - {f"default/{n}" for n in names} - {"*"}
    print(
        f"[{world.provider}] found: {len(owned)} owned resources in {len(stacks)} stacks, "
        f"duplicates {converged.duplicates()}, stacks without an Ingress {sorted(leaked_stacks)}"
    )
    assert not unconverged()
    assert converged.duplicates() == [], (
        f"duplicated resources: {converged.duplicates()}; injected {injected()}"
    )
    assert not leaked_stacks, f"resources of stacks that have no Ingress: {leaked_stacks}"
    assert sum(failed_attempts.values()) > 0, "the faults must actually have hit the controller"
    unowned_new = sorted(set(converged.items) - set(baseline.items) - set(owned))
    assert unowned_new == [], f"created but not tagged as ours (leaked on deletion): {unowned_new}"

    # a no-op reconcile of everything (faults still on) writes nothing
    mutating, count = process.stats.total(mutating=True), process.controller.reconcile_count
    process.controller.enqueue_all()
    wait_for(
        lambda: process.controller.reconcile_count >= count + COUNT and process.controller.queue.idle,
        timeout=90,
        what="no-op reconcile of every stack",
    )
    noop_writes = process.stats.total(mutating=True) - mutating
    print(
        f"[{world.provider}] no-op reconcile of {COUNT} stacks: {noop_writes} mutating calls; injected so far "
        f"{injected()}"
    )
    assert noop_writes == 0, (
        f"no-op reconcile made {noop_writes} mutating calls: {_diff(stats, process.stats.snapshot())}"
    )

    # delete everything (still under faults): nothing of ours is left
    for name in names:
        world.net.delete_namespaced_ingress(name, "default")
    net = kubernetes.client.NetworkingV1Api(world.api)
    wait_for(
        lambda: all(gone(lambda n=n: net.read_namespaced_ingress(n, "default")) for n in names),
        timeout=150,
        what="every Ingress deleted",
    )
    left = world.inventory()
    leftovers = sorted((set(left.items) - set(baseline.items)) | set(left.leaks(baseline)))
    print(
        f"[{world.provider}] after deleting all {COUNT}: leftovers {leftovers}; injected in total {injected()}"
    )
    assert leftovers == [], f"leaked after deletion: {leftovers}"
    assert {k: v for k, v in left.items.items() if k in baseline.items} == baseline.items, (
        "pre-existing resources changed"
    )


def _diff(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
