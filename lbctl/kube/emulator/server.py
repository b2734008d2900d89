"""`KubeEmulator`: the store, faults and request log behind a threading HTTP/1.1 server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from .allocation import DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, ServiceAllocator
from .faults import Faults, RequestLog, RequestRecord
from .handler import EmulatorHandler
from .kinds import KINDS, Kind, KindTable
from .kubeconfig import write_kubeconfig
from .store import Store

DEFAULT_NAMESPACES: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: KubeEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, EmulatorHandler)


class KubeEmulator:
    """A Kubernetes API server emulator the official client reaches with `Configuration(host=emulator.url)`.

    Use `start()`/`stop()` (or `with KubeEmulator() as emulator:`) in-process, `serve_forever()` to block.
    Port 0 picks a free port. Faults: `emulator.faults.fail(...)`/`.delay(...)`, `drop_watches()`, `compact()`.
    Requests seen: `emulator.requests`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, history_window: int = 1000,
                 bookmark_interval: float = 60.0, max_watch_seconds: float = 1800.0,
                 kinds: Iterable[Kind] = KINDS, namespaces: Iterable[str] = DEFAULT_NAMESPACES,
                 service_cidr: str = DEFAULT_SERVICE_CIDR,
                 node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE) -> None:
        self.host = host
        self._requested_port = port
        self.bookmark_interval = bookmark_interval
        self.max_watch_seconds = max_watch_seconds
        self.clock: Callable[[], float] = time.monotonic  # watch deadlines and bookmarks; replaceable by a test
        self.kinds = KindTable(kinds)
        self.store = Store(self.kinds, history_window, ServiceAllocator(service_cidr, node_port_range))
        self.faults = Faults()
        self.request_log = RequestLog()
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        namespace_kind = self.kinds.find("", "v1", "namespaces")
        if namespace_kind is not None:
            for name in namespaces:
                self.store.create(namespace_kind, None, {"metadata": {"name": name}})

    # ---- lifecycle ------------------------------------------------------------------------------

    def bind(self) -> _EmulatorHTTPServer:
        """Bind the listening socket (idempotent); `port` is real from here on."""
        if self._server is None:
            self._server = _EmulatorHTTPServer((self.host, self._requested_port), self)
        return self._server

    def start(self) -> KubeEmulator:
        """Serve in a background thread; returns self once the port is bound."""
        server = self.bind()
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"kube-emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop()` is called from elsewhere (or KeyboardInterrupt)."""
        server = self.bind()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self._close_connections()

    def stop(self) -> None:
        """End watches, stop accepting, close open connections."""
        self.store.drop_watches()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self._close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def track_connection(self, connection: socket.socket, open_: bool) -> None:
        """Called by the handler so `stop()` can close keep-alive connections."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def _close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    # ---- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one until `start()`)."""
        return self._server.server_address[1] if self._server is not None else self._requested_port

    @property
    def url(self) -> str:
        """`http://host:port`, for `kubernetes.client.Configuration(host=...)`."""
        return f"http://{self.host}:{self.port}"

    def write_kubeconfig(self, path: str | Path, context: str = "lbctl-emulator", namespace: str = "default") -> Path:
        """Write a kubeconfig for `kubectl` / `kubernetes.config.load_kube_config` pointing here."""
        return write_kubeconfig(path, self.url, context, namespace)

    # ---- test and demo controls -----------------------------------------------------------------

    def kind(self, api_version: str, plural: str) -> Kind:
        """The served kind, e.g. `kind("networking.k8s.io/v1", "ingresses")`, for direct `store` calls."""
        group, _, version = api_version.rpartition("/")
        found = self.kinds.find(group, version, plural)
        if found is None:
            raise KeyError(f"{api_version} {plural} is not served")
        return found

    def drop_watches(self, abrupt: bool = False) -> int:
        """End every open watch now (abrupt: reset the connection instead of a clean end of stream)."""
        return self.store.drop_watches(abrupt)

    def compact(self) -> int:
        """Expire all resourceVersions handed out so far: the next watch resuming from one gets 410."""
        return self.store.compact()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far (verb, api_group, resource, subresource, namespace, ...)."""
        return self.request_log.records()


def serve(host: str = "127.0.0.1", port: int = 8001, *, history_window: int = 1000,
          bookmark_interval: float = 60.0) -> None:
    """Run an emulator in the calling thread until interrupted."""
    emulator = KubeEmulator(host, port, history_window=history_window, bookmark_interval=bookmark_interval)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
