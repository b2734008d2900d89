"""Per-kind table: what each emulated Compute collection references, carries and requires."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid, required
from .url_map_rules import validate_route_rules

Resource = dict[str, Any]

HEALTH_CHECK_TYPES: dict[str, str] = {
    "httpHealthCheck": "HTTP",
    "httpsHealthCheck": "HTTPS",
    "http2HealthCheck": "HTTP2",
    "tcpHealthCheck": "TCP",
    "sslHealthCheck": "SSL",
    "grpcHealthCheck": "GRPC",
}


@dataclass(frozen=True)
class ReferenceField:
    """A field holding references to other resources; `[]` in the path iterates a list."""

    path: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class KindSpec:
    """How one collection behaves in the emulator."""

    collection: str
    kind: str
    label: str
    scopes: tuple[str, ...] = ("global",)  # scope kinds it is served in: global, regional, zonal
    references: tuple[ReferenceField, ...] = ()
    fingerprint: bool = False
    label_fingerprint: bool = False
    patchable: bool = False
    updatable: bool = False
    defaults: dict[str, Any] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()
    validate: Callable[[Resource], None] | None = None

    @property
    def output_only(self) -> tuple[str, ...]:
        """Fields a client may send but the server owns."""
        return (
            "id",
            "selfLink",
            "creationTimestamp",
            "kind",
            "zone",
            "region",
            "fingerprint",
            "labelFingerprint",
            *self.computed,
        )


@dataclass(frozen=True)
class Slot:
    """One concrete place in a resource where a reference value lives."""

    container: Any
    key: Any
    field_path: str

    @property
    def value(self) -> Any:
        return self.container[self.key]

    def set(self, value: Any) -> None:
        self.container[self.key] = value


def iter_slots(resource: Any, path: str) -> Iterator[Slot]:
    """Every concrete slot matching `path` (e.g. `pathMatchers[].pathRules[].service`)."""
    yield from _slots(resource, path.split("."), "")


def _slots(node: Any, parts: list[str], prefix: str) -> Iterator[Slot]:
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    key = head[:-2] if is_list else head
    if not isinstance(node, dict) or node.get(key) in (None, "", []):
        return
    value = node[key]
    if not is_list:
        if rest:
            yield from _slots(value, rest, f"{prefix}{key}.")
        else:
            yield Slot(node, key, f"{prefix}{key}")
        return
    if not isinstance(value, list):
        raise invalid(f"Invalid value for field '{prefix}{key}': expected a list")
    for index, item in enumerate(value):
        if rest:
            yield from _slots(item, rest, f"{prefix}{key}[{index}].")
        else:
            yield Slot(value, index, f"{prefix}{key}[{index}]")


def _require(resource: Resource, *names: str) -> None:
    for name in names:
        if resource.get(name) in (None, "", [], {}):
            raise required(f"resource.{name}")


def _validate_health_check(resource: Resource) -> None:
    present = [name for name in HEALTH_CHECK_TYPES if resource.get(name) is not None]
    if len(present) != 1:
        raise invalid("Exactly one protocol-specific health check field must be specified.")
    expected = HEALTH_CHECK_TYPES[present[0]]
    if resource.get("type", expected) != expected:
        raise invalid(f"Invalid value for field 'resource.type': '{resource['type']}'.")
    resource["type"] = expected


_CACHE_MODES = ("CACHE_ALL_STATIC", "USE_ORIGIN_HEADERS", "FORCE_CACHE_ALL")
_MAX_TTL = 31622400


def _validate_cdn_policy(policy: Any) -> None:
    """BackendServiceCdnPolicy as the API checks it: the cache mode, TTL bounds and which TTLs a mode allows;
    `signedUrlKeyNames` is output only (addSignedUrlKey/deleteSignedUrlKey own it)."""
    if not isinstance(policy, dict):
        raise invalid("Invalid value for field 'resource.cdnPolicy'.")
    policy.pop("signedUrlKeyNames", None)
    mode = policy.get("cacheMode", "CACHE_ALL_STATIC")
    if mode not in _CACHE_MODES:
        raise invalid(f"Invalid value for field 'resource.cdnPolicy.cacheMode': '{mode}'.")
    for name in ("clientTtl", "defaultTtl", "maxTtl", "serveWhileStale", "signedUrlCacheMaxAgeSec"):
        value = policy.get(name)
        if value is not None and not (0 <= int(value) <= _MAX_TTL):
            raise invalid(f"Invalid value for field 'resource.cdnPolicy.{name}': '{value}'.")
    banned = {"USE_ORIGIN_HEADERS": ("clientTtl", "defaultTtl", "maxTtl"), "FORCE_CACHE_ALL": ("maxTtl",)}
    for name in banned.get(mode, ()):
        if policy.get(name):
            raise invalid(f"Invalid value for field 'resource.cdnPolicy.{name}': cannot be set with {mode}.")
    if mode == "CACHE_ALL_STATIC" and policy.get("maxTtl") is not None:
        for name in ("defaultTtl", "clientTtl"):
            if policy.get(name) is not None and int(policy[name]) > int(policy["maxTtl"]):
                raise invalid(f"Invalid value for field 'resource.cdnPolicy.{name}': exceeds maxTtl.")
    for index, entry in enumerate(policy.get("negativeCachingPolicy") or []):
        if not 0 <= int(entry.get("ttl", 0)) <= 1800:
            raise invalid(f"Invalid value for field 'resource.cdnPolicy.negativeCachingPolicy[{index}].ttl'.")
    key = policy.get("cacheKeyPolicy") or {}
    if key.get("queryStringBlacklist") and key.get("queryStringWhitelist"):
        raise invalid("Invalid value for field 'resource.cdnPolicy.cacheKeyPolicy': both query string lists.")


def _validate_backend_service(resource: Resource) -> None:
    if resource.get("cdnPolicy") is not None:
        _validate_cdn_policy(resource["cdnPolicy"])
    for index, backend in enumerate(resource.get("backends") or []):
        if not backend.get("group"):
            raise required(f"resource.backends[{index}].group")
        backend.setdefault("capacityScaler", 1)  # the balancing mode's default depends on the scheme


REDIRECT_RESPONSE_CODES = (
    "MOVED_PERMANENTLY_DEFAULT",
    "FOUND",
    "SEE_OTHER",
    "TEMPORARY_REDIRECT",
    "PERMANENT_REDIRECT",
)


def _validate_redirect(redirect: Any, where: str) -> None:
    """An HttpRedirectAction: the response code is one of five, 301 when unset (as the API returns it)."""
    if not isinstance(redirect, dict):
        return
    code = redirect.setdefault("redirectResponseCode", "MOVED_PERMANENTLY_DEFAULT")
    if code not in REDIRECT_RESPONSE_CODES:
        raise invalid(f"Invalid value for field '{where}.redirectResponseCode': '{code}'.")


def _validate_url_map(resource: Resource) -> None:
    if resource.get("defaultUrlRedirect"):
        _validate_redirect(resource["defaultUrlRedirect"], "resource.defaultUrlRedirect")
    if not any(resource.get(f) for f in ("defaultService", "defaultUrlRedirect", "defaultRouteAction")):
        raise required("resource.defaultService")
    matchers = {m.get("name") for m in resource.get("pathMatchers") or []}
    for index, matcher in enumerate(resource.get("pathMatchers") or []):
        _require(matcher, "name")
        where = f"resource.pathMatchers[{index}]"
        _validate_redirect(matcher.get("defaultUrlRedirect"), f"{where}.defaultUrlRedirect")
        for position, rule in enumerate(matcher.get("routeRules") or []):
            _validate_redirect(rule.get("urlRedirect"), f"{where}.routeRules[{position}].urlRedirect")
        if not any(matcher.get(f) for f in ("defaultService", "defaultUrlRedirect", "defaultRouteAction")):
            raise required(f"resource.pathMatchers[{index}].defaultService")
    for index, rule in enumerate(resource.get("hostRules") or []):
        if rule.get("pathMatcher") not in matchers:
            raise invalid(
                f"Invalid value for field 'resource.hostRules[{index}].pathMatcher': "
                f"'{rule.get('pathMatcher')}'. The path matcher is not defined in the URL map."
            )
        if not rule.get("hosts"):
            raise required(f"resource.hostRules[{index}].hosts")
    validate_route_rules(resource)


MAX_PROXY_CERTIFICATES = 15  # SSL certificates on one target HTTPS proxy


def _validate_https_proxy(resource: Resource) -> None:
    _require(resource, "urlMap")
    if not resource.get("sslCertificates") and not resource.get("certificateMap"):
        raise required("resource.sslCertificates")
    if len(resource.get("sslCertificates") or []) > MAX_PROXY_CERTIFICATES:
        raise invalid(
            f"Invalid value for field 'resource.sslCertificates': a target HTTPS proxy takes at most "
            f"{MAX_PROXY_CERTIFICATES} SSL certificates."
        )


MAX_MANAGED_DOMAINS = 100  # the API's limit of domains on one Google-managed certificate
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?")


def _validate_managed(resource: Resource) -> None:
    """A Google-managed certificate: domains only (no certificate or key), at most 100, no wildcards; it
    starts PROVISIONING, each domain too (provisioning.py issues it), and has no expireTime until issued."""
    managed = resource.get("managed")
    if not isinstance(managed, dict) or not managed.get("domains"):
        raise required("resource.managed.domains")
    domains = managed["domains"]
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise invalid("Invalid value for field 'resource.managed.domains': expected a list of domain names.")
    if len(domains) > MAX_MANAGED_DOMAINS:
        raise invalid(
            f"Invalid value for field 'resource.managed.domains': {len(domains)} domains; a managed "
            f"certificate takes at most {MAX_MANAGED_DOMAINS}."
        )
    for index, domain in enumerate(domains):
        if domain.startswith("*."):
            raise invalid(
                f"Invalid value for field 'resource.managed.domains[{index}]': '{domain}'. Wildcard domains "
                "are not supported for Google-managed certificates."
            )
        if not _DOMAIN.fullmatch(domain.lower()):
            raise invalid(f"Invalid value for field 'resource.managed.domains[{index}]': '{domain}'.")
    for name in ("certificate", "privateKey"):
        if resource.get(name):
            raise invalid(f"Invalid value for field 'resource.{name}': not allowed on a MANAGED certificate.")
    resource["type"] = "MANAGED"
    resource["managed"] = {
        "domains": list(domains),
        "status": "PROVISIONING",
        "domainStatus": {domain: "PROVISIONING" for domain in domains},
    }
    resource["subjectAlternativeNames"] = list(domains)


def _validate_ssl_certificate(resource: Resource) -> None:
    kind = resource.get("type")
    if kind not in (None, "SELF_MANAGED", "MANAGED"):
        raise invalid(f"Invalid value for field 'resource.type': '{kind}'.")
    if kind == "MANAGED" or (kind is None and resource.get("managed")):
        _validate_managed(resource)
        return
    if resource.get("managed"):
        raise invalid("Invalid value for field 'resource.managed': only for type MANAGED.")
    _require(resource, "certificate", "privateKey")
    if "-----BEGIN CERTIFICATE-----" not in resource["certificate"]:
        raise invalid("The SSL certificate could not be parsed.")
    if "PRIVATE KEY-----" not in resource["privateKey"]:
        raise invalid("The SSL key could not be parsed.")
    resource["type"] = "SELF_MANAGED"


IP_PROTOCOLS = ("TCP", "UDP", "ESP", "AH", "SCTP", "ICMP", "L3_DEFAULT")


def _validate_forwarding_rule(resource: Resource) -> None:
    """One of `target` / `backendService`; `ports`, `portRange` and `allPorts` exclusive, the first two only
    where the API takes them; the protocol one of the API's."""
    if not resource.get("target") and not resource.get("backendService"):
        raise required("resource.target")
    if resource.get("target") and resource.get("backendService"):
        raise invalid(
            "Invalid value for field 'resource.backendService': a forwarding rule with a target "
            "cannot also have a backendService."
        )
    if resource["IPProtocol"] not in IP_PROTOCOLS:
        raise invalid(f"Invalid value for field 'resource.IPProtocol': '{resource['IPProtocol']}'.")
    given = [
        name for name in ("ports", "portRange", "allPorts") if resource.get(name) not in (None, "", [], False)
    ]
    if len(given) > 1:
        raise invalid(
            f"Invalid value for field 'resource.{given[1]}': ports, portRange and allPorts are mutually exclusive."
        )
    if ("ports" in given or "allPorts" in given) and not resource.get("backendService"):
        raise invalid(
            f"Invalid value for field 'resource.{given[0]}': only forwarding rules with a backendService "
            "take ports or allPorts; use portRange."
        )
    ports = resource.get("ports") or []
    if len(ports) > 5:
        raise invalid("Invalid value for field 'resource.ports': at most 5 ports may be specified.")
    for index, port in enumerate(ports):
        if not (str(port).isdigit() and 0 < int(port) < 65536):
            raise invalid(f"Invalid value for field 'resource.ports[{index}]': '{port}'.")
    port_range = str(resource.get("portRange") or "")
    if port_range:
        low, _, high = port_range.partition("-")
        if not (low.isdigit() and (high or low).isdigit() and 0 < int(low) <= int(high or low) < 65536):
            raise invalid(f"Invalid value for field 'resource.portRange': '{port_range}'.")
        resource["portRange"] = f"{low}-{high or low}"


