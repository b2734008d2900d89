"""Gateway API objects (`gateway.networking.k8s.io/v1`, standard channel), parsed into plain data: GatewayClass,
Gateway, HTTPRoute, GRPCRoute and ReferenceGrant.

Pure: no I/O. Parsing applies the defaults the CRDs declare (so a file that never went through an API server
reads as the stored object would) and refuses what the schema refuses, naming the field. Attachment, references
and status are in `gateway_attach.py`; match precedence and request evaluation in `gateway_routing.py`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

GROUP = "gateway.networking.k8s.io"
CORE = ""
_HOSTNAME = re.compile(r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONTROLLER = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$"
)
PROTOCOLS = ("HTTP", "HTTPS", "TLS", "TCP", "UDP")
PATH_TYPES = ("Exact", "PathPrefix", "RegularExpression")
MATCH_TYPES = ("Exact", "RegularExpression")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
HTTP_FILTERS = (
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestMirror",
    "RequestRedirect",
    "URLRewrite",
    "ExtensionRef",
    "CORS",
)
GRPC_FILTERS = ("RequestHeaderModifier", "ResponseHeaderModifier", "RequestMirror", "ExtensionRef")


class GatewayApiError(ValueError):
    """A Gateway API object the schema refuses: `field` names where, `message` what is expected."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RouteGroupKind:
    group: str
    kind: str


@dataclass(frozen=True)
class AllowedRoutes:
    """Which Routes may attach to a listener: `namespaces_from` Same | All | Selector, and the kinds (empty: the
    kinds the listener's protocol carries)."""

    namespaces_from: str = "Same"
    selector: Mapping[str, Any] | None = None
    kinds: tuple[RouteGroupKind, ...] = ()


@dataclass(frozen=True)
class SecretRef:
    """A listener's `certificateRefs[i]` (a Secret unless group/kind say otherwise)."""

    group: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class Listener:
    name: str
    port: int
    protocol: str
    hostname: str | None = None
    tls_mode: str | None = None  # Terminate | Passthrough (HTTPS/TLS listeners)
    certificate_refs: tuple[SecretRef, ...] = ()
    allowed_routes: AllowedRoutes = AllowedRoutes()
    tls_options: Mapping[str, str] = field(default_factory=dict)  # tls.options (implementation-specific)


@dataclass(frozen=True)
class GatewayClass:
    name: str
    controller_name: str
    generation: int = 1
    source: str = field(default="", compare=False)  # "file.yaml#2" when read from a file
    parameters_ref: Mapping[str, Any] | None = (
        None  # spec.parametersRef (group, kind, name, namespace), as written
    )


@dataclass(frozen=True)
class GatewayAddress:
    """A `spec.addresses[i]`: type IPAddress (default) | Hostname | NamedAddress | a domain-prefixed type."""

    type: str
    value: str | None = None


@dataclass(frozen=True)
class Infrastructure:
    """`spec.infrastructure`: labels and annotations for the resources made for the Gateway, and a reference to
    implementation-specific parameters."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    parameters_ref: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Gateway:
    namespace: str
    name: str
    class_name: str
    listeners: tuple[Listener, ...]
    generation: int = 1
    addresses: tuple[GatewayAddress, ...] = ()
    infrastructure: Infrastructure = Infrastructure()
    tls: Mapping[str, Any] | None = None  # spec.tls (Gateway-wide frontend/backend TLS), as written
    annotations: Mapping[str, str] = field(default_factory=dict)  # metadata.annotations
    source: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class ParentRef:
    """A route's `parentRefs[i]`: namespace defaults to the route's."""

    group: str
    kind: str
    namespace: str
    name: str
    section_name: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class BackendRef:
    group: str
    kind: str
    namespace: str
    name: str
    port: int | None
    weight: int = 1


@dataclass(frozen=True)
class PathMatch:
    type: str  # Exact | PathPrefix | RegularExpression
    value: str


@dataclass(frozen=True)
class ValueMatch:
    """A header or query parameter match."""

    name: str
    value: str
    type: str = "Exact"


@dataclass(frozen=True)
class HTTPMatch:
    path: PathMatch | None = PathMatch("PathPrefix", "/")
    headers: tuple[ValueMatch, ...] = ()
    query_params: tuple[ValueMatch, ...] = ()
    method: str | None = None


@dataclass(frozen=True)
class GRPCMatch:
    """`method` (service and/or method, Exact or RegularExpression) and headers; None: any method."""

    service: str | None = None
    method: str | None = None
    type: str = "Exact"
    headers: tuple[ValueMatch, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule of an HTTPRoute or GRPCRoute; `matches` never empty (the default match filled in)."""

    index: int
    matches: tuple[HTTPMatch | GRPCMatch, ...]
    backend_refs: tuple[BackendRef, ...]
    filters: tuple[Mapping[str, Any], ...] = ()
    name: str | None = None
    timeouts: Mapping[str, str] = field(default_factory=dict)  # HTTPRoute: request, backendRequest


