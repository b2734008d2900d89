"""Secrets, read only as needed: one targeted list+watch (a `metadata.name` field selector) per Secret that
a served Ingress group references, started when a reconcile of that group first needs it and stopped when
no group references it any more. Nothing else of the cluster's Secrets is ever requested, and the cache
keeps only the data keys lbctl uses (resources.SECRET_KEYS_USED).

Why not the alternatives: RBAC cannot grant "the Secrets an Ingress names", so a ClusterRole grants
list/watch on Secrets either way; a label selector would make every user label their TLS Secrets (and
silently ignore unlabelled ones); per-namespace Roles need the namespaces known at install time. The
targeted watch keeps the controller's reads and memory to exactly the referenced Secrets, and reacts to a
rotation as fast as a cluster-wide watch (as aws-load-balancer-controller does)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from lbctl.kube.informer import CachedObject, Handler, Informer
from lbctl.kube.resources import WatchedResource

log = logging.getLogger("lbctl.secrets")


class SecretWatches:
    """Looks like an Informer to the controller (items/get/generation/synced/start/stop); `track` says
    which Secrets ("namespace/name") a stack needs."""

    def __init__(
        self,
        resource: WatchedResource,
        namespace: str | None = None,
        handler: Handler | None = None,
        watch_timeout: int = 300,
        prime_timeout: float = 10.0,
    ) -> None:
        self.resource = resource
        self.kind = resource.kind
        self.namespace = namespace
        self.handler = handler
        self.watch_timeout = watch_timeout
        self.prime_timeout = prime_timeout
        self.synced = threading.Event()
        self.synced.set()  # nothing to list up front: each Secret is listed when a reconcile first needs it
        self._watches: dict[str, Informer] = {}
        self._needed_by: dict[str, frozenset[str]] = {}  # stack → Secrets it references
        self._lock = threading.Lock()
        self._generation = 0
        self._stopped = False
        self._priming: set[str] = (
            set()
        )  # first lists under way: the reconcile that started them reads the cache

    @property
    def generation(self) -> int:
        return self._generation

    def items(self) -> list[CachedObject]:
        with self._lock:
            watches = list(self._watches.values())
        return [c for w in watches for c in w.items()]

    def get(self, key: str) -> CachedObject | None:
        with self._lock:
            watch = self._watches.get(key)
        return watch.get(key) if watch is not None else None

    def watched(self) -> set[str]:
        with self._lock:
            return set(self._watches)

    def stacks_using(self, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        with self._lock:
            return {stack for stack, needed in self._needed_by.items() if needed & wanted}

    def start(self) -> SecretWatches:
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            watches = list(self._watches.values())
            self._watches.clear()
        for watch in watches:
            watch.stop()

    def track(self, stack: str, secrets: Iterable[str]) -> None:
        """`stack` needs these Secrets now: watch the new ones (their first list done before this returns,
        or after `prime_timeout` if the API server does not answer) and stop watching unreferenced ones."""
        needed = frozenset(
            s for s in secrets if self.namespace is None or s.split("/", 1)[0] == self.namespace
        )
        with self._lock:
            if self._stopped:
                return
            if needed:
                self._needed_by[stack] = needed
            else:
                self._needed_by.pop(stack, None)
            wanted = frozenset().union(*self._needed_by.values())
            started = {key: self._new_watch(key) for key in wanted - set(self._watches)}
            stopped = [self._watches.pop(key) for key in set(self._watches) - wanted]
            self._watches.update(started)
            self._priming |= set(started)
            if started or stopped:
                self._generation += 1
        for watch in stopped:
            watch.stop()
        for key, watch in started.items():
            watch.start(list_first=True)
            with self._lock:
                self._priming.discard(key)
        with self._lock:
            waiting = [self._watches[key] for key in needed if key in self._watches]
        for watch in waiting:  # started by another worker a moment ago: wait for its first list
            if not watch.synced.wait(self.prime_timeout):
                log.warning("Secret not listed yet", extra={"object": f"{watch.namespace}/{watch.name}"})

    def _new_watch(self, key: str) -> Informer:
        namespace, _, name = key.partition("/")
        return Informer(self.resource, namespace, self._changed, watch_timeout=self.watch_timeout, name=name)

    def _changed(self, kind: str, key: str, old: CachedObject | None, new: CachedObject | None) -> None:
        with self._lock:
            self._generation += 1
            priming = key in self._priming
        if self.handler is not None and not priming:
            self.handler(kind, key, old, new)
