"""The scenarios. Two groups share a set-up each: `small` (converge → noop → churn at N Ingresses with
foreign resources present) and `large` (restart → footprint at 10·N Ingresses / 10 endpoints each)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.env import Env, peak_rss_mb
from bench.workload import SERVICES_PER_INGRESS

SMALL = ("converge", "noop", "churn")
LARGE = ("restart", "footprint")
SCENARIOS = SMALL + LARGE + ("l4-converge", "l4-noop", "l4-churn")  # (L4 below)

REGISTER = {"aws": ("RegisterTargets",), "gcp": ("networkEndpointGroups.attachNetworkEndpoints",)}
DEREGISTER = {"aws": ("DeregisterTargets",), "gcp": ("networkEndpointGroups.detachNetworkEndpoints",)}


@dataclass(frozen=True)
class Sizes:
    """Scales of one run. `note` says why a provider runs smaller than asked (never silently)."""

    small: int
    large: int
    pods_small: int = 10
    pods_large: int = 5
    foreign: int = 500
    note: str = ""


def sizes_for(provider: str, scale: int, foreign: int | None, aws_large_cap: int) -> Sizes:
    """N for converge/noop/churn, 10·N for restart/footprint (AWS capped: moto is slow at ~1,000 ALBs)."""
    large = 10 * scale
    note = ""
    if provider == "aws" and large > aws_large_cap:
        note = (
            f"AWS restart/footprint scaled down from {large} to {aws_large_cap} Ingresses: moto needs "
            "too long to hold 1,000 ALBs within the 10-minute budget on 2 cores"
        )
        large = aws_large_cap
    return Sizes(scale, large, foreign=foreign if foreign is not None else min(500, 5 * scale), note=note)


def _per(n: float, d: float) -> float:
    return round(n / d, 2) if d else 0.0


def run_small(
    provider: str, sizes: Sizes, wanted: tuple[str, ...], emit: Callable[[dict[str, Any]], None]
) -> None:
    """converge → noop → churn in one environment (each later scenario needs the earlier state)."""
    n = sizes.small
    with Env(provider, n, sizes.pods_small) as env:
        foreign = env.create_foreign(sizes.foreign)
        env.writer.create_backends(0, n)
        env.writer.create_ingresses(0, n)
        stacks = env.all_stacks()

        process = env.new_controller()
        mark = env.mark()
        process.start()
        env.wait(mark, stacks, 900, "converge")
        delta = env.since(mark)
        created = delta.created
        if "converge" in wanted:
            emit(
                {
                    "scenario": "converge",
                    "provider": provider,
                    "ingresses": n,
                    "foreign": foreign,
                    "calls": delta.counts.total(),
                    "reads": delta.counts.total(False),
                    "mutating": delta.counts.total(True),
                    "resources_created": created,
                    "calls_per_resource": _per(delta.counts.total(), created),
                    "mutating_per_resource": _per(delta.counts.total(True), created),
                    "reconciles": len(delta.results),
                    "wall_s": round(delta.wall, 2),
                    "cpu_s": round(delta.cpu, 2),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
        if "noop" not in wanted and "churn" not in wanted:
            return

        mark = env.mark()
        process.controller.enqueue_all()
        env.wait(mark, stacks, 600, "noop")
        delta = env.since(mark)
        if "noop" in wanted:
            emit(
                {
                    "scenario": "noop",
                    "provider": provider,
                    "ingresses": n,
                    "foreign": foreign,
                    "reads": delta.counts.total(False),
                    "writes": delta.counts.total(True),
                    "reads_per_group": _per(delta.counts.total(False), n),
                    "writes_per_group": _per(delta.counts.total(True), n),
                    "reconciles": len(delta.results),
                    "wall_s": round(delta.wall, 2),
                    "cpu_s": round(delta.cpu, 2),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
        if "churn" not in wanted:
            return

        mark = env.mark()
        affected: set[tuple[str, str]] = set()  # (service, zone) for NEGs; (service, "") for target groups
        for i in range(n):
            for service, (removed, added) in env.writer.churn(i).items():
                for number, _ in removed | added:
                    affected.add((service, env.workload.zone_of_pod(number) if provider == "gcp" else ""))
        env.wait(mark, stacks, 600, "churn")
        delta = env.since(mark)
        groups = len(affected)
        register, deregister = delta.counts.of(*REGISTER[provider]), delta.counts.of(*DEREGISTER[provider])
        unit = "target group" if provider == "aws" else "NEG"
        emit(
            {
                "scenario": "churn",
                "provider": provider,
                "ingresses": n,
                "pods_per_service": sizes.pods_small,
                "pods_replaced_per_service": env.workload.churn_count(),
                "unit": unit,
                "affected": groups,
                "register": register,
                "deregister": deregister,
                "register_per_group": _per(register, groups),
                "deregister_per_group": _per(deregister, groups),
                "reads": delta.counts.total(False),
                "mutating": delta.counts.total(True),
                "reads_per_group": _per(delta.counts.total(False), groups),
                "calls_per_group": _per(delta.counts.total(), groups),
                "reconciles": len(delta.results),
                "wall_s": round(delta.wall, 2),
                "cpu_s": round(delta.cpu, 2),
                "calls_by_operation": _by_operation(delta.counts.calls),
            }
        )


def run_large(
    provider: str, sizes: Sizes, wanted: tuple[str, ...], emit: Callable[[dict[str, Any]], None]
) -> None:
    """Converge 10·N Ingresses (set-up), restart the controller, then a no-op pass for the footprint."""
    m = sizes.large
    with Env(provider, m, sizes.pods_large) as env:
        env.writer.create_backends(0, m)
        env.writer.create_ingresses(0, m)
        stacks = env.all_stacks()
        process = env.new_controller()
        mark = env.mark()
        process.start()
        env.wait(mark, stacks, 1800, "set-up converge")
        setup = env.since(mark)
        env.stop_controller()

        started = time.monotonic()
        process = env.new_controller()
        mark = env.mark()
        process.start()
        synced = time.monotonic() - started
        env.wait(mark, stacks, 900, "restart")
        delta = env.since(mark)
        first_pass = env.first_pass_seconds(mark, stacks, started)
        if "restart" in wanted:
            emit(
                {
                    "scenario": "restart",
                    "provider": provider,
                    "ingresses": m,
                    "note": sizes.note,
                    "seconds_to_all_reconciled": round(first_pass, 2),
                    "seconds_to_synced": round(synced, 2),
                    "mutating": delta.counts.total(True),
                    "reads": delta.counts.total(False),
                    "reads_per_group": _per(delta.counts.total(False), m),
                    "reconciles": len(delta.results),
                    "cpu_s": round(delta.cpu, 2),
                    "setup_converge_s": round(setup.wall, 1),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
        if "footprint" not in wanted:
            return
        mark = env.mark()
        process.controller.enqueue_all()
        env.wait(mark, stacks, 900, "footprint no-op pass")
        delta = env.since(mark)
        endpoints = m * SERVICES_PER_INGRESS * sizes.pods_large
        emit(
            {
                "scenario": "footprint",
                "provider": provider,
                "ingresses": m,
                "endpoints": endpoints,
                "note": sizes.note,
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "cpu_ms_per_noop_reconcile": round(1000 * delta.cpu / max(1, len(delta.results)), 2),
                "noop_pass_wall_s": round(delta.wall, 2),
                "reads_per_group": _per(delta.counts.total(False), m),
                "writes": delta.counts.total(True),
                "reconciles": len(delta.results),
            }
        )


def _by_operation(calls: dict[str, int]) -> dict[str, int]:
    """service:Operation → count (outcomes summed), largest first."""
    out: dict[str, int] = {}
    for key, count in calls.items():
        service, operation, _ = key.split(":")
        out[f"{service}:{operation}"] = out.get(f"{service}:{operation}", 0) + count
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


L4 = ("l4-converge", "l4-noop", "l4-churn")
L4_PREFIX = "Service:"
L4_REGISTER = {**REGISTER, "gcp": ("instanceGroups.addInstances",)}
L4_DEREGISTER = {**DEREGISTER, "gcp": ("instanceGroups.removeInstances",)}


def _l4_service(name: str, provider: str = "aws") -> dict[str, Any]:
    """A Service of type LoadBalancer served as an NLB of LBC's class, with pod (ip) targets; on Google Cloud
    a GKE internal passthrough load balancer (its nodes' instance groups are its targets)."""
    if provider == "gcp":
        return {
            "metadata": {
                "name": name,
                "namespace": "default",
                "annotations": {"networking.gke.io/load-balancer-type": "Internal"},
            },
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": name},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        }
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {"service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip"},
        },
        "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": "service.k8s.aws/nlb",
            "allocateLoadBalancerNodePorts": False,
            "selector": {"app": name},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
        },
    }


