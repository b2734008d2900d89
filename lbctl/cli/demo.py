"""`lbctl demo`: the whole loop on embedded local clouds, no cluster and no cloud account needed."""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

import click
from rich.markup import escape

from lbctl.cli.render import console


@click.command()
@click.option(
    "-f",
    "--filename",
    "files",
    multiple=True,
    metavar="PATH",
    help="Run your own manifests (file, directory or '-', repeatable) instead of the example.",
)
@click.option(
    "--provider",
    type=click.Choice(["aws", "gcp", "both"]),
    help="Cloud(s) to run on [default: both; with -f: from the Ingress class, alb → aws, else gcp].",
)
@click.option(
    "--keep", is_flag=True, help="Leave everything running and print how to reach it (Ctrl-C to stop)."
)
@click.option(
    "--create-missing",
    is_flag=True,
    help="With -f: create what the files reference but lack (a NodePort Service with two Ready pods per "
    "missing backend, a self-signed TLS Secret per missing secretName, Namespaces, named subnets).",
)
def demo(files: tuple[str, ...], provider: str | None, keep: bool, create_missing: bool) -> None:
    """Run the real controller against local emulators: Ingress → load balancer → scale → delete.

    With -f FILES: your manifests on the embedded cluster and cloud, applied as kubectl apply would, converged
    by the controller, then deleted (or kept running with --keep).
    """
    from lbctl.cli import logs

    if files:
        if provider == "both":
            raise click.UsageError("with -f the manifests run on one cluster: choose --provider aws or gcp")
        demo_files(files, provider, keep, create_missing)
        return
    if create_missing:
        raise click.UsageError("--create-missing goes with -f FILES")
    provider = provider or "both"

    try:
        import moto.server  # noqa: F401 - the embedded AWS
    except ImportError:
        raise click.ClickException("lbctl demo needs its embedded clouds: pip install -e '.[demo]'") from None
    from lbctl.demo.clouds import LocalClouds
    from lbctl.demo.scenario import KUBECONFIG, Step, run_target, targets_for

    logs.configure("warning", "text")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    out = console()
    step = Step(out)
    wanted = ("aws", "gcp") if provider == "both" else (provider,)
    step.head("Starting local clouds")
    with LocalClouds(aws="aws" in wanted, gcp="gcp" in wanted) as clouds:
        for name, kube in clouds.kubes.items():
            step.ok(f"Kubernetes API emulator ({name} cluster): {kube.url}")
        if clouds.aws_url is not None:
            step.ok(f"AWS (moto server): {clouds.aws_url}")
        if clouds.compute is not None:
            step.ok(f"Google Compute API emulator: {clouds.compute.url}")
        try:
            targets = targets_for(clouds, wanted)
            for target in targets:
                run_target(clouds, target, step, keep)
        except Exception as err:
            out.print(f"\n[red]demo failed:[/] {err}")
            sys.exit(1)
        if keep:
            folder = Path(tempfile.mkdtemp(prefix="lbctl-demo-"))
            step.head("Everything keeps running (Ctrl-C to stop)")
            for target in targets:
                kubeconfig = clouds.kubes[target.provider].write_kubeconfig(
                    folder / f"kubeconfig-{target.provider}"
                )
                step.info(
                    f"{target.provider} cluster: KUBECONFIG={kubeconfig} kubectl get ingress", wrap=False
                )
                for hint in target.hints:
                    step.info(escape(hint.replace(KUBECONFIG, str(kubeconfig))), wrap=False)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
            return
    out.print(
        f"\n[bold green]Demo finished[/] in {time.monotonic() - step.started:.1f}s: every resource the "
        "controller created was removed again."
    )


def demo_files(files: tuple[str, ...], provider: str | None, keep: bool, create_missing: bool) -> None:
    """`lbctl demo -f`: exit 2 when the files cannot be tried as they are (each problem named with its fix),
    1 when they did not converge, 0 when they did and nothing of ours is left."""
    from lbctl.cli import logs

    try:
        import moto.server  # noqa: F401 - the embedded AWS
    except ImportError:
        raise click.ClickException("lbctl demo needs its embedded clouds: pip install -e '.[demo]'") from None
    from lbctl.demo.files import EXIT_FAILED, EXIT_INPUT, DemoInputError, plan_files, run_files
    from lbctl.demo.scenario import Step

    logs.configure("warning", "text")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    out = console()
    step = Step(out)
    step.head(f"Reading {', '.join(files)}")
    try:
        plan = plan_files(files, provider, create_missing)
    except DemoInputError as err:
        console(err=True).print(
            "[red]lbctl demo -f cannot run these files as they are:[/]\n"
            + "\n".join(f"  - {escape(line)}" for line in str(err).splitlines()),
            soft_wrap=True,
        )
        sys.exit(EXIT_INPUT)
    kinds: dict[str, int] = {}
    for manifest in plan.manifests:
        kinds[manifest.kind] = kinds.get(manifest.kind, 0) + 1
    step.ok(f"{len(plan.manifests)} objects: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    why = "--provider" if provider else "from the Ingress class: alb → aws, gce or none → gcp"
    if not plan.served and plan.gateways:
        why = "--provider" if provider else "from the GatewayClass: lbctl.io/alb → aws, lbctl.io/gce → gcp"
    elif not plan.served:
        why = "--provider" if provider else "from the Services' class or annotations"
    served = [
        f"{len(plan.served)} Ingress(es) served: " + ", ".join(f"{i.namespace}/{i.name}" for i in plan.served)
    ]
    served = served if plan.served or not (plan.gateways or plan.services) else []
    served += [f"{len(plan.gateways)} Gateway(s) served: {', '.join(plan.gateways)}"] if plan.gateways else []
    if plan.services:
        served += [f"{len(plan.services)} Service(s) of type LoadBalancer served: {', '.join(plan.services)}"]
    step.ok(f"provider {plan.provider} ({why}); " + "; ".join(served))
    for entry in plan.missing:
        step.info(
            f"[yellow]missing:[/] {escape(entry.kind)} {escape(entry.key)} (referenced by "
            f"{escape(entry.referenced_by)}): created by --create-missing"
        )
    try:
        wait = run_files(plan, step, keep, files)
    except (DemoInputError, RuntimeError, TimeoutError) as err:
        out.print(f"\n[red]demo failed:[/] {escape(str(err))}")
        sys.exit(EXIT_INPUT if isinstance(err, DemoInputError) else EXIT_FAILED)
    if keep:
        wait()
        return
    out.print(
        f"\n[bold green]Demo finished[/] in {time.monotonic() - step.started:.1f}s: your manifests converged, "
        "and every resource the controller created was removed again."
    )
