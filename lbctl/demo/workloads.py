"""The example application of the demo: nodes, and per app a NodePort Service and a Deployment. The embedded
cluster does the rest, as a real one would: it places the pods on the nodes (IPs from each node's podCIDR),
turns them Ready and keeps the Services' EndpointSlices."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import kubernetes

from lbctl.model.annotations import NEG

NAMESPACE = "default"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


@dataclass
class App:
    """One Deployment behind a Service: `replicas` pods with HTTP readiness probes."""

    name: str
    node_port: int
    replicas: int
    neg: bool = False  # GCP container-native load balancing

    def service(self) -> dict[str, Any]:
        annotations = {NEG: '{"ingress": true}'} if self.neg else {}
        return {
            "metadata": {"name": self.name, "namespace": NAMESPACE, "annotations": annotations},
            "spec": {
                "type": "NodePort",
                "selector": {"app": self.name},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": self.node_port}],
            },
        }

    def deployment(self) -> dict[str, Any]:
        return {
            "metadata": {"name": self.name, "namespace": NAMESPACE, "labels": {"app": self.name}},
            "spec": {
                "replicas": self.replicas,
                "selector": {"matchLabels": {"app": self.name}},
                "template": {
                    "metadata": {"labels": {"app": self.name}},
                    "spec": {
                        "containers": [
                            {
                                "name": "app",
                                "image": f"example/{self.name}:1",
                                "ports": [{"name": "http", "containerPort": 8080}],
                                "readinessProbe": {
                                    "httpGet": {"path": f"/{self.name}/healthz", "port": "http"},
                                    "periodSeconds": 10,
                                    "timeoutSeconds": 2,
                                },
                            }
                        ]
                    },
                },
            },
        }


class Cluster:
    """Writes the example's objects through the official client, as kubectl would, and waits for the
    cluster to run them."""

    def __init__(
        self,
        api: kubernetes.client.ApiClient,
        nodes: dict[str, tuple[str, str]],
        pod_cidrs: dict[str, str] | None = None,
    ) -> None:
        self.core = kubernetes.client.CoreV1Api(api)
        self.apps = kubernetes.client.AppsV1Api(api)
        self.discovery = kubernetes.client.DiscoveryV1Api(api)
        self.networking = kubernetes.client.NetworkingV1Api(api)
        self.nodes = nodes  # name → (providerID, zone)
        self.pod_cidrs = pod_cidrs or {}  # name → the node's pod range (else the cluster allocates one)

    @property
    def zones(self) -> dict[str, str]:
        return {name: zone for name, (_, zone) in self.nodes.items()}

    def create_nodes(self) -> None:
        for name, (provider_id, zone) in self.nodes.items():
            spec: dict[str, Any] = {"providerID": provider_id}
            if name in self.pod_cidrs:
                spec.update(podCIDR=self.pod_cidrs[name], podCIDRs=[self.pod_cidrs[name]])
            # The client serializes plain dict bodies as they are; its hints name only the model classes.
            self.core.create_node(
                {  # type: ignore[arg-type]
                    "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
                    "spec": spec,
                    "status": {
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "addresses": [{"type": "InternalIP", "address": f"10.0.250.{len(name)}"}],
                    },
                }
            )

    def deploy(self, app: App, timeout: float = 30.0) -> list[str]:
        """Create the Service and the Deployment; returns the pod IPs once all replicas are ready endpoints."""
        self.core.create_namespaced_service(NAMESPACE, app.service())  # type: ignore[arg-type]
        self.apps.create_namespaced_deployment(NAMESPACE, app.deployment())  # type: ignore[arg-type]
        return self._wait_ready(app, timeout)

    def scale(self, app: App, replicas: int, timeout: float = 30.0) -> list[str]:
        """Scale the Deployment (the scale subresource, as kubectl scale); returns the ready endpoint IPs."""
        self.apps.patch_namespaced_deployment_scale(app.name, NAMESPACE, {"spec": {"replicas": replicas}})
        app.replicas = replicas
        return self._wait_ready(app, timeout)

    def ready_endpoints(self, app: App) -> list[str]:
        """Addresses of the Service's ready, non-terminating endpoints (the cluster's EndpointSlices)."""
        slices = self.discovery.list_namespaced_endpoint_slice(
            NAMESPACE, label_selector=f"kubernetes.io/service-name={app.name},{MANAGED_BY}"
        ).items
        return sorted(
            address
            for s in slices
            for e in s.endpoints or []
            if e.conditions and e.conditions.ready and not e.conditions.terminating
            for address in e.addresses
        )

    def _wait_ready(self, app: App, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = self.ready_endpoints(app)
            if len(ready) == app.replicas:
                return ready
            time.sleep(0.05)
        raise TimeoutError(
            f"timed out after {timeout:.0f}s waiting for {app.replicas} ready pods of {app.name}"
        )