def run_l4(
    provider: str, sizes: Sizes, wanted: tuple[str, ...], emit: Callable[[dict[str, Any]], None]
) -> None:
    """N Services of type LoadBalancer (AWS NLBs with ip targets, Google Cloud internal passthrough load
    balancers over the nodes' instance groups): converge → no-op → endpoint churn (on Google Cloud the pods'
    churn changes no target: its writes are what it costs)."""
    n = sizes.small
    with Env(provider, n, sizes.pods_small) as env:
        w = env.workload
        names = [f"l4-{i:04d}" for i in range(n)]
        index = {name: 10_000 + i for i, name in enumerate(names)}  # pod addresses apart from the Ingresses'
        for name in names:
            env.writer.core.create_namespaced_service("default", _l4_service(name, provider))
            env.writer.discovery.create_namespaced_endpoint_slice(
                "default", w.endpoint_slice(index[name], name)
            )
        stacks = {f"{L4_PREFIX}default/{name}" for name in names}
        process = env.new_controller()
        mark = env.mark()
        process.start()
        env.wait(mark, stacks, 900, "l4 converge")
        delta = env.since(mark)
        created = delta.created
        if "l4-converge" in wanted:
            emit(
                {
                    "scenario": "l4-converge",
                    "provider": provider,
                    "services": n,
                    "calls": delta.counts.total(),
                    "reads": delta.counts.total(False),
                    "mutating": delta.counts.total(True),
                    "resources_created": created,
                    "calls_per_resource": _per(delta.counts.total(), created),
                    "reconciles": len(delta.results),
                    "wall_s": round(delta.wall, 2),
                    "cpu_s": round(delta.cpu, 2),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
        mark = env.mark()
        process.controller.enqueue_all()
        env.wait(mark, stacks, 600, "l4 noop")
        delta = env.since(mark)
        if "l4-noop" in wanted:
            emit(
                {
                    "scenario": "l4-noop",
                    "provider": provider,
                    "services": n,
                    "foreign": 0,
                    "reads": delta.counts.total(False),
                    "writes": delta.counts.total(True),
                    "reads_per_group": _per(delta.counts.total(False), n),
                    "writes_per_group": _per(delta.counts.total(True), n),
                    "reconciles": len(delta.results),
                    "wall_s": round(delta.wall, 2),
                    "cpu_s": round(delta.cpu, 2),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
        mark = env.mark()
        for name in names:
            w.generation[name] = w.generation.get(name, 0) + w.churn_count()
            current = env.writer.discovery.read_namespaced_endpoint_slice(f"{name}-slice", "default")
            body = w.endpoint_slice(index[name], name)
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            env.writer.discovery.replace_namespaced_endpoint_slice(f"{name}-slice", "default", body)
        env.wait(mark, stacks, 600, "l4 churn")
        delta = env.since(mark)
        register, deregister = (
            delta.counts.of(*L4_REGISTER[provider]),
            delta.counts.of(*L4_DEREGISTER[provider]),
        )
        if "l4-churn" in wanted:
            emit(
                {
                    "scenario": "l4-churn",
                    "provider": provider,
                    "services": n,
                    "unit": "target group" if provider == "aws" else "instance group",
                    "affected": n,
                    "register": register,
                    "deregister": deregister,
                    "register_per_group": _per(register, n),
                    "deregister_per_group": _per(deregister, n),
                    "reads": delta.counts.total(False),
                    "mutating": delta.counts.total(True),
                    "reads_per_group": _per(delta.counts.total(False), n),
                    "calls_per_group": _per(delta.counts.total(), n),
                    "reconciles": len(delta.results),
                    "wall_s": round(delta.wall, 2),
                    "cpu_s": round(delta.cpu, 2),
                    "calls_by_operation": _by_operation(delta.counts.calls),
                }
            )