@dataclass(frozen=True)
class Route:
    """An HTTPRoute or GRPCRoute (`kind`)."""

    kind: str
    namespace: str
    name: str
    parent_refs: tuple[ParentRef, ...]
    hostnames: tuple[str, ...]
    rules: tuple[Rule, ...]
    created: str = ""  # metadata.creationTimestamp (RFC 3339 sorts as text)
    generation: int = 1
    source: str = field(default="", compare=False)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True)
class GrantFrom:
    group: str
    kind: str
    namespace: str


@dataclass(frozen=True)
class GrantTo:
    group: str
    kind: str
    name: str | None = None


@dataclass(frozen=True)
class ReferenceGrant:
    namespace: str
    name: str
    from_: tuple[GrantFrom, ...]
    to: tuple[GrantTo, ...]
    source: str = field(default="", compare=False)


# ---- reading ----------------------------------------------------------------------------------------


def _map(value: Any, field: str, required: bool = False) -> Mapping[str, Any]:
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        raise GatewayApiError(field, "Required value" if value is None else "must be an object")
    return value


def _list(value: Any, field: str, max_items: int | None = None, min_items: int = 0) -> list[Any]:
    if value is None:
        value = []
    if not isinstance(value, list):
        raise GatewayApiError(field, "must be a list")
    if len(value) < min_items:
        raise GatewayApiError(field, f"must have at least {min_items} item{'s' if min_items > 1 else ''}")
    if max_items is not None and len(value) > max_items:
        raise GatewayApiError(field, f"must have at most {max_items} items")
    return value


def _string(value: Any, field: str, required: bool = True, max_length: int = 253) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise GatewayApiError(field, "Required value: a non-empty string")
    if len(value) > max_length:
        raise GatewayApiError(field, f"may not be longer than {max_length} characters")
    return value


