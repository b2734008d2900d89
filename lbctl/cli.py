"""The `lbctl` command line."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from lbctl import __version__
from lbctl.manifests import LoadResult, load
from lbctl.model.builder import BuildConfig, BuildResult, build, empty_spec
from lbctl.model.matching import first_match
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import (
    ConvergeResult,
    OfflineRequest,
    ProviderConfig,
    ProviderError,
    ProviderOption,
    ProviderPlugin,
    StackInput,
    load_plugins,
)
from lbctl.render import (
    changes_table,
    console,
    describe_action,
    dump,
    escape,
    problems_table,
    spec_tables,
    step_documents,
)

EXIT_OK, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 2


@functools.cache
def plugins() -> dict[str, ProviderPlugin]:
    """The installed providers' declarations, by name (sorted)."""
    return {p.name: p for p in load_plugins()}


def provider_names() -> tuple[str, ...]:
    return tuple(plugins())

files_option = click.option(
    "-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
    help="Manifest file or directory (repeatable); '-' reads stdin.",
)  # fmt: skip
output_option = click.option(
    "-o", "--output", type=click.Choice(["table", "yaml", "json"]), default="table", show_default=True
)
class_option = click.option(
    "--ingress-class", "class_names", multiple=True, metavar="NAME",
    help="Ingress class name(s) this controller serves (default: alb for aws, gce for gcp).",
)  # fmt: skip


strict_option = click.option("--strict", is_flag=True, help="Exit 1 on warnings (errors always exit 2).")


def provider_option(auto: bool, envvar: str | None = None, required: bool = False) -> Any:
    """--provider: one of the installed providers, or (`auto`) every provider whose class an Ingress uses.
    Without `auto` and not required, the default is the first installed provider by name."""
    names = provider_names()
    if auto:
        return click.option("--provider", type=click.Choice(["auto", *names]), default="auto", show_default=True,
                            help="Cloud to build for; 'auto' builds for every provider whose class an Ingress uses.")  # fmt: skip
    if required:
        return click.option("--provider", type=click.Choice(list(names)), envvar=envvar, required=True)
    return click.option("--provider", type=click.Choice(list(names)), default=names[0] if names else None,
                        show_default=True, envvar=envvar, help="Cloud to converge.")  # fmt: skip


def _check(option: ProviderOption) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback refusing a value `option.check` refuses, with its message (the expected form)."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if option.check is not None and value is not None:
            for item in value if option.multiple else (value,):
                try:
                    option.check(item)
                except ValueError as err:
                    raise click.BadParameter(str(err), ctx, param) from None
        return value

    return callback


def _click_option(option: ProviderOption) -> Any:
    return click.option(option.flag, option.dest, envvar=option.envvar, default=option.default,
                        show_default=option.default is not None, metavar=option.metavar, multiple=option.multiple,
                        help=option.help or None, callback=_check(option))  # fmt: skip


def provider_options(command: str) -> Callable[[Any], Any]:
    """The options the installed providers declare for `command`, each flag once (two providers may share
    a flag only with the same declaration)."""
    chosen: dict[str, ProviderOption] = {}
    for plugin in plugins().values():
        for option in plugin.options_for(command):
            seen = chosen.setdefault(option.flag, option)
            if seen != option:
                raise RuntimeError(f"providers declare {option.flag} for lbctl {command} differently")

    def decorate(fn: Any) -> Any:
        for option in reversed(list(chosen.values())):
            fn = _click_option(option)(fn)
        return fn

    return decorate


def cloud_options(command: str) -> Callable[[Any], Any]:
    """Options that say which account/project/emulator a provider talks to: the core's, then those of
    the installed providers for `command`."""

    def decorate(fn: Any) -> Any:
        fn = provider_options(command)(fn)
        for option in reversed(
            [
                click.option("--cluster-name", envvar="LBCTL_CLUSTER_NAME", default="lbctl", show_default=True,
                             help="Cluster name written into ownership tags/labels."),
                click.option("--endpoint-url", envvar="LBCTL_ENDPOINT_URL", help="Cloud API endpoint (emulators)."),
            ]
        ):  # fmt: skip
            fn = option(fn)
        return fn

    return decorate


def provider_config(plugin: ProviderPlugin, command: str, opts: dict[str, Any]) -> ProviderConfig:
    """The ProviderConfig a cloud command's options give `plugin`."""
    return ProviderConfig(opts["cluster_name"], opts.get("endpoint_url"), plugin.values(command, opts)[0])


def build_config(plugin: ProviderPlugin, command: str, opts: dict[str, Any], **kwargs: Any) -> BuildConfig:
    """The model's BuildConfig for `plugin`, with the values of its model options for `command`."""
    return BuildConfig.for_provider(plugin.name, **kwargs, **plugin.values(command, opts)[1])


