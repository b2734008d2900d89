"""Services of type LoadBalancer in the file commands: `validate` reports their problems, `plan` shows each
one's L4 spec (and, against a cloud, the requests a converge would send), `apply` / `delete` converge them.

A Service the files hold is served by a provider as the controller would serve it: by class or annotations,
and unclassed ones only with --claim-unclassed-services; one nobody serves is a warning, never silence."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from lbctl.cli.common import plugins
from lbctl.cli.manifests import LoadResult
from lbctl.model.problems import Problem, Severity
from lbctl.model.services import ServiceSpec, build_service, exposes_negs, is_reconciled, is_served
from lbctl.provider import ConvergeResult, ProviderError, ServiceInput, ServiceProvider

CLAIM_HELP = (
    "Also serve Services of type LoadBalancer without spec.loadBalancerClass (as `lbctl run "
    "--claim-unclassed-services` does)."
)


def claim_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--claim-unclassed-services",
        "claim_unclassed",
        is_flag=True,
        envvar="LBCTL_CLAIM_UNCLASSED_SERVICES",
        help=CLAIM_HELP,
    )(command)


def service_specs(
    result: LoadResult, provider: str, claim_unclassed: bool
) -> tuple[list[tuple[str, ServiceSpec]], list[Problem]]:
    """(provider, spec) of each Service of type LoadBalancer in the files a provider serves, and problems."""
    names = sorted(plugins()) if provider == "auto" else [provider]
    specs: list[tuple[str, ServiceSpec]] = []
    problems: list[Problem] = []
    for service in sorted(result.snapshot.services.values(), key=lambda s: (s.namespace, s.name)):
        served = [name for name in names if is_served(service, name, claim_unclassed)]
        negs = [name for name in names if name not in served and exposes_negs(service, name)]
        for name in negs:  # standalone NEGs only, whatever the type
            outcome = build_service(service, name, load_balancer=False)
            problems += outcome.problems
            if outcome.spec is not None:
                specs.append((name, outcome.spec))
        if service.type != "LoadBalancer":
            continue
        if not served:
            problems.append(
                Problem(
                    Severity.WARNING,
                    f"Service {service.namespace}/{service.name}",
                    "spec.loadBalancerClass",
                    f"no load balancer of {' or '.join(names)} serves it: set the provider's loadBalancerClass "
                    "(e.g. service.k8s.aws/nlb) or pass --claim-unclassed-services",
                    service.source,
                )
            )
        for name in served:
            outcome = build_service(service, name)
            problems += outcome.problems
            if outcome.spec is not None:
                specs.append((name, outcome.spec))
    return specs, problems


def service_document(spec: ServiceSpec) -> dict[str, Any]:
    """A Service's L4 spec (and standalone NEGs) as `plan -o json|yaml` prints it."""
    negs = [{"port": n.port, **({"name": n.name} if n.name else {})} for n in spec.negs]
    if not spec.load_balancer:
        return {"kind": "Service", "service": spec.key, "stack": spec.stack, "standaloneNegs": negs}
    return {
        "kind": "Service",
        "service": spec.key,
        "stack": spec.stack,
        "scheme": "internal" if spec.internal else "internet-facing",
        "ports": [f"{p.protocol}:{p.port}" for p in spec.ports],
        "targetType": spec.target_type,
        "externalTrafficPolicy": spec.external_traffic_policy,
        "sourceRanges": list(spec.source_ranges),
        **({"standaloneNegs": negs} if negs else {}),
    }


def plan_services(
    result: LoadResult, provider: str, opts: dict[str, Any], offline: bool, live: bool, out: Any
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """`plan` for the Services of the files: printed to `out` (a console) or returned as documents; with
    --offline, --live or --endpoint-url also the requests a converge would make."""
    from contextlib import ExitStack

    from lbctl.cli.common import provider_config
    from lbctl.cli.render import changes_table, step_documents
    from lbctl.provider import OfflineRequest

    specs, problems = service_specs(result, provider, bool(opts.get("claim_unclassed")))
    documents: list[dict[str, Any]] = []
    for name in sorted({n for n, _ in specs}):
        plugin = plugins()[name]
        with ExitStack() as stack:
            cloud = None
            if offline and plugin.offline is not None:
                request = OfflineRequest(
                    opts["cluster_name"], result.snapshot, [], plugin.values("plan", opts)[0]
                )
                cloud = plugin(stack.enter_context(plugin.offline(request)))
            elif live or opts.get("endpoint_url"):
                cloud = plugin(provider_config(plugin, "plan", opts))
            for _, spec in (s for s in specs if s[0] == name):
                planned = None
                if isinstance(cloud, ServiceProvider):
                    try:
                        planned = cloud.plan_service(ServiceInput.from_snapshot(spec, result.snapshot))
                    except ProviderError as err:
                        problems.append(err.problem(spec.stack))
                doc = service_document(spec)
                if out is None:
                    if planned is not None:
                        doc["changes"] = [vars(c) for c in planned.changes]
                        doc["steps"] = step_documents(planned.steps)
                        doc["warnings_cloud"] = planned.warnings
                    documents.append(doc)
                    continue
                exposed = ", ".join(str(n.port) for n in spec.negs)
                line = (
                    f"Service {spec.key} → {doc['scheme']} L4 load balancer ({name}), ports "
                    f"{', '.join(doc['ports'])}, {spec.target_type} targets"
                    if spec.load_balancer
                    else f"Service {spec.key} → standalone NEGs ({name})"
                )
                if exposed:
                    line += f"; standalone NEGs of port(s) {exposed}"
                out.print(line, markup=False, highlight=False)
                if planned is not None:
                    out.print(
                        changes_table(planned.changes, f"Cloud changes for Service {spec.key}")
                        if planned.changes
                        else "No cloud changes"
                    )
                out.print()
    return documents, problems


def converge_services(
    result: LoadResult, provider: str, cloud: Any, claim_unclassed: bool, delete: bool
) -> tuple[list[tuple[ServiceSpec, ConvergeResult | ProviderError]], list[Problem]]:
    """`apply` / `delete` of the files' Services served by `provider` (the cloud made for it)."""
    from lbctl.model.services import empty_service_spec, service_stack

    specs, problems = service_specs(result, provider, claim_unclassed)
    done: list[tuple[ServiceSpec, ConvergeResult | ProviderError]] = []
    if not isinstance(cloud, ServiceProvider):
        return done, problems
    if delete:  # every Service the provider serves, also one whose annotations are now invalid
        served = [s for s in result.snapshot.services.values() if is_reconciled(s, provider, claim_unclassed)]
        specs = [(provider, empty_service_spec(service_stack(s.namespace, s.name))) for s in served]
        problems = [p for p in problems if p.severity != Severity.ERROR]
    for _, spec in specs:
        wanted = spec
        try:
            done.append((spec, cloud.converge_service(ServiceInput.from_snapshot(wanted, result.snapshot))))
        except ProviderError as err:
            problems.append(err.problem(spec.stack))
            done.append((spec, err))
    return done, problems
