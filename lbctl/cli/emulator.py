"""`lbctl emulator kube|gcp`: the local emulators, long-running commands (a sandbox: like the demo, it names
the clouds it emulates)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import click


@click.group()
def emulator() -> None:
    """Local emulators of the Kubernetes API and the Compute API (no cluster or account needed)."""


def _serve_until_interrupted(server: Any, description: str, after_start: Any = None) -> None:
    server.start()
    try:
        if after_start is not None:
            after_start(server)
        click.echo(f"{description} listening on {server.url} (Ctrl-C to stop)")
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@emulator.command("kube")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (beyond loopback: warned)."
)
@click.option("--port", type=int, default=8001, show_default=True)
@click.option(
    "--kubeconfig",
    "kubeconfig_path",
    type=click.Path(),
    help="Where to write the kubeconfig holding the token (default: a new private temporary folder).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME:PORT",
    help="Also serve requests whose Host header is this (the bound address is always served).",
)
@click.option(
    "--controllers/--no-controllers",
    default=True,
    show_default=True,
    help="Run Deployments, pod placement and EndpointSlices (a cluster without kubelets).",
)
def emulator_kube(
    host: str, port: int, kubeconfig_path: str | None, allowed_hosts: tuple[str, ...], controllers: bool
) -> None:
    """Serve the Kubernetes API emulator: every request needs the bearer token of the kubeconfig it writes.

    lbctl's CRDs (IngressClassParams, TargetGroupBinding, BackendConfig, FrontendConfig, ManagedCertificate) are
    applied at start, as on a cluster lbctl is installed on; any other CRD can be applied with kubectl."""
    import tempfile

    from emulators.kube import KubeEmulator
    from lbctl.demo.crds import install_crds

    def write_kubeconfig(server: KubeEmulator) -> None:
        path = kubeconfig_path or str(Path(tempfile.mkdtemp(prefix="lbctl-emulator-")) / "kubeconfig")
        server.write_kubeconfig(path)
        click.echo(f"kubeconfig written (it holds the token): export KUBECONFIG={path}")
        with server.api_client() as api_client:  # as after `kubectl apply -k manifests/aws` and `gcp`
            installed = [name for cloud in ("aws", "gcp") for name in install_crds(api_client, cloud)]
        if not installed:
            click.echo("note: lbctl's CRDs were not applied (no manifests/ beside the package)", err=True)

    server = KubeEmulator(host=host, port=port, allowed_hosts=allowed_hosts, controllers=controllers)
    _serve_until_interrupted(server, "Kubernetes API emulator", write_kubeconfig)


@emulator.command("gcp")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8002, show_default=True)
def emulator_gcp(host: str, port: int) -> None:
    """Serve the Compute Engine API emulator (use --endpoint-url http://HOST:PORT)."""
    from emulators.gce import ComputeEmulator

    _serve_until_interrupted(ComputeEmulator(host=host, port=port), "Compute API emulator")
