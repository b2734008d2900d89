"""The Kubernetes access the controller needs, declared once: `lbctl doctor` checks it with
SelfSubjectAccessReviews and tests/runtime/test_rbac.py checks the manifests grant exactly this (and that
it is exactly what the controller calls)."""

from __future__ import annotations

Access = tuple[str, str, str]  # (api group, resource[/subresource], verb)

CLUSTER_ACCESS: tuple[Access, ...] = (
    ("networking.k8s.io", "ingresses", "list"),
    ("networking.k8s.io", "ingresses", "watch"),
    ("networking.k8s.io", "ingresses", "patch"),
    ("networking.k8s.io", "ingresses/status", "patch"),
    ("networking.k8s.io", "ingressclasses", "list"),
    ("networking.k8s.io", "ingressclasses", "watch"),
    ("", "services", "list"),
    ("", "services", "watch"),
    ("", "nodes", "list"),
    ("", "nodes", "watch"),
    ("", "secrets", "list"),
    ("", "secrets", "watch"),
    ("discovery.k8s.io", "endpointslices", "list"),
    ("discovery.k8s.io", "endpointslices", "watch"),
    ("", "events", "create"),
)
GCP_CLUSTER_ACCESS: tuple[Access, ...] = (
    ("", "pods", "list"),
    ("", "pods", "watch"),
    ("cloud.google.com", "backendconfigs", "list"),
    ("cloud.google.com", "backendconfigs", "watch"),
    ("networking.gke.io", "frontendconfigs", "list"),
    ("networking.gke.io", "frontendconfigs", "watch"),
)
LEASE_ACCESS: tuple[Access, ...] = (  # in the leader-election namespace only
    ("coordination.k8s.io", "leases", "get"),
    ("coordination.k8s.io", "leases", "create"),
    ("coordination.k8s.io", "leases", "update"),
)


def required_access(provider: str) -> tuple[Access, ...]:
    """Cluster-wide access the controller for `provider` needs (Lease access is separate, namespaced)."""
    return CLUSTER_ACCESS + (GCP_CLUSTER_ACCESS if provider == "gcp" else ())
