"""Map request paths to (kind, namespace, name, subresource), as the API server's request info does."""

from __future__ import annotations

from dataclasses import dataclass

from .kinds import Kind, KindTable


@dataclass(frozen=True)
class ResourcePath:
    """A resource request. `namespace` None on a namespaced kind means across all namespaces."""

    kind: Kind
    namespace: str | None
    name: str | None
    subresource: str | None


@dataclass(frozen=True)
class DiscoveryPath:
    """A discovery request: `/api[/v1]` (legacy, group ""), `/apis`, `/apis/{group}[/{version}]`."""

    legacy: bool
    group: str
    version: str | None


def _split(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def parse_path(path: str, kinds: KindTable) -> ResourcePath | DiscoveryPath | None:
    """Resource or discovery target of a path (no query string); None if nothing is served there."""
    parts = _split(path)
    legacy = parts[:1] == ["api"]
    if legacy:
        group, rest = "", parts[1:]
    elif parts[:1] == ["apis"]:
        group, rest = (parts[1], parts[2:]) if len(parts) >= 2 else ("", [])
    else:
        return None
    if not rest:
        return DiscoveryPath(legacy, group, None)
    version, rest = rest[0], rest[1:]
    if not rest:
        return DiscoveryPath(legacy, group, version)
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespaced = kinds.find(group, version, rest[2])
        if namespaced is not None and namespaced.namespaced and len(rest) <= 5:
            return ResourcePath(namespaced, rest[1], _at(rest, 3), _at(rest, 4))
    kind = kinds.find(group, version, rest[0])
    if kind is None or len(rest) > 3:
        return None
    return ResourcePath(kind, None, _at(rest, 1), _at(rest, 2))


def _at(parts: list[str], index: int) -> str | None:
    return parts[index] if len(parts) > index else None
