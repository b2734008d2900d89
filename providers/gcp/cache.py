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

from lbctl.provider import Step

from . import naming as n
from .clients import FINGERPRINTS, target
from .discover import Existing, Inventory, Key
from .plan import endpoint_key
from .translate import Endpoint

MembersKey = tuple[str, str]  # (zone, name)


class DiscoveryCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self.lock = threading.RLock()
        self.inventory: Inventory | None = None
        self.loaded_at = 0.0
        self.members: dict[MembersKey, list[str]] = {}
        self.endpoints: dict[MembersKey, list[Endpoint]] = {}
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
        collection, method = target(step)
        with self.lock:
            inventory = self.inventory
            if inventory is None:
                return
            key: Key = (collection, step.where or "", step.name)
            group: MembersKey = (step.where or "", step.name)
            existing = inventory.items.get(key)
            body = {k: v for k, v in step.body.items() if k not in FINGERPRINTS}
            if method == "insert":
                record = n.owner(body)
                if record is None:
                    self.invalidate()
                    return
                inventory.put(Existing(key, body, record))
                if collection == "instanceGroups":
                    self.members[group] = []
                if collection == "networkEndpointGroups":
                    self.endpoints[group] = []
            elif method == "delete":
                inventory.remove(key)
                self.members.pop(group, None)
                self.endpoints.pop(group, None)
            elif method in ("addInstances", "removeInstances"):
                if group in self.members:
                    have = set(self.members[group])
                    items = {i["instance"] for i in step.body["instances"]}
                    have = have | items if method == "addInstances" else have - items
                    self.members[group] = sorted(have)
            elif method in ("attachNetworkEndpoints", "detachNetworkEndpoints"):
                if group in self.endpoints:
                    have_eps = self.endpoints[group]
                    have_keys = {endpoint_key(h) for h in have_eps}
                    endpoints = list(step.body["networkEndpoints"])
                    step_keys = {endpoint_key(e) for e in endpoints}
                    if method == "attachNetworkEndpoints":
                        self.endpoints[group] = have_eps + [
                            e for e in endpoints if endpoint_key(e) not in have_keys
                        ]
                    else:
                        self.endpoints[group] = [h for h in have_eps if endpoint_key(h) not in step_keys]
            elif method in ("addSignedUrlKey", "deleteSignedUrlKey") and existing is not None:
                policy = dict(existing.body.get("cdnPolicy") or {})
                names = [k for k in policy.get("signedUrlKeyNames") or [] if k != step.body["keyName"]]
                policy["signedUrlKeyNames"] = names + ([step.body["keyName"]] if method[0] == "a" else [])
                inventory.put(Existing(key, {**existing.body, "cdnPolicy": policy}, existing.owner))
            elif existing is None:
                self.invalidate()  # we changed something we do not know: read it all again
            else:  # update, or a setX call: the fields sent replace those kept
                kept = {k: v for k, v in existing.body.items() if k not in FINGERPRINTS}
                merged = {**kept, **body}
                held = (kept.get("cdnPolicy") or {}).get("signedUrlKeyNames")
                if held and isinstance(merged.get("cdnPolicy"), dict):  # an update keeps the signing keys
                    merged["cdnPolicy"] = {**merged["cdnPolicy"], "signedUrlKeyNames": held}
                inventory.put(Existing(key, merged, existing.owner))
