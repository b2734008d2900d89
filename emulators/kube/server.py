"""`KubeEmulator`: the store, faults and request log behind a threading HTTP/1.1 server."""

from __future__ import annotations

import contextlib
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from emulators.core import EmulatorHTTPServer, Faults, RequestLog, ServerThread
from emulators.core import guard as core_guard

from .allocation import DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, ServiceAllocator
from .controllers import Clock, ClusterControllers
from .handler import EmulatorHandler
from .kinds import KINDS, Kind, KindTable
from .kubeconfig import write_kubeconfig
from .records import RequestRecord
from .store import Store
from .tls import ServerCertificate

if TYPE_CHECKING:
    import kubernetes

DEFAULT_NAMESPACES: tuple[str, ...] = ("default", "kube-system", "kube-public", "kube-node-lease")


class KubeEmulator:
    """A Kubernetes API server emulator the official client reaches with `emulator.client_configuration()`.

    Use `start()`/`stop()` (or `with KubeEmulator() as emulator:`) in-process, `serve_forever()` to block.
    Port 0 picks a free port. Faults: `emulator.faults.fail(...)`/`.delay(...)`, `drop_watches()`, `compact()`.
    Requests seen: `emulator.requests`. Every request but the health checks needs `Authorization: Bearer
    <emulator.token>` (a fresh random token unless one is given), a `Host` naming the bound address (or one of
    `allowed_hosts`) and no foreign `Origin`: see `guard`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        history_window: int = 1000,
        bookmark_interval: float = 60.0,
        max_watch_seconds: float = 1800.0,
        kinds: Iterable[Kind] = KINDS,
        namespaces: Iterable[str] = DEFAULT_NAMESPACES,
        service_cidr: str = DEFAULT_SERVICE_CIDR,
        node_port_range: tuple[int, int] = DEFAULT_NODE_PORT_RANGE,
        token: str | None = None,
        allowed_hosts: Iterable[str] = (),
        controllers: bool = True,
        clock: Clock | None = None,
        cluster_cidr: str = "10.244.0.0/16",
        pod_termination_seconds: float = 1.0,
        max_endpoints_per_slice: int = 100,
    ) -> None:
        self.host = host
        self.token = token or secrets.token_urlsafe(32)
        self._extra_hosts = {value.lower() for value in allowed_hosts}
        self._hosts: tuple[int, frozenset[str]] | None = None  # (port, hosts) computed once per bound port
        self._certificate: ServerCertificate | None = None
        self._requested_port = port
        self.bookmark_interval = bookmark_interval
        self.max_watch_seconds = max_watch_seconds
        self.clock: Callable[[], float] = (
            time.monotonic
        )  # watch deadlines and bookmarks; replaceable by a test
        self.kinds = KindTable(kinds)
        self.store = Store(self.kinds, history_window, ServiceAllocator(service_cidr, node_port_range))
        self.faults = Faults(unsupported=("operation_error",))  # no operations in the Kubernetes API
        self.request_log: RequestLog[RequestRecord] = RequestLog()
        self._server: EmulatorHTTPServer | None = None
        self._serving: ServerThread | None = None
        # Kubelet-less controllers (Deployments, ReplicaSets, scheduling, pod lifecycle, EndpointSlices, GC).
        # controllers=False: a bare API server, for callers that write Pods and EndpointSlices themselves.
        self.controllers: ClusterControllers | None = None
        if controllers:
            self.controllers = ClusterControllers(
                self.store,
                clock=clock,
                cluster_cidr=cluster_cidr,
                pod_termination_seconds=pod_termination_seconds,
                max_endpoints_per_slice=max_endpoints_per_slice,
            )
            self.store.graceful_pod_deletion = self.store.garbage_collection = True
        namespace_kind = self.kinds.find("", "v1", "namespaces")
        if namespace_kind is not None:
            for name in namespaces:
                self.store.create(namespace_kind, None, {"metadata": {"name": name}})

    # ---- lifecycle ------------------------------------------------------------------------------

    def bind(self) -> EmulatorHTTPServer:
        """Bind the listening socket (idempotent); `port` is real from here on."""
        if self._server is None:
            names = core_guard.served_names(self.host, self._extra_hosts)
            self._certificate = certificate = ServerCertificate(names)
            # Each connection in TLS when its client opens with a TLS handshake (kubectl), else plain HTTP.
            self._server = EmulatorHTTPServer(
                (self.host, self._requested_port), EmulatorHandler, self, wrap=certificate.wrap_if_tls
            )
            if not core_guard.is_loopback(self.host):
                sys.stderr.write(exposure_warning(f"{self.host or '0.0.0.0'}:{self.port}"))  # noqa: S104
                sys.stderr.flush()
        return self._server

    def _serving_thread(self, poll_interval: float) -> ServerThread:
        if self._serving is None:
            self._serving = ServerThread(self.bind(), f"kube-emulator:{self.port}", poll_interval)
        return self._serving

    def start(self) -> KubeEmulator:
        """Serve in a background thread; returns self once the port is bound."""
        serving = self._serving_thread(0.05)
        if self.controllers is not None:
            self.controllers.start()
        serving.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop()` is called from elsewhere (or KeyboardInterrupt)."""
        serving = self._serving_thread(0.2)
        if self.controllers is not None:
            self.controllers.start()
        try:
            serving.serve_forever()
        finally:
            if self.controllers is not None:
                self.controllers.stop()

    def stop(self) -> None:
        """Stop the controllers, end watches, stop accepting, close open connections."""
        if self.controllers is not None:
            self.controllers.stop()
        self.store.drop_watches()
        serving, self._serving = self._serving, None
        server, self._server = self._server, None
        if serving is not None:
            serving.stop()
        elif server is not None:
            server.server_close()

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # ---- addresses ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one until `start()`)."""
        return self._server.port if self._server is not None else self._requested_port

    @property
    def url(self) -> str:
        """`http://host:port`, for `client_configuration()` (plain HTTP: in-process clients); 127.0.0.1 when
        bound to a wildcard address."""
        return f"http://{self._reach_host}:{self.port}"

    @property
    def https_url(self) -> str:
        """`https://host:port`: the same port in TLS, what the kubeconfig names (kubectl sends a token only
        over TLS). Its certificate is `certificate_pem`."""
        return f"https://{self._reach_host}:{self.port}"

    @property
    def _reach_host(self) -> str:
        return "127.0.0.1" if self.host in core_guard.WILDCARD_HOSTS else self.host

    @property
    def certificate_pem(self) -> bytes:
        """The self-signed certificate the TLS side presents (made when the port is bound)."""
        if self._certificate is None:
            raise RuntimeError("the emulator has no certificate before bind()/start()")
        return self._certificate.pem

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """The `Host` header values served (the bound address under its loopback names, plus any allowed)."""
        if self._hosts is None or self._hosts[0] != self.port:
            self._hosts = (self.port, core_guard.allowed_hosts(self.host, self.port, self._extra_hosts))
        return self._hosts[1]

    def allow_host(self, host_port: str) -> None:
        """Also serve requests whose `Host` is `host_port` (e.g. a forwarding proxy's `127.0.0.1:PORT`)."""
        self._extra_hosts.add(host_port.lower())
        self._hosts = None

    def auth_headers(self) -> dict[str, str]:
        """The header a raw HTTP client (requests, urllib) must send: `Authorization: Bearer <token>`."""
        return {"Authorization": f"Bearer {self.token}"}

    def client_configuration(self, host: str | None = None) -> kubernetes.client.Configuration:
        """A `kubernetes.client.Configuration` for this emulator (or for `host`, e.g. a proxy in front of it)
        that sends the bearer token."""
        import kubernetes

        return kubernetes.client.Configuration(
            host=host or self.url,
            api_key={"authorization": self.token},
            api_key_prefix={"authorization": "Bearer"},
        )

    def api_client(self, host: str | None = None) -> kubernetes.client.ApiClient:
        """`kubernetes.client.ApiClient(self.client_configuration(host))`."""
        import kubernetes

        return kubernetes.client.ApiClient(self.client_configuration(host))

    def write_kubeconfig(
        self, path: str | Path, context: str = "lbctl-emulator", namespace: str = "default"
    ) -> Path:
        """Write a kubeconfig (with the token, mode 0600) for `kubectl` / `load_kube_config` pointing here."""
        self.bind()
        return write_kubeconfig(path, self.https_url, self.token, self.certificate_pem, context, namespace)

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

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the controllers have acted on every change so far (True at once without controllers)."""
        return True if self.controllers is None else self.controllers.settle(timeout)

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far (verb, api_group, resource, subresource, namespace, ...)."""
        return self.request_log.records()


def exposure_warning(address: str) -> str:
    """What the emulator prints on stderr when it listens beyond loopback (`address`: HOST:PORT bound)."""
    return (
        f"\nWARNING: the Kubernetes API emulator listens on {address}, beyond loopback: anyone on the network who "
        "has its token (in the kubeconfig it writes) can read and write everything in it, over plain HTTP "
        "that anyone on the path can read. Use --host 127.0.0.1 unless other machines must reach it.\n\n"
    )


def serve(
    host: str = "127.0.0.1", port: int = 8001, *, history_window: int = 1000, bookmark_interval: float = 60.0
) -> None:
    """Run an emulator in the calling thread until interrupted."""
    emulator = KubeEmulator(host, port, history_window=history_window, bookmark_interval=bookmark_interval)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
