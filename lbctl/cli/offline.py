"""The offline commands: `lbctl validate`, `plan` and `route` on manifest files (plan also against a cloud
with --offline, --live or --endpoint-url)."""

from __future__ import annotations

import ipaddress
import re
import sys
from contextlib import ExitStack
from typing import Any

import click

from lbctl.cli.common import (
    EXIT_OK,
    EXIT_WARNINGS,
    all_problems,
    build_all,
    class_option,
    cloud_options,
    exit_code,
    files_option,
    output_option,
    plugins,
    print_problems,
    provider_config,
    provider_option,
    provider_options,
    strict_option,
)
from lbctl.cli.manifests import LoadResult, load
from lbctl.cli.render import (
    changes_table,
    console,
    describe_action,
    dump,
    escape,
    problems_table,
    spec_tables,
    step_documents,
)
from lbctl.cli.services import claim_option
from lbctl.model.builder import BuildResult
from lbctl.model.matching import Request, RouteResult, first_match, normalise_host
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.services import has_service_stack
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import OfflineRequest, ProviderConfig, ProviderError, ProviderPlugin, StackInput


def _translation_problems(builds: dict[str, BuildResult]) -> list[Problem]:
    """Cloud limits only a provider knows (e.g. 100 rules per ALB listener): each provider's validate(),
    with no cloud call."""
    return [
        p for name, built in builds.items() for spec in built.specs for p in plugins()[name].validate(spec)
    ]


@click.command()
@files_option
@provider_option(auto=True)
@class_option
@strict_option
@provider_options("validate")
@output_option
@claim_option
def validate(
    files: tuple[str, ...],
    provider: str,
    class_names: tuple[str, ...],
    strict: bool,
    output: str,
    claim_unclassed: bool,
    **opts: Any,
) -> None:
    """Check manifests and annotations (Ingresses, Services of type LoadBalancer, TargetGroupBindings); list
    problems with their severity.

    Exit 0 when clean, 1 with --strict and only warnings, 2 on errors.
    """
    result = load(files)
    builds = build_all(result, provider, class_names, "validate", opts, assume_missing=True)
    problems = all_problems(result, builds) + _translation_problems(builds)
    if result.snapshot.bindings:
        from lbctl.cli.bindings import binding_specs

        problems += binding_specs(result, provider)[1]
    balancers = [s for s in result.snapshot.services.values() if s.type == "LoadBalancer"]
    if balancers or any(has_service_stack(s) for s in result.snapshot.services.values()):
        from lbctl.cli.services import service_specs

        problems += service_specs(result, provider, claim_unclassed)[1]
    if output != "table":
        click.echo(
            dump(
                [
                    {
                        "severity": str(p.severity),
                        "source": p.source,
                        "object": p.object,
                        "field": p.field,
                        "message": p.message,
                    }
                    for p in problems
                ],
                output,
            )
        )
    elif problems:
        console().print(problems_table(problems))
    else:
        groups = sum(len(b.groups) for b in builds.values())
        bindings = len(result.snapshot.bindings)
        click.echo(
            f"OK: {len(result.snapshot.ingresses)} Ingress(es), {groups} load balancer group(s), "
            + (f"{bindings} TargetGroupBinding(s), " if bindings else "")
            + (f"{len(balancers)} Service(s) of type LoadBalancer, " if balancers else "")
            + "no problems"
        )
    sys.exit(exit_code(problems, strict))


