"""Resource keys, reference parsing and name rules of the Compute API."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

NAME_PATTERN = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")

_REFERENCE_PATTERN = re.compile(
    r"^(?:[a-z]+://[^/]+)?/?(?:compute/(?:v1|beta|alpha)/)?"
    r"(?:projects/(?P<project>[^/]+)/)?"
    r"(?P<scope>global|zones/[^/]+|regions/[^/]+)/"
    r"(?P<collection>[A-Za-z]+)/(?P<name>[^/?#]+)$"
)


@dataclass(frozen=True, order=True)
class ResourceKey:
    """Identity of a stored resource: project, scope ("global", "zones/<z>", "regions/<r>"), collection, name."""

    project: str
    scope: str
    collection: str
    name: str

    @property
    def path(self) -> str:
        """Partial URL, e.g. `projects/p/global/urlMaps/x`."""
        return f"projects/{self.project}/{self.scope}/{self.collection}/{self.name}"

    @property
    def zone(self) -> str | None:
        """Zone name for zonal resources, else None."""
        return self.scope.split("/", 1)[1] if self.scope.startswith("zones/") else None

    @property
    def region(self) -> str | None:
        """Region name for regional resources, else None."""
        return self.scope.split("/", 1)[1] if self.scope.startswith("regions/") else None

    @property
    def location_region(self) -> str | None:
        """The region the resource lives in: its own, or its zone's; None for global resources."""
        return self.region or (region_of_zone(self.zone) if self.zone else None)


def region_of_zone(zone: str) -> str:
    """`us-central1` for `us-central1-a`."""
    return zone.rsplit("-", 1)[0]


def is_valid_name(name: str) -> bool:
    """RFC 1035 label of at most 63 characters, as Compute requires for resource names."""
    return bool(NAME_PATTERN.match(name))


def parse_reference(reference: str, default_project: str) -> ResourceKey | None:
    """Parse a full URL or partial path (`projects/p/global/x/n`, `global/x/n`); None if malformed."""
    match = _REFERENCE_PATTERN.match(reference.strip())
    if match is None:
        return None
    return ResourceKey(
        project=match["project"] or default_project,
        scope=match["scope"],
        collection=match["collection"],
        name=match["name"],
    )


def is_ip_literal(value: str) -> bool:
    """True for an IPv4/IPv6 address literal."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
