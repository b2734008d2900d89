"""Self-signed certificates for ACM import tests (generated with `cryptography`, cached per host set)."""

from __future__ import annotations

import base64
import datetime
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@cache
def self_signed(*hosts: str, serial: int = 1) -> tuple[str, str]:
    """(certificate PEM, private key PEM) for `hosts` (first = CN, all = SANs)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def leaks(key_pem: str, text: str) -> bool:
    """Whether `text` holds a line of the private key, plain or base64-encoded as in a JSON request body
    (the form botocore logs at DEBUG level)."""
    line = key_pem.strip().splitlines()[1]
    encoded = base64.b64encode(key_pem.encode()).decode()[40:100]
    return line in text or encoded in text


def tls_secret(namespace: str, name: str, cert_pem: str, key_pem: str) -> str:
    """A kubernetes.io/tls Secret manifest."""
    crt = base64.b64encode(cert_pem.encode()).decode()
    key = base64.b64encode(key_pem.encode()).decode()
    return f"""
---
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: {namespace}}}
type: kubernetes.io/tls
data: {{tls.crt: {crt}, tls.key: {key}}}
"""


def opaque_secret(namespace: str, name: str, data: dict[str, str]) -> str:
    """An Opaque Secret manifest with base64-encoded values."""
    items = ", ".join(f"{k}: {base64.b64encode(v.encode()).decode()}" for k, v in data.items())
    return f"""
---
apiVersion: v1
kind: Secret
metadata: {{name: {name}, namespace: {namespace}}}
type: Opaque
data: {{{items}}}
"""
