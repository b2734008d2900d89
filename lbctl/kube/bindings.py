"""Reconciling TargetGroupBindings: their work-queue keys, which changes affect them, and one reconcile —
build the binding's spec from the cache (lbctl/model/binding_spec.py), converge it through the provider,
then write the finalizer, the status and Events back.

Order of writes, so that a crash between any two leaks nothing: the finalizer goes on before the first cloud
write and comes off only after the provider deregistered what the binding answers for; for a multi-cluster
target group the targets about to be registered are recorded in `status.registeredTargets` before the
registration. Every write carries the resourceVersion it was computed from (409 on a stale cache)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lbctl.kube.events import EventRecorder
from lbctl.model.binding_spec import build_binding
from lbctl.model.bindings import TargetGroupBinding, tracked_entries
from lbctl.model.kinds import TARGET_GROUP_BINDING
from lbctl.model.objects import EndpointSlice, Service
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import BindingProvider, BindingResult

log = logging.getLogger("lbctl.controller")

KIND = TARGET_GROUP_BINDING.kind
PREFIX = f"{KIND}:"  # work-queue keys of bindings; a stack key never contains ":"
FINALIZER = "lbctl.io/targets"


def binding_key(namespace: str, name: str) -> str:
    return f"{PREFIX}{namespace}/{name}"


def is_binding_key(key: str) -> bool:
    return key.startswith(PREFIX)


class BindingWriter:
    """Finalizer and status writes on TargetGroupBindings (JSON merge patches, guarded by resourceVersion).
    Each returns the object's new resourceVersion."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api = client.CustomObjectsApi(api_client)
        self.group, self.version, self.plural = (
            TARGET_GROUP_BINDING.group,
            TARGET_GROUP_BINDING.version,
            TARGET_GROUP_BINDING.plural,
        )

    def set_finalizers(
        self, binding: TargetGroupBinding, finalizers: list[str], resource_version: str
    ) -> str:
        body = {"metadata": {"finalizers": finalizers or None, "resourceVersion": resource_version}}
        done = self.api.patch_namespaced_custom_object(
            self.group,
            self.version,
            binding.namespace,
            self.plural,
            binding.name,
            body,
            _content_type="application/merge-patch+json",
        )
        return _version(done)

    def set_status(self, binding: TargetGroupBinding, status: dict[str, Any], resource_version: str) -> str:
        body = {"metadata": {"resourceVersion": resource_version}, "status": status}
        done = self.api.patch_namespaced_custom_object_status(
            self.group,
            self.version,
            binding.namespace,
            self.plural,
            binding.name,
            body,
            _content_type="application/merge-patch+json",
        )
        return _version(done)


def _version(answer: object) -> str:
    """The resourceVersion of a custom object the API answered (a dict)."""
    meta = answer.get("metadata") if isinstance(answer, dict) else None
    return str(meta.get("resourceVersion", "")) if isinstance(meta, dict) else ""


