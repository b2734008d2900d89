"""The Kubernetes access the controller needs, derived from what it watches (lbctl/model/kinds.py) and what
it writes: the core's, plus each provider's declared needs (`ProviderPlugin.cluster_access`). `lbctl doctor`
checks it with SelfSubjectAccessReviews and tests/kube/test_rbac.py checks the manifests grant exactly
this (and that it is exactly what the controller calls)."""

from __future__ import annotations

from lbctl.model.kinds import CORE_WATCHED, INGRESS
from lbctl.provider import Access, load_plugin

WATCH_VERBS = ("list", "watch")
CLUSTER_ACCESS: tuple[Access, ...] = (
    *((k.group, k.plural, verb) for k in CORE_WATCHED for verb in WATCH_VERBS),
    (INGRESS.group, INGRESS.plural, "patch"),  # finalizers
    (INGRESS.group, f"{INGRESS.plural}/status", "patch"),  # the load balancer address
    ("", "events", "create"),
)
LEASE_ACCESS: tuple[Access, ...] = (  # in the leader-election namespace only
    ("coordination.k8s.io", "leases", "get"),
    ("coordination.k8s.io", "leases", "create"),
    ("coordination.k8s.io", "leases", "update"),
)


def required_access(provider: str) -> tuple[Access, ...]:
    """Cluster-wide access the controller for `provider` needs (Lease access is separate, namespaced)."""
    return CLUSTER_ACCESS + load_plugin(provider).cluster_access()
