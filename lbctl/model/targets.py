"""Targets of each backend, derived from Nodes and EndpointSlices (pure).

Kept apart from the spec so that endpoint churn changes targets only, never the load balancer spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lbctl.model.objects import Node
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import Backend, LoadBalancerSpec

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


@dataclass(frozen=True, order=True)
class Target:
    """A node instance on a NodePort, or a pod IP on its container port."""

    id: str  # instance ID/name, or IP address
    port: int
    zone: str | None = None
    node: str | None = None
    # the node's instance ID (from its providerID), for pod targets too: where their ENI is looked for
    instance: str | None = field(default=None, compare=False)


def eligible_nodes(snapshot: ClusterSnapshot, selector: dict[str, str]) -> list[Node]:
    """Nodes that may carry traffic: ready, schedulable, not being deleted, not excluded, matching labels."""
    nodes = []
    for node in snapshot.nodes.values():
        if node.unschedulable or node.deleting or not node.ready or EXCLUDE_LABEL in node.labels:
            continue
        if not node.instance_id:
            continue
        if any(node.labels.get(k) != v for k, v in selector.items()):
            continue
        nodes.append(node)
    return sorted(nodes, key=lambda n: n.name)


def backend_targets(backend: Backend, snapshot: ClusterSnapshot) -> list[Target]:
    if backend.target_type == "instance":
        if backend.node_port is None:
            return []
        return [
            Target(str(n.instance_id), backend.node_port, n.zone, n.name, n.instance_id)
            for n in eligible_nodes(snapshot, backend.node_selector)
        ]
    targets: set[Target] = set()
    nodes = snapshot.nodes
    for eps in snapshot.slices_of(backend.namespace, backend.service):
        port = next((p.port for p in eps.ports if (p.name or None) == backend.port_name), None)
        if port is None and len(eps.ports) == 1 and backend.port_name is None:
            port = eps.ports[0].port
        if port is None:
            continue
        for endpoint in eps.endpoints:
            if not endpoint.ready:
                continue
            zone = endpoint.zone
            if zone is None and endpoint.node_name in nodes:
                zone = nodes[endpoint.node_name].zone
            node = nodes.get(endpoint.node_name or "")
            instance = node.instance_id if node is not None else None
            for address in endpoint.addresses:
                targets.add(Target(address, port, zone, endpoint.node_name, instance))
    return sorted(targets)


def spec_targets(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> dict[str, list[Target]]:
    """Targets for every backend of a spec, by backend key."""
    return {key: backend_targets(backend, snapshot) for key, backend in spec.backends.items()}


def known_target_ids(backend: Backend, snapshot: ClusterSnapshot) -> set[str]:
    """Every target this cluster could have registered for a backend, whatever its state: the instance of
    every Node (instance mode), every address of the Service's endpoints (ip mode). A target group shared
    with other clusters (`multi-cluster-target-group`) deregisters only these."""
    if backend.target_type == "instance":
        return {str(n.instance_id) for n in snapshot.nodes.values() if n.instance_id}
    return {
        address
        for eps in snapshot.slices_of(backend.namespace, backend.service)
        for endpoint in eps.endpoints
        for address in endpoint.addresses
    }


def spec_known_targets(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> dict[str, set[str]]:
    """`known_target_ids` of every backend shared with other clusters, by backend key."""
    return {key: known_target_ids(b, snapshot) for key, b in spec.backends.items() if b.multi_cluster}
