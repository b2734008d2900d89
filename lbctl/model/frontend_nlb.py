"""aws-load-balancer-controller's frontend Network Load Balancer of an Ingress group (enable-frontend-nlb and
the frontend-nlb-* annotations), resolved to a FrontendNlb with LBC's defaults: internal unless
frontend-nlb-scheme says otherwise, one TCP listener per ALB listen port (or per port of the mapping), an
HTTP health check on the traffic port. Group-wide values must agree across members; the listener mapping is
per Ingress, applied to that Ingress's listen ports. Where the anchor would quietly differ (a frontend-nlb-*
annotation without enable-frontend-nlb, a mapping to a port the ALB does not listen on, EIPs on an
internal NLB) this is an error naming the annotation. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from lbctl.model import annotations as a
from lbctl.model.profile import Member, exclusive, fail, group_fail
from lbctl.model.registry import annotation_field
from lbctl.model.spec import FrontendNlb, FrontendNlbListener, HealthCheck, Listener

# The spec attribute behind each annotation (spec.fields, for the provider's errors)
FRONTEND_NLB_ANNOTATIONS = {
    "frontend_nlb": a.FRONTEND_NLB_ENABLE,
    "frontend_nlb.scheme": a.FRONTEND_NLB_SCHEME,
    "frontend_nlb.subnets": a.FRONTEND_NLB_SUBNETS,
    "frontend_nlb.security_groups": a.FRONTEND_NLB_SECURITY_GROUPS,
    "frontend_nlb.listeners": a.FRONTEND_NLB_PORT_MAPPING,
    "frontend_nlb.eip_allocations": a.FRONTEND_NLB_EIPS,
    "frontend_nlb.attributes": a.FRONTEND_NLB_ATTRIBUTES,
    "frontend_nlb.tags": a.FRONTEND_NLB_TAGS,
}
_HEALTH_CHECK = {
    "protocol": a.FRONTEND_NLB_HC_PROTOCOL,
    "port": a.FRONTEND_NLB_HC_PORT,
    "path": a.FRONTEND_NLB_HC_PATH,
    "interval_seconds": a.FRONTEND_NLB_HC_INTERVAL,
    "timeout_seconds": a.FRONTEND_NLB_HC_TIMEOUT,
    "healthy_threshold": a.FRONTEND_NLB_HC_HEALTHY,
    "unhealthy_threshold": a.FRONTEND_NLB_HC_UNHEALTHY,
    "success_codes": a.FRONTEND_NLB_HC_SUCCESS_CODES,
}


def frontend_nlb(key: str, members: Sequence[Member], listeners: list[Listener]) -> FrontendNlb | None:
    """The group's frontend NLB (None: not asked for)."""

    def agreed(name: str) -> object:
        return exclusive(members, name, key)

    if not agreed(a.FRONTEND_NLB_ENABLE):
        for member in members:
            for name in a.FRONTEND_NLB:
                if name != a.FRONTEND_NLB_ENABLE and member.parsed.has(name):
                    raise fail(
                        member.ingress,
                        member.parsed.field_of(name),
                        f'takes effect only with {a.FRONTEND_NLB_ENABLE}: "true"; set that, or remove it',
                    )
        return None
    scheme = str(agreed(a.FRONTEND_NLB_SCHEME))
    subnets = list(agreed(a.FRONTEND_NLB_SUBNETS) or [])  # type: ignore[call-overload]
    eips = list(agreed(a.FRONTEND_NLB_EIPS) or [])  # type: ignore[call-overload]
    if eips and scheme != "internet-facing":
        raise group_fail(
            key,
            annotation_field(a.FRONTEND_NLB_EIPS),
            f"Elastic IPs need an internet-facing NLB: set {a.FRONTEND_NLB_SCHEME}: internet-facing",
        )
    if eips and subnets and len(eips) != len(subnets):
        raise group_fail(
            key,
            annotation_field(a.FRONTEND_NLB_EIPS),
            f"{len(eips)} Elastic IP(s) for {len(subnets)} subnet(s): give one per subnet, in their order",
        )
    tags = agreed(a.FRONTEND_NLB_TAGS) if any(m.parsed.has(a.FRONTEND_NLB_TAGS) for m in members) else None
    check = HealthCheck(**{attribute: agreed(name) for attribute, name in _HEALTH_CHECK.items()})  # type: ignore[arg-type]
    check.source = "annotation"
    return FrontendNlb(
        scheme=scheme,
        listeners=_listeners(key, members, {x.port for x in listeners}),
        health_check=check,
        subnets=subnets,
        security_groups=list(agreed(a.FRONTEND_NLB_SECURITY_GROUPS) or []),  # type: ignore[call-overload]
        eip_allocations=eips,
        attributes=dict(agreed(a.FRONTEND_NLB_ATTRIBUTES) or {}),  # type: ignore[call-overload]
        tags=None if tags is None else dict(tags),  # type: ignore[call-overload]
    )


def _listeners(key: str, members: Sequence[Member], alb_ports: set[int]) -> list[FrontendNlbListener]:
    """Per member: its mapping (NLB port → one of its listen ports), else its listen ports as they are; one
    ALB port per NLB port across the group."""
    chosen: dict[int, int] = {}
    for member in members:
        own = {port for _, port in member.listen_ports}
        mapping = member.parsed.get(a.FRONTEND_NLB_PORT_MAPPING) or {}
        pairs = {int(n): int(b) for n, b in mapping.items()} if mapping else {p: p for p in own}
        for nlb_port, alb_port in sorted(pairs.items()):
            if alb_port not in own or alb_port not in alb_ports:
                raise fail(
                    member.ingress,
                    member.parsed.field_of(a.FRONTEND_NLB_PORT_MAPPING),
                    f"maps NLB port {nlb_port} to {alb_port}, which is not a listen port of this Ingress "
                    f"({', '.join(str(p) for p in sorted(own))})",
                )
            if chosen.setdefault(nlb_port, alb_port) != alb_port:
                raise group_fail(
                    key,
                    annotation_field(a.FRONTEND_NLB_PORT_MAPPING),
                    f"NLB port {nlb_port} forwards to ALB port {chosen[nlb_port]} on one Ingress and {alb_port} "
                    "on another; one ALB port per NLB port",
                )
    return [FrontendNlbListener(port, alb) for port, alb in sorted(chosen.items())]
