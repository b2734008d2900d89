"""List+watch informers with a local cache of parsed objects.

One thread per informer: list, then watch from the list's resourceVersion; on 410 Gone re-list
(diffing against the cache so handlers see the missed changes); on other failures reconnect with
capped exponential backoff, keeping the resourceVersion. `synced` is set after the first list.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from lbctl.kube.resources import WatchedResource
from lbctl.model.problems import SpecError
from lbctl.model.snapshot import ClusterSnapshot, parse_object

log = logging.getLogger("lbctl.informer")

# handler(kind, key, old, new): old/new are CachedObjects or None (added / deleted)
Handler = Callable[[str, str, "CachedObject | None", "CachedObject | None"], None]


@dataclass(frozen=True)
class CachedObject:
    """An object as last seen: raw API dict, its parsed form(s) or the parse problem."""

    raw: dict[str, Any]
    parsed: tuple[Any, ...]
    error: SpecError | None

    @property
    def resource_version(self) -> str:
        return str(self.raw.get("metadata", {}).get("resourceVersion", ""))


def object_key(raw: dict[str, Any]) -> str:
    meta = raw.get("metadata", {})
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def list_objects(
    resource: WatchedResource, namespace: str | None = None, name: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """One list call: the raw objects (with kind/apiVersion filled in, as list items lack them) and the
    list's resourceVersion."""
    response = resource.lister(namespace, name)(_preload_content=False)
    body = json.loads(response.data)
    items = body.get("items") or []
    for raw in items:
        raw.setdefault("kind", resource.kind)
        raw.setdefault("apiVersion", resource.api_version)
    return items, str(body.get("metadata", {}).get("resourceVersion", ""))


def read_snapshot(resources: list[WatchedResource], namespace: str | None = None) -> ClusterSnapshot:
    """A one-off snapshot (no watch) for commands like `lbctl describe`; unparseable objects are skipped."""
    snapshot = ClusterSnapshot()
    for resource in resources:
        try:
            raws, _ = list_objects(resource, namespace)
        except ApiException as err:
            if err.status == 404 and resource.optional:
                continue
            raise
        for raw in raws:
            if resource.strip is not None:
                raw = resource.strip(raw)
            try:
                for parsed in parse_object(raw):
                    snapshot.put(parsed)
            except SpecError:
                continue
    return snapshot


class Informer:
    """Keeps a cache of one kind in sync with the API server and calls handlers on changes."""

    def __init__(
        self,
        resource: WatchedResource,
        namespace: str | None = None,
        handler: Handler | None = None,
        watch_timeout: int = 300,
        max_backoff: float = 30.0,
        name: str | None = None,
    ) -> None:
        self.resource = resource
        self.kind = resource.kind
        self.namespace = namespace
        self.name = name  # watch this one object only (within `namespace`)
        self._lister = resource.lister(namespace, name)
        self.handler = handler
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self.synced = threading.Event()
        self.relists = 0
        self.generation = 0  # bumped on every change of the cache (lets readers reuse what they built)
        self._cache: dict[str, CachedObject] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._watch: watch.Watch | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- cache access

    def items(self) -> list[CachedObject]:
        with self._lock:
            return list(self._cache.values())

    def get(self, key: str) -> CachedObject | None:
        with self._lock:
            return self._cache.get(key)

    # ----------------------------------------------------------------- lifecycle

    def start(self, list_first: bool = False) -> Informer:
        """Start the list+watch thread; with `list_first`, the first list runs in the calling thread, so the
        cache holds the object(s) when this returns (unless that list failed: the thread then retries)."""
        resource_version = None
        if list_first:
            try:
                resource_version = self._list()
                self.synced.set()
            except Exception as err:
                log.warning(
                    "list failed; retrying in the background",
                    extra={"kind": self.kind, "reason": f"{type(err).__name__}"},
                )
        self._thread = threading.Thread(
            target=self._run, args=(resource_version,), name=f"informer-{self.kind}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()

    def _run(self, resource_version: str | None = None) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if resource_version is None:
                    resource_version = self._list()
                    self.synced.set()
                resource_version = self._watch_from(resource_version)
                failures = 0
            except ApiException as err:
                if err.status == 410:
                    log.info("watch expired; re-listing", extra={"kind": self.kind})
                    resource_version = None
                    self.relists += 1
                    continue
                if err.status == 404 and self.resource.optional:
                    self._replace({})  # CRD not installed: no objects
                    self.synced.set()
                failures += 1
                self._backoff(failures, f"API error {err.status}")
            except Exception as err:  # connection resets, timeouts, server restarts
                if self._stop.is_set():
                    return  # the stream was cut because we are stopping
                failures += 1
                self._backoff(failures, f"{type(err).__name__}: {err}")

    def _backoff(self, failures: int, reason: str) -> None:
        delay = min(self.max_backoff, 0.2 * 2 ** min(failures, 10)) * random.uniform(0.5, 1.0)
        log.warning(
            "list/watch failed; retrying", extra={"kind": self.kind, "reason": reason, "delay": delay}
        )
        self._stop.wait(delay)

    # ----------------------------------------------------------------- list and watch

    def _list(self) -> str:
        raws, resource_version = list_objects(self.resource, self.namespace, self.name)
        self._replace({object_key(raw): self._parse(raw) for raw in raws})
        return resource_version

    def _replace(self, items: dict[str, CachedObject]) -> None:
        with self._lock:
            old = self._cache
            self._cache = items
            self.generation += 1
        for key, new in items.items():
            before = old.get(key)
            if before is None or before.resource_version != new.resource_version:
                self._notify(key, before, new)
        for key, before in old.items():
            if key not in items:
                self._notify(key, before, None)

    def _watch_from(self, resource_version: str) -> str:
        # Events stay plain dicts: typed deserialisation fails on an object the client models reject (e.g. an
        # annotation value that is not a string), and re-watching from the same version would fail forever.
        self._watch = watch.Watch(return_type="object")
        stream = self._watch.stream(
            self._lister,
            resource_version=resource_version,
            timeout_seconds=self.watch_timeout,
            allow_watch_bookmarks=True,
        )
        for event in stream:
            if self._stop.is_set():
                break
            raw = event.get("raw_object") or {}
            kind = event.get("type")
            version = str(raw.get("metadata", {}).get("resourceVersion", "")) or resource_version
            if kind == "BOOKMARK":
                resource_version = version
                continue
            if kind == "ERROR":
                code = raw.get("code")
                raise ApiException(status=code or 500, reason=str(raw.get("message", "watch error")))
            raw.setdefault("kind", self.kind)
            raw.setdefault("apiVersion", self.resource.api_version)
            key = object_key(raw)
            with self._lock:
                before = self._cache.get(key)
                if kind == "DELETED":
                    self._cache.pop(key, None)
                    after = None
                else:
                    after = self._parse(raw)
                    self._cache[key] = after
                self.generation += 1
            self._notify(key, before, after)
            resource_version = version
        return resource_version

    def _parse(self, raw: dict[str, Any]) -> CachedObject:
        if self.resource.strip is not None:
            raw = self.resource.strip(raw)
        parse = self.resource.parse or parse_object
        try:
            return CachedObject(raw, tuple(parse(raw)), None)
        except SpecError as err:
            return CachedObject(raw, (), err)

    def _notify(self, key: str, old: CachedObject | None, new: CachedObject | None) -> None:
        if self.handler is None:
            return
        try:
            self.handler(self.kind, key, old, new)
        except Exception:
            log.exception("event handler failed", extra={"kind": self.kind, "object": key})
