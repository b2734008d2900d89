"""Reconciling Gateway API Gateways: their work-queue keys (`Gateway:ns/name`, the stack keys of their load
balancers; `GatewayClass:name` for a class's status alone), which changes affect them, and one reconcile —
build every Gateway of our classes from the cache (lbctl/model/gateway_build.py, one build shared by the
reconciles of one cache state), converge the Gateway's spec through the provider's L7 converge, then write the
finalizer, the statuses and Events back.

What is written, and when:
- the Gateway's finalizer before the first cloud write; it comes off only once the provider says the stack
  is gone (the Gateway deleted, or its class no longer ours);
- route `status.parents`: only the entries carrying one of our controller names are replaced, other
  controllers' entries are kept as they are; written before the cloud is touched (they follow from the model
  alone), one route at a time, so a route whose write fails never holds back the others or the converge;
- the Gateway's status after the converge (Programmed with the address), or, for a Gateway the model
  refuses, at once (the cloud is left as it is: nothing converged, nothing deleted);
- a GatewayClass's status (ours only) from its own key.
Every status write is a JSON merge patch carrying the resourceVersion it was computed from (a stale cache
gets a 409 and a retry, never a lost entry of another controller), and only when it differs from the cache.
A Gateway of a class that is not ours (and without our finalizer) is never touched."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lbctl.kube.events import FINALIZER, EventRecorder
from lbctl.kube.informer import CachedObject
from lbctl.kube.secrets import SecretWatches
from lbctl.model import gateway as gw
from lbctl.model.builder import BuildConfig, empty_spec
from lbctl.model.gateway_attach import is_gateway_ref, merge_conditions, merge_route_parents
from lbctl.model.gateway_build import (
    GATEWAY_PREFIX,
    GatewayBuild,
    build_gateways,
    gateway_stack,
    is_gateway_stack,
)
from lbctl.model.gateway_policies import ancestor_status, merge_ancestors
from lbctl.model.kinds import GATEWAY, GATEWAY_CLASS, GRPC_ROUTE, HTTP_ROUTE, POLICY_KINDS, Kind, kinds_named
from lbctl.model.objects import CustomObject, EndpointSlice, Pod, Service
from lbctl.model.problems import Problem
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ConvergeResult, Provider, StackInput, spec_check

log = logging.getLogger("lbctl.controller")

CLASS_PREFIX = "GatewayClass:"
# What the Gateway API has a GatewayClass carry while Gateways use it (GatewayClass spec: "implementations
# SHOULD add" it)
CLASS_FINALIZER = "gateway-exists-finalizer.gateway.networking.k8s.io"
ROUTE_KINDS: tuple[Kind, ...] = (HTTP_ROUTE, GRPC_ROUTE)
_KINDS = {k.kind: k for k in (GATEWAY_CLASS, GATEWAY, *ROUTE_KINDS)}
# The kinds whose changes can affect a Gateway (Secrets: through the tracked watches, as for Ingresses)
_AFFECTING = frozenset(
    {*_KINDS, "ReferenceGrant", "Service", "EndpointSlice", "Pod", "Namespace", "Node"}
    | {k.kind for k in POLICY_KINDS}
)

# The cache of one kind: `CachedObject`s by "ns/name" (the controller's informers)
Cached = Callable[[str, str], CachedObject | None]
Items = Callable[[str], list[CachedObject]]


def class_key(name: str) -> str:
    return f"{CLASS_PREFIX}{name}"


def is_class_key(key: str) -> bool:
    return key.startswith(CLASS_PREFIX)


def is_gateway_key(key: str) -> bool:
    """A work-queue key this module reconciles (a Gateway stack or a GatewayClass)."""
    return is_gateway_stack(key) or is_class_key(key)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _programmed(status: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Programmed" and c.get("status") == "True" for c in status.get("conditions") or []
    )


def _meta(cached: CachedObject | None) -> Mapping[str, Any]:
    return (cached.raw.get("metadata") or {}) if cached is not None else {}


class GatewayWriter:
    """Finalizer and status writes on Gateway API objects (JSON merge patches guarded by resourceVersion)."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api = client.CustomObjectsApi(api_client)

    def set_finalizers(
        self, namespace: str, name: str, finalizers: list[str], resource_version: str, kind: Kind = GATEWAY
    ) -> str:
        """Replace the finalizer list of a Gateway (or a GatewayClass); returns the new resourceVersion."""
        body = {"metadata": {"finalizers": finalizers or None, "resourceVersion": resource_version}}
        if kind.namespaced:
            done = self.api.patch_namespaced_custom_object(
                kind.group,
                kind.version,
                namespace,
                kind.plural,
                name,
                body,
                _content_type="application/merge-patch+json",
            )
        else:
            done = self.api.patch_cluster_custom_object(
                kind.group,
                kind.version,
                kind.plural,
                name,
                body,
                _content_type="application/merge-patch+json",
            )
        meta = done.get("metadata") if isinstance(done, dict) else None
        return str((meta or {}).get("resourceVersion") or "")

    def set_status(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        wanted: Mapping[str, Any],
        current: Mapping[str, Any],
        resource_version: str,
    ) -> None:
        """Make the object's status exactly `wanted` (fields of `current` it lacks are removed)."""
        body = {
            "metadata": {"resourceVersion": resource_version},
            "status": {**{k: None for k in current if k not in wanted}, **wanted},
        }
        if kind.namespaced:
            self.api.patch_namespaced_custom_object_status(
                kind.group,
                kind.version,
                namespace,
                kind.plural,
                name,
                body,
                _content_type="application/merge-patch+json",
            )
        else:
            self.api.patch_cluster_custom_object_status(
                kind.group,
                kind.version,
                kind.plural,
                name,
                body,
                _content_type="application/merge-patch+json",
            )


