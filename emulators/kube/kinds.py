"""The resource kinds the emulator serves: one `Kind` line per resource, everything else is derived."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Lists that strategic merge patch merges instead of replacing, by dotted path.
# Value: the merge key for lists of objects, or None for lists of scalars (union).
MergeLists = dict[str, str | None]

COMMON_MERGE_LISTS: MergeLists = {"metadata.finalizers": None, "metadata.ownerReferences": "uid"}
COMMON_FIELD_LABELS: tuple[str, ...] = ("metadata.name", "metadata.namespace")
READ_WRITE_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True, eq=False)
class Kind:
    """One served resource (group/version/plural) and the server-side behaviour that differs by kind.

    Compared by identity: each Kind is its own storage.
    """

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
    # Has a `status` subresource: main-resource writes keep the stored status, `/status` writes only status.
    status_subresource: bool = False
    # Has a `scale` subresource (autoscaling/v1 Scale over spec.replicas), as Deployments and ReplicaSets do.
    scale_subresource: bool = False
    # Status the server sets on create (None: keep what the client sent).
    initial_status: dict[str, Any] | None = None
    short_names: tuple[str, ...] = ()
    # Custom resource (CRD): strategic merge patch is refused with 415, as the real API server does.
    custom: bool = False
    # Create-only review kind: answered, never stored.
    review: bool = False
    # DELETE answers the deleted object instead of a Status (Pods and Services do).
    returns_deleted_object: bool = False
    merge_lists: MergeLists = field(default_factory=dict)
    extra_field_labels: tuple[str, ...] = ()
    # Served by a CustomResourceDefinition: its name, the version's openAPIV3Schema (validation, defaults,
    # pruning), its additionalPrinterColumns, categories, and the storage version every served version shares.
    crd: str = ""
    schema: dict[str, Any] | None = None
    printer_columns: tuple[dict[str, Any], ...] = ()
    categories: tuple[str, ...] = ()
    list_kind: str = ""

    @property
    def storage_key(self) -> tuple[str, str]:
        """(group, plural): the storage every served version of a resource shares, as etcd keys do."""
        return self.group, self.plural

    @property
    def api_version(self) -> str:
        """`apiVersion` of the objects, e.g. `networking.k8s.io/v1` or `v1`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`ingresses.networking.k8s.io` as used in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def verbs(self) -> tuple[str, ...]:
        return ("create",) if self.review else READ_WRITE_VERBS

    @property
    def field_labels(self) -> tuple[str, ...]:
        return COMMON_FIELD_LABELS + self.extra_field_labels

    def merge_list_key(self, path: str) -> tuple[bool, str | None]:
        """(is a merge list, merge key) for a dotted field path under strategic merge patch."""
        lists = {**COMMON_MERGE_LISTS, **self.merge_lists}
        if path in lists:
            return True, lists[path]
        return False, None


