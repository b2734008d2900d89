"""Translate a StackInput into the Desired Compute resources (API-shaped request bodies, no I/O), once per
reconcile; the cloud-side lookups it needs (the static IP's address) come in the Context.

Immutable inputs are hashed into names (a change yields a new resource, created before the old one
is deleted); everything else is updated in place. References are `projects/<p>/…` paths, known before
anything is created. A private key is a `Secret`, redacted wherever a body is shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from lbctl.model.annotations import MANAGED_CERTIFICATES, NEG
from lbctl.model.registry import annotation_field
from lbctl.model.spec import Backend, HealthCheck, Listener, LoadBalancerSpec, Rule, TLSCertificate
from lbctl.model.targets import Target
from lbctl.provider import ProviderError, Secret, StackInput

from . import naming as n
from .urlmap import UrlMapTranslation, translate_url_map
from .urlmap_rules import RouteOptions, translate_route_map

HEALTH_CHECK_RANGES = ("130.211.0.0/22", "35.191.0.0/16")
# The spec attributes whose recorded field (spec.field_of) a rejection names
STATIC_IP = "frontend.static_ip_name"
PRE_SHARED = "certificates"
MANAGED_FIELD = annotation_field(MANAGED_CERTIFICATES)
SSL_POLICY = "frontend.listeners.ssl_policy"
TLS_FIELD = "spec.tls"

HEALTH_CHECK_DETAILS = {"HTTP": "httpHealthCheck", "HTTPS": "httpsHealthCheck", "HTTP2": "http2HealthCheck"}
MAX_PROXY_CERTIFICATES = 15  # SSL certificates per target HTTPS proxy (the API's limit)
MAX_RATE_PER_ENDPOINT = 1e8

# Dependency order: creates/updates go forward, deletes backwards.
ORDER = (
    "firewalls",
    "healthChecks",
    "instanceGroups",
    "networkEndpointGroups",
    "backendServices",
    "sslCertificates",
    "urlMaps",
    "targetHttpProxies",
    "targetHttpsProxies",
    "forwardingRules",
)


class Endpoint(TypedDict):
    """A NEG endpoint as the API takes and lists it: its VM (None: not known), IP address and port."""

    instance: str | None
    ipAddress: str
    port: int


@dataclass
class Wanted:
    """One resource we want: its request body; `zone`: where it lives, a zone or `regions/R` (None: global),
    the middle of its key and the Step's `where`; `members`: an instance group's instances (`projects/…`
    references); `endpoints`: a NEG's endpoints; `security_policy`: a backend service's Cloud Armor policy.
    `field`: the Ingress field the whole resource comes from, `fields`: body field → the Ingress field it comes
    from, to name in the error when the cloud rejects it."""

    collection: str
    name: str
    body: dict[str, Any]
    zone: str | None = None
    members: list[str] | None = None
    endpoints: list[Endpoint] | None = None
    security_policy: str | None = None
    # a backend service's Cloud CDN signing keys, name → value (addSignedUrlKey); None: not managed
    signed_url_keys: dict[str, Secret] | None = None
    fields: dict[str, str] = field(default_factory=dict)
    field: str | None = None  # after `fields`: the name shadows dataclasses.field below it

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.collection, self.zone or "", self.name)

    @property
    def role(self) -> str:
        return str((n.owner(self.body) or {}).get("role", ""))


@dataclass
class Desired:
    """Everything one stack wants, in dependency order of creation."""

    stack: str
    resources: list[Wanted] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    url_map: UrlMapTranslation | None = None
    static_ip_name: str | None = None
    pre_shared: list[str] = field(default_factory=list)
    # ManagedCertificate "ns/name" → the name of its Google-managed certificate
    managed: dict[str, str] = field(default_factory=dict)
    # a Service's status annotations (its standalone NEGs, providers.gcp.negs); empty: none to write
    service_status: dict[str, str] = field(default_factory=dict)

    def by_key(self) -> dict[tuple[str, str, str], Wanted]:
        return {w.key: w for w in self.resources}


# What a regional Application Load Balancer has under regions/R (the NEGs stay zonal, the firewall global)
REGIONAL_COLLECTIONS = frozenset(
    {
        "healthChecks",
        "backendServices",
        "urlMaps",
        "targetHttpProxies",
        "targetHttpsProxies",
        "sslCertificates",
        "forwardingRules",
        "addresses",
    }
)
REGIONAL_FIELD = "frontend.regional"
MANAGED_SCHEME = "EXTERNAL_MANAGED"  # of a global spec with managed (ordered) routing


@dataclass
class Context:
    """What translation needs of the cloud. `region` is set for a regional spec (gce-internal,
    gce-regional-external): its resources live under regions/<region>, with `scheme` INTERNAL_MANAGED or
    EXTERNAL_MANAGED, the forwarding rules on `network` (and `subnetwork`, internal), the firewall open to
    the proxy-only subnet's range."""

    cluster: str
    project: str
    network: str = "default"
    static_ip: str | None = None  # the resolved address of the named global (or regional) address
    network_project: str | None = None  # Shared VPC: the host project of the network and its firewall rules
    # ManagedCertificate "ns/name" → names of its earlier (other domains) certificates of this stack still
    # attached while the new one provisions: HTTPS keeps serving on them until it is ACTIVE
    keep_managed: dict[str, list[str]] = field(default_factory=dict)
    region: str | None = None
    subnetwork: str = "default"
    scheme: str = "EXTERNAL"
    proxy_subnet_range: str | None = None

    def where(self, collection: str) -> str | None:
        """The `where` of a resource of `collection` that is not zonal: `regions/R` when regional."""
        return f"regions/{self.region}" if self.region and collection in REGIONAL_COLLECTIONS else None


