"""Secret material a spec references, decoded from the snapshot (pure): TLS certificates and keys of
`spec.tls` / certificate Secrets, and the OIDC client credentials of `auth-idp-oidc`. Values never appear
in a repr."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from lbctl.model.snapshot import BACKEND_CONFIG, ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec

CERTIFICATE_END = "-----END CERTIFICATE-----"


@dataclass(frozen=True)
class TLSMaterial:
    """Certificate chain and private key of a TLS Secret. The key never appears in repr or logs."""

    certificate_pem: str
    private_key_pem: str = field(repr=False)
    chain_pem: str | None = None

    def __repr__(self) -> str:
        return f"TLSMaterial(certificate={len(self.certificate_pem)} chars, key=<redacted>)"


def _decode(value: str) -> str:
    return base64.b64decode(value).decode("utf-8", "replace")


def split_chain(crt: str, key: str) -> TLSMaterial:
    """The leaf certificate, the rest of the chain (None when there is none) and the key."""
    parts = [p + CERTIFICATE_END for p in crt.split(CERTIFICATE_END) if p.strip()]
    leaf = parts[0].strip() + "\n" if parts else crt
    chain = "".join(p.strip() + "\n" for p in parts[1:]) or None
    return TLSMaterial(leaf, key, chain)


def tls_materials(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> dict[str, TLSMaterial]:
    """The TLS material of every certificate Secret the spec's listeners use, by "ns/name" (a Secret
    missing from the snapshot is left out: the provider reports it)."""
    tls: dict[str, TLSMaterial] = {}
    for listener in spec.frontend.listeners:
        for cert in listener.certificates:
            if cert.kind == "secret" and cert.ref not in tls:
                namespace, name = cert.ref.split("/", 1)
                secret = snapshot.secret(namespace, name)
                if secret is not None:
                    crt = _decode(secret.data.get("tls.crt", ""))
                    key = _decode(secret.data.get("tls.key", ""))
                    tls[cert.ref] = split_chain(crt, key)
    return tls


def oidc_secrets(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> dict[str, dict[str, str]]:
    """The decoded data of every OIDC client Secret the spec's rules name, by "ns/name"."""
    secrets: dict[str, dict[str, str]] = {}
    for rule in spec.rules:
        auth = rule.action.authentication
        if auth is not None and auth.type == "oidc":
            namespace = rule.source.ingress.split("/", 1)[0]
            ref = f"{namespace}/{auth.idp['secretName']}"
            secret = snapshot.secret(namespace, auth.idp["secretName"])
            if secret is not None and ref not in secrets:
                secrets[ref] = {k: _decode(v).strip() for k, v in secret.data.items()}
    return secrets


def backend_config_secrets(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> dict[str, dict[str, str]]:
    """The decoded items of every Secret a backend's BackendConfig names (IAP OAuth client, CDN signing keys),
    by "ns/name", and the inline signing key values of a BackendConfig by key name, under its reference."""
    secrets: dict[str, dict[str, str]] = {}
    for backend in spec.backends.values():
        config = backend.backend_config
        refs = [(config.get("iap") or {}).get("secret")]
        refs += [k["secret"] for k in (config.get("cdn") or {}).get("signedUrlKeys") or []]
        for ref in refs:
            if not ref or ref in secrets:
                continue
            if ref.startswith(f"{BACKEND_CONFIG}:"):
                namespace, name = ref.split(":", 1)[1].split("/", 1)
                custom = snapshot.custom_object(BACKEND_CONFIG, namespace, name)
                keys = ((custom.spec if custom else {}).get("cdn") or {}).get("signedUrlKeys") or []
                secrets[ref] = {k["keyName"]: k["keyValue"] for k in keys if k.get("keyValue")}
                continue
            namespace, name = ref.split("/", 1)
            secret = snapshot.secret(namespace, name)
            if secret is not None:
                secrets[ref] = {k: _decode(v).strip() for k, v in secret.data.items()}
    return secrets
