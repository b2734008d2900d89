"""Kubernetes Events and status/finalizer writes on Ingresses."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("lbctl.events")

COMPONENT = "lbctl"
FINALIZER = "lbctl.io/load-balancer"


class EventRecorder:
    """Creates core/v1 Events on Ingresses, correlated the way Kubernetes' own recorder does: a repeat of the
    same (object, type, reason, message) — or of the same `series`, for a message carrying a part that changes
    every time such as "will retry in 40s" — increments `count` and `lastTimestamp` of the one Event (with the
    newest message) instead of creating another, so a retry loop shows as one Event with a growing count."""

    def __init__(self, api_client: client.ApiClient, cache_size: int = 4096) -> None:
        self.core = client.CoreV1Api(api_client)
        self.cache_size = cache_size
        self._series: OrderedDict[tuple[str, ...], _Series] = OrderedDict()
        self._lock = threading.Lock()
        self.emitted: list[
            tuple[str, str, str, str]
        ] = []  # (ingress key, type, reason, message), every record

    def record(
        self,
        namespace: str,
        name: str,
        uid: str,
        event_type: str,
        reason: str,
        message: str,
        series: str | None = None,
        involved: tuple[str, str] = ("networking.k8s.io/v1", "Ingress"),
    ) -> None:
        """Report `message` on the object (`involved`: its apiVersion and kind, an Ingress unless said);
        `series` (default: the message) is what makes two reports the same Event."""
        message = message[:1024]
        key = (namespace, name, uid, event_type, reason, series if series is not None else message)
        with self._lock:
            self.emitted.append((f"{namespace}/{name}", event_type, reason, message))
            known = self._series.get(key)
            if known is None:
                known = self._series[key] = _Series()
                while len(self._series) > self.cache_size:
                    self._series.popitem(last=False)
            else:
                self._series.move_to_end(key)
            known.count += 1
            count, event_name = known.count, known.name
        stamp = dt.datetime.now(dt.UTC).isoformat()
        if event_name is not None:
            patch = {"count": count, "lastTimestamp": stamp, "message": message}
            try:
                self.core.patch_namespaced_event(event_name, namespace, patch)
                return
            except ApiException as err:
                if err.status != 404:  # gone (expired): create it again below
                    log.warning(
                        "could not update event",
                        extra={"key": f"{namespace}/{name}", "reason": reason, "status": err.status},
                    )
                    return
            except Exception as err:  # the API unreachable: Events are best effort
                log.warning(
                    "could not update event", extra={"key": f"{namespace}/{name}", "error": str(err)[:200]}
                )
                return
        body = {
            "metadata": {"generateName": f"{name}.", "namespace": namespace},
            "involvedObject": {
                "apiVersion": involved[0],
                "kind": involved[1],
                "name": name,
                "namespace": namespace,
                "uid": uid,
            },
            "type": event_type,
            "reason": reason,
            "message": message,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": count,
        }
        try:
            # The client serializes a plain dict body as it is; its hint names only the model class.
            created = self.core.create_namespaced_event(namespace, body)  # type: ignore[arg-type]
        except ApiException as err:
            log.warning(
                "could not record event",
                extra={"key": f"{namespace}/{name}", "reason": reason, "status": err.status},
            )
            return
        except Exception as err:  # the API unreachable: Events are best effort
            log.warning(
                "could not record event", extra={"key": f"{namespace}/{name}", "error": str(err)[:200]}
            )
            return
        with self._lock:
            if key in self._series:
                self._series[key].name = created.metadata.name


@dataclass
class _Series:
    count: int = 0
    name: str | None = None  # the Event's name once created


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

    def set_finalizers(
        self,
        namespace: str,
        name: str,
        finalizers: list[str],
        resource_version: str,
        annotations: dict[str, str | None] | None = None,
    ) -> None:
        """Replace the finalizer list (and change these annotations in the same patch). A JSON merge patch,
        because a strategic merge patch merges `metadata.finalizers` and so could never remove one."""
        body: dict[str, Any] = {
            "metadata": {"finalizers": finalizers or None, "resourceVersion": resource_version}
        }
        if annotations:
            body["metadata"]["annotations"] = annotations
        self.api.patch_namespaced_ingress(name, namespace, body, _content_type="application/merge-patch+json")

    def set_annotations(self, namespace: str, name: str, changes: dict[str, str | None]) -> None:
        """Set (or, for None, remove) these annotations and leave the others alone (a JSON merge patch)."""
        body = {"metadata": {"annotations": changes}}
        self.api.patch_namespaced_ingress(name, namespace, body, _content_type="application/merge-patch+json")

    def set_address(self, namespace: str, name: str, address: str | None, extra: Sequence[str] = ()) -> None:
        """status.loadBalancer.ingress: `address`, then the `extra` ones (none without `address`)."""
        entries = [status_entry(x) for x in (address, *extra) if x] if address else []
        self.api.patch_namespaced_ingress_status(
            name, namespace, {"status": {"loadBalancer": {"ingress": entries}}}
        )
