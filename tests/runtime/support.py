"""Shared helpers for controller end-to-end tests: waiting, objects, a controller on the emulators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kubernetes

from emulators.kube import KubeEmulator
from lbctl.demo.scenario import wait_for
from lbctl.kube.controller import ControllerConfig
from lbctl.kube.run import ControllerProcess, RunOptions
from lbctl.provider import ProviderConfig

FAST_AWS = {
    "rate_limits": {"": 1000.0},
    "retry_initial_wait": 0.01,
    "retry_max_wait": 0.05,
    "delete_retry_seconds": 0.5,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


def controller(
    kube: KubeEmulator,
    provider: str,
    cloud_url: str,
    cluster: str = "e2e",
    *,
    leader_elect: bool = False,
    vpc_id: str | None = None,
    project: str | None = None,
    kube_url: str | None = None,
    lease_seconds: float = 1.5,
    **options: Any,
) -> ControllerProcess:
    """A controller on `kube` (through `kube_url` instead when given, e.g. a proxy in front of it). Tests that
    assert who leads use a long lease, so a loaded machine cannot expire it; they hand over by release."""
    return ControllerProcess(
        RunOptions(
            controller=ControllerConfig(
                provider=provider,
                cluster_name=cluster,
                workers=2,
                watch_timeout=5,
                base_retry_delay=0.05,
                max_retry_delay=1.0,
                sync_period=3600,
            ),
            provider=ProviderConfig(
                cluster_name=cluster,
                endpoint_url=cloud_url,
                options={
                    "region": "us-east-1",
                    "vpc_id": vpc_id,
                    "project": project,
                    **(FAST_AWS if provider == "aws" else {}),
                    **options,
                },
            ),
            kube_api_url=kube_url or kube.url,
            kube_api_token=kube.token,
            leader_elect=leader_elect,
            leader_lease_seconds=lease_seconds,
            metrics_addr=None,
            health_addr=None,
            drain_seconds=10,
        )
    )


def service(name: str, node_port: int, port: int = 80) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": 8080, "nodePort": node_port}],
        },
    }


def endpoint_slice(service_name: str, ips: list[str], zone: str = "us-east-1a") -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"{service_name}-abc",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": service_name},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}, "zone": zone} for ip in ips],
    }


def ingress(
    name: str, paths: dict[str, str], annotations: dict[str, str] | None = None, class_name: str = "alb"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "annotations": annotations or {}},
        "spec": {
            "ingressClassName": class_name,
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": "Prefix",
                                "backend": {"service": {"name": svc, "port": {"name": "http"}}},
                            }
                            for path, svc in paths.items()
                        ]
                    }
                }
            ],
        },
    }


def node(name: str, provider_id: str, zone: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "spec": {"providerID": provider_id},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def address_of(api: kubernetes.client.ApiClient, name: str) -> str | None:
    status = kubernetes.client.NetworkingV1Api(api).read_namespaced_ingress_status(name, "default").status
    entries = status.load_balancer.ingress or []
    return (entries[0].hostname or entries[0].ip) if entries else None


def events_for(api: kubernetes.client.ApiClient, name: str) -> list[tuple[str, str, str]]:
    events = kubernetes.client.CoreV1Api(api).list_namespaced_event("default").items
    return [(e.type, e.reason, e.message) for e in events if e.involved_object.name == name]


def gone(fn: Callable[[], Any]) -> bool:
    try:
        fn()
    except kubernetes.client.ApiException as err:
        return err.status == 404
    return False


__all__ = [
    "FAST_AWS",
    "address_of",
    "controller",
    "endpoint_slice",
    "events_for",
    "gone",
    "ingress",
    "node",
    "service",
    "wait_for",
]
