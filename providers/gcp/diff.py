"""Wanted vs existing → ordered steps: creates and in-place updates in dependency order, membership
differences only, then deletes in reverse order (so nothing in use is deleted, and a rotated
certificate is attached before the old one goes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lbctl.provider import Change

from .discover import Existing, Inventory
from .translate import ORDER, Translation, Wanted

KIND = {
    "healthChecks": "HealthCheck", "backendServices": "BackendService", "urlMaps": "UrlMap",
    "targetHttpProxies": "TargetHttpProxy", "targetHttpsProxies": "TargetHttpsProxy",
    "sslCertificates": "SslCertificate", "forwardingRules": "ForwardingRule", "firewalls": "Firewall",
    "instanceGroups": "InstanceGroup", "networkEndpointGroups": "NetworkEndpointGroup",
}  # fmt: skip
FULL_UPDATE = {"healthChecks", "backendServices", "urlMaps", "firewalls"}
SETTERS = {  # collection → (field, method) updated through a dedicated setX call
    "targetHttpProxies": (("urlMap", "setUrlMap"),),
    "targetHttpsProxies": (("urlMap", "setUrlMap"), ("sslCertificates", "setSslCertificates"),
                           ("sslPolicy", "setSslPolicy")),
    "forwardingRules": (("target", "setTarget"), ("labels", "setLabels")),
    "instanceGroups": (("namedPorts", "setNamedPorts"),),
}  # fmt: skip
NOT_COMPARED = {"name", "securityPolicy"}


@dataclass
class Step:
    """One API mutation. `op`: insert | update | set | add | remove | attach | detach | delete | policy."""

    op: str
    collection: str
    name: str
    zone: str | None = None
    wanted: Wanted | None = None
    existing: Existing | None = None
    field_name: str | None = None  # for "set": the field; method in `method`
    method: str | None = None
    items: list[Any] = field(default_factory=list)  # members / endpoints
    value: Any = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.collection, self.zone or "", self.name)

    def change(self) -> Change:
        action = {"insert": "create", "delete": "delete"}.get(self.op, "update")
        where = f" ({self.zone})" if self.zone else ""
        detail = {
            "set": f"{self.field_name}",
            "update": "in place",
            "add": f"add {len(self.items)} instance(s)",
            "remove": f"remove {len(self.items)} instance(s)",
            "attach": f"attach {len(self.items)} endpoint(s)",
            "detach": f"detach {len(self.items)} endpoint(s)",
            "policy": "securityPolicy",
        }.get(self.op, "")
        return Change(action, KIND.get(self.collection, self.collection), self.name + where, detail)


def normalise(value: Any) -> Any:
    """References → `projects/…` paths; empty values → None; floats equal to ints → ints."""
    if isinstance(value, str):
        if "/projects/" in value:
            return "projects/" + value.split("/projects/", 1)[1]
        return value or None
    if isinstance(value, bool):
        return value or None
    if isinstance(value, int | float):
        return (int(value) if float(value).is_integer() else value) or None
    if isinstance(value, dict):
        out = {k: normalise(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        return [normalise(v) for v in value] or None
    return value


def same(wanted: Any, existing: Any) -> bool:
    return normalise(wanted) == normalise(existing)


def endpoint_key(endpoint: dict[str, Any]) -> str:
    """A NEG endpoint compared the way `same` does, as a hashable key (diffs stay linear in the size)."""
    return json.dumps(normalise(endpoint), sort_keys=True)


def differing_fields(wanted: Wanted, existing: dict[str, Any]) -> list[str]:
    """Top-level fields we manage whose values differ (fields we do not set are left alone)."""
    out = []
    for key, value in wanted.body.items():
        if key in NOT_COMPARED:
            continue
        have = existing.get(key)
        if key == "namedPorts":
            value = sorted(value or [], key=lambda p: p["name"])
            have = sorted(have or [], key=lambda p: p.get("name", ""))
        if not same(value, have):
            out.append(key)
    return out


MemberReader = Callable[[str, str], list[str]]  # (zone, group name) → instance names
EndpointReader = Callable[[str, str], list[dict[str, Any]]]


def plan_steps(translation: Translation, inventory: Inventory, read_members: MemberReader,
               read_endpoints: EndpointReader) -> list[Step]:  # fmt: skip
    """Every step that makes the cloud match `translation` for its stack."""
    wanted = translation.by_key()
    mine = inventory.of_stack(translation.stack)
    shared = inventory.shared()
    others_ports = inventory.ports_used_by_other_stacks(translation.stack)
    forward: dict[str, list[Step]] = {c: [] for c in ORDER}
    backward: dict[str, list[Step]] = {c: [] for c in ORDER}

    for key, want in wanted.items():
        collection = key[0]
        existing = mine.get(key) or shared.get(key)
        steps = forward[collection]
        if collection == "instanceGroups":
            ports = {p["name"]: p for p in want.body["namedPorts"]}
            for name in others_ports.get((want.zone or "", want.name), set()):
                ports.setdefault(name, {"name": name, "port": int(name[4:])})
            want.body["namedPorts"] = [ports[k] for k in sorted(ports)]
        if existing is None:
            steps.append(Step("insert", collection, want.name, want.zone, wanted=want))
            if want.members:
                steps.append(Step("add", collection, want.name, want.zone, items=list(want.members)))
            if want.endpoints:
                steps.append(Step("attach", collection, want.name, want.zone, items=list(want.endpoints)))
            if want.security_policy:
                steps.append(Step("policy", collection, want.name, value=want.security_policy))
            continue
        fields = differing_fields(want, existing.body)
        if collection in FULL_UPDATE:
            if fields:
                steps.append(Step("update", collection, want.name, want.zone, wanted=want, existing=existing))
        else:
            for field_name, method in SETTERS.get(collection, ()):
                if field_name in fields:
                    steps.append(Step("set", collection, want.name, want.zone, wanted=want, existing=existing,
                                      field_name=field_name, method=method, value=want.body.get(field_name)))  # fmt: skip
        if collection == "backendServices" and not same(
            want.security_policy, existing.body.get("securityPolicy")
        ):
            steps.append(Step("policy", collection, want.name, value=want.security_policy))
        if want.members is not None:
            current = set(read_members(want.zone or "", want.name))
            add = sorted(set(want.members) - current)
            remove = sorted(current - set(want.members))
            if add:
                steps.append(Step("add", collection, want.name, want.zone, items=add))
            if remove:
                steps.append(Step("remove", collection, want.name, want.zone, items=remove))
        if want.endpoints is not None:
            current_eps = read_endpoints(want.zone or "", want.name)
            have_keys = {endpoint_key(c) for c in current_eps}
            want_keys = {endpoint_key(e) for e in want.endpoints}
            attach = [e for e in want.endpoints if endpoint_key(e) not in have_keys]
            detach = [c for c in current_eps if endpoint_key(c) not in want_keys]
            if attach:
                steps.append(Step("attach", collection, want.name, want.zone, items=attach))
            if detach:
                steps.append(Step("detach", collection, want.name, want.zone, items=detach))

    for key, existing in mine.items():
        if key not in wanted:
            backward[key[0]].append(Step("delete", key[0], key[2], key[1] or None, existing=existing))
    for key, existing in shared.items():
        if key in wanted:
            continue
        used = others_ports.get((key[1], key[2]))
        if used is None:
            backward[key[0]].append(Step("delete", key[0], key[2], key[1] or None, existing=existing))
            continue
        ports = [{"name": p, "port": int(p[4:])} for p in sorted(used)]
        have = sorted(existing.body.get("namedPorts") or [], key=lambda p: p.get("name", ""))
        if not same(ports, have):
            holder = Wanted(key[0], key[2], dict(existing.body, namedPorts=ports), key[1])
            forward[key[0]].append(Step("set", key[0], key[2], key[1], wanted=holder, existing=existing,
                                        field_name="namedPorts", method="setNamedPorts", value=ports))  # fmt: skip
    steps = [s for c in ORDER for s in forward[c]]
    steps += [s for c in reversed(ORDER) for s in sorted(backward[c], key=lambda s: (s.zone or "", s.name))]
    return steps

