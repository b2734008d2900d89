"""`lbctl convert --to gateway`: the Ingresses of the files as Gateway API objects, and what they leave out."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import yaml

from lbctl.cli.manifests import load
from lbctl.cli.render import console, escape, problems_table
from lbctl.model.builder import PROFILES, BuildConfig, build
from lbctl.model.gateway_convert import GatewayConversion, Unexpressed, convert_spec
from lbctl.model.problems import Severity


def conversions(
    files: tuple[str, ...], gateway_class: str | None
) -> tuple[list[GatewayConversion], list[Unexpressed], list[Any]]:
    """(a conversion per load balancer, Ingresses no cloud profile serves, the load problems and errors)."""
    result = load(files)
    problems = list(result.problems)
    out: list[GatewayConversion] = []
    served: set[str] = set()
    snapshot = result.snapshot
    for provider in PROFILES:
        built = build(snapshot, BuildConfig.for_provider(provider, assume_missing=True))
        problems += [p for p in built.problems if p.severity == Severity.ERROR]
        for group in built.groups.values():
            served.update(group.members)
            if group.spec is not None and group.spec.members:
                out.append(convert_spec(group.spec, snapshot.ingresses, gateway_class))
    unserved = [
        Unexpressed(f"Ingress {key}", "spec.ingressClassName", "not an Ingress lbctl serves: not converted")
        for key in snapshot.ingresses
        if key not in served
    ]
    return out, unserved, problems


def convert_to_gateway(files: tuple[str, ...], output: str, gateway_class: str | None) -> None:
    converted, unserved, problems = conversions(files, gateway_class)
    if problems:
        console(err=True).print(problems_table(problems))
        sys.exit(2)
    objects = [obj for c in converted for obj in c.objects]
    if output == "json":
        data: Any = {"apiVersion": "v1", "kind": "List", "items": objects}
        click.echo(json.dumps(data, indent=2))
    elif objects:
        click.echo(yaml.safe_dump_all(objects, sort_keys=False), nl=False)
    report = unserved + [u for c in converted for u in c.unexpressed]
    for c in converted:
        click.echo(
            f"converted {c.provider} load balancer {c.stack} into {len(c.objects)} object(s)", err=True
        )
    if report:
        from rich.table import Table

        table = Table(title="Not expressed in the Gateway API objects", title_justify="left")
        for column in ("object", "annotation / field", "why"):
            table.add_column(column)
        for item in report:
            table.add_row(escape(item.object), escape(item.what), escape(item.why))
        console(err=True).print(table)
    elif converted:
        click.echo("every annotation and rule is expressed", err=True)
    else:
        click.echo("no Ingress lbctl serves in these files: nothing to convert", err=True)
