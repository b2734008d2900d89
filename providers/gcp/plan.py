"""Desired vs Current → ordered Steps, purely (no I/O, no callbacks, inputs left as they are): creates and
in-place updates in dependency order, membership differences only, then deletes in reverse order (so nothing
in use is deleted, and a rotated certificate is attached before the old one goes).

Each Step's body is the request as the executor sends it: the full resource for an insert or update (with
the fingerprint read at discovery), the reference or list a setX call takes, the instances or endpoints to
add or remove. References are `projects/…` paths of deterministic names, so no step waits on another's result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from typing import Any

from lbctl.provider import Secret, Step

from .discover import Current, Existing, Key
from .translate import ORDER, Desired, Endpoint, Wanted

KIND = {
    "healthChecks": "HealthCheck",
    "backendServices": "BackendService",
    "urlMaps": "UrlMap",
    "targetHttpProxies": "TargetHttpProxy",
    "targetHttpsProxies": "TargetHttpsProxy",
    "sslCertificates": "SslCertificate",
    "forwardingRules": "ForwardingRule",
    "firewalls": "Firewall",
    "instanceGroups": "InstanceGroup",
    "networkEndpointGroups": "NetworkEndpointGroup",
}
FULL_UPDATE = {"healthChecks", "backendServices", "urlMaps", "firewalls"}
SETTERS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    # collection → (field, setX method, the fingerprint it is sent under) for fields set by a dedicated call
    "targetHttpProxies": (("urlMap", "setUrlMap", None),),
    "targetHttpsProxies": (
        ("urlMap", "setUrlMap", None),
        ("sslCertificates", "setSslCertificates", None),
        ("sslPolicy", "setSslPolicy", None),
    ),
    "forwardingRules": (("target", "setTarget", None), ("labels", "setLabels", "labelFingerprint")),
    "instanceGroups": (("namedPorts", "setNamedPorts", "fingerprint"),),
}
NOT_COMPARED = {"name", "securityPolicy"}


def normalise(value: Any) -> Any:
    """References → `projects/…` paths; empty values → None; floats equal to ints → ints."""
    kind = type(value)  # the exact JSON types first: every plan normalises every body it compares
    if kind is dict:
        out = {}
        for key, item in value.items():
            normal = normalise(item)
            if normal is not None:
                out[key] = normal
        return out or None
    if kind is str:
        if "/projects/" in value:
            return "projects/" + value.split("/projects/", 1)[1]
        return value or None
    if kind is list:
        return [normalise(v) for v in value] or None
    if kind is int:
        return value or None
    return _normalise_other(value)


def _normalise_other(value: Any) -> Any:
    """`normalise` of anything but an exact dict, str, list or int (bools, floats, subclasses)."""
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


def same(wanted: object, existing: object) -> bool:
    return bool(normalise(wanted) == normalise(existing))


def endpoint_key(endpoint: Endpoint) -> Hashable:
    """A NEG endpoint compared the way `same` does, as a hashable key (diffs stay linear in the size): its
    sorted items when they are plain strings and integers (as endpoints are), else its JSON. The two forms
    never equal each other, and each is equal exactly when the normalised endpoints are."""
    normal = normalise(endpoint)
    if type(normal) is dict and all(
        type(k) is str and (type(v) is str or type(v) is int) for k, v in normal.items()
    ):
        return tuple(sorted(normal.items()))
    return json.dumps(normal, sort_keys=True)


def differing_fields(wanted: dict[str, Any], existing: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Top-level fields we manage whose values differ, as field → (current, wanted); fields we do not set
    are left alone."""
    out: dict[str, tuple[Any, Any]] = {}
    for key, value in wanted.items():
        if key in NOT_COMPARED:
            continue
        have = existing.get(key)
        if key == "namedPorts":
            value = sorted(value or [], key=lambda p: p["name"])
            have = sorted(have or [], key=lambda p: p.get("name", ""))
        if not same(value, have):
            out[key] = (have, value)
    return out


def step(
    collection: str,
    method: str,
    name: str,
    zone: str | None,
    body: dict[str, Any],
    action: str = "update",
    changes: dict[str, tuple[Any, Any]] | None = None,
    detail: str = "",
    field: str | None = None,
) -> Step:
    """A Step calling `<collection>.<method>` on one resource; `field`: the Ingress field to name when the
    cloud rejects it."""
    kind = KIND[collection]
    where = f"{zone}/" if zone else ""
    suffix = "" if method in ("insert", "update", "delete") else f":{method}"
    return Step(
        key=f"{kind}/{where}{name}{suffix}",
        action=action,
        kind=kind,
        name=name,
        operation=f"{collection}.{method}",
        body=body,
        changes=changes or {},
        where=zone,
        field=field,
        detail=detail,
    )


