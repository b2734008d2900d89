"""The benchmark workload: N Ingresses, each with 5 paths over 2 Services of its own, whose pods are the
targets (ALB target-type ip / GKE NEGs); plus the EndpointSlices a cluster's endpoint controller keeps."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import kubernetes

NAMESPACE = "default"
PATHS_PER_INGRESS = 5
SERVICES_PER_INGRESS = 2


@dataclass
class Workload:
    """What one provider's cluster holds. `pods` per Service; `zones` maps node name → zone."""

    provider: str
    ingresses: int
    pods: int
    nodes: dict[str, tuple[str, str]]  # node → (providerID, zone)
    generation: dict[str, int] = field(default_factory=dict)  # service → pods replaced so far

    @property
    def zones(self) -> dict[str, str]:
        return {name: zone for name, (_, zone) in self.nodes.items()}

    def stack(self, i: int) -> str:
        return f"{NAMESPACE}/ing-{i:04d}"

    def services_of(self, i: int) -> list[str]:
        return [f"svc-{i:04d}-{chr(ord('a') + s)}" for s in range(SERVICES_PER_INGRESS)]

    def service(self, name: str) -> dict[str, Any]:
        annotations = {"cloud.google.com/neg": '{"ingress": true}'} if self.provider == "gcp" else {}
        return {
            "metadata": {"name": name, "namespace": NAMESPACE, "annotations": annotations},
            "spec": {
                "type": "ClusterIP",
                "selector": {"app": name},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        }

    def pods_of(self, service_index: int, name: str) -> list[tuple[int, str]]:
        """(pod number, IP) of a Service's current pods; replaced pods get fresh numbers and addresses."""
        start = self.generation.get(name, 0)
        return [(start + k, _ip(service_index, start + k)) for k in range(self.pods)]

    def ips(self, service_index: int, name: str) -> list[str]:
        return [ip for _, ip in self.pods_of(service_index, name)]

    def endpoint_slice(self, service_index: int, name: str) -> dict[str, Any]:
        names = list(self.nodes)
        zones = self.zones
        return {
            "metadata": {
                "name": f"{name}-slice",
                "namespace": NAMESPACE,
                "labels": {"kubernetes.io/service-name": name},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": [ip],
                    "conditions": {"ready": True},
                    "nodeName": names[k % len(names)],
                    "zone": zones[names[k % len(names)]],
                }
                for k, ip in self.pods_of(service_index, name)
            ],
        }

    def ingress(self, i: int) -> dict[str, Any]:
        services = self.services_of(i)
        paths = [
            {
                "path": f"/app{p}",
                "pathType": "Prefix",
                "backend": {"service": {"name": services[p % len(services)], "port": {"name": "http"}}},
            }
            for p in range(PATHS_PER_INGRESS)
        ]
        if self.provider == "aws":
            annotations = {
                "alb.ingress.kubernetes.io/scheme": "internet-facing",
                "alb.ingress.kubernetes.io/target-type": "ip",
            }
            spec: dict[str, Any] = {"ingressClassName": "alb", "rules": [{"http": {"paths": paths}}]}
        else:
            annotations = {}
            spec = {
                "ingressClassName": "gce",
                "rules": [{"http": {"paths": paths}}],
                "defaultBackend": {"service": {"name": services[0], "port": {"name": "http"}}},
            }
        return {
            "metadata": {"name": f"ing-{i:04d}", "namespace": NAMESPACE, "annotations": annotations},
            "spec": spec,
        }

    def zone_of_pod(self, number: int) -> str:
        names = list(self.nodes)
        return self.zones[names[number % len(names)]]

    def churn_count(self) -> int:
        """Pods replaced per Service in the churn scenario: 10%, at least one."""
        return max(1, math.ceil(self.pods * 0.10))


def _ip(service_index: int, k: int) -> str:
    """The k-th pod address ever given to Service `service_index` (unique across Services)."""
    number = service_index * 64 + k % 64  # 64 addresses per Service: ample for a few churn rounds
    block = number // 250
    return f"10.{16 + block // 250}.{block % 250}.{number % 250 + 1}"


class ClusterWriter:
    """Writes the workload through the official client, as kubectl and the endpoint controller would."""

    def __init__(self, api: kubernetes.client.ApiClient, workload: Workload) -> None:
        self.core = kubernetes.client.CoreV1Api(api)
        self.discovery = kubernetes.client.DiscoveryV1Api(api)
        self.networking = kubernetes.client.NetworkingV1Api(api)
        self.workload = workload

    def create_nodes(self) -> None:
        for name, (provider_id, zone) in self.workload.nodes.items():
            self.core.create_node(
                {
                    "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
                    "spec": {"providerID": provider_id},
                    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
                }
            )

    def create_backends(self, first: int, last: int) -> None:
        """Services and EndpointSlices of Ingresses first..last-1."""
        w = self.workload
        for i in range(first, last):
            for s, name in enumerate(w.services_of(i)):
                self.core.create_namespaced_service(NAMESPACE, w.service(name))
                self.discovery.create_namespaced_endpoint_slice(
                    NAMESPACE, w.endpoint_slice(_index(i, s), name)
                )

    def create_ingresses(self, first: int, last: int) -> None:
        for i in range(first, last):
            self.networking.create_namespaced_ingress(NAMESPACE, self.workload.ingress(i))

    def churn(self, i: int) -> dict[str, tuple[set[tuple[int, str]], set[tuple[int, str]]]]:
        """Replace 10% of the pods of each Service of Ingress i (an EndpointSlice update each); returns
        service → (removed, added) as sets of (pod number, IP)."""
        w = self.workload
        out: dict[str, tuple[set[tuple[int, str]], set[tuple[int, str]]]] = {}
        for s, name in enumerate(w.services_of(i)):
            before = set(w.pods_of(_index(i, s), name))
            w.generation[name] = w.generation.get(name, 0) + w.churn_count()
            after = set(w.pods_of(_index(i, s), name))
            name_slice = f"{name}-slice"
            current = self.discovery.read_namespaced_endpoint_slice(name_slice, NAMESPACE)
            body = w.endpoint_slice(_index(i, s), name)
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            self.discovery.replace_namespaced_endpoint_slice(name_slice, NAMESPACE, body)
            out[name] = (before - after, after - before)
        return out


def _index(i: int, s: int) -> int:
    return i * SERVICES_PER_INGRESS + s
