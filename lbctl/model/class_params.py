"""Class parameters pin annotation values: what a cluster admin sets on an IngressClass's parameters object
applies to every Ingress of the class, and an Ingress (or a Service it routes to) that asks for something
else is refused, naming both fields, instead of being silently overridden. Maps (tags, attributes) merge
by key; a key set to another value is the same kind of conflict. Cloud-neutral and pure: a profile reads
its cloud's parameters object into `ClassPins` (e.g. `alb_params.py`); this module applies them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.objects import Ingress, Service
from lbctl.model.problems import Problem, Severity, SpecError, shorten
from lbctl.model.registry import ParsedAnnotations, annotation_field


@dataclass(frozen=True)
class Pin:
    """One annotation's value fixed by the class: `field` names the parameter (e.g.
    `IngressClassParams shop spec.scheme`), `value` is typed as the annotation's parser makes it."""

    annotation: str
    field: str
    value: Any
    merge: bool = False  # a map whose keys merge with the annotation's


@dataclass(frozen=True)
class ClassPins:
    """What the parameters of one Ingress's class fix: `owner` names them (e.g. `IngressClassParams shop`),
    `values` are class settings no annotation has (kept in `ParsedAnnotations.class_values`)."""

    owner: str
    class_name: str
    pins: tuple[Pin, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)

    def pin(self, annotation: str) -> Pin | None:
        return next((p for p in self.pins if p.annotation == annotation), None)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return shorten(", ".join(str(v) for v in value))
    return shorten(str(value))


def _clash(ingress: Ingress, where: str, pin: Pin, own: Any, class_name: str) -> SpecError:
    if pin.merge:
        keys = sorted(k for k in own if k in pin.value and own[k] != pin.value[k])
        detail = "; ".join(f"{k}={own[k]!r} here, {k}={pin.value[k]!r} in {pin.field}" for k in keys)
        message = (
            f"conflicts with the parameters of IngressClass {class_name}: {detail}. The class's value "
            "applies to every Ingress of the class; remove the key or set the same value"
        )
    else:
        message = (
            f"is {_describe(own)}, but {pin.field} fixes {_describe(pin.value)} for every Ingress of "
            f"IngressClass {class_name}; remove the annotation or set the same value"
        )
    return SpecError(Problem(Severity.ERROR, str(ingress.ref), where, message, ingress.source))


def _merged(pin: Pin, own: Any) -> Any | None:
    """The value with the pin applied to `own` (None: they conflict)."""
    if pin.merge:
        own = dict(own or {})
        if any(k in pin.value and own[k] != pin.value[k] for k in own):
            return None
        return {**own, **pin.value}
    return pin.value if own is None or repr(own) == repr(pin.value) else None


def apply(pins: ClassPins, parsed: ParsedAnnotations, ingress: Ingress) -> ParsedAnnotations:
    """The Ingress's annotations with its class's pins applied; SpecError for the first conflict."""
    out = dataclasses.replace(
        parsed,
        values=dict(parsed.values),
        pinned=dict(parsed.pinned),
        pinned_values=dict(parsed.pinned_values),
        inherited=set(parsed.inherited),
        class_values={**parsed.class_values, **pins.values},
        pinned_by=pins.class_name,
    )
    for pin in pins.pins:
        own = parsed.values.get(pin.annotation)
        value = _merged(pin, own)
        if value is None:
            raise _clash(ingress, annotation_field(pin.annotation), pin, own, pins.class_name)
        out.values[pin.annotation] = value
        out.pinned[pin.annotation] = pin.field
        out.pinned_values[pin.annotation] = pin.value
        if pin.annotation not in parsed.values:
            out.inherited.add(pin.annotation)
    return out


def apply_to_service(
    ingress_parsed: ParsedAnnotations, service_parsed: ParsedAnnotations, service: Service, ingress: Ingress
) -> ParsedAnnotations:
    """A Service's annotations (which win over the Ingress's) with the pins of the Ingress's class applied
    too: a Service cannot undo what the class fixes. SpecError (on the Ingress) for a conflict."""
    names = [n for n in ingress_parsed.pinned if service_parsed.has(n)]
    if not names:
        return service_parsed
    out = dataclasses.replace(service_parsed, values=dict(service_parsed.values))
    for name in names:
        class_value = ingress_parsed.pinned_values[name]
        pin = Pin(name, ingress_parsed.pinned[name], class_value, isinstance(class_value, dict))
        own = service_parsed.values[name]
        value = _merged(pin, own)
        if value is None:
            where = f"Service {service.ref.key} {annotation_field(name)}"
            raise _clash(ingress, where, pin, own, ingress_parsed.pinned_by)
        out.values[name] = value
    return out
