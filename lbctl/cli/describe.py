"""`lbctl describe ingress NS/NAME`: what the cloud console would show for an Ingress, in one screen."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from lbctl.cli.common import (
    build_config,
    cloud_options,
    kube_api_options,
    output_option,
    plugins,
    provider_config,
    provider_option,
)
from lbctl.cli.render import console, dump
from lbctl.provider import StackInput, spec_check


@click.group()
def describe() -> None:
    """Show cloud resources of an Ingress, a Service or a Gateway as the cloud console would."""


@describe.command("ingress")
@click.argument("ref", metavar="NAMESPACE/NAME")
@provider_option(auto=False, required=True)
@click.option("--group", "group_name", help="IngressGroup name, when the cluster cannot be read.")
@kube_api_options
@click.option(
    "--kubeconfig", envvar="KUBECONFIG", help="Read the Ingress from this cluster (for groups and drift)."
)
@output_option
@cloud_options("describe")
def describe_ingress(
    ref: str,
    provider: str,
    group_name: str | None,
    kube_api_url: str | None,
    kube_api_token: str | None,
    kubeconfig: str | None,
    output: str,
    **opts: Any,
) -> None:
    """Load balancer, listeners, rules in evaluation order, backends with health, ownership tags, console
    links — and drift between the Ingress and the cloud when the cluster can be read."""
    if "/" not in ref:
        raise click.BadParameter("expected NAMESPACE/NAME, e.g. default/shop", param_hint="NAMESPACE/NAME")
    plugin = plugins()[provider]
    cloud = plugin(provider_config(plugin, "describe", opts))
    stack, drift, note = group_name or ref, None, "cluster not read: drift not checked (pass --kubeconfig)"
    if kube_api_url or kubeconfig or os.environ.get("KUBERNETES_SERVICE_HOST"):
        stack, drift, note = _from_cluster(
            ref, provider, cloud, kube_api_url, kubeconfig, opts, kube_api_token
        )
    view = cloud.describe(stack)
    view["drift"] = drift
    view["note"] = note
    if output != "table":
        click.echo(dump(view, output))
    else:
        print_view(view)
    found = bool(view["load_balancers"] or view["backends"])
    sys.exit(0 if found else 1)


@describe.command("service")
@click.argument("ref", metavar="NAMESPACE/NAME")
@provider_option(auto=False, required=True)
@kube_api_options
@click.option("--kubeconfig", envvar="KUBECONFIG", help="Read the Service from this cluster (for drift).")
@click.option(
    "--claim-unclassed-services", "claim_unclassed", is_flag=True, help="As the controller was run with."
)
@output_option
@cloud_options("describe")
def describe_service(
    ref: str,
    provider: str,
    kube_api_url: str | None,
    kube_api_token: str | None,
    kubeconfig: str | None,
    claim_unclassed: bool,
    output: str,
    **opts: Any,
) -> None:
    """The L4 load balancer of a Service of type LoadBalancer, its listeners, backends with health and
    ownership tags, console links — and drift when the cluster can be read."""
    from lbctl.model.services import service_stack

    namespace, slash, name = ref.partition("/")
    if not slash or not namespace or not name:
        raise click.BadParameter("expected NAMESPACE/NAME, e.g. default/loki", param_hint="NAMESPACE/NAME")
    plugin = plugins()[provider]
    cloud = plugin(provider_config(plugin, "describe", opts))
    stack = service_stack(namespace, name)
    drift, note = None, "cluster not read: drift not checked (pass --kubeconfig)"
    if kube_api_url or kubeconfig or os.environ.get("KUBERNETES_SERVICE_HOST"):
        drift, note = _service_drift(
            ref, provider, cloud, kube_api_url, kubeconfig, kube_api_token, claim_unclassed
        )
    view = cloud.describe(stack)
    view["drift"] = drift
    view["note"] = note
    if output != "table":
        click.echo(dump(view, output))
    else:
        print_view(view)
    sys.exit(0 if view["load_balancers"] or view["backends"] else 1)


@describe.command("gateway")
@click.argument("ref", metavar="NAMESPACE/NAME")
@provider_option(auto=False, required=True)
@kube_api_options
@click.option(
    "--kubeconfig", envvar="KUBECONFIG", help="Read the Gateway and its routes from this cluster (for drift)."
)
@output_option
@cloud_options("describe")
def describe_gateway(
    ref: str,
    provider: str,
    kube_api_url: str | None,
    kube_api_token: str | None,
    kubeconfig: str | None,
    output: str,
    **opts: Any,
) -> None:
    """The load balancer of a Gateway API Gateway: listeners, rules in evaluation order, backends with health,
    ownership tags, console links — and, when the cluster can be read, the statuses lbctl gives the Gateway,
    its listeners and its routes, and drift."""
    from lbctl.model.gateway_build import gateway_stack

    namespace, slash, name = ref.partition("/")
    if not slash or not namespace or not name:
        raise click.BadParameter("expected NAMESPACE/NAME, e.g. infra/edge", param_hint="NAMESPACE/NAME")
    plugin = plugins()[provider]
    cloud = plugin(provider_config(plugin, "describe", opts))
    stack = gateway_stack(namespace, name)
    view = cloud.describe(stack)
    view["drift"], view["note"], view["gateway"] = (
        None,
        "cluster not read: drift not checked (pass --kubeconfig)",
        None,
    )
    if kube_api_url or kubeconfig or os.environ.get("KUBERNETES_SERVICE_HOST"):
        view["drift"], view["note"], view["gateway"] = _gateway_from_cluster(
            ref, provider, cloud, view, kube_api_url, kubeconfig, opts, kube_api_token
        )
    if output != "table":
        click.echo(dump(view, output))
    else:
        print_view(view)
        if view["gateway"] is not None:
            print_gateway_status(view["gateway"])
    sys.exit(0 if view["load_balancers"] or view["backends"] else 1)


def _gateway_from_cluster(
    ref: str,
    provider: str,
    cloud: Any,
    view: dict[str, Any],
    api_url: str | None,
    kubeconfig: str | None,
    opts: dict[str, Any],
    token: str | None,
) -> tuple[list[dict[str, str]] | None, str, dict[str, Any] | None]:
    from lbctl.kube.informer import read_snapshot
    from lbctl.kube.resources import resource_for, watched_resources
    from lbctl.kube.run import kube_client
    from lbctl.model.gateway_build import build_gateways, gateway_stack
    from lbctl.model.kinds import GATEWAY_KINDS

    api = kube_client(api_url, kubeconfig, token)
    resources = watched_resources(api, provider)
    resources += [resource_for(api, kind) for kind in GATEWAY_KINDS]
    snapshot = read_snapshot(resources)
    namespace, _, name = ref.partition("/")
    config = build_config(plugins()[provider], "describe", opts)
    built = build_gateways(snapshot, config, config.gateway_controller_names, spec_check(config.provider))
    outcome = built.gateways.get(gateway_stack(namespace, name))
    if outcome is None:
        return (
            None,
            f"Gateway {ref} not found in the cluster, or its GatewayClass is not served by lbctl",
            None,
        )
    address = next((lb.get("address") for lb in view["load_balancers"] if lb.get("address")), None)
    routes = {
        key: entries
        for key, entries in built.route_parents.items()
        if any(e["parentRef"]["namespace"] == namespace and e["parentRef"]["name"] == name for e in entries)
    }
    status = {"gateway": outcome.status(address, bool(address), None), "routes": routes}
    if outcome.spec is None:
        problems = "; ".join(f"{p.field}: {p.message}" for p in outcome.problems)
        return None, f"the Gateway does not build into a spec ({problems})", status
    planned = cloud.plan(StackInput.from_snapshot(outcome.spec, snapshot))
    drift = [
        {"action": c.action, "kind": c.kind, "name": c.name, "detail": c.detail} for c in planned.changes
    ]
    note = "in sync with the Gateway and its routes" if not drift else "the cloud differs from the Gateway"
    return drift, note, status


def print_gateway_status(status: dict[str, Any]) -> None:
    """The conditions lbctl gives the Gateway, each listener and each route attached to it."""

    def conditions(items: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{c['type']}={c['status']} {c['reason']}" + (f": {c['message']}" if c.get("message") else "")
            for c in items
        )

    gateway = status["gateway"]
    rows = [["Gateway", conditions(gateway["conditions"])]]
    rows += [
        [f"listener {li['name']} ({li['attachedRoutes']} routes)", conditions(li["conditions"])]
        for li in gateway["listeners"]
    ]
    rows += [
        [
            f"{key.replace(':', ' ', 1)} → {e['parentRef'].get('sectionName', '') or 'Gateway'}",
            conditions(e["conditions"]),
        ]
        for key, entries in sorted(status["routes"].items())
        for e in entries
    ]
    console().print(_table("Gateway API status", ["object", "conditions"], rows))


def _service_drift(
    ref: str,
    provider: str,
    cloud: Any,
    api_url: str | None,
    kubeconfig: str | None,
    token: str | None,
    claim_unclassed: bool,
) -> tuple[list[dict[str, str]] | None, str]:
    from lbctl.kube.informer import read_snapshot
    from lbctl.kube.resources import watched_resources
    from lbctl.kube.run import kube_client
    from lbctl.model.services import build_service, is_served
    from lbctl.provider import ServiceInput, ServiceProvider

    api = kube_client(api_url, kubeconfig, token)
    snapshot = read_snapshot(watched_resources(api, provider))
    service = snapshot.services.get(ref)
    if service is None:
        raise click.ClickException(f"Service {ref} not found in the cluster")
    if not is_served(service, provider, claim_unclassed) or not isinstance(cloud, ServiceProvider):
        return None, f"the Service is not served by lbctl on {provider}"
    outcome = build_service(service, provider)
    if outcome.spec is None:
        problems = "; ".join(f"{p.field}: {p.message}" for p in outcome.problems)
        return None, f"the Service does not build into a spec ({problems})"
    planned = cloud.plan_service(ServiceInput.from_snapshot(outcome.spec, snapshot))
    drift = [
        {"action": c.action, "kind": c.kind, "name": c.name, "detail": c.detail} for c in planned.changes
    ]
    return drift, "in sync with the Service" if not drift else "the cloud differs from the Service"


def _from_cluster(
    ref: str,
    provider: str,
    cloud: Any,
    api_url: str | None,
    kubeconfig: str | None,
    opts: dict[str, Any],
    token: str | None = None,
) -> tuple[str, list[dict[str, str]] | None, str]:
    from lbctl.kube.informer import read_snapshot
    from lbctl.kube.resources import watched_resources
    from lbctl.kube.run import kube_client
    from lbctl.model.builder import build, stack_of

    api = kube_client(api_url, kubeconfig, token)
    snapshot = read_snapshot(watched_resources(api, provider))
    ingress = snapshot.ingresses.get(ref)
    if ingress is None:
        raise click.ClickException(f"Ingress {ref} not found in the cluster")
    stack = stack_of(ingress, provider)
    result = build(snapshot, build_config(plugins()[provider], "describe", opts))
    outcome = result.groups.get(stack)
    if outcome is None or outcome.spec is None:
        problems = "; ".join(f"{p.field}: {p.message}" for p in (outcome.problems if outcome else []))
        return stack, None, f"the Ingress does not build into a spec ({problems or 'not served by lbctl'})"
    planned = cloud.plan(StackInput.from_snapshot(outcome.spec, snapshot))
    drift = [
        {"action": c.action, "kind": c.kind, "name": c.name, "detail": c.detail} for c in planned.changes
    ]
    return stack, drift, "in sync with the Ingress" if not drift else "the cloud differs from the Ingress"


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(str(c)) if c is not None else "" for c in row))
    return table


def _tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


def print_view(view: dict[str, Any]) -> None:
    """Render a provider's describe() view as tables, drift and console links."""
    out = console()
    out.print(f"[bold]{view['provider'].upper()} resources of stack {escape(view['stack'])}[/]")
    out.print(
        _table(
            "Load balancer",
            ["name", "address", "scheme", "state", "ownership tags"],
            [
                [lb["name"], lb.get("address"), lb.get("scheme"), lb.get("state"), _tags(lb.get("tags", {}))]
                for lb in view["load_balancers"]
            ],
        )
    )
    out.print(
        _table(
            "Listeners",
            ["listener", "certificates", "ssl policy", "default action"],
            [
                [
                    li["listener"],
                    ", ".join(li.get("certificates") or []),
                    li.get("ssl_policy"),
                    li.get("default_action"),
                ]
                for li in view["listeners"]
            ],
        )
    )
    out.print(
        _table(
            "Rules (evaluation order)",
            ["listener", "priority", "conditions", "action"],
            [[r["listener"], r["priority"], "\n".join(r["conditions"]), r["action"]] for r in view["rules"]],
        )
    )
    rows = []
    for b in view["backends"]:
        hc = b.get("health_check", {})
        check = " ".join(f"{k}={v}" for k, v in hc.items() if v is not None)
        targets = (
            "\n".join(f"{t['id']}:{t.get('port')} {t.get('health')}" for t in b.get("targets", [])) or "none"
        )
        rows.append(
            [
                b["name"],
                f"{b.get('protocol')}:{b.get('port')} {b.get('target_type')}",
                check,
                targets,
                _tags(b.get("tags", {})),
            ]
        )
    out.print(
        _table(
            "Backends", ["name", "protocol/port", "health check", "targets (health)", "ownership tags"], rows
        )
    )
    if view["others"]:
        out.print(
            _table(
                "Other resources",
                ["kind", "name", "ownership tags"],
                [[o["kind"], o["name"], _tags(o.get("tags", {}))] for o in view["others"]],
            )
        )
    if view.get("drift"):
        out.print(
            _table(
                "Drift (what converge would change)",
                ["action", "kind", "name", "detail"],
                [[d["action"], d["kind"], d["name"], d["detail"]] for d in view["drift"]],
            )
        )
    out.print(f"Drift: {escape(view['note'])}")
    links = [
        (kind, item)
        for kind in ("load_balancers", "listeners", "backends", "others")
        for item in view[kind]
        if item.get("console")
    ]
    if links:
        out.print("Console links:")
        for _, item in links:
            out.print(
                f"  {escape(item.get('name') or item.get('listener', ''))}: {escape(item['console'])}",
                soft_wrap=True,
            )
