"""`lbctl doctor`: check a live set-up and say what to fix."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from lbctl.cli.common import (
    cloud_options,
    kube_api_options,
    output_option,
    plugins,
    provider_config,
    provider_option,
)
from lbctl.cli.render import console, dump
from lbctl.provider import Check

MARK = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


@click.command()
@provider_option(auto=False, envvar="LBCTL_PROVIDER", required=True)
@click.option("--ingress-class", "class_names", multiple=True, help="Class name(s) lbctl serves.")
@click.option(
    "--leader-election-namespace", default="lbctl-system", show_default=True, envvar="LBCTL_LEADER_NAMESPACE"
)
@kube_api_options
@click.option("--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig (outside a cluster).")
@click.option("--skip-cluster", is_flag=True, help="Check only the cloud side.")
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
@output_option
@cloud_options("doctor")
def doctor(
    provider: str,
    class_names: tuple[str, ...],
    leader_election_namespace: str,
    kube_api_url: str | None,
    kube_api_token: str | None,
    kubeconfig: str | None,
    skip_cluster: bool,
    strict: bool,
    output: str,
    **opts: Any,
) -> None:
    """Check credentials, region/project, subnets, IngressClass, RBAC and cloud permissions.

    Exit 2 when something must be fixed, 1 with --strict and warnings, else 0.
    """
    from lbctl.kube.doctor import cluster_checks, exit_code

    checks: list[Check] = []
    if not skip_cluster:
        if (
            kube_api_url
            or kubeconfig
            or os.environ.get("KUBERNETES_SERVICE_HOST")
            or os.path.exists(os.path.expanduser("~/.kube/config"))
        ):
            from lbctl.kube.run import kube_client

            try:
                api = kube_client(kube_api_url, kubeconfig, kube_api_token)
            except Exception as err:
                checks.append(
                    Check(
                        "Kubernetes API",
                        "fail",
                        f"cannot load the client configuration: {err}"[:300],
                        "check KUBECONFIG / --kubeconfig",
                    )
                )
            else:
                checks += cluster_checks(api, provider, class_names, leader_election_namespace)
        else:
            checks.append(
                Check(
                    "Kubernetes API",
                    "fail",
                    "no kubeconfig and not running in a cluster",
                    "set KUBECONFIG or --kubeconfig, or pass --skip-cluster",
                )
            )
    plugin = plugins()[provider]
    cloud = plugin(provider_config(plugin, "doctor", opts))
    checks += cloud.doctor()
    if output != "table":
        click.echo(dump([vars(c) for c in checks], output))
    else:
        table = Table(title=f"lbctl doctor ({provider})", title_justify="left")
        for column in ("check", "result", "detail", "fix"):
            table.add_column(column, overflow="fold")
        for check in checks:
            table.add_row(
                escape(check.name),
                MARK.get(check.status, check.status),
                escape(check.detail),
                escape(check.fix),
            )
        console().print(table)
    sys.exit(exit_code(checks, strict))