@click.command()
@files_option
@provider_option(auto=True)
@class_option
@output_option
@click.option(
    "--offline", is_flag=True, help="Also show the cloud changes against an empty embedded account/project."
)
@click.option(
    "--live", is_flag=True, help="Also show the cloud changes against the account your credentials reach."
)
@strict_option
@cloud_options("plan")
@claim_option
def plan(
    files: tuple[str, ...],
    provider: str,
    class_names: tuple[str, ...],
    output: str,
    offline: bool,
    live: bool,
    strict: bool,
    claim_unclassed: bool,
    **opts: Any,
) -> None:
    """Show the load balancer spec of each Ingress group and Service of type LoadBalancer; with --offline, --live or --endpoint-url also the
    cloud resources a converge would create, update or delete."""
    if offline and (live or opts["endpoint_url"]):
        raise click.UsageError("--offline plans against an embedded empty cloud; drop --live/--endpoint-url")
    result = load(files)
    builds = build_all(result, provider, class_names, "plan", opts, assume_missing=True)
    problems = all_problems(result, builds)
    documents = []
    out = console() if output == "table" else None  # rich only for tables (start-up time)
    for name, built in builds.items():
        with ExitStack() as stack:
            cloud = None
            plugin = plugins()[name]
            if offline and built.specs:
                try:
                    cloud = plugin(stack.enter_context(_offline_account(plugin, opts, result, built.specs)))
                except ProviderError as err:  # e.g. the embedded cloud is not installed
                    raise click.ClickException(str(err)) from None
            elif live or opts["endpoint_url"]:
                cloud = plugin(provider_config(plugin, "plan", opts))
            for spec in built.specs:
                planned = _plan_in_cloud(cloud, spec, result, problems) if cloud else None
                if out is not None:
                    for item in spec_tables(spec):
                        out.print(item)
                    if planned is not None:
                        where = "an empty account" if offline else "the account"
                        out.print(
                            changes_table(planned.changes, f"Cloud changes against {where}")
                            if planned.changes
                            else "No cloud changes"
                        )
                        for warning in planned.warnings:
                            out.print(f"[yellow]warning:[/] {escape(warning)}")
                    out.print()
                else:
                    doc = spec.to_dict()
                    if planned is not None:
                        doc["changes"] = [vars(c) for c in planned.changes]
                        doc["steps"] = step_documents(planned.steps)
                        doc["warnings_cloud"] = planned.warnings
                    documents.append(doc)
    if result.snapshot.bindings:
        from lbctl.cli.bindings import plan_bindings

        binding_docs, binding_problems = plan_bindings(result, provider, opts, offline, live, out)
        documents += binding_docs
        problems += binding_problems
    balancers = any(has_service_stack(s) for s in result.snapshot.services.values())
    if balancers:
        from lbctl.cli.services import plan_services

        service_docs, service_problems = plan_services(
            result, provider, {**opts, "claim_unclassed": claim_unclassed}, offline, live, out
        )
        documents += service_docs
        problems += service_problems
    if output != "table":
        click.echo(dump(documents, output))
    elif not any(b.specs for b in builds.values()) and not result.snapshot.bindings and not balancers:
        click.echo(nothing_to_show(builds, problems, "No load balancer to show"))
    print_problems(problems)
    sys.exit(exit_code(problems, strict))


def _offline_account(
    plugin: ProviderPlugin, opts: dict[str, Any], result: LoadResult, specs: list[LoadBalancerSpec]
) -> Any:
    """The provider's embedded empty account for `plan --offline` (a context manager of its config)."""
    if plugin.offline is None:
        raise click.UsageError(f"provider {plugin.name} has no embedded account for --offline")
    request = OfflineRequest(opts["cluster_name"], result.snapshot, specs, plugin.values("plan", opts)[0])
    return plugin.offline(request)


def _plan_in_cloud(cloud: Any, spec: LoadBalancerSpec, result: LoadResult, problems: list[Problem]) -> Any:
    """The provider's plan, or None with the problem recorded (a user-fixable cloud-side problem)."""
    try:
        return cloud.plan(StackInput.from_snapshot(spec, result.snapshot))
    except SpecError as err:
        problems.append(err.problem)
    except ProviderError as err:
        problems.append(err.problem(spec.stack))
    return None


