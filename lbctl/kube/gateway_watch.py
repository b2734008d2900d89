"""Gateway API kinds, watched only while the API server serves them.

Users install the Gateway API CRDs themselves, before or after lbctl, and may remove them. Each Gateway API kind
is watched through a `CrdGatedInformer`: a targeted watch of that kind's one CustomResourceDefinition (a
`metadata.name` field selector, so a cluster with thousands of CRDs costs nothing more) says whether the kind is
served — the CRD exists, is `Established`, and serves the version lbctl reads — and the kind's own informer runs
only then. Before a CRD appears, or after it is gone, the kind reads as "no objects" without any request for it
(no 404 retry loop). The CRD's `gateway.networking.k8s.io/bundle-version` annotation is kept for the
GatewayClass `SupportedVersion` condition.

A CRD being deleted still serves its kind while the API server deletes its objects (their finalizers, ours
included, are honoured), so the Gateways go through the ordinary deletion path before the kind stops."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from kubernetes import client

from lbctl.kube.informer import CachedObject, Handler, Informer, object_key
from lbctl.kube.resources import WatchedResource, resource_for
from lbctl.model.kinds import Kind

log = logging.getLogger("lbctl.informer")

CUSTOM_RESOURCE_DEFINITION = Kind(
    "CustomResourceDefinition", "apiextensions.k8s.io/v1", "customresourcedefinitions", namespaced=False
)
BUNDLE_VERSION = "gateway.networking.k8s.io/bundle-version"


def crd_name(kind: Kind) -> str:
    """The name of the CRD that serves `kind` (`<plural>.<group>`)."""
    return f"{kind.plural}.{kind.group}"


def strip_crd(raw: dict[str, Any]) -> dict[str, Any]:
    """A CRD reduced to what decides whether its kind is served (the schemas are most of its size)."""
    meta = raw.get("metadata") or {}
    spec = raw.get("spec") or {}
    status = raw.get("status") or {}
    annotations = meta.get("annotations") or {}
    return {
        "apiVersion": raw.get("apiVersion", CUSTOM_RESOURCE_DEFINITION.api_version),
        "kind": CUSTOM_RESOURCE_DEFINITION.kind,
        "metadata": {
            **{k: meta[k] for k in ("name", "uid", "resourceVersion", "deletionTimestamp") if k in meta},
            "annotations": {k: v for k, v in annotations.items() if k == BUNDLE_VERSION},
        },
        "spec": {
            "group": spec.get("group"),
            "versions": [
                {"name": v.get("name"), "served": v.get("served")}
                for v in spec.get("versions") or []
                if isinstance(v, dict)
            ],
        },
        "status": {
            "conditions": [
                {"type": c.get("type"), "status": c.get("status")}
                for c in status.get("conditions") or []
                if isinstance(c, dict)
            ]
        },
    }


def serves(crd: dict[str, Any], version: str) -> bool:
    """The (stripped) CRD is Established and serves `version`."""
    established = any(
        c.get("type") == "Established" and c.get("status") == "True"
        for c in (crd.get("status") or {}).get("conditions") or []
    )
    served = any(
        v.get("name") == version and v.get("served") for v in (crd.get("spec") or {}).get("versions") or []
    )
    return established and served


def crd_resource(api_client: client.ApiClient) -> WatchedResource:
    """CustomResourceDefinitions, cached stripped and never parsed by the model."""
    resource = resource_for(api_client, CUSTOM_RESOURCE_DEFINITION)
    return WatchedResource(
        resource.kind,
        resource.api_version,
        resource.list_all,
        None,
        strip=strip_crd,
        parse=lambda raw: (),
    )


class _GatedSynced:
    """`synced` of a gated informer: its CRD's first list is done, and, when the kind is served, its own."""

    def __init__(self, gated: CrdGatedInformer) -> None:
        self.gated = gated

    def is_set(self) -> bool:
        inner = self.gated.inner
        return self.gated.crd.synced.is_set() and (inner is None or inner.synced.is_set())

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        if not self.gated.crd.synced.wait(left()):
            return False
        while True:
            inner = self.gated.inner
            if inner is None:
                return True
            remaining = left()
            # the kind may stop (or start again) meanwhile: look at the current informer now and then
            if inner.synced.wait(1.0 if remaining is None else min(1.0, remaining)):
                return True
            if remaining is not None and remaining <= 0:
                return False


