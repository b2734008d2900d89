"""A kubeconfig that points `kubectl` and `kubernetes.config.load_kube_config` at the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DUMMY_TOKEN = "lbctl-emulator-token"


def kubeconfig_dict(server_url: str, context: str = "lbctl-emulator", namespace: str = "default") -> dict[str, Any]:
    """Kubeconfig content: one cluster (plain HTTP, TLS checks off), one user with a dummy token, one context."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {"server": server_url, "insecure-skip-tls-verify": True}}],
        "users": [{"name": context, "user": {"token": DUMMY_TOKEN}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context, "namespace": namespace}}],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, server_url: str, context: str = "lbctl-emulator",
                     namespace: str = "default") -> Path:
    """Write the kubeconfig (mode 0600, parents created) and return its path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(kubeconfig_dict(server_url, context, namespace), sort_keys=False))
    target.chmod(0o600)
    return target
