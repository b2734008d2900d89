"""The Kubernetes emulator's request guard: the shared checks (`emulators.core.guard`) with what the real API
server accepts — anonymous health paths, and the body types it reads (415 for others, e.g. the `text/plain`
and form types a web page can send without a preflight; no Content-Type on POST/PUT/DELETE means JSON, as the
official client sends them; a PATCH needs one of the patch types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulators.core import guard as core

from .errors import ApiError

if TYPE_CHECKING:
    from emulators.core.guard import Headers

HEALTH_PATHS = ("/healthz", "/readyz", "/livez")
PROTOBUF = "application/vnd.kubernetes.protobuf"
BODY_TYPES = ("application/json", "application/yaml", PROTOBUF)
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
REASONS = {401: "Unauthorized", 403: "Forbidden", 415: "UnsupportedMediaType"}


def check(
    method: str, path: str, headers: Headers, hosts: frozenset[str], own: str, token: str
) -> ApiError | None:
    """The error to answer instead of serving the request, or None when it may proceed (`own`: the
    emulator's URL, named in the messages)."""
    refusal = core.check_host_and_origin(headers, hosts, own)
    if refusal is None and path not in HEALTH_PATHS:
        refusal = core.check_bearer_token(headers, token)
    if refusal is None and method in ("POST", "PUT", "DELETE", "PATCH"):
        accepted = PATCH_TYPES if method == "PATCH" else BODY_TYPES
        refusal = core.check_media_type(
            core.media_type(headers.get("Content-Type")), accepted, absent_ok=method != "PATCH"
        )
    if refusal is None:
        return None
    # As the real API server: a 403 carries empty details, a 401 its reason as message.
    details: dict[str, object] | None = {} if refusal.code == 403 else None
    return ApiError(refusal.code, refusal.message, REASONS[refusal.code], details)
