"""Find what exists of ours, reading only: list each collection with a name filter on our cluster prefix and
keep what carries our ownership record (cluster) in its description (nothing else is ever touched); then,
for one stack, everything its plan compares against (`Current`): its resources and the shared ones, the
members of its instance groups, the endpoints of its NEGs, and the named ports other stacks use on the
shared groups. Reads go through the kept discovery (providers.gcp.cache) when it is fresh."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from google.api_core import exceptions

from lbctl.provider import ProviderError

from . import naming as n
from .clients import Compute, scope_args, to_dict

if TYPE_CHECKING:
    from .translate import Desired, Endpoint

GLOBAL = (
    "healthChecks",
    "backendServices",
    "urlMaps",
    "targetHttpProxies",
    "targetHttpsProxies",
    "sslCertificates",
    "forwardingRules",
    "firewalls",
)
ZONAL = ("instanceGroups", "networkEndpointGroups")
# A regional load balancer's resources, listed in the cluster's region(s). Its health checks are created first
# and deleted last (plan's ORDER), so where none of ours exists nothing regional of ours does: a discovery
# lists the rest only then, and costs a cluster without regional Ingresses one list call per region.
REGIONAL_FIRST = "healthChecks"
REGIONAL = (
    "backendServices",
    "urlMaps",
    "targetHttpProxies",
    "targetHttpsProxies",
    "sslCertificates",
    "forwardingRules",
)

Key = tuple[str, str, str]  # (collection, zone or "", name)
Group = tuple[str, str]  # (zone, instance group or NEG name)


@dataclass
class Existing:
    key: Key
    body: dict[str, Any]
    owner: dict[str, Any]

    @property
    def stack(self) -> str:
        return str(self.owner["stack"])


@dataclass
class Current:
    """What one stack's plan compares against. `mine`: the stack's resources; `shared`: the cluster-wide ones
    (instance groups); `members` / `endpoints`: of each wanted instance group / NEG that exists (instance
    references, endpoint dicts); `others_ports`: per shared group another stack's backend service uses, the
    named ports (name → port) it needs there (a group absent here is used by no other stack)."""

    stack: str
    mine: dict[Key, Existing] = field(default_factory=dict)
    shared: dict[Key, Existing] = field(default_factory=dict)
    members: dict[Group, list[str]] = field(default_factory=dict)
    endpoints: dict[Group, list[Endpoint]] = field(default_factory=dict)
    others_ports: dict[Group, dict[str, int]] = field(default_factory=dict)

    def get(self, key: Key) -> Existing | None:
        return self.mine.get(key) or self.shared.get(key)


class Inventory:
    """Every resource of this cluster, any stack; indexed by stack so one stack's view costs O(its size)."""

    def __init__(self, items: dict[Key, Existing] | None = None) -> None:
        self.items: dict[Key, Existing] = {}
        self._by_stack: dict[str, dict[Key, Existing]] = {}
        self._others_ports: tuple[str, dict[Group, dict[str, int]]] | None = None  # set by view()
        for existing in (items or {}).values():
            self.put(existing)

    def put(self, existing: Existing) -> None:
        """Add or replace one resource."""
        self.remove(existing.key)
        self.items[existing.key] = existing
        self._by_stack.setdefault(existing.stack, {})[existing.key] = existing

    def remove(self, key: Key) -> Existing | None:
        existing = self.items.pop(key, None)
        if existing is not None:
            group = self._by_stack.get(existing.stack, {})
            group.pop(key, None)
            if not group:
                self._by_stack.pop(existing.stack, None)
        return existing

    def of_stack(self, stack: str) -> dict[Key, Existing]:
        return dict(self._by_stack.get(stack, {}))

    def shared(self) -> dict[Key, Existing]:
        return self.of_stack(n.SHARED_STACK)

    def stacks(self) -> list[str]:
        return sorted(s for s in self._by_stack if s != n.SHARED_STACK)

    def view(self, stack: str) -> Inventory:
        """A copy holding only `stack` and the shared resources, with the other stacks' use of the shared
        instance groups worked out now: what planning one stack needs, safe to read while this changes."""
        shared = self.shared()
        out = Inventory({**self.of_stack(stack), **shared})
        # no instance group exists (NEGs only): nothing of another stack can be on one
        out._others_ports = (stack, self.ports_used_by_other_stacks(stack) if shared else {})
        return out

    def ports_used_by_other_stacks(self, stack: str) -> dict[Group, dict[str, int]]:
        """(zone, instance group) → named ports (name → port) that other stacks' backend services use on it:
        the port a backend service asks for, else the one the group maps its port name to."""
        if self._others_ports is not None and self._others_ports[0] == stack:
            return self._others_ports[1]
        out: dict[Group, dict[str, int]] = {}
        for other, group in self._by_stack.items():
            if other in (stack, n.SHARED_STACK):
                continue
            for (collection, _, _), existing in group.items():
                if collection != "backendServices":
                    continue
                port_name = existing.body.get("portName")
                for backend in existing.body.get("backends") or []:
                    where = zonal_ref(str(backend.get("group", "")), "instanceGroups")
                    if where is None:
                        continue
                    used = out.setdefault(where, {})
                    port = existing.body.get("port") or self._named_port(where, str(port_name or ""))
                    if port_name and port:
                        used[str(port_name)] = int(port)
        return out

    def _named_port(self, where: Group, name: str) -> int | None:
        group = self.items.get(("instanceGroups", *where))
        for named in (group.body.get("namedPorts") or []) if group is not None else []:
            if named.get("name") == name and named.get("port"):
                return int(named["port"])
        return None


