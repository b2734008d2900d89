"""Readable terminal output (rich tables) and YAML/JSON for specs, problems and routes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import yaml

from lbctl.model.problems import Problem, Severity
from lbctl.model.spec import ASSUMED_NODE_PORT, ASSUMED_SERVICE, Action, LoadBalancerSpec, Rule
from lbctl.provider import Change, Ref, Secret, Step

if TYPE_CHECKING:  # rich is imported only when a table or console is made (start-up time)
    from rich.console import Console
    from rich.table import Table


def escape(text: str) -> str:
    """`text` shown literally in rich markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def dump(data: Any, output: str) -> str:
    if output == "json":
        return json.dumps(data, indent=2, sort_keys=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def problems_table(problems: Iterable[Problem]) -> Table:
    from rich.table import Table

    table = Table(title="Problems", title_justify="left", show_lines=False)
    for column in ("severity", "where", "object", "field", "message"):
        table.add_column(column, overflow="fold")
    for p in problems:
        style = "red" if p.severity == Severity.ERROR else "yellow"
        table.add_row(
            f"[{style}]{p.severity}[/]", *(escape(x) for x in (p.source, p.object, p.field, p.message))
        )
    return table


def describe_action(action: Action | None, spec: LoadBalancerSpec | None = None) -> str:
    if action is None:
        return "404 (no default backend)"
    if action.type == "fixed-response" and action.fixed_response:
        body = f" {action.fixed_response.message_body!r}" if action.fixed_response.message_body else ""
        return f"fixed-response {action.fixed_response.status_code}{body}"
    if action.type == "redirect" and action.redirect:
        r = action.redirect
        parts = [
            f"{k}={v}"
            for k, v in (
                ("protocol", r.protocol),
                ("host", r.host),
                ("port", r.port),
                ("path", r.path),
                ("query", r.query),
            )
            if v
        ]
        return f"redirect {r.status_code} " + " ".join(parts)
    targets = []
    for target in action.forward:
        if target.backend_key:
            name = target.backend_key
            if spec is not None and target.backend_key in spec.backends:
                backend = spec.backends[target.backend_key]
                name = f"{backend.namespace}/{backend.service}:{backend.port_label}"
        else:
            name = target.target_group_arn or target.target_group_name or "?"
        targets.append(name + (f" (weight {target.weight})" if target.weight is not None else ""))
    text = "forward " + ", ".join(targets)
    if action.stickiness and action.stickiness.enabled:
        text += f" sticky {action.stickiness.duration_seconds or ''}s"
    if action.authentication:
        text = f"authenticate-{action.authentication.type} → {text}"
    return text


def _rule_match(rule: Rule) -> str:
    path = f"{rule.path.type.value} {rule.path.path}" if rule.path else "any path"
    extra = "".join(
        f"\n+ {c.field}{'(' + c.header_name + ')' if c.header_name else ''}"
        + (" ~" if c.regex else " in")
        + f" {', '.join(c.values or [q['key'] + '=' + q['value'] for q in c.query or []])}"
        for c in rule.conditions
    )
    return path + extra


def _rule_rewrites(rule: Rule) -> str:
    """What the rule changes before forwarding (rewrites), as a suffix of its action."""
    parts = [
        f"{what} {value}"
        for what, value in (
            ("path prefix →", rule.rewrite_path_prefix),
            ("path →", rule.full_path_rewrite),
            ("host →", rule.host_rewrite),
        )
        if value is not None
    ]
    return f"\nrewrite {', '.join(parts)}" if parts else ""


def spec_tables(spec: LoadBalancerSpec) -> list[Table | str]:
    """The spec of one group as a few small tables."""
    from rich.table import Table

    out: list[Table | str] = []
    fe = spec.frontend
    kind = "group" if spec.explicit_group else "Gateway" if fe.managed_routing else "Ingress"
    details = [f"scheme {fe.scheme}", fe.ip_address_type]
    details += [f"name {fe.name}"] if fe.name else []
    details += [f"static IP {fe.static_ip_name}"] if fe.static_ip_name else []
    if fe.frontend_nlb is not None:
        ports = ", ".join(f"TCP:{x.port}→{x.alb_port}" for x in fe.frontend_nlb.listeners)
        details += [f"frontend NLB {fe.frontend_nlb.scheme} ({ports})"]
    out.append(
        f"[bold]{spec.provider.upper()} load balancer for {kind} {escape(spec.stack)}[/]  "
        f"members: {escape(', '.join(spec.members))}\n{escape(', '.join(details))}"
    )
    listeners = Table(title="Listeners", title_justify="left")
    for column in ("protocol", "port", "certificates", "ssl policy", "note"):
        listeners.add_column(column, overflow="fold")
    for listener in fe.listeners:
        certs = ", ".join(f"{c.kind}:{c.ref or ','.join(c.hosts)}" for c in listener.certificates)
        note = (
            f"redirect → HTTPS:{listener.redirect_to_https_port}" if listener.redirect_to_https_port else ""
        )
        listeners.add_row(
            listener.protocol, str(listener.port), escape(certs), escape(listener.ssl_policy or ""), note
        )
    out.append(listeners)
    rules = Table(title="Rules (evaluation order)", title_justify="left")
    for column in ("#", "host", "path", "action", "from"):
        rules.add_column(column, overflow="fold")
    for i, rule in enumerate(spec.rules, 1):
        rules.add_row(
            str(i),
            escape(rule.host or "*"),
            escape(_rule_match(rule)),
            escape(describe_action(rule.action, spec) + _rule_rewrites(rule)),
            escape(
                f"{'' if rule.source.kind == 'Ingress' else rule.source.kind + ' '}"
                f"{rule.source.ingress} {rule.source.field}"
            ),
        )
    rules.add_row("default", "", "", escape(describe_action(spec.default_action, spec)), "")
    out.append(rules)
    if spec.cluster_default is not None:
        assumed = ASSUMED_SERVICE in spec.backends[spec.cluster_default].assumed
        out.append(
            f"default backend: {escape(spec.cluster_default)} (the cluster default backend"
            + ("; not in the files: assumed, unresolved)" if assumed else ")")
        )
    backends = Table(title="Backends", title_justify="left")
    for column in ("backend", "targets", "protocol", "health check"):
        backends.add_column(column, overflow="fold")
    for backend in spec.backends.values():
        hc = backend.health_check
        check = " ".join(
            str(x)
            for x in (
                hc.protocol,
                hc.path,
                f"port={hc.port}" if hc.port else "",
                f"every {hc.interval_seconds}s" if hc.interval_seconds else "",
                f"timeout {hc.timeout_seconds}s" if hc.timeout_seconds else "",
                f"codes {hc.success_codes}" if hc.success_codes else "",
                f"({hc.source})",
            )
            if x
        )
        where = (
            f"node port {backend.node_port}"
            if backend.target_type == "instance"
            else f"pod port {backend.target_port}"
        )
        name = backend.key
        if ASSUMED_SERVICE in backend.assumed:
            name, where = f"{name} (unresolved)", "assumed: the Service is not in the files"
        elif ASSUMED_NODE_PORT in backend.assumed:
            where = "node port (assigned by the cluster)"
        backends.add_row(escape(name), f"{backend.target_type}: {where}", backend.protocol, escape(check))
    out.append(backends)
    return out


def changes_table(changes: Iterable[Change], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("action", "kind", "name", "detail"):
        table.add_column(column, overflow="fold")
    colour = {"create": "green", "delete": "red", "update": "yellow", "replace": "magenta"}
    for change in changes:
        table.add_row(
            f"[{colour.get(change.action, 'white')}]{change.action}[/]",
            escape(change.kind),
            escape(change.name),
            escape(change.detail),
        )
    return table


def plain(value: Any) -> Any:
    """A request body as JSON/YAML data: a Ref as `(known after KEY)`, a Secret as `<redacted>`, bytes by size."""
    if isinstance(value, Secret):
        return "<redacted>"
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def step_documents(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Each planned step with its full request body (secrets redacted) and, for an update, the fields that
    change as {current, wanted}, the way `terraform plan` shows attributes."""
    out = []
    for step in steps:
        doc: dict[str, Any] = {
            "action": step.action,
            "kind": step.kind,
            "name": step.name,
            "operation": step.operation,
            "key": step.key,
        }
        if step.where:
            doc["where"] = step.where
        if step.field:
            doc["field"] = step.field
        if step.detail:
            doc["detail"] = step.detail
        doc["body"] = plain(dict(step.body))
        if step.changes:
            doc["changes"] = {
                name: {"current": plain(have), "wanted": plain(want)}
                for name, (have, want) in step.changes.items()
            }
        out.append(doc)
    return out


def console(err: bool = False) -> Console:
    """A rich console; when output is not a terminal, wide enough that tables do not fold."""
    stream = sys.stderr if err else sys.stdout
    width = None if stream.isatty() else 160
    from rich.console import Console

    return Console(stderr=err, soft_wrap=False, width=width)
