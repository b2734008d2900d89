"""The example application of the demo: nodes, Services and their pods, with the EndpointSlices a real
cluster's endpoint controller would maintain (the API emulator runs no controllers, so the demo does)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import kubernetes

NAMESPACE = "default"


@dataclass
class App:
    """One Deployment-like workload behind a Service: `replicas` ready pods with HTTP readiness probes."""

    name: str
    node_port: int
    replicas: int
    subnet_prefix: str  # e.g. "10.0.1." — pod IPs are this + 10, 11, …
    neg: bool = False  # GCP container-native load balancing
    pods: list[str] = field(default_factory=list)

    def service(self) -> dict[str, Any]:
        annotations = {"cloud.google.com/neg": '{"ingress": true}'} if self.neg else {}
        return {
            "metadata": {"name": self.name, "namespace": NAMESPACE, "annotations": annotations},
            "spec": {"type": "NodePort", "selector": {"app": self.name},
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": self.node_port}]},
        }  # fmt: skip

    def pod(self, index: int, node: str) -> dict[str, Any]:
        return {
            "metadata": {"name": f"{self.name}-{index}", "namespace": NAMESPACE, "labels": {"app": self.name}},
            "spec": {"nodeName": node, "containers": [{
                "name": "app", "image": f"example/{self.name}:1",
                "ports": [{"name": "http", "containerPort": 8080}],
                "readinessProbe": {"httpGet": {"path": f"/{self.name}/healthz", "port": 8080},
                                   "periodSeconds": 10, "timeoutSeconds": 2},
            }]},
            "status": {"podIP": self.ip(index), "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
        }  # fmt: skip

    def ip(self, index: int) -> str:
        return f"{self.subnet_prefix}{10 + index}"

    def endpoint_slice(self, nodes: dict[str, str]) -> dict[str, Any]:
        names = list(nodes)
        return {
            "metadata": {"name": f"{self.name}-slice", "namespace": NAMESPACE,
                         "labels": {"kubernetes.io/service-name": self.name}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [self.ip(i)], "conditions": {"ready": True},
                           "nodeName": names[i % len(names)], "zone": nodes[names[i % len(names)]],
                           "targetRef": {"kind": "Pod", "name": f"{self.name}-{i}", "namespace": NAMESPACE}}
                          for i in range(self.replicas)],
        }  # fmt: skip


class Cluster:
    """Writes the example's objects through the official client, as kubectl and the cluster would."""

    def __init__(self, api: kubernetes.client.ApiClient, nodes: dict[str, tuple[str, str]]) -> None:
        self.core = kubernetes.client.CoreV1Api(api)
        self.discovery = kubernetes.client.DiscoveryV1Api(api)
        self.networking = kubernetes.client.NetworkingV1Api(api)
        self.nodes = nodes  # name → (providerID, zone)

    @property
    def zones(self) -> dict[str, str]:
        return {name: zone for name, (_, zone) in self.nodes.items()}

    def create_nodes(self) -> None:
        for name, (provider_id, zone) in self.nodes.items():
            self.core.create_node({
                "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
                "spec": {"providerID": provider_id},
                "status": {"conditions": [{"type": "Ready", "status": "True"}],
                           "addresses": [{"type": "InternalIP", "address": f"10.0.250.{len(name)}"}]},
            })  # fmt: skip

    def deploy(self, app: App) -> None:
        self.core.create_namespaced_service(NAMESPACE, app.service())
        self._sync_pods(app)
        self.discovery.create_namespaced_endpoint_slice(NAMESPACE, app.endpoint_slice(self.zones))

    def scale(self, app: App, replicas: int) -> None:
        app.replicas = replicas
        self._sync_pods(app)
        current = self.discovery.read_namespaced_endpoint_slice(f"{app.name}-slice", NAMESPACE)
        body = app.endpoint_slice(self.zones)
        body["metadata"]["resourceVersion"] = current.metadata.resource_version
        self.discovery.replace_namespaced_endpoint_slice(f"{app.name}-slice", NAMESPACE, body)

    def _sync_pods(self, app: App) -> None:
        names = list(self.nodes)
        wanted = [f"{app.name}-{i}" for i in range(app.replicas)]
        for i, pod in enumerate(wanted):
            if pod not in app.pods:
                self.core.create_namespaced_pod(NAMESPACE, app.pod(i, names[i % len(names)]))
        for pod in app.pods:
            if pod not in wanted:
                self.core.delete_namespaced_pod(pod, NAMESPACE)
        app.pods = wanted
