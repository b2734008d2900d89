"""Translate a Service's L4 service into the Compute resources of a passthrough Network Load Balancer, as
ingress-gce's L4 controllers make them (pure, no I/O; the region, subnetwork and address come in the
context): a regional health check (HTTP /healthz on healthCheckNodePort for externalTrafficPolicy Local,
kube-proxy's node health port 10256 otherwise), a regional backend service (INTERNAL or EXTERNAL) over the
cluster's zonal instance groups (shared with the Ingresses' backends), one regional forwarding rule per
protocol with the Service's ports, a firewall rule for the traffic (loadBalancerSourceRanges, else
everywhere) and one for the health checkers.

A forwarding rule's immutable fields (ports, address, subnetwork, global access) are hashed into its name:
a change is a new rule, created before the old one is deleted."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from lbctl.model.gce_l4 import GceL4Settings
from lbctl.model.services import ServiceSpec
from lbctl.provider import ProviderError, ServiceInput

from . import naming as n
from .translate import Context, Desired, Wanted, _ref, instance_group_name

# ingress-gce's health-check source ranges: internal (L4LBSrcRanges) and external (L4NetLBSrcRanges)
ILB_HEALTH_CHECK_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
NETLB_HEALTH_CHECK_RANGES = ("35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22")
NODE_HEALTH_PORT = 10256  # kube-proxy's healthz port, probed for externalTrafficPolicy Cluster
HEALTH_PATH = "/healthz"
# ingress-gce's L4 health-check parameters: shared (Cluster) and per-Service (Local)
CLUSTER_CHECK = {"checkIntervalSec": 8, "timeoutSec": 1, "healthyThreshold": 1, "unhealthyThreshold": 3}
LOCAL_CHECK = {"checkIntervalSec": 3, "timeoutSec": 1, "healthyThreshold": 1, "unhealthyThreshold": 2}
MAX_ILB_PORTS = 5  # an internal forwarding rule lists at most 5 ports; more take allPorts
PROTOCOLS = ("TCP", "UDP")


@dataclass(frozen=True)
class L4Context:
    """What translation needs of the cloud: the Context's cluster, project, network and region (and
    subnetwork, internal), and the address the forwarding rules take (None: an ephemeral one)."""

    base: Context
    address: str | None = None


def settings_of(service: ServiceSpec) -> GceL4Settings:
    cloud = service.cloud
    return cloud if isinstance(cloud, GceL4Settings) else GceL4Settings(internal=service.internal)


def base_name(cluster: str, service: ServiceSpec) -> str:
    """The name of the backend service, health check and traffic firewall of a Service."""
    return n.l4_name(cluster, service.namespace, service.name)


def translate_l4(stack: ServiceInput, l4: L4Context) -> Desired:
    """The wanted resources of one Service (none for an empty service)."""
    service = stack.spec
    out = Desired(service.stack)
    if service.empty:
        return out
    ctx = l4.base
    settings = settings_of(service)
    protocols = sorted({p.protocol for p in service.ports})
    bad = [p for p in protocols if p not in PROTOCOLS]
    if bad:
        raise ProviderError(
            f"protocol {bad[0]} is not served by Google Cloud passthrough load balancers: use TCP or UDP",
            user_fixable=True,
            field=service.field_of("ports"),
        )
    if len(protocols) > 1 and l4.address is None:
        raise ProviderError(
            "TCP and UDP ports on one Service need one address for both forwarding rules: set "
            "spec.loadBalancerIP to a reserved regional address"
            + (" of purpose SHARED_LOADBALANCER_VIP" if settings.internal else ""),
            user_fixable=True,
            field=service.field_of("load_balancer_ip"),
        )
    name = base_name(ctx.cluster, service)
    scheme = "INTERNAL" if settings.internal else "EXTERNAL"
    hc_port = NODE_HEALTH_PORT
    local = service.external_traffic_policy == "Local" and service.health_check_node_port is not None
    if local and service.health_check_node_port is not None:
        hc_port = service.health_check_node_port
    health_check = {
        "name": name,
        "description": n.description(ctx.cluster, service.stack, "L4HealthCheck"),
        "type": "HTTP",
        "httpHealthCheck": {"port": hc_port, "requestPath": HEALTH_PATH},
        **(LOCAL_CHECK if local else CLUSTER_CHECK),
    }
    ranges = ILB_HEALTH_CHECK_RANGES if settings.internal else NETLB_HEALTH_CHECK_RANGES
    out.resources.append(_firewall(ctx, service, name, list(service.source_ranges) or ["0.0.0.0/0"]))
    out.resources.append(
        Wanted(
            "firewalls",
            name + n.L4_HC_FIREWALL_SUFFIX,
            _firewall_body(
                ctx,
                service,
                name + n.L4_HC_FIREWALL_SUFFIX,
                "L4HealthCheckFirewall",
                list(ranges),
                {"TCP": [hc_port]},
            ),
            field=service.field_of("external_traffic_policy"),
        )
    )
    out.resources.append(
        Wanted("healthChecks", name, health_check, ctx.where("healthChecks"), field=service.field_of("ports"))
    )
    members: dict[str, set[str]] = defaultdict(set)
    for targets in stack.targets.values():
        for t in targets:
            if t.zone:
                members[t.zone].add(_ref(ctx, "instances", t.id, t.zone))
    group = instance_group_name(ctx.cluster)
    for zone in sorted(members):
        body = {
            "name": group,
            "description": n.description(ctx.cluster, n.SHARED_STACK, "InstanceGroup"),
            "network": _ref(ctx, "networks", ctx.network),
            "namedPorts": [],
        }
        out.resources.append(Wanted("instanceGroups", group, body, zone, members=sorted(members[zone])))
    backend_service: dict[str, Any] = {
        "name": name,
        "description": n.description(ctx.cluster, service.stack, "L4BackendService"),
        "loadBalancingScheme": scheme,
        "protocol": protocols[0] if len(protocols) == 1 else "UNSPECIFIED",
        "healthChecks": [_ref(ctx, "healthChecks", name)],
        "backends": [
            {
                "group": _ref(ctx, "instanceGroups", group, zone),
                "balancingMode": "CONNECTION",
                "capacityScaler": 1,
            }
            for zone in sorted(members)
        ],
    }
    if settings.internal:
        backend_service["network"] = _ref(ctx, "networks", ctx.network)
    out.resources.append(
        Wanted(
            "backendServices",
            name,
            backend_service,
            ctx.where("backendServices"),
            field=service.field_of("ports"),
        )
    )
    for protocol in protocols:
        out.resources.append(_forwarding_rule(l4, service, settings, name, protocol))
    return out


def _forwarding_rule(
    l4: L4Context, service: ServiceSpec, settings: GceL4Settings, bs: str, protocol: str
) -> Wanted:
    ctx = l4.base
    ports = sorted({p.port for p in service.ports if p.protocol == protocol})
    body: dict[str, Any] = {
        "description": n.description(ctx.cluster, service.stack, f"L4ForwardingRule:{protocol}"),
        "IPProtocol": protocol,
        "loadBalancingScheme": "INTERNAL" if settings.internal else "EXTERNAL",
        "backendService": _ref(ctx, "backendServices", bs),
        "labels": n.labels(ctx.cluster, service.stack),
    }
    if settings.internal:
        if len(ports) > MAX_ILB_PORTS:
            body["allPorts"] = True
        else:
            body["ports"] = [str(p) for p in ports]
        body["network"] = _ref(ctx, "networks", ctx.network)
        project = ctx.network_project or ctx.project
        body["subnetwork"] = f"projects/{project}/regions/{ctx.region}/subnetworks/{ctx.subnetwork}"
        if settings.global_access:
            body["allowGlobalAccess"] = True
    else:
        body["portRange"] = f"{ports[0]}-{ports[-1]}"
        body["networkTier"] = "PREMIUM"
    if l4.address:
        body["IPAddress"] = l4.address
    immutable = (body.get("ports"), body.get("portRange"), body.get("allPorts"), l4.address, ctx.subnetwork)
    name = n.l4_name(
        ctx.cluster, service.namespace, service.name, *immutable, settings.global_access, protocol=protocol
    )
    body = {"name": name, **body}
    fields = {
        "IPAddress": service.field_of("load_balancer_ip"),
        "allowGlobalAccess": service.field_of("cloud.global_access"),
    }
    return Wanted(
        "forwardingRules",
        name,
        body,
        ctx.where("forwardingRules"),
        fields=fields,
        field=service.field_of("ports"),
    )


def _firewall(ctx: Context, service: ServiceSpec, name: str, sources: list[str]) -> Wanted:
    by_protocol: dict[str, list[int]] = defaultdict(list)
    for port in service.ports:
        by_protocol[port.protocol].append(port.port)
    body = _firewall_body(ctx, service, name, "L4Firewall", sources, by_protocol)
    return Wanted("firewalls", name, body, field=service.field_of("source_ranges"))


def _firewall_body(
    ctx: Context, service: ServiceSpec, name: str, role: str, sources: list[str], ports: dict[str, list[int]]
) -> dict[str, Any]:
    return {
        "name": name,
        "description": n.description(ctx.cluster, service.stack, role),
        "network": _ref(ctx, "networks", ctx.network),
        "direction": "INGRESS",
        "priority": 1000,
        "sourceRanges": sorted(sources),
        "allowed": [
            {"IPProtocol": protocol.lower(), "ports": [str(p) for p in sorted(set(ports[protocol]))]}
            for protocol in sorted(ports)
        ],
    }