class CrdGatedInformer:
    """Looks like an Informer to the controller (kind/items/get/generation/synced/start/stop); its kind is
    listed and watched only while its CRD serves it. `on_crd_change` is called when the kind starts or stops
    being served or its CRD's bundle version changes (what the GatewayClass status reports)."""

    def __init__(
        self,
        api_client: client.ApiClient,
        kind: Kind,
        namespace: str | None = None,
        handler: Handler | None = None,
        watch_timeout: int = 300,
        on_crd_change: Callable[[], None] | None = None,
    ) -> None:
        self.resource = resource_for(api_client, kind)
        self.kind = kind.kind
        self.version = kind.version
        self.namespace = namespace
        self.handler = handler
        self.watch_timeout = watch_timeout
        self.on_crd_change = on_crd_change
        self.crd_name = crd_name(kind)
        self.crd = Informer(
            crd_resource(api_client), None, self._crd_changed, watch_timeout=watch_timeout, name=self.crd_name
        )
        self.inner: Informer | None = None
        self.synced = _GatedSynced(self)
        self.relists = 0
        self._base = 0  # generations of informers run before (so `generation` only ever grows)
        self._lock = threading.Lock()
        self._stopped = False

    # ----------------------------------------------------------------- informer interface

    @property
    def generation(self) -> int:
        inner = self.inner
        return self._base + self.crd.generation + (inner.generation if inner is not None else 0)

    @property
    def served(self) -> bool:
        return self.inner is not None

    def items(self) -> list[CachedObject]:
        inner = self.inner
        return inner.items() if inner is not None else []

    def get(self, key: str) -> CachedObject | None:
        inner = self.inner
        return inner.get(key) if inner is not None else None

    def start(self) -> CrdGatedInformer:
        self.crd.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            inner, self.inner = self.inner, None
        self.crd.stop()
        if inner is not None:
            inner.stop()

    def bundle_version(self) -> str | None:
        """The installed CRD's `gateway.networking.k8s.io/bundle-version` (None: not served, or not said)."""
        cached = self.crd.get(self.crd_name)
        if cached is None or self.inner is None:
            return None
        value = ((cached.raw.get("metadata") or {}).get("annotations") or {}).get(BUNDLE_VERSION)
        return str(value) if value else None

    # ----------------------------------------------------------------- the CRD watch

    def _crd_changed(self, kind: str, key: str, old: CachedObject | None, new: CachedObject | None) -> None:
        wanted = new is not None and serves(new.raw, self.version)
        changed = _bundle(old) != _bundle(new)
        with self._lock:
            if self._stopped:
                return
            started = wanted and self.inner is None
            stopping = self.inner if not wanted and self.inner is not None else None
            if started:
                self.inner = Informer(
                    self.resource, self.namespace, self.handler, watch_timeout=self.watch_timeout
                )
            if stopping is not None:
                self.inner = None
                self._base += stopping.generation + 1
        if started and self.inner is not None:
            log.info("Gateway API kind served; watching it", extra={"kind": self.kind})
            self.inner.start(list_first=True)  # handlers see every object as added
        if stopping is not None:
            log.info("Gateway API kind no longer served; forgetting it", extra={"kind": self.kind})
            stopping.stop()
            if self.handler is not None:
                for cached in stopping.items():  # what the kind held is gone with it
                    self.handler(self.kind, object_key(cached.raw), cached, None)
        if (started or stopping is not None or changed) and self.on_crd_change is not None:
            self.on_crd_change()


def _bundle(cached: CachedObject | None) -> str | None:
    if cached is None:
        return None
    return ((cached.raw.get("metadata") or {}).get("annotations") or {}).get(BUNDLE_VERSION)


def gated_informers(
    api_client: client.ApiClient,
    kinds: Iterable[Kind],
    namespace: str | None,
    handler: Handler,
    watch_timeout: int,
    on_crd_change: Callable[[], None],
) -> dict[str, CrdGatedInformer]:
    """One gated informer per kind (cluster-scoped kinds are watched cluster-wide whatever `namespace`)."""
    return {
        kind.kind: CrdGatedInformer(
            api_client,
            kind,
            namespace if kind.namespaced else None,
            handler,
            watch_timeout=watch_timeout,
            on_crd_change=on_crd_change,
        )
        for kind in kinds
    }
