"""HTTP front end: the Compute REST paths plus the `/_emulator/` admin API."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulators.core import EmulatorHTTPServer, FaultRule, Faults, JsonRequestHandler, RequestLog, ServerThread

from .api import ComputeApi
from .custom_methods import CUSTOM_METHODS, GLOBAL_ONLY_METHODS
from .errors import ApiError, default_reason
from .kind_hooks import PREPARE_HOOKS
from .provisioning import provision, set_dns
from .routes import Route, parse_route
from .store import OperationSettings, Store

DEFAULT_ZONES: tuple[str, ...] = ("us-central1-a", "us-central1-b", "us-central1-c")
ADMIN_PREFIX = "/_emulator"
# HealthStatus.healthState of the Compute API
HEALTH_STATES = ("HEALTHY", "UNHEALTHY", "DRAINING", "TIMEOUT", "UNKNOWN")


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
        self._server = EmulatorHTTPServer((host, port), _Handler, self)
        self.host = host
        self.port: int = self._server.port
        shown_host = public_host or ("127.0.0.1" if host in ("0.0.0.0", "") else host)
        self.url = f"http://{shown_host}:{self.port}"
        self.settings = OperationSettings(operation_polls_to_done, operation_delay_seconds, deferred_errors)
        self.store = Store(self.url, tuple(zones), self.settings)
        self.api = ComputeApi(self.store, CUSTOM_METHODS, PREPARE_HOOKS, GLOBAL_ONLY_METHODS)
        self.faults = Faults(seed)
        self.denied: dict[str, set[str]] = {}  # project → IAM permissions the caller lacks there (`deny`)
        self.request_log: RequestLog[RequestRecord] = RequestLog()
        self._serving = ServerThread(self._server, "gce-emulator", poll_interval=0.5)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> ComputeEmulator:
        """Serve in a background thread; returns self."""
        self._serving.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._serving.serve_forever()

    def stop(self) -> None:
        """Stop serving, close open connections and release the port."""
        self._serving.stop()

    def __enter__(self) -> ComputeEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- test and admin helpers ------------------------------------------------------------------

    def reset(self) -> None:
        """Forget resources, operations, faults and the request log."""
        self.store.reset()
        self.faults.clear()
        self.denied.clear()
        self.clear_requests()

    def add_fault(self, **rule: Any) -> FaultRule:
        """Program a fault; see `emulators.core.faults` for the fields (`verb` matches the Compute method
        name, e.g. `urlMaps.insert`)."""
        return self.faults.add(FaultRule(**rule))

    def deny(self, project: str, permissions: list[str]) -> None:
        """The caller lacks these IAM permissions (`compute.firewalls.create`, …) on `project` from now on: a
        Shared VPC host project whose admin keeps firewall rules to themselves."""
        with self.store.lock:
            self.denied.setdefault(project, set()).update(permissions)

    def check_permission(self, route: Route) -> None:
        """403 `forbidden` as Compute answers a call the caller has no permission for."""
        with self.store.lock:
            denied = self.denied.get(route.project)
        if not denied:
            return
        permission = permission_of(route)
        if permission in denied:
            what = f"projects/{route.project}/{route.scope}/{route.collection}"
            if route.name:
                what += f"/{route.name}"
            raise ApiError(403, "forbidden", f"Required '{permission}' permission for '{what}'")

    def set_health(self, ip_address: str, port: int, state: str) -> None:
        """What the health checkers report for `ip_address`:`port` (port 0: every port) from now on, in
        `backendServices.getHealth` and `listNetworkEndpoints`."""
        if state not in HEALTH_STATES:
            raise ValueError(f"healthState must be one of {', '.join(HEALTH_STATES)}, not {state!r}")
        with self.store.lock:
            self.store.health[(ip_address, port)] = state

    def health_states(self) -> list[dict[str, Any]]:
        """The health states set (`set_health`)."""
        with self.store.lock:
            return [
                {"ipAddress": ip, "port": port, "healthState": state}
                for (ip, port), state in sorted(self.store.health.items())
            ]

    def inventory(self) -> dict[str, Any]:
        """Every stored resource (internal membership fields included), keyed by partial path."""
        return self.store.snapshot()

    @property
    def requests(self) -> list[RequestRecord]:
        """Served requests, oldest first (admin calls excluded)."""
        return self.request_log.records()

    def clear_requests(self) -> None:
        """Empty the request log."""
        self.request_log.clear()

    def set_dns(self, records: dict[str, str | None]) -> dict[str, str]:
        """Set DNS A records (domain → address, None removes) the managed-certificate issuer checks."""
        return set_dns(self.store, records)

    def provision_certificates(self, **body: Any) -> dict[str, Any]:
        """One pass of the managed-certificate issuer (see emulators.gce.provisioning)."""
        return provision(self.store, body)

    def call_counts(self) -> dict[str, int]:
        """Calls per Compute method name (e.g. `urlMaps.insert`)."""
        return dict(Counter(record.api_method for record in self.requests))


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


class _Handler(JsonRequestHandler):
    server_version = "lbctl-gce-emulator"

    @property
    def emulator(self) -> ComputeEmulator:
        return self.app  # the server holds the app as Any

    def handle_request(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw_body = self.read_body()
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
        self.emulator.request_log.append(
            RequestRecord(self.command, parts.path, parts.query, status, api_method, elapsed)
        )
        if status == 0:
            self.drop_connection()
            return
        self._send_json(status, payload)

    def _serve_api(self, route: Route, query: dict[str, str], raw_body: bytes) -> tuple[int, dict[str, Any]]:
        decision = self.emulator.faults.decide(self.command, urlsplit(self.path).path, route.api_method)
        if decision.latency:
            self.emulator.faults.sleep(decision.latency)
        if decision.rate_limited is not None:  # 403 `rateLimitExceeded` is Compute's usual answer
            raise ApiError(decision.rate_limited.status, "rateLimitExceeded", "Rate Limit Exceeded")
        self.emulator.check_permission(route)
        rule = decision.rule
        answer_lost = rule is not None and rule.operation_error is None
        if answer_lost and rule is not None and rule.phase == "before":
            _raise_injected(rule)
        try:
            body = json.loads(raw_body) if raw_body.strip() else {}
        except json.JSONDecodeError as error:
            raise ApiError(400, "parseError", f"Invalid JSON payload received. {error}") from error
        injected = _operation_error(rule) if rule is not None and rule.operation_error is not None else None
        status, payload = self.emulator.api.handle(route, query, body, injected)
        if answer_lost and rule is not None:  # phase "after": applied, then only the answer is lost
            _raise_injected(rule)
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
        self.send_json(status, payload, content_type="application/json; charset=UTF-8")


class _DropConnection(Exception):
    """Close the connection without answering (an injected `drop`)."""


def _raise_injected(rule: FaultRule) -> None:
    """Answer what an injected `status` or `drop` says, in Compute's error shape."""
    if rule.drop:
        raise _DropConnection
    code = int(rule.status or 500)
    reason = rule.reason or default_reason(code)
    error = ApiError(code, reason, rule.message or f"Injected fault: {reason}")
    if rule.retry_after is not None:
        error.headers["Retry-After"] = str(rule.retry_after)
    raise error


