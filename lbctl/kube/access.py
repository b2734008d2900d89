"""The Kubernetes access the controller needs, derived from what it watches (lbctl/model/kinds.py) and what
it writes: the core's, plus each provider's declared needs (`ProviderPlugin.cluster_access`). `lbctl doctor`
checks it with SelfSubjectAccessReviews and tests/kube/test_rbac.py checks the manifests grant exactly
this (and that it is exactly what the controller calls)."""

from __future__ import annotations

from lbctl.kube.gateway_watch import CUSTOM_RESOURCE_DEFINITION as CRD
from lbctl.model.kinds import (
    CORE_WATCHED,
    GATEWAY,
    GATEWAY_CLASS,
    GATEWAY_KINDS,
    GRPC_ROUTE,
    HTTP_ROUTE,
    INGRESS,
    kinds_named,
)
from lbctl.provider import Access, load_plugin

WATCH_VERBS = ("list", "watch")
CLUSTER_ACCESS: tuple[Access, ...] = (
    *((k.group, k.plural, verb) for k in CORE_WATCHED for verb in WATCH_VERBS),
    (INGRESS.group, INGRESS.plural, "patch"),  # finalizers
    (INGRESS.group, f"{INGRESS.plural}/status", "patch"),  # the load balancer address
    ("", "events", "create"),
    ("", "events", "patch"),  # a repeated Event: its count and time
    # Gateway API: each kind's CRD (by name) says whether the kind is served; then the kinds themselves
    *((CRD.group, CRD.plural, verb) for verb in WATCH_VERBS),
    *((k.group, k.plural, verb) for k in GATEWAY_KINDS for verb in WATCH_VERBS),
    (GATEWAY.group, GATEWAY.plural, "patch"),  # finalizers
    (GATEWAY_CLASS.group, GATEWAY_CLASS.plural, "patch"),  # the gateway-exists finalizer
    *((k.group, f"{k.plural}/status", "patch") for k in (GATEWAY_CLASS, GATEWAY, HTTP_ROUTE, GRPC_ROUTE)),
)
LEASE_ACCESS: tuple[Access, ...] = (  # in the leader-election namespace only
    ("coordination.k8s.io", "leases", "get"),
    ("coordination.k8s.io", "leases", "create"),
    ("coordination.k8s.io", "leases", "update"),
)


def policy_access(provider: str) -> tuple[Access, ...]:
    """The anchors' policy kinds `provider`'s Gateway builder reads (list, watch), and the status of those whose
    `status.ancestors` the controller writes."""
    from lbctl.model.builder import PROFILES

    reader = PROFILES[provider].gateway.policies if provider in PROFILES else None
    if reader is None:
        return ()
    read = kinds_named(reader.kinds)
    written = [k for k in read if k.kind in reader.status_kinds]
    return (
        *((k.group, k.plural, verb) for k in read for verb in WATCH_VERBS),
        *((k.group, f"{k.plural}/status", "patch") for k in written),
    )


def required_access(provider: str) -> tuple[Access, ...]:
    """Cluster-wide access the controller for `provider` needs (Lease access is separate, namespaced)."""
    return CLUSTER_ACCESS + policy_access(provider) + load_plugin(provider).cluster_access()
