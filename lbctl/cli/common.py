"""What lbctl's commands share: the installed providers and the options they declare, the common options,
and the steps of the file-based commands (load, build for each provider, collect problems, exit code)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from lbctl.cli.manifests import LoadResult
from lbctl.cli.render import console, problems_table
from lbctl.model.annotations import INGRESS_CLASS
from lbctl.model.builder import BuildConfig, BuildResult, GroupOutcome, build
from lbctl.model.problems import Problem, Severity
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, ProviderOption, ProviderPlugin, load_plugins, spec_check

EXIT_OK, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 2


@functools.cache
def plugins() -> dict[str, ProviderPlugin]:
    """The installed providers' declarations, by name (sorted)."""
    return {p.name: p for p in load_plugins()}


def provider_names() -> tuple[str, ...]:
    return tuple(plugins())


files_option = click.option(
    "-f",
    "--filename",
    "files",
    multiple=True,
    required=True,
    metavar="PATH",
    help="Manifest file or directory (repeatable); '-' reads stdin.",
)
output_option = click.option(
    "-o", "--output", type=click.Choice(["table", "yaml", "json"]), default="table", show_default=True
)
class_option = click.option(
    "--ingress-class",
    "class_names",
    multiple=True,
    metavar="NAME",
    help="Ingress class name(s) this controller serves (default: alb for aws, gce for gcp).",
)


strict_option = click.option("--strict", is_flag=True, help="Exit 1 on warnings (errors always exit 2).")


def kube_api_options(fn: Any) -> Any:
    """--kube-api-url and --kube-api-token: a cluster reached by URL and bearer token (the emulator's)."""
    fn = click.option(
        "--kube-api-token",
        envvar="LBCTL_KUBE_API_TOKEN",
        help="Bearer token for --kube-api-url (the emulator's is in the kubeconfig it writes).",
    )(fn)
    return click.option(
        "--kube-api-url",
        envvar="LBCTL_KUBE_API_URL",
        help="Kubernetes API URL (emulator); with --kube-api-token.",
    )(fn)


def provider_option(auto: bool, envvar: str | None = None, required: bool = False) -> Any:
    """--provider: one of the installed providers, or (`auto`) every provider whose class an Ingress uses.
    Without `auto` and not required, the default is the first installed provider by name."""
    names = provider_names()
    if auto:
        return click.option(
            "--provider",
            type=click.Choice(["auto", *names]),
            default="auto",
            show_default=True,
            help="Cloud to build for; 'auto' builds for every provider whose class an Ingress uses.",
        )
    if required:
        return click.option("--provider", type=click.Choice(list(names)), envvar=envvar, required=True)
    return click.option(
        "--provider",
        type=click.Choice(list(names)),
        default=names[0] if names else None,
        show_default=True,
        envvar=envvar,
        help="Cloud to converge.",
    )


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
    if option.is_flag:
        return click.option(
            option.flag,
            option.dest,
            is_flag=True,
            default=bool(option.default),
            envvar=option.envvar,
            help=option.help or None,
        )
    return click.option(
        option.flag,
        option.dest,
        envvar=option.envvar,
        default=option.default,
        show_default=option.default is not None,
        metavar=option.metavar,
        multiple=option.multiple,
        help=option.help or None,
        callback=_check(option),
    )


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
                click.option(
                    "--cluster-name",
                    envvar="LBCTL_CLUSTER_NAME",
                    default="lbctl",
                    show_default=True,
                    help="Cluster name written into ownership tags/labels.",
                ),
                click.option(
                    "--endpoint-url", envvar="LBCTL_ENDPOINT_URL", help="Cloud API endpoint (emulators)."
                ),
            ]
        ):
            fn = option(fn)
        return fn

    return decorate


def provider_config(plugin: ProviderPlugin, command: str, opts: dict[str, Any]) -> ProviderConfig:
    """The ProviderConfig a cloud command's options give `plugin`."""
    return ProviderConfig(opts["cluster_name"], opts.get("endpoint_url"), plugin.values(command, opts)[0])