class _LazyGroup(click.Group):
    """Loads the controller-runtime commands (run, emulator) only when they are asked for, so the file-based
    commands start without importing the Kubernetes client (about half of their start-up time)."""

    LAZY = {"run": "lbctl.cli_runtime:run", "emulator": "lbctl.cli_emulator:emulator",
            "describe": "lbctl.cli_describe:describe", "demo": "lbctl.cli_demo:demo",
            "doctor": "lbctl.cli_doctor:doctor", "convert": "lbctl.cli_convert:convert"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module, attr = self.LAZY[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="lbctl")
def main() -> None:
    """Kubernetes Ingress → cloud load balancers (AWS ALB, Google Cloud external HTTP(S) LB)."""


# --------------------------------------------------------------------------- shared steps


def _load(files: tuple[str, ...]) -> LoadResult:
    return load(files)


def _build_all(result: LoadResult, provider: str, class_names: tuple[str, ...], command: str,
               opts: dict[str, Any], assume_missing: bool = False) -> dict[str, BuildResult]:  # fmt: skip
    """Build for each provider; `assume_missing` (validate/plan/route): plan what the files leave open."""
    chosen = provider_names() if provider == "auto" else (provider,)
    return {name: build(result.snapshot, build_config(plugins()[name], command, opts, class_names=class_names or None,
                                                      assume_missing=assume_missing))
            for name in chosen}  # fmt: skip


def _unclaimed(result: LoadResult, builds: dict[str, BuildResult]) -> list[Problem]:
    """Ingresses no provider serves: worth a warning, since nothing will happen to them."""
    claimed = {m for b in builds.values() for g in b.groups.values() for m in g.members}
    out = []
    for key, ingress in result.snapshot.ingresses.items():
        if key not in claimed and not ingress.deleting:
            cls = ingress.annotations.get("kubernetes.io/ingress.class") or ingress.class_name or "(none)"
            out.append(Problem(Severity.WARNING, str(ingress.ref), "spec.ingressClassName",
                               f"class {cls} is not served by lbctl ({', '.join(builds)}); the Ingress is ignored",
                               ingress.source))  # fmt: skip
    return out


def _all_problems(result: LoadResult, builds: dict[str, BuildResult]) -> list[Problem]:
    problems = list(result.problems)
    seen = set(problems)
    for b in builds.values():
        for p in b.problems:
            if p not in seen:
                seen.add(p)
                problems.append(p)
    return problems + _unclaimed(result, builds)


def _translation_problems(builds: dict[str, BuildResult]) -> list[Problem]:
    """Cloud limits only a provider knows (e.g. 100 rules per ALB listener): each provider's validate(),
    with no cloud call."""
    return [p for name, built in builds.items() for spec in built.specs for p in plugins()[name].validate(spec)]


def _exit_code(problems: list[Problem], strict: bool = False) -> int:
    if any(p.severity == Severity.ERROR for p in problems):
        return EXIT_ERRORS
    if strict and problems:
        return EXIT_WARNINGS
    return EXIT_OK


def _print_problems(problems: list[Problem]) -> None:
    if problems:
        console(err=True).print(problems_table(problems))


# --------------------------------------------------------------------------- commands


@main.command()
@files_option
@provider_option(auto=True)
@class_option
@strict_option
@provider_options("validate")
@output_option
def validate(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], strict: bool, output: str,
             **opts: Any) -> None:  # fmt: skip
    """Check manifests and annotations; list problems with their severity.

    Exit 0 when clean, 1 with --strict and only warnings, 2 on errors.
    """
    result = _load(files)
    builds = _build_all(result, provider, class_names, "validate", opts, assume_missing=True)
    problems = _all_problems(result, builds) + _translation_problems(builds)
    if output != "table":
        click.echo(dump([{"severity": str(p.severity), "source": p.source, "object": p.object, "field": p.field,
                          "message": p.message} for p in problems], output))  # fmt: skip
    elif problems:
        console().print(problems_table(problems))
    else:
        groups = sum(len(b.groups) for b in builds.values())
        click.echo(f"OK: {len(result.snapshot.ingresses)} Ingress(es), {groups} load balancer group(s), no problems")
    sys.exit(_exit_code(problems, strict))


@main.command()
@files_option
@provider_option(auto=True)
@class_option
@output_option
@click.option("--offline", is_flag=True, help="Also show the cloud changes against an empty embedded account/project.")
@click.option("--live", is_flag=True, help="Also show the cloud changes against the account your credentials reach.")
@strict_option
@cloud_options("plan")
def plan(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], output: str, offline: bool, live: bool,
         strict: bool, **opts: Any) -> None:  # fmt: skip
    """Show the load balancer spec of each Ingress group; with --offline, --live or --endpoint-url also the
    cloud resources a converge would create, update or delete."""
    if offline and (live or opts["endpoint_url"]):
        raise click.UsageError("--offline plans against an embedded empty cloud; drop --live/--endpoint-url")
    result = _load(files)
    builds = _build_all(result, provider, class_names, "plan", opts, assume_missing=True)
    problems = _all_problems(result, builds)
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
                        out.print(changes_table(planned.changes, f"Cloud changes against {where}")
                                  if planned.changes else "No cloud changes")  # fmt: skip
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
    if output != "table":
        click.echo(dump(documents, output))
    elif not any(b.specs for b in builds.values()):
        click.echo(_nothing_to_show(builds, problems, "No load balancer to show"))
    _print_problems(problems)
    sys.exit(_exit_code(problems, strict))


