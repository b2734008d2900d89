"""Service IP and node port allocation, as the API server's Service REST storage does it.

The allocator keeps an index of what the stored Services hold, updated by the store on every committed
Service change (so a delete releases them, and a dry run or a refused write holds nothing). Dynamic picks come at random from the upper part of each range first, leaving the lower "static band"
to clients that ask for a specific value (Kubernetes' ServiceIPStaticSubrange / ServiceNodePortStaticSubrange).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from .errors import invalid

Obj = dict[str, Any]
Cause = tuple[str, str, str]

DEFAULT_SERVICE_CIDR = "10.96.0.0/12"
DEFAULT_NODE_PORT_RANGE = (30000, 32767)


def _static_band(size: int, low: int, high: int, divisor: int) -> int:
    return min(max(low, size // divisor), high)


def _pick(size: int, band: int, used: Callable[[int], bool], rng: random.Random) -> int | None:
    """A free offset in [0, size): random in the dynamic band [band, size) first, then the static band."""
    for start, end in ((band, size), (0, band)):
        if end <= start:
            continue
        first = rng.randrange(start, end)
        for offset in range(end - start):
            candidate = start + (first - start + offset) % (end - start)
            if not used(candidate):
                return candidate
    return None


def needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None"


def needs_node_ports(spec: Obj) -> bool:
    kind = spec.get("type")
    return kind == "NodePort" or (
        kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def needs_health_check_port(spec: Obj) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


class ServiceAllocator:
    """Assigns `clusterIP(s)`, `nodePort`s and `healthCheckNodePort`; refuses taken or out-of-range values."""

    def __init__(
        self,
        service_cidr: str = DEFAULT_SERVICE_CIDR,
        node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE,
        seed: int | None = None,
    ) -> None:
        self.network = ipaddress.IPv4Network(service_cidr)
        self.node_ports = node_port_range
        self._rng = random.Random(seed)
        self._ip_owner: dict[str, Hashable] = {}  # cluster IP → the (namespace, name) of its Service
        self._port_owner: dict[int, Hashable] = {}  # node port (and health check port) → its Service

    # ---- what is taken ------------------------------------------------------------------------

    @staticmethod
    def _ips_of(service: Obj | None) -> set[str]:
        spec = (service or {}).get("spec") or {}
        return {ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip and ip != "None"}

    @staticmethod
    def _ports_of(service: Obj | None) -> set[int]:
        spec = (service or {}).get("spec") or {}
        ports = {p["nodePort"] for p in spec.get("ports") or [] if isinstance(p, dict) and p.get("nodePort")}
        if spec.get("healthCheckNodePort"):
            ports.add(spec["healthCheckNodePort"])
        return ports

    def record(self, key: Hashable, before: Obj | None, after: Obj | None) -> None:
        """Called by the store for each committed Service change (`after` None: deleted)."""
        _reindex(self._ip_owner, key, self._ips_of(before), self._ips_of(after))
        _reindex(self._port_owner, key, self._ports_of(before), self._ports_of(after))

    # ---- admission ------------------------------------------------------------------------------

    def admit(self, service: Obj, old: Obj | None, key: Hashable) -> None:
        """Fill in and check the allocated fields of `service` (in place); 422 Invalid on a refused value."""
        spec = service.get("spec")
        if not isinstance(spec, dict):
            return
        if old is not None:
            self._keep_previous(spec, old.get("spec") or {})
        name = (service.get("metadata") or {}).get("name", "")
        causes = self._cluster_ips(spec, old.get("spec") if old else None, _Taken(self._ip_owner, key))
        causes += self._node_ports(spec, old.get("spec") if old else None, key)
        if causes:
            raise invalid("Service", "", name, causes)

    @staticmethod
    def _keep_previous(spec: Obj, old: Obj) -> None:
        """An update that omits allocated values keeps them (the API server's patchAllocatedValues)."""
        if spec.get("clusterIP") != old.get("clusterIP") and spec.get("clusterIPs") == old.get("clusterIPs"):
            spec.pop("clusterIPs", None)  # clusterIPs follows a changed clusterIP (normalizeClusterIPs)
        if needs_cluster_ip(old) and needs_cluster_ip(spec):
            if not spec.get("clusterIP"):
                spec["clusterIP"] = old.get("clusterIP")
            if (
                not spec.get("clusterIPs")
                and old.get("clusterIPs")
                and spec["clusterIP"] == old.get("clusterIP")
            ):
                spec["clusterIPs"] = list(old["clusterIPs"])
        if needs_node_ports(old) and needs_node_ports(spec):
            by_name = {
                p.get("name", ""): p.get("nodePort") for p in old.get("ports") or [] if isinstance(p, dict)
            }
            used = {
                p.get("nodePort")
                for p in spec.get("ports") or []
                if isinstance(p, dict) and p.get("nodePort")
            }
            for port in spec.get("ports") or []:
                if isinstance(port, dict) and not port.get("nodePort"):
                    previous = by_name.get(port.get("name", ""))
                    if previous and previous not in used:
                        port["nodePort"] = previous
                        used.add(previous)
        elif old.get("type") in ("NodePort", "LoadBalancer") and spec.get("type") == "ClusterIP":
            # Moving to ClusterIP drops node ports the client left as they were.
            previous = {p.get("nodePort") for p in old.get("ports") or [] if isinstance(p, dict)}
            for port in spec.get("ports") or []:
                if isinstance(port, dict) and port.get("nodePort") in previous:
                    port.pop("nodePort", None)
        if (
            needs_health_check_port(old)
            and needs_health_check_port(spec)
            and not spec.get("healthCheckNodePort")
        ):
            if old.get("healthCheckNodePort"):
                spec["healthCheckNodePort"] = old["healthCheckNodePort"]
        elif not needs_health_check_port(spec) and spec.get("healthCheckNodePort") == old.get(
            "healthCheckNodePort"
        ):
            spec.pop("healthCheckNodePort", None)

    def _cluster_ips(self, spec: Obj, old: Obj | None, taken: _Taken) -> list[Cause]:
        if spec.get("type") == "ExternalName":
            return []
        cluster_ip, cluster_ips = spec.get("clusterIP"), spec.get("clusterIPs")
        if cluster_ip and cluster_ips and cluster_ips[0] != cluster_ip:
            return [
                (
                    "FieldValueInvalid",
                    "spec.clusterIPs",
                    f'Invalid value: {cluster_ips!r}: element [0] must match clusterIP "{cluster_ip}"',
                )
            ]
        requested = cluster_ip or (cluster_ips[0] if cluster_ips else "")
        for family in spec.get("ipFamilies") or []:
            if family != "IPv4":
                return [
                    (
                        "FieldValueInvalid",
                        "spec.ipFamilies[0]",
                        f'Invalid value: "{family}": not configured on this cluster',
                    )
                ]
        policy = spec.get("ipFamilyPolicy")
        if policy not in (None, "SingleStack", "PreferDualStack", "RequireDualStack"):
            return [
                (
                    "FieldValueNotSupported",
                    "spec.ipFamilyPolicy",
                    f'Unsupported value: "{policy}": supported '
                    'values: "PreferDualStack", "RequireDualStack", "SingleStack"',
                )
            ]
        if requested == "None":
            spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
            spec.setdefault("ipFamilyPolicy", "SingleStack" if spec.get("selector") else "RequireDualStack")
            spec.setdefault("ipFamilies", ["IPv4"])
            return []
        if policy == "RequireDualStack":
            return [
                (
                    "FieldValueInvalid",
                    "spec.ipFamilyPolicy",
                    'Invalid value: "RequireDualStack": this cluster '
                    "is not configured for dual-stack services",
                )
            ]
        old_ip = (old or {}).get("clusterIP") if old and needs_cluster_ip(old) else None
        if old_ip and requested and requested != old_ip:
            return [
                (
                    "FieldValueInvalid",
                    "spec.clusterIPs[0]",
                    f'Invalid value: "{requested}": may not change once set',
                )
            ]
        if requested and requested != old_ip:
            problem = self._check_ip(requested, taken)
            if problem:
                return [
                    ("FieldValueInvalid", "spec.clusterIPs[0]", f'Invalid value: "{requested}": {problem}')
                ]
        elif not requested:
            requested = self._allocate_ip(taken)
            if requested is None:
                return [
                    (
                        "FieldValueInvalid",
                        "spec.clusterIPs[0]",
                        'Invalid value: "": failed to allocate IP: range is full',
                    )
                ]
        spec["clusterIP"], spec["clusterIPs"] = requested, [requested]
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
        return []

    def _check_ip(self, requested: str, taken: _Taken) -> str | None:
        try:
            address = ipaddress.ip_address(requested)
        except ValueError:
            return "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        usable = address in self.network and address not in (
            self.network.network_address,
            self.network.broadcast_address,
        )
        if not usable:
            return (
                f"failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. "
                f"The range of valid IPs is {self.network}"
            )
        if requested in taken:
            return f"failed to allocate IP {requested}: provided IP is already allocated"
        return None

    def _allocate_ip(self, taken: _Taken) -> str | None:
        base = int(self.network.network_address) + 1
        size = self.network.num_addresses - 2  # neither the network nor the broadcast address

        def used(offset: int) -> bool:  # the first address belongs to the `kubernetes` Service
            return offset == 0 or str(ipaddress.ip_address(base + offset)) in taken

        offset = _pick(size, _static_band(size, 16, 256, 16), used, self._rng)
        return None if offset is None else str(ipaddress.ip_address(base + offset))

    def _node_ports(self, spec: Obj, old: Obj | None, key: Hashable) -> list[Cause]:
        low, high = self.node_ports
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        previous = self._ports_of({"spec": old}) if old else set()
        taken = _Taken(self._port_owner, key)
        causes: list[Cause] = []
        wants = needs_node_ports(spec)
        seen: dict[tuple[int, str], int] = {}
        for i, port in enumerate(ports):
            value = port.get("nodePort")
            if not value:
                continue
            field = f"spec.ports[{i}].nodePort"
            if not wants and spec.get("type") in ("ClusterIP", "ExternalName"):
                causes.append(
                    (
                        "FieldValueForbidden",
                        field,
                        f"Forbidden: may not be used when `type` is '{spec.get('type')}'",
                    )
                )
                continue
            key = (value, port.get("protocol", "TCP"))
            if key in seen:
                causes.append(("FieldValueDuplicate", field, f"Duplicate value: {value}"))
                continue
            seen[key] = i
            if value in previous:
                continue
            if not low <= value <= high:
                causes.append(
                    (
                        "FieldValueInvalid",
                        field,
                        f"Invalid value: {value}: provided port is not in the "
                        f"valid range. The range of valid ports is {low}-{high}",
                    )
                )
            elif value in taken:
                causes.append(
                    (
                        "FieldValueInvalid",
                        field,
                        f"Invalid value: {value}: provided port is already allocated",
                    )
                )
        if causes:
            return causes
        used = _Taken(self._port_owner, key, {p["nodePort"] for p in ports if p.get("nodePort")})
        if wants:
            for port in ports:
                if not port.get("nodePort"):
                    allocated = self._allocate_port(used)
                    if allocated is None:
                        return [
                            (
                                "FieldValueInvalid",
                                "spec.ports",
                                "Invalid value: failed to allocate a nodePort: range is full",
                            )
                        ]
                    port["nodePort"] = allocated
                    used.add(allocated)
        return self._health_check_port(spec, previous, taken, used)

    def _health_check_port(self, spec: Obj, previous: set[int], taken: _Taken, used: _Taken) -> list[Cause]:
        value = spec.get("healthCheckNodePort")
        if not needs_health_check_port(spec):
            if value:
                return [
                    (
                        "FieldValueInvalid",
                        "spec.healthCheckNodePort",
                        f"Invalid value: {value}: may only be set "
                        "when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                    )
                ]
            return []
        low, high = self.node_ports
        if value and value not in previous:
            if not low <= value <= high:
                return [
                    (
                        "FieldValueInvalid",
                        "spec.healthCheckNodePort",
                        f"Invalid value: {value}: provided port is "
                        f"not in the valid range. The range of valid ports is {low}-{high}",
                    )
                ]
            if value in taken:
                return [
                    (
                        "FieldValueInvalid",
                        "spec.healthCheckNodePort",
                        f"Invalid value: {value}: provided port is already allocated",
                    )
                ]
        elif not value:
            allocated = self._allocate_port(used)
            if allocated is None:
                return [
                    (
                        "FieldValueInvalid",
                        "spec.healthCheckNodePort",
                        "Invalid value: 0: failed to allocate a port: range is full",
                    )
                ]
            spec["healthCheckNodePort"] = allocated
        return []

    def _allocate_port(self, used: _Taken) -> int | None:
        low, high = self.node_ports
        size = high - low + 1
        offset = _pick(size, _static_band(size, 16, 128, 32), lambda o: low + o in used, self._rng)
        return None if offset is None else low + offset


class _Taken:
    """Values held by other Services (the index minus `me`), plus `extra` ones held by the Service itself."""

    def __init__(self, owners: dict[Any, Hashable], me: Hashable, extra: Iterable[Any] = ()) -> None:
        self.owners, self.me, self.extra = owners, me, set(extra)

    def __contains__(self, value: object) -> bool:
        return value in self.extra or (value in self.owners and self.owners[value] != self.me)

    def add(self, value: Any) -> None:
        self.extra.add(value)


V = TypeVar("V")


def _reindex(index: dict[V, Hashable], key: Hashable, before: Iterable[V], after: Iterable[V]) -> None:
    """Drop the values `key` owned before, then make it the owner of the ones it has now."""
    for value in before:
        if index.get(value) == key:
            del index[value]
    for value in after:
        index[value] = key