def _operation_error(rule: FaultRule) -> ApiError:
    """The error an injected `operation_error` puts in the DONE operation."""
    spec = rule.operation_error or {}
    code = int(spec.get("code", 400))
    reason = str(spec.get("reason") or default_reason(code))
    return ApiError(code, reason, str(spec.get("message") or f"Injected operation error ({reason})"))


# the verbs whose IAM permission is not named after the method (the rest: compute.<collection>.<verb>)
_PERMISSION_VERBS = {"insert": "create", "patch": "update", "aggregatedList": "list", "wait": "get"}


def permission_of(route: Route) -> str:
    """The IAM permission a call needs, as Compute's reference names it: `firewalls.insert` needs
    `compute.firewalls.create`, `globalForwardingRules.setTarget` `compute.globalForwardingRules.setTarget`."""
    collection, _, verb = route.api_method.partition(".")
    return f"compute.{collection}.{_PERMISSION_VERBS.get(verb, verb)}"


def _admin_response(emulator: ComputeEmulator, method: str, path: str, body: Any) -> Any:
    """The admin API: faults, reset, inventory, request log, call counts, settings, DNS records and the
    managed-certificate issuer (provisioning.py)."""
    if (method, path) == ("GET", "/health"):
        return {"status": "ok"}
    if (method, path) == ("POST", "/reset"):
        emulator.reset()
        return {"reset": True}
    if (method, path) == ("GET", "/inventory"):
        return {"resources": emulator.inventory()}
    if path == "/faults":
        if method == "GET":
            return emulator.faults.as_dict()
        if method == "POST":
            specs = body if isinstance(body, list) else [body]
            return {"added": [emulator.faults.add_from_json(spec) for spec in specs]}
        if method == "DELETE":
            emulator.faults.clear()
            return {"cleared": True}
    if path == "/requests":
        if method == "GET":
            return {"requests": [asdict(record) for record in emulator.requests]}
        if method == "DELETE":
            emulator.clear_requests()
            return {"cleared": True}
    if path == "/permissions":
        if method == "POST":  # {"project": "host-project", "denied": ["compute.firewalls.create"]}
            emulator.deny(str(body["project"]), [str(p) for p in body["denied"]])
        if method == "DELETE":
            emulator.denied.clear()
        if method in ("GET", "POST", "DELETE"):
            return {"denied": {project: sorted(p) for project, p in emulator.denied.items()}}
    if path == "/health-states":
        if method == "POST":  # {"ipAddress": "10.4.0.7", "port": 8080 (optional), "healthState": "UNHEALTHY"}
            emulator.set_health(str(body["ipAddress"]), int(body.get("port") or 0), str(body["healthState"]))
        if method == "DELETE":
            emulator.store.health.clear()
        if method in ("GET", "POST", "DELETE"):
            return {"healthStates": emulator.health_states()}
    if path == "/dns" and method in ("GET", "POST"):
        records = set_dns(emulator.store, body.get("records", {}) if method == "POST" else {})
        return {"records": records}
    if (method, path) == ("POST", "/sslCertificates:provision"):
        return {"certificates": provision(emulator.store, body)}
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
