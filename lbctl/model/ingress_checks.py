"""What the Kubernetes API server refuses in a parsed Ingress, field by field (the checks themselves are in
kube_validation.py, which the object parsers use too)."""

from __future__ import annotations

from lbctl.model.kube_validation import (
    host_problem,
    path_problem,
    port_name_problem,
    service_name_problem,
    subdomain_problem,
)
from lbctl.model.objects import Ingress
from lbctl.model.problems import shorten


def ingress_problems(ingress: Ingress) -> list[tuple[str, str]]:
    """(field, message) for each value of the Ingress the API server would refuse, in manifest order."""
    found: list[tuple[str, str]] = []

    def check(field: str, value: str, reason: str | None) -> None:
        if reason is not None:
            found.append((field, f"{shorten(value)} {reason}"))

    if ingress.class_name:
        check("spec.ingressClassName", ingress.class_name, subdomain_problem(ingress.class_name))
    backends = [("spec.defaultBackend", ingress.default_backend)] if ingress.default_backend else []
    for i, rule in enumerate(ingress.rules):
        if rule.host is not None:
            check(f"spec.rules[{i}].host", rule.host, host_problem(rule.host))
        for j, path in enumerate(rule.paths):
            where = f"spec.rules[{i}].http.paths[{j}]"
            check(f"{where}.path", path.path, path_problem(path.path, path.path_type))
            backends.append((f"{where}.backend", path.backend))
    for where, backend in backends:
        service = backend.service if backend is not None else None
        if service is None:
            continue
        check(f"{where}.service.name", service.name, service_name_problem(service.name))
        if service.port_name is not None:
            check(f"{where}.service.port.name", service.port_name, port_name_problem(service.port_name))
    for i, tls in enumerate(ingress.tls):
        for k, host in enumerate(tls.hosts):
            check(f"spec.tls[{i}].hosts[{k}]", host, host_problem(host))
        if tls.secret_name:
            check(f"spec.tls[{i}].secretName", tls.secret_name, subdomain_problem(tls.secret_name))
    return found
