"""The real kubectl against the emulator through the kubeconfig it writes (HTTPS, its certificate, the token):
`kubectl create secret|configmap|...` send Kubernetes protobuf, `apply` and `get` JSON."""

from __future__ import annotations

import base64
import datetime
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.kube import ApiError, KubeEmulator
from emulators.kube.protobuf import MAGIC, decode
from emulators.testing.kube_objects import ingress

Kubectl = Callable[..., subprocess.CompletedProcess[str]]

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")


@pytest.fixture
def kubectl(emulator: KubeEmulator, tmp_path: Path) -> Kubectl:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def stored(
    emulator: KubeEmulator, plural: str, name: str, namespace: str | None = "default"
) -> dict[str, Any]:
    return emulator.store.get(emulator.kind("v1", plural), namespace, name)


def certificate(tmp_path: Path) -> tuple[Path, Path, bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("shop.example.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "tls.crt").write_bytes(cert_pem)
    (tmp_path / "tls.key").write_bytes(key_pem)
    return tmp_path / "tls.crt", tmp_path / "tls.key", cert_pem, key_pem


def test_kubectl_create_secret_tls(emulator: KubeEmulator, kubectl: Kubectl, tmp_path: Path) -> None:
    cert_path, key_path, cert_pem, key_pem = certificate(tmp_path)
    result = kubectl("create", "secret", "tls", "shop-tls", f"--cert={cert_path}", f"--key={key_path}")
    assert result.stdout.strip() == "secret/shop-tls created"
    assert b"PRIVATE KEY" not in (result.stdout + result.stderr).encode()
    secret = stored(emulator, "secrets", "shop-tls")
    assert secret["type"] == "kubernetes.io/tls"
    assert base64.b64decode(secret["data"]["tls.crt"]) == cert_pem
    assert base64.b64decode(secret["data"]["tls.key"]) == key_pem
    listed = json.loads(kubectl("get", "secret", "shop-tls", "-o", "json").stdout)
    assert listed["data"]["tls.crt"] == secret["data"]["tls.crt"]


def test_kubectl_create_secret_generic_and_configmap(
    emulator: KubeEmulator, kubectl: Kubectl, tmp_path: Path
) -> None:
    (tmp_path / "blob").write_bytes(b"\x00\xff binary")
    kubectl(
        "create",
        "secret",
        "generic",
        "creds",
        "--from-literal=user=admin",
        "--from-literal=empty=",
        "--type=example.com/creds",
    )
    secret = stored(emulator, "secrets", "creds")
    assert secret["data"] == {"user": base64.b64encode(b"admin").decode(), "empty": ""}
    assert secret["type"] == "example.com/creds"
    kubectl(
        "create", "configmap", "settings", "--from-literal=mode=fast", f"--from-file=blob={tmp_path / 'blob'}"
    )
    config_map = stored(emulator, "configmaps", "settings")
    assert config_map["data"] == {"mode": "fast"}
    assert base64.b64decode(config_map["binaryData"]["blob"]) == b"\x00\xff binary"
    assert "settings" in kubectl("get", "configmaps").stdout
    kubectl("delete", "secret", "creds")
    assert "creds" not in kubectl("get", "secrets").stdout


def test_kubectl_create_namespace_serviceaccount_ingress(emulator: KubeEmulator, kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "shop")
    assert stored(emulator, "namespaces", "shop", None)["status"]["phase"] == "Active"
    kubectl("create", "serviceaccount", "robot", "--namespace", "shop")
    assert stored(emulator, "serviceaccounts", "robot", "shop")["metadata"]["namespace"] == "shop"
    kubectl(
        "create",
        "ingress",
        "web",
        "--class=alb",
        "--rule=shop.example.com/api*=api:8080,tls=shop-tls",
        "--default-backend=web:http",
        "--annotation=alb.ingress.kubernetes.io/scheme=internal",
    )
    made = emulator.store.get(emulator.kind("networking.k8s.io/v1", "ingresses"), "default", "web")
    assert made["metadata"]["annotations"] == {"alb.ingress.kubernetes.io/scheme": "internal"}
    assert made["spec"] == {
        "ingressClassName": "alb",
        "defaultBackend": {"service": {"name": "web", "port": {"name": "http"}}},
        "tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/api",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "api", "port": {"number": 8080}}},
                        }
                    ]
                },
            }
        ],
    }


def test_kubectl_apply_get_with_the_token(emulator: KubeEmulator, kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = tmp_path / "ingress.yaml"
    manifest.write_text(yaml.safe_dump(ingress("web")))
    kubectl("apply", "-f", str(manifest))
    assert "web" in kubectl("get", "ingress").stdout
    assert not {record.status for record in emulator.requests} & {401, 403, 415}


def test_kubectl_protobuf_of_a_kind_not_decoded_is_415_naming_the_way_out(
    emulator: KubeEmulator, kubectl
) -> None:
    result = kubectl("create", "deployment", "web", "--image=nginx", check=False)
    assert result.returncode == 1
    assert (
        "decodes Kubernetes protobuf only for ConfigMap, Ingress, Namespace, Secret, ServiceAccount"
        in result.stderr
    )
    assert "--dry-run=client -o yaml | kubectl apply -f -" in result.stderr
    assert "Traceback" not in result.stderr


def test_kubectl_without_the_token_is_refused(emulator: KubeEmulator, tmp_path: Path) -> None:
    path = emulator.write_kubeconfig(tmp_path / "kubeconfig")
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"]["token"] = "not-the-token"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(path), "create", "secret", "generic", "x", "--from-literal=a=b"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1 and "Unauthorized" in result.stderr
    assert emulator.store.list(emulator.kind("v1", "secrets"), "default")["items"] == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_malformed_protobuf_is_a_400_or_415_never_a_crash(data: bytes) -> None:
    for body in (data, MAGIC + data, MAGIC + b"\x0a\x0c\x0a\x02v1\x12\x06Secret\x12" + data):
        try:
            decoded = decode(body)
        except ApiError as error:
            assert error.code in (400, 415)
        else:
            assert decoded["kind"] == "Secret"
