"""`lbctl run`: the controller process — informers, leader election, workers, metrics, probes."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass

from kubernetes import client, config

from lbctl import __version__
from lbctl.cloudcalls import CallStats
from lbctl.kube.controller import Controller, ControllerConfig
from lbctl.kube.leader import LeaderElector
from lbctl.kube.metrics import ControllerMetrics, ProbeServer
from lbctl.provider import ProviderConfig, create_provider

log = logging.getLogger("lbctl.run")
USER_AGENT = f"lbctl/{__version__}"
# Every informer holds one connection for its watch (the Gateway API kinds and their CRDs add ten): enough
# room in the pool that requests reuse connections instead of opening and discarding one each time.
CONNECTION_POOL_SIZE = 64


@dataclass(frozen=True)
class RunOptions:
    controller: ControllerConfig
    provider: ProviderConfig
    kube_api_url: str | None = None
    kube_api_token: str | None = None
    kubeconfig: str | None = None
    leader_elect: bool = False
    leader_namespace: str = "lbctl-system"
    leader_lease_seconds: float = 15.0
    metrics_addr: str | None = ":8080"
    health_addr: str | None = ":8081"
    drain_seconds: float = 30.0


def kube_client(
    api_url: str | None = None, kubeconfig: str | None = None, token: str | None = None
) -> client.ApiClient:
    """An explicit URL (emulators; `token` sent as `Authorization: Bearer`), else in-cluster config, else the
    kubeconfig. Requests say `lbctl/<version>`."""
    if api_url:
        cfg = client.Configuration(host=api_url)
        if token:
            cfg.api_key = {"authorization": token}
            cfg.api_key_prefix = {"authorization": "Bearer"}
        cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize, CONNECTION_POOL_SIZE)
        api = client.ApiClient(cfg)
    elif not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
        cfg = client.Configuration()
        config.load_incluster_config(client_configuration=cfg)
        cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize, CONNECTION_POOL_SIZE)
        api = client.ApiClient(cfg)
    else:
        cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=cfg)
        cfg.connection_pool_maxsize = max(cfg.connection_pool_maxsize, CONNECTION_POOL_SIZE)
        api = client.ApiClient(cfg)
    api.user_agent = USER_AGENT
    return api


class ControllerProcess:
    """Everything `lbctl run` starts, startable in a thread (tests, demo) as well as as a process."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.stats = CallStats()
        self.api_client = kube_client(options.kube_api_url, options.kubeconfig, options.kube_api_token)
        provider_options = {"discovery_ttl": options.controller.discovery_ttl, **options.provider.options}
        provider_config = ProviderConfig(
            **{**vars(options.provider), "options": provider_options, "call_stats": self.stats}
        )
        self.provider = create_provider(options.controller.provider, provider_config)
        self.metrics = ControllerMetrics(options.controller.provider)
        self.controller = Controller(
            self.api_client, self.provider, options.controller, self.stats, self.metrics
        )
        self.stopped = threading.Event()
        self._stopping = False
        self._stop_lock = threading.Lock()
        self.lost_leadership = False
        self.elector: LeaderElector | None = None
        self.probes: ProbeServer | None = None

    def start(self) -> ControllerProcess:
        opts = self.options
        if opts.metrics_addr:
            self.metrics.serve(opts.metrics_addr)
        if opts.health_addr:
            self.probes = ProbeServer(opts.health_addr, ready=lambda: self.controller.synced).start()
        self.controller.start_informers()
        if not self.controller.wait_synced(timeout=120):
            log.warning("informer caches not synced yet; waiting before any reconcile")
            self.controller.wait_synced(timeout=float("inf"))
        if opts.leader_elect:
            identity = f"{socket.gethostname()}_{os.getpid()}_{id(self):x}"
            self.elector = LeaderElector(
                self.api_client,
                opts.leader_namespace,
                f"lbctl-{opts.controller.provider}-leader",
                identity,
                on_started=self._lead,
                on_stopped=self._lose,
                lease_seconds=opts.leader_lease_seconds,
                renew_deadline=opts.leader_lease_seconds * 2 / 3,
                retry_period=max(0.2, opts.leader_lease_seconds / 7),
            ).start()
        else:
            self._lead()
        return self

    def _lead(self) -> None:
        self.metrics.leader.set(1)
        self.controller.start_workers()

    def _lose(self) -> None:
        """Leadership lost: stop work at once; the process ends (its Pod restarts as a standby). Giving the
        lease up while shutting down is not a loss."""
        self.metrics.leader.set(0)
        with self._stop_lock:
            if self._stopping:
                return
        self.stats.fenced.set()  # in-flight reconciles must not write another cloud call without the lease
        self.lost_leadership = True
        log.warning("leader lease lost: cloud writes fenced, stopping")
        self.stop()

    def stop(self) -> None:
        """Drain in-flight reconciles, release the Lease, stop the probes; `stopped` is set only then, so a
        process waiting on it exits after all of that, not before."""
        with self._stop_lock:
            if self._stopping:
                return
            self._stopping = True
        try:
            self.controller.stop(drain_timeout=self.options.drain_seconds)
            if self.elector is not None:
                self.elector.stop()
            if self.probes is not None:
                self.probes.stop()
        finally:
            self.stopped.set()

    def wait(self) -> int:
        """Block until stopped; exit code 1 after a lost lease, 0 after a clean stop."""
        self.stopped.wait()
        return 1 if self.lost_leadership else 0


def run(options: RunOptions) -> int:
    """Run until SIGTERM/SIGINT (drain in-flight reconciles, release the lease) or a lost lease."""
    process = ControllerProcess(options)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal received; draining", extra={"signal": signal.Signals(signum).name})
        threading.Thread(target=process.stop, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    process.start()
    return process.wait()
