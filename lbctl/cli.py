"""The `lbctl` command line."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from lbctl import __version__
from lbctl.manifests import LoadResult, load
from lbctl.model.builder import BuildConfig, BuildResult, build, empty_spec
from lbctl.model.gce import CLUSTER_DEFAULT_BACKEND, parse_backend_ref
from lbctl.model.matching import first_match
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ConvergeResult, ProviderConfig, ProviderError, create_provider, stack_input
from lbctl.render import (
    changes_table,
    console,
    describe_action,
    dump,
    problems_table,
    spec_tables,
    step_documents,
)

PROVIDERS = ("aws", "gcp")
EXIT_OK, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 2

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


def _backend_ref(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--default-backend-service: NS/NAME:PORT, refused with the expected form otherwise."""
    if value is not None:
        try:
            parse_backend_ref(value)
        except ValueError as err:
            raise click.BadParameter(str(err), ctx, param) from None
    return value


DEFAULT_BACKEND_HELP = ("GCP: the cluster default backend, for Ingresses without spec.defaultBackend "
                        f"[default: {CLUSTER_DEFAULT_BACKEND}].")
default_backend_option = click.option("--default-backend-service", metavar="NS/NAME:PORT", callback=_backend_ref,
                                      help=DEFAULT_BACKEND_HELP)  # fmt: skip
strict_option = click.option("--strict", is_flag=True, help="Exit 1 on warnings (errors always exit 2).")


def _provider_option(default: str, choices: Iterable[str]) -> Any:
    return click.option("--provider", type=click.Choice(list(choices)), default=default, show_default=True,
                        help="Cloud to build for; 'auto' builds for every provider whose class an Ingress uses.")  # fmt: skip


def cloud_options(fn: Any) -> Any:
    """Options that say which account/project/emulator a provider talks to."""
    for option in reversed(
        [
            click.option("--cluster-name", envvar="LBCTL_CLUSTER_NAME", default="lbctl", show_default=True,
                         help="Cluster name written into ownership tags/labels."),
            click.option("--endpoint-url", envvar="LBCTL_ENDPOINT_URL", help="Cloud API endpoint (emulators)."),
            click.option("--aws-region", envvar="AWS_REGION", default="us-east-1", show_default=True),
            click.option("--aws-vpc-id", envvar="LBCTL_AWS_VPC_ID", help="VPC of the cluster (else discovered)."),
            click.option("--gcp-project", envvar="LBCTL_GCP_PROJECT", default="lbctl-demo", show_default=True),
            click.option("--default-backend-service", metavar="NS/NAME:PORT", callback=_backend_ref,
                         help=DEFAULT_BACKEND_HELP),
        ]
    ):  # fmt: skip
        fn = option(fn)
    return fn


class _LazyGroup(click.Group):
    """Loads the controller-runtime commands (run, emulator) only when they are asked for, so the file-based
    commands start without importing the Kubernetes client (about half of their start-up time)."""

    LAZY = {"run": "lbctl.cli_runtime:run", "emulator": "lbctl.cli_runtime:emulator",
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


def _build_all(
    result: LoadResult, provider: str, class_names: tuple[str, ...], default_backend: str | None = None,
    assume_missing: bool = False,
) -> dict[str, BuildResult]:
    """Build for each provider; `assume_missing` (validate/plan/route): plan what the files leave open."""
    providers = PROVIDERS if provider == "auto" else (provider,)
    out = {}
    for name in providers:
        kwargs: dict[str, Any] = {"class_names": class_names or None, "assume_missing": assume_missing}
        if name == "gcp":
            kwargs["cluster_default_backend"] = default_backend
        out[name] = build(result.snapshot, BuildConfig.for_provider(name, **kwargs))
    return out


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
    """Cloud limits only a provider's offline translation knows (e.g. 100 rules per ALB listener): translate
    each spec the way `lbctl route` does, with no cloud call."""
    problems = []
    for name, built in builds.items():
        if not built.specs:
            continue
        cloud = create_provider(name, ProviderConfig(cluster_name="lbctl"))
        for spec in built.specs:
            try:
                cloud.route(spec, "lbctl.invalid", "/")
            except SpecError as err:
                problems.append(err.problem)
            except ProviderError as err:
                problems.append(provider_problem(err, spec.stack))
    return problems


def provider_problem(err: ProviderError, stack: str) -> Problem:
    """The Problem a provider's error reports: its object (else the stack) and the field it names."""
    return Problem(Severity.ERROR, err.subject or f"stack {stack}", err.field or "cloud", str(err))


def _exit_code(problems: list[Problem], strict: bool = False) -> int:
    if any(p.severity == Severity.ERROR for p in problems):
        return EXIT_ERRORS
    if strict and problems:
        return EXIT_WARNINGS
    return EXIT_OK


def _print_problems(problems: list[Problem]) -> None:
    if problems:
        console(err=True).print(problems_table(problems))


def _provider_config(provider: str, opts: dict[str, Any]) -> ProviderConfig:
    return ProviderConfig(
        cluster_name=opts["cluster_name"],
        region=opts["aws_region"],
        endpoint_url=opts["endpoint_url"],
        project=opts["gcp_project"],
        vpc_id=opts["aws_vpc_id"],
    )


# --------------------------------------------------------------------------- commands


@main.command()
@files_option
@_provider_option("auto", ("auto", *PROVIDERS))
@class_option
@strict_option
@default_backend_option
@output_option
def validate(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], strict: bool,
             default_backend_service: str | None, output: str) -> None:  # fmt: skip
    """Check manifests and annotations; list problems with their severity.

    Exit 0 when clean, 1 with --strict and only warnings, 2 on errors.
    """
    result = _load(files)
    builds = _build_all(result, provider, class_names, default_backend_service, assume_missing=True)
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
@_provider_option("auto", ("auto", *PROVIDERS))
@class_option
@output_option
@click.option("--offline", is_flag=True, help="Also show the cloud changes against an empty embedded account/project.")
@click.option("--live", is_flag=True, help="Also show the cloud changes against the account your credentials reach.")
@strict_option
@cloud_options
def plan(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], output: str, offline: bool, live: bool,
         strict: bool, **opts: Any) -> None:  # fmt: skip
    """Show the load balancer spec of each Ingress group; with --offline, --live or --endpoint-url also the
    cloud resources a converge would create, update or delete."""
    if offline and (live or opts["endpoint_url"]):
        raise click.UsageError("--offline plans against an embedded empty cloud; drop --live/--endpoint-url")
    result = _load(files)
    builds = _build_all(result, provider, class_names, opts["default_backend_service"], assume_missing=True)
    problems = _all_problems(result, builds)
    documents = []
    out = console()
    for name, built in builds.items():
        with ExitStack() as stack:
            cloud = None
            if offline and built.specs:
                from lbctl.offline import empty_cloud

                config = stack.enter_context(empty_cloud(name, opts["cluster_name"], result.snapshot, built.specs,
                                                         opts["aws_region"], opts["gcp_project"]))  # fmt: skip
                cloud = create_provider(name, config)
            elif live or opts["endpoint_url"]:
                cloud = create_provider(name, _provider_config(name, opts))
            for spec in built.specs:
                planned = _plan_in_cloud(cloud, spec, result, problems) if cloud else None
                if output == "table":
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