def _ref(ctx: Context, collection: str, name: str, zone: str | None = None) -> str:
    scope = f"zones/{zone}" if zone else (ctx.where(collection) or "global")
    shared_vpc = collection in ("networks", "firewalls", "subnetworks") and ctx.network_project
    project = ctx.network_project if shared_vpc else ctx.project
    return f"projects/{project}/{scope}/{collection}/{name}"


def instance_group_name(cluster: str) -> str:
    """One unmanaged instance group per zone for the whole cluster (an instance can be in only one
    load-balanced group), as ingress-gce does; same name in every zone."""
    return n.resource_name(n.INSTANCE_GROUP, cluster, [], "instance-group")


def backend_service_name(cluster: str, stack: str, backend: Backend) -> str:
    readable = [backend.namespace, backend.service, backend.port_label]
    return n.resource_name(n.BACKEND_SERVICE, cluster, readable, stack, backend.key)


def endpoints_by_zone(
    targets: list[Target], instances: Mapping[str, str], skipped: list[str]
) -> dict[str, list[Endpoint]]:
    """A NEG's endpoints (GCE_VM_IP_PORT: pod IP and port on its node's VM, `instances` node → VM name) per
    zone; a target without a zone or a node (the API requires the VM) is left out and its address added to
    `skipped`."""
    by_zone: dict[str, list[Endpoint]] = defaultdict(list)
    for t in targets:
        if t.zone is None or not t.node:
            skipped.append(t.id)
            continue
        by_zone[t.zone].append(
            {"instance": instances.get(t.node or "", t.node), "ipAddress": t.id, "port": t.port}
        )
    return by_zone


def neg_wanted(
    ctx: Context, stack: str, name: str, role: str, zone: str, endpoints: list[Endpoint]
) -> Wanted:
    """One zonal GCE_VM_IP_PORT NEG of ours on the cluster's network, with its endpoints."""
    body: dict[str, Any] = {
        "name": name,
        "description": n.description(ctx.cluster, stack, role),
        "networkEndpointType": "GCE_VM_IP_PORT",
        "network": _ref(ctx, "networks", ctx.network),
    }
    ordered = sorted(endpoints, key=lambda e: (e["ipAddress"], e["port"]))
    return Wanted("networkEndpointGroups", name, body, zone, endpoints=ordered)


def named_port(node_port: int) -> str:
    return f"port{node_port}"


