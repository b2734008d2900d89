"""The object store: one lock, one global resourceVersion counter (like etcd), a bounded event history
for watch resume, and per-watcher queues for fan-out."""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import copy
import json
import queue
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .allocation import ServiceAllocator
from .crds import (
    CLEANUP_FINALIZER,
    admit_custom,
    apply_crd_defaults,
    crd_causes,
    crd_status,
    is_crd,
    kinds_of,
    terminating_condition,
)
from .defaults import apply_defaults
from .errors import ApiError, already_exists, bad_request, conflict, expired, invalid, not_found
from .kinds import Kind, KindTable
from .patch import json_patch, merge_patch, strategic_merge_patch
from .selectors import object_filter
from .validation import Cause, validate

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

ObjectKey = tuple[str, str]  # (namespace or "", name)
Predicate = Callable[[Mapping[str, Any]], bool]

_SYSTEM_METADATA = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "namespace",
    "selfLink",
)
_OMIT_WHEN_EMPTY = ("labels", "annotations", "finalizers", "ownerReferences", "managedFields", "generateName")
FOREGROUND = "foregroundDeletion"
_NOT_SPEC = ("metadata", "status", "kind", "apiVersion")
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def now_rfc3339() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class StoredEvent:
    """One change in the history window. `obj` carries the new resourceVersion; `prev` the state before."""

    resource_version: int
    kind: Kind
    type: str
    obj: dict[str, Any]
    prev: dict[str, Any] | None


@dataclass(frozen=True)
class WatchEnd:
    """Queued to end a watch: gracefully (terminating chunk) or abruptly (connection reset)."""

    abrupt: bool = False


WatchItem = tuple[str, dict[str, Any]] | WatchEnd


class Watcher:
    """One open watch: a kind, a filter, and a queue of (type, object) the HTTP handler drains."""

    def __init__(self, kind: Kind, predicate: Predicate) -> None:
        self.kind = kind
        self.predicate = predicate
        self.queue: queue.SimpleQueue[WatchItem] = queue.SimpleQueue()

    def offer(self, event: StoredEvent) -> None:
        """Queue what this watcher sees of a change, turning selector transitions into ADDED/DELETED."""
        matched_before = event.prev is not None and self.predicate(event.prev)
        matches_now = self.predicate(event.obj)
        if event.type == "ADDED" and matches_now:
            self.queue.put(("ADDED", event.obj))
        elif event.type == "MODIFIED":
            if matched_before and matches_now:
                self.queue.put(("MODIFIED", event.obj))
            elif matches_now:
                self.queue.put(("ADDED", event.obj))
            elif matched_before and event.prev is not None:
                gone = copy.deepcopy(event.prev)
                gone["metadata"]["resourceVersion"] = event.obj["metadata"]["resourceVersion"]
                self.queue.put(("DELETED", gone))
        elif event.type == "DELETED" and matches_now:
            self.queue.put(("DELETED", event.obj))

    def end(self, abrupt: bool = False) -> None:
        self.queue.put(WatchEnd(abrupt))