KINDS: tuple[Kind, ...] = (
    Kind(
        "",
        "v1",
        "Namespace",
        "namespaces",
        namespaced=False,
        initial_status={"phase": "Active"},
        short_names=("ns",),
        extra_field_labels=("status.phase",),
    ),
    Kind(
        "",
        "v1",
        "Node",
        "nodes",
        namespaced=False,
        status_subresource=True,
        short_names=("no",),
        merge_lists={"status.conditions": "type", "status.addresses": "type"},
        extra_field_labels=("spec.unschedulable",),
    ),
    Kind(
        "",
        "v1",
        "Pod",
        "pods",
        status_subresource=True,
        initial_status={"phase": "Pending"},
        short_names=("po",),
        returns_deleted_object=True,
        merge_lists={"spec.containers": "name", "spec.volumes": "name", "status.conditions": "type"},
        extra_field_labels=("spec.nodeName", "status.phase", "status.podIP"),
    ),
    Kind(
        "",
        "v1",
        "Service",
        "services",
        status_subresource=True,
        initial_status={"loadBalancer": {}},
        short_names=("svc",),
        returns_deleted_object=True,
        merge_lists={"spec.ports": "port", "status.conditions": "type"},
    ),
    Kind("", "v1", "Endpoints", "endpoints", short_names=("ep",)),
    Kind("", "v1", "Secret", "secrets", extra_field_labels=("type",)),
    Kind("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    Kind(
        "",
        "v1",
        "Event",
        "events",
        short_names=("ev",),
        extra_field_labels=(
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "reason",
            "type",
            "source",
        ),
    ),
    Kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
    Kind(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        status_subresource=True,
        initial_status={"loadBalancer": {}},
        short_names=("ing",),
    ),
    Kind("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False),
    Kind("coordination.k8s.io", "v1", "Lease", "leases"),
    Kind(
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        short_names=("ev",),
        extra_field_labels=(
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "reason",
            "type",
        ),
    ),
    Kind(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        namespaced=False,
        review=True,
    ),
    # What the install manifests create (kubectl apply -k manifests/aws or manifests/gcp); Deployments run
    # when controllers do.
    Kind("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    Kind(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        status_subresource=True,
        initial_status={},
        short_names=("deploy",),
        scale_subresource=True,
        merge_lists={"spec.template.spec.containers": "name", "status.conditions": "type"},
    ),
    Kind(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        status_subresource=True,
        initial_status={"replicas": 0},
        short_names=("rs",),
        scale_subresource=True,
        merge_lists={"spec.template.spec.containers": "name", "status.conditions": "type"},
    ),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
    Kind("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    Kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    Kind(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        namespaced=False,
        status_subresource=True,
        initial_status={},
        short_names=("crd",),
    ),
)


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key putting the version Kubernetes prefers first: GA over beta over alpha, higher numbers first,
    then versions of other forms by name (as apimachinery's version.CompareKubeAwareVersionStrings)."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    return ({None: 0, "beta": 1, "alpha": 2}[stage], -major, -minor, "")


class KindTable:
    """Lookup of kinds by group/version/plural, plus the group/version layout discovery needs.

    The built-in kinds are fixed; the kinds of CustomResourceDefinitions come and go with them (`set_crd`)."""

    def __init__(self, kinds: Iterable[Kind] = KINDS) -> None:
        self._builtin: tuple[Kind, ...] = tuple(kinds)
        self._crds: dict[str, tuple[Kind, ...]] = {}
        self._lock = threading.Lock()
        self._rebuild()

    def _rebuild(self) -> None:
        custom = sorted(
            (k for kinds in self._crds.values() for k in kinds),
            key=lambda k: (k.group, version_priority(k.version), k.plural),
        )
        self.kinds: tuple[Kind, ...] = self._builtin + tuple(custom)
        self._by_resource = {(k.group, k.version, k.plural): k for k in self.kinds}

    def set_crd(self, name: str, kinds: Iterable[Kind]) -> None:
        """Serve the versions of CRD `name` as `kinds` (none: stop serving it)."""
        with self._lock:
            served = tuple(kinds)
            if served:
                self._crds[name] = served
            else:
                self._crds.pop(name, None)
            self._rebuild()

    def crd_kinds(self, name: str) -> tuple[Kind, ...]:
        """The kinds CRD `name` serves now."""
        return self._crds.get(name, ())

    def find(self, group: str, version: str, plural: str) -> Kind | None:
        """The kind served at `/apis/{group}/{version}/{plural}` (group "" for the core API)."""
        return self._by_resource.get((group, version, plural))

    def storage_kinds(self) -> list[Kind]:
        """One kind per stored resource (the first served version of each)."""
        seen: dict[tuple[str, str], Kind] = {}
        for kind in self.kinds:
            seen.setdefault(kind.storage_key, kind)
        return list(seen.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group name → versions served, the preferred first (core group is ""); built-in groups in table
        order, CRD groups by version priority."""
        layout: dict[str, list[str]] = {}
        for kind in self.kinds:
            versions = layout.setdefault(kind.group, [])
            if kind.version not in versions:
                versions.append(kind.version)
        return layout

    def in_group_version(self, group: str, version: str) -> list[Kind]:
        return [k for k in self.kinds if k.group == group and k.version == version]
