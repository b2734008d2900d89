"""Plain-dict manifests for the emulator tests."""

from __future__ import annotations

from typing import Any


def meta(
    name: str, labels: dict[str, str] | None = None, finalizers: list[str] | None = None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    if finalizers:
        metadata["finalizers"] = finalizers
    return metadata


def ingress(
    name: str,
    service: str = "web",
    port: int = 80,
    labels: dict[str, str] | None = None,
    finalizers: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, labels, finalizers),
        "spec": {
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": service, "port": {"number": port}}},
                            }
                        ]
                    },
                }
            ]
        },
    }


def service(name: str, ports: tuple[int, ...] = (80,)) -> dict[str, Any]:
    return {
        "metadata": meta(name),
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": f"p{p}", "port": p, "targetPort": p} for p in ports],
        },
    }


def backend_config(name: str, timeout: int = 30) -> dict[str, Any]:
    return {
        "apiVersion": "cloud.google.com/v1",
        "kind": "BackendConfig",
        "metadata": meta(name),
        "spec": {"timeoutSec": timeout},
    }
