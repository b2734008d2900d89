"""docs/annotations.md, generated from the annotation registry."""

from __future__ import annotations

from lbctl.model.annotations import REGISTRY
from lbctl.provider import load_plugins

HEADER = """# Annotation reference

Generated from the annotation registry (`lbctl/model/annotations.py`) by `lbctl docs annotations`;
a test fails when this page is stale. Names and meanings follow aws-load-balancer-controller
(`alb.ingress.kubernetes.io/*`) and ingress-gce.

- **Location**: where the annotation may be set. On a Service it overrides the Ingress value.
- **Merge**: inside an IngressGroup, `Exclusive` values must agree across the group, `Merge` values are
  combined, `N/A` values apply to the Ingress's own rules and backends.

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
            doc = f"{ann.doc} Expected: {ann.parser.expected}.".replace("|", "\\|")
            lines.append(
                f"| `{ann.name}` | {ann.parser.type_name} | {default.replace('|', chr(92) + '|')} | "
                f"{ann.scope.value} | {ann.merge.value} | {doc} |"
            )
        lines.append("")
    return "\n".join(lines)
