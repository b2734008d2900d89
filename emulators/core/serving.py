"""HTTP serving: a threading HTTP/1.1 server that knows its open connections (so stopping it ends keep-alive
and streaming clients at once), a JSON request handler base, and a background thread to run it in."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .errors import HttpError

log = logging.getLogger(__name__)

# Wraps an accepted connection before it is served (e.g. in TLS when the client opens with a handshake);
# raises OSError when the client left or refused it.
Wrapper = Callable[[socket.socket], socket.socket]


class EmulatorHTTPServer(ThreadingHTTPServer):
    """One thread per connection; `app` is the emulator the handlers serve (`handler.app`)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        app: Any,
        wrap: Wrapper | None = None,
    ) -> None:
        self.app = app
        self.wrap = wrap
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.wrap is None:
            super().finish_request(request, client_address)
            return
        try:
            connection = self.wrap(request)
        except OSError:  # the client left, or refused the certificate: nothing to answer
            return
        try:
            super().finish_request(connection, client_address)
        finally:
            if connection is not request:
                with contextlib.suppress(OSError):
                    connection.close()

    def track(self, connection: socket.socket, open_: bool) -> None:
        """Called by the handler, so `close_connections()` can end keep-alive and streaming connections."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class JsonRequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; every method goes to `handle_request()`; helpers to read a body (with or without
    chunked encoding) and to answer JSON, text or an `HttpError`, or to drop the connection unanswered."""

    protocol_version = "HTTP/1.1"

    @property
    def app(self) -> Any:
        return self.server.app  # type: ignore[attr-defined]

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)  # type: ignore[attr-defined]

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature of the base class
        """The emulators keep their own request log; the access log goes to debug logging only."""
        log.debug("%s " + format, self.address_string(), *args)

    def handle_request(self) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self.handle_request()

    def do_POST(self) -> None:
        self.handle_request()

    def do_PUT(self) -> None:
        self.handle_request()

    def do_PATCH(self) -> None:
        self.handle_request()

    def do_DELETE(self) -> None:
        self.handle_request()

    def read_body(self) -> bytes:
        """The request body, whether sent with a Content-Length or in chunks."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_json(
        self,
        code: int,
        body: Any,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error_body(self, error: HttpError, **json_options: Any) -> None:
        self.send_json(error.code, error.body(), error.headers, **json_options)

    def drop_connection(self) -> None:
        """Close the connection without any answer (what a client sees when a server or a proxy dies)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class ServerThread:
    """Runs an `EmulatorHTTPServer` in a daemon thread (`start`) or the calling one (`serve_forever`)."""

    def __init__(self, server: EmulatorHTTPServer, name: str, poll_interval: float = 0.05) -> None:
        self.server = server
        self._name = name
        self._poll = poll_interval
        self._thread: threading.Thread | None = None
        self._serving = False  # serve_forever() runs in some thread: stop() must shut it down

    @property
    def running(self) -> bool:
        return self._serving

    def start(self) -> None:
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self.server.serve_forever,
                kwargs={"poll_interval": self._poll},
                name=self._name,
                daemon=True,
            )
            self._thread.start()

    def serve_forever(self) -> None:
        self._serving = True
        try:
            self.server.serve_forever(poll_interval=self._poll)
        finally:
            self.server.close_connections()

    def stop(self) -> None:
        """Stop accepting, close the open connections, release the port."""
        if self._serving:
            self.server.shutdown()
            self._serving = False
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.server.server_close()
        self.server.close_connections()
