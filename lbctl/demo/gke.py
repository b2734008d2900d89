"""What a GKE cluster has in kube-system before any user manifest: the default HTTP backend that ingress-gce
(and lbctl on Google Cloud) puts behind every URL map whose Ingress has no `spec.defaultBackend`.

The objects are those GKE runs and manifests/gcp/ installs elsewhere; they are written here because an
installed lbctl has no manifests/ folder."""

from __future__ import annotations

from typing import Any

DEFAULT_BACKEND = "kube-system/default-http-backend:80"


def default_http_backend() -> list[dict[str, Any]]:
    """The Deployment (404 on every path, 200 on /healthz) and NodePort Service GKE runs."""
    probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "l7-default-backend",
            "namespace": "kube-system",
            "labels": {
                "k8s-app": "glbc",
                "app.kubernetes.io/name": "default-http-backend",
                "app.kubernetes.io/part-of": "lbctl",
            },
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"k8s-app": "glbc"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "glbc", "name": "glbc"}},
                "spec": {
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "runAsGroup": 65534,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "default-http-backend",
                            "image": "registry.k8s.io/defaultbackend-amd64:1.5",
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "readinessProbe": {**probe, "periodSeconds": 10, "timeoutSeconds": 5},
                            "livenessProbe": {**probe, "initialDelaySeconds": 30, "timeoutSeconds": 5},
                            "resources": {
                                "requests": {"cpu": "10m", "memory": "20Mi"},
                                "limits": {"cpu": "10m", "memory": "20Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "default-http-backend",
            "namespace": "kube-system",
            "labels": {"k8s-app": "glbc", "kubernetes.io/name": "GLBC", "app.kubernetes.io/part-of": "lbctl"},
        },
        "spec": {
            "type": "NodePort",
            "selector": {"k8s-app": "glbc"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
        },
    }
    return [deployment, service]