def translate(stack: StackInput, ctx: Context) -> Desired:
    """The wanted resources of one stack (empty for an empty spec)."""
    spec = stack.spec
    out = Desired(spec.stack, static_ip_name=spec.frontend.static_ip_name if not spec.empty else None)
    if spec.empty:
        return out
    if spec.frontend.managed_routing and ctx.region is None:
        ctx = replace(ctx, scheme=MANAGED_SCHEME)  # the global external ALB with advanced traffic management
    for rule in spec.rules if not spec.frontend.managed_routing else []:
        if rule.conditions:
            out.warnings.append(
                f"{rule.source}: extra conditions are not supported on Google Cloud; rule skipped"
            )
    keys = _used_backends(spec)
    missing = [k for k in keys if k not in spec.backends]
    if missing:
        raise ProviderError(
            f"backend {missing[0]} is not a Service port of this Ingress: the cluster default backend must be "
            "part of the spec to become a backend service",
            user_fixable=True,
            field="spec.defaultBackend",
        )
    node_instances = {
        t.node: t.id for ts in stack.targets.values() for t in ts if t.node and not _is_ip(t.id)
    }
    services: dict[str, str] = {}
    ig_ports: dict[str, dict[str, int]] = defaultdict(dict)  # zone → named port → port
    ig_members: dict[str, set[str]] = defaultdict(set)
    fw_ports: set[int] = set()
    for key in keys:
        backend = spec.backends[key]
        targets = stack.targets.get(key, [])
        readable = [backend.namespace, backend.service, backend.port_label]
        hc_name = n.resource_name(n.HEALTH_CHECK, ctx.cluster, readable, spec.stack, key)
        bs_name = backend_service_name(ctx.cluster, spec.stack, backend)
        out.resources.append(_health_check(ctx, spec.stack, hc_name, backend))
        if isinstance(backend.health_check.port, int):
            fw_ports.add(backend.health_check.port)  # a fixed probe port, as ingress-gce's firewall opens it
        groups: list[dict[str, Any]] = []
        if backend.target_type == "ip":
            neg_name = n.resource_name(n.NEG, ctx.cluster, readable, spec.stack, key, ctx.network)
            skipped: list[str] = []
            by_zone = endpoints_by_zone(targets, node_instances, skipped)
            out.warnings += [
                f"backend {key}: endpoint {t} has no zone or node; not attached" for t in skipped
            ]
            fw_ports.update(e["port"] for endpoints in by_zone.values() for e in endpoints)
            for zone in sorted(by_zone):
                out.resources.append(neg_wanted(ctx, spec.stack, neg_name, f"NEG:{key}", zone, by_zone[zone]))
                groups.append(
                    {
                        "group": _ref(ctx, "networkEndpointGroups", neg_name, zone),
                        "balancingMode": "RATE",
                        "maxRatePerEndpoint": MAX_RATE_PER_ENDPOINT,
                        "capacityScaler": 1,
                    }
                )
        else:
            if (
                backend.node_port is None and not backend.assumed
            ):  # assumed: offline plan, left to the cluster
                raise ProviderError(
                    f"Service {backend.namespace}/{backend.service} port {backend.port} has no "
                    "nodePort: use type NodePort, or container-native load balancing with "
                    f"{NEG}: '{{\"ingress\": true}}'",
                    user_fixable=True,
                    field="spec.type",
                )
            if backend.node_port is not None:
                fw_ports.add(backend.node_port)
            zones = sorted({t.zone for t in targets if t.zone})
            for t in targets:  # none while the node port is unknown
                if t.zone and backend.node_port is not None:
                    ig_members[t.zone].add(_ref(ctx, "instances", t.id, t.zone))
                    ig_ports[t.zone][named_port(backend.node_port)] = backend.node_port
            ig = instance_group_name(ctx.cluster)
            groups = [
                {
                    "group": _ref(ctx, "instanceGroups", ig, z),
                    "balancingMode": "UTILIZATION",
                    "maxUtilization": 0.8,
                    "capacityScaler": 1,
                }
                for z in zones
            ]
        bs, policy = _backend_service(
            ctx, spec.stack, bs_name, backend, _ref(ctx, "healthChecks", hc_name), groups
        )
        signing_keys = _secret_settings(stack, backend, bs)
        # the BackendConfig that sets the policy, as the model recorded it
        fields = {"securityPolicy": f"{backend.field_of('backend_config')}.securityPolicy"} if policy else {}
        if backend.backend_config["iap"]["enabled"]:
            fields["iap"] = f"{backend.field_of('backend_config')}.iap"
        if signing_keys:
            fields["signedUrlKeys"] = f"{backend.field_of('backend_config')}.cdn.signedUrlKeys"
        out.resources.append(
            Wanted(
                "backendServices",
                bs_name,
                bs,
                ctx.where("backendServices"),
                security_policy=policy,
                signed_url_keys=signing_keys,
                fields=fields,
            )
        )
        services[key] = bs_name
    for zone in sorted(ig_members):
        name = instance_group_name(ctx.cluster)
        body = {
            "name": name,
            "description": n.description(ctx.cluster, n.SHARED_STACK, "InstanceGroup"),
            "network": _ref(ctx, "networks", ctx.network),
            "namedPorts": [{"name": p, "port": port} for p, port in sorted(ig_ports[zone].items())],
        }
        out.resources.append(Wanted("instanceGroups", name, body, zone, members=sorted(ig_members[zone])))
    if fw_ports:
        name = n.resource_name(n.FIREWALL, ctx.cluster, n.split_stack(spec.stack), spec.stack)
        out.resources.append(
            Wanted(
                "firewalls",
                name,
                {
                    "name": name,
                    "description": n.description(ctx.cluster, spec.stack, "Firewall"),
                    "network": _ref(ctx, "networks", ctx.network),
                    "direction": "INGRESS",
                    "priority": 1000,
                    "sourceRanges": [*HEALTH_CHECK_RANGES, *filter(None, [ctx.proxy_subnet_range])],
                    "allowed": [{"IPProtocol": "tcp", "ports": [str(p) for p in sorted(fw_ports)]}],
                },
            )
        )
    _frontend(stack, ctx, out, services)
    return out


