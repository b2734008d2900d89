"""What discovery found, kept across converges: the cluster's inventory, the members of instance groups
and NEGs, and looked-up references (static IP, certificates, SSL policies).

Our own writes update it step by step, so a no-op converge needs no read at all. It is dropped, and the
next converge discovers everything afresh, when `ttl` seconds have passed (out-of-band drift heals then)
and at once on any doubt: a failed call, an insert that found the resource, a delete that found it gone,
a member change the API says was already applied. `ttl` 0 keeps nothing across converges.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from . import naming as n
from .diff import Step, endpoint_key
from .discover import Existing, Inventory, Key

MembersKey = tuple[str, str]  # (zone, name)


class DiscoveryCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.lock = threading.RLock()
        self.inventory: Inventory | None = None
        self.loaded_at = 0.0
        self.members: dict[MembersKey, list[str]] = {}
        self.endpoints: dict[MembersKey, list[dict[str, Any]]] = {}
        self.lookups: dict[tuple[str, str], dict[str, Any]] = {}
        self.discoveries = 0  # full discoveries so far (tests, benchmark)

    def fresh(self) -> bool:
        with self.lock:
            return self.inventory is not None and self.ttl > 0 and self.clock() - self.loaded_at < self.ttl

    def store(self, inventory: Inventory) -> None:
        """A full discovery: replaces everything kept (membership is read again on demand)."""
        with self.lock:
            self.inventory = inventory
            self.loaded_at = self.clock()
            self.members.clear()
            self.endpoints.clear()
            self.lookups.clear()
            self.discoveries += 1

    def invalidate(self) -> None:
        with self.lock:
            self.inventory = None
            self.members.clear()
            self.endpoints.clear()
            self.lookups.clear()

    def get(self, key: Key) -> Existing | None:
        with self.lock:
            return self.inventory.items.get(key) if self.inventory is not None else None

    def put_body(self, key: Key, body: dict[str, Any]) -> None:
        """A resource read from the cloud (e.g. a forwarding rule's assigned address)."""
        record = n.owner(body)
        with self.lock:
            if self.inventory is not None and record is not None:
                self.inventory.put(Existing(key, body, record))

    def remember(self, step: Step) -> None:
        """Apply a step that succeeded as planned to what is kept."""
        with self.lock:
            inventory = self.inventory
            if inventory is None:
                return
            key: Key = (step.collection, step.zone or "", step.name)
            group: MembersKey = (step.zone or "", step.name)
            existing = inventory.items.get(key)
            if step.op == "insert":
                assert step.wanted is not None
                body = dict(step.wanted.body)
                if step.collection == "backendServices" and step.wanted.security_policy:
                    body["securityPolicy"] = step.wanted.security_policy
                record = n.owner(body)
                if record is None:
                    self.invalidate()
                    return
                inventory.put(Existing(key, body, record))
                if step.wanted.members is not None:
                    self.members[group] = []
                if step.wanted.endpoints is not None:
                    self.endpoints[group] = []
            elif step.op == "delete":
                inventory.remove(key)
                self.members.pop(group, None)
                self.endpoints.pop(group, None)
            elif existing is None and step.op in ("update", "set", "policy"):
                self.invalidate()  # we changed something we do not know: read it all again
            elif step.op == "update":
                assert step.wanted is not None and existing is not None
                body = {k: v for k, v in existing.body.items() if k != "fingerprint"}
                body.update(step.wanted.body)
                if step.collection == "backendServices":
                    body["securityPolicy"] = step.wanted.security_policy or existing.body.get("securityPolicy")
                inventory.put(Existing(key, body, existing.owner))
            elif step.op == "set":
                assert existing is not None and step.field_name is not None
                body = {k: v for k, v in existing.body.items() if k not in ("fingerprint", "labelFingerprint")}
                body[step.field_name] = step.value
                inventory.put(Existing(key, body, existing.owner))
            elif step.op == "policy":
                assert existing is not None
                inventory.put(Existing(key, {**existing.body, "securityPolicy": step.value}, existing.owner))
            elif step.op in ("add", "remove"):
                if group in self.members:
                    have = set(self.members[group])
                    have = have | set(step.items) if step.op == "add" else have - set(step.items)
                    self.members[group] = sorted(have)
            elif step.op in ("attach", "detach") and group in self.endpoints:
                have_eps = self.endpoints[group]
                have_keys = {endpoint_key(h) for h in have_eps}
                step_keys = {endpoint_key(e) for e in step.items}
                if step.op == "attach":
                    self.endpoints[group] = have_eps + [e for e in step.items if endpoint_key(e) not in have_keys]
                else:
                    self.endpoints[group] = [h for h in have_eps if endpoint_key(h) not in step_keys]
