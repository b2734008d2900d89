"""Node IPAM: each Node without `spec.podCIDR` gets the next free block of the cluster CIDR (10.244.N.0/24)."""

from __future__ import annotations

import copy
import ipaddress

from .common import Context


class NodeIpam:
    """The node-ipam controller's range allocator."""

    def __init__(self, cluster_cidr: str = "10.244.0.0/16", node_mask: int = 24) -> None:
        self.network = ipaddress.IPv4Network(cluster_cidr)
        self.node_mask = node_mask

    def sync(self, ctx: Context, nodes: list[dict]) -> None:
        taken = {(n.get("spec") or {}).get("podCIDR") for n in nodes}
        blocks = (str(b) for b in self.network.subnets(new_prefix=self.node_mask) if str(b) not in taken)
        for node in sorted(
            nodes, key=lambda n: (n["metadata"].get("creationTimestamp", ""), n["metadata"]["name"])
        ):
            if (node.get("spec") or {}).get("podCIDR"):
                continue
            block = next(blocks, None)
            if block is None:
                return  # the cluster CIDR is exhausted; real IPAM reports CIDRNotAvailable
            updated = copy.deepcopy(node)
            updated.setdefault("spec", {}).update(podCIDR=block, podCIDRs=[block])
            ctx.update("nodes", updated, node)