def _encode_continue(resource_version: int, last_key: ObjectKey) -> str:
    raw = json.dumps({"rv": resource_version, "start": list(last_key)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_continue(token: str) -> tuple[int, ObjectKey]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as error:
        raise bad_request(f"invalid continue token: {error}") from None


def _parse_resource_version(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise bad_request(f'invalid resource version: "{value}"') from None
    if number < 0:
        raise bad_request(f'invalid resource version: "{value}"')
    return number


def _without_resource_version(obj: Mapping[str, Any]) -> dict[str, Any]:
    trimmed = copy.deepcopy(dict(obj))
    trimmed.get("metadata", {}).pop("resourceVersion", None)
    return trimmed


def _spec_part(obj: Mapping[str, Any], kind: Kind) -> dict[str, Any]:
    """What a change of bumps metadata.generation: all but metadata and status (a custom resource without a
    status subresource: all but metadata)."""
    skipped = ("metadata", "kind", "apiVersion") if kind.crd and not kind.status_subresource else _NOT_SPEC
    return {k: v for k, v in obj.items() if k not in skipped}


class Store:
    """Thread-safe object storage with Kubernetes write semantics. All methods raise ApiError on failure."""

    def __init__(
        self, kinds: KindTable, history_window: int = 1000, allocator: ServiceAllocator | None = None
    ) -> None:
        self.kinds = kinds
        self.history_window = history_window
        self.allocator = allocator or ServiceAllocator()
        # (group, resource[/subresource], verb) that access reviews answer "not allowed" (RBAC denials)
        self.denied_access: set[tuple[str, str, str]] = set()
        self._lock = threading.RLock()
        self._resource_version = 0
        # Stored objects by (group, plural): every served version of a resource reads the same objects.
        self._objects: dict[tuple[str, str], dict[ObjectKey, dict[str, Any]]] = {
            k.storage_key: {} for k in kinds.kinds
        }
        self._local = threading.local()  # the request's fieldValidation and the warnings it collects
        self._history: deque[StoredEvent] = deque()
        self._compacted_through = 0  # every event with a higher resourceVersion is still in history
        self._watchers: set[Watcher] = set()
        self._namespace_kind = kinds.find("", "v1", "namespaces")
        self._service_kind = kinds.find("", "v1", "services")
        self._pod_kind = kinds.find("", "v1", "pods")
        self._crd_kind = kinds.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        # With a kubelet to finish them (the emulated controllers), pod deletion is graceful.
        self.graceful_pod_deletion = False
        # With a garbage collector running, propagationPolicy Foreground keeps the owner until its dependents go.
        self.garbage_collection = False
        self._listeners: list[Callable[[Kind], None]] = []

    # ---- reads ----------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        with self._lock:
            return self._resource_version

    def get(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        """A copy of one object, or 404."""
        with self._lock:
            return copy.deepcopy(self._require(kind, namespace, name))

    def list(
        self,
        kind: Kind,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> dict[str, Any]:
        """A `<Kind>List` in key order, with list resourceVersion and continue token when `limit` cuts it."""
        predicate = object_filter(namespace, label_selector, field_selector, kind.field_labels)
        with self._lock:
            list_version = self._resource_version
            start: ObjectKey | None = None
            if continue_token:
                list_version, start = _decode_continue(continue_token)
                if list_version < self._compacted_through:
                    raise expired(
                        "The provided continue parameter is too old to display a consistent list "
                        "result. You can start a new list without the continue parameter."
                    )
            keys = sorted(k for k in self._bucket(kind) if start is None or k > start)
            matching = [(k, self._bucket(kind)[k]) for k in keys if predicate(self._bucket(kind)[k])]
            metadata: dict[str, Any] = {"resourceVersion": str(list_version)}
            if limit and limit > 0 and len(matching) > limit:
                metadata["continue"] = _encode_continue(list_version, matching[limit - 1][0])
                if not label_selector and not field_selector:
                    metadata["remainingItemCount"] = len(matching) - limit
                matching = matching[:limit]
            items = [copy.deepcopy(obj) for _, obj in matching]
        return {
            "kind": f"{kind.kind}List",
            "apiVersion": kind.api_version,
            "metadata": metadata,
            "items": items,
        }

    # ---- writes ---------------------------------------------------------------------------------

    def create(self, kind: Kind, namespace: str | None, body: Any, dry_run: bool = False) -> dict[str, Any]:
        """POST: name or generateName, uid, creationTimestamp, resourceVersion; 409 if the name is taken."""
        obj = self._prepare_body(kind, namespace, body)
        meta = obj["metadata"]
        if kind.review:
            attributes = (obj.get("spec") or {}).get("resourceAttributes") or {}
            resource = attributes.get("resource", "") + (
                f"/{attributes['subresource']}" if attributes.get("subresource") else ""
            )
            denied = (attributes.get("group", ""), resource, attributes.get("verb", "")) in self.denied_access
            obj["status"] = (
                {"allowed": False, "denied": True, "reason": "denied by the emulator's access rules"}
                if denied
                else {"allowed": True, "reason": "lbctl emulator allows every request"}
            )
            return obj
        if meta.get("resourceVersion"):
            raise ApiError(500, "resourceVersion should not be set on objects to be created")
        with self._lock:
            if not meta.get("name"):
                if not meta.get("generateName"):
                    raise invalid(
                        kind.kind,
                        kind.group,
                        "",
                        [
                            (
                                "FieldValueRequired",
                                "metadata.name",
                                "Required value: name or generateName is required",
                            )
                        ],
                    )
                meta["name"] = self._generate_name(kind, namespace, meta["generateName"])
            validate(kind, obj, self._admit(kind, obj, None))
            self._require_live_namespace(kind, namespace)
            self._require_established(kind)
            key = (namespace or "", meta["name"])
            if key in self._bucket(kind):
                raise already_exists(kind.group, kind.plural, meta["name"])
            for system_field in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                meta.pop(system_field, None)
            meta.update(uid=str(uuid.uuid4()), creationTimestamp=now_rfc3339(), generation=1)
            if kind.initial_status is not None:
                obj["status"] = copy.deepcopy(kind.initial_status)
            if kind.crd and kind.status_subresource:  # status is written through /status only
                obj.pop("status", None)
            if is_crd(kind):
                obj["status"] = crd_status(obj, None, meta["creationTimestamp"])
            if dry_run:
                return obj
            self._commit(kind, "ADDED", key, obj, None)
            if is_crd(kind):
                self.kinds.set_crd(meta["name"], kinds_of(obj))
            return copy.deepcopy(obj)

    def update(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        body: Any,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """PUT: optimistic concurrency on `metadata.resourceVersion`; status isolation for status subresources."""
        obj = self._prepare_body(kind, namespace, body)
        with self._lock:
            return self._apply_update(kind, namespace, name, obj, subresource, dry_run)

    def patch(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        content_type: str,
        patch_body: Any,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """PATCH with a JSON patch, merge patch or strategic merge patch."""
        with self._lock:
            current = self._require(kind, namespace, name)
            if kind.crd:  # patched as the version the request names
                current = {**current, "apiVersion": kind.api_version}
            if content_type == MERGE_PATCH:
                if not isinstance(patch_body, dict):
                    raise bad_request("merge patch body must be a JSON object")
                patched = merge_patch(current, patch_body)
            elif content_type == STRATEGIC_MERGE_PATCH:
                if kind.custom:
                    raise ApiError(
                        415,
                        f"the body of the request was in an unknown format - accepted media types "
                        f"include: {JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}",
                    )
                patched = strategic_merge_patch(current, patch_body, kind.merge_list_key)
            elif content_type == JSON_PATCH:
                patched = json_patch(current, patch_body)
            else:
                raise ApiError(
                    415,
                    f"the body of the request was in an unknown format - accepted media types "
                    f"include: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}",
                )
            obj = self._prepare_body(kind, namespace, patched)
            return self._apply_update(kind, namespace, name, obj, subresource, dry_run)

    def delete(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        options: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """DELETE: with finalizers set `deletionTimestamp` and keep the object; otherwise remove it now.

        Returns the object while deletion is pending, else a `Status` of Success.
        """
        preconditions = (options or {}).get("preconditions") or {}
        with self._lock:
            current = self._require(kind, namespace, name)
            meta = current["metadata"]
            if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
                raise conflict(
                    kind.group,
                    kind.plural,
                    name,
                    f"Precondition failed: UID in precondition: "
                    f"{preconditions['uid']}, UID in object meta: {meta.get('uid')}",
                )
            wanted_version = preconditions.get("resourceVersion")
            if wanted_version and wanted_version != meta.get("resourceVersion"):
                raise conflict(
                    kind.group,
                    kind.plural,
                    name,
                    f"Precondition failed: ResourceVersion in "
                    f"precondition: {wanted_version}, ResourceVersion in object meta: "
                    f"{meta.get('resourceVersion')}",
                )
            policy = (options or {}).get("propagationPolicy") or (
                "Orphan" if (options or {}).get("orphanDependents") else None
            )
            if policy not in (None, "Orphan", "Background", "Foreground"):
                raise invalid(
                    "DeleteOptions",
                    "meta.k8s.io",
                    "",
                    [
                        (
                            "FieldValueNotSupported",
                            "propagationPolicy",
                            f'Unsupported value: "{policy}": supported '
                            'values: "Foreground", "Background", "Orphan"',
                        )
                    ],
                )
            if dry_run:
                return copy.deepcopy(current)
            if kind is self._namespace_kind:
                return self._delete_namespace(current)
            if is_crd(kind):
                return self._delete_crd(current)
            if policy == "Orphan":
                self._orphan_dependents(str(meta.get("uid")))
            elif (
                policy == "Foreground"
                and self.garbage_collection
                and FOREGROUND not in (meta.get("finalizers") or [])
            ):
                current = copy.deepcopy(
                    current
                )  # the collector deletes the dependents, then drops the finalizer
                current["metadata"]["finalizers"] = [*(meta.get("finalizers") or []), FOREGROUND]
            if kind is self._pod_kind and self.graceful_pod_deletion:
                terminating = self._terminate_pod(current, (options or {}).get("gracePeriodSeconds"))
                if terminating is not None:
                    return terminating
            return self._delete_locked(kind, current)

    def _orphan_dependents(self, owner_uid: str) -> None:
        """propagationPolicy Orphan: the owner's dependents lose their ownerReference to it, and stay."""
        for kind in self.kinds.storage_kinds():
            for key, obj in list(self._bucket(kind).items()):
                references = obj["metadata"].get("ownerReferences") or []
                kept = [ref for ref in references if ref.get("uid") != owner_uid]
                if len(kept) != len(references):
                    orphaned = copy.deepcopy(obj)
                    if kept:
                        orphaned["metadata"]["ownerReferences"] = kept
                    else:
                        orphaned["metadata"].pop("ownerReferences", None)
                    self._commit(kind, "MODIFIED", key, orphaned, obj)

    def add_listener(self, listener: Callable[[Kind], None]) -> None:
        """Call `listener(kind)` after every stored change (under the store lock: it must be quick)."""
        with self._lock:
            self._listeners.append(listener)

    def _terminate_pod(self, pod: dict[str, Any], grace: Any) -> dict[str, Any] | None:
        """Graceful deletion of a pod on a node: Terminating until its kubelet is done; None: remove it now.

        As the API server does: unscheduled or finished pods, and a grace period of 0, go at once."""
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return None
        seconds = (
            grace
            if isinstance(grace, int) and not isinstance(grace, bool)
            else spec.get("terminationGracePeriodSeconds", 30)
        )
        seconds = max(int(seconds or 0), 0)
        meta = pod["metadata"]
        if seconds == 0:
            return None
        if meta.get("deletionTimestamp") and int(meta.get("deletionGracePeriodSeconds") or 0) <= seconds:
            return copy.deepcopy(pod)
        terminating = copy.deepcopy(pod)
        deadline = time.gmtime(time.time() + seconds)
        terminating["metadata"].update(
            deletionTimestamp=time.strftime("%Y-%m-%dT%H:%M:%SZ", deadline),
            deletionGracePeriodSeconds=seconds,
        )
        assert self._pod_kind is not None
        self._commit(
            self._pod_kind, "MODIFIED", (meta.get("namespace") or "", meta["name"]), terminating, pod
        )
        return copy.deepcopy(terminating)

    def delete_collection(
        self,
        kind: Kind,
        namespace: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> dict[str, Any]:
        """DELETE on a collection: delete every matching object; returns the list of what was matched."""
        with self._lock:
            listed = self.list(kind, namespace, label_selector, field_selector)
            for obj in listed["items"]:
                meta = obj["metadata"]
                self.delete(kind, meta.get("namespace"), meta["name"])
            return listed

    # ---- watch ----------------------------------------------------------------------------------

    def watch(
        self,
        kind: Kind,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
    ) -> Watcher:
        """Open a watch. No resourceVersion (or "0"): synthetic ADDED for current objects, then changes.
        A version older than the history window: a single ERROR event with a 410 Expired Status."""
        predicate = object_filter(namespace, label_selector, field_selector, kind.field_labels)
        watcher = Watcher(kind, predicate)
        with self._lock:
            if resource_version in (None, "", "0"):
                for key in sorted(self._bucket(kind)):
                    if predicate(self._bucket(kind)[key]):
                        watcher.queue.put(("ADDED", self._bucket(kind)[key]))
            else:
                since = _parse_resource_version(resource_version)
                if since < self._compacted_through:
                    status = expired(
                        f"too old resource version: {since} ({self._compacted_through})"
                    ).status()
                    watcher.queue.put(("ERROR", status))
                    watcher.end()
                    return watcher
                for event in self._history:
                    if event.resource_version > since and event.kind.storage_key == kind.storage_key:
                        watcher.offer(event)
            self._watchers.add(watcher)
        return watcher

    def stop_watch(self, watcher: Watcher) -> None:
        """Forget a watcher (its stream has ended)."""
        with self._lock:
            self._watchers.discard(watcher)

    def bookmark(self, watcher: Watcher) -> None:
        """Queue a BOOKMARK carrying the current resourceVersion, ordered after every event already queued."""
        with self._lock:
            watcher.queue.put(
                (
                    "BOOKMARK",
                    {
                        "kind": watcher.kind.kind,
                        "apiVersion": watcher.kind.api_version,
                        "metadata": {"resourceVersion": str(self._resource_version)},
                    },
                )
            )

    def drop_watches(self, abrupt: bool = False) -> int:
        """End every open watch now; returns how many were open."""
        with self._lock:
            watchers, self._watchers = self._watchers, set()
        for watcher in watchers:
            watcher.end(abrupt)
        return len(watchers)

    def compact(self) -> int:
        """Expire every resourceVersion handed out so far: the next watch from any of them gets 410."""
        with self._lock:
            self._resource_version += 1
            self._compacted_through = self._resource_version
            self._history.clear()
            return self._resource_version

    @property
    def open_watches(self) -> int:
        with self._lock:
            return len(self._watchers)

    # ---- internals ------------------------------------------------------------------------------

    def _bucket(self, kind: Kind) -> dict[ObjectKey, dict[str, Any]]:
        return self._objects.setdefault(kind.storage_key, {})

    @contextlib.contextmanager
    def request_options(self, field_validation: str = "Warn") -> Iterator[builtins.list[str]]:
        """Within: writes of custom resources handle unknown fields as `field_validation` says (`Strict`: 400,
        `Warn`: a warning in the yielded list, `Ignore`), as the `fieldValidation` query parameter asks."""
        self._local.field_validation, self._local.warnings = field_validation, []
        try:
            yield self._local.warnings
        finally:
            self._local.field_validation, self._local.warnings = "Ignore", []

    def _require(self, kind: Kind, namespace: str | None, name: str) -> dict[str, Any]:
        obj = self._bucket(kind).get((namespace or "", name))
        if obj is None:
            raise not_found(kind.group, kind.plural, name)
        return obj

    def _prepare_body(self, kind: Kind, namespace: str | None, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request(f"the body of the request must be a {kind.kind} object")
        obj = copy.deepcopy(body)
        if obj.get("apiVersion") not in (None, "", kind.api_version) or obj.get("kind") not in (
            None,
            "",
            kind.kind,
        ):
            raise bad_request(
                f"the API version and kind in the data ({obj.get('apiVersion')}, {obj.get('kind')}) "
                f"do not match the expected ({kind.api_version}, {kind.kind})"
            )
        obj["apiVersion"], obj["kind"] = kind.api_version, kind.kind
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        for optional in _OMIT_WHEN_EMPTY:  # Go's `omitempty`: empty maps and lists are not stored
            if optional in meta and not meta[optional]:
                del meta[optional]
        if kind.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return obj

    def _admit(self, kind: Kind, obj: dict[str, Any], current: dict[str, Any] | None) -> builtins.list[Cause]:
        """Defaults, then Service IP/port allocation (checked against every other stored Service); custom
        resources pruned and defaulted by their schema. Returns the causes the schema (or CRD rules) finds."""
        if kind.crd:
            dropped, causes = admit_custom(kind, obj)
            self._unknown_fields(kind, dropped)
            return causes
        if is_crd(kind):
            apply_crd_defaults(obj)
            return crd_causes(obj, current)
        apply_defaults(kind, obj)
        if kind is self._service_kind:
            meta = obj["metadata"]
            self.allocator.admit(obj, current, (meta.get("namespace") or "", meta.get("name", "")))
        return []

    def _unknown_fields(self, kind: Kind, dropped: builtins.list[str]) -> None:
        mode = getattr(self._local, "field_validation", "Ignore") or "Warn"
        if not dropped or mode == "Ignore":
            return
        if mode == "Strict":
            unknown = ", ".join(f'unknown field "{path}"' for path in dropped)
            raise bad_request(
                f'{kind.kind} in version "{kind.version}" cannot be handled as a {kind.kind}: '
                f"strict decoding error: {unknown}"
            )
        self._local.warnings.extend(f'unknown field "{path}"' for path in dropped)

    def _require_live_namespace(self, kind: Kind, namespace: str | None) -> None:
        if not kind.namespaced or self._namespace_kind is None:
            return
        owner = self._bucket(self._namespace_kind).get(("", namespace or ""))
        if owner is None:
            raise not_found("", "namespaces", namespace or "")
        if owner["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                f"unable to create new content in namespace {namespace} because it is being terminated",
                "Forbidden",
            )

    def _generate_name(self, kind: Kind, namespace: str | None, prefix: str) -> str:
        for _ in range(16):
            name = prefix[:58] + "".join(random.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5))
            if (namespace or "", name) not in self._bucket(kind):
                return name
        raise already_exists(kind.group, kind.plural, prefix)

    def _apply_update(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        obj: dict[str, Any],
        subresource: str | None,
        dry_run: bool,
    ) -> dict[str, Any]:
        current = self._require(kind, namespace, name)
        old_meta, meta = current["metadata"], obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        if meta.get("resourceVersion") and meta["resourceVersion"] != old_meta["resourceVersion"]:
            raise conflict(
                kind.group,
                kind.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if meta.get("uid") and meta["uid"] != old_meta["uid"]:
            raise conflict(
                kind.group,
                kind.plural,
                name,
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: {old_meta['uid']}",
            )
        if subresource == "status":
            updated = copy.deepcopy(current)
            if obj.get("status") is None:
                updated.pop("status", None)
            else:
                updated["status"] = obj["status"]
        else:
            updated = obj
            meta["name"] = name
            for system_field in _SYSTEM_METADATA:
                if system_field in old_meta:
                    meta[system_field] = copy.deepcopy(old_meta[system_field])
                else:
                    meta.pop(system_field, None)
            if kind.status_subresource:
                if current.get("status") is None:
                    updated.pop("status", None)
                else:
                    updated["status"] = copy.deepcopy(current["status"])
            validate(kind, updated, self._admit(kind, updated, current))
            if is_crd(kind):
                updated["status"] = crd_status(updated, current, now_rfc3339())
            if old_meta.get("deletionTimestamp"):
                added = set(meta.get("finalizers") or []) - set(old_meta.get("finalizers") or [])
                if added:
                    raise invalid(
                        kind.kind,
                        kind.group,
                        name,
                        [
                            (
                                "FieldValueForbidden",
                                "metadata.finalizers",
                                "Forbidden: no new finalizers can be added if the object is being deleted",
                            )
                        ],
                    )
            if _spec_part(updated, kind) != _spec_part(current, kind):
                meta["generation"] = int(old_meta.get("generation") or 0) + 1
        updated["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if subresource == "status" and kind.crd:
            validate(kind, updated, admit_custom(kind, updated)[1])
        if _without_resource_version(updated) == _without_resource_version(current) or dry_run:
            return copy.deepcopy(updated)
        key = (namespace or "", name)
        if updated["metadata"].get("deletionTimestamp") and not updated["metadata"].get("finalizers"):
            self._commit(kind, "DELETED", key, updated, current)
            self._finish_namespace_if_empty(namespace)
        else:
            self._commit(kind, "MODIFIED", key, updated, current)
        if is_crd(kind) and subresource != "status":
            self._serve_crd(updated)
        return copy.deepcopy(updated)

    def _delete_locked(self, kind: Kind, current: dict[str, Any]) -> dict[str, Any]:
        meta = current["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        if meta.get("finalizers"):
            if meta.get("deletionTimestamp"):
                return copy.deepcopy(current)
            pending = copy.deepcopy(current)
            pending["metadata"].update(deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
            self._commit(kind, "MODIFIED", key, pending, current)
            return copy.deepcopy(pending)
        deleted = copy.deepcopy(current)
        self._commit(kind, "DELETED", key, deleted, current)
        self._finish_namespace_if_empty(meta.get("namespace"))
        if kind.returns_deleted_object:
            return copy.deepcopy(deleted)
        details: dict[str, Any] = {"name": meta["name"], "kind": kind.plural, "uid": meta.get("uid")}
        if kind.group:
            details["group"] = kind.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _delete_namespace(self, namespace_obj: dict[str, Any]) -> dict[str, Any]:
        """Namespace deletion: mark it Terminating, delete its content, remove it once it is empty."""
        assert self._namespace_kind is not None
        name = namespace_obj["metadata"]["name"]
        if not namespace_obj["metadata"].get("deletionTimestamp"):
            terminating = copy.deepcopy(namespace_obj)
            terminating["metadata"].update(deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
            terminating.setdefault("status", {})["phase"] = "Terminating"
            self._commit(self._namespace_kind, "MODIFIED", ("", name), terminating, namespace_obj)
        for kind in self.kinds.storage_kinds():
            if kind.namespaced:
                for key in [k for k in self._bucket(kind) if k[0] == name]:
                    self._delete_locked(kind, self._bucket(kind)[key])
        self._finish_namespace_if_empty(name)
        remaining = self._bucket(self._namespace_kind).get(("", name))
        return (
            copy.deepcopy(remaining)
            if remaining
            else {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "details": {"name": name, "kind": "namespaces", "uid": namespace_obj["metadata"].get("uid")},
            }
        )

    def _require_established(self, kind: Kind) -> None:
        """New custom resources are refused while their CRD is being deleted, as the API server does."""
        crd = self._crd_of(kind)
        if crd is not None and crd["metadata"].get("deletionTimestamp"):
            raise ApiError(405, "create not allowed while custom resource definition is terminating")

    def _crd_of(self, kind: Kind) -> dict[str, Any] | None:
        if not kind.crd or self._crd_kind is None:
            return None
        return self._bucket(self._crd_kind).get(("", kind.crd))

    def _serve_crd(self, crd: dict[str, Any]) -> None:
        """Serve what a CRD (as stored now) defines; end the watches of versions no longer served."""
        name = crd["metadata"]["name"]
        stored = self._crd_kind is not None and ("", name) in self._bucket(self._crd_kind)
        self.kinds.set_crd(name, kinds_of(crd) if stored else ())
        for watcher in list(self._watchers):
            kind = watcher.kind
            if kind.crd and self.kinds.find(kind.group, kind.version, kind.plural) is None:
                self._watchers.discard(watcher)
                watcher.end()

    def _delete_crd(self, crd: dict[str, Any]) -> dict[str, Any]:
        """CRD deletion: Terminating (with the cleanup finalizer) while its custom resources are deleted; gone,
        and no longer served, once the last of them is."""
        assert self._crd_kind is not None
        name = crd["metadata"]["name"]
        current = crd
        if not crd["metadata"].get("deletionTimestamp"):
            current = copy.deepcopy(crd)
            now = now_rfc3339()
            current["metadata"].update(deletionTimestamp=now, deletionGracePeriodSeconds=0)
            current["metadata"]["finalizers"] = [
                *(crd["metadata"].get("finalizers") or []),
                CLEANUP_FINALIZER,
            ]
            status = current.setdefault("status", {})
            status["conditions"] = [
                *(c for c in status.get("conditions") or [] if c.get("type") != "Terminating"),
                terminating_condition(now),
            ]
            self._commit(self._crd_kind, "MODIFIED", ("", name), current, crd)
        answer = copy.deepcopy(current)
        served = self.kinds.crd_kinds(name)
        if served:
            for obj in list(self._bucket(served[0]).values()):
                self._delete_locked(served[0], obj)
        self._finish_crd_if_empty(name)
        return answer

    def _finish_crd_if_empty(self, name: str) -> None:
        if self._crd_kind is None:
            return
        crd = self._bucket(self._crd_kind).get(("", name))
        served = self.kinds.crd_kinds(name)
        if crd is None or not crd["metadata"].get("deletionTimestamp"):
            return
        if served and self._bucket(served[0]):
            return
        done = copy.deepcopy(crd)
        finalizers = [f for f in done["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER]
        if finalizers:
            done["metadata"]["finalizers"] = finalizers
            if finalizers != crd["metadata"].get("finalizers"):
                self._commit(self._crd_kind, "MODIFIED", ("", name), done, crd)
            return
        done["metadata"].pop("finalizers", None)
        self._commit(self._crd_kind, "DELETED", ("", name), done, crd)
        self._serve_crd(done)

    def _finish_namespace_if_empty(self, namespace: str | None) -> None:
        if not namespace or self._namespace_kind is None:
            return
        owner = self._bucket(self._namespace_kind).get(("", namespace))
        if (
            owner is None
            or not owner["metadata"].get("deletionTimestamp")
            or owner["metadata"].get("finalizers")
        ):
            return
        if any(
            k[0] == namespace
            for kind in self.kinds.storage_kinds()
            if kind.namespaced
            for k in self._bucket(kind)
        ):
            return
        self._commit(self._namespace_kind, "DELETED", ("", namespace), copy.deepcopy(owner), owner)

    def _commit(
        self, kind: Kind, event_type: str, key: ObjectKey, obj: dict[str, Any], prev: dict[str, Any] | None
    ) -> None:
        """Store (or remove) one object under a new resourceVersion, record it and fan it out."""
        self._resource_version += 1
        obj["metadata"]["resourceVersion"] = str(self._resource_version)
        if event_type == "DELETED":
            self._bucket(kind).pop(key, None)
        else:
            self._bucket(kind)[key] = obj
        if kind is self._service_kind:
            self.allocator.record(key, prev, None if event_type == "DELETED" else obj)
        event = StoredEvent(self._resource_version, kind, event_type, obj, prev)
        if self.history_window > 0:
            while len(self._history) >= self.history_window:
                self._compacted_through = self._history.popleft().resource_version
            self._history.append(event)
        else:
            self._compacted_through = self._resource_version
        for watcher in self._watchers:
            if watcher.kind.storage_key == kind.storage_key:
                watcher.offer(event)
        if event_type == "DELETED" and kind.crd:
            self._finish_crd_if_empty(kind.crd)
        for listener in self._listeners:
            listener(kind)