def plan(desired: Desired, current: Current) -> list[Step]:
    """Every step that makes the cloud match `desired` for its stack, in the order to run them."""
    wanted = desired.by_key()
    forward: dict[str, list[Step]] = {c: [] for c in ORDER}
    backward: dict[str, list[Step]] = {c: [] for c in ORDER}
    for key, want in wanted.items():
        existing = current.get(key)
        body = _request_body(want, current)
        if existing is None:
            forward[key[0]] += _create(want, body)
        else:
            forward[key[0]] += _update(want, body, existing, current)
    for key in current.mine:
        if key not in wanted:
            backward[key[0]].append(_delete(key))
    for key, existing in current.shared.items():
        if key in wanted:
            continue
        used = current.others_ports.get((key[1], key[2]))
        if used is None:
            backward[key[0]].append(_delete(key))
            continue
        ports = [{"name": p, "port": used[p]} for p in sorted(used)]  # what the other stacks still need
        have = sorted(existing.body.get("namedPorts") or [], key=lambda p: p.get("name", ""))
        if not same(ports, have):
            forward[key[0]].append(
                _set(key, "namedPorts", "setNamedPorts", "fingerprint", ports, have, existing)
            )
    steps = [s for c in ORDER for s in forward[c]]
    steps += [s for c in reversed(ORDER) for s in sorted(backward[c], key=lambda s: (s.where or "", s.name))]
    return steps


def _request_body(want: Wanted, current: Current) -> dict[str, Any]:
    """The resource as it is sent: a backend service with its security policy; a shared instance group with
    the named ports other stacks use on it as well as ours."""
    body = dict(want.body)
    if want.collection == "backendServices" and want.security_policy:
        body["securityPolicy"] = want.security_policy
    if want.collection == "instanceGroups":
        ports = {p["name"]: p for p in want.body["namedPorts"]}
        for name, port in current.others_ports.get((want.zone or "", want.name), {}).items():
            ports.setdefault(name, {"name": name, "port": port})
        body["namedPorts"] = [ports[k] for k in sorted(ports)]
    return body


def comparable(collection: str, body: dict[str, Any]) -> dict[str, Any]:
    """A backend service as the cloud can be compared with: the IAP OAuth client secret as the SHA-256 the
    API returns in its place, and without the signing key names (addSignedUrlKey/deleteSignedUrlKey keep
    those, whatever an update sends)."""
    if collection != "backendServices":
        return body
    out = dict(body)
    iap = out.get("iap")
    if isinstance(iap, dict) and "oauth2ClientSecret" in iap:
        secret = iap["oauth2ClientSecret"]
        raw = secret.value if isinstance(secret, Secret) else str(secret)
        out["iap"] = {k: v for k, v in iap.items() if k != "oauth2ClientSecret"}
        out["iap"]["oauth2ClientSecretSha256"] = hashlib.sha256(raw.encode()).hexdigest()
    policy = out.get("cdnPolicy")
    if isinstance(policy, dict) and "signedUrlKeyNames" in policy:
        out["cdnPolicy"] = {k: v for k, v in policy.items() if k != "signedUrlKeyNames"}
    return out


def signed_url_key_names(body: dict[str, Any]) -> list[str]:
    return list((body.get("cdnPolicy") or {}).get("signedUrlKeyNames") or [])


def _signed_url_keys(want: Wanted, have: list[str]) -> list[Step]:
    """Remove the keys no longer wanted first (three at most per backend service), then add the new ones; a
    key is known by its name only (the API never returns a value): rotate a key under a new name."""
    if want.signed_url_keys is None:
        return []
    spec_field = want.fields.get("signedUrlKeys")
    out = [
        step(
            want.collection,
            "deleteSignedUrlKey",
            want.name,
            None,
            {"keyName": name},
            changes={"signedUrlKeyNames": (name, None)},
            detail=f"signed URL key {name}",
            field=spec_field,
        )
        for name in have
        if name not in want.signed_url_keys
    ]
    out += [
        step(
            want.collection,
            "addSignedUrlKey",
            want.name,
            None,
            {"keyName": name, "keyValue": value},
            changes={"signedUrlKeyNames": (None, name)},
            detail=f"signed URL key {name}",
            field=spec_field,
        )
        for name, value in want.signed_url_keys.items()
        if name not in have
    ]
    return out


