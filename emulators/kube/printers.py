"""The table columns of each kind, as the API server's printers define them (kubectl uppercases the names).

Priority-1 columns are the ones `kubectl get -o wide` adds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    cell: Callable[[Obj], Any]
    type: str = "string"
    priority: int = 0
    fmt: str = ""
    description: str = ""


def _spec(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def _status(obj: Obj) -> Obj:
    return obj.get("status") or {}


def name_of(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """apimachinery's HumanDuration: 45s, 2m30s, 15m, 5h10m, 3d4h, 400d, 2y30d."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m" if whole % 60 == 0 else f"{minutes}m{whole % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(value: Any) -> str:
    """Time since an RFC 3339 timestamp, or <unknown> without one."""
    when = _parse_time(value)
    if when is None:
        return "<unknown>"
    return human_duration((dt.datetime.now(dt.UTC) - when).total_seconds())


def age(obj: Obj) -> str:
    return since((obj.get("metadata") or {}).get("creationTimestamp"))


def created_at(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def _join(values: list[str], empty: str = "<none>") -> str:
    return ",".join(values) or empty


def _selector(selector: Any) -> str:
    """A Service's label map, or a LabelSelector (matchLabels, matchExpressions), as `k=v,k in (a,b)`."""
    if not isinstance(selector, dict):
        return "<none>"
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return _join([f"{k}={v}" for k, v in sorted(selector.items())])
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        operator, values = str(expression.get("operator", "")), ",".join(expression.get("values") or [])
        key = expression.get("key", "")
        parts.append(
            {"Exists": key, "DoesNotExist": f"!{key}"}.get(operator, f"{key} {operator.lower()} ({values})")
        )
    return _join(parts)


def _with_more(values: list[str], limit: int = 3) -> str:
    if len(values) > limit:
        return ",".join(values[:limit]) + f" + {len(values) - limit} more..."
    return ",".join(values) or "<unset>"


# ---- Services -------------------------------------------------------------------------------------------


def service_external_ip(obj: Obj) -> str:
    spec = _spec(obj)
    kind, external = spec.get("type", "ClusterIP"), list(spec.get("externalIPs") or [])
    if kind in ("ClusterIP", "NodePort"):
        return _join(external)
    if kind == "ExternalName":
        return str(spec.get("externalName") or "<none>")
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    addresses = [e.get("ip") or e.get("hostname") or "" for e in ingress] + external
    return _join([a for a in addresses if a], "<pending>")


def service_ports(obj: Obj) -> str:
    parts = []
    for port in _spec(obj).get("ports") or []:
        protocol = port.get("protocol") or "TCP"
        node_port = port.get("nodePort")
        parts.append(
            f"{port.get('port')}:{node_port}/{protocol}" if node_port else f"{port.get('port')}/{protocol}"
        )
    return _join(parts)


def service_cluster_ip(obj: Obj) -> str:
    ips = _spec(obj).get("clusterIPs") or ([_spec(obj)["clusterIP"]] if _spec(obj).get("clusterIP") else [])
    return str(ips[0]) if ips else "<none>"


# ---- Events ---------------------------------------------------------------------------------------------


def _event_view(obj: Obj) -> Obj:
    """core/v1 and events.k8s.io/v1 Events share one printer: map the newer field names onto the older."""
    if "regarding" in obj or "note" in obj or "deprecatedLastTimestamp" in obj:
        return {
            "involvedObject": obj.get("regarding") or {},
            "message": obj.get("note") or "",
            "firstTimestamp": obj.get("deprecatedFirstTimestamp"),
            "lastTimestamp": obj.get("deprecatedLastTimestamp"),
            "count": obj.get("deprecatedCount"),
            "eventTime": obj.get("eventTime"),
            "series": obj.get("series"),
            "type": obj.get("type"),
            "reason": obj.get("reason"),
            "source": obj.get("deprecatedSource") or {},
            "reportingController": obj.get("reportingController"),
            "metadata": obj.get("metadata") or {},
        }
    return obj


def _event_first(obj: Obj) -> str:
    view = _event_view(obj)
    return since(view.get("firstTimestamp") or view.get("eventTime"))


def _event_last(obj: Obj) -> str:
    view = _event_view(obj)
    series = view.get("series") or {}
    if series.get("lastObservedTime"):
        return since(series["lastObservedTime"])
    return since(view.get("lastTimestamp")) if view.get("lastTimestamp") else _event_first(obj)


def _event_object(obj: Obj) -> str:
    involved = _event_view(obj).get("involvedObject") or {}
    kind = str(involved.get("kind") or "").lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def _event_count(obj: Obj) -> int:
    view = _event_view(obj)
    series = view.get("series") or {}
    return int(series.get("count") or view.get("count") or 1)


def _event_source(obj: Obj) -> str:
    view = _event_view(obj)
    source = view.get("source") or {}
    component = source.get("component") or view.get("reportingController") or ""
    return f"{component}, {source['host']}" if source.get("host") else component


_EVENT: list[Column] = [
    Column("Last Seen", _event_last),
    Column("Type", lambda o: o.get("type") or ""),
    Column("Reason", lambda o: o.get("reason") or ""),
    Column("Object", _event_object),
    Column(
        "Subobject", lambda o: (_event_view(o).get("involvedObject") or {}).get("fieldPath") or "", priority=1
    ),
    Column("Source", _event_source, priority=1),
    Column("Message", lambda o: str(_event_view(o).get("message") or "").strip()),
    Column("First Seen", _event_first, priority=1),
    Column("Count", _event_count, type="integer", priority=1),
    Column("Name", name_of, priority=1, fmt="name"),
]


# ---- Pods and workloads ---------------------------------------------------------------------------------


def pod_ready(obj: Obj) -> str:
    statuses = _status(obj).get("containerStatuses") or []
    total = len(_spec(obj).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def pod_status(obj: Obj) -> str:
    status = _status(obj)
    reason = status.get("reason") or status.get("phase") or "Pending"
    for container in reversed(status.get("containerStatuses") or []):
        state = container.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif (state.get("terminated") or {}).get("reason"):
            reason = state["terminated"]["reason"]
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return str(reason)


def _pod_restarts(obj: Obj) -> str:
    return str(sum(int(s.get("restartCount") or 0) for s in _status(obj).get("containerStatuses") or []))


def _template_containers(obj: Obj) -> list[Obj]:
    return ((_spec(obj).get("template") or {}).get("spec") or {}).get("containers") or []


_WORKLOAD_WIDE: list[Column] = [
    Column("Containers", lambda o: _join([c.get("name", "") for c in _template_containers(o)]), priority=1),
    Column("Images", lambda o: _join([c.get("image", "") for c in _template_containers(o)]), priority=1),
    Column("Selector", lambda o: _selector(_spec(o).get("selector")), priority=1),
]


def _count(path: str, where: Callable[[Obj], Obj]) -> Callable[[Obj], int]:
    return lambda obj: int(where(obj).get(path) or 0)


# ---- Nodes ----------------------------------------------------------------------------------------------


def node_status(obj: Obj) -> str:
    ready = next((c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"), None)
    state = (
        "Unknown"
        if ready is None
        else {"True": "Ready", "False": "NotReady"}.get(ready.get("status"), "Unknown")
    )
    return f"{state},SchedulingDisabled" if _spec(obj).get("unschedulable") else state


def node_roles(obj: Obj) -> str:
    roles = set()
    for key, value in ((obj.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key.split("/", 1)[1]:
            roles.add(key.split("/", 1)[1])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return _join(sorted(roles))


def _node_address(kind: str) -> Callable[[Obj], str]:
    return lambda obj: next(
        (a.get("address", "") for a in _status(obj).get("addresses") or [] if a.get("type") == kind), "<none>"
    )


def _node_info(key: str) -> Callable[[Obj], str]:
    return lambda obj: str((_status(obj).get("nodeInfo") or {}).get(key) or "")


# ---- EndpointSlices -------------------------------------------------------------------------------------


def slice_ports(obj: Obj) -> str:
    return _with_more(
        [
            str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
            for p in obj.get("ports") or []
        ]
    )


def slice_endpoints(obj: Obj) -> str:
    return _with_more([a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []])


# ---- The table of tables --------------------------------------------------------------------------------

NAME = Column("Name", name_of, fmt="name")
AGE = Column("Age", age)
CREATED_AT = Column("Created At", created_at, type="date")


def _ingress_hosts(obj: Obj) -> str:
    hosts = [r.get("host") for r in _spec(obj).get("rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _ingress_address(obj: Obj) -> str:
    entries = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(e.get("hostname") or e.get("ip") or "" for e in entries)


def _data_count(obj: Obj) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or obj.get("stringData") or {})


def _role_ref(obj: Obj) -> str:
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _subjects(kind: str) -> Callable[[Obj], str]:
    return lambda obj: _join(
        [s.get("name", "") for s in obj.get("subjects") or [] if s.get("kind") == kind], ""
    )


_BINDING: list[Column] = [
    NAME,
    Column("Role", _role_ref),
    AGE,
    Column("Users", _subjects("User"), priority=1),
    Column("Groups", _subjects("Group"), priority=1),
    Column(
        "ServiceAccounts",
        lambda o: _join(
            [
                f"{s.get('namespace', '')}/{s.get('name', '')}"
                for s in o.get("subjects") or []
                if s.get("kind") == "ServiceAccount"
            ],
            "",
        ),
        priority=1,
    ),
]

COLUMNS: dict[str, list[Column]] = {
    "Service": [
        NAME,
        Column("Type", lambda o: _spec(o).get("type") or "ClusterIP"),
        Column("Cluster-IP", service_cluster_ip),
        Column("External-IP", service_external_ip),
        Column("Port(s)", service_ports),
        AGE,
        Column("Selector", lambda o: _selector(_spec(o).get("selector")), priority=1),
    ],
    "Event": _EVENT,
    "Pod": [
        NAME,
        Column("Ready", pod_ready),
        Column("Status", pod_status),
        Column("Restarts", _pod_restarts),
        AGE,
        Column("IP", lambda o: _status(o).get("podIP") or "<none>", priority=1),
        Column("Node", lambda o: _spec(o).get("nodeName") or "<none>", priority=1),
        Column("Nominated Node", lambda o: _status(o).get("nominatedNodeName") or "<none>", priority=1),
        Column(
            "Readiness Gates",
            lambda o: _join([g.get("conditionType", "") for g in _spec(o).get("readinessGates") or []]),
            priority=1,
        ),
    ],
    "Deployment": [
        NAME,
        Column(
            "Ready",
            lambda o: f"{int(_status(o).get('readyReplicas') or 0)}/{int(_spec(o).get('replicas') or 0)}",
        ),
        Column("Up-to-date", _count("updatedReplicas", _status), type="integer"),
        Column("Available", _count("availableReplicas", _status), type="integer"),
        AGE,
        *_WORKLOAD_WIDE,
    ],
    "ReplicaSet": [
        NAME,
        Column("Desired", _count("replicas", _spec), type="integer"),
        Column("Current", _count("replicas", _status), type="integer"),
        Column("Ready", _count("readyReplicas", _status), type="integer"),
        AGE,
        *_WORKLOAD_WIDE,
    ],
    "Node": [
        NAME,
        Column("Status", node_status),
        Column("Roles", node_roles),
        AGE,
        Column("Version", _node_info("kubeletVersion")),
        Column("Internal-IP", _node_address("InternalIP"), priority=1),
        Column("External-IP", _node_address("ExternalIP"), priority=1),
        Column("OS-Image", _node_info("osImage"), priority=1),
        Column("Kernel-Version", _node_info("kernelVersion"), priority=1),
        Column("Container-Runtime", _node_info("containerRuntimeVersion"), priority=1),
    ],
    "EndpointSlice": [
        NAME,
        Column("AddressType", lambda o: o.get("addressType") or ""),
        Column("Ports", slice_ports),
        Column("Endpoints", slice_endpoints),
        AGE,
    ],
    "Endpoints": [
        NAME,
        Column(
            "Endpoints",
            lambda o: _with_more(
                [
                    f"{a.get('ip')}:{p.get('port')}"
                    for s in o.get("subsets") or []
                    for a in s.get("addresses") or []
                    for p in s.get("ports") or [{}]
                ],
                3,
            ).replace("<unset>", "<none>"),
        ),
        AGE,
    ],
    "Ingress": [
        NAME,
        Column("Class", lambda o: _spec(o).get("ingressClassName") or "<none>"),
        Column("Hosts", _ingress_hosts),
        Column("Address", _ingress_address),
        Column("Ports", lambda o: "80, 443" if _spec(o).get("tls") else "80"),
        AGE,
    ],
    "IngressClass": [
        NAME,
        Column("Controller", lambda o: _spec(o).get("controller") or ""),
        Column(
            "Parameters",
            lambda o: (
                "<none>"
                if not _spec(o).get("parameters")
                else f"{_spec(o)['parameters'].get('kind', '')}/{_spec(o)['parameters'].get('name', '')}"
            ),
        ),
        AGE,
    ],
    "Namespace": [NAME, Column("Status", lambda o: _status(o).get("phase") or ""), AGE],
    "Secret": [
        NAME,
        Column("Type", lambda o: o.get("type") or "Opaque"),
        Column("Data", _data_count, type="integer"),
        AGE,
    ],
    "ConfigMap": [NAME, Column("Data", _data_count, type="integer"), AGE],
    "ServiceAccount": [NAME, Column("Secrets", lambda o: len(o.get("secrets") or []), type="integer"), AGE],
    "Lease": [NAME, Column("Holder", lambda o: _spec(o).get("holderIdentity") or ""), AGE],
    "ClusterRole": [NAME, CREATED_AT],
    "Role": [NAME, CREATED_AT],
    "CustomResourceDefinition": [NAME, CREATED_AT],
    "RoleBinding": _BINDING,
    "ClusterRoleBinding": _BINDING,
}
