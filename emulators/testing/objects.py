"""Plain-dict objects the controller tests write to the Kubernetes API emulator: NodePort Services, their
EndpointSlices, Ingresses and Nodes."""

from __future__ import annotations

from typing import Any


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
