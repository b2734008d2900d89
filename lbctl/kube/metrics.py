"""Prometheus metrics and the /healthz, /readyz probe server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class ControllerMetrics:
    """The controller's metrics, in their own registry (several controllers may share a process in tests)."""

    def __init__(self, provider: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.provider = provider
        self.reconciles = Counter(
            "lbctl_reconcile_total", "Reconciles by outcome.", ["provider", "outcome"], registry=self.registry
        )
        self.reconcile_seconds = Histogram(
            "lbctl_reconcile_duration_seconds", "Reconcile duration.", ["provider"], registry=self.registry
        )
        self.queue_depth = Gauge(
            "lbctl_workqueue_depth", "Keys waiting in the work queue.", registry=self.registry
        )
        self.cloud_calls = Counter(
            "lbctl_cloud_api_calls_total",
            "Cloud API calls.",
            ["service", "operation", "outcome"],
            registry=self.registry,
        )
        self.managed = Gauge(
            "lbctl_managed_load_balancers", "Load balancers managed.", ["provider"], registry=self.registry
        )
        self.leader = Gauge("lbctl_leader", "1 while this replica is the leader.", registry=self.registry)

    def count_call(self, service: str, operation: str, outcome: str) -> None:
        self.cloud_calls.labels(service, operation, outcome).inc()

    def serve(self, address: str) -> None:
        host, port = split_address(address)
        start_http_server(port, addr=host, registry=self.registry)


def split_address(address: str) -> tuple[str, int]:
    """':8080' or '0.0.0.0:8080' → (host, port)."""
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)


class ProbeServer:
    """Serves /healthz (process alive) and /readyz (caches synced) on their own port."""

    def __init__(self, address: str, ready: Callable[[], bool]) -> None:
        ready_check = ready

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path == "/healthz":
                    code, text = 200, "ok"
                elif self.path == "/readyz":
                    code, text = (200, "ok") if ready_check() else (503, "informer caches not synced")
                else:
                    code, text = 404, "not found"
                payload = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

        host, port = split_address(address)
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="probes", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> ProbeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