def _offline_account(plugin: ProviderPlugin, opts: dict[str, Any], result: LoadResult,
                     specs: list[LoadBalancerSpec]) -> Any:  # fmt: skip
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


@main.command()
@files_option
@provider_option(auto=True)
@class_option
@click.option("--host", required=True, help="Request Host header.")
@click.option("--path", "request_path", required=True, help="Request path, e.g. /users/42.")
@provider_options("route")
@strict_option
@output_option
def route(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], host: str, request_path: str,
          strict: bool, output: str, **opts: Any) -> None:  # fmt: skip
    """Which backend (service:port) a request reaches, or 404, by the Ingress semantics.

    With --provider aws|gcp the translated cloud rules are evaluated too, the way that cloud does.
    """
    result = _load(files)
    builds = _build_all(result, provider, class_names, "route", opts, assume_missing=True)
    problems = _all_problems(result, builds)
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
                except (SpecError, ProviderError) as err:  # the spec cannot be translated (e.g. a cloud limit)
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
                click.echo(f"  translated {answer['provider']} rules: {answer['cloud']} ({answer['cloud_reason']}) "
                           f"— {mark}")  # fmt: skip
        if not answers:
            click.echo(_nothing_to_show(builds, problems, "No load balancer to route through"))
    _print_problems(problems)
    code = _exit_code(problems, strict)
    if code == EXIT_OK and any(a.get("agrees") is False for a in answers):
        code = EXIT_WARNINGS
    sys.exit(code)


def _nothing_to_show(builds: dict[str, BuildResult], problems: list[Problem], what: str) -> str:
    """Why there is no load balancer: no Ingress served at all, or the served ones have errors."""
    broken = any(b.groups for b in builds.values()) or any(
        p.severity == Severity.ERROR and p.object.startswith("Ingress ") for p in problems)  # fmt: skip
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


def _converge_files(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], opts: dict[str, Any],
                    delete: bool) -> None:  # fmt: skip
    command = "delete" if delete else "apply"
    result = _load(files)
    builds = _build_all(result, provider, class_names, command, opts)
    problems = _all_problems(result, builds)
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
            out.print(f"[red]failed[/] {escape(key)}: {escape(err.problem.field)}: {escape(err.problem.message)}")
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
        out.print(f"[bold]{verb}[/] {key}" + (f" → {converged.address}" if converged.address else ""))
        if converged.changes:
            out.print(changes_table(converged.changes, "Changes made"))
        for warning in converged.warnings:
            out.print(f"[yellow]warning:[/] {warning}")
        calls = sum(converged.calls.values())
        mutating = sum(n for k, n in converged.calls.items() if _is_mutating_key(k))
        out.print(f"API calls: {calls} ({mutating} mutating)")
    _print_problems(problems)
    sys.exit(_exit_code(problems))


def _is_mutating_key(key: str) -> bool:
    from lbctl.cloudcalls import is_mutating

    parts = key.split(":")
    return len(parts) >= 2 and is_mutating(parts[1])


@main.command()
@files_option
@provider_option(auto=False)
@class_option
@cloud_options("apply")
def apply(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], **opts: Any) -> None:
    """Converge the Ingress groups in the files against a cloud account (or an emulator)."""
    _converge_files(files, provider, class_names, opts, delete=False)


@main.command()
@files_option
@provider_option(auto=False)
@class_option
@cloud_options("delete")
def delete(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], **opts: Any) -> None:
    """Delete the cloud stacks of the Ingress groups in the files."""
    _converge_files(files, provider, class_names, opts, delete=True)


@main.group()
def docs() -> None:
    """Generated documentation."""


@docs.command("annotations")
@click.option("--check", is_flag=True, help="Exit 1 if the file differs from the registry instead of writing it.")
@click.option("--path", "target", default="docs/annotations.md", show_default=True, type=click.Path(path_type=Path))
def docs_annotations(check: bool, target: Path) -> None:
    """Write docs/annotations.md from the annotation registry."""
    from lbctl.docs_gen import annotations_markdown

    text = annotations_markdown()
    if check:
        current = target.read_text() if target.exists() else ""
        if current != text:
            click.echo(f"{target} is stale: run 'lbctl docs annotations'", err=True)
            sys.exit(1)
        click.echo(f"{target} is up to date")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    click.echo(f"wrote {target}")



if __name__ == "__main__":
    main()
