"""The HTTP request handler: parses Kubernetes API requests, applies faults, answers JSON or a watch stream."""

from __future__ import annotations

import contextlib
import json
import queue
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import yaml

from emulators.core import FaultRule, Faults, JsonRequestHandler, RequestLog

from . import discovery, guard, openapi, protobuf, scale, tls
from .errors import ApiError, bad_request
from .kinds import Kind, KindTable
from .records import RequestRecord
from .removed import removed_api_error
from .routing import DiscoveryPath, ResourcePath, parse_path
from .store import Store, WatchEnd
from .tables import to_table, wants_table


class Cluster(Protocol):
    """What the handler serves: the emulator as it sees it (`server.KubeEmulator` is one)."""

    host: str
    token: str
    store: Store
    kinds: KindTable
    faults: Faults
    request_log: RequestLog[RequestRecord]
    clock: Callable[[], float]
    bookmark_interval: float
    max_watch_seconds: float

    @property
    def port(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def allowed_hosts(self) -> frozenset[str]: ...

    def drop_watches(self, abrupt: bool = False) -> int: ...

    def compact(self) -> int: ...


CONTROL_PREFIX = "/_emulator/"
HEALTH_PATHS = ("/healthz", "/readyz", "/livez")
_WATCH_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class Response:
    """A complete (non-streaming) answer: JSON for dicts, text/plain for strings."""

    code: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def _injected(rule: FaultRule) -> ApiError:
    """The error an injected `status` answers, as a `Status` (with `Retry-After` when the rule has one)."""
    assert rule.status is not None
    error = ApiError(rule.status, rule.message or "injected fault", rule.reason)
    if rule.retry_after is not None:
        error.details = {"retryAfterSeconds": rule.retry_after}
        error.headers["Retry-After"] = str(rule.retry_after)
    return error


def _truthy(value: str | None) -> bool:
    return value in ("true", "1", "True")


def _delete_options(body: Any, query: dict[str, str]) -> dict[str, Any] | None:
    """DeleteOptions from the body, with `gracePeriodSeconds`/`propagationPolicy` query parameters on top."""
    options = dict(body) if isinstance(body, dict) else {}
    if query.get("gracePeriodSeconds", "").lstrip("-").isdigit():
        options["gracePeriodSeconds"] = int(query["gracePeriodSeconds"])
    if query.get("propagationPolicy"):
        options["propagationPolicy"] = query["propagationPolicy"]
    return options or None


def _in_version(kind: Kind, body: Any) -> Any:
    """A custom resource (or a list of them) as the version asked for: every served version of a CRD reads
    the same stored fields (the `None` conversion), under its own apiVersion."""
    if not kind.crd or not isinstance(body, dict):
        return body
    if isinstance(body.get("items"), list) and body.get("kind", "").endswith("List"):
        return {
            **body,
            "apiVersion": kind.api_version,
            "kind": kind.list_kind or f"{kind.kind}List",
            "items": [{**item, "apiVersion": kind.api_version} for item in body["items"]],
        }
    if body.get("kind") == kind.kind:
        return {**body, "apiVersion": kind.api_version}
    return body


class EmulatorHandler(JsonRequestHandler):
    """One connection; HTTP/1.1 keep-alive; watches stream with chunked encoding."""

    server_version = "lbctl-kube-emulator"

    @property
    def emulator(self) -> Cluster:
        return self.app  # the server holds the app as Any

    def _content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def _parse_body(self, raw: bytes) -> Any:
        if not raw.strip():
            return None
        if self._content_type() == guard.PROTOBUF:
            return protobuf.decode(raw)
        try:
            if "yaml" in self._content_type() and "apply-patch" not in self._content_type():
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as error:
            raise bad_request(f"the body of the request could not be decoded: {error}") from None

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send_json(code, body, {"Cache-Control": "no-cache, private", **(headers or {})})

    # ---- dispatch -------------------------------------------------------------------------------

    def handle_request(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        method = self.command
        raw_body = self.read_body()
        refusal = guard.check(
            method, path, self.headers, self.emulator.allowed_hosts, self.emulator.url, self.emulator.token
        )
        if refusal is not None:
            self._record(method.lower(), None, method, path, refusal.code)
            self._send_json(refusal.code, refusal.status())
            return
        if path.startswith(CONTROL_PREFIX):
            self._handle_control(path, method, raw_body)
            return
        target = parse_path(path, self.emulator.kinds)
        verb = self._verb(method, target, query)
        response: Response | None
        decision = self.emulator.faults.decide(method, path, verb)
        if decision.latency:
            self.emulator.faults.sleep(decision.latency)
        rule = decision.rule
        if rule is not None and rule.drop and rule.phase == "before":
            self._record(verb, target, method, path, 0)
            self.drop_connection()
            return
        try:
            if decision.rate_limited is not None:
                raise ApiError(decision.rate_limited.status, "the rate limit of the emulator was exceeded")
            if rule is not None and rule.phase == "before":
                raise _injected(rule)
            if isinstance(target, ResourcePath):
                with self.emulator.store.request_options(query.get("fieldValidation") or "Warn") as warnings:
                    response = self._handle_resource(method, target, query, raw_body)
                if warnings and response is not None:
                    shown = ", ".join(f"299 - {json.dumps(w)}" for w in warnings)
                    response = Response(response.code, response.body, {**response.headers, "Warning": shown})
                if (
                    response is not None
                    and method == "GET"
                    and response.code == 200
                    and wants_table(self.headers.get("Accept"))
                ):
                    response = Response(200, to_table(target.kind, response.body), response.headers)
            else:
                response = self._handle_non_resource(method, path, target)
            if rule is not None:  # phase "after": served, then the answer is lost
                if response is None:  # a watch, logged and answered: its stream ends in a reset
                    self.drop_connection()
                    return
                if rule.drop:
                    self._record(verb, target, method, path, 0)
                    self.drop_connection()
                    return
                raise _injected(rule)
        except ApiError as error:
            response = Response(error.code, error.status(), error.headers)
        if response is None:  # a watch: logged when its stream opened, already answered
            return
        # Log before answering, so a client that reads the log right after its call finds the call in it.
        self._record(verb, target, method, path, response.code)
        if isinstance(response.body, str):
            self.send_text(response.code, response.body)
        else:
            self._send_json(response.code, response.body, response.headers)

    def _verb(self, method: str, target: ResourcePath | DiscoveryPath | None, query: dict[str, str]) -> str:
        if not isinstance(target, ResourcePath):
            return method.lower()
        if method == "GET":
            if target.name:
                return "get"
            return "watch" if _truthy(query.get("watch")) else "list"
        if method == "DELETE" and not target.name:
            return "deletecollection"
        return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
            method, method.lower()
        )

    def _record(
        self, verb: str, target: ResourcePath | DiscoveryPath | None, method: str, path: str, code: int
    ) -> None:
        if isinstance(target, ResourcePath):
            record = RequestRecord(
                verb,
                target.kind.group,
                target.kind.plural,
                target.subresource or "",
                target.namespace or "",
                target.name or "",
                method,
                path,
                code,
                self.headers.get("User-Agent", ""),
            )
        else:
            record = RequestRecord(
                verb, "", "", "", "", "", method, path, code, self.headers.get("User-Agent", "")
            )
        self.emulator.request_log.append(record)

    def _handle_non_resource(self, method: str, path: str, target: DiscoveryPath | None) -> Response:
        removed = removed_api_error(path)
        if removed is not None:
            raise removed
        if method != "GET" and (path.startswith("/apis/") or path.startswith("/api/")):
            raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
        if method != "GET":
            raise ApiError(
                405, f"the server does not allow this method on the requested resource ({method} {path})"
            )
        if path in HEALTH_PATHS:
            return Response(200, "ok")
        kinds = self.emulator.kinds
        body: dict[str, Any] | None = None
        if path == "/version":
            body = discovery.version_info()
        elif path == "/openapi/v2":  # an empty (protobuf) document: kubectl validates with the v3 ones
            return Response(200, "")
        elif path == "/openapi/v3":
            body = openapi.index(kinds)
        elif path.startswith("/openapi/v3/"):
            body = openapi.group_version_document(kinds, path[len("/openapi/v3/") :])
        elif isinstance(target, DiscoveryPath):
            if target.legacy:
                body = (
                    discovery.core_versions(f"{self.emulator.host}:{self.emulator.port}")
                    if target.version is None
                    else discovery.resource_list(kinds, "", target.version)
                )
            elif not target.group:
                body = discovery.group_list(kinds)
            elif target.version is None:
                body = discovery.group(kinds, target.group)
            else:
                body = discovery.resource_list(kinds, target.group, target.version)
        if body is None:
            raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
        return Response(200, body)

    def _handle_resource(
        self, method: str, target: ResourcePath, query: dict[str, str], raw_body: bytes
    ) -> Response | None:
        store, kind = self.emulator.store, target.kind
        all_namespaces = kind.namespaced and target.namespace is None
        if target.subresource == "scale" and kind.scale_subresource and target.name and not all_namespaces:
            return Response(
                200,
                scale.handle(
                    store,
                    kind,
                    target.namespace,
                    target.name,
                    method,
                    self._content_type(),
                    self._parse_body(raw_body),
                ),
            )
        if (
            target.subresource not in (None, "status")
            or (all_namespaces and method != "GET" and target.name)
            or (target.subresource and not kind.status_subresource)
        ):
            raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
        if kind.review and method != "POST":
            raise ApiError(405, f"the server does not allow this method on the requested resource ({method})")
        dry_run = query.get("dryRun") == "All"
        body = self._parse_body(raw_body)
        if method == "GET" and target.name is None:
            if _truthy(query.get("watch")):
                self._stream_watch(target, query)
                return None
            limit = int(query["limit"]) if query.get("limit", "").isdigit() else None
            result = store.list(
                kind,
                target.namespace,
                query.get("labelSelector"),
                query.get("fieldSelector"),
                limit,
                query.get("continue") or None,
            )
        elif method == "GET" and target.name is not None:
            if all_namespaces:
                raise ApiError(404, "the server could not find the requested resource", "NotFound", {})
            result = store.get(kind, target.namespace, target.name)
        elif method == "POST" and target.name is None and not all_namespaces:
            result = store.create(kind, target.namespace, body, dry_run)
            return Response(200 if dry_run or kind.review else 201, _in_version(kind, result))
        elif method == "PUT" and target.name:
            result = store.update(kind, target.namespace, target.name, body, target.subresource, dry_run)
        elif method == "PATCH" and target.name:
            result = store.patch(
                kind, target.namespace, target.name, self._content_type(), body, target.subresource, dry_run
            )
        elif method == "DELETE" and target.name:
            result = store.delete(kind, target.namespace, target.name, _delete_options(body, query), dry_run)
        elif method == "DELETE":
            result = store.delete_collection(
                kind, target.namespace, query.get("labelSelector"), query.get("fieldSelector")
            )
        else:
            raise ApiError(405, f"the server does not allow this method on the requested resource ({method})")
        return Response(200, _in_version(kind, result))

    # ---- watch ----------------------------------------------------------------------------------

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _client_gone(self) -> bool:
        return tls.client_gone(self.connection)

    def _stream_watch(self, target: ResourcePath, query: dict[str, str]) -> None:
        store, emulator = self.emulator.store, self.emulator
        watcher = store.watch(
            target.kind,
            target.namespace,
            query.get("labelSelector"),
            query.get("fieldSelector"),
            query.get("resourceVersion"),
        )
        try:
            timeout = float(query.get("timeoutSeconds") or emulator.max_watch_seconds)
        except ValueError:
            store.stop_watch(watcher)
            raise bad_request(f"invalid timeoutSeconds: {query.get('timeoutSeconds')}") from None
        bookmarks = _truthy(query.get("allowWatchBookmarks"))
        clock = emulator.clock
        deadline = clock() + min(timeout, emulator.max_watch_seconds)
        next_bookmark = clock() + emulator.bookmark_interval
        abrupt = False
        self._record("watch", target, "GET", urlsplit(self.path).path, 200)  # logged when the stream opens
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            while (remaining := deadline - clock()) > 0:
                try:
                    item = watcher.queue.get(timeout=min(remaining, _WATCH_POLL_SECONDS))
                except queue.Empty:
                    if self._client_gone():
                        abrupt = True
                        break
                    if bookmarks and clock() >= next_bookmark:
                        store.bookmark(watcher)
                        next_bookmark = clock() + emulator.bookmark_interval
                    continue
                if isinstance(item, WatchEnd):
                    abrupt = item.abrupt
                    break
                event_type, obj = item
                if event_type != "ERROR":
                    obj = _in_version(target.kind, obj)
                self._write_chunk(
                    json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"
                )
        except OSError:
            abrupt = True
        finally:
            store.stop_watch(watcher)
        if abrupt:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        else:
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.close_connection = True

    # ---- /_emulator control endpoints -------------------------------------------------------------

    def _handle_control(self, path: str, method: str, raw_body: bytes) -> None:
        emulator = self.emulator
        try:
            body = self._parse_body(raw_body) or {}
            if path == "/_emulator/faults" and method == "GET":
                self._send_json(200, emulator.faults.as_dict())
            elif path == "/_emulator/faults" and method == "DELETE":
                emulator.faults.clear()
                self._send_json(200, {"cleared": True})
            elif path == "/_emulator/faults" and method == "POST":
                self._send_json(200, self._apply_control_action(body))
            elif path == "/_emulator/requests" and method == "GET":
                self._send_json(200, {"requests": [r.as_dict() for r in emulator.request_log.records()]})
            elif path == "/_emulator/requests" and method == "DELETE":
                emulator.request_log.clear()
                self._send_json(200, {"cleared": True})
            else:
                raise ApiError(404, f"no emulator control endpoint {method} {path}")
        except ApiError as error:
            self._send_json(error.code, error.status())

    def _apply_control_action(self, body: Any) -> dict[str, Any]:
        """`POST /_emulator/faults`: a fault rule (or a list of them, or `{"rate_limit": ...}`), as for every
        emulator; or `{"action": "drop_watches" | "compact" | "clear"}`, this emulator's own controls."""
        emulator = self.emulator
        if isinstance(body, dict) and "action" in body:
            action = body.pop("action")
            if action == "drop_watches" and set(body) <= {"abrupt"}:
                return {"dropped": emulator.drop_watches(abrupt=bool(body.get("abrupt", False)))}
            if action == "compact" and not body:
                return {"resourceVersion": str(emulator.compact())}
            if action == "clear" and not body:
                emulator.faults.clear()
                return {"cleared": True}
            raise bad_request(
                f"action: expected drop_watches (with abrupt), compact or clear alone, got {action!r} "
                f"with {sorted(body)}; a fault rule is posted without an action"
            )
        try:
            return {
                "added": [
                    emulator.faults.add_from_json(spec)
                    for spec in (body if isinstance(body, list) else [body])
                ]
            }
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from None