def _enum(value: Any, field: str, allowed: tuple[str, ...], default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if value not in allowed:
        shown = ", ".join(f'"{a}"' for a in allowed)
        raise GatewayApiError(field, f"Unsupported value: {value!r}: supported values: {shown}")
    return str(value)


def _port(value: Any, field: str, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise GatewayApiError(field, f"Invalid value: {value!r}: a port number from 1 to 65535")
    return value


def hostname(value: Any, field: str) -> str:
    """A Gateway API hostname: a lowercase RFC 1123 name, optionally `*.`-prefixed; no IP address."""
    text = _string(value, field)
    if not _HOSTNAME.match(text) or re.fullmatch(r"[0-9.]+", text):
        raise GatewayApiError(
            field, f"Invalid value: {text!r}: a DNS name, optionally with a leading '*.' label, not an IP"
        )
    return text


def _meta(obj: Mapping[str, Any], namespaced: bool = True) -> tuple[str, str, int, str]:
    meta = _map(obj.get("metadata"), "metadata", required=True)
    name = _string(meta.get("name"), "metadata.name")
    namespace = _string(meta.get("namespace"), "metadata.namespace", required=False) or (
        "default" if namespaced else ""
    )
    raw_generation = meta.get("generation")
    generation = raw_generation if isinstance(raw_generation, int) else 1
    return namespace, name, generation, str(meta.get("creationTimestamp") or "")


def _spec(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return _map(obj.get("spec"), "spec", required=True)


def parse_gateway_class(obj: Mapping[str, Any]) -> GatewayClass:
    _, name, generation, _ = _meta(obj, namespaced=False)
    controller = _string(_spec(obj).get("controllerName"), "spec.controllerName")
    if not _CONTROLLER.match(controller):
        raise GatewayApiError(
            "spec.controllerName",
            f"Invalid value: {controller!r}: a domain-prefixed path, e.g. example.com/gateway-controller",
        )
    ref = _map(_spec(obj).get("parametersRef"), "spec.parametersRef") or None
    return GatewayClass(name, controller, generation, parameters_ref=ref)


def _allowed_routes(raw: Any, field: str) -> AllowedRoutes:
    allowed = _map(raw, field)
    namespaces = _map(allowed.get("namespaces"), f"{field}.namespaces")
    origin = _enum(namespaces.get("from"), f"{field}.namespaces.from", ("All", "Selector", "Same"), "Same")
    selector = namespaces.get("selector")
    if origin == "Selector":
        selector = _label_selector(selector, f"{field}.namespaces.selector")
    kinds = tuple(
        RouteGroupKind(
            _string(k.get("group", GROUP), f"{field}.kinds[{i}].group", required=False),
            _string(k.get("kind"), f"{field}.kinds[{i}].kind"),
        )
        for i, k in enumerate(
            _map(k, f"{field}.kinds[{i}]")
            for i, k in enumerate(_list(allowed.get("kinds"), f"{field}.kinds", 8))
        )
    )
    return AllowedRoutes(origin, selector if origin == "Selector" else None, kinds)


def _label_selector(raw: Any, field: str) -> Mapping[str, Any]:
    selector = _map(raw, field, required=True)
    for key, value in _map(selector.get("matchLabels"), f"{field}.matchLabels").items():
        if not isinstance(value, str):
            raise GatewayApiError(f"{field}.matchLabels.{key}", "must be a string")
    for i, expression in enumerate(_list(selector.get("matchExpressions"), f"{field}.matchExpressions")):
        where = f"{field}.matchExpressions[{i}]"
        expression = _map(expression, where, required=True)
        _string(expression.get("key"), f"{where}.key")
        operator = _enum(
            expression.get("operator"), f"{where}.operator", ("In", "NotIn", "Exists", "DoesNotExist")
        )
        values = _list(expression.get("values"), f"{where}.values")
        if operator in ("In", "NotIn") and not values:
            raise GatewayApiError(f"{where}.values", f"must not be empty for operator {operator}")
        if operator in ("Exists", "DoesNotExist") and values:
            raise GatewayApiError(f"{where}.values", f"must be empty for operator {operator}")
    return selector


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a (parsed) label selector selects `labels`; the empty selector selects everything."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if (
            (operator == "In" and not (present and labels[key] in values))
            or (operator == "NotIn" and present and labels[key] in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return True


def _listener(raw: Any, index: int, namespace: str) -> Listener:
    field = f"spec.listeners[{index}]"
    listener = _map(raw, field, required=True)
    name = _string(listener.get("name"), f"{field}.name")
    protocol = _string(listener.get("protocol"), f"{field}.protocol")
    host = listener.get("hostname")
    tls = _map(listener.get("tls"), f"{field}.tls")
    mode = (
        _enum(tls.get("mode"), f"{field}.tls.mode", ("Terminate", "Passthrough"), "Terminate")
        if tls
        else None
    )
    refs = tuple(
        SecretRef(
            _string(ref.get("group", CORE), f"{field}.tls.certificateRefs[{i}].group", required=False),
            _string(ref.get("kind", "Secret"), f"{field}.tls.certificateRefs[{i}].kind"),
            _string(ref.get("namespace"), f"{field}.tls.certificateRefs[{i}].namespace", required=False)
            or namespace,
            _string(ref.get("name"), f"{field}.tls.certificateRefs[{i}].name"),
        )
        for i, ref in enumerate(
            _map(r, f"{field}.tls.certificateRefs[{i}]", required=True)
            for i, r in enumerate(_list(tls.get("certificateRefs"), f"{field}.tls.certificateRefs", 64))
        )
    )
    return Listener(
        name,
        _port(listener.get("port"), f"{field}.port") or 0,
        protocol,
        None if host is None else hostname(host, f"{field}.hostname"),
        mode,
        refs,
        _allowed_routes(listener.get("allowedRoutes"), f"{field}.allowedRoutes"),
        _string_map(tls.get("options"), f"{field}.tls.options"),
    )


def parse_gateway(obj: Mapping[str, Any]) -> Gateway:
    namespace, name, generation, _ = _meta(obj)
    spec = _spec(obj)
    listeners = tuple(
        _listener(raw, i, namespace)
        for i, raw in enumerate(_list(spec.get("listeners"), "spec.listeners", 64, 1))
    )
    seen: set[str] = set()
    for i, listener in enumerate(listeners):
        if listener.name in seen:
            raise GatewayApiError(f"spec.listeners[{i}].name", f"Duplicate value: {listener.name!r}")
        seen.add(listener.name)
    tls = spec.get("tls")
    meta = _map(obj.get("metadata"), "metadata")
    return Gateway(
        namespace,
        name,
        _string(spec.get("gatewayClassName"), "spec.gatewayClassName"),
        listeners,
        generation,
        _addresses(spec.get("addresses")),
        _infrastructure(spec.get("infrastructure")),
        _map(tls, "spec.tls") or None,
        _string_map(meta.get("annotations"), "metadata.annotations"),
    )


def _addresses(raw: Any) -> tuple[GatewayAddress, ...]:
    out = []
    for i, item in enumerate(_list(raw, "spec.addresses", 16)):
        where = f"spec.addresses[{i}]"
        address = _map(item, where, required=True)
        kind = _string(address.get("type", "IPAddress"), f"{where}.type")
        value = _string(address.get("value"), f"{where}.value", required=False) or None
        out.append(GatewayAddress(kind, value))
    return tuple(out)


def _string_map(raw: Any, field: str) -> dict[str, str]:
    values = _map(raw, field)
    for key, value in values.items():
        if not isinstance(value, str):
            raise GatewayApiError(f"{field}.{key}", "must be a string")
    return dict(values)


def _infrastructure(raw: Any) -> Infrastructure:
    infra = _map(raw, "spec.infrastructure")
    ref = infra.get("parametersRef")
    return Infrastructure(
        _string_map(infra.get("labels"), "spec.infrastructure.labels"),
        _string_map(infra.get("annotations"), "spec.infrastructure.annotations"),
        _map(ref, "spec.infrastructure.parametersRef") or None,
    )


def _parent_ref(raw: Any, field: str, namespace: str) -> ParentRef:
    ref = _map(raw, field, required=True)
    return ParentRef(
        _string(ref.get("group", GROUP), f"{field}.group", required=False),
        _string(ref.get("kind", "Gateway"), f"{field}.kind"),
        _string(ref.get("namespace"), f"{field}.namespace", required=False) or namespace,
        _string(ref.get("name"), f"{field}.name"),
        _string(ref.get("sectionName"), f"{field}.sectionName", required=False) or None,
        _port(ref.get("port"), f"{field}.port", required=False),
    )


def _backend_ref(raw: Any, field: str, namespace: str) -> BackendRef:
    ref = _map(raw, field, required=True)
    group = _string(ref.get("group", CORE), f"{field}.group", required=False)
    kind = _string(ref.get("kind", "Service"), f"{field}.kind")
    weight = ref.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1_000_000:
        raise GatewayApiError(f"{field}.weight", f"Invalid value: {weight!r}: an integer from 0 to 1000000")
    port = _port(ref.get("port"), f"{field}.port", required=False)
    if port is None and group == CORE and kind == "Service":
        raise GatewayApiError(
            f"{field}.port", "Required value: a port is required when the referent is a Service"
        )
    return BackendRef(
        group,
        kind,
        _string(ref.get("namespace"), f"{field}.namespace", required=False) or namespace,
        _string(ref.get("name"), f"{field}.name"),
        port,
        weight,
    )


def _value_matches(raw: Any, field: str, case_insensitive_names: bool) -> tuple[ValueMatch, ...]:
    out: list[ValueMatch] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(raw, field, 16)):
        where = f"{field}[{i}]"
        match = _map(item, where, required=True)
        name = _string(match.get("name"), f"{where}.name", max_length=256)
        identity = name.lower() if case_insensitive_names else name
        if identity in seen:  # the spec: only the first entry with an equivalent name is considered
            continue
        seen.add(identity)
        out.append(
            ValueMatch(
                name,
                _string(match.get("value"), f"{where}.value", max_length=4096),
                _enum(match.get("type"), f"{where}.type", MATCH_TYPES, "Exact"),
            )
        )
    return tuple(out)


def _path(raw: Any, field: str) -> PathMatch:
    path = _map(raw, field)
    kind = _enum(path.get("type"), f"{field}.type", PATH_TYPES, "PathPrefix")
    value = _string(path.get("value", "/"), f"{field}.value", max_length=1024)
    if kind in ("Exact", "PathPrefix"):
        if not value.startswith("/"):
            raise GatewayApiError(f"{field}.value", f"Invalid value: {value!r}: must be an absolute path")
        if "//" in value or "/./" in value or "/../" in value or "%2f" in value.lower() or "#" in value:
            raise GatewayApiError(
                f"{field}.value",
                f"Invalid value: {value!r}: must not contain '//', '/./', '/../', '%2f' or '#'",
            )
        if value.endswith(("/..", "/.")):
            raise GatewayApiError(
                f"{field}.value", f"Invalid value: {value!r}: must not end with '/..' or '/.'"
            )
    return PathMatch(kind, value)


def _http_match(raw: Any, field: str) -> HTTPMatch:
    match = _map(raw, field)
    method = match.get("method")
    return HTTPMatch(
        _path(match.get("path"), f"{field}.path"),
        _value_matches(match.get("headers"), f"{field}.headers", True),
        _value_matches(match.get("queryParams"), f"{field}.queryParams", False),
        None if method is None else _enum(method, f"{field}.method", METHODS),
    )


def _grpc_match(raw: Any, field: str) -> GRPCMatch:
    match = _map(raw, field)
    method = _map(match.get("method"), f"{field}.method")
    kind = _enum(method.get("type"), f"{field}.method.type", MATCH_TYPES, "Exact")
    service = (
        _string(method.get("service"), f"{field}.method.service", required=False, max_length=1024) or None
    )
    name = _string(method.get("method"), f"{field}.method.method", required=False, max_length=1024) or None
    if match.get("method") is not None and service is None and name is None:
        raise GatewayApiError(f"{field}.method", "one or both of 'service' or 'method' must be specified")
    return GRPCMatch(service, name, kind, _value_matches(match.get("headers"), f"{field}.headers", True))


def _filters(raw: Any, field: str, allowed: tuple[str, ...]) -> tuple[Mapping[str, Any], ...]:
    out = []
    for i, item in enumerate(_list(raw, field, 16)):
        where = f"{field}[{i}]"
        entry = _map(item, where, required=True)
        _enum(entry.get("type"), f"{where}.type", allowed)
        out.append(entry)
    return tuple(out)


_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")


def _timeouts(raw: Any, field: str) -> dict[str, str]:
    timeouts = _map(raw, field)
    out = {}
    for name in ("request", "backendRequest"):
        value = timeouts.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not _DURATION.match(value):
            raise GatewayApiError(
                f"{field}.{name}", f"Invalid value: {value!r}: a duration such as 10s, 1m or 1h30m"
            )
        out[name] = value
    return out


def duration_seconds(value: str) -> float:
    """A Gateway API duration (`1h2m3s500ms`) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"([0-9]+)(ms|h|m|s)", value))


def _route(obj: Mapping[str, Any], kind: str) -> Route:
    namespace, name, generation, created = _meta(obj)
    spec = _spec(obj)
    grpc = kind == "GRPCRoute"
    rules: list[Rule] = []
    for r, raw in enumerate(_list(spec.get("rules", [{}]), "spec.rules", 16 if grpc else 16)):
        field = f"spec.rules[{r}]"
        rule = _map(raw, field)
        raw_matches = _list(rule.get("matches"), f"{field}.matches", 64 if not grpc else 8)
        if grpc:
            matches: tuple[HTTPMatch | GRPCMatch, ...] = tuple(
                _grpc_match(m, f"{field}.matches[{i}]") for i, m in enumerate(raw_matches)
            ) or (GRPCMatch(),)
        else:
            matches = tuple(_http_match(m, f"{field}.matches[{i}]") for i, m in enumerate(raw_matches)) or (
                HTTPMatch(),
            )
        rules.append(
            Rule(
                r,
                matches,
                tuple(
                    _backend_ref(b, f"{field}.backendRefs[{i}]", namespace)
                    for i, b in enumerate(_list(rule.get("backendRefs"), f"{field}.backendRefs", 16))
                ),
                _filters(rule.get("filters"), f"{field}.filters", GRPC_FILTERS if grpc else HTTP_FILTERS),
                _string(rule.get("name"), f"{field}.name", required=False) or None,
                {} if grpc else _timeouts(rule.get("timeouts"), f"{field}.timeouts"),
            )
        )
    return Route(
        kind,
        namespace,
        name,
        tuple(
            _parent_ref(p, f"spec.parentRefs[{i}]", namespace)
            for i, p in enumerate(_list(spec.get("parentRefs"), "spec.parentRefs", 32))
        ),
        tuple(
            hostname(h, f"spec.hostnames[{i}]")
            for i, h in enumerate(_list(spec.get("hostnames"), "spec.hostnames", 16))
        ),
        tuple(rules),
        created,
        generation,
    )


def parse_http_route(obj: Mapping[str, Any]) -> Route:
    return _route(obj, "HTTPRoute")


def parse_grpc_route(obj: Mapping[str, Any]) -> Route:
    return _route(obj, "GRPCRoute")


def parse_reference_grant(obj: Mapping[str, Any]) -> ReferenceGrant:
    namespace, name, _, _ = _meta(obj)
    spec = _spec(obj)
    sources = tuple(
        GrantFrom(
            _string(f.get("group"), f"spec.from[{i}].group", required=False),
            _string(f.get("kind"), f"spec.from[{i}].kind"),
            _string(f.get("namespace"), f"spec.from[{i}].namespace"),
        )
        for i, f in enumerate(
            _map(x, f"spec.from[{i}]", required=True)
            for i, x in enumerate(_list(spec.get("from"), "spec.from", 16, 1))
        )
    )
    targets = tuple(
        GrantTo(
            _string(t.get("group"), f"spec.to[{i}].group", required=False),
            _string(t.get("kind"), f"spec.to[{i}].kind"),
            _string(t.get("name"), f"spec.to[{i}].name", required=False) or None,
        )
        for i, t in enumerate(
            _map(x, f"spec.to[{i}]", required=True)
            for i, x in enumerate(_list(spec.get("to"), "spec.to", 16, 1))
        )
    )
    return ReferenceGrant(namespace, name, sources, targets)


PARSERS: dict[str, Callable[[Mapping[str, Any]], GatewayClass | Gateway | Route | ReferenceGrant]] = {
    "GatewayClass": parse_gateway_class,
    "Gateway": parse_gateway,
    "HTTPRoute": parse_http_route,
    "GRPCRoute": parse_grpc_route,
    "ReferenceGrant": parse_reference_grant,
}


GatewayObject = GatewayClass | Gateway | Route | ReferenceGrant


def parse(obj: Mapping[str, Any], source: str = "") -> GatewayObject:
    """Any of the five kinds (`apiVersion` gateway.networking.k8s.io/v1, or v1beta1 where it is served);
    `source` (where a file held it) is kept on the object for messages."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version not in (f"{GROUP}/v1", f"{GROUP}/v1beta1") or kind not in PARSERS:
        raise GatewayApiError(
            "apiVersion", f"expected one of {', '.join(PARSERS)} in {GROUP}/v1, got {api_version} {kind}"
        )
    parsed = PARSERS[str(kind)](obj)
    return dataclasses.replace(parsed, source=source) if source else parsed
