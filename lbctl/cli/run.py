"""`lbctl run`: the controller, a long-running command."""

from __future__ import annotations

import sys
from typing import Any

import click

from lbctl.cli.common import kube_api_options, plugins, provider_option, provider_options
from lbctl.kube.controller import ControllerConfig
from lbctl.provider import ProviderConfig


@click.command()
@provider_option(auto=False, envvar="LBCTL_PROVIDER", required=True)
@click.option(
    "--cluster-name", envvar="LBCTL_CLUSTER_NAME", required=True, help="Written into ownership tags."
)
@click.option(
    "--ingress-class",
    "class_names",
    multiple=True,
    envvar="LBCTL_INGRESS_CLASS",
    help="Class name(s) served (default alb / gce).",
)
@click.option("--watch-namespace", envvar="LBCTL_WATCH_NAMESPACE", help="Only this namespace (default: all).")
@click.option("--endpoint-url", envvar="LBCTL_ENDPOINT_URL", help="Cloud API endpoint (emulators).")
@provider_options("run")
@click.option("--workers", type=click.IntRange(1, 64), default=3, show_default=True, envvar="LBCTL_WORKERS")
@click.option(
    "--sync-period",
    type=float,
    default=600.0,
    show_default=True,
    envvar="LBCTL_SYNC_PERIOD",
    help="Seconds between full resyncs.",
)
@click.option(
    "--discovery-ttl",
    type=click.FloatRange(min=0),
    default=300.0,
    show_default=True,
    envvar="LBCTL_DISCOVERY_TTL",
    help="Seconds to trust what cloud discovery found (updated by our own "
    "writes); changes made outside lbctl are seen after at most this long. 0 = discover every time.",
)
@click.option(
    "--claim-unclassed-services/--no-claim-unclassed-services",
    default=False,
    envvar="LBCTL_CLAIM_UNCLASSED_SERVICES",
    help="Also serve Services of type LoadBalancer without spec.loadBalancerClass (and without another "
    "controller's annotations). WARNING: a cluster whose in-tree cloud provider also serves them would get "
    "two load balancers per Service: turn it off there (e.g. EKS without the legacy provider).",
)
@click.option("--leader-elect/--no-leader-elect", default=False, envvar="LBCTL_LEADER_ELECT")
@click.option(
    "--leader-election-namespace", default="lbctl-system", show_default=True, envvar="LBCTL_LEADER_NAMESPACE"
)
@click.option(
    "--metrics-addr",
    default=":8080",
    show_default=True,
    envvar="LBCTL_METRICS_ADDR",
    help="Where /metrics listens. A bare ':PORT' binds every interface (0.0.0.0), as a pod needs; "
    "outside a cluster use 127.0.0.1:PORT. Empty disables it.",
)
@click.option(
    "--health-addr",
    default=":8081",
    show_default=True,
    envvar="LBCTL_HEALTH_ADDR",
    help="Where /healthz and /readyz listen; ':PORT' binds every interface too. Empty disables it.",
)
@click.option("--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig (outside a cluster).")
@kube_api_options
@click.option("--log-format", type=click.Choice(["auto", "json", "text"]), default="auto", show_default=True)
@click.option("--log-level", default="info", show_default=True)
def run(**opts: Any) -> None:
    """Run the controller: watch Ingresses and Services of type LoadBalancer, and converge the cloud."""
    from lbctl.cli import logs
    from lbctl.kube.run import RunOptions
    from lbctl.kube.run import run as run_controller

    logs.configure(opts["log_level"], opts["log_format"])
    provider_values, model_values = plugins()[opts["provider"]].values("run", opts)
    options = RunOptions(
        controller=ControllerConfig(
            provider=opts["provider"],
            cluster_name=opts["cluster_name"],
            class_names=tuple(opts["class_names"]),
            watch_namespace=opts["watch_namespace"],
            workers=opts["workers"],
            sync_period=opts["sync_period"],
            default_backend=model_values.get("cluster_default_backend"),
            model_options=model_values,
            discovery_ttl=opts["discovery_ttl"],
            claim_unclassed_services=opts["claim_unclassed_services"],
        ),
        provider=ProviderConfig(opts["cluster_name"], opts["endpoint_url"], provider_values),
        kube_api_url=opts["kube_api_url"],
        kube_api_token=opts["kube_api_token"],
        kubeconfig=opts["kubeconfig"],
        leader_elect=opts["leader_elect"],
        leader_namespace=opts["leader_election_namespace"],
        metrics_addr=opts["metrics_addr"] or None,
        health_addr=opts["health_addr"] or None,
    )
    sys.exit(run_controller(options))
