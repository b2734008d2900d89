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

from lbctl.render import console


@click.command()
@click.option("--provider", type=click.Choice(["aws", "gcp", "both"]), default="both", show_default=True)
@click.option("--keep", is_flag=True, help="Leave everything running and print how to reach it (Ctrl-C to stop).")
def demo(provider: str, keep: bool) -> None:
    """Run the real controller against local emulators: Ingress → load balancer → scale → delete."""
    from lbctl import logs

    try:
        import moto.server  # noqa: F401 - the embedded AWS
    except ImportError:
        raise click.ClickException("lbctl demo needs its embedded clouds: pip install -e '.[demo]'") from None
    from lbctl.demo.clouds import LocalClouds
    from lbctl.demo.scenario import Step, run_target, targets_for

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
                kubeconfig = clouds.kubes[target.provider].write_kubeconfig(folder / f"kubeconfig-{target.provider}")
                step.info(f"{target.provider} cluster: KUBECONFIG={kubeconfig} kubectl get ingress", wrap=False)
                for hint in target.hints:
                    step.info(escape(hint), wrap=False)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
            return
    out.print(f"\n[bold green]Demo finished[/] in {time.monotonic() - step.started:.1f}s: every resource the "
              "controller created was removed again.")  # fmt: skip
