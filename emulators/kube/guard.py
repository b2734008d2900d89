"""The checks every request passes before it reaches the API: Host, Origin, bearer token, body media type.

The emulator listens on a developer's machine, where any web page the browser shows can send it requests:
a page cannot read the answers, but a "simple" cross-origin POST (`text/plain` or form body, no preflight)
would still be executed, and DNS rebinding lets a page's own host name resolve to 127.0.0.1. So, in order:

- `Host` must name the address the emulator is bound to (403 otherwise: DNS rebinding);
- an `Origin`, when sent, must be the emulator's own (403: a web page on another origin);
- `Authorization: Bearer <token>` must carry the emulator's token (401, as the real API server answers
  a request it cannot authenticate), except on the health paths the real server also serves anonymously;
- a write body must be JSON, YAML or Kubernetes protobuf (415, as the real server answers other types, e.g.
  the `text/plain` and form types a page can send without a preflight; no Content-Type means JSON).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from email.message import Message

from .errors import ApiError

HEALTH_PATHS = ("/healthz", "/readyz", "/livez")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PROTOBUF = "application/vnd.kubernetes.protobuf"
BODY_TYPES = ("application/json", "application/yaml", PROTOBUF)
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)
WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - names of the wildcard addresses, not a bind


def is_loopback(host: str) -> bool:
    """True for a loopback address or `localhost`; False for wildcards and every other address or name."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def machine_names() -> list[str]:
    """This machine's host name, FQDN and the addresses they resolve to: what a client on the network
    puts in `Host` when the emulator listens on a wildcard address."""
    names = {socket.gethostname(), socket.getfqdn()}
    with contextlib.suppress(OSError):
        names.update(socket.gethostbyname_ex(socket.gethostname())[2])
    return sorted(name for name in names if name)


def host_name(host_port: str) -> str:
    """`[::1]:8001` -> `::1`, `localhost:8001` -> `localhost`, `example` -> `example`."""
    if host_port.startswith("["):
        return host_port[1 : host_port.find("]")]
    return host_port.rsplit(":", 1)[0] if host_port.count(":") == 1 else host_port


def served_names(bound_host: str, extra: Iterable[str] = ()) -> list[str]:
    """The names and addresses the emulator answers to: loopback, the bound host (this machine's names when
    that is a wildcard address) and the names of the `extra` NAME:PORT values."""
    names = set(LOOPBACK_NAMES)
    names.update(machine_names() if bound_host in WILDCARD_HOSTS else [bound_host])
    names.update(host_name(value) for value in extra)
    return sorted(host_name(name) if name.startswith("[") else name for name in names)


def allowed_hosts(bound_host: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """Every `Host` header value accepted: loopback names and the bound host (with the port; without it too
    when the port is 80), plus this machine's names when bound to a wildcard address, plus `extra`."""
    names = set(LOOPBACK_NAMES)
    names.update(machine_names() if bound_host in WILDCARD_HOSTS else [bound_host])
    values = {f"{_bracketed(name)}:{port}" for name in names}
    if port == 80:
        values.update(_bracketed(name) for name in names)
    values.update(extra)
    return frozenset(value.lower() for value in values)


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";")[0].strip().lower()


def forbidden(message: str) -> ApiError:
    return ApiError(403, message, "Forbidden", {})


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def check(
    method: str,
    path: str,
    headers: Mapping[str, str] | Message[str, str],  # a plain mapping, or the request's headers as parsed
    body: bytes,
    hosts: frozenset[str],
    own: str,
    token: str,
) -> ApiError | None:
    """The error to answer instead of serving the request, or None when it may proceed (`own`: the
    emulator's URL, named in the messages)."""
    host = (headers.get("Host") or "").strip().lower()
    if host not in hosts:
        return forbidden(
            f"Host {host!r} is not this emulator's address ({own}): refused, a page on another "
            "host name may have been resolved to this machine (DNS rebinding)"
        )
    origin = headers.get("Origin")
    if origin is not None and origin.strip().lower() not in {
        f"{scheme}://{value}" for value in hosts for scheme in ("http", "https")
    }:
        return forbidden(
            f"cross-origin request refused: Origin {origin!r} is not this emulator ({own}); "
            "the emulator serves no web page of another origin"
        )
    if path not in HEALTH_PATHS:
        scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credentials.strip().encode(), token.encode()
        ):
            return unauthorized()
    if method in ("POST", "PUT", "DELETE", "PATCH"):
        return _check_media_type(method, media_type(headers.get("Content-Type")))
    return None


def _check_media_type(method: str, media: str) -> ApiError | None:
    """As the real API server: a body without a Content-Type is read as JSON (the official client sends
    POST, PUT and DELETE so), a PATCH needs one of the patch types, any other type is 415."""
    accepted = PATCH_TYPES if method == "PATCH" else BODY_TYPES
    if media in accepted or (not media and method != "PATCH"):
        return None
    return ApiError(
        415,
        "the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
        "UnsupportedMediaType",
    )
