"""Google API errors as the Compute REST API reports them."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from emulators.core import HttpError

_GRPC_STATUS_BY_HTTP: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}

_DEFAULT_REASON_BY_HTTP: dict[int, str] = {
    400: "invalid",
    403: "forbidden",
    404: "notFound",
    409: "alreadyExists",
    412: "conditionNotMet",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}


def default_reason(code: int) -> str:
    """The `errors[].reason` Google uses by default for an HTTP status."""
    return _DEFAULT_REASON_BY_HTTP.get(code, "backendError")


class ApiError(HttpError):
    """An error answered to the client, either as an HTTP error or inside a DONE operation.

    `deferrable` marks errors the real API may also report asynchronously (inside the operation),
    e.g. "already exists" or "in use"; the emulator can be configured to report those that way.
    """

    def __init__(self, code: int, reason: str, message: str, *, deferrable: bool = False) -> None:
        super().__init__(code, message, reason)
        self.deferrable = deferrable

    def body(self) -> dict[str, Any]:
        return self.http_payload()

    def http_payload(self) -> dict[str, Any]:
        """The JSON body of an HTTP error response (Google JSON error shape)."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
                "status": _GRPC_STATUS_BY_HTTP.get(self.code, "UNKNOWN"),
            }
        }

    def operation_fields(self) -> dict[str, Any]:
        """The fields a DONE operation carries when it failed with this error."""
        return {
            "error": {"errors": [{"code": _upper_snake(self.reason), "message": self.message}]},
            "httpErrorStatusCode": self.code,
            "httpErrorMessage": _http_phrase(self.code),
        }


def _upper_snake(reason: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", reason).upper()


def _http_phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase.upper()
    except ValueError:
        return "ERROR"


class OperationFailure(ApiError):
    """An error the real API reports only inside the DONE operation (e.g. `memberAlreadyExists`)."""


def not_found(what: str) -> ApiError:
    """404 for a missing resource, `what` like "projects/p/global/urlMaps/x"."""
    return ApiError(404, "notFound", f"The resource '{what}' was not found")


def already_exists(what: str) -> ApiError:
    """409 for inserting a name that is taken."""
    return ApiError(409, "alreadyExists", f"The resource '{what}' already exists", deferrable=True)


def invalid(message: str) -> ApiError:
    """400 for a malformed request."""
    return ApiError(400, "invalid", message)


def required(field: str) -> ApiError:
    """400 for a missing required field."""
    return ApiError(400, "required", f"Required field '{field}' not specified")


def condition_not_met(field: str = "fingerprint") -> ApiError:
    """412 for a stale fingerprint."""
    return ApiError(
        412,
        "conditionNotMet",
        f"Invalid fingerprint. Supplied {field} does not match current {field}.",
    )


def in_use(what: str, kind_label: str, user: str) -> ApiError:
    """400 for deleting a resource another resource still references."""
    return ApiError(
        400,
        "resourceInUseByAnotherResource",
        f"The {kind_label} resource '{what}' is already being used by '{user}'",
        deferrable=True,
    )


def missing_reference(field: str, reference: str) -> ApiError:
    """400 for a reference to a resource that does not exist."""
    return ApiError(
        400,
        "invalid",
        f"Invalid value for field '{field}': '{reference}'. The referenced resource was not found.",
        deferrable=True,
    )
