"""The legacy Endpoints controller: one `Endpoints` per Service with a selector (same name), ready pods under
`addresses`, the others under `notReadyAddresses`, terminating pods left out. The ones it writes carry
`endpointslice.kubernetes.io/skip-mirror`, as the real controller marks them; no other Endpoints is touched."""

from __future__ import annotations

import copy
import json
from typing import Any

from .common import Context, Obj, map_selector_matches, meta, name, namespace, pod_ready
from .endpointslices import endpoint_ports

SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def _address(pod: Obj) -> Obj:
    address: Obj = {
        "ip": (pod.get("status") or {})["podIP"],
        "targetRef": {
            "kind": "Pod",
            "namespace": namespace(pod),
            "name": name(pod),
            "uid": meta(pod).get("uid"),
        },
    }
    if (pod.get("spec") or {}).get("nodeName"):
        address["nodeName"] = pod["spec"]["nodeName"]
    return address


class EndpointsController:
    def sync(self, ctx: Context, services: list[Obj], pods: list[Obj], endpoints: list[Obj]) -> None:
        existing = {(namespace(e), name(e)): e for e in endpoints}
        wanted: set[tuple[str, str]] = set()
        for service in services:
            spec = service.get("spec") or {}
            if (
                not spec.get("selector")
                or spec.get("type") == "ExternalName"
                or meta(service).get("deletionTimestamp")
            ):
                continue
            key = (namespace(service), name(service))
            wanted.add(key)
            self._sync_one(ctx, service, pods, existing.get(key))
        for key, stale in existing.items():
            if key not in wanted and SKIP_MIRROR in (meta(stale).get("labels") or {}):
                ctx.delete("endpoints", stale)

    @staticmethod
    def _sync_one(ctx: Context, service: Obj, pods: list[Obj], current: Obj | None) -> None:
        publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
        subsets: dict[str, Obj] = {}
        for pod in sorted(pods, key=name):
            status = pod.get("status") or {}
            if (
                namespace(pod) != namespace(service)
                or not status.get("podIP")
                or meta(pod).get("deletionTimestamp")
                or status.get("phase") in ("Succeeded", "Failed")
                or not map_selector_matches(service["spec"]["selector"], meta(pod).get("labels"))
            ):
                continue
            ports = [
                {"name": n, "port": p, "protocol": proto} | ({"appProtocol": a} if a else {})
                for n, p, proto, a in endpoint_ports(service, pod)
            ]
            if not ports:
                continue
            subset = subsets.setdefault(json.dumps(ports, sort_keys=True), {"ports": ports})
            bucket = "addresses" if publish or pod_ready(pod) else "notReadyAddresses"
            subset.setdefault(bucket, []).append(_address(pod))
        labels = {k: v for k, v in (meta(service).get("labels") or {}).items()}
        labels[SKIP_MIRROR] = "true"
        body: dict[str, Any] = {"metadata": {"name": name(service), "labels": labels}}
        if subsets:
            body["subsets"] = list(subsets.values())
        if current is None:
            ctx.create("endpoints", namespace(service), body)
            return
        updated = copy.deepcopy(current)
        updated.pop("subsets", None)
        updated.update({k: v for k, v in body.items() if k != "metadata"})
        meta(updated)["labels"] = labels
        ctx.update("endpoints", updated, current)