def _is_ip(value: str) -> bool:
    return value.replace(".", "").isdigit() or ":" in value


def _used_backends(spec: LoadBalancerSpec) -> list[str]:
    keys: list[str] = []
    managed = spec.frontend.managed_routing
    actions = [r.action for r in spec.rules if managed or not r.conditions]
    if spec.default_action is not None:
        actions.append(spec.default_action)
    for action in actions:
        for key in action.backend_keys():
            if key not in keys:
                keys.append(key)
    if managed and not keys and spec.cluster_default is not None:
        keys.append(spec.cluster_default)  # a Gateway whose rules send nowhere: what its 404 is anchored on
    return sorted(keys)


def _health_check(ctx: Context, stack: str, name: str, backend: Backend) -> Wanted:
    """The health check the model resolved; no port (None) probes the backend service's serving port."""
    hc: HealthCheck = backend.health_check
    details: dict[str, Any] = {"requestPath": hc.path}
    if hc.port is None:
        details["portSpecification"] = "USE_SERVING_PORT"
    else:
        details["port"] = hc.port
    if hc.host:
        details["host"] = hc.host
    protocol = str(hc.protocol)
    body: dict[str, Any] = {
        "name": name,
        "description": n.description(ctx.cluster, stack, f"HealthCheck:{backend.key}"),
        "type": protocol,
        HEALTH_CHECK_DETAILS[protocol]: details,
        "checkIntervalSec": hc.interval_seconds,
        "timeoutSec": hc.timeout_seconds,
        "healthyThreshold": hc.healthy_threshold,
        "unhealthyThreshold": hc.unhealthy_threshold,
    }
    return Wanted("healthChecks", name, body, ctx.where("healthChecks"))


