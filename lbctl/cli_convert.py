"""`lbctl convert`: legacy Ingress manifests → networking.k8s.io/v1, comments and layout kept."""

from __future__ import annotations

import sys

import click

from lbctl.convert import Converted, convert_text, to_json, to_yaml
from lbctl.manifests import LoadResult, _expand, _read
from lbctl.render import console, problems_table


def convert_files(files: tuple[str, ...]) -> tuple[list[Converted], list]:
    """Every input (files, directories, '-') converted; the problems of all of them (unreadable, malformed
    YAML, an invalid legacy Ingress)."""
    loaded = LoadResult()
    converted = []
    for name, path in _expand(files):
        text = _read(name, path, loaded)
        if text is not None:
            converted.append(convert_text(name, text))
    problems = list(loaded.problems) + [p for c in converted for p in c.problems]
    return converted, problems


@click.command()
@click.option("-f", "--filename", "files", multiple=True, required=True, metavar="PATH",
              help="Manifest file or directory (repeatable); '-' reads stdin.")  # fmt: skip
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def convert(files: tuple[str, ...], output: str) -> None:
    """Rewrite legacy Ingresses (extensions/v1beta1, networking.k8s.io/v1beta1) as networking.k8s.io/v1,
    as `kubectl convert` does; every other object is printed unchanged, comments and order kept.

    The converted manifests go to stdout, a note per converted Ingress to stderr. Exit 2 (and no output)
    when an input cannot be read or parsed, or a legacy Ingress is invalid.
    """
    converted, problems = convert_files(files)
    if problems:
        console(err=True).print(problems_table(problems))
        sys.exit(2)
    click.echo(to_json(converted) if output == "json" else to_yaml(converted), nl=output == "json")
    notes = [note for c in converted for note in c.notes]
    for note in notes:
        click.echo(f"converted {note}", err=True)
    if not notes:
        click.echo("no legacy Ingress in these files: printed unchanged", err=True)