def zonal_ref(reference: str, collection: str) -> Group | None:
    """(zone, name) of a `…/zones/<zone>/<collection>/<name>` reference, or None for anything else."""
    parts = reference.split("/")
    if collection not in parts or "zones" not in parts:
        return None
    return (parts[parts.index("zones") + 1], parts[-1])


def regions_of(zones: list[str]) -> list[str]:
    """The regions of the cluster's zones (`us-central1` for `us-central1-a`)."""
    return sorted({zone.rsplit("-", 1)[0] for zone in zones})


def list_cluster(compute: Compute, cluster: str, zones: list[str]) -> Inventory:
    """Every resource of ours in the project: one filtered list per collection (and zone, and region; see
    REGIONAL_FIRST)."""
    inventory = Inventory()
    name_filter = n.name_filter(cluster)
    scopes = [(c, None) for c in GLOBAL] + [(c, z) for c in ZONAL for z in zones]
    for collection, where in scopes:
        # NEGs by their ownership record: a standalone one may carry the user's name
        by = n.description_filter(cluster) if collection == "networkEndpointGroups" else name_filter
        _list_into(inventory, compute, cluster, collection, where, by)
    for region in regions_of(zones):
        where = f"regions/{region}"
        if _list_into(inventory, compute, cluster, REGIONAL_FIRST, where, name_filter):
            for collection in REGIONAL:
                _list_into(inventory, compute, cluster, collection, where, name_filter)
    return inventory


def _list_into(
    inventory: Inventory, compute: Compute, cluster: str, collection: str, where: str | None, name_filter: str
) -> int:
    """Put the cluster's resources of one collection in one scope into `inventory`; how many there were."""
    found = 0
    for body in compute.list(collection, zone=where, filter=name_filter):
        record = n.owner(body)
        if record is None or record.get("cluster") != cluster:
            continue
        inventory.put(Existing((collection, where or "", str(body["name"])), body, record))
        found += 1
    return found


def cluster_inventory(compute: Compute, cache: KeptDiscovery, cluster: str, zones: list[str]) -> Inventory:
    """The cluster's inventory: kept (fresh) or discovered now; one discovery at a time."""
    with cache.lock:
        if not cache.fresh():
            cache.store(list_cluster(compute, cluster, zones))
        assert cache.inventory is not None
        return cache.inventory


