"""IngressClassParams (`elbv2.k8s.aws/v1beta1`, aws-load-balancer-controller's class parameters): which
IngressClassParams an Ingress's class names, whether its namespace may use it (`namespaceSelector`), and
the annotation values its fields fix for every Ingress of the class (`class_params.py` applies them).

As in aws-load-balancer-controller: an Ingress classed by the legacy class
annotation has no parameters; one without a class gets the default IngressClass's. Unlike it, an
annotation that asks for another value than the class's is an error on that Ingress, not silently
ignored (docs/migration.md). Pure: reads only the snapshot."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lbctl.model import annotations as a
from lbctl.model import limits
from lbctl.model.class_params import ClassPins, Pin
from lbctl.model.classes import AWS_CONTROLLER
from lbctl.model.kinds import INGRESS_CLASS_PARAMS
from lbctl.model.objects import NAMESPACE_NAME_LABEL, CustomObject, Ingress, IngressClass
from lbctl.model.problems import Problem, Severity, SpecError, shorten
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import Source

KIND = INGRESS_CLASS_PARAMS.kind
API_GROUP = INGRESS_CLASS_PARAMS.group
# Class values without an annotation of their own (ParsedAnnotations.class_values): (field, value)
SUBNET_TAGS = "subnets.tags"
LISTENERS = "listeners"  # "HTTPS-443" → listener attributes


class ParamsError(ValueError):
    """A field of an IngressClassParams is invalid: `field` is its path (e.g. `spec.scheme`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ParamsError(where, f"must be a string, got {shorten(repr(value))}")
    return value


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list):
        raise ParamsError(where, f"must be a list of strings, got {shorten(repr(value))}")
    out = []
    for i, item in enumerate(value):
        text = _text(item, f"{where}[{i}]")
        if not text.strip() or "," in text:
            raise ParamsError(f"{where}[{i}]", f"{shorten(text)} must be one non-empty value (no commas)")
        out.append(text)
    return out


def _pairs(value: Any, where: str) -> dict[str, str]:
    """A list of {key, value} (tags, attributes) as a map; a key twice is an error."""
    if not isinstance(value, list):
        raise ParamsError(where, "must be a list of {key, value} objects")
    out: dict[str, str] = {}
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or set(item) - {"key", "value"} or "key" not in item:
            raise ParamsError(f"{where}[{i}]", "must be an object with 'key' and 'value' (strings)")
        key = _text(item["key"], f"{where}[{i}].key")
        text = _text(item.get("value", ""), f"{where}[{i}].value")
        if not key.strip():
            raise ParamsError(f"{where}[{i}].key", "must not be empty")
        if key in out:
            raise ParamsError(f"{where}[{i}].key", f"{shorten(key)} is listed twice")
        out[key] = text
    return out


def _by_parser(annotation: str, text: str, where: str) -> Any:
    """`text` read by `annotation`'s parser, so a field accepts exactly what its annotation accepts."""
    parser = a.REGISTRY.get(annotation).parser
    try:
        return parser.parse(text)
    except ValueError as err:
        detail = getattr(err, "detail", "") or ""
        extra = f" ({detail})" if detail and detail != parser.expected else ""
        raise ParamsError(
            where, f"invalid value {shorten(text)}: expected {parser.expected}{extra}"
        ) from None