@dataclass
class _RefIndex:
    """Which Gateway stacks read what, for one snapshot: by Service a route sends to, by namespace a route's
    backendRef or a listener's certificateRef points into (ReferenceGrants there), by GatewayClass."""

    snapshot: ClusterSnapshot
    services: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    namespaces: dict[str, set[str]] = field(default_factory=dict)
    classes: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, snapshot: ClusterSnapshot) -> _RefIndex:
        index = cls(snapshot)
        for gateway in snapshot.gateway_objects(gw.Gateway):
            key = gateway_stack(gateway.namespace, gateway.name)
            index.classes.setdefault(gateway.class_name, set()).add(key)
            for listener in gateway.listeners:
                for ref in listener.certificate_refs:
                    index.namespaces.setdefault(ref.namespace, set()).add(key)
        for route in snapshot.gateway_objects(gw.Route):
            parents = {gateway_stack(p.namespace, p.name) for p in route.parent_refs if is_gateway_ref(p)}
            for rule in route.rules:
                for backend in rule.backend_refs:
                    index.services.setdefault((backend.namespace, backend.name), set()).update(parents)
                    index.namespaces.setdefault(backend.namespace, set()).update(parents)
        return index


class GatewayReconciler:
    """The Gateway API half of the controller (the Controller owns the queue and the informers)."""

    def __init__(
        self,
        api_client: client.ApiClient,
        provider: Provider,
        build_config: BuildConfig,
        controller_names: tuple[str, ...],
        events: EventRecorder,
        view: Callable[[], tuple[tuple[int, ...], ClusterSnapshot]],
        cached: Cached,
        items: Items,
        secrets: SecretWatches | None = None,
        converging: Callable[[str, StackInput], None] | None = None,
    ) -> None:
        self.provider = provider
        self.build_config = build_config
        self.check = spec_check(build_config.provider)  # looked up once: entry points are read from disk
        self.controller_names = controller_names
        self.events = events
        self.view = view  # the cache as one snapshot, with the generations of the kinds the model reads
        self.cached = cached
        self.items = items
        self.secrets = secrets
        self.converging = converging  # told what each converge gets (the controller redacts its secrets)
        self.writer = GatewayWriter(api_client)
        self.addresses: dict[str, str | None] = {}
        self._built: tuple[tuple[int, ...], GatewayBuild] | None = None
        self._index: _RefIndex | None = None
        self._lock = threading.Lock()
        reader = build_config.profile.gateway.policies
        # the policy kinds whose status.ancestors this controller writes
        self.status_kinds = kinds_named(reader.status_kinds if reader else ())

    # ----------------------------------------------------------------- ours

    def _class_ours(self, snapshot: ClusterSnapshot, name: str) -> bool:
        found = snapshot.gateway_api.get(f"{CLASS_PREFIX}{name}")
        return isinstance(found, gw.GatewayClass) and found.controller_name in self.controller_names

    def _gateway_wanted(self, snapshot: ClusterSnapshot, key: str, seen: Iterable[Any] = ()) -> bool:
        """A Gateway stack to reconcile: the Gateway's class is ours (as cached, or in one of the forms `seen`
        in a change, e.g. the one just deleted), or it holds our finalizer."""
        ref = key.removeprefix(GATEWAY_PREFIX)
        forms = [snapshot.gateway_api.get(f"Gateway:{ref}"), *seen]
        if any(
            isinstance(g, gw.Gateway)
            and f"{g.namespace}/{g.name}" == ref
            and self._class_ours(snapshot, g.class_name)
            for g in forms
        ):
            return True
        return FINALIZER in (_meta(self.cached(GATEWAY.kind, ref)).get("finalizers") or [])

    # ----------------------------------------------------------------- which keys a change affects

    def all_keys(self) -> set[str]:
        snapshot = self.view()[1]
        gateways = {gateway_stack(g.namespace, g.name) for g in snapshot.gateway_objects(gw.Gateway)} | {
            gateway_stack(*key.split("/", 1)) for key in self._finalized()
        }
        classes = {
            class_key(c.name)
            for c in snapshot.gateway_objects(gw.GatewayClass)
            if c.controller_name in self.controller_names
        }
        return {k for k in gateways if self._gateway_wanted(snapshot, k)} | classes

    def _finalized(self) -> set[str]:
        return {
            f"{_meta(c).get('namespace')}/{_meta(c).get('name')}"
            for c in self.items(GATEWAY.kind)
            if FINALIZER in (_meta(c).get("finalizers") or [])
        }

    def keys_for(self, kind: str, objects: Iterable[Any]) -> set[str]:
        """The keys a change of these objects (old and new parsed forms) can affect."""
        if kind not in _AFFECTING:
            return set()
        objects = list(objects)
        snapshot = self.view()[1]
        index = self._ref_index(snapshot)
        found: set[str] = set()
        if kind == GATEWAY_CLASS.kind:
            for c in objects:
                if isinstance(c, gw.GatewayClass):
                    found |= index.classes.get(c.name, set())
                    if c.controller_name in self.controller_names:
                        found.add(class_key(c.name))
            classes = {k for k in found if is_class_key(k)}
            return classes | {k for k in found - classes if self._gateway_wanted(snapshot, k)}
        if kind == GATEWAY.kind:
            found = {gateway_stack(g.namespace, g.name) for g in objects if isinstance(g, gw.Gateway)}
            classes = {  # the classes' finalizer follows whether a Gateway uses them
                class_key(g.class_name)
                for g in objects
                if isinstance(g, gw.Gateway) and self._class_ours(snapshot, g.class_name)
            }
            return classes | {k for k in found if self._gateway_wanted(snapshot, k, objects)}
        elif kind in (HTTP_ROUTE.kind, GRPC_ROUTE.kind):
            found = {
                gateway_stack(p.namespace, p.name)
                for r in objects
                if isinstance(r, gw.Route)
                for p in r.parent_refs
                if is_gateway_ref(p)
            }
        elif kind == "ReferenceGrant":
            for grant in objects:
                if isinstance(grant, gw.ReferenceGrant):
                    found |= index.namespaces.get(grant.namespace, set())
        elif kind in ("Service", "EndpointSlice", "Pod"):
            for name in self._services_of(objects, snapshot):
                found |= index.services.get(name, set())
        elif kind in ("Namespace", "Node"):  # listener namespace selectors; instance targets
            found = {gateway_stack(g.namespace, g.name) for g in snapshot.gateway_objects(gw.Gateway)}
        else:  # a policy: the Gateways sending to the Service it targets; else (a Gateway's, a default) all
            for policy in objects:
                if not isinstance(policy, CustomObject):
                    continue
                ref = policy.spec.get("targetRef") or policy.spec.get("targetReference") or {}
                if isinstance(ref, Mapping) and ref.get("kind", "Service") == "Service" and ref.get("name"):
                    found |= index.services.get((policy.namespace, str(ref["name"])), set())
                else:
                    found |= {
                        gateway_stack(g.namespace, g.name) for g in snapshot.gateway_objects(gw.Gateway)
                    }
        return {k for k in found if self._gateway_wanted(snapshot, k, objects)}

    @staticmethod
    def _services_of(objects: Iterable[Any], snapshot: ClusterSnapshot) -> set[tuple[str, str]]:
        names: set[tuple[str, str]] = set()
        for o in objects:
            if isinstance(o, Service):
                names.add((o.namespace, o.name))
            elif isinstance(o, EndpointSlice):
                names.add((o.namespace, o.service_name))
            elif isinstance(o, Pod):
                names |= {
                    (s.namespace, s.name)
                    for s in snapshot.services.values()
                    if s.namespace == o.namespace
                    and s.selector
                    and all(o.labels.get(k) == v for k, v in s.selector.items())
                }
        return names

    def _ref_index(self, snapshot: ClusterSnapshot) -> _RefIndex:
        with self._lock:
            index = self._index
        if index is None or index.snapshot is not snapshot:
            index = _RefIndex.of(snapshot)
            with self._lock:
                self._index = index
        return index

    # ----------------------------------------------------------------- the model

    def _build(self) -> tuple[ClusterSnapshot, GatewayBuild]:
        """The build of the current cache, made once per state of the kinds the model reads."""
        generations, snapshot = self.view()
        with self._lock:
            kept = self._built
        if kept is not None and kept[0] == generations:
            return snapshot, kept[1]
        result = build_gateways(snapshot, self.build_config, self.controller_names, self.check)
        with self._lock:
            self._built = (generations, result)
        return snapshot, result

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, key: str) -> ConvergeResult | None:
        """Converge one Gateway's stack (or write one GatewayClass's status) from the current cache; raises
        to be retried with backoff."""
        if is_class_key(key):
            self._write_class_status(key.removeprefix(CLASS_PREFIX))
            return None
        ref = key.removeprefix(GATEWAY_PREFIX)
        namespace, name = ref.split("/", 1)
        cached = self.cached(GATEWAY.kind, ref)
        meta = _meta(cached)
        finalizers = list(meta.get("finalizers") or [])
        deleting = bool(meta.get("deletionTimestamp"))
        if self.secrets is not None:  # watch the listeners' certificates before reading the cache
            self.secrets.track(key, self._secrets_needed(ref) if cached is not None and not deleting else ())
        snapshot, result = self._build()
        outcome = result.gateways.get(key)
        if cached is not None and outcome is None and FINALIZER not in finalizers:
            return None  # a Gateway of another controller's class: never touched
        failed_routes = self._write_route_statuses(namespace, name, result)
        failed_routes += self._write_policy_statuses(namespace, name, result)

        if outcome is None or cached is None or deleting:
            converged = self._delete(key, snapshot, cached, finalizers, deleting)
        elif outcome.spec is None:
            for problem in outcome.problems:
                self._report_problem(problem, cached)
            previous = dict(cached.raw.get("status") or {})
            self._write_gateway_status(cached, outcome.status(self.addresses.get(key), False, previous), meta)
            log.info("Gateway has errors; cloud left unchanged", extra={"key": key})
            converged = None
        else:
            for problem in outcome.problems:
                self._report_problem(problem, cached)
            version = str(meta.get("resourceVersion") or "")
            if FINALIZER not in finalizers:
                version = self.writer.set_finalizers(namespace, name, [*finalizers, FINALIZER], version)
            inputs = StackInput.from_snapshot(outcome.spec, snapshot)
            if self.converging is not None:
                self.converging(key, inputs)
            previous = dict(cached.raw.get("status") or {})
            try:
                converged = self.provider.converge(inputs)
            except Exception:
                if not _programmed(previous):  # say Accepted (and the listeners) while the retries go on
                    with contextlib.suppress(ApiException):
                        self._write_gateway_status(
                            cached,
                            outcome.status(None, False, previous),
                            {**meta, "resourceVersion": version},
                        )
                raise
            programmed = bool(converged.address) and not converged.errors
            status = outcome.status(converged.address, programmed, previous)
            self._write_gateway_status(cached, status, {**meta, "resourceVersion": version})
            self.addresses[key] = converged.address
            if converged.changes:
                self._event(
                    cached,
                    GATEWAY,
                    "Normal",
                    "SuccessfullyReconciled",
                    f"{len(converged.changes)} cloud change(s); address {converged.address}",
                )
            for warning in converged.warnings:
                self._event(cached, GATEWAY, "Warning", "TranslationWarning", warning)
            log.info(
                "reconciled",
                extra={"key": key, "changes": len(converged.changes), "address": converged.address},
            )
        if failed_routes:
            raise failed_routes[0]  # the rest was done; the route statuses are written on the retry
        return converged

    def _delete(
        self,
        key: str,
        snapshot: ClusterSnapshot,
        cached: CachedObject | None,
        finalizers: list[str],
        deleting: bool,
    ) -> ConvergeResult:
        """The Gateway is gone, being deleted, or no longer of our class: delete its stack, then let it go."""
        spec = empty_spec(self.build_config.provider, key)
        converged = self.provider.converge(StackInput.from_snapshot(spec, snapshot))
        if not converged.deleted:
            if any(getattr(e, "cleanup", False) for e in converged.errors):
                return converged  # the finalizer stays; the failures are reported and retried
            raise RuntimeError(f"the cloud resources of {key} are not all deleted yet")
        if cached is not None and FINALIZER in finalizers:
            meta = _meta(cached)
            try:
                self.writer.set_finalizers(
                    str(meta.get("namespace")),
                    str(meta.get("name")),
                    [f for f in finalizers if f != FINALIZER],
                    str(meta.get("resourceVersion") or ""),
                )
            except ApiException as err:
                if err.status != 404:
                    raise
        self.addresses.pop(key, None)
        log.info("Gateway stack deleted", extra={"key": key, "changes": len(converged.changes)})
        return converged

    def _secrets_needed(self, ref: str) -> set[str]:
        gateway = self.view()[1].gateway_api.get(f"Gateway:{ref}")
        if not isinstance(gateway, gw.Gateway):
            return set()
        return {
            f"{r.namespace}/{r.name}"
            for listener in gateway.listeners
            for r in listener.certificate_refs
            if r.group == gw.CORE and r.kind == "Secret"
        }

    # ----------------------------------------------------------------- statuses

    def _write_gateway_status(
        self, cached: CachedObject, wanted: Mapping[str, Any], meta: Mapping[str, Any]
    ) -> None:
        current = cached.raw.get("status") or {}
        if dict(current) == dict(wanted):
            return
        failed: list[ApiException] = []
        self._patch_status(
            GATEWAY, meta, wanted, current, f"Gateway {meta.get('namespace')}/{meta.get('name')}", failed
        )
        if failed:
            raise failed[0]

    def _write_class_status(self, name: str) -> None:
        cached = self.cached(GATEWAY_CLASS.kind, name)
        if cached is None:
            return
        _, result = self._build()
        ours = result.class_statuses.get(name)
        if ours is None:
            return  # not ours: never touched
        self._class_finalizer(cached, name)
        current = dict(cached.raw.get("status") or {})
        wanted = {
            **current,
            **ours,
            "conditions": merge_conditions(
                current.get("conditions") or [], ours.get("conditions") or [], _now()
            ),
        }
        if current == wanted:
            return
        try:
            self.writer.set_status(
                GATEWAY_CLASS, "", name, wanted, current, str(_meta(cached).get("resourceVersion") or "")
            )
        except ApiException as err:
            if err.status != 404:
                raise

    def _class_finalizer(self, cached: CachedObject, name: str) -> None:
        """The Gateway API's `gateway-exists-finalizer` on a class of ours while a Gateway (deleting or not)
        names it, so the class cannot go before its Gateways; off once none does."""
        meta = _meta(cached)
        finalizers = list(meta.get("finalizers") or [])
        used = any(
            (c.raw.get("spec") or {}).get("gatewayClassName") == name for c in self.items(GATEWAY.kind)
        )
        if used == (CLASS_FINALIZER in finalizers):
            return
        wanted = [*finalizers, CLASS_FINALIZER] if used else [f for f in finalizers if f != CLASS_FINALIZER]
        try:
            self.writer.set_finalizers(
                "", name, wanted, str(meta.get("resourceVersion") or ""), kind=GATEWAY_CLASS
            )
        except ApiException as err:
            if err.status != 404:
                raise

    def _write_route_statuses(self, namespace: str, name: str, result: GatewayBuild) -> list[ApiException]:
        """The status.parents of every route that names this Gateway, or that holds an entry of ours for it
        (a parentRef removed since): ours replaced by the build's, the others kept. Failures are returned."""
        failed: list[ApiException] = []
        for kind in ROUTE_KINDS:
            for cached in self.items(kind.kind):
                if not self._names_gateway(cached, namespace, name):
                    continue
                meta = _meta(cached)
                route_key = f"{kind.kind}:{meta.get('namespace')}/{meta.get('name')}"
                current = list((cached.raw.get("status") or {}).get("parents") or [])
                ours = result.route_parents.get(route_key, [])
                merged, now = current, _now()
                # ours are under lbctl's own controllerName (the first), also for the classes of a drop-in
                names = {self.controller_names[0], *(str(p.get("controllerName")) for p in ours)}
                for controller in sorted(names):
                    merged = merge_route_parents(
                        merged, [p for p in ours if p.get("controllerName") == controller], controller, now
                    )
                if merged == current:
                    continue
                status = {**(cached.raw.get("status") or {}), "parents": merged}
                self._patch_status(kind, meta, status, status, f"route {route_key}", failed)
        return failed

    def _patch_status(
        self,
        kind: Kind,
        meta: Mapping[str, Any],
        wanted: Mapping[str, Any],
        current: Mapping[str, Any],
        what: str,
        failed: list[ApiException],
    ) -> None:
        """One object's status write; a failure other than the object being gone is added to `failed`."""
        try:
            self.writer.set_status(
                kind,
                str(meta.get("namespace")),
                str(meta.get("name")),
                wanted,
                current,
                str(meta.get("resourceVersion") or ""),
            )
        except ApiException as err:
            if err.status != 404:
                log.info("status not written; retrying", extra={"key": what, "status": err.status})
                failed.append(err)

    def _write_policy_statuses(self, namespace: str, name: str, result: GatewayBuild) -> list[ApiException]:
        """The status.ancestors of every policy this Gateway reads, or that holds an entry of ours for it: ours
        (one per Gateway the policy takes part in) replaced by the build's, other controllers' kept."""
        failed: list[ApiException] = []
        controller = self.controller_names[0]
        here = f"{namespace}/{name}"
        for kind in self.status_kinds:
            for cached in self.items(kind.kind):
                meta = _meta(cached)
                key = f"{kind.kind}:{meta.get('namespace')}/{meta.get('name')}"
                status = dict(cached.raw.get("status") or {})
                current = [e for e in status.get("ancestors") or [] if isinstance(e, Mapping)]
                mine = [e for e in current if e.get("controllerName") == controller]
                generation, entries = result.policy_statuses.get(key, (0, {}))
                named = {
                    f"{(e.get('ancestorRef') or {}).get('namespace')}/{(e.get('ancestorRef') or {}).get('name')}"
                    for e in mine
                }
                if here not in entries and here not in named:
                    continue
                wanted = ancestor_status(entries, controller, int(meta.get("generation") or generation or 1))
                before = {
                    repr(sorted((e.get("ancestorRef") or {}).items())): e.get("conditions") or []
                    for e in mine
                }
                now = _now()
                for entry in wanted:
                    old = before.get(repr(sorted(entry["ancestorRef"].items())), [])
                    entry["conditions"] = merge_conditions(old, entry["conditions"], now)
                merged = merge_ancestors(current, wanted, controller)
                if merged == current:
                    continue
                self._patch_status(kind, meta, {**status, "ancestors": merged}, status, key, failed)
        return failed

    def _names_gateway(self, cached: CachedObject, namespace: str, name: str) -> bool:
        """The route (raw, as cached) has a parentRef to the Gateway, or one of our status entries for it."""
        meta = _meta(cached)
        route_namespace = str(meta.get("namespace") or "default")
        for ref in (cached.raw.get("spec") or {}).get("parentRefs") or []:
            if (
                isinstance(ref, dict)
                and ref.get("group", gw.GROUP) == gw.GROUP
                and ref.get("kind", "Gateway") == "Gateway"
                and ref.get("name") == name
                and ref.get("namespace", route_namespace) == namespace
            ):
                return True
        for entry in (cached.raw.get("status") or {}).get("parents") or []:
            ref = entry.get("parentRef") or {} if isinstance(entry, dict) else {}
            if (
                entry.get("controllerName") == self.controller_names[0]
                and ref.get("name") == name
                and ref.get("namespace", route_namespace) == namespace
            ):
                return True
        return False

    # ----------------------------------------------------------------- Events

    def _report_problem(self, problem: Problem, gateway: CachedObject) -> None:
        """A problem of the build as a Warning Event on the object it names (the Gateway when it names none
        that is cached)."""
        reason = "FailedBuildModel" if problem.severity == "error" else "BuildWarning"
        kind_name, _, ref = problem.object.partition(" ")
        kind = _KINDS.get(kind_name)
        target = self.cached(kind.kind, ref) if kind is not None else None
        if kind is None or target is None:
            kind, target = GATEWAY, gateway
        self._event(target, kind, "Warning", reason, f"{problem.field}: {problem.message}")

    def report(self, key: str, text: str, reason: str, retry: str) -> None:
        """A Warning Event on the Gateway (or GatewayClass) for a failed reconcile."""
        if is_class_key(key):
            cached, kind = self.cached(GATEWAY_CLASS.kind, key.removeprefix(CLASS_PREFIX)), GATEWAY_CLASS
        else:
            cached, kind = self.cached(GATEWAY.kind, key.removeprefix(GATEWAY_PREFIX)), GATEWAY
        if cached is not None:
            self._event(cached, kind, "Warning", reason, f"{text} ({retry})", series=text)

    def _event(
        self,
        cached: CachedObject,
        kind: Kind,
        event_type: str,
        reason: str,
        message: str,
        series: str | None = None,
    ) -> None:
        meta = _meta(cached)
        self.events.record(
            str(meta.get("namespace") or "default"),
            str(meta.get("name")),
            str(meta.get("uid") or ""),
            event_type,
            reason,
            message,
            series=series,
            involved=(kind.api_version, kind.kind),
        )


__all__ = ["GatewayReconciler", "class_key", "is_class_key", "is_gateway_key"]
