"""The EndpointSlice controller: for each Service with a selector, slices of its pods' endpoints, grouped by
resolved port set, at most `max_endpoints` per slice. Only slices labelled as managed by this controller are
touched; slices anyone else writes stay as they are."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

from .common import (
    Context,
    Obj,
    map_selector_matches,
    meta,
    name,
    namespace,
    owned_by,
    owner_reference,
    pod_ready,
)

SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
ZONE = "topology.kubernetes.io/zone"


def _container_port(pod: Obj, port_name: str, protocol: str) -> int | None:
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == port_name and port.get("protocol", "TCP") == protocol:
                return int(port["containerPort"])
    return None


def endpoint_ports(service: Obj, pod: Obj) -> tuple[tuple[str, int, str, str | None], ...]:
    """(name, port, protocol, appProtocol) of each Service port this pod serves (named targetPorts resolved)."""
    ports = []
    for port in (service.get("spec") or {}).get("ports") or []:
        target, protocol = port.get("targetPort", port.get("port")), port.get("protocol", "TCP")
        number = _container_port(pod, target, protocol) if isinstance(target, str) else target
        if number is not None:
            ports.append((port.get("name", ""), int(number), protocol, port.get("appProtocol")))
    return tuple(ports)


def _endpoint(service: Obj, pod: Obj, zones: dict[str, str]) -> Obj:
    terminating = bool(meta(pod).get("deletionTimestamp"))
    serving = pod_ready(pod)
    publish = bool((service.get("spec") or {}).get("publishNotReadyAddresses"))
    ready = publish if terminating else (publish or serving)
    endpoint: Obj = {
        "addresses": [(pod.get("status") or {})["podIP"]],
        "conditions": {"ready": ready, "serving": serving, "terminating": terminating},
        "targetRef": {
            "kind": "Pod",
            "namespace": namespace(pod),
            "name": name(pod),
            "uid": meta(pod).get("uid"),
        },
    }
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == name(service):
        endpoint["hostname"] = spec["hostname"]
    if spec.get("nodeName"):
        endpoint["nodeName"] = spec["nodeName"]
        if zones.get(spec["nodeName"]):
            endpoint["zone"] = zones[spec["nodeName"]]
    return endpoint


def _port_list(ports: tuple[tuple[str, int, str, str | None], ...]) -> list[Obj]:
    listed = []
    for port_name, number, protocol, app_protocol in ports:
        entry: Obj = {"name": port_name, "port": number, "protocol": protocol}
        if app_protocol:
            entry["appProtocol"] = app_protocol
        listed.append(entry)
    return listed


def _ports_key(slice_: Obj) -> str:
    return json.dumps(slice_.get("ports") or [], sort_keys=True)


class EndpointSlices:
    def __init__(self, max_endpoints: int = 100) -> None:
        self.max_endpoints = max_endpoints

    def sync(
        self, ctx: Context, services: list[Obj], pods: list[Obj], slices: list[Obj], nodes: list[Obj]
    ) -> None:
        zones = {name(n): (meta(n).get("labels") or {}).get(ZONE, "") for n in nodes}
        managed = [s for s in slices if (meta(s).get("labels") or {}).get(MANAGED_BY) == CONTROLLER]
        for service in services:
            spec = service.get("spec") or {}
            if (
                not spec.get("selector")
                or spec.get("type") == "ExternalName"
                or meta(service).get("deletionTimestamp")
            ):
                continue
            selected = [
                p
                for p in pods
                if namespace(p) == namespace(service)
                and map_selector_matches(spec["selector"], meta(p).get("labels"))
                and (p.get("status") or {}).get("podIP")
                and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            ]
            self._sync_service(ctx, service, selected, owned_by(managed, service), zones)

    def _sync_service(
        self, ctx: Context, service: Obj, pods: list[Obj], existing: list[Obj], zones: dict[str, str]
    ) -> None:
        groups: dict[str, list[Obj]] = defaultdict(list)
        for pod in sorted(pods, key=name):
            ports = endpoint_ports(service, pod)
            groups[json.dumps(_port_list(ports), sort_keys=True)].append(_endpoint(service, pod, zones))
        if not groups:
            groups[json.dumps([])] = []  # one placeholder slice, as the real controller keeps
        existing = sorted(existing, key=name)
        used: set[str] = set()
        for ports_key, endpoints in groups.items():
            candidates = [s for s in existing if _ports_key(s) == ports_key and name(s) not in used]
            placed: dict[str, list[Obj]] = {name(s): [] for s in candidates}
            homeless = []
            where = {
                e["targetRef"]["uid"]: name(s)
                for s in candidates
                for e in s.get("endpoints") or []
                if e.get("targetRef")
            }
            for endpoint in endpoints:  # an endpoint stays in the slice that has it, so slices churn little
                home = where.get(endpoint["targetRef"]["uid"])
                if home is not None and len(placed[home]) < self.max_endpoints:
                    placed[home].append(endpoint)
                else:
                    homeless.append(endpoint)
            for members in placed.values():
                room = self.max_endpoints - len(members)
                members.extend(homeless[:room])
                del homeless[:room]
            keep = [c for c in candidates if placed[name(c)]]
            if not endpoints and candidates:  # the placeholder: keep the first slice, emptied
                keep = candidates[:1]
            for candidate in keep:
                used.add(name(candidate))
                self._write(ctx, service, json.loads(ports_key), placed[name(candidate)], candidate)
            if not endpoints and not candidates:
                self._write(ctx, service, json.loads(ports_key), [], None)
            while homeless:
                chunk, homeless = homeless[: self.max_endpoints], homeless[self.max_endpoints :]
                self._write(ctx, service, json.loads(ports_key), chunk, None)
        for stale in existing:
            if name(stale) not in used:
                ctx.delete("endpointslices", stale)

    def _write(
        self, ctx: Context, service: Obj, ports: list[Obj], endpoints: list[Obj], current: Obj | None
    ) -> None:
        labels = {
            k: v
            for k, v in (meta(service).get("labels") or {}).items()
            if k not in (SERVICE_NAME, MANAGED_BY)
        }
        labels.update({SERVICE_NAME: name(service), MANAGED_BY: CONTROLLER})
        if (service.get("spec") or {}).get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        body: dict[str, Any] = {
            "addressType": "IPv4",
            "ports": ports,
            "endpoints": sorted(endpoints, key=lambda e: e["targetRef"]["name"]),
        }
        if current is None:
            body["metadata"] = {
                "generateName": f"{name(service)}-",
                "labels": labels,
                "ownerReferences": [owner_reference(service, ctx.kinds["services"])],
            }
            ctx.create("endpointslices", namespace(service), body)
            return
        updated = copy.deepcopy(current)
        updated.update(body)
        meta(updated)["labels"] = {**(meta(current).get("labels") or {}), **labels}
        ctx.update("endpointslices", updated, current)
