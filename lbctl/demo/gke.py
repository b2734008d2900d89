"""What a GKE cluster has in kube-system before any user manifest: the default HTTP backend that ingress-gce
puts behind every URL map whose Ingress has no `spec.defaultBackend` (a small server answering 404)."""

from __future__ import annotations

from typing import Any

DEFAULT_BACKEND = "kube-system/default-http-backend:80"
LABELS = {"k8s-app": "glbc", "name": "glbc"}


def default_http_backend() -> list[dict[str, Any]]:
    """The Deployment and NodePort Service GKE runs as `kube-system/default-http-backend`."""
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "l7-default-backend", "namespace": "kube-system", "labels": dict(LABELS)},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"k8s-app": "glbc"}},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "containers": [
                        {
                            "name": "default-http-backend",
                            "image": "registry.k8s.io/networking/ingress-gce-404-server-with-metrics:v1.23.1",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                                              "initialDelaySeconds": 30, "timeoutSeconds": 5},  # fmt: skip
                            "resources": {"requests": {"cpu": "10m", "memory": "20Mi"}},
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "default-http-backend", "namespace": "kube-system", "labels": dict(LABELS)},
        "spec": {
            "type": "NodePort",
            "selector": {"k8s-app": "glbc"},
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
        },
    }
    return [deployment, service]
