"""The Kubernetes resources lbctl watches, and how to list them with the official client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import client

# The only Secret keys lbctl reads (TLS material, OIDC client credentials); the rest is never cached.
SECRET_KEYS_USED = ("tls.crt", "tls.key", "clientID", "clientSecret")


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

    def lister(self, namespace: str | None, name: str | None = None) -> Callable[..., Any]:
        """List (and, with watch=True, watch) every object, the objects of one namespace, or one object by
        name (a `metadata.name` field selector: the API server sends nothing else)."""
        if name is not None:
            if not namespace or self.list_namespaced is None:
                raise ValueError(f"a {self.kind} is watched by name only within a namespace")
            fn = self.list_namespaced
            return lambda **kw: fn(namespace, field_selector=f"metadata.name={name}", **kw)
        if namespace and self.list_namespaced is not None:
            fn = self.list_namespaced
            return lambda **kw: fn(namespace, **kw)
        return self.list_all


def _custom(
    api: client.CustomObjectsApi, group: str, version: str, plural: str, kind: str
) -> WatchedResource:
    def list_all(**kw: Any) -> Any:
        return api.list_cluster_custom_object(group, version, plural, **kw)

    def list_namespaced(namespace: str, **kw: Any) -> Any:
        return api.list_namespaced_custom_object(group, version, namespace, plural, **kw)

    # Watch() reads the return type from the docstring; custom objects come back as dicts either way.
    list_all.__doc__ = api.list_cluster_custom_object.__doc__
    list_namespaced.__doc__ = api.list_namespaced_custom_object.__doc__
    return WatchedResource(kind, f"{group}/{version}", list_all, list_namespaced, optional=True)


def watched_resources(api_client: client.ApiClient, provider: str) -> list[WatchedResource]:
    """What the controller for `provider` watches. Pods and the GKE CRDs only matter on GCP; Secrets are
    watched one by one, only those a served Ingress group references (lbctl/kube/secrets.py)."""
    core = client.CoreV1Api(api_client)
    networking = client.NetworkingV1Api(api_client)
    discovery = client.DiscoveryV1Api(api_client)
    resources = [
        WatchedResource("Ingress", "networking.k8s.io/v1", networking.list_ingress_for_all_namespaces,
                        networking.list_namespaced_ingress),
        WatchedResource("IngressClass", "networking.k8s.io/v1", networking.list_ingress_class, None),
        WatchedResource("Service", "v1", core.list_service_for_all_namespaces, core.list_namespaced_service),
        WatchedResource("EndpointSlice", "discovery.k8s.io/v1", discovery.list_endpoint_slice_for_all_namespaces,
                        discovery.list_namespaced_endpoint_slice),
        WatchedResource("Node", "v1", core.list_node, None),
        WatchedResource("Secret", "v1", core.list_secret_for_all_namespaces, core.list_namespaced_secret,
                        strip=strip_secret, by_name=True),
    ]  # fmt: skip
    if provider == "gcp":
        custom = client.CustomObjectsApi(api_client)
        resources += [
            WatchedResource("Pod", "v1", core.list_pod_for_all_namespaces, core.list_namespaced_pod),
            _custom(custom, "cloud.google.com", "v1", "backendconfigs", "BackendConfig"),
            _custom(custom, "networking.gke.io", "v1beta1", "frontendconfigs", "FrontendConfig"),
        ]
    return resources