def _validate_firewall(resource: Resource) -> None:
    if not resource.get("allowed") and not resource.get("denied"):
        raise required("resource.allowed")


def _validate_neg(resource: Resource) -> None:
    kind = resource.get("networkEndpointType", "GCE_VM_IP_PORT")
    if kind not in ("GCE_VM_IP_PORT", "GCE_VM_IP", "NON_GCP_PRIVATE_IP_PORT"):
        raise invalid(f"Invalid value for field 'resource.networkEndpointType': '{kind}'.")


_GROUP_TARGETS = ("instanceGroups", "networkEndpointGroups")
_FORWARDING_TARGETS = (
    "targetHttpProxies",
    "targetHttpsProxies",
    "targetTcpProxies",
    "targetSslProxies",
    "targetPools",
    "targetInstances",
)
_BACKEND_TARGETS = ("backendServices", "backendBuckets")

KINDS: dict[str, KindSpec] = {
    spec.collection: spec
    for spec in (
        KindSpec(
            "healthChecks",
            "compute#healthCheck",
            "health_check",
            scopes=("global", "regional"),
            patchable=True,
            updatable=True,
            defaults={"checkIntervalSec": 5, "timeoutSec": 5, "healthyThreshold": 2, "unhealthyThreshold": 2},
            validate=_validate_health_check,
        ),
        KindSpec(
            "backendServices",
            "compute#backendService",
            "backend_service",
            scopes=("global", "regional"),
            references=(
                ReferenceField("healthChecks[]", ("healthChecks",)),
                ReferenceField("backends[].group", _GROUP_TARGETS),
                ReferenceField("securityPolicy", ("securityPolicies",)),
            ),
            fingerprint=True,
            patchable=True,
            updatable=True,
            defaults={
                "protocol": "HTTP",
                "port": 80,
                "portName": "http",
                "timeoutSec": 30,
                "loadBalancingScheme": "EXTERNAL",
                "sessionAffinity": "NONE",
                "connectionDraining": {"drainingTimeoutSec": 0},
            },
            validate=_validate_backend_service,
        ),
        KindSpec(
            "urlMaps",
            "compute#urlMap",
            "url_map",
            scopes=("global", "regional"),
            references=(
                ReferenceField("defaultService", _BACKEND_TARGETS),
                ReferenceField("pathMatchers[].defaultService", _BACKEND_TARGETS),
                ReferenceField("pathMatchers[].pathRules[].service", _BACKEND_TARGETS),
                ReferenceField("pathMatchers[].routeRules[].service", _BACKEND_TARGETS),
                ReferenceField(
                    "pathMatchers[].routeRules[].routeAction.weightedBackendServices[].backendService",
                    ("backendServices",),
                ),
                ReferenceField(
                    "defaultRouteAction.weightedBackendServices[].backendService", ("backendServices",)
                ),
            ),
            fingerprint=True,
            patchable=True,
            updatable=True,
            validate=_validate_url_map,
        ),
        KindSpec(
            "targetHttpProxies",
            "compute#targetHttpProxy",
            "target_http_proxy",
            scopes=("global", "regional"),
            references=(ReferenceField("urlMap", ("urlMaps",)),),
            fingerprint=True,
            patchable=True,
            validate=lambda r: _require(r, "urlMap"),
        ),
        KindSpec(
            "targetHttpsProxies",
            "compute#targetHttpsProxy",
            "target_https_proxy",
            scopes=("global", "regional"),
            references=(
                ReferenceField("urlMap", ("urlMaps",)),
                ReferenceField("sslCertificates[]", ("sslCertificates",)),
                ReferenceField("sslPolicy", ("sslPolicies",)),
            ),
            fingerprint=True,
            patchable=True,
            defaults={"quicOverride": "NONE"},
            validate=_validate_https_proxy,
        ),
        KindSpec(
            "sslCertificates",
            "compute#sslCertificate",
            "ssl_certificate",
            scopes=("global", "regional"),
            hidden=("privateKey",),
            computed=("expireTime", "subjectAlternativeNames"),
            validate=_validate_ssl_certificate,
        ),
        KindSpec(
            "sslPolicies",
            "compute#sslPolicy",
            "ssl_policy",
            scopes=("global", "regional"),
            fingerprint=True,
            patchable=True,
            defaults={"profile": "COMPATIBLE", "minTlsVersion": "TLS_1_0"},
        ),
        KindSpec(
            "forwardingRules",
            "compute#forwardingRule",
            "forwarding_rule",
            scopes=("global", "regional"),
            references=(
                ReferenceField("target", _FORWARDING_TARGETS),
                ReferenceField("backendService", ("backendServices",)),
                ReferenceField("subnetwork", ("subnetworks",)),
                ReferenceField("_address", ("addresses",)),
            ),
            fingerprint=True,
            label_fingerprint=True,
            patchable=True,
            defaults={"IPProtocol": "TCP", "loadBalancingScheme": "EXTERNAL", "networkTier": "PREMIUM"},
            validate=_validate_forwarding_rule,
        ),
        KindSpec(
            "addresses",
            "compute#address",
            "address",
            scopes=("global", "regional"),
            references=(ReferenceField("subnetwork", ("subnetworks",)),),
            label_fingerprint=True,
            computed=("status", "users"),
            defaults={"addressType": "EXTERNAL", "ipVersion": "IPV4", "networkTier": "PREMIUM"},
        ),
        KindSpec(
            "firewalls",
            "compute#firewall",
            "firewall",
            patchable=True,
            updatable=True,
            defaults={"network": "global/networks/default", "direction": "INGRESS", "priority": 1000},
            validate=_validate_firewall,
        ),
        KindSpec(
            "instanceGroups",
            "compute#instanceGroup",
            "instance_group",
            scopes=("zonal",),
            fingerprint=True,
            computed=("size",),
            defaults={"network": "global/networks/default"},
        ),
        KindSpec(
            "networkEndpointGroups",
            "compute#networkEndpointGroup",
            "network_endpoint_group",
            scopes=("zonal",),
            computed=("size",),
            defaults={"networkEndpointType": "GCE_VM_IP_PORT", "network": "global/networks/default"},
            validate=_validate_neg,
        ),
        KindSpec(
            "instances",
            "compute#instance",
            "instance",
            scopes=("zonal",),
            fingerprint=True,
            label_fingerprint=True,
            computed=("status",),
            defaults={"machineType": "machineTypes/e2-small"},
        ),
        KindSpec(
            "subnetworks",
            "compute#subnetwork",
            "subnetwork",
            scopes=("regional",),
            fingerprint=True,
            patchable=True,
            computed=("gatewayAddress",),
            defaults={"purpose": "PRIVATE", "stackType": "IPV4_ONLY", "privateIpGoogleAccess": False},
        ),
    )
}

#: Collections the emulator stores; references into any other collection are not checked.
STORED_COLLECTIONS: frozenset[str] = frozenset(KINDS)
