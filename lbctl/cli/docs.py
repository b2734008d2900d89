"""`lbctl docs`: generated documentation (docs/annotations.md from the annotation registry)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lbctl.model.annotations import ALB, AWS_SVC, REGISTRY, SERVICE_REGISTRY
from lbctl.provider import load_plugins

HEADER = f"""# Annotation reference

Generated from the annotation registry (`lbctl/model/annotations.py`) by `lbctl docs annotations`;
a test fails when this page is stale. Names and meanings follow aws-load-balancer-controller
(`{ALB}*`) and ingress-gce.

- **Location**: where the annotation may be set. On a Service it overrides the Ingress value.
- **Merge**: inside an IngressGroup, `Exclusive` values must agree across the group, `Merge` values are
  combined, `N/A` values apply to the Ingress's own rules and backends.
- Any other `{ALB}` name is an error ("not supported by lbctl; the load balancer would
  differ from what you asked"): lbctl never builds a load balancer that silently ignores one.

"""


def annotations_markdown() -> str:
    lines = [HEADER]
    sections = [(p.name, p.title) for p in load_plugins()] + [("any", "Both")]  # each provider's, then shared
    for provider, title in sections:
        lines.append(f"## {title}\n")
        lines.append("| Name | Type | Default | Location | Merge | Description |")
        lines.append("|---|---|---|---|---|---|")
        for ann in REGISTRY:
            if ann.provider != provider:
                continue
            default = ann.default_docs
            said = f"Refused: {ann.refused}." if ann.refused else f"Expected: {ann.parser.expected}."
            doc = f"{ann.doc} {said}".replace("|", "\\|")
            lines.append(
                f"| `{ann.name}` | {ann.parser.type_name} | {default.replace('|', chr(92) + '|')} | "
                f"{ann.scope.value} | {ann.merge.value} | {doc} |"
            )
        lines.append("")
    lines.append(SERVICE_HEADER)
    for provider, title in sections:
        rows = [ann for ann in SERVICE_REGISTRY if ann.provider == provider]
        if not rows:
            continue
        lines.append(f"### {title}\n")
        lines.append("| Name | Type | Default | Description |")
        lines.append("|---|---|---|---|")
        for ann in rows:
            said = f"Refused: {ann.refused}." if ann.refused else f"Expected: {ann.parser.expected}."
            doc = f"{ann.doc} {said}".replace("|", "\\|")
            default = ann.default_docs.replace("|", "\\|")
            lines.append(f"| `{ann.name}` | {ann.parser.type_name} | {default} | {doc} |")
        lines.append("")
    return "\n".join(lines)


SERVICE_HEADER = f"""## Services of type LoadBalancer

Read on a Service lbctl serves as a load balancer itself (`spec.loadBalancerClass` `service.k8s.aws/nlb` or
`lbctl.io/nlb` on AWS; `type` `nlb-ip`, or `external` with a target type; with `lbctl run
--claim-unclassed-services` also Services without a class), never on a Service that is only an Ingress
backend. Any other `{AWS_SVC}` name is an error.
"""


@click.group()
def docs() -> None:
    """Generated documentation."""


@docs.command("annotations")
@click.option(
    "--check", is_flag=True, help="Exit 1 if the file differs from the registry instead of writing it."
)
@click.option(
    "--path", "target", default="docs/annotations.md", show_default=True, type=click.Path(path_type=Path)
)
def docs_annotations(check: bool, target: Path) -> None:
    """Write docs/annotations.md from the annotation registry."""
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