def _selector_problem(selector: Any, where: str) -> None:
    if not isinstance(selector, Mapping) or set(selector) - {"matchLabels", "matchExpressions"}:
        raise ParamsError(where, "must be a label selector: {matchLabels: {...}, matchExpressions: [...]}")
    labels = selector.get("matchLabels") or {}
    if not isinstance(labels, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
    ):
        raise ParamsError(f"{where}.matchLabels", "must map label keys to string values")
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise ParamsError(f"{where}.matchExpressions", "must be a list")
    for i, expr in enumerate(expressions):
        at = f"{where}.matchExpressions[{i}]"
        if not isinstance(expr, Mapping) or not isinstance(expr.get("key"), str):
            raise ParamsError(at, "must be an object with 'key', 'operator' and (for In/NotIn) 'values'")
        operator, values = expr.get("operator"), expr.get("values") or []
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            raise ParamsError(f"{at}.operator", "must be one of In, NotIn, Exists, DoesNotExist")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ParamsError(f"{at}.values", "must be a list of strings")
        if operator in ("In", "NotIn") and not values:
            raise ParamsError(f"{at}.values", f"must not be empty for operator {operator}")
        if operator in ("Exists", "DoesNotExist") and values:
            raise ParamsError(f"{at}.values", f"must be empty for operator {operator}")


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a (valid) label selector selects an object with `labels`; the empty selector selects all."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, operator, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _subnets(value: Any, owner: str) -> tuple[list[Pin], dict[str, Any]]:
    where = "spec.subnets"
    if not isinstance(value, Mapping) or set(value) - {"ids", "tags"} or len(value) != 1:
        raise ParamsError(where, "must set exactly one of 'ids' (subnet IDs) or 'tags' (tag key → values)")
    if "ids" in value:
        ids = _strings(value["ids"], f"{where}.ids")
        for i, subnet in enumerate(ids):
            if not subnet.startswith("subnet-") or not all(c in "0123456789abcdef" for c in subnet[7:]):
                raise ParamsError(
                    f"{where}.ids[{i}]", f"{shorten(subnet)} is not a subnet ID (subnet-0123abcd)"
                )
        if not ids:
            raise ParamsError(f"{where}.ids", "must list at least one subnet ID")
        return [Pin(a.SUBNETS, f"{owner} {where}.ids", ids)], {}
    tags = value["tags"]
    if not isinstance(tags, Mapping) or not tags:
        raise ParamsError(f"{where}.tags", "must map at least one tag key to a list of values")
    selected = {}
    for key, values in tags.items():
        if not isinstance(key, str) or not key:
            raise ParamsError(f"{where}.tags", "tag keys must be non-empty strings")
        selected[key] = _strings(values, f"{where}.tags[{key}]")
        if not selected[key]:
            raise ParamsError(f"{where}.tags[{key}]", "must list at least one value")
    return [], {SUBNET_TAGS: (f"{owner} {where}.tags", selected)}


# field → (annotation, the field's value as the annotation's text) for the one-to-one fields
_SCALARS: dict[str, tuple[str, Callable[[Any, str], str]]] = {
    "loadBalancerName": (a.LOAD_BALANCER_NAME, _text),
    "scheme": (a.SCHEME, _text),
    "ipAddressType": (a.IP_ADDRESS_TYPE, _text),
    "sslPolicy": (a.SSL_POLICY, _text),
    "sslRedirectPort": (a.SSL_REDIRECT, _text),
    "targetType": (a.TARGET_TYPE, _text),
    "wafv2AclArn": (a.WAFV2_ACL_ARN, _text),
    "wafv2AclName": (a.WAFV2_ACL_NAME, _text),
    "inboundCIDRs": (a.INBOUND_CIDRS, lambda v, w: ",".join(_strings(v, w))),
    "certificateArn": (a.CERTIFICATE_ARN, lambda v, w: ",".join(_strings(v, w))),
    "prefixListsIDs": (a.SECURITY_GROUP_PREFIX_LISTS, lambda v, w: ",".join(_strings(v, w))),
    "PrefixListsIDs": (a.SECURITY_GROUP_PREFIX_LISTS, lambda v, w: ",".join(_strings(v, w))),
}
FIELDS = (
    "loadBalancerName",
    "namespaceSelector",
    "group",
    "scheme",
    "inboundCIDRs",
    "certificateArn",
    "sslPolicy",
    "sslRedirectPort",
    "subnets",
    "ipAddressType",
    "tags",
    "targetType",
    "loadBalancerAttributes",
    "listeners",
    "minimumLoadBalancerCapacity",
    "ipamConfiguration",
    "prefixListsIDs",
    "PrefixListsIDs",
    "wafv2AclArn",
    "wafv2AclName",
)


def _empty(value: Any) -> bool:
    """Unset as the controller's Go types read it (omitempty): null, "", [] or {}."""
    return value is None or value == "" or value == [] or (isinstance(value, Mapping) and not value)


