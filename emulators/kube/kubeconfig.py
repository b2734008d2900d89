"""A kubeconfig that points `kubectl` and `kubernetes.config.load_kube_config` at the emulator."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml


def kubeconfig_dict(
    server_url: str,
    token: str,
    certificate_pem: bytes,
    context: str = "lbctl-emulator",
    namespace: str = "default",
) -> dict[str, Any]:
    """Kubeconfig content: one cluster (HTTPS, trusting the emulator's own certificate), one user holding the
    emulator's bearer token, one context."""
    authority = base64.b64encode(certificate_pem).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": context, "cluster": {"server": server_url, "certificate-authority-data": authority}}
        ],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [
            {"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}
        ],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(
    path: str | Path,
    server_url: str,
    token: str,
    certificate_pem: bytes,
    context: str = "lbctl-emulator",
    namespace: str = "default",
) -> Path:
    """Write the kubeconfig (mode 0600 from its creation on: it holds the token; parents created)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(
        kubeconfig_dict(server_url, token, certificate_pem, context, namespace), sort_keys=False
    )
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    target.chmod(0o600)  # an existing file keeps its mode through O_CREAT
    return target
