"""Waiting on a cluster: poll until a condition holds, and read what the controller wrote (addresses, Events)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import kubernetes


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (returned); TimeoutError naming `what` after
    `timeout`. The timeout bounds a hang; it never decides a result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def address_of(api: kubernetes.client.ApiClient, name: str) -> str | None:
    """The first load-balancer address (hostname or IP) in Ingress `default/name`'s status, if any."""
    status = kubernetes.client.NetworkingV1Api(api).read_namespaced_ingress_status(name, "default").status
    entries = status.load_balancer.ingress or []
    return (entries[0].hostname or entries[0].ip) if entries else None


def events_for(api: kubernetes.client.ApiClient, name: str) -> list[tuple[str, str, str]]:
    """(type, reason, message) of every Event in `default` about the object called `name`."""
    events = kubernetes.client.CoreV1Api(api).list_namespaced_event("default").items
    return [(e.type, e.reason, e.message) for e in events if e.involved_object.name == name]


def gone(fn: Callable[[], Any]) -> bool:
    """Whether calling `fn` (a read) answers 404."""
    try:
        fn()
    except kubernetes.client.ApiException as err:
        return err.status == 404
    return False


def free_port() -> int:
    """A loopback TCP port free right now (for a process the test starts to listen on)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_ready(port: int) -> bool:
    """Whether a controller process's health server on `port` answers /readyz with 200."""
    import requests

    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