def read(obj: CustomObject, class_name: str) -> tuple[ClassPins, Mapping[str, Any] | None]:
    """The pins of one IngressClassParams and its namespaceSelector (None: every namespace); ParamsError
    naming the first invalid field."""
    owner = f"{KIND} {obj.name}"
    spec = obj.spec
    unknown = sorted(k for k in spec if k not in FIELDS)
    if unknown:
        raise ParamsError(f"spec.{unknown[0]}", f"unknown field; {KIND} has {', '.join(FIELDS)}")
    if not _empty(spec.get("prefixListsIDs")) and not _empty(spec.get("PrefixListsIDs")):
        raise ParamsError("spec.PrefixListsIDs", "cannot be set together with spec.prefixListsIDs")
    pins: list[Pin] = []
    values: dict[str, Any] = {}
    for name, (annotation, as_text) in _SCALARS.items():
        value = spec.get(name)
        if not _empty(value):
            where = f"spec.{name}"
            pins.append(
                Pin(annotation, f"{owner} {where}", _by_parser(annotation, as_text(value, where), where))
            )
    group = spec.get("group")
    if group is not None:
        if not isinstance(group, Mapping) or set(group) != {"name"}:
            raise ParamsError("spec.group", "must be an object with 'name' (the IngressGroup's name)")
        where = "spec.group.name"
        name = _by_parser(a.GROUP_NAME, _text(group["name"], where), where)
        pins.append(Pin(a.GROUP_NAME, f"{owner} {where}", name))
    for name, annotation in (("tags", a.TAGS), ("loadBalancerAttributes", a.LOAD_BALANCER_ATTRIBUTES)):
        if not _empty(spec.get(name)):
            pairs = _pairs(spec[name], f"spec.{name}")
            if name == "tags":
                try:
                    limits.check_tags(pairs)
                except ValueError as err:
                    raise ParamsError("spec.tags", str(err)) from None
            pins.append(Pin(annotation, f"{owner} spec.{name}", pairs, merge=True))
    capacity = spec.get("minimumLoadBalancerCapacity")
    if capacity is not None:
        where = "spec.minimumLoadBalancerCapacity"
        units = capacity.get("capacityUnits") if isinstance(capacity, Mapping) else None
        if set(capacity or {}) != {"capacityUnits"} or not isinstance(units, int) or isinstance(units, bool):
            raise ParamsError(
                where, "must be {capacityUnits: N} with N a whole number (0 resets the reservation)"
            )
        value = _by_parser(a.MINIMUM_LB_CAPACITY, f"CapacityUnits={units}", f"{where}.capacityUnits")
        pins.append(Pin(a.MINIMUM_LB_CAPACITY, f"{owner} {where}.capacityUnits", value))
    ipam = spec.get("ipamConfiguration")
    if ipam is not None:
        where = "spec.ipamConfiguration"
        if not isinstance(ipam, Mapping) or set(ipam) - {"ipv4IPAMPoolId"}:
            raise ParamsError(where, "must be {ipv4IPAMPoolId: ipam-pool-…}")
        if not _empty(ipam.get("ipv4IPAMPoolId")):
            at = f"{where}.ipv4IPAMPoolId"
            value = _by_parser(a.IPAM_IPV4_POOL_ID, _text(ipam["ipv4IPAMPoolId"], at), at)
            pins.append(Pin(a.IPAM_IPV4_POOL_ID, f"{owner} {at}", value))
    if not _empty(spec.get("listeners")):
        values[LISTENERS] = (f"{owner} spec.listeners", _listeners(spec["listeners"]))
    if spec.get("subnets") is not None:  # a selector selecting nothing is not "unset"
        subnet_pins, subnet_values = _subnets(spec["subnets"], owner)
        pins += subnet_pins
        values.update(subnet_values)
    selector = spec.get("namespaceSelector")
    if selector is not None:
        _selector_problem(selector, "spec.namespaceSelector")
    return ClassPins(owner, class_name, tuple(pins), values), selector


def _listeners(value: Any) -> dict[str, dict[str, str]]:
    """spec.listeners as listener name ("HTTPS-443") → attributes."""
    where = "spec.listeners"
    if not isinstance(value, list):
        raise ParamsError(where, "must be a list of {protocol, port, listenerAttributes}")
    out: dict[str, dict[str, str]] = {}
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(item, Mapping) or set(item) - {"protocol", "port", "listenerAttributes"}:
            raise ParamsError(at, "must be an object with protocol, port and listenerAttributes")
        protocol, port = item.get("protocol"), item.get("port")
        if protocol not in ("HTTP", "HTTPS"):
            raise ParamsError(f"{at}.protocol", "must be HTTP or HTTPS")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ParamsError(f"{at}.port", "must be a port number from 1 to 65535")
        name = f"{protocol}-{port}"
        if name in out:
            raise ParamsError(at, f"listener {name} is listed twice")
        out[name] = _pairs(item.get("listenerAttributes") or [], f"{at}.listenerAttributes")
    return out


def listener_attributes(key: str, members: Sequence[Any], listeners: Sequence[Any]) -> None:
    """The class's `spec.listeners` attributes onto the group's listeners of the same protocol and port (as in
    aws-load-balancer-controller, a listener the group does not have is not created for them). An annotation
    that gave one of those attributes another value is an error naming both."""
    by_listener, field = class_setting(members, LISTENERS, key)
    if field is None:
        return
    for listener in listeners:
        name = f"{listener.protocol}-{listener.port}"
        for attribute, value in by_listener.get(name, {}).items():
            own = listener.attributes.get(attribute)
            if own is not None and own != value:
                raise SpecError(
                    Problem(
                        Severity.ERROR,
                        f"IngressGroup {key}",
                        listener.fields["attributes"].field,
                        f"sets {attribute}={own!r} on listener {name}, but {field} sets {value!r} for every "
                        "Ingress of the class; remove the key or set the same value",
                    )
                )
            listener.attributes[attribute] = value
        if by_listener.get(name):
            listener.fields["attributes"] = Source(field, "IngressClassParams")


