"""The `lbctl` command line: one module per command (or family), each loaded only when asked for, so a
command imports only what it uses (`lbctl --version` loads no provider; `validate` no cloud SDK)."""

from __future__ import annotations

import importlib

import click

from lbctl import __version__


class _LazyGroup(click.Group):
    """Imports a command's module only when the command is asked for (start-up time: the Kubernetes client,
    the cloud SDKs, rich and the providers load only where they are used)."""

    LAZY = {
        "validate": "lbctl.cli.offline:validate",
        "plan": "lbctl.cli.offline:plan",
        "route": "lbctl.cli.offline:route",
        "convert": "lbctl.cli.convert:convert",
        "apply": "lbctl.cli.apply:apply",
        "delete": "lbctl.cli.apply:delete",
        "run": "lbctl.cli.run:run",
        "describe": "lbctl.cli.describe:describe",
        "doctor": "lbctl.cli.doctor:doctor",
        "demo": "lbctl.cli.demo:demo",
        "emulator": "lbctl.cli.emulator:emulator",
        "docs": "lbctl.cli.docs:docs",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module, attr = self.LAZY[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110}
)
@click.version_option(__version__, prog_name="lbctl")
def main() -> None:
    """Kubernetes Ingress → cloud load balancers (AWS ALB, Google Cloud external HTTP(S) LB)."""
