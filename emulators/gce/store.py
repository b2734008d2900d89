"""Thread-safe in-memory state of the emulator: resources, operations, id and IP allocation."""

from __future__ import annotations

import base64
import builtins
import copy
import hashlib
import ipaddress
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ApiError, not_found
from .references import ResourceKey, parse_reference, region_of_zone
from .resources import KINDS, Resource, iter_slots

PUBLIC_IP_POOL = "34.120.0.0/16"
INTERNAL_IP_POOL = "10.128.0.0/16"


def timestamp() -> str:
    """RFC 3339 timestamp as Compute prints it."""
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


@dataclass
class OperationSettings:
    """How operations progress: DONE after `polls_to_done` GETs or `delay_seconds`, whichever first.

    Both None means operations are DONE in the mutation's own response. `operations.wait` blocks
    until DONE but at most `max_wait_seconds` (the real API returns after about 2 minutes), and
    completes the operation at once when no delay is set.
    """

    polls_to_done: int | None = 2
    delay_seconds: float | None = None
    deferred_errors: bool = False
    max_wait_seconds: float = 120.0
    # where time comes from: replaceable so that a test can move time on instead of waiting for it
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass
class OperationRecord:
    """A stored operation; its status is derived from polls and elapsed time."""

    key: ResourceKey
    body: dict[str, Any]
    error: ApiError | None = None
    polls: int = 0
    created: float = field(default_factory=time.monotonic)
    forced_done: bool = False