def _plan_in_cloud(cloud: Any, spec: LoadBalancerSpec, result: LoadResult, problems: list[Problem]) -> Any:
    """The provider's plan, or None with the problem recorded (a user-fixable cloud-side problem)."""
    try:
        return cloud.plan(stack_input(spec, result.snapshot))
    except SpecError as err:
        problems.append(err.problem)
    except ProviderError as err:
        problems.append(provider_problem(err, spec.stack))
    return None


@main.command()
@files_option
@_provider_option("auto", ("auto", *PROVIDERS))
@class_option
@click.option("--host", required=True, help="Request Host header.")
@click.option("--path", "request_path", required=True, help="Request path, e.g. /users/42.")
@default_backend_option
@strict_option
@output_option
def route(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], host: str, request_path: str,
          default_backend_service: str | None, strict: bool, output: str) -> None:  # fmt: skip
    """Which backend (service:port) a request reaches, or 404, by the Ingress semantics.

    With --provider aws|gcp the translated cloud rules are evaluated too, the way that cloud does.
    """
    result = _load(files)
    builds = _build_all(result, provider, class_names, default_backend_service, assume_missing=True)
    problems = _all_problems(result, builds)
    answers = []
    for name, built in builds.items():
        cloud = None
        if provider != "auto":
            cloud = create_provider(name, ProviderConfig(cluster_name="lbctl"))
        for spec in built.specs:
            answer = _route_one(spec, host, request_path)
            if cloud is not None:
                try:
                    cloud_route = cloud.route(spec, host, request_path)
                except (SpecError, ProviderError) as err:  # the spec cannot be translated (e.g. a cloud limit)
                    problems.append(err.problem if isinstance(err, SpecError) else provider_problem(err, spec.stack))
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
    result = _load(files)
    builds = _build_all(result, provider, class_names, opts["default_backend_service"])
    problems = _all_problems(result, builds)
    built = builds[provider]
    cloud = create_provider(provider, _provider_config(provider, opts))
    out = console()
    outcomes: list[ConvergeResult] = []
    for key, group in built.groups.items():
        if group.failed and not delete:
            out.print(f"[red]skipped[/] {key}: its problems are listed below; the cloud is left as it is")
            continue
        spec = empty_spec(provider, key) if delete else group.spec
        assert spec is not None
        try:
            converged = cloud.converge(stack_input(spec, result.snapshot))
        except SpecError as err:
            problems.append(err.problem)
            out.print(f"[red]failed[/] {escape(key)}: {escape(err.problem.field)}: {escape(err.problem.message)}")
            continue
        except ProviderError as err:
            problems.append(provider_problem(err, key))
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
@_provider_option("aws", PROVIDERS)
@class_option
@cloud_options
def apply(files: tuple[str, ...], provider: str, class_names: tuple[str, ...], **opts: Any) -> None:
    """Converge the Ingress groups in the files against a cloud account (or an emulator)."""
    _converge_files(files, provider, class_names, opts, delete=False)


@main.command()
@files_option
@_provider_option("aws", PROVIDERS)
@class_option
@cloud_options
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