def ingress_class_of(ingress: Ingress, classes: Mapping[str, IngressClass]) -> IngressClass | None:
    """The IngressClass whose parameters apply: none for the legacy class annotation (as in
    aws-load-balancer-controller), spec.ingressClassName, else the default IngressClass."""
    if ingress.annotations.get(a.INGRESS_CLASS):
        return None
    if ingress.class_name:
        return classes.get(ingress.class_name)
    defaults = [c for c in classes.values() if c.is_default]
    return defaults[0] if len(defaults) == 1 else None


def _refuse(ingress: Ingress, where: str, message: str) -> SpecError:
    return SpecError(Problem(Severity.ERROR, str(ingress.ref), where, message, ingress.source))


def class_pins(ingress: Ingress, snapshot: ClusterSnapshot, assume_missing: bool) -> ClassPins | None:
    """The pins of the Ingress's IngressClassParams (None: its class has none). SpecError on the Ingress
    when they cannot be read or its namespace is not one the namespaceSelector selects."""
    ingress_class = ingress_class_of(ingress, snapshot.ingress_classes)
    if ingress_class is None or ingress_class.controller != AWS_CONTROLLER or not ingress_class.parameters:
        return None
    where = "spec.ingressClassName"
    ref = ingress_class.parameters
    label = f"IngressClass {ingress_class.name} spec.parameters"
    if ref.get("apiGroup") != API_GROUP or ref.get("kind") != KIND or not isinstance(ref.get("name"), str):
        raise _refuse(
            ingress,
            where,
            f"{label} names {ref.get('apiGroup')}/{ref.get('kind')} {ref.get('name')}; expected apiGroup "
            f"{API_GROUP}, kind {KIND} and a name",
        )
    if ref.get("scope", "Cluster") != "Cluster" or ref.get("namespace"):
        raise _refuse(ingress, where, f"{label}: {KIND} is cluster-scoped; remove scope and namespace")
    obj = snapshot.custom_object(KIND, "", ref["name"])
    if obj is None:
        raise _refuse(ingress, where, f"{label}: {KIND} {ref['name']} not found")
    try:
        pins, selector = read(obj, ingress_class.name)
    except ParamsError as err:
        raise _refuse(ingress, where, f"{KIND} {obj.name} {err.field}: {err}") from None
    if selector is not None:
        namespace = snapshot.namespaces.get(ingress.namespace)
        if namespace is None and not assume_missing:
            raise _refuse(ingress, "metadata.namespace", f"Namespace {ingress.namespace} not found")
        labels = namespace.labels if namespace else {NAMESPACE_NAME_LABEL: ingress.namespace}
        if not selects(selector, labels):
            raise _refuse(
                ingress,
                "metadata.namespace",
                f"namespace {ingress.namespace} may not use IngressClass {ingress_class.name}: the "
                f"namespaceSelector of {KIND} {obj.name} does not select it (its labels: "
                f"{_labels(labels)}); nothing is created for this Ingress",
            )
    return pins


def _labels(labels: Mapping[str, str]) -> str:
    return shorten(", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "none", 200)


def pinned_group(pins: ClassPins | None) -> str | None:
    pin = pins.pin(a.GROUP_NAME) if pins else None
    return str(pin.value) if pin else None


def class_setting(members: Sequence[Any], name: str, group: str) -> tuple[Any, str | None]:
    """(value, field) of a class setting without an annotation (e.g. subnets.tags) across a group's members
    (`Member`s); members whose classes set different values are an error."""
    seen = {m.ingress.ref.key: m.parsed.class_values[name] for m in members if name in m.parsed.class_values}
    if not seen:
        return None, None
    distinct = {repr(v[1]) for v in seen.values()}
    if len(distinct) > 1:
        listing = "; ".join(f"{k}: {v[0]}" for k, v in seen.items())
        raise SpecError(
            Problem(
                Severity.ERROR,
                f"IngressGroup {group}",
                next(iter(seen.values()))[0],
                f"the members' IngressClassParams set different values ({listing}); give them one class",
            )
        )
    field, value = next(iter(seen.values()))
    return value, field