def _backend_service(
    ctx: Context, stack: str, name: str, backend: Backend, hc_ref: str, groups: list[dict[str, Any]]
) -> tuple[dict[str, Any], str | None]:
    """The backend service body and the security policy to set on it (setSecurityPolicy)."""
    config = backend.backend_config
    body: dict[str, Any] = {
        "name": name,
        "description": n.description(ctx.cluster, stack, f"BackendService:{backend.key}"),
        "protocol": backend.protocol if backend.protocol in ("HTTP", "HTTPS", "HTTP2") else "HTTP",
        "loadBalancingScheme": ctx.scheme,
        "healthChecks": [hc_ref],
        "backends": groups,
        "timeoutSec": config["timeoutSec"],  # every value resolved by the model, defaults included
        "connectionDraining": {"drainingTimeoutSec": config["connectionDraining"]["drainingTimeoutSec"]},
        "sessionAffinity": config["sessionAffinity"]["affinityType"],
        "affinityCookieTtlSec": config["sessionAffinity"]["affinityCookieTtlSec"],
        "customRequestHeaders": list(config["customRequestHeaders"]["headers"]),
        "customResponseHeaders": list(config["customResponseHeaders"]["headers"]),
        "logConfig": {"enable": bool(config["logging"]["enable"])},
        "enableCDN": bool(config["cdn"]["enabled"]),
    }
    if backend.target_type == "instance" and backend.node_port is not None:
        body["portName"] = named_port(backend.node_port)
        body["port"] = backend.node_port
    logging = config["logging"]
    if logging["enable"] and "sampleRate" in logging:
        body["logConfig"]["sampleRate"] = float(logging["sampleRate"])
    cdn = config["cdn"]  # resolved by the model, ingress-gce's defaults included
    if cdn["enabled"]:
        body["cdnPolicy"] = {k: v for k, v in cdn.items() if k not in ("enabled", "signedUrlKeys")}
        # an int64 of the API: JSON carries it as a string, as the cloud returns it
        body["cdnPolicy"]["signedUrlCacheMaxAgeSec"] = str(cdn["signedUrlCacheMaxAgeSec"])
    policy = (config.get("securityPolicy") or {}).get("name")
    ref = (policy if "/" in policy else _ref(ctx, "securityPolicies", policy)) if policy else None
    return body, ref


def _secret_settings(stack: StackInput, backend: Backend, body: dict[str, Any]) -> dict[str, Secret]:
    """IAP on `body` with its OAuth client from the Secret, and the CDN signing keys, as the model resolved
    them (references only; the values come from StackInput.secrets and stay `Secret`s)."""
    config = backend.backend_config

    def value(ref: str, item: str, field: str) -> str:
        found = stack.secrets.get(ref, {}).get(item)
        if not found:
            raise ProviderError(
                f"{ref.split(':', 1)[-1]}: no {item!r} for {field}",
                user_fixable=True,
                field=f"{backend.field_of('backend_config')}.{field}",
            )
        return found

    iap = config["iap"]
    body["iap"] = {"enabled": bool(iap["enabled"])}
    if iap.get("secret"):
        where = "iap.oauthclientCredentials.secretName"
        body["iap"]["oauth2ClientId"] = value(iap["secret"], "client_id", where)
        body["iap"]["oauth2ClientSecret"] = Secret(value(iap["secret"], "client_secret", where))
    keys = (config.get("cdn") or {}).get("signedUrlKeys") or []
    return {k["keyName"]: Secret(value(k["secret"], k["item"], "cdn.signedUrlKeys")) for k in keys}


def _cert_name(ctx: Context, stack: str, cert: TLSCertificate) -> str:
    namespace, _, secret = cert.ref.partition("/")
    return n.resource_name(
        n.CERTIFICATE, ctx.cluster, [namespace, secret], stack, cert.ref, cert.content_hash
    )


def managed_role(ref: str) -> str:
    """The ownership role of a ManagedCertificate's SSL certificate (ref: "ns/name")."""
    return f"ManagedCertificate:{ref}"


def managed_cert_name(cluster: str, stack: str, cert: TLSCertificate) -> str:
    """The domains are immutable on a managed certificate: they are hashed into the name, so new domains are
    a new certificate, attached before the old one is deleted."""
    namespace, _, name = cert.ref.partition("/")
    return n.resource_name(n.MANAGED_CERTIFICATE, cluster, [namespace, name], stack, cert.ref, *cert.hosts)


