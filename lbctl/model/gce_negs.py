"""ingress-gce's standalone NEGs of a Service (pure): the NEG annotation's `exposed_ports` names Service
ports, each of which gets a zonal GCE_VM_IP_PORT NEG of the Service's ready endpoints, on a Service of any
type (ingress-gce's NEG controller, pkg/neg). A port that is not one of the Service's is an error, as in
ingress-gce; so is a custom name beside `"ingress": true` (checked by the annotation's parser)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lbctl.model import annotations as a
from lbctl.model.objects import Service
from lbctl.model.problems import Problem, Severity
from lbctl.model.registry import annotation_field

NEG_FIELD = annotation_field(a.NEG)
NEG_KEYS = frozenset({a.NEG, a.NEG_STATUS})  # read (and written) here, not by the L4 annotation registry


@dataclass(frozen=True)
class StandaloneNeg:
    """One exposed Service port: its NEGs hold the endpoints of `port_name` on their target port; `name` is
    the custom NEG name (None: lbctl names it)."""

    port: int
    port_name: str | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        """Its targets' key in the provider input, e.g. "NEG-80"."""
        return f"NEG-{self.port}"


def exposes_negs(service: Service) -> bool:
    """Whether the Service asks for standalone NEGs (its annotation names exposed ports, valid or not)."""
    raw = service.annotations.get(a.NEG)
    if not raw:
        return False
    try:
        value = json.loads(raw)
    except ValueError:
        return False  # not JSON: an Ingress using the Service reports it; there is nothing to expose
    return isinstance(value, dict) and bool(value.get("exposed_ports"))


def standalone_negs(service: Service) -> tuple[tuple[StandaloneNeg, ...], list[Problem]]:
    """The exposed ports of a Service, sorted by port, or the problems that stop them."""
    raw = service.annotations.get(a.NEG)
    if not raw:
        return (), []
    subject = f"Service {service.namespace}/{service.name}"
    parsed = a.REGISTRY.parse({a.NEG: raw}, "Service", subject, service.source)
    if parsed.errors:
        return (), parsed.errors
    value = parsed.get(a.NEG) or {}
    out: list[StandaloneNeg] = []
    problems: list[Problem] = []
    names: dict[str, int] = {}
    for key, attributes in sorted((value.get("exposed_ports") or {}).items(), key=lambda kv: int(kv[0])):
        port = service.find_port(int(key))
        if port is None:
            problems.append(_error(service, f"port {key} in exposed_ports is not a port of the Service"))
            continue
        name = (attributes or {}).get("name")
        if name and name in names:
            problems.append(
                _error(service, f"ports {names[name]} and {key} ask for the same NEG name {name!r}")
            )
            continue
        if name:
            names[name] = port.port
        out.append(StandaloneNeg(port.port, port.name, name or None))
    return (tuple(out) if not problems else ()), problems


def _error(service: Service, message: str) -> Problem:
    return Problem(
        Severity.ERROR, f"Service {service.namespace}/{service.name}", NEG_FIELD, message, service.source
    )
