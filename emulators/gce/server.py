"""HTTP front end: the Compute REST paths plus the `/_emulator/` admin API."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .api import ComputeApi
from .errors import ApiError
from .faults import FaultInjector, FaultRule
from .routes import Route, parse_route
from .store import OperationSettings, Store

DEFAULT_ZONES: tuple[str, ...] = ("us-central1-a", "us-central1-b", "us-central1-c")
ADMIN_PREFIX = "/_emulator"


@dataclass(frozen=True)
class RequestRecord:
    """One served request."""

    method: str
    path: str
    query: str
    status: int
    api_method: str
    duration_ms: float


class ComputeEmulator:
    """An in-process Google Compute Engine REST API emulator.

    >>> emulator = ComputeEmulator().start()
    >>> client = compute_v1.UrlMapsClient(credentials=AnonymousCredentials(),
    ...     client_options={"api_endpoint": emulator.url})
    >>> emulator.stop()

    `port=0` picks a free port. Operations are DONE after `operation_polls_to_done` GETs or
    `operation_delay_seconds`, whichever comes first (both None: DONE at once).
    `deferred_errors=True` reports "already exists", "in use" and "missing reference" inside the DONE
    operation instead of as an HTTP error, as the real API sometimes does.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        zones: tuple[str, ...] = DEFAULT_ZONES,
        operation_polls_to_done: int | None = 2,
        operation_delay_seconds: float | None = None,
        deferred_errors: bool = False,
        seed: int | None = None,
        public_host: str | None = None,
    ) -> None:
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self.host = host
        self.port: int = self._server.server_address[1]
        shown_host = public_host or ("127.0.0.1" if host in ("0.0.0.0", "") else host)
        self.url = f"http://{shown_host}:{self.port}"
        self.settings = OperationSettings(operation_polls_to_done, operation_delay_seconds, deferred_errors)
        self.store = Store(self.url, tuple(zones), self.settings)
        self.api = ComputeApi(self.store)
        self.faults = FaultInjector(seed)
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ComputeEmulator:
        """Serve in a background thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="gce-emulator", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> ComputeEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- test and admin helpers ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget resources, operations, faults and the request log."""
        self.store.reset()
        self.faults.clear()
        self.clear_requests()

    def add_fault(self, **rule: Any) -> FaultRule:
        """Program a fault; see FaultRule for the fields."""
        return self.faults.add(FaultRule(**rule))

    def inventory(self) -> dict[str, Any]:
        """Every stored resource (internal membership fields included), keyed by partial path."""
        return self.store.snapshot()

    @property
    def requests(self) -> list[RequestRecord]:
        """Served requests, oldest first (admin calls excluded)."""
        with self._log_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._log_lock:
            self._requests.clear()

    def call_counts(self) -> dict[str, int]:
        """Calls per Compute method name (e.g. `urlMaps.insert`)."""
        return dict(Counter(record.api_method for record in self.requests))

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._requests.append(record)


def serve(host: str = "127.0.0.1", port: int = 8089, **options: Any) -> None:
    """Run the emulator in the foreground until interrupted (Ctrl-C)."""
    emulator = ComputeEmulator(host, port, **options)
    print(f"Compute Engine emulator listening on {emulator.url}", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


class _Handler(BaseHTTPRequestHandler):
    server_version = "lbctl-gce-emulator"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    @property
    def emulator(self) -> ComputeEmulator:
        return self.server.emulator  # type: ignore[attr-defined]  # set by the server class, not BaseServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silence the default stderr access log (the emulator keeps its own)."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path.startswith(ADMIN_PREFIX):
            self._admin(parts.path[len(ADMIN_PREFIX) :], raw_body)
            return
        api_method = "unknown"
        try:
            route = parse_route(self.command, parts.path)
            api_method = route.api_method
            status, payload = self._serve_api(route, query, raw_body)
        except ApiError as error:
            status, payload = error.code, error.http_payload()
        except _DropConnection:
            status, payload = 0, {}
        elapsed = (time.monotonic() - started) * 1000
        self.emulator._record(
            RequestRecord(self.command, parts.path, parts.query, status, api_method, elapsed)
        )
        if status == 0:
            self.close_connection = True
            return
        self._send_json(status, payload)

    def _serve_api(self, route: Route, query: dict[str, str], raw_body: bytes) -> tuple[int, dict[str, Any]]:
        decision = self.emulator.faults.decide(self.command, urlsplit(self.path).path)
        if decision.delay_seconds:
            self.emulator.faults.sleep(decision.delay_seconds)
        if decision.rate_limited is not None:
            raise decision.rate_limited
        rule = decision.rule
        if rule is not None and rule.operation_error is None and rule.phase == "before":
            if rule.status == 0:
                raise _DropConnection
            raise rule.api_error()
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
        except json.JSONDecodeError as error:
            raise ApiError(400, "parseError", f"Invalid JSON payload received. {error}") from error
        injected = rule.api_error() if rule is not None and rule.operation_error is not None else None
        status, payload = self.emulator.api.handle(route, query, body, injected)
        if rule is not None and rule.operation_error is None and rule.phase == "after":
            if rule.status == 0:
                raise _DropConnection
            raise rule.api_error()
        return status, payload

    def _admin(self, path: str, raw_body: bytes) -> None:
        emulator = self.emulator
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
            status, payload = 200, _admin_response(emulator, self.command, path.rstrip("/"), body)
        except (ValueError, TypeError) as error:
            status, payload = 400, {"error": str(error)}
        except LookupError as error:
            status, payload = 404, {"error": str(error)}
        self._send_json(status, payload)

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _DropConnection(Exception):
    """Close the connection without answering (injected fault with status 0)."""


def _admin_response(emulator: ComputeEmulator, method: str, path: str, body: Any) -> Any:
    """The admin API: faults, reset, inventory, request log, call counts, settings."""
    if (method, path) == ("GET", "/health"):
        return {"status": "ok"}
    if (method, path) == ("POST", "/reset"):
        emulator.reset()
        return {"reset": True}
    if (method, path) == ("GET", "/inventory"):
        return {"resources": emulator.inventory()}
    if path == "/faults":
        if method == "GET":
            return {"faults": emulator.faults.rules(), "rate_limit": _rate_limit(emulator)}
        if method == "POST":
            specs = body if isinstance(body, list) else [body]
            return {"added": [emulator.faults.add_from_json(dict(spec)) for spec in specs]}
        if method == "DELETE":
            emulator.faults.clear()
            return {"cleared": True}
    if path == "/requests":
        if method == "GET":
            return {"requests": [asdict(record) for record in emulator.requests]}
        if method == "DELETE":
            emulator.clear_requests()
            return {"cleared": True}
    if (method, path) == ("GET", "/calls"):
        return {"calls": emulator.call_counts()}
    if path == "/settings":
        if method == "POST":
            for name in ("polls_to_done", "delay_seconds", "deferred_errors", "max_wait_seconds"):
                if name in body:
                    setattr(emulator.settings, name, body[name])
        if method in ("GET", "POST"):
            return {k: v for k, v in asdict(emulator.settings).items() if k not in ("clock", "sleep")}
    raise LookupError(f"no admin endpoint {method} {ADMIN_PREFIX}{path}")


def _rate_limit(emulator: ComputeEmulator) -> dict[str, Any] | None:
    limit = emulator.faults.rate_limit
    if limit is None:
        return None
    return {k: v for k, v in asdict(limit).items() if k not in ("tokens", "updated_at")}
