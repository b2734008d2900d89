"""Find what exists of ours: list each collection with a name filter on our cluster prefix, keep what
carries our ownership record (cluster) in its description. Nothing else is ever touched."""

from __future__ import annotations

from dataclasses import dataclass
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


class Inventory:
    """Every resource of this cluster, any stack; indexed by stack so one stack's view costs O(its size)."""

    def __init__(self, items: dict[Key, Existing] | None = None) -> None:
        self.items: dict[Key, Existing] = {}
        self._by_stack: dict[str, dict[Key, Existing]] = {}
        self._others_ports: tuple[str, dict[tuple[str, str], set[str]]] | None = None  # set by view()
        for existing in (items or {}).values():
            self.put(existing)

    def put(self, existing: Existing) -> None:
        """Add or replace one resource."""
        self.remove(existing.key)
        self.items[existing.key] = existing
        self._by_stack.setdefault(existing.stack, {})[existing.key] = existing

    def remove(self, key: Key) -> Existing | None:
        existing = self.items.pop(key, None)
        if existing is not None:
            group = self._by_stack.get(existing.stack, {})
            group.pop(key, None)
            if not group:
                self._by_stack.pop(existing.stack, None)
        return existing

    def of_stack(self, stack: str) -> dict[Key, Existing]:
        return dict(self._by_stack.get(stack, {}))

    def shared(self) -> dict[Key, Existing]:
        return self.of_stack(n.SHARED_STACK)

    def stacks(self) -> list[str]:
        return sorted(s for s in self._by_stack if s != n.SHARED_STACK)

    def view(self, stack: str) -> Inventory:
        """A copy holding only `stack` and the shared resources, with the other stacks' use of the shared
        instance groups worked out now: what planning one stack needs, safe to read while this changes."""
        shared = self.shared()
        out = Inventory({**self.of_stack(stack), **shared})
        # no instance group exists (NEGs only): nothing of another stack can be on one
        out._others_ports = (stack, self.ports_used_by_other_stacks(stack) if shared else {})
        return out

    def ports_used_by_other_stacks(self, stack: str) -> dict[tuple[str, str], set[str]]:
        """(zone, instance group) → named ports that other stacks' backend services use on it."""
        if self._others_ports is not None and self._others_ports[0] == stack:
            return self._others_ports[1]
        out: dict[tuple[str, str], set[str]] = {}
        for other, group in self._by_stack.items():
            if other in (stack, n.SHARED_STACK):
                continue
            for (collection, _, _), existing in group.items():
                if collection != "backendServices":
                    continue
                port_name = existing.body.get("portName")
                for backend in existing.body.get("backends") or []:
                    parts = str(backend.get("group", "")).split("/")
                    if "instanceGroups" in parts and "zones" in parts:
                        zone = parts[parts.index("zones") + 1]
                        used = out.setdefault((zone, parts[-1]), set())
                        if port_name:
                            used.add(str(port_name))
        return out


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
            inventory.put(Existing(key, body, record))
    return inventory
