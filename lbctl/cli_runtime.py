"""`lbctl run` and `lbctl emulator`: long-running commands."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import click

from lbctl.kube.controller import ControllerConfig
from lbctl.model.gce import CLUSTER_DEFAULT_BACKEND, parse_backend_ref
from lbctl.provider import ProviderConfig


def _backend_ref(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_backend_ref(value)
        except ValueError as err:
            raise click.BadParameter(str(err), ctx, param) from None
    return value


@click.command()
@click.option("--provider", type=click.Choice(["aws", "gcp"]), envvar="LBCTL_PROVIDER", required=True)
@click.option("--cluster-name", envvar="LBCTL_CLUSTER_NAME", required=True, help="Written into ownership tags.")
@click.option("--ingress-class", "class_names", multiple=True, envvar="LBCTL_INGRESS_CLASS",
              help="Class name(s) served (default alb / gce).")
@click.option("--watch-namespace", envvar="LBCTL_WATCH_NAMESPACE", help="Only this namespace (default: all).")
@click.option("--aws-region", envvar="AWS_REGION", default="us-east-1", show_default=True)
@click.option("--aws-vpc-id", envvar="LBCTL_AWS_VPC_ID")
@click.option("--gcp-project", envvar="LBCTL_GCP_PROJECT")
@click.option("--endpoint-url", envvar="LBCTL_ENDPOINT_URL", help="Cloud API endpoint (emulators).")
@click.option("--default-backend-service", envvar="LBCTL_DEFAULT_BACKEND", metavar="NS/NAME:PORT",
              callback=_backend_ref,
              help=f"GCP: URL map default service for Ingresses without spec.defaultBackend [default: "
              f"{CLUSTER_DEFAULT_BACKEND}, GKE's].")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), default=3, show_default=True, envvar="LBCTL_WORKERS")
@click.option("--sync-period", type=float, default=600.0, show_default=True, envvar="LBCTL_SYNC_PERIOD",
              help="Seconds between full resyncs.")
@click.option("--discovery-ttl", type=click.FloatRange(min=0), default=300.0, show_default=True,
              envvar="LBCTL_DISCOVERY_TTL", help="Seconds to trust what cloud discovery found (updated by our own "
              "writes); changes made outside lbctl are seen after at most this long. 0 = discover every time.")
@click.option("--leader-elect/--no-leader-elect", default=False, envvar="LBCTL_LEADER_ELECT")
@click.option("--leader-election-namespace", default="lbctl-system", show_default=True,
              envvar="LBCTL_LEADER_NAMESPACE")
@click.option("--metrics-addr", default=":8080", show_default=True, envvar="LBCTL_METRICS_ADDR",
              help="Where /metrics listens. A bare ':PORT' binds every interface (0.0.0.0), as a pod needs; "
              "outside a cluster use 127.0.0.1:PORT. Empty disables it.")
@click.option("--health-addr", default=":8081", show_default=True, envvar="LBCTL_HEALTH_ADDR",
              help="Where /healthz and /readyz listen; ':PORT' binds every interface too. Empty disables it.")
@click.option("--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig (outside a cluster).")
@click.option("--kube-api-url", envvar="LBCTL_KUBE_API_URL", help="Kubernetes API URL (emulator); with --kube-api-token.")
@click.option("--kube-api-token", envvar="LBCTL_KUBE_API_TOKEN", help="Bearer token for --kube-api-url (the emulator's is in the kubeconfig it writes).")
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]), default="auto", show_default=True)
@click.option("--log-level", default="info", show_default=True)
def run(**opts: Any) -> None:
    """Run the controller: watch Ingresses and converge the cloud."""  # fmt: skip
    from lbctl import logs
    from lbctl.kube.run import RunOptions
    from lbctl.kube.run import run as run_controller

    logs.configure(opts["log_level"], opts["log_format"])
    options = RunOptions(
        controller=ControllerConfig(
            provider=opts["provider"],
            cluster_name=opts["cluster_name"],
            class_names=tuple(opts["class_names"]),
            watch_namespace=opts["watch_namespace"],
            workers=opts["workers"],
            sync_period=opts["sync_period"],
            default_backend=opts["default_backend_service"],
            discovery_ttl=opts["discovery_ttl"],
        ),
        provider=ProviderConfig(
            cluster_name=opts["cluster_name"],
            region=opts["aws_region"],
            endpoint_url=opts["endpoint_url"],
            project=opts["gcp_project"],
            vpc_id=opts["aws_vpc_id"],
        ),
        kube_api_url=opts["kube_api_url"],
        kube_api_token=opts["kube_api_token"],
        kubeconfig=opts["kubeconfig"],
        leader_elect=opts["leader_elect"],
        leader_namespace=opts["leader_election_namespace"],
        metrics_addr=opts["metrics_addr"] or None,
        health_addr=opts["health_addr"] or None,
    )
    sys.exit(run_controller(options))


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (beyond loopback: warned).")
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--kubeconfig", "kubeconfig_path", type=click.Path(),
              help="Where to write the kubeconfig holding the token (default: a new private temporary folder).")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME:PORT",
              help="Also serve requests whose Host header is this (the bound address is always served).")
@click.option("--controllers/--no-controllers", default=True, show_default=True,
              help="Run Deployments, pod placement and EndpointSlices (a cluster without kubelets).")
def emulator_kube(host: str, port: int, kubeconfig_path: str | None, allowed_hosts: tuple[str, ...],
                  controllers: bool) -> None:
    """Serve the Kubernetes API emulator: every request needs the bearer token of the kubeconfig it writes."""
    import tempfile

    from emulators.kube import KubeEmulator

    def write_kubeconfig(server: KubeEmulator) -> None:
        path = kubeconfig_path or str(Path(tempfile.mkdtemp(prefix="lbctl-emulator-")) / "kubeconfig")
        server.write_kubeconfig(path)
        click.echo(f"kubeconfig written (it holds the token): export KUBECONFIG={path}")

    server = KubeEmulator(host=host, port=port, allowed_hosts=allowed_hosts, controllers=controllers)
    _serve_until_interrupted(server, "Kubernetes API emulator", write_kubeconfig)


@emulator.command("gcp")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8002, show_default=True)
def emulator_gcp(host: str, port: int) -> None:
    """Serve the Compute Engine API emulator (use --endpoint-url http://HOST:PORT)."""
    from emulators.gce import ComputeEmulator

    _serve_until_interrupted(ComputeEmulator(host=host, port=port), "Compute API emulator")