class BindingReconciler:
    """The TargetGroupBinding half of the controller (the Controller owns the queue and the informers)."""

    def __init__(
        self,
        api_client: client.ApiClient,
        provider: BindingProvider,
        events: EventRecorder,
        snapshot: Callable[[], ClusterSnapshot],
    ) -> None:
        self.provider = provider
        self.events = events
        self.snapshot = snapshot
        self.writer = BindingWriter(api_client)
        self.on_converged: list[Callable[[str, BindingResult], None]] = []

    # ----------------------------------------------------------------- which bindings a change affects

    def all_keys(self) -> set[str]:
        return {binding_key(b.namespace, b.name) for b in self.snapshot().bindings.values()}

    def keys_for(self, kind: str, objects: Iterable[Any]) -> set[str]:
        """The bindings a change of these objects can affect."""
        bindings = self.snapshot().bindings.values()
        if kind == KIND:
            return {binding_key(o.namespace, o.name) for o in objects if isinstance(o, TargetGroupBinding)}
        if kind in ("Service", "EndpointSlice"):
            names = {
                (o.namespace, o.name if isinstance(o, Service) else o.service_name)
                for o in objects
                if isinstance(o, Service | EndpointSlice)
            }
            return {
                binding_key(b.namespace, b.name) for b in bindings if (b.namespace, b.service_name) in names
            }
        if kind == "Node":
            return {binding_key(b.namespace, b.name) for b in bindings if b.target_type != "ip"}
        return set()

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, key: str) -> BindingResult | None:
        """Converge one binding from the current cache; raises to be retried with backoff."""
        namespace, name = key.removeprefix(PREFIX).split("/", 1)
        snapshot = self.snapshot()
        binding = snapshot.bindings.get(f"{namespace}/{name}")
        if binding is None:
            return None  # gone (its finalizer, if ours, was removed first)
        if binding.deleting and FINALIZER not in binding.finalizers:
            return None  # never bound by us, or already released
        outcome = build_binding(binding, snapshot)
        for problem in outcome.problems:
            reason = "FailedBuildModel" if problem.severity == "error" else "BuildWarning"
            self._event(binding, "Warning", reason, f"{problem.field}: {problem.message}")
        if outcome.spec is None:
            log.info("binding has errors; target group left unchanged", extra={"key": key})
            return None
        version = [binding.resource_version]
        if not binding.deleting and FINALIZER not in binding.finalizers:
            version[0] = self.writer.set_finalizers(binding, [*binding.finalizers, FINALIZER], version[0])

        def record(tracked: frozenset[tuple[str, int]]) -> None:
            """Before a registration: what the binding will answer for (multi-cluster target groups)."""
            if binding.tracked is None or not tracked <= binding.tracked:
                version[0] = self.writer.set_status(
                    binding, {"registeredTargets": tracked_entries(tracked)}, version[0]
                )

        result = self.provider.converge_binding(outcome.spec, on_register=record)
        for warning in result.warnings:
            self._event(binding, "Warning", "TranslationWarning", warning)
        if binding.deleting:
            try:
                self.writer.set_finalizers(
                    binding, [f for f in binding.finalizers if f != FINALIZER], version[0]
                )
            except ApiException as err:
                if err.status != 404:
                    raise
            log.info("binding released", extra={"key": key, "changes": len(result.changes)})
        else:
            status: dict[str, Any] = {}
            if binding.observed_generation != binding.generation:
                status["observedGeneration"] = binding.generation
            if result.tracked is not None and result.tracked != binding.tracked:
                status["registeredTargets"] = tracked_entries(result.tracked)
            if status:
                self.writer.set_status(binding, status, version[0])
            if result.changes:
                self._event(
                    binding,
                    "Normal",
                    "SuccessfullyReconciled",
                    f"{len(result.changes)} cloud change(s); {len(result.registered)} target(s) registered "
                    f"in {result.target_group}",
                )
            log.info("binding reconciled", extra={"key": key, "changes": len(result.changes)})
        for observer in self.on_converged:
            observer(key, result)
        return result

    def report(self, key: str, text: str, reason: str, retry: str) -> None:
        """A Warning Event on the binding for a failed reconcile."""
        binding = self.snapshot().bindings.get(key.removeprefix(PREFIX))
        if binding is not None:
            self._event(binding, "Warning", reason, f"{text} ({retry})", series=text)

    def _event(
        self,
        binding: TargetGroupBinding,
        event_type: str,
        reason: str,
        message: str,
        series: str | None = None,
    ) -> None:
        self.events.record(
            binding.namespace,
            binding.name,
            binding.uid,
            event_type,
            reason,
            message,
            series=series,
            involved=(TARGET_GROUP_BINDING.api_version, KIND),
        )


def same_binding(olds: tuple[Any, ...], news: tuple[Any, ...]) -> bool:
    """Nothing a reconcile reads changed: only the resourceVersion, the observed generation, or our own
    finalizer added (a changed `registeredTargets` does count: a reconcile may have read it stale)."""

    def strip(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            dataclasses.replace(
                i,
                resource_version="",
                observed_generation=None,
                finalizers=tuple(f for f in i.finalizers if f != FINALIZER),
            )
            for i in items
            if isinstance(i, TargetGroupBinding)
        )

    if any(FINALIZER in o.finalizers for o in olds) and not all(FINALIZER in n.finalizers for n in news):
        return False
    return bool(olds) and bool(news) and strip(olds) == strip(news)