def _create(want: Wanted, body: dict[str, Any]) -> list[Step]:
    collection, zone, name = want.collection, want.zone, want.name
    out = [step(collection, "insert", name, zone, body, action="create", field=want.field)]
    if want.members:
        out.append(_members("addInstances", want, list(want.members)))
    if want.endpoints:
        out.append(_endpoints("attachNetworkEndpoints", want, list(want.endpoints)))
    if want.security_policy:
        out.append(_policy(want, None))
    out += _signed_url_keys(want, [])
    return out


def _update(want: Wanted, body: dict[str, Any], existing: Existing, current: Current) -> list[Step]:
    collection, zone, name = want.collection, want.zone, want.name
    out: list[Step] = []
    if collection in FULL_UPDATE or collection in SETTERS:
        changes = differing_fields(comparable(collection, body), comparable(collection, existing.body))
        if collection in FULL_UPDATE and changes:
            sent = dict(body)
            if existing.body.get("fingerprint"):
                # as read at discovery: a 412 means it changed meanwhile
                sent["fingerprint"] = existing.body["fingerprint"]
            out.append(
                step(collection, "update", name, zone, sent, "update", changes, "in place", want.field)
            )
        for field_name, method, fingerprint in SETTERS.get(collection, ()):
            if field_name in changes:
                have = changes[field_name][0]
                spec_field = want.fields.get(field_name, want.field)
                out.append(
                    _set(
                        want.key,
                        field_name,
                        method,
                        fingerprint,
                        body.get(field_name),
                        have,
                        existing,
                        spec_field,
                    )
                )
    if collection == "backendServices" and not same(
        want.security_policy, existing.body.get("securityPolicy")
    ):
        out.append(_policy(want, existing.body.get("securityPolicy")))
    out += _signed_url_keys(want, signed_url_key_names(existing.body))
    if want.members is not None:
        have_members = set(current.members.get((zone or "", name), []))
        add = sorted(set(want.members) - have_members)
        remove = sorted(have_members - set(want.members))
        if add:
            out.append(_members("addInstances", want, add))
        if remove:
            out.append(_members("removeInstances", want, remove))
    if want.endpoints is not None:
        have_eps = current.endpoints.get((zone or "", name), [])
        have_keys = {endpoint_key(c) for c in have_eps}
        want_keys = {endpoint_key(e) for e in want.endpoints}
        attach = [e for e in want.endpoints if endpoint_key(e) not in have_keys]
        detach = [c for c in have_eps if endpoint_key(c) not in want_keys]
        if attach:
            out.append(_endpoints("attachNetworkEndpoints", want, attach))
        if detach:
            out.append(_endpoints("detachNetworkEndpoints", want, detach))
    return out


def _set(
    key: Key,
    field_name: str,
    method: str,
    fingerprint: str | None,
    value: object,
    have: object,
    existing: Existing,
    spec_field: str | None = None,
) -> Step:
    """A setX call of one field, under the fingerprint it needs as read at discovery."""
    body: dict[str, Any] = {field_name: value}
    if fingerprint and existing.body.get(fingerprint):
        body[fingerprint] = existing.body[fingerprint]
    changes = {field_name: (have, value)}
    return step(key[0], method, key[2], key[1] or None, body, "update", changes, field_name, spec_field)


def _policy(want: Wanted, have: str | None) -> Step:
    changes = {"securityPolicy": (have, want.security_policy)}
    return step(
        want.collection,
        "setSecurityPolicy",
        want.name,
        None,
        {"securityPolicy": want.security_policy},
        changes=changes,
        detail="securityPolicy",
        field=want.fields.get("securityPolicy"),
    )


def _members(method: str, want: Wanted, instances: list[str]) -> Step:
    verb = "add" if method == "addInstances" else "remove"
    return step(
        want.collection,
        method,
        want.name,
        want.zone,
        {"instances": [{"instance": i} for i in instances]},
        detail=f"{verb} {len(instances)} instance(s)",
    )


def _endpoints(method: str, want: Wanted, endpoints: list[Endpoint]) -> Step:
    verb = "attach" if method == "attachNetworkEndpoints" else "detach"
    return step(
        want.collection,
        method,
        want.name,
        want.zone,
        {"networkEndpoints": [dict(e) for e in endpoints]},
        detail=f"{verb} {len(endpoints)} endpoint(s)",
    )


def _delete(key: Key) -> Step:
    return step(key[0], "delete", key[2], key[1] or None, {}, action="delete")