def build_config(plugin: ProviderPlugin, command: str, opts: dict[str, Any], **kwargs: Any) -> BuildConfig:
    """The model's BuildConfig for `plugin`, with the values of its model options for `command`."""
    return BuildConfig.for_provider(plugin.name, **kwargs, **plugin.values(command, opts)[1])


def build_all(
    result: LoadResult,
    provider: str,
    class_names: tuple[str, ...],
    command: str,
    opts: dict[str, Any],
    assume_missing: bool = False,
) -> dict[str, BuildResult]:
    """Build for each provider; `assume_missing` (validate/plan/route): plan what the files leave open."""
    chosen = provider_names() if provider == "auto" else (provider,)
    out = {}
    for name in chosen:
        config = build_config(
            plugins()[name], command, opts, class_names=class_names or None, assume_missing=assume_missing
        )
        out[name] = build(result.snapshot, config)
        if result.snapshot.gateway_api:
            add_gateways(out[name], result.snapshot, config)
    return out


def add_gateways(built: BuildResult, snapshot: ClusterSnapshot, config: BuildConfig) -> None:
    """The Gateways of the files (of GatewayClasses `config` serves) join the build as groups keyed by their
    stack, so every file command treats a Gateway's load balancer like an Ingress group's."""
    from lbctl.model.gateway_build import build_gateways

    gateways = build_gateways(snapshot, config, config.gateway_controller_names, spec_check(config.provider))
    built.gateways = gateways
    for key, outcome in gateways.gateways.items():
        built.groups[key] = GroupOutcome(key, [], outcome.spec, list(outcome.problems))


def unclaimed(result: LoadResult, builds: dict[str, BuildResult]) -> list[Problem]:
    """Ingresses no provider serves: worth a warning, since nothing will happen to them."""
    claimed = {m for b in builds.values() for g in b.groups.values() for m in g.members}
    out = []
    for key, ingress in result.snapshot.ingresses.items():
        if key not in claimed and not ingress.deleting:
            cls = ingress.annotations.get(INGRESS_CLASS) or ingress.class_name or "(none)"
            out.append(
                Problem(
                    Severity.WARNING,
                    str(ingress.ref),
                    "spec.ingressClassName",
                    f"class {cls} is not served by lbctl ({', '.join(builds)}); the Ingress is ignored",
                    ingress.source,
                )
            )
    for gateway in _unserved_gateways(result, builds):
        out.append(
            Problem(
                Severity.WARNING,
                f"Gateway {gateway.key}",
                "spec.gatewayClassName",
                f"GatewayClass {gateway.class_name} is not served by lbctl ({', '.join(builds)}) in these "
                "files; the Gateway is ignored",
                gateway.source,
            )
        )
    return out


def _unserved_gateways(result: LoadResult, builds: dict[str, BuildResult]) -> list[Any]:
    from lbctl.model.gateway import Gateway

    served = {
        o.gateway.key for b in builds.values() if b.gateways is not None for o in b.gateways.gateways.values()
    }
    return [g for g in result.snapshot.gateway_objects(Gateway) if g.key not in served]


def all_problems(result: LoadResult, builds: dict[str, BuildResult]) -> list[Problem]:
    problems = list(result.problems)
    seen = set(problems)
    for b in builds.values():
        for p in b.problems:
            if p not in seen:
                seen.add(p)
                problems.append(p)
    return problems + unclaimed(result, builds)


def exit_code(problems: list[Problem], strict: bool = False) -> int:
    if any(p.severity == Severity.ERROR for p in problems):
        return EXIT_ERRORS
    if strict and problems:
        return EXIT_WARNINGS
    return EXIT_OK


def print_problems(problems: list[Problem]) -> None:
    if problems:
        console(err=True).print(problems_table(problems))