def _managed(ctx: Context, stack: str, out: Desired, cert: TLSCertificate) -> list[str]:
    """The Google-managed certificate of a ManagedCertificate, and the references to attach: its own, then
    its earlier ones still serving while it provisions."""
    name = managed_cert_name(ctx.cluster, stack, cert)
    role = managed_role(cert.ref)
    body = {
        "name": name,
        "description": n.description(ctx.cluster, stack, role),
        "type": "MANAGED",
        "managed": {"domains": list(cert.hosts)},
    }
    out.resources.append(Wanted("sslCertificates", name, body, field=MANAGED_FIELD))
    out.managed[cert.ref] = name
    refs = [_ref(ctx, "sslCertificates", name)]
    for old in ctx.keep_managed.get(cert.ref, []):
        if old != name:
            kept = {"name": old, "description": body["description"], "type": "MANAGED"}
            out.resources.append(Wanted("sslCertificates", old, kept, field=MANAGED_FIELD))
            refs.append(_ref(ctx, "sslCertificates", old))
    return refs


def _within_proxy_limit(ctx: Context, out: Desired, certs: list[str]) -> list[str]:
    """The certificates of an HTTPS proxy within the API's 15: earlier managed certificates kept beside their
    provisioning successors go first (with a warning); more than 15 of the Ingress's own is an error."""
    kept = {
        _ref(ctx, "sslCertificates", old): old
        for ref, olds in ctx.keep_managed.items()
        for old in olds
        if old != out.managed.get(ref)
    }
    own = [c for c in certs if c not in kept]
    if len(own) > MAX_PROXY_CERTIFICATES:
        raise ProviderError(
            f"an HTTPS proxy takes at most {MAX_PROXY_CERTIFICATES} SSL certificates; the Ingress has {len(own)} "
            "(spec.tls Secrets, pre-shared and managed certificates)",
            user_fixable=True,
            field=TLS_FIELD,
        )
    dropped = [c for c in certs if c in kept][MAX_PROXY_CERTIFICATES - len(own) :]
    for ref in dropped:
        out.warnings.append(
            f"SSL certificate {kept[ref]} of an earlier ManagedCertificate domain list cannot stay attached "
            f"beside its successor ({MAX_PROXY_CERTIFICATES} certificates at most per proxy): its domains are "
            "served again once the new certificate is ACTIVE"
        )
    gone = {kept[ref] for ref in dropped}
    out.resources = [w for w in out.resources if not (w.collection == "sslCertificates" and w.name in gone)]
    return [c for c in certs if c not in dropped]


def listener_rules(spec: LoadBalancerSpec, listener: Listener) -> list[Rule]:
    """The rules a listener serves (a rule without listen_ports is on every listener)."""
    return [r for r in spec.rules if not r.listen_ports or listener.port in r.listen_ports]


def _redirects_scheme(rules: list[Rule]) -> bool:
    """Whether a rule's redirect depends on the listener's protocol (a scheme or a port it names)."""
    return any(
        r.action.redirect is not None and (r.action.redirect.protocol or r.action.redirect.port)
        for r in rules
    )


def route_map_groups(spec: LoadBalancerSpec) -> list[tuple[list[Listener], list[Rule], RouteOptions]]:
    """The URL maps of a managed-routing spec: one per set of listeners serving the same rules (and, when a
    rule redirects to a scheme, the same protocol: `httpsRedirect` is for HTTP proxies only)."""
    groups: dict[tuple[object, ...], tuple[list[Listener], list[Rule], RouteOptions]] = {}
    for listener in spec.frontend.listeners:
        rules = listener_rules(spec, listener)
        protocol = listener.protocol if _redirects_scheme(rules) else None
        options = RouteOptions(protocol=protocol, regex=spec.frontend.regional)
        groups.setdefault((tuple(id(r) for r in rules), protocol), ([], rules, options))[0].append(listener)
    if not groups:  # no listener: the rules as they are, for `lbctl route`
        groups[()] = ([], list(spec.rules), RouteOptions(regex=spec.frontend.regional))
    return list(groups.values())


