"""The `gateway` scenarios: one Gateway with N HTTPRoutes (50 by default) — converge, no-op, one route edit (its
path), and one policy of the cloud's anchor added for one route's Service (aws-load-balancer-controller's
TargetGroupConfiguration health check on AWS, GKE's GCPBackendPolicy timeout on Google Cloud) — through the real
controller with the upstream Gateway API CRDs and the policy CRDs installed on the emulated cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes

from bench.env import Env
from bench.workload import NAMESPACE

GATEWAY_SCENARIOS = ("gateway-converge", "gateway-noop", "gateway-edit", "gateway-policy")
GROUP, VERSION = "gateway.networking.k8s.io", "v1"
CONTROLLERS = {"aws": "lbctl.io/alb", "gcp": "lbctl.io/gce"}
STACK = f"Gateway:{NAMESPACE}/bench"


def _route(i: int, path: str, service: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": f"route-{i:04d}", "namespace": NAMESPACE},
        "spec": {
            "parentRefs": [{"name": "bench"}],
            "hostnames": [f"r{i:04d}.bench.example.com"],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": path}}],
                    "backendRefs": [{"name": service, "port": 80}],
                }
            ],
        },
    }


def _create(env: Env, routes: int) -> Any:
    from lbctl.demo.crds import install_gateway_api_crds, install_policy_crds

    install_gateway_api_crds(env.api)
    install_policy_crds(env.api, env.provider)
    objects = kubernetes.client.CustomObjectsApi(env.api)
    objects.create_cluster_custom_object(
        GROUP,
        VERSION,
        "gatewayclasses",
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "GatewayClass",
            "metadata": {"name": "lbctl"},
            "spec": {"controllerName": CONTROLLERS[env.provider]},
        },
    )
    annotations = {"alb.ingress.kubernetes.io/target-type": "ip"} if env.provider == "aws" else {}
    gateway = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Gateway",
        "metadata": {"name": "bench", "namespace": NAMESPACE, "annotations": annotations},
        "spec": {
            "gatewayClassName": "lbctl",
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}],
        },
    }
    objects.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "gateways", gateway)
    for i in range(routes):
        service = env.workload.services_of(i)[0]
        objects.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, "httproutes", _route(i, "/api", service)
        )
    return objects


def _record(scenario: str, provider: str, routes: int, delta: Any, **extra: Any) -> dict[str, Any]:
    from bench.scenarios import _by_operation

    return {
        "scenario": scenario,
        "provider": provider,
        "routes": routes,
        "calls": delta.counts.total(),
        "reads": delta.counts.total(False),
        "mutating": delta.counts.total(True),
        **extra,
        "reconciles": len(delta.results),
        "wall_s": round(delta.wall, 2),
        "cpu_s": round(delta.cpu, 2),
        "calls_by_operation": _by_operation(delta.counts.calls),
    }


def run_gateway(
    provider: str, routes: int, wanted: tuple[str, ...], emit: Callable[[dict[str, Any]], None]
) -> None:
    """converge → no-op → one route's path edited, in one environment."""
    with Env(provider, routes, 2) as env:
        env.writer.create_backends(0, routes)
        objects = _create(env, routes)
        process = env.new_controller()
        mark = env.mark()
        process.start()
        # every route's rule (AWS) or backend service (Google Cloud): one converge may come before every route is
        # in the cache
        wanted_made = (
            routes if provider == "aws" else len({env.workload.services_of(i)[0] for i in range(routes)})
        )
        env.wait(
            mark,
            {STACK},
            900,
            "gateway converge",
            done=lambda results: _made(results, provider) >= wanted_made,
        )
        delta = env.since(mark)
        if "gateway-converge" in wanted:
            created = delta.created
            emit(
                _record(
                    "gateway-converge",
                    provider,
                    routes,
                    delta,
                    resources_created=created,
                    calls_per_resource=round(delta.counts.total() / created, 2) if created else 0.0,
                )
            )
        mark = env.mark()
        process.controller.enqueue_all()
        env.wait(mark, {STACK}, 600, "gateway noop")
        delta = env.since(mark)
        if "gateway-noop" in wanted:
            emit(_record("gateway-noop", provider, routes, delta, writes=delta.counts.total(True)))
        current = objects.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "httproutes", "route-0000")
        edited = _route(0, "/api/v2", env.workload.services_of(0)[0])
        edited["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        mark = env.mark()
        objects.replace_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, "httproutes", "route-0000", edited
        )
        env.wait(mark, {STACK}, 600, "gateway edit", done=lambda results: any(r.changes for _, r in results))
        delta = env.since(mark)
        if "gateway-edit" in wanted:
            emit(
                _record(
                    "gateway-edit",
                    provider,
                    routes,
                    delta,
                    changes=sum(len(r.changes) for _, r in delta.results),
                )
            )
        mark = env.mark()
        group, plural, policy = _policy(provider, env.workload.services_of(0)[0])
        objects.create_namespaced_custom_object(group, "v1", NAMESPACE, plural, policy)
        env.wait(
            mark, {STACK}, 600, "gateway policy", done=lambda results: any(r.changes for _, r in results)
        )
        delta = env.since(mark)
        if "gateway-policy" in wanted:
            emit(
                _record(
                    "gateway-policy",
                    provider,
                    routes,
                    delta,
                    changes=sum(len(r.changes) for _, r in delta.results),
                )
            )


def _policy(provider: str, service: str) -> tuple[str, str, dict[str, Any]]:
    """The anchor's policy of one Service: (group, plural, body)."""
    if provider == "aws":
        return (
            "gateway.k8s.aws",
            "targetgroupconfigurations",
            {
                "apiVersion": "gateway.k8s.aws/v1",
                "kind": "TargetGroupConfiguration",
                "metadata": {"name": service, "namespace": NAMESPACE},
                "spec": {
                    "targetReference": {"name": service},
                    "defaultConfiguration": {"healthCheckConfig": {"healthCheckPath": "/healthz"}},
                },
            },
        )
    return (
        "networking.gke.io",
        "gcpbackendpolicies",
        {
            "apiVersion": "networking.gke.io/v1",
            "kind": "GCPBackendPolicy",
            "metadata": {"name": service, "namespace": NAMESPACE},
            "spec": {
                "default": {"timeoutSec": 45},
                "targetRef": {"group": "", "kind": "Service", "name": service},
            },
        },
    )


def _made(results: list[tuple[str, Any]], provider: str) -> int:
    """What the converges so far created of what each route needs: its ALB rule (one per route on the one
    listener), or its Service's backend service (the URL map holds every route)."""
    kind = "Rule" if provider == "aws" else "BackendService"
    return sum(1 for _, r in results for c in r.changes if c.kind == kind and c.action == "create")
