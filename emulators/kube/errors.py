"""API errors, answered as `Status` objects the way the real API server shapes them."""

from __future__ import annotations

from typing import Any

from emulators.core import HttpError

REASON_BY_CODE: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(HttpError):
    """An error answered to the client as a `Status` (kind Status, status Failure)."""

    def __init__(
        self, code: int, message: str, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(code, message, reason or REASON_BY_CODE.get(code, "Unknown"))
        self.details = details

    def body(self) -> dict[str, Any]:
        return self.status()

    def status(self) -> dict[str, Any]:
        """The `Status` body for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(name: str, group: str, plural: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return details


def not_found(group: str, plural: str, name: str) -> ApiError:
    resource = f"{plural}.{group}" if group else plural
    return ApiError(404, f'{resource} "{name}" not found', "NotFound", _details(name, group, plural))


def already_exists(group: str, plural: str, name: str) -> ApiError:
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        409, f'{resource} "{name}" already exists', "AlreadyExists", _details(name, group, plural)
    )


def conflict(group: str, plural: str, name: str, why: str) -> ApiError:
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {resource} "{name}": {why}',
        "Conflict",
        _details(name, group, plural),
    )


def invalid(kind: str, group: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid; `causes` holds (reason, field, message) triples such as ("FieldValueRequired", ...)."""
    text = "; ".join(f"{field}: {message}" for _, field, message in causes)
    details: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": r, "field": f, "message": m} for r, f, m in causes],
    }
    if group:
        details["group"] = group
    qualified = f"{kind}.{group}" if group else kind
    return ApiError(422, f'{qualified} "{name}" is invalid: {text}', "Invalid", details)


def expired(message: str) -> ApiError:
    return ApiError(410, message, "Expired")


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")