def _url_maps(stack: StackInput, ctx: Context, out: Desired, services: dict[str, str]) -> dict[int, str]:
    """The URL maps of a stack, and the one each listener port uses."""
    spec = stack.spec
    readable = n.split_stack(spec.stack)
    um_name = n.resource_name(n.URL_MAP, ctx.cluster, readable, spec.stack)
    ref = lambda s: _ref(ctx, "backendServices", s)  # noqa: E731
    if spec.frontend.managed_routing:
        groups = route_map_groups(spec)
        maps = [
            (listeners, translate_route_map(spec, rules, services, ref, options))
            for listeners, rules, options in groups
        ]
    else:
        maps = [(list(spec.frontend.listeners), translate_url_map(spec, services, ref))]
    by_port: dict[int, str] = {}
    for listeners, url_map in maps:
        ports = [listener.port for listener in listeners]
        name = (
            um_name
            if len(maps) == 1
            else n.resource_name(n.URL_MAP, ctx.cluster, readable, spec.stack, *ports)
        )
        if out.url_map is None:
            out.url_map = url_map
        out.warnings.extend(url_map.warnings)
        body = {"name": name, "description": n.description(ctx.cluster, spec.stack, "UrlMap"), **url_map.body}
        out.resources.append(Wanted("urlMaps", name, body, ctx.where("urlMaps")))
        by_port.update(dict.fromkeys(ports, name))
    return by_port


def _frontend(stack: StackInput, ctx: Context, out: Desired, services: dict[str, str]) -> None:
    spec = stack.spec
    readable = n.split_stack(spec.stack)
    maps = _url_maps(stack, ctx, out, services)
    ip_inputs = (spec.frontend.static_ip_name or "",)
    seen: set[str] = set()
    for listener in spec.frontend.listeners:
        um_name = maps[listener.port]
        # a second listener of a protocol (Gateway API) has its own proxy; the first keeps the Ingress name
        extra = (listener.port,) if listener.protocol in seen else ()
        seen.add(listener.protocol)
        if listener.protocol == "HTTP":
            target_map = um_name
            if listener.redirect_to_https_port:
                target_map = n.resource_name(n.REDIRECT_URL_MAP, ctx.cluster, readable, spec.stack)
                out.resources.append(
                    Wanted(
                        "urlMaps",
                        target_map,
                        {
                            "name": target_map,
                            "description": n.description(ctx.cluster, spec.stack, "RedirectUrlMap"),
                            "defaultUrlRedirect": {
                                "httpsRedirect": True,
                                "redirectResponseCode": listener.redirect_code,
                            },
                        },
                        ctx.where("urlMaps"),
                    )
                )
            proxy = n.resource_name(n.HTTP_PROXY, ctx.cluster, readable, spec.stack, *extra)
            out.resources.append(
                Wanted(
                    "targetHttpProxies",
                    proxy,
                    {
                        "name": proxy,
                        "description": n.description(ctx.cluster, spec.stack, "TargetHttpProxy"),
                        "urlMap": _ref(ctx, "urlMaps", target_map),
                    },
                    ctx.where("targetHttpProxies"),
                )
            )
            _forwarding_rule(
                ctx,
                spec.stack,
                out,
                n.HTTP_RULE,
                listener.port,
                _ref(ctx, "targetHttpProxies", proxy),
                ip_inputs,
            )
        elif listener.protocol == "HTTPS":
            certs: list[str] = []
            for cert in listener.certificates:
                if cert.kind == "pre-shared":
                    certs.append(_ref(ctx, "sslCertificates", cert.ref))
                    out.pre_shared.append(cert.ref)
                elif cert.kind == "secret":
                    material = stack.tls.get(cert.ref)
                    if material is None:
                        raise ProviderError(
                            f"TLS Secret {cert.ref} not found or without tls.crt/tls.key",
                            user_fixable=True,
                            field="spec.tls",
                        )
                    name = _cert_name(ctx, spec.stack, cert)
                    out.resources.append(
                        Wanted(
                            "sslCertificates",
                            name,
                            {
                                "name": name,
                                "description": n.description(
                                    ctx.cluster, spec.stack, f"Certificate:{cert.ref}"
                                ),
                                "certificate": material.certificate_pem + (material.chain_pem or ""),
                                "privateKey": Secret(material.private_key_pem),
                            },
                            ctx.where("sslCertificates"),
                            field=TLS_FIELD,
                        )
                    )
                    certs.append(_ref(ctx, "sslCertificates", name))
                elif cert.kind == "managed":
                    certs.extend(_managed(ctx, spec.stack, out, cert))
                else:
                    out.warnings.append(
                        f"certificate {cert.kind}:{cert.ref} is not supported on Google Cloud; ignored"
                    )
            if not certs:
                raise ProviderError(
                    "the HTTPS listener has no usable certificate", user_fixable=True, field="spec.tls"
                )
            certs = _within_proxy_limit(ctx, out, list(dict.fromkeys(certs)))
            proxy = n.resource_name(n.HTTPS_PROXY, ctx.cluster, readable, spec.stack, *extra)
            body = {
                "name": proxy,
                "description": n.description(ctx.cluster, spec.stack, "TargetHttpsProxy"),
                "urlMap": _ref(ctx, "urlMaps", um_name),
                "sslCertificates": certs,
                "sslPolicy": _ref(ctx, "sslPolicies", listener.ssl_policy) if listener.ssl_policy else None,
            }
            fields = {
                "sslCertificates": TLS_FIELD,
                **({"sslPolicy": spec.field_of(SSL_POLICY)} if listener.ssl_policy else {}),
            }
            if ctx.region:
                body.pop("sslPolicy")  # the model refuses SSL policies on regional classes
            out.resources.append(
                Wanted("targetHttpsProxies", proxy, body, ctx.where("targetHttpsProxies"), fields=fields)
            )
            _forwarding_rule(
                ctx,
                spec.stack,
                out,
                n.HTTPS_RULE,
                listener.port,
                _ref(ctx, "targetHttpsProxies", proxy),
                ip_inputs,
            )


