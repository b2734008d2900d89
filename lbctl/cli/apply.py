"""`lbctl apply` and `lbctl delete`: converge (or delete) the cloud stacks of the Ingress groups in files."""

from __future__ import annotations

import sys
from typing import Any

import click

from lbctl.cli.common import (
    all_problems,
    build_all,
    class_option,
    cloud_options,
    exit_code,
    files_option,
    plugins,
    print_problems,
    provider_config,
    provider_option,
)
from lbctl.cli.manifests import load
from lbctl.cli.render import changes_table, console, escape
from lbctl.cli.services import claim_option
from lbctl.model.builder import empty_spec
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.services import has_service_stack
from lbctl.provider import ConvergeResult, ProviderError, StackInput


def _converge_files(
    files: tuple[str, ...],
    provider: str,
    class_names: tuple[str, ...],
    opts: dict[str, Any],
    delete: bool,
    claim_unclassed: bool = False,
) -> None:
    command = "delete" if delete else "apply"
    result = load(files)
    builds = build_all(result, provider, class_names, command, opts)
    problems = all_problems(result, builds)
    for binding in sorted(result.snapshot.bindings.values(), key=lambda b: b.key):
        problems.append(
            Problem(
                Severity.WARNING,
                binding.subject,
                "kind",
                f"not {'deleted' if delete else 'applied'} from files: TargetGroupBindings are converged by the "
                "controller (lbctl run), "
                "which keeps their finalizer, status and shared security group rules; `lbctl plan` shows "
                "what it would do",
                binding.source,
            )
        )
    built = builds[provider]
    plugin = plugins()[provider]
    cloud = plugin(provider_config(plugin, command, opts))
    out = console()
    outcomes: list[ConvergeResult] = []
    for key, group in built.groups.items():
        if group.failed and not delete:
            out.print(f"[red]skipped[/] {key}: its problems are listed below; the cloud is left as it is")
            continue
        spec = empty_spec(provider, key) if delete else group.spec
        assert spec is not None
        try:
            converged = cloud.converge(StackInput.from_snapshot(spec, result.snapshot))
        except SpecError as err:
            problems.append(err.problem)
            out.print(
                f"[red]failed[/] {escape(key)}: {escape(err.problem.field)}: {escape(err.problem.message)}"
            )
            continue
        except ProviderError as err:
            problems.append(err.problem(key))
            if err.subject:  # a problem with the Ingress, said like the model's own problems
                out.print(f"[red]failed[/] {escape(key)}: {escape(err.field or 'cloud')}: {escape(str(err))}")
            else:
                out.print(f"[red]failed[/] {escape(key)}: {escape(str(err))}")
            continue
        outcomes.append(converged)
        verb = "deleted" if delete else "converged"
        addresses = ", ".join(x for x in (converged.address, *converged.extra_addresses) if x)
        out.print(f"[bold]{verb}[/] {key}" + (f" → {addresses}" if addresses else ""))
        if converged.changes:
            out.print(changes_table(converged.changes, "Changes made"))
        for warning in converged.warnings:
            out.print(f"[yellow]warning:[/] {warning}")
        calls = sum(converged.calls.values())
        mutating = sum(n for k, n in converged.calls.items() if _is_mutating_key(k))
        out.print(f"API calls: {calls} ({mutating} mutating)")
    if any(has_service_stack(s) for s in result.snapshot.services.values()):
        from lbctl.cli.services import converge_services

        done, service_problems = converge_services(result, provider, cloud, claim_unclassed, delete)
        problems += service_problems
        for service, outcome in done:
            if isinstance(outcome, ProviderError):
                out.print(
                    f"[red]failed[/] {escape(service.subject)}: {escape(outcome.field or 'cloud')}: {escape(str(outcome))}"
                )
                continue
            verb = "deleted" if delete else "converged"
            out.print(
                f"[bold]{verb}[/] {escape(service.subject)}"
                + (f" → {outcome.address}" if outcome.address else "")
            )
            if outcome.changes:
                out.print(changes_table(outcome.changes, "Changes made"))
            for warning in outcome.warnings:
                out.print(f"[yellow]warning:[/] {escape(warning)}")
            calls = sum(outcome.calls.values())
            mutating = sum(n for k, n in outcome.calls.items() if _is_mutating_key(k))
            out.print(f"API calls: {calls} ({mutating} mutating)")
    print_problems(problems)
    sys.exit(exit_code(problems))


def _is_mutating_key(key: str) -> bool:
    from lbctl.cloudcalls import is_mutating

    parts = key.split(":")
    return len(parts) >= 2 and is_mutating(parts[1])


@click.command()
@files_option
@provider_option(auto=False)
@class_option
@cloud_options("apply")
@claim_option
def apply(
    files: tuple[str, ...], provider: str, class_names: tuple[str, ...], claim_unclassed: bool, **opts: Any
) -> None:
    """Converge the Ingress groups and Services of type LoadBalancer in the files against a cloud account
    (or an emulator)."""
    _converge_files(files, provider, class_names, opts, delete=False, claim_unclassed=claim_unclassed)


@click.command()
@files_option
@provider_option(auto=False)
@class_option
@cloud_options("delete")
@claim_option
def delete(
    files: tuple[str, ...], provider: str, class_names: tuple[str, ...], claim_unclassed: bool, **opts: Any
) -> None:
    """Delete the cloud stacks of the Ingress groups and Services of type LoadBalancer in the files."""
    _converge_files(files, provider, class_names, opts, delete=True, claim_unclassed=claim_unclassed)