class Store:
    """All emulator state behind one re-entrant lock (`with store.lock:` for multi-step work)."""

    def __init__(self, base_url: str, zones: tuple[str, ...], settings: OperationSettings) -> None:
        self.lock = threading.RLock()
        self.base_url = base_url.rstrip("/")
        self.zones = zones
        self.settings = settings
        self.resources: dict[ResourceKey, Resource] = {}
        self.operations: dict[ResourceKey, OperationRecord] = {}
        self.dns: dict[str, str] = {}  # domain → A record, for managed certificates (provisioning.py)
        self._random = random.Random(0)
        self._ids = itertools.count(1)
        self._public_ips = _ip_iterator(PUBLIC_IP_POOL)
        self._internal_ips = _ip_iterator(INTERNAL_IP_POOL)
        # what the health checkers see, set through the admin API: IP address (and port; 0 any port) → state.
        # A backend nobody set answers HEALTHY, as a serving backend does once its probes pass.
        self.health: dict[tuple[str, int], str] = {}

    def reset(self) -> None:
        """Forget every resource, operation and health state."""
        with self.lock:
            self.resources.clear()
            self.operations.clear()
            self.health.clear()
            self.dns.clear()
            self._public_ips = _ip_iterator(PUBLIC_IP_POOL)
            self._internal_ips = _ip_iterator(INTERNAL_IP_POOL)

    def health_of(self, ip: str | None, port: int) -> str:
        """The health state a probe of `ip`:`port` reports (see `health`)."""
        with self.lock:
            return self.health.get((ip or "", port)) or self.health.get((ip or "", 0)) or "HEALTHY"

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions of the served zones, in order."""
        return tuple(dict.fromkeys(region_of_zone(zone) for zone in self.zones))

    def zones_of(self, region: str) -> tuple[str, ...]:
        """The served zones of `region`."""
        return tuple(zone for zone in self.zones if region_of_zone(zone) == region)

    # --- naming and allocation -------------------------------------------------------------------

    def self_link(self, key: ResourceKey) -> str:
        """Full URL of a resource on this emulator."""
        return f"{self.base_url}/compute/v1/{key.path}"

    def self_link_of_path(self, path: str) -> str:
        """Full URL of a partial path such as `projects/p/global/urlMaps`."""
        return f"{self.base_url}/compute/v1/{path}"

    def scope_link(self, project: str, scope: str) -> str:
        """Full URL of a scope, e.g. a zone."""
        return f"{self.base_url}/compute/v1/projects/{project}/{scope}"

    def new_id(self) -> str:
        """A unique numeric id (uint64 as a decimal string, like Compute)."""
        return str(1_000_000_000_000_000 + next(self._ids) * 7919 + self._random.randrange(7919))

    def new_fingerprint(self, resource: Resource) -> str:
        """A fresh fingerprint (changes on every write, even without content change)."""
        digest = hashlib.sha256(
            json.dumps(resource, sort_keys=True, default=str).encode() + self.new_id().encode()
        ).digest()
        return base64.b64encode(digest[:8]).decode()

    def allocate_public_ip(self) -> str:
        """Next free address of the public pool."""
        used = {r.get("address") for k, r in self.resources.items() if k.collection == "addresses"}
        used |= {r.get("IPAddress") for k, r in self.resources.items() if k.collection == "forwardingRules"}
        return next(ip for ip in self._public_ips if ip not in used)

    def allocate_internal_ip(self) -> str:
        """Next address of the internal (VPC) pool."""
        return next(self._internal_ips)

    # --- resources -------------------------------------------------------------------------------

    def get(self, key: ResourceKey) -> Resource:
        """The stored resource, or 404."""
        resource = self.resources.get(key)
        if resource is None:
            raise not_found(key.path)
        return resource

    def list(self, project: str, scope: str, collection: str) -> list[Resource]:
        """Resources of one collection in one scope, ordered by name."""
        keys = sorted(
            k for k in self.resources if (k.project, k.scope, k.collection) == (project, scope, collection)
        )
        return [self.resources[k] for k in keys]

    def references_of(self, key: ResourceKey, resource: Resource) -> Iterator[tuple[str, ResourceKey]]:
        """(field path, referenced key) for every reference the resource holds."""
        for reference_field in KINDS[key.collection].references:
            for slot in iter_slots(resource, reference_field.path):
                target = parse_reference(str(slot.value), key.project)
                if target is not None:
                    yield slot.field_path, target

    def referrers(self, target: ResourceKey) -> builtins.list[ResourceKey]:  # `list` here is the method
        """Keys of resources that reference `target`."""
        return sorted(
            key
            for key, resource in self.resources.items()
            if any(ref == target for _, ref in self.references_of(key, resource))
        )

    def snapshot(self) -> Resource:
        """Deep copy of every resource, keyed by partial path (for inventories)."""
        with self.lock:
            return {key.path: copy.deepcopy(self.resources[key]) for key in sorted(self.resources)}

    # --- operations ------------------------------------------------------------------------------

    def add_operation(self, record: OperationRecord) -> OperationRecord:
        """Store an operation (created now, by the settings' clock) and return it."""
        record.created = self.settings.clock()
        self.operations[record.key] = record
        return record

    def operation_status(self, record: OperationRecord) -> str:
        """PENDING before the first poll, then RUNNING, then DONE as the settings say."""
        settings = self.settings
        if record.forced_done or (settings.polls_to_done is None and settings.delay_seconds is None):
            return "DONE"
        if settings.polls_to_done is not None and record.polls >= settings.polls_to_done:
            return "DONE"
        if settings.delay_seconds is not None and settings.clock() - record.created >= settings.delay_seconds:
            return "DONE"
        return "PENDING" if record.polls == 0 else "RUNNING"

    def render_operation(self, record: OperationRecord) -> dict[str, Any]:
        """The operation as the API returns it."""
        status = self.operation_status(record)
        body = dict(record.body)
        body["status"] = status
        body["progress"] = 100 if status == "DONE" else (0 if status == "PENDING" else 50)
        if status != "PENDING":
            body.setdefault("startTime", body["insertTime"])
        if status == "DONE":
            if "endTime" not in record.body:
                record.body["endTime"] = timestamp()
            body["endTime"] = record.body["endTime"]
            if record.error is not None:
                body.update(record.error.operation_fields())
        return body


def _ip_iterator(network: str) -> Iterator[str]:
    for host in ipaddress.ip_network(network).hosts():
        if host.packed[-1] not in (0, 1, 255):
            yield str(host)
