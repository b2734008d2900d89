"""TargetGroupBindings in the offline commands: `validate` reports their problems, `plan` shows what each
binds (and, against a cloud, the RegisterTargets / DeregisterTargets it would send)."""

from __future__ import annotations

from typing import Any

from lbctl.cli.common import plugins
from lbctl.cli.manifests import LoadResult
from lbctl.model.binding_spec import BindingSpec, build_binding
from lbctl.model.kinds import TARGET_GROUP_BINDING
from lbctl.model.problems import Problem, Severity
from lbctl.provider import BindingProvider, BindingResult, ProviderError, ProviderPlugin


def binding_plugins(provider: str) -> list[ProviderPlugin]:
    """The providers (of those the command is for) that serve TargetGroupBindings."""
    return [
        p for p in plugins().values() if TARGET_GROUP_BINDING in p.watched and provider in ("auto", p.name)
    ]


def binding_specs(result: LoadResult, provider: str) -> tuple[list[BindingSpec], list[Problem]]:
    """The spec of each binding in the files and the problems found. A Service the files do not hold is
    assumed to be in the cluster (no problem, and its binding gets no cloud plan)."""
    specs: list[BindingSpec] = []
    problems: list[Problem] = []
    snapshot = result.snapshot
    for _, binding in sorted(snapshot.bindings.items()):
        outcome = build_binding(binding, snapshot)
        in_files = snapshot.service(binding.namespace, binding.service_name) is not None
        problems += [p for p in outcome.problems if in_files or p.field != "spec.serviceRef.name"]
        if outcome.spec is not None and in_files:
            specs.append(outcome.spec)
    if snapshot.bindings and not binding_plugins(provider):
        first = next(iter(sorted(snapshot.bindings.values(), key=lambda b: b.key)))
        problems.append(
            Problem(
                Severity.WARNING,
                first.subject,
                "kind",
                f"TargetGroupBindings are served by provider(s) "
                f"{', '.join(p.name for p in binding_plugins('auto')) or 'none'}, not {provider}; ignored",
                first.source,
            )
        )
    return specs, problems


def plan_binding(cloud: Any, spec: BindingSpec, problems: list[Problem]) -> BindingResult | None:
    """The provider's plan of one binding, or None with the problem recorded."""
    if not isinstance(cloud, BindingProvider):
        return None
    try:
        return cloud.plan_binding(spec)
    except ProviderError as err:
        problems.append(err.problem(spec.key))
    return None


def binding_document(spec: BindingSpec) -> dict[str, Any]:
    """A binding's spec as `plan -o json|yaml` prints it."""
    return {
        "kind": TARGET_GROUP_BINDING.kind,
        "binding": spec.key,
        "targetGroup": spec.target_group_arn or spec.target_group_name,
        "targetType": spec.target_type,  # None: the target group's own
        "multiClusterTargetGroup": spec.multi_cluster,
        "targets": {
            kind: [f"{t.id}:{t.port}" for t in targets]
            for kind, targets in (("instance", spec.instance_targets), ("ip", spec.ip_targets))
            if targets is not None
        },
        "unavailable": dict(spec.unavailable),
        "networking": [
            {
                "from": [p.security_group or p.cidr for p in rule.peers],
                "ports": [f"{p.protocol}/{'all' if p.port is None else p.port}" for p in rule.ports],
            }
            for rule in spec.networking
        ],
    }


def binding_lines(spec: BindingSpec) -> list[str]:
    """A binding's spec as `plan` prints it in a table run."""
    doc = binding_document(spec)
    kind = spec.target_type or "target type of the group"
    lines = [f"TargetGroupBinding {spec.key} → target group {doc['targetGroup']} ({kind})"]
    for kind, targets in doc["targets"].items():
        lines.append(f"  {kind} targets: {', '.join(targets) or 'none'}")
    for kind, why in doc["unavailable"].items():
        lines.append(f"  no {kind} targets: {why}")
    for rule in doc["networking"]:
        lines.append(f"  inbound from {', '.join(rule['from'])} on {', '.join(rule['ports'])}")
    return lines


def plan_bindings(
    result: LoadResult, provider: str, opts: dict[str, Any], offline: bool, live: bool, out: Any
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """`plan` for the bindings of the files: printed to `out` (a console) or returned as documents; with
    --offline, --live or --endpoint-url also the target calls a converge would make."""
    from contextlib import ExitStack

    from lbctl.cli.common import provider_config
    from lbctl.cli.render import changes_table, step_documents
    from lbctl.provider import OfflineRequest

    specs, problems = binding_specs(result, provider)
    documents: list[dict[str, Any]] = []
    if not specs:
        return documents, problems
    for plugin in binding_plugins(provider):
        with ExitStack() as stack:
            cloud = None
            if offline and plugin.offline is not None:
                request = OfflineRequest(
                    opts["cluster_name"], result.snapshot, [], plugin.values("plan", opts)[0]
                )
                cloud = plugin(stack.enter_context(plugin.offline(request)))
            elif live or opts.get("endpoint_url"):
                cloud = plugin(provider_config(plugin, "plan", opts))
            for spec in specs:
                planned = plan_binding(cloud, spec, problems) if cloud is not None else None
                if out is None:
                    doc = binding_document(spec)
                    if planned is not None:
                        doc["changes"] = [vars(c) for c in planned.changes]
                        doc["steps"] = step_documents(planned.steps)
                    documents.append(doc)
                    continue
                for line in binding_lines(spec):
                    out.print(line, markup=False, highlight=False)
                if planned is not None:
                    out.print(
                        changes_table(planned.changes, f"Cloud changes for TargetGroupBinding {spec.key}")
                        if planned.changes
                        else "No cloud changes"
                    )
                out.print()
    return documents, problems