def must_exist(
    compute: Compute,
    cache: KeptDiscovery,
    collection: str,
    arg: str,
    name: str,
    message: str,
    field: str,
    where: str | None = None,
) -> dict[str, Any]:
    """A resource the spec names but lbctl does not own (static IP, pre-shared certificate, SSL policy), read
    once per discovery; missing is the user's to fix, reported on `field`. `where`: `regions/R` for a
    regional one."""
    fresh = cache.fresh()
    lookup = (collection, f"{where}/{name}" if where else name)
    with cache.lock:
        known = cache.lookups.get(lookup) if fresh else None
    if known is not None:
        return known
    try:
        body = to_dict(compute.call(collection, "get", **{arg: name}, **scope_args(where)))
    except exceptions.NotFound:
        raise ProviderError(message, user_fixable=True, field=field) from None
    if fresh:
        with cache.lock:
            cache.lookups[lookup] = body
    return body


def discover(compute: Compute, cache: KeptDiscovery, cluster: Inventory, desired: Desired) -> Current:
    """What the plan of `desired` compares against: the stack's view of `cluster`, and the members and
    endpoints of the wanted groups that exist (read now unless kept)."""
    with cache.lock:
        view = cluster.view(desired.stack)
    current = Current(
        desired.stack,
        view.of_stack(desired.stack),
        view.shared(),
        others_ports=view.ports_used_by_other_stacks(desired.stack),
    )
    for want in desired.resources:
        if current.get(want.key) is None:
            continue
        group = (want.zone or "", want.name)
        if want.members is not None:
            current.members[group] = members_of(compute, cache, *group)
        if want.endpoints is not None:
            current.endpoints[group] = endpoints_of(compute, cache, *group)
    return current


def members_of(compute: Compute, cache: KeptDiscovery, zone: str, group: str) -> list[str]:
    """The instances (`projects/…` references) in an instance group, kept or read now."""
    with cache.lock:
        known = cache.members.get((zone, group))
    if known is not None:
        return list(known)
    from google.cloud import compute_v1

    pager = compute.call(
        "instanceGroups",
        "listInstances",
        zone=zone,
        instance_group=group,
        instance_groups_list_instances_request_resource=compute_v1.InstanceGroupsListInstancesRequest(
            instance_state="ALL"
        ),
    )
    members = [instance_ref(item.instance) for item in pager]
    with cache.lock:
        cache.members.setdefault((zone, group), members)
    return members


def endpoints_of(compute: Compute, cache: KeptDiscovery, zone: str, neg: str) -> list[Endpoint]:
    """The endpoints attached to a NEG, kept or read now."""
    with cache.lock:
        known = cache.endpoints.get((zone, neg))
    if known is not None:
        return list(known)
    from google.cloud import compute_v1

    pager = compute.call(
        "networkEndpointGroups",
        "listNetworkEndpoints",
        zone=zone,
        network_endpoint_group=neg,
        network_endpoint_groups_list_endpoints_request_resource=compute_v1.NetworkEndpointGroupsListEndpointsRequest(),
    )
    endpoints: list[Endpoint] = [
        {
            "instance": i.network_endpoint.instance.rsplit("/", 1)[-1] or None,
            "ipAddress": i.network_endpoint.ip_address,
            "port": i.network_endpoint.port,
        }
        for i in pager
    ]
    with cache.lock:
        cache.endpoints.setdefault((zone, neg), endpoints)
    return endpoints


def instance_ref(url: str) -> str:
    """An instance URL as the `projects/…` reference translate writes."""
    return "projects/" + url.split("projects/", 1)[1] if "projects/" in url else url


class KeptDiscovery(Protocol):
    """What discovery needs of the kept discovery (providers/gcp/cache.py: DiscoveryCache)."""

    lock: threading.RLock
    inventory: Inventory | None
    lookups: dict[tuple[str, str], Any]
    members: dict[tuple[str, str], list[str]]  # (zone, group) → instance references
    endpoints: dict[tuple[str, str], list[Endpoint]]  # (zone, NEG) → endpoints

    def fresh(self) -> bool: ...

    def store(self, inventory: Inventory) -> None: ...
