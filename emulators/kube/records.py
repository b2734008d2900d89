"""What the Kubernetes emulator records of each request it served (its request log's entries)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RequestRecord:
    """One request as RBAC sees it. `resource` is empty for non-resource paths such as /version."""

    verb: str
    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    method: str
    path: str
    status: int
    user_agent: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
