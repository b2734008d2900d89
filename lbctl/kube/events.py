"""Kubernetes Events and status/finalizer writes on Ingresses."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import threading
import time
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("lbctl.events")

COMPONENT = "lbctl"
FINALIZER = "lbctl.io/load-balancer"


class EventRecorder:
    """Creates core/v1 Events on Ingresses; the same (object, reason, message) is not repeated within
    `dedupe_seconds`, so a failing reconcile loop does not flood the API."""

    def __init__(self, api_client: client.ApiClient, dedupe_seconds: float = 600.0) -> None:
        self.core = client.CoreV1Api(api_client)
        self.dedupe_seconds = dedupe_seconds
        self._recent: dict[tuple[str, str, str, str], float] = {}
        self._lock = threading.Lock()
        self.emitted: list[tuple[str, str, str, str]] = []  # (ingress key, type, reason, message)

    def record(self, namespace: str, name: str, uid: str, event_type: str, reason: str, message: str) -> None:
        key = (f"{namespace}/{name}", event_type, reason, message)
        now = time.monotonic()
        with self._lock:
            last = self._recent.get(key)
            if last is not None and now - last < self.dedupe_seconds:
                return
            self._recent[key] = now
            self.emitted.append(key)
        stamp = dt.datetime.now(dt.UTC)
        body = {
            "metadata": {"generateName": f"{name}.", "namespace": namespace},
            "involvedObject": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": name,
                               "namespace": namespace, "uid": uid},  # fmt: skip
            "type": event_type,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "firstTimestamp": stamp.isoformat(),
            "lastTimestamp": stamp.isoformat(),
            "count": 1,
        }
        try:
            self.core.create_namespaced_event(namespace, body)
        except ApiException as err:
            log.warning("could not record event", extra={"key": key[0], "reason": reason, "status": err.status})


def status_entry(address: str) -> dict[str, str]:
    """`{"ip": …}` for an address, `{"hostname": …}` for a DNS name."""
    try:
        ipaddress.ip_address(address)
        return {"ip": address}
    except ValueError:
        return {"hostname": address}


class IngressWriter:
    """Finalizer and status writes, guarded by resourceVersion so a stale cache gets a 409, not a lost write."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api = client.NetworkingV1Api(api_client)

    def set_finalizers(self, namespace: str, name: str, finalizers: list[str], resource_version: str) -> None:
        """Replace the finalizer list. A JSON merge patch, because a strategic merge patch merges
        `metadata.finalizers` and so could never remove one."""
        body: dict[str, Any] = {"metadata": {"finalizers": finalizers or None, "resourceVersion": resource_version}}
        self.api.patch_namespaced_ingress(name, namespace, body, _content_type="application/merge-patch+json")

    def set_address(self, namespace: str, name: str, address: str | None) -> None:
        entries = [status_entry(address)] if address else []
        self.api.patch_namespaced_ingress_status(name, namespace, {"status": {"loadBalancer": {"ingress": entries}}})