def _forwarding_rule(
    ctx: Context, stack: str, out: Desired, role: str, port: int, target: str, ip_inputs: tuple[str, ...]
) -> None:
    """The address is immutable: it is hashed into the name, so a change creates the new rule first."""
    name = n.resource_name(role, ctx.cluster, n.split_stack(stack), stack, port, *ip_inputs)
    body: dict[str, Any] = {
        "name": name,
        "description": n.description(ctx.cluster, stack, f"ForwardingRule:{port}"),
        "IPProtocol": "TCP",
        "portRange": f"{port}-{port}",
        "target": target,
        "loadBalancingScheme": ctx.scheme,
        "labels": n.labels(ctx.cluster, stack),
    }
    if ctx.region:  # as ingress-gce sets them: the cluster's network, and the subnetwork for internal rules
        body["network"] = _ref(ctx, "networks", ctx.network)
        if ctx.scheme == "INTERNAL_MANAGED":
            project = ctx.network_project or ctx.project
            body["subnetwork"] = f"projects/{project}/regions/{ctx.region}/subnetworks/{ctx.subnetwork}"
    if ctx.static_ip:
        body["IPAddress"] = ctx.static_ip
    out.resources.append(Wanted("forwardingRules", name, body, ctx.where("forwardingRules")))


def spec_url_map(spec: LoadBalancerSpec, cluster: str, port: int | None = None) -> UrlMapTranslation | None:
    """The URL map of a spec with the backend service names of `cluster` (no cloud call): for a managed-routing
    spec the one of the listener on `port` (None: its first listener; None when no listener is on `port`;
    every listener's is translated, so any refusal shows), else None when the spec has no default backend."""
    managed = spec.frontend.managed_routing
    if not managed and (spec.default_action is None or not spec.default_action.backend_keys()):
        return None
    keys = _used_backends(spec)
    services = {
        k: backend_service_name(cluster, spec.stack, spec.backends[k])
        if k in spec.backends
        else n.resource_name(n.BACKEND_SERVICE, cluster, [k], spec.stack, k)
        for k in keys
    }
    ref = lambda s: f"global/backendServices/{s}"  # noqa: E731
    if not managed:
        return translate_url_map(spec, services, ref)
    translations = [
        (listeners, translate_route_map(spec, rules, services, ref, options))
        for listeners, rules, options in route_map_groups(spec)
    ]
    if port is None:
        return translations[0][1]
    return next((t for listeners, t in translations if any(x.port == port for x in listeners)), None)
