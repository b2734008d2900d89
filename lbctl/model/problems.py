"""Problems found while reading manifests or building specs: what, where, how bad."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a problem is: errors stop the object, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One user-fixable finding, naming the object and the field it concerns."""

    severity: Severity
    object: str  # e.g. "Ingress default/web"
    field: str  # e.g. "metadata.annotations[alb.ingress.kubernetes.io/listen-ports]"
    message: str
    source: str = ""  # e.g. "app.yaml#2" when the object came from a file

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.severity}: {self.object}: {self.field}: {self.message}"


class SpecError(Exception):
    """A problem that makes an object or group unusable; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def shorten(value: str, limit: int = 80) -> str:
    """Quote a user value for a message, cut to `limit` characters so huge inputs stay readable."""
    text = value if len(value) <= limit else value[:limit] + f"…(+{len(value) - limit} chars)"
    return repr(text)
