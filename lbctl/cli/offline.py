"""The offline commands: `lbctl validate`, `plan` and `route` on manifest files (plan also against a cloud
with --offline, --live or --endpoint-url)."""

from __future__ import annotations

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
from lbctl.model.matching import first_match
from lbctl.model.problems import Problem, Severity, SpecError
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
    if balancers:
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
    balancers = any(s.type == "LoadBalancer" for s in result.snapshot.services.values())
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


@click.command()
@files_option
@provider_option(auto=True)
@class_option
@click.option("--host", required=True, help="Request Host header.")
@click.option("--path", "request_path", required=True, help="Request path, e.g. /users/42.")
@provider_options("route")
@strict_option
@output_option
def route(
    files: tuple[str, ...],
    provider: str,
    class_names: tuple[str, ...],
    host: str,
    request_path: str,
    strict: bool,
    output: str,
    **opts: Any,
) -> None:
    """Which backend (service:port) a request reaches, or 404, by the Ingress semantics.

    With --provider aws|gcp the translated cloud rules are evaluated too, the way that cloud does.
    """
    result = load(files)
    builds = build_all(result, provider, class_names, "route", opts, assume_missing=True)
    problems = all_problems(result, builds)
    answers = []
    for name, built in builds.items():
        cloud = None
        if provider != "auto":
            cloud = plugins()[name](ProviderConfig(cluster_name="lbctl"))
        for spec in built.specs:
            answer = _route_one(spec, host, request_path)
            if cloud is not None:
                try:
                    cloud_route = cloud.route(spec, host, request_path)
                except (
                    SpecError,
                    ProviderError,
                ) as err:  # the spec cannot be translated (e.g. a cloud limit)
                    problems.append(err.problem if isinstance(err, SpecError) else err.problem(spec.stack))
                    answers.append(answer)
                    continue
                answer["cloud"] = describe_action(cloud_route.action, spec)
                answer["cloud_reason"] = cloud_route.reason
                answer["agrees"] = answer["cloud"] == answer["backend"]
            answers.append(answer)
    if output != "table":
        click.echo(dump(answers, output))
    else:
        for answer in answers:
            click.echo(f"{answer['provider']} {answer['stack']}: {answer['backend']}  ({answer['reason']})")
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


def nothing_to_show(builds: dict[str, BuildResult], problems: list[Problem], what: str) -> str:
    """Why there is no load balancer: no Ingress served at all, or the served ones have errors."""
    broken = any(b.groups for b in builds.values()) or any(
        p.severity == Severity.ERROR and p.object.startswith("Ingress ") for p in problems
    )
    if broken:
        return f"{what}: the Ingresses in these files have errors (listed below)."
    return "No Ingress served by lbctl in these files" + (": 404" if "route" in what else ".")


def _route_one(spec: LoadBalancerSpec, host: str, path: str) -> dict[str, Any]:
    found = first_match(spec, host, path)
    return {
        "provider": spec.provider,
        "stack": spec.stack,
        "backend": describe_action(found.action, spec),
        "reason": found.reason,
        "rule": str(found.rule.source) if found.rule else None,
    }
