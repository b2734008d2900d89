"""Discovery documents (`/api`, `/apis`, `/apis/{group}/{version}`) and `/version`."""

from __future__ import annotations

from typing import Any

from .kinds import Kind, KindTable

EMULATED_MINOR = "32"


def _resource_entries(kind: Kind) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": kind.plural,
        "singularName": kind.singular,
        "namespaced": kind.namespaced,
        "kind": kind.kind,
        "verbs": list(kind.verbs),
    }
    if kind.short_names:
        main["shortNames"] = list(kind.short_names)
    if kind.kind in ("Ingress", "Service", "Pod", "Deployment", "ReplicaSet") and not kind.crd:
        main["categories"] = ["all"]
    elif kind.categories:
        main["categories"] = list(kind.categories)
    entries = [main]
    if kind.status_subresource:
        entries.append(
            {
                "name": f"{kind.plural}/status",
                "singularName": "",
                "namespaced": kind.namespaced,
                "kind": kind.kind,
                "verbs": ["get", "patch", "update"],
            }
        )
    if kind.scale_subresource:
        entries.append(
            {
                "name": f"{kind.plural}/scale",
                "singularName": "",
                "namespaced": kind.namespaced,
                "group": "autoscaling",
                "version": "v1",
                "kind": "Scale",
                "verbs": ["get", "patch", "update"],
            }
        )
    return entries


def resource_list(kinds: KindTable, group: str, version: str) -> dict[str, Any] | None:
    """APIResourceList for one group/version, None if it is not served."""
    served = kinds.in_group_version(group, version)
    if not served:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for kind in served for entry in _resource_entries(kind)],
    }


def core_versions(server_address: str) -> dict[str, Any]:
    """`/api`: APIVersions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_list(kinds: KindTable) -> dict[str, Any]:
    """`/apis`: APIGroupList of every non-core group."""
    groups = [_group(name, versions) for name, versions in kinds.group_versions().items() if name]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(kinds: KindTable, name: str) -> dict[str, Any] | None:
    """`/apis/{group}`: APIGroup, None if not served."""
    versions = kinds.group_versions().get(name)
    if not versions or not name:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def version_info() -> dict[str, Any]:
    """`/version`: the Kubernetes version the emulator answers as."""
    return {
        "major": "1",
        "minor": EMULATED_MINOR,
        "gitVersion": f"v1.{EMULATED_MINOR}.0-lbctl-emulator",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
