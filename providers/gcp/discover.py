"""Find what exists of ours: list each collection with a name filter on our cluster prefix, keep what
carries our ownership record (cluster) in its description. Nothing else is ever touched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import naming as n
from .clients import Compute

GLOBAL = ("healthChecks", "backendServices", "urlMaps", "targetHttpProxies", "targetHttpsProxies",
          "sslCertificates", "forwardingRules", "firewalls")  # fmt: skip
ZONAL = ("instanceGroups", "networkEndpointGroups")

Key = tuple[str, str, str]  # (collection, zone or "", name)


@dataclass
class Existing:
    key: Key
    body: dict[str, Any]
    owner: dict[str, Any]

    @property
    def stack(self) -> str:
        return str(self.owner["stack"])


@dataclass
class Inventory:
    """Every resource of this cluster, any stack."""

    items: dict[Key, Existing] = field(default_factory=dict)

    def of_stack(self, stack: str) -> dict[Key, Existing]:
        return {k: e for k, e in self.items.items() if e.stack == stack}

    def shared(self) -> dict[Key, Existing]:
        return self.of_stack(n.SHARED_STACK)

    def stacks(self) -> list[str]:
        return sorted({e.stack for e in self.items.values() if e.stack != n.SHARED_STACK})


def discover(compute: Compute, cluster: str, zones: list[str]) -> Inventory:
    inventory = Inventory()
    name_filter = n.name_filter(cluster)
    scopes = [(c, None) for c in GLOBAL] + [(c, z) for c in ZONAL for z in zones]
    for collection, zone in scopes:
        for body in compute.list(collection, zone=zone, filter=name_filter):
            record = n.owner(body)
            if record is None or record.get("cluster") != cluster:
                continue
            key = (collection, zone or "", str(body["name"]))
            inventory.items[key] = Existing(key, body, record)
    return inventory
