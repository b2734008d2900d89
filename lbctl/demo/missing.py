"""What a user's files reference but do not contain (a Service, a TLS Secret, a Namespace, a subnet), each
named with its fix; and, for `--create-missing`, stand-ins that let a tutorial's snippet run as is."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.annotations import SUBNETS
from lbctl.model.objects import Ingress, IngressBackend
from lbctl.model.registry import annotation_field

APP_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.39"  # `agnhost netexec` answers HTTP on every path
APP_PORT = 8080


@dataclass
class Missing:
    """One referenced object the files lack."""

    kind: str  # Service, Secret, Namespace, Subnet
    namespace: str
    name: str
    referenced_by: str  # e.g. "Ingress default/web spec.rules[0].http.paths[1].backend"
    ports: list[int | str] = field(default_factory=list)  # Service: the ports the Ingresses use
    hosts: list[str] = field(default_factory=list)  # Secret: the TLS hosts it must cover
    creatable: bool = True

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def message(self) -> str:
        """What is missing, who needs it, and how to fix it."""
        what = {"Subnet": f"subnet {self.name}", "Secret": f"TLS Secret {self.key}"}.get(
            self.kind, f"{self.kind} {self.key}"
        )
        head = f"{what} (referenced by {self.referenced_by}) is not in the files"
        if self.kind == "Service":
            ports = ", ".join(str(p) for p in self.ports)
            return (
                f"{head}: add its manifest to -f, or run again with --create-missing to create a NodePort "
                f"Service {self.key} (port {ports}) with two Ready pods"
            )
        if self.kind == "Secret":
            return (
                f"{head}: add it (kubectl create secret tls {self.name} --cert=CERT --key=KEY --dry-run=client "
                "-o yaml), or run again with --create-missing to create a self-signed one"
            )
        if self.kind == "Namespace":
            return f"{head}: add a Namespace manifest, or run again with --create-missing to create it"
        if not self.creatable:
            return (
                f"{head} nor in the demo's VPC, and a subnet ID cannot be chosen: remove the annotation (lbctl "
                "then uses the subnets tagged kubernetes.io/role/elb) or name subnets by their Name tag"
            )
        return (
            f"{head} nor in the demo's VPC: remove the annotation (lbctl then uses the subnets tagged "
            "kubernetes.io/role/elb), or run again with --create-missing to create a subnet with that Name tag"
        )


def _backends(ingress: Ingress) -> Iterable[tuple[str, IngressBackend]]:
    if ingress.default_backend is not None:
        yield "spec.defaultBackend", ingress.default_backend
    for i, rule in enumerate(ingress.rules):
        for j, item in enumerate(rule.paths):
            yield f"spec.rules[{i}].http.paths[{j}].backend", item.backend


def find_missing(
    ingresses: list[Ingress],
    objects: Iterable[tuple[str, str, str]],
    provider: str,
    subnet_names: Iterable[str] = (),
) -> list[Missing]:
    """What the served `ingresses` reference that `objects` ((kind, namespace, name) of every object in the
    files, plus what the demo cluster already has) lack."""
    have = set(objects)
    found: dict[tuple[str, str, str], Missing] = {}

    def note(kind: str, namespace: str, name: str, by: str) -> Missing:
        entry = found.get((kind, namespace, name))
        if entry is None:
            entry = found[(kind, namespace, name)] = Missing(kind, namespace, name, by)
        return entry

    for ing in ingresses:
        who = f"Ingress {ing.namespace}/{ing.name}"
        if ("Namespace", "", ing.namespace) not in have:
            note("Namespace", "", ing.namespace, who)
        for where, backend in _backends(ing):
            ref = backend.service
            if ref is None or ("Service", ing.namespace, ref.name) in have:
                continue
            entry = note("Service", ing.namespace, ref.name, f"{who} {where}")
            if ref.port not in entry.ports:
                entry.ports.append(ref.port)
        for i, tls in enumerate(ing.tls):
            if tls.secret_name and ("Secret", ing.namespace, tls.secret_name) not in have:
                entry = note("Secret", ing.namespace, tls.secret_name, f"{who} spec.tls[{i}].secretName")
                entry.hosts.extend(h for h in tls.hosts if h not in entry.hosts)
        if provider == "aws":
            for subnet in (s.strip() for s in ing.annotations.get(SUBNETS, "").split(",")):
                if subnet and subnet not in subnet_names:
                    entry = note("Subnet", "", subnet, f"{who} {annotation_field(SUBNETS)}")
                    entry.creatable = not subnet.startswith("subnet-")
    return list(found.values())


# --------------------------------------------------------------------------- stand-ins for --create-missing


def stand_in_app(missing: Missing) -> list[dict[str, Any]]:
    """A Deployment of two pods answering HTTP, behind a NodePort Service with the ports the Ingresses use."""
    labels = {"app": missing.name, "app.kubernetes.io/created-by": "lbctl-demo"}
    ports = []
    for port in missing.ports:
        if isinstance(port, int):
            ports.append({"name": f"port-{port}", "port": port, "targetPort": APP_PORT})
        else:
            ports.append({"name": port, "port": 80 + len(ports), "targetPort": APP_PORT})
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": missing.name, "namespace": missing.namespace, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": missing.name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "app",
                            "image": APP_IMAGE,
                            "args": ["netexec", f"--http-port={APP_PORT}"],
                            "ports": [{"name": "http", "containerPort": APP_PORT}],
                            "readinessProbe": {
                                "httpGet": {"path": "/", "port": APP_PORT},
                                "periodSeconds": 10,
                            },
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": missing.name, "namespace": missing.namespace, "labels": labels},
        "spec": {"type": "NodePort", "selector": {"app": missing.name}, "ports": ports},
    }
    return [deployment, service]


def self_signed_tls(hosts: list[str], days: int = 90) -> tuple[str, str]:
    """A self-signed certificate for `hosts` and its key, PEM (the caller keeps the key out of every output)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    names = hosts or ["example.com"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0].replace("*", "wildcard"))])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def stand_in_secret(missing: Missing) -> dict[str, Any]:
    """A `kubernetes.io/tls` Secret with a self-signed certificate for the hosts of the TLS entries."""
    cert, key = self_signed_tls(missing.hosts)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {
            "name": missing.name,
            "namespace": missing.namespace,
            "labels": {"app.kubernetes.io/created-by": "lbctl-demo"},
        },
        "data": {
            "tls.crt": base64.b64encode(cert.encode()).decode(),
            "tls.key": base64.b64encode(key.encode()).decode(),
        },
    }


def stand_in_namespace(missing: Missing) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": missing.name}}
