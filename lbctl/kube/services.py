"""Reconciling Services of type LoadBalancer: their work-queue keys (`Service:ns/name`, the stack keys of
their L4 stacks), which changes affect them, and one reconcile — build the Service's L4 spec from the cache
(lbctl/model/services.py), converge it through the provider, then write the finalizer, the status and
Events back.

Only Services the provider's L4 profile says are ours are touched (a Service another controller owns never
is); one that stops being ours (type or annotations changed) while it holds our finalizer has its stack
deleted and the finalizer removed. The finalizer goes on before the first cloud write and comes off only
when the provider says the stack is gone; every write carries the resourceVersion it was computed from."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lbctl.kube.events import FINALIZER, EventRecorder, status_entry
from lbctl.model.annotations import REGISTRY
from lbctl.model.objects import EndpointSlice, Node, Service
from lbctl.model.services import (
    PREFIX,
    build_service,
    empty_service_spec,
    is_reconciled,
    is_served,
    is_service_stack,
    service_stack,
)
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ConvergeResult, ServiceInput, ServiceProvider

log = logging.getLogger("lbctl.controller")


class ServiceWriter:
    """Finalizer and status writes on Services (JSON merge patches, guarded by resourceVersion)."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api = client.CoreV1Api(api_client)

    def set_finalizers(
        self, service: Service, finalizers: list[str], annotations: dict[str, str | None] | None = None
    ) -> str:
        """The finalizers (and, in the same patch, annotation changes: None removes one)."""
        wanted: dict[str, Any] = {
            "finalizers": finalizers or None,
            "resourceVersion": service.resource_version,
        }
        if annotations:
            wanted["annotations"] = annotations
        done = self.api.patch_namespaced_service(
            service.name,
            service.namespace,
            {"metadata": wanted},
            _content_type="application/merge-patch+json",
        )
        meta = done.metadata
        return str(meta.resource_version or "") if meta is not None else ""

    def set_annotations(self, service: Service, changes: dict[str, str | None]) -> None:
        """A merge patch of annotations (None removes one)."""
        self.api.patch_namespaced_service(
            service.name,
            service.namespace,
            {"metadata": {"annotations": changes}},
            _content_type="application/merge-patch+json",
        )

    def set_address(self, service: Service, address: str | None) -> None:
        entries = [status_entry(address)] if address else []
        self.api.patch_namespaced_service_status(
            service.name,
            service.namespace,
            {"status": {"loadBalancer": {"ingress": entries}}},
            _content_type="application/merge-patch+json",
        )


