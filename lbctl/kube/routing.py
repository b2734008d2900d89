"""Which Ingress groups (stacks) an object change affects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.builder import stack_of
from lbctl.model.objects import Ingress
from lbctl.model.parsers import bounded_json
from lbctl.model.snapshot import BACKEND_CONFIG, ClusterSnapshot


def referenced_services(ingress: Ingress) -> set[str]:
    """Names of the Services an Ingress routes to (rules, default backend, forward actions)."""
    names: set[str] = set()
    backends = [p.backend for r in ingress.rules for p in r.paths]
    if ingress.default_backend is not None:
        backends.append(ingress.default_backend)
    for backend in backends:
        if backend.service is not None:
            names.add(backend.service.name)
    prefix = a.ACTIONS.replace("${name}", "")
    for key, value in ingress.annotations.items():
        if key.startswith(prefix):
            try:
                action = bounded_json(value, "JSON")
                for target in action.get("forwardConfig", {}).get("targetGroups", []):
                    if isinstance(target, dict) and target.get("serviceName"):
                        names.add(str(target["serviceName"]))
            except (ValueError, AttributeError, TypeError):
                continue  # invalid (or too deep, too large) JSON is reported by the model
    return names


def _oidc_secret(annotations: Mapping[str, str]) -> str | None:
    oidc = annotations.get(a.AUTH_IDP_OIDC)
    if oidc:
        try:
            secret = bounded_json(oidc, "JSON").get("secretName")
            if secret:
                return str(secret)
        except (ValueError, AttributeError, TypeError):
            pass  # invalid JSON is reported by the model
    return None


def referenced_secrets(ingress: Ingress) -> set[str]:
    """Names of the Secrets an Ingress itself names (TLS, OIDC client credentials), in its namespace."""
    names = {t.secret_name for t in ingress.tls if t.secret_name}
    oidc = _oidc_secret(ingress.annotations)
    if oidc:
        names.add(oidc)
    return names


def _backend_config_secrets(
    annotations: Mapping[str, str], namespace: str, snapshot: ClusterSnapshot
) -> set[str]:
    """The Secrets the BackendConfigs a Service selects name: the IAP OAuth client, CDN signing keys."""
    names: set[str] = set()
    for key in (a.BACKEND_CONFIG, a.BACKEND_CONFIG_BETA):
        try:
            selection = bounded_json(annotations[key], "JSON") if key in annotations else {}
            configs = [selection.get("default"), *(selection.get("ports") or {}).values()]
        except (ValueError, AttributeError, TypeError):
            continue  # invalid JSON is reported by the model
        for config_name in {c for c in configs if isinstance(c, str)}:
            config = snapshot.custom_object(BACKEND_CONFIG, namespace, config_name)
            spec: Mapping[str, Any] = (
                config.spec if config is not None and isinstance(config.spec, dict) else {}
            )
            iap = spec.get("iap")
            credentials = iap.get("oauthclientCredentials") if isinstance(iap, dict) else None
            if isinstance(credentials, dict) and isinstance(credentials.get("secretName"), str):
                names.add(credentials["secretName"])
            cdn = spec.get("cdn")
            for signing in (cdn.get("signedUrlKeys") if isinstance(cdn, dict) else None) or []:
                if isinstance(signing, dict) and isinstance(signing.get("secretName"), str):
                    names.add(signing["secretName"])
    return {f"{namespace}/{n}" for n in names}


def secrets_needed(ingresses: Iterable[Ingress], snapshot: ClusterSnapshot) -> set[str]:
    """The Secrets ("namespace/name") that building these Ingresses can read: what they name, and the OIDC
    client Secrets named by the Services they route to (Service annotations override the Ingress's), and
    those their BackendConfigs name."""
    out: set[str] = set()
    for ingress in ingresses:
        out |= {f"{ingress.namespace}/{name}" for name in referenced_secrets(ingress)}
        for name in referenced_services(ingress):
            service = snapshot.service(ingress.namespace, name)
            oidc = _oidc_secret(service.annotations) if service is not None else None
            if oidc:
                out.add(f"{ingress.namespace}/{oidc}")
            if service is not None:
                out |= _backend_config_secrets(service.annotations, ingress.namespace, snapshot)
    return out


def stacks_using(
    ingresses: Iterable[Ingress],
    provider: str,
    namespace: str,
    *,
    service: str | None = None,
    secret: str | None = None,
    snapshot: ClusterSnapshot | None = None,
) -> set[str]:
    """Stacks of Ingresses in `namespace` that use the given Service or Secret (with the snapshot, the groups
    their classes' parameters pin count)."""
    out = set()
    for ingress in ingresses:
        if ingress.namespace != namespace:
            continue
        if (service is not None and service in referenced_services(ingress)) or (
            secret is not None and secret in referenced_secrets(ingress)
        ):
            out.add(stack_of(ingress, provider, snapshot))
    return out


def stacks_on_cluster_default(
    ingresses: Iterable[Ingress], provider: str, snapshot: ClusterSnapshot | None = None
) -> set[str]:
    """Stacks of Ingresses without spec.defaultBackend: on GCP their URL map's default service is the cluster
    default backend, so a change to that Service (or its endpoints, Pods) concerns them."""
    return {stack_of(i, provider, snapshot) for i in ingresses if i.default_backend is None}
