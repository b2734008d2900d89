"""A Service's standalone NEGs (the NEG annotation's `exposed_ports`), as ingress-gce's NEG controller makes
them (pure, no I/O): per exposed port one zonal GCE_VM_IP_PORT NEG in every zone of the cluster's nodes (and
any other zone an endpoint is in) holding the port's ready endpoints — pod IP, target port, node VM — and the
NEG status annotation that reports them. The NEGs are built as an Ingress's container-native
backends are (translate.neg_wanted); they carry the Service's stack, so discovery finds them by their
description, also under a custom name, and deletes them with the annotation or the Service."""

from __future__ import annotations

import json

from lbctl.model import annotations as a
from lbctl.model.gce_negs import StandaloneNeg
from lbctl.provider import ServiceInput

from . import naming as n
from .translate import Context, Wanted, endpoints_by_zone, neg_wanted

ROLE = "StandaloneNEG"


def standalone_neg_name(cluster: str, stack: ServiceInput, neg: StandaloneNeg, network: str) -> str:
    """The custom name, else `k8s2-ne-<cluster>-<ns>-<svc>-<port>-<hash>` (ingress-gce's readable parts)."""
    if neg.name:
        return neg.name
    spec = stack.spec
    readable = [spec.namespace, spec.name, str(neg.port)]
    return n.resource_name(n.NEG, cluster, readable, spec.stack, ROLE, neg.port, network)


def translate_standalone_negs(
    stack: ServiceInput, ctx: Context
) -> tuple[list[Wanted], list[str], dict[str, str]]:
    """(the NEGs, warnings, the Service's status annotations) of a Service's exposed ports."""
    spec = service = stack.spec
    if spec.empty or not spec.negs:
        return [], [], {}
    wanted: list[Wanted] = []
    warnings: list[str] = []
    names: dict[str, str] = {}
    zones = set(stack.zones)
    for neg in spec.negs:
        targets = stack.targets.get(neg.key, [])
        instances = {t.node: t.instance for t in targets if t.node and t.instance}
        skipped: list[str] = []
        by_zone = endpoints_by_zone(targets, instances, skipped)
        warnings += [
            f"exposed port {neg.port}: endpoint {t} has no zone or node; not attached" for t in skipped
        ]
        name = standalone_neg_name(ctx.cluster, stack, neg, ctx.network)
        names[str(neg.port)] = name
        zones |= set(by_zone)
        for zone in sorted(set(stack.zones) | set(by_zone)):
            want = neg_wanted(ctx, spec.stack, name, f"{ROLE}:{neg.port}", zone, by_zone.get(zone, []))
            want.field = service.field_of("negs")
            wanted.append(want)
    status: dict[str, object] = {"network_endpoint_groups": names}
    if zones:
        status["zones"] = sorted(zones)
    return wanted, warnings, {a.NEG_STATUS: json.dumps(status, separators=(",", ":"), sort_keys=True)}
