"""The Kubernetes resources lbctl watches, and how to list them with the official client."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from lbctl.model.kinds import CORE_WATCHED, SECRET, Kind
from lbctl.provider import load_plugin

# The only Secret keys lbctl reads (TLS material, OIDC client credentials, and a BackendConfig's IAP OAuth
# client and CDN signing key, named as ingress-gce reads them); the rest is never cached.
SECRET_KEYS_USED = (
    "tls.crt",
    "tls.key",
    "clientID",
    "clientSecret",
    "client_id",
    "client_secret",
    "key_value",
)


def strip_secret(raw: dict[str, Any]) -> dict[str, Any]:
    """A Secret reduced to what lbctl reads: identity, type and the used data keys. Annotations go too
    (`kubectl apply` keeps the whole Secret, data included, in last-applied-configuration)."""
    meta = raw.get("metadata") or {}
    kept_meta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion") if k in meta}
    out: dict[str, Any] = {"apiVersion": raw.get("apiVersion", "v1"), "kind": "Secret", "metadata": kept_meta}
    if "type" in raw:
        out["type"] = raw["type"]
    for field in ("data", "stringData"):
        values = raw.get(field)
        if isinstance(values, dict):
            out[field] = {k: v for k, v in values.items() if k in SECRET_KEYS_USED}
    return out


@dataclass(frozen=True)
class WatchedResource:
    """One kind to list+watch: its list functions (all namespaces / one namespace)."""

    kind: str
    api_version: str
    list_all: Callable[..., Any]
    list_namespaced: Callable[..., Any] | None  # None for cluster-scoped kinds
    optional: bool = False  # a CRD that may not be installed: 404 means "none yet"
    strip: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # what of an object the cache keeps
    by_name: bool = False  # the controller watches only the objects it needs, one by one (Secrets)
    # what the cache keeps parsed of an object (default: the model's `parse_object`)
    parse: Callable[[dict[str, Any]], Iterable[Any]] | None = None

    def lister(self, namespace: str | None, name: str | None = None) -> Callable[..., Any]:
        """List (and, with watch=True, watch) every object, the objects of one namespace, or one object by
        name (a `metadata.name` field selector: the API server sends nothing else)."""
        if name is not None:
            selector = f"metadata.name={name}"
            if self.list_namespaced is None:  # cluster-scoped
                every = self.list_all
                return lambda **kw: every(field_selector=selector, **kw)
            if not namespace:
                raise ValueError(f"a {self.kind} is watched by name only within a namespace")
            fn = self.list_namespaced
            return lambda **kw: fn(namespace, field_selector=selector, **kw)
        if namespace and self.list_namespaced is not None:
            fn = self.list_namespaced
            return lambda **kw: fn(namespace, **kw)
        return self.list_all


def _custom(
    api: client.CustomObjectsApi, group: str, version: str, plural: str, kind: str, namespaced: bool = True
) -> WatchedResource:
    def list_all(**kw: Any) -> Any:
        return api.list_cluster_custom_object(group, version, plural, **kw)

    def list_namespaced(namespace: str, **kw: Any) -> Any:
        return api.list_namespaced_custom_object(group, version, namespace, plural, **kw)

    # Watch() reads the return type from the docstring; custom objects come back as dicts either way.
    list_all.__doc__ = api.list_cluster_custom_object.__doc__
    list_namespaced.__doc__ = api.list_namespaced_custom_object.__doc__
    return WatchedResource(
        kind, f"{group}/{version}", list_all, list_namespaced if namespaced else None, optional=True
    )


def _snake(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def _typed(api_client: client.ApiClient, kind: Kind) -> WatchedResource:
    """A built-in kind through the client's typed API (e.g. NetworkingV1Api.list_ingress_for_all_namespaces)."""
    group = kind.group.split(".")[0] if kind.group else "core"
    api = getattr(client, f"{group.capitalize()}{kind.version.capitalize()}Api")(api_client)
    name = _snake(kind.kind)
    if not kind.namespaced:
        return WatchedResource(kind.kind, kind.api_version, getattr(api, f"list_{name}"), None)
    return WatchedResource(
        kind.kind,
        kind.api_version,
        getattr(api, f"list_{name}_for_all_namespaces"),
        getattr(api, f"list_namespaced_{name}"),
    )


def resource_for(api_client: client.ApiClient, kind: Kind) -> WatchedResource:
    """How to list and watch `kind`. Secrets are watched one by one, only those a served Ingress group
    references (lbctl/kube/secrets.py), and cached stripped to the keys lbctl reads."""
    if kind.custom:
        return _custom(
            client.CustomObjectsApi(api_client),
            kind.group,
            kind.version,
            kind.plural,
            kind.kind,
            kind.namespaced,
        )
    resource = _typed(api_client, kind)
    if kind == SECRET:
        resource = dataclasses.replace(resource, strip=strip_secret, by_name=True)
    return resource


def watched_kinds(provider: str) -> tuple[Kind, ...]:
    """What the controller for `provider` watches: the core kinds, then those its declaration adds."""
    return CORE_WATCHED + tuple(k for k in load_plugin(provider).watched if k not in CORE_WATCHED)


def watched_resources(api_client: client.ApiClient, provider: str) -> list[WatchedResource]:
    """How to list and watch each kind the controller for `provider` watches."""
    return [resource_for(api_client, kind) for kind in watched_kinds(provider)]
