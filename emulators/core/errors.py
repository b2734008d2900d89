"""The base of every error an emulator answers: an HTTP status, a body in the API's own shape, headers."""

from __future__ import annotations

from typing import Any


class HttpError(Exception):
    """An error answered to the client. Subclasses shape `body()` as their API does (a Kubernetes `Status`,
    a Google JSON error); `headers` go out with it (e.g. `Retry-After`)."""

    def __init__(self, code: int, message: str, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The JSON body of the answer; the generic shape, for APIs without one of their own."""
        return {"code": self.code, "reason": self.reason, "message": self.message}
