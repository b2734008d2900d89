"""The emulators run in a process of their own, so that the CPU time and peak RSS the benchmark reports
are the controller's, not the emulators'."""

from __future__ import annotations

import contextlib
import multiprocessing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any


@dataclass(frozen=True)
class CloudUrls:
    kube: str
    cloud: str
    kube_token: str  # the emulator's bearer token


def _host(provider: str, conn: Connection) -> None:
    """Child process: the Kubernetes API emulator plus moto (AWS) or the Compute emulator (GCP)."""
    import logging

    logging.disable(logging.CRITICAL)
    from emulators.kube import KubeEmulator

    kube = KubeEmulator(
        history_window=100_000, controllers=False
    ).start()  # the workload writes its own slices
    from emulators.testing.crds import install_lbctl_crds

    install_lbctl_crds(kube, (provider,))  # a cluster lbctl is installed on serves its CRDs
    server: Any
    if provider == "aws":
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        cloud = f"http://{host}:{port}"
    else:
        from emulators.gce import ComputeEmulator

        server = ComputeEmulator(port=0).start()
        cloud = server.url
    conn.send((kube.url, cloud, kube.token))
    with contextlib.suppress(EOFError):
        conn.recv()  # any message, or EOF when the parent goes away, ends the host
    server.stop()
    kube.stop()


class CloudHost:
    """Context manager: start the emulators for `provider` in a child process; `urls` to reach them."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_host, args=(provider, child), daemon=True, name=f"clouds-{provider}"
        )
        self.urls: CloudUrls | None = None

    def __enter__(self) -> CloudUrls:
        self.process.start()
        if not self.conn.poll(120):
            raise RuntimeError("emulators did not start within 120 s")
        kube, cloud, token = self.conn.recv()
        self.urls = CloudUrls(kube, cloud, token)
        return self.urls

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
