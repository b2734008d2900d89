"""Deterministic names and ownership markers of the Compute resources lbctl creates.

Names look like ingress-gce's v2 namer, readable in the console:
`k8s2-<role>-<cluster hash>-<namespace>-<name>-<hash>`, ≤ 63 chars, RFC 1035. The cluster hash
in every name lets discovery list with one name filter; the description carries JSON with the
cluster, stack and role (the ownership record), and forwarding rules also carry labels.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

PREFIX = "k8s2"
MAX_NAME = 63
OWNER_KEY = "lbctl"
SHARED_STACK = "*"  # the stack of cluster-wide resources (instance groups)

# role codes in names
URL_MAP = "um"
REDIRECT_URL_MAP = "rm"
HTTP_PROXY = "tp"
HTTPS_PROXY = "ts"
HTTP_RULE = "fr"
HTTPS_RULE = "fs"
CERTIFICATE = "cr"
MANAGED_CERTIFICATE = "mc"
BACKEND_SERVICE = "be"
HEALTH_CHECK = "hc"
NEG = "ne"
INSTANCE_GROUP = "ig"
FIREWALL = "fw"

_INVALID = re.compile(r"[^a-z0-9]+")
_LABEL_INVALID = re.compile(r"[^a-z0-9_-]+")


def short_hash(*parts: object, length: int = 8) -> str:
    """A stable hex digest of the parts (hex starts may be digits: never put it first in a name)."""
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:length]


@lru_cache(maxsize=64)
def cluster_id(cluster: str) -> str:
    """8 hex chars identifying the cluster in every name."""
    return short_hash("cluster", cluster)


def _clean(text: str) -> str:
    return _INVALID.sub("", text.lower())


def resource_name(role: str, cluster: str, readable: list[str], *hash_inputs: object) -> str:
    """`k8s2-<role>-<cluster>-<readable parts…>-<hash>` within 63 characters.

    Readable parts are lower-cased, stripped to [a-z0-9] and shortened evenly to fit; the hash
    covers the cluster, role and every hash input, so truncation never makes two names collide.
    """
    return _resource_name(role, cluster, tuple(readable), tuple(str(h) for h in hash_inputs))


@lru_cache(maxsize=8192)
def _resource_name(role: str, cluster: str, readable: tuple[str, ...], hash_inputs: tuple[str, ...]) -> str:
    """`resource_name` of the inputs as strings (all it hashes): every reconcile names the same resources."""
    head = f"{PREFIX}-{role}-{cluster_id(cluster)}"
    tail = short_hash(cluster, role, *readable, *hash_inputs)
    parts = [p for p in (_clean(r) for r in readable) if p]
    budget = MAX_NAME - len(head) - len(tail) - 2 - len(parts)  # dashes around parts
    if parts and budget > 0:
        share = max(1, budget // len(parts))
        spare = budget - share * len(parts)
        trimmed = []
        for part in parts:
            take = min(len(part), share + spare)
            spare -= max(0, take - share)
            trimmed.append(part[:take])
        parts = [p for p in trimmed if p]
    else:
        parts = []
    return "-".join([head, *parts, tail])


def name_filter(cluster: str) -> str:
    """A Compute list filter matching the names of every resource of this cluster: the L7 ones
    (`k8s2-<role>-<cluster>-…`) and the L4 ones as ingress-gce's L4 namer shapes them (`k8s2-<cluster>-…`,
    forwarding rules `k8s2-<tcp|udp>-<cluster>-…`)."""
    return f'name eq "{PREFIX}-([a-z]{{2,3}}-)?{cluster_id(cluster)}-.*"'


L4_HC_FIREWALL_SUFFIX = "-fw"  # ingress-gce: the health-check firewall is the health check's name + "-fw"


def l4_name(cluster: str, namespace: str, name: str, *hash_inputs: object, protocol: str = "") -> str:
    """ingress-gce's L4 name of a Service's resources: `k8s2-<cluster>-<ns>-<name>-<hash>` (backend service,
    health check, traffic firewall), `k8s2-<tcp|udp>-<cluster>-<ns>-<name>-<hash>` for a forwarding rule;
    within 63 characters less room for the health-check firewall's suffix."""
    head = "-".join(filter(None, [PREFIX, protocol.lower(), cluster_id(cluster)]))
    tail = short_hash(cluster, "l4", namespace, name, protocol, *hash_inputs)
    room = MAX_NAME - len(L4_HC_FIREWALL_SUFFIX) - len(head) - len(tail) - 3
    ns, svc = _clean(namespace), _clean(name)
    take_ns = min(len(ns), max(1, room // 2))
    ns = ns[:take_ns]
    svc = svc[: max(1, room - len(ns))]
    return "-".join(p for p in (head, ns, svc, tail) if p)


def split_stack(stack: str) -> list[str]:
    namespace, _, name = stack.partition("/")
    return [namespace, name] if name else [stack]


def description(cluster: str, stack: str, role: str, **extra: str) -> str:
    """The ownership record written into `description`."""
    if not extra:
        return _description(cluster, stack, role)
    record = {"cluster": cluster, "stack": stack, "role": role, **extra}
    return json.dumps({OWNER_KEY: record}, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=8192)
def _description(cluster: str, stack: str, role: str) -> str:
    return json.dumps(
        {OWNER_KEY: {"cluster": cluster, "stack": stack, "role": role}}, sort_keys=True, separators=(",", ":")
    )


CUSTOM_NAMED_ROLE = (
    "StandaloneNEG"  # the one role whose resources may carry the user's name (a custom NEG name)
)


def owner(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The ownership record of a resource (API dict), or None when it is not ours: a name of ours (or, for a
    standalone NEG, any name) and our record in its description."""
    named = str(resource.get("name", "")).startswith(PREFIX + "-")
    description = resource.get("description") or ""
    if not named and not description.startswith('{"' + OWNER_KEY + '"'):
        return None
    try:
        record = json.loads(description)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get(OWNER_KEY), dict):
        return None
    out = record[OWNER_KEY]
    if not {"cluster", "stack", "role"} <= set(out):
        return None
    return out if named or str(out["role"]).startswith(CUSTOM_NAMED_ROLE + ":") else None


def description_filter(cluster: str) -> str:
    """A Compute list filter matching the ownership record of this cluster in `description` (any name: custom
    NEG names too); quotes are matched by `.`, the exact cluster is checked on the record."""
    return f'description eq ".*.{OWNER_KEY}.:..*.cluster.:.{re.escape(cluster)}.[,}}].*"'


def labels(cluster: str, stack: str) -> dict[str, str]:
    """Labels for resources that carry labels (forwarding rules)."""
    return {
        "lbctl-cluster": _label_value(cluster),
        "lbctl-stack": _label_value("-".join(split_stack(stack)))[:54] + "-" + short_hash(stack),
    }


def _label_value(text: str) -> str:
    return _LABEL_INVALID.sub("-", text.lower())[:63]
