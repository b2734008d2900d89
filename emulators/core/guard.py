"""The checks a request passes before it reaches an emulator's API: Host, Origin, bearer token, media type.

An emulator listens on a developer's machine, where any web page the browser shows can send it requests: a
page cannot read the answers, but a "simple" cross-origin POST (`text/plain` or form body, no preflight) would
still be executed, and DNS rebinding lets a page's own host name resolve to 127.0.0.1. Hence:

- `Host` must name the address the emulator is bound to (403 otherwise: DNS rebinding);
- an `Origin`, when sent, must be the emulator's own (403: a web page on another origin);
- `Authorization: Bearer <token>` must carry the emulator's token (401);
- a write body must be of a media type the API reads (415).

Each check returns a `Refusal` (or None); the emulator answers it in its API's error shape.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
if TYPE_CHECKING:  # `Message` is generic to type checkers only
    # A plain mapping, or a request's headers as `http.server` parses them.
    Headers = Mapping[str, str] | Message[str, str]
WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - names of the wildcard addresses, not a bind


@dataclass(frozen=True)
class Refusal:
    """Why a request is not served: the HTTP status and a message naming what was wrong."""

    code: int
    message: str


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


def check_host_and_origin(headers: Headers, hosts: frozenset[str], own: str) -> Refusal | None:
    """403 unless `Host` is one of `hosts` and any `Origin` is this emulator (`own`: its URL, for messages)."""
    host = (headers.get("Host") or "").strip().lower()
    if host not in hosts:
        return Refusal(
            403,
            f"Host {host!r} is not this emulator's address ({own}): refused, a page on another "
            "host name may have been resolved to this machine (DNS rebinding)",
        )
    origin = headers.get("Origin")
    origins = {f"{scheme}://{value}" for value in hosts for scheme in ("http", "https")}
    if origin is not None and origin.strip().lower() not in origins:
        return Refusal(
            403,
            f"cross-origin request refused: Origin {origin!r} is not this emulator ({own}); "
            "the emulator serves no web page of another origin",
        )
    return None


def check_bearer_token(headers: Headers, token: str) -> Refusal | None:
    """401 unless `Authorization: Bearer <token>` carries `token` (compared in constant time)."""
    scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return None
    return Refusal(401, "Unauthorized")


def check_media_type(media: str, accepted: Iterable[str], *, absent_ok: bool) -> Refusal | None:
    """415 unless the body's media type is one of `accepted` (or absent, when `absent_ok`)."""
    accepted = tuple(accepted)
    if media in accepted or (not media and absent_ok):
        return None
    return Refusal(
        415,
        "the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}",
    )