def _header(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or name.strip() != name or " " in name:
            raise click.BadParameter(f"{value!r}: expected 'Name: value', e.g. 'X-Tier: gold'")
        if name.lower() in {k.lower() for k in headers}:
            raise click.BadParameter(f"header {name!r} given twice: give each header once")
        headers[name] = content.strip()
    return headers


def _query(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    query: dict[str, str] = {}
    for value in values:
        name, sep, content = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{value!r}: expected name=value, e.g. version=2")
        if name in query:
            raise click.BadParameter(f"query parameter {name!r} given twice: give each parameter once")
        query[name] = content
    return query


def _source_ip(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected an IPv4 or IPv6 address, e.g. 10.0.0.7") from None
    return value


@click.command()
@files_option
@provider_option(auto=True)
@class_option
@click.option("--host", required=True, help="Request Host header.")
@click.option(
    "--path", "request_path", required=True, help="Request path, e.g. /users/42 (may carry ?query)."
)
@click.option("--method", default="GET", show_default=True, help="Request method, e.g. POST.")
@click.option(
    "--header",
    "headers",
    multiple=True,
    callback=_header,
    help="A request header 'Name: value' (repeatable).",
)
@click.option(
    "--query", "query", multiple=True, callback=_query, help="A query parameter name=value (repeatable)."
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="The port the request arrives on [default: the scheme's, 80 or 443].",
)
@click.option(
    "--scheme",
    type=click.Choice(["http", "https"]),
    help="The request's scheme [default: the first listener that serves requests].",
)
@click.option("--source-ip", callback=_source_ip, help="The client address (for source-ip conditions).")
@provider_options("route")
@strict_option
@output_option
def route(
    files: tuple[str, ...],
    provider: str,
    class_names: tuple[str, ...],
    host: str,
    request_path: str,
    method: str,
    headers: dict[str, str],
    query: dict[str, str],
    port: int | None,
    scheme: str | None,
    source_ip: str | None,
    strict: bool,
    output: str,
    **opts: Any,
) -> None:
    """Which backend (service:port) a request reaches, or 404, by the Ingress semantics; redirects with
    their status and Location, rewrites with the host and path the backend receives.

    With --provider aws|gcp the translated cloud rules are evaluated too, the way that cloud does.
    """
    request = Request(host, request_path, method, headers, query, port, scheme, source_ip)
    result = load(files)
    builds = build_all(result, provider, class_names, "route", opts, assume_missing=True)
    problems = all_problems(result, builds)
    answers = []
    for name, built in builds.items():
        cloud = None
        if provider != "auto":
            cloud = plugins()[name](ProviderConfig(cluster_name="lbctl"))
        for spec in built.specs:
            answer = _route_one(spec, request)
            if cloud is not None:
                try:
                    cloud_route = cloud.route(spec, request)
                except (
                    SpecError,
                    ProviderError,
                ) as err:  # the spec cannot be translated (e.g. a cloud limit)
                    problems.append(err.problem if isinstance(err, SpecError) else err.problem(spec.stack))
                    answers.append(answer)
                    continue
                cloud_answer = route_answer(cloud_route, spec, request)
                answer["cloud"] = cloud_answer["backend"]
                answer["cloud_reason"] = cloud_route.reason
                answer["agrees"] = _comparable(cloud_answer) == _comparable(answer)
                if not answer["agrees"]:
                    answer["cloud_answer"] = {k: cloud_answer.get(k) for k in _COMPARED}
            answers.append(answer)
    if output != "table":
        click.echo(dump(answers, output))
    else:
        for answer in answers:
            click.echo(f"{answer['provider']} {answer['stack']}: {answer['backend']}  ({answer['reason']})")
            if "rewrite" in answer:
                click.echo(f"  backend receives {_rewrite_text(answer['rewrite'])}")
            if "cloud" in answer:
                mark = "agrees" if answer["agrees"] else "DIFFERS"
                click.echo(
                    f"  translated {answer['provider']} rules: {answer['cloud']} ({answer['cloud_reason']}) "
                    f"— {mark}"
                )
        if not answers:
            click.echo(nothing_to_show(builds, problems, "No load balancer to route through"))
    print_problems(problems)
    code = exit_code(problems, strict)
    if code == EXIT_OK and any(a.get("agrees") is False for a in answers):
        code = EXIT_WARNINGS
    sys.exit(code)


_COMPARED = ("backend", "redirect", "rewrite", "status")


def _comparable(answer: dict[str, Any]) -> dict[str, Any]:
    """The parts of an answer both sides must agree on; a Location with the scheme's default port
    (`https://h:443/x`, as ALB writes it) is the same URL as one without (`https://h/x`, as GCLB does)."""
    out = {k: answer.get(k) for k in _COMPARED}
    if out["redirect"]:
        location = re.sub(
            r"^(http)://([^/:]+):80(?=/|$)|^(https)://([^/:]+):443(?=/|$)",
            _drop_port,
            out["redirect"]["location"],
        )
        out["redirect"] = {**out["redirect"], "location": location}
        out["backend"] = None  # the redirect describes it
    return out


def _drop_port(found: re.Match[str]) -> str:
    scheme = found.group(1) or found.group(3)
    return f"{scheme}://{found.group(2) or found.group(4)}"


def _rewrite_text(rewrite: dict[str, str]) -> str:
    return " and ".join(f"{k} {v}" for k, v in rewrite.items())


def route_answer(found: RouteResult, spec: LoadBalancerSpec, request: Request) -> dict[str, Any]:
    """The JSON form of a route result: `backend` (what answers), `status`, `redirect` {status, location},
    `rewrite` {host, path} when the backend receives a different host or path, `refused` when no listener
    takes the request."""
    if found.refused is not None:
        backend = f"refused: {found.refused}"
    elif found.location is not None and found.action is None:
        backend = f"redirect {found.status} {found.location}"
    else:
        backend = describe_action(found.action, spec)
    answer: dict[str, Any] = {"backend": backend}
    if found.status is not None:
        answer["status"] = found.status
    if found.location is not None:
        answer["redirect"] = {"status": found.status, "location": found.location}
    rewrite = {}
    if found.backend_host is not None and found.backend_host != normalise_host(request.host):
        rewrite["host"] = found.backend_host
    if found.backend_path is not None and found.backend_path != request.bare_path:
        rewrite["path"] = found.backend_path
    if rewrite:
        answer["rewrite"] = rewrite
    if found.refused is not None:
        answer["refused"] = found.refused
    return answer


def nothing_to_show(builds: dict[str, BuildResult], problems: list[Problem], what: str) -> str:
    """Why there is no load balancer: no Ingress served at all, or the served ones have errors."""
    broken = any(b.groups for b in builds.values()) or any(
        p.severity == Severity.ERROR and p.object.startswith("Ingress ") for p in problems
    )
    if broken:
        return f"{what}: the Ingresses in these files have errors (listed below)."
    return "No Ingress served by lbctl in these files" + (": 404" if "route" in what else ".")


def _route_one(spec: LoadBalancerSpec, request: Request) -> dict[str, Any]:
    found = first_match(spec, request)
    answer = route_answer(found, spec, request)
    return {
        "provider": spec.provider,
        "stack": spec.stack,
        "backend": answer.pop("backend"),
        "reason": found.reason,
        "rule": str(found.rule.source) if found.rule else None,
        **answer,
    }
