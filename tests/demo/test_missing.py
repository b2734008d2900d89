"""What `lbctl demo -f` finds missing in the files, and the stand-ins --create-missing makes (pure functions;
the end-to-end runs are in test_demo_files.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from emulators.testing.specs import ingress, path, rule
from lbctl.demo.gke import default_http_backend
from lbctl.demo.missing import Missing, find_missing, stand_in_app, stand_in_secret
from lbctl.model.objects import parse_ingress

HAVE = {("Namespace", "", "default"), ("Service", "default", "web")}
SUBNETS = ["public-us-east-1a", "public-us-east-1b"]


def _ingress(
    *rules: dict,
    namespace: str = "default",
    annotations: dict | None = None,
    tls: list | None = None,
    default: dict | None = None,
):
    return parse_ingress(
        ingress("shop", *rules, namespace=namespace, annotations=annotations, tls=tls, default=default)
    )


# name → (Ingress, provider, [(kind, key, creatable)])
CASES = {
    "everything present": (_ingress(rule(None, path("/", "web", 80))), "gcp", []),
    "a backend Service": (
        _ingress(rule(None, path("/", "web"), path("/api", "api", "grpc"))),
        "gcp",
        [("Service", "default/api", True)],
    ),
    "the default backend Service": (
        _ingress(default={"service": {"name": "fallback", "port": {"number": 8080}}}),
        "gcp",
        [("Service", "default/fallback", True)],
    ),
    "a TLS Secret": (
        _ingress(rule("a.test", path("/", "web")), tls=[{"hosts": ["a.test"], "secretName": "a-tls"}]),
        "aws",
        [("Secret", "default/a-tls", True)],
    ),
    "a Namespace and its Service": (
        _ingress(rule(None, path("/", "web")), namespace="shop"),
        "gcp",
        [("Namespace", "shop", True), ("Service", "shop/web", True)],
    ),
    "subnets by Name tag and by ID (AWS only)": (
        _ingress(
            rule(None, path("/", "web")),
            annotations={"alb.ingress.kubernetes.io/subnets": "public-us-east-1a, mine, subnet-0abc"},
        ),
        "aws",
        [("Subnet", "mine", True), ("Subnet", "subnet-0abc", False)],
    ),
    "subnets are not looked at on Google Cloud": (
        _ingress(rule(None, path("/", "web")), annotations={"alb.ingress.kubernetes.io/subnets": "mine"}),
        "gcp",
        [],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_find_missing(case: str) -> None:
    ing, provider, expected = CASES[case]
    found = find_missing([ing], HAVE, provider, SUBNETS)
    assert [(m.kind, m.key, m.creatable) for m in found] == expected
    for entry in found:
        message = entry.message()
        assert "is not in the files" in message
        assert f"Ingress {ing.namespace}/shop" in message
        assert ("--create-missing" in message) == entry.creatable


def test_one_entry_per_missing_service_with_every_port_used() -> None:
    ing = _ingress(rule(None, path("/a", "api", 80), path("/b", "api", "http"), path("/c", "api", 80)))
    (entry,) = find_missing([ing], HAVE, "gcp")
    assert entry.ports == [80, "http"]
    deployment, service = stand_in_app(entry)
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert [(p["port"], p["name"]) for p in service["spec"]["ports"]] == [(80, "port-80"), (81, "http")]
    assert service["spec"]["type"] == "NodePort" and all(
        "nodePort" not in p for p in service["spec"]["ports"]
    )


def test_self_signed_secret_covers_the_tls_hosts_and_keeps_its_key_out_of_the_message() -> None:
    entry = Missing(
        "Secret",
        "default",
        "shop-tls",
        "Ingress default/shop spec.tls[0].secretName",
        hosts=["shop.example.com", "*.shop.example.com"],
    )
    secret = stand_in_secret(entry)
    assert secret["type"] == "kubernetes.io/tls"
    cert = x509.load_pem_x509_certificate(base64.b64decode(secret["data"]["tls.crt"]))
    key = serialization.load_pem_private_key(base64.b64decode(secret["data"]["tls.key"]), password=None)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert names == ["shop.example.com", "*.shop.example.com"]
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert "PRIVATE" not in entry.message() and "PRIVATE" not in repr(entry)


def test_the_demo_cluster_runs_the_default_backend_the_gcp_install_ships() -> None:
    shipped = Path(__file__).resolve().parents[2] / "manifests" / "gcp" / "default-http-backend.yaml"
    assert list(yaml.safe_load_all(shipped.read_text())) == default_http_backend()