class ServiceReconciler:
    """The Service half of the controller (the Controller owns the queue and the informers)."""

    def __init__(
        self,
        api_client: client.ApiClient,
        provider: ServiceProvider,
        provider_name: str,
        events: EventRecorder,
        snapshot: Callable[[], ClusterSnapshot],
        claim_unclassed: bool = False,
    ) -> None:
        self.provider = provider
        self.provider_name = provider_name
        self.events = events
        self.snapshot = snapshot
        self.claim_unclassed = claim_unclassed
        self.writer = ServiceWriter(api_client)
        self.addresses: dict[str, str | None] = {}
        self.on_converged: list[Callable[[str, ConvergeResult], None]] = []
        self.negs_only: set[str] = set()  # stacks last converged without a load balancer (standalone NEGs)
        self.status_keys = service_status_keys(provider_name)

    def ours(self, service: Service) -> bool:
        """A Service whose stack we converge: its load balancer, or only its standalone NEGs."""
        return is_reconciled(service, self.provider_name, self.claim_unclassed)

    def balances(self, service: Service) -> bool:
        """A Service we are the load balancer of (its status address is ours to write)."""
        return is_served(service, self.provider_name, self.claim_unclassed)

    # ----------------------------------------------------------------- which Services a change affects

    def all_keys(self) -> set[str]:
        return {
            service_stack(s.namespace, s.name)
            for s in self.snapshot().services.values()
            if self.ours(s) or FINALIZER in s.finalizers
        }

    def keys_for(self, kind: str, objects: Iterable[Any]) -> set[str]:
        """The Service stacks a change of these objects can affect."""
        if kind == "Service":
            return {
                service_stack(o.namespace, o.name)
                for o in objects
                if isinstance(o, Service) and (self.ours(o) or FINALIZER in o.finalizers)
            }
        if kind == "EndpointSlice":
            names = {(o.namespace, o.service_name) for o in objects if isinstance(o, EndpointSlice)}
            services = self.snapshot().services
            return {
                service_stack(ns, n)
                for ns, n in names
                if (s := services.get(f"{ns}/{n}")) is not None and self.ours(s)
            }
        if kind == "Node" and any(isinstance(o, Node) for o in objects):
            return {k for k in self.all_keys()}
        return set()

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, key: str) -> ConvergeResult | None:
        """Converge one Service's stack from the current cache; raises to be retried with backoff."""
        snapshot = self.snapshot()
        service = snapshot.services.get(key.removeprefix(PREFIX))
        served = service is not None and self.ours(service) and not service.deleting
        if service is not None and served:
            outcome = build_service(service, self.provider_name, self.balances(service))
            for problem in outcome.problems:
                reason = "FailedBuildModel" if problem.severity == "error" else "BuildWarning"
                self._event(service, "Warning", reason, f"{problem.field}: {problem.message}")
            if outcome.spec is None:
                log.info("Service has errors; cloud left unchanged", extra={"key": key})
                return None
            if FINALIZER not in service.finalizers:
                version = self.writer.set_finalizers(service, [*service.finalizers, FINALIZER])
                service = dataclasses.replace(service, resource_version=version)
            spec = outcome.spec
        else:
            spec = empty_service_spec(key)
        converged = self.provider.converge_service(ServiceInput.from_snapshot(spec, snapshot))
        if spec.empty:
            if not converged.deleted:
                if any(getattr(e, "cleanup", False) for e in converged.errors):
                    return converged  # the finalizer stays; the failures are reported and retried
                raise RuntimeError(f"the cloud resources of {key} are not all deleted yet")
            if service is not None and FINALIZER in service.finalizers:
                if not service.deleting and service.status_ingress and key not in self.negs_only:
                    self._set_address(service, None)
                try:
                    self.writer.set_finalizers(
                        service,
                        [f for f in service.finalizers if f != FINALIZER],
                        self._status_changes(service, {}),
                    )
                except ApiException as err:
                    if err.status != 404:
                        raise
            self.addresses.pop(key, None)
            self.negs_only.discard(key)
            log.info("Service stack deleted", extra={"key": key, "changes": len(converged.changes)})
        else:
            assert service is not None
            if spec.load_balancer:
                self._set_address(service, converged.address)
                self.negs_only.discard(key)
            else:  # its standalone NEGs only: the address is no longer ours, unless we wrote it
                if self.addresses.get(key) and service.status_ingress:
                    self._set_address(service, None)
                self.negs_only.add(key)
            if converged.annotations is not None:
                self._write_status(service, self._status_changes(service, converged.annotations))
            self.addresses[key] = converged.address
            if converged.changes:
                self._event(
                    service,
                    "Normal",
                    "SuccessfullyReconciled",
                    f"{len(converged.changes)} cloud change(s)"
                    + (f"; address {converged.address}" if spec.load_balancer else ""),
                )
            for warning in converged.warnings:
                self._event(service, "Warning", "TranslationWarning", warning)
            log.info(
                "reconciled",
                extra={"key": key, "changes": len(converged.changes), "address": converged.address},
            )
        for observer in self.on_converged:
            observer(key, converged)
        return converged

    def _set_address(self, service: Service, address: str | None) -> None:
        if tuple([address] if address else []) == service.status_ingress:
            return
        try:
            self.writer.set_address(service, address)
        except ApiException as err:
            if err.status != 404:
                raise

    def _status_changes(self, service: Service, wanted: dict[str, str]) -> dict[str, str | None]:
        """The provider's Service status annotations that differ from `wanted` (None removes one)."""
        have = service.annotations
        return {k: wanted.get(k) for k in self.status_keys if have.get(k) != wanted.get(k)}

    def _write_status(self, service: Service, changes: dict[str, str | None]) -> None:
        if not changes:
            return
        try:
            self.writer.set_annotations(service, changes)
        except ApiException as err:
            if err.status != 404:
                raise

    def report(self, key: str, text: str, reason: str, retry: str) -> None:
        """A Warning Event on the Service for a failed reconcile."""
        service = self.snapshot().services.get(key.removeprefix(PREFIX))
        if service is not None:
            self._event(service, "Warning", reason, f"{text} ({retry})", series=text)

    def _event(
        self, service: Service, event_type: str, reason: str, message: str, series: str | None = None
    ) -> None:
        self.events.record(
            service.namespace,
            service.name,
            service.uid,
            event_type,
            reason,
            message,
            series=series,
            involved=("v1", "Service"),
        )


def service_status_keys(provider: str) -> list[str]:
    """The status annotations `provider` writes onto Services (the registry's, of Service scope)."""
    return [k for k in REGISTRY.status_keys(provider) if REGISTRY.get(k).scope.allows("Service")]


_STATUS = frozenset(a.name for a in REGISTRY if a.status)


def same_service(olds: tuple[Any, ...], news: tuple[Any, ...]) -> bool:
    """Nothing a reconcile reads changed: only the resourceVersion, the status, our own status annotations,
    or our own finalizer added."""

    def strip(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            dataclasses.replace(
                i,
                resource_version="",
                status_ingress=(),
                finalizers=tuple(f for f in i.finalizers if f != FINALIZER),
                annotations={k: v for k, v in i.annotations.items() if k not in _STATUS},
            )
            for i in items
            if isinstance(i, Service)
        )

    if any(FINALIZER in o.finalizers for o in olds) and not all(FINALIZER in n.finalizers for n in news):
        return False
    return bool(olds) and bool(news) and strip(olds) == strip(news)


__all__ = ["ServiceReconciler", "is_service_stack", "same_service"]
