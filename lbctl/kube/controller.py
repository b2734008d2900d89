"""The reconcile loop: informers feed a work queue of Ingress groups (stacks); workers build the spec
from the cached snapshot, converge the cloud through the provider, and write finalizers, status and
Events back. Level-triggered: every reconcile starts from the whole current state."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lbctl.cloudcalls import CallStats, Fenced
from lbctl.kube.bindings import BindingReconciler, is_binding_key, same_binding
from lbctl.kube.events import FINALIZER, EventRecorder, IngressWriter, status_entry
from lbctl.kube.gateway_watch import CrdGatedInformer, gated_informers
from lbctl.kube.gateways import GatewayReconciler, is_class_key, is_gateway_key
from lbctl.kube.informer import CachedObject, Informer
from lbctl.kube.metrics import ControllerMetrics
from lbctl.kube.resources import watched_resources
from lbctl.kube.routing import secrets_needed, stacks_on_cluster_default, stacks_using
from lbctl.kube.secrets import SecretWatches
from lbctl.kube.services import ServiceReconciler, is_service_stack, same_service
from lbctl.kube.workqueue import ShutDown, WorkQueue
from lbctl.model.annotations import REGISTRY
from lbctl.model.builder import (
    BuildConfig,
    BuildResult,
    GroupOutcome,
    build,
    empty_spec,
    stack_of,
    stack_of_object,
)
from lbctl.model.classes import is_ours
from lbctl.model.gce import parse_backend_ref
from lbctl.model.kinds import (
    GATEWAY_CLASS,
    GATEWAY_KINDS,
    POLICY_KINDS,
    TARGET_GROUP_BINDING,
    Kind,
    kinds_named,
)
from lbctl.model.objects import Ingress, Pod, Service
from lbctl.model.problems import Problem, SpecError
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import (
    BindingProvider,
    ConvergeResult,
    ObjectStatus,
    Provider,
    ProviderError,
    ServiceProvider,
    StackInput,
)

log = logging.getLogger("lbctl.controller")

# Kinds only the targets read (lbctl.model.targets), never the model: their changes do not rebuild a spec.
NOT_READ_BY_MODEL = frozenset({"Ingress", "EndpointSlice", "Node"})  # (a group's Ingresses: by identity)
# read by the Gateway model only (the anchors' policy kinds too)
GATEWAY_API_KINDS = frozenset(k.kind for k in GATEWAY_KINDS + POLICY_KINDS)


@dataclass(frozen=True)
class ControllerConfig:
    provider: str
    cluster_name: str
    class_names: tuple[str, ...] = ()
    watch_namespace: str | None = None
    workers: int = 2
    sync_period: float = 600.0
    default_backend: str | None = None
    watch_timeout: int = 300
    base_retry_delay: float = 1.0
    max_retry_delay: float = 300.0
    discovery_ttl: float = 300.0  # providers may keep what they discovered this long (option discovery_ttl)
    # The values of the provider's model options (ProviderOption.model) other than the default backend
    model_options: Mapping[str, Any] = field(default_factory=dict)
    # Also serve Services of type LoadBalancer that name no loadBalancerClass (and no annotation of another
    # controller): only where no in-tree cloud provider serves them too
    claim_unclassed_services: bool = False


def policy_kinds(build_config: BuildConfig) -> tuple[Kind, ...]:
    """The anchors' policy kinds the cloud profile's Gateway builder reads."""
    reader = build_config.profile.gateway.policies
    return kinds_named(reader.kinds if reader is not None else ())


class Controller:
    """Runs informers, a work queue and workers for one provider."""

    def __init__(
        self,
        api_client: client.ApiClient,
        provider: Provider,
        config: ControllerConfig,
        stats: CallStats | None = None,
        metrics: ControllerMetrics | None = None,
    ) -> None:
        self.api_client = api_client
        self.provider = provider
        self.config = config
        self.build_config = BuildConfig.for_provider(
            config.provider,
            class_names=config.class_names or None,
            cluster_default_backend=config.default_backend,  # the model drops it where it has no meaning
            **{k: v for k, v in config.model_options.items() if k != "cluster_default_backend"},
        )
        self.cluster_default = _service_of(self.build_config.cluster_default_backend)  # (namespace, name)
        if self.cluster_default and config.watch_namespace not in (None, self.cluster_default[0]):
            log.warning(
                "the cluster default backend is outside the watched namespace: Ingresses without "
                "spec.defaultBackend will report it missing",
                extra={"default_backend": self.build_config.cluster_default_backend},
            )
        self.metrics = metrics or ControllerMetrics(config.provider)
        self.stats = stats
        if stats is not None:
            stats.listeners.append(self.metrics.count_call)
        self.queue = WorkQueue(base_delay=config.base_retry_delay, max_delay=config.max_retry_delay)
        self.events = EventRecorder(api_client)
        self.writer = IngressWriter(api_client)
        self.informers: dict[str, Informer | SecretWatches | CrdGatedInformer] = {
            r.kind: (SecretWatches if r.by_name else Informer)(
                r, config.watch_namespace, self._on_change, watch_timeout=config.watch_timeout
            )
            for r in watched_resources(api_client, config.provider)
        }
        # Gateway API kinds and the policy kinds this cloud reads, each listed and watched only while its CRD
        # serves it.
        self.informers.update(
            gated_informers(
                api_client,
                GATEWAY_KINDS + policy_kinds(self.build_config),
                config.watch_namespace,
                self._on_change,
                config.watch_timeout,
                self._on_gateway_crds,
            )
        )
        # TargetGroupBindings, when the provider serves them (their keys share the queue with the stacks').
        self.bindings = (
            BindingReconciler(api_client, provider, self.events, self.snapshot)
            if isinstance(provider, BindingProvider) and TARGET_GROUP_BINDING.kind in self.informers
            else None
        )
        # Services of type LoadBalancer, when the provider serves them (keys `Service:ns/name` share the queue).
        self.services = (
            ServiceReconciler(
                api_client,
                provider,
                config.provider,
                self.events,
                self.snapshot,
                claim_unclassed=config.claim_unclassed_services,
            )
            if isinstance(provider, ServiceProvider)
            else None
        )
        secret_watches = self.informers.get("Secret")
        self.gateways = GatewayReconciler(
            api_client,
            provider,
            self.build_config,
            self.build_config.gateway_controller_names,
            self.events,
            self._gateway_view,
            lambda kind, key: informer.get(key) if (informer := self.informers.get(kind)) else None,
            lambda kind: informer.items() if (informer := self.informers.get(kind)) else [],
            secret_watches if isinstance(secret_watches, SecretWatches) else None,
            self._converging,
        )
        self.addresses: dict[str, str | None] = {}  # stack → last address
        self.on_converged: list[Callable[[str, ConvergeResult], None]] = []  # observers (demo, benchmark)
        self.reconcile_count = 0
        self._workers: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._in_flight = 0
        self._in_flight_lock = threading.Condition()
        self._snapshot_lock = threading.Lock()
        self._secrets: dict[
            str, set[str]
        ] = {}  # stack → secret values its last reconcile read (for redaction)
        self._secrets_lock = threading.Lock()
        self._snapshot: tuple[tuple[int, ...], ClusterSnapshot, dict[str, list[str]]] | None = None
        self._unparseable: tuple[int, list[CachedObject]] | None = None  # Ingress generation, what failed
        # stack → (generations of the kinds the model reads, the group's Ingresses, what the model built)
        self._builds: dict[str, tuple[tuple[int, ...], dict[str, Ingress], BuildResult]] = {}
        self._builds_lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle

    def start_informers(self) -> None:
        for informer in self.informers.values():
            informer.start()

    def wait_synced(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(i.synced.wait(max(0.0, deadline - time.monotonic())) for i in self.informers.values())

    @property
    def synced(self) -> bool:
        return all(i.synced.is_set() for i in self.informers.values())

    def start_workers(self) -> None:
        """Start reconciling (the leader only): GC of orphan stacks, every group once, then events."""
        if self._started.is_set():
            return
        self._started.set()
        self.enqueue_all(include_cloud=True)
        for i in range(self.config.workers):
            thread = threading.Thread(target=self._work, name=f"worker-{i}", daemon=True)
            thread.start()
            self._workers.append(thread)
        threading.Thread(target=self._resync, name="resync", daemon=True).start()

    def stop(self, drain_timeout: float = 30.0) -> None:
        """Stop taking work, let in-flight reconciles finish (up to `drain_timeout`), stop informers."""
        self._stopping.set()
        self.queue.shutdown()
        with self._in_flight_lock:
            self._in_flight_lock.wait_for(lambda: self._in_flight == 0, timeout=drain_timeout)
        for informer in self.informers.values():
            informer.stop()

    def enqueue_all(self, include_cloud: bool = False) -> None:
        """Queue every stack we know of; with include_cloud also stacks found only in the cloud (leaks)."""
        stacks = {
            self._stack_of(i) for i in self._ingresses() if self._claims(i) or FINALIZER in i.finalizers
        }
        if self.bindings is not None:
            stacks |= self.bindings.all_keys()
        if self.services is not None:
            stacks |= self.services.all_keys()
        stacks |= self.gateways.all_keys()
        if include_cloud:  # a cloud stack with no live source is reconciled to nothing: deleted
            try:
                cloud_stacks = set(self.provider.list_stacks())
            except Exception as err:
                log.warning("could not list cloud stacks for garbage collection", extra={"error": str(err)})
                cloud_stacks = set()
            for leaked in sorted(cloud_stacks - stacks):
                log.info("stack has no live source any more; deleting", extra={"key": leaked})
            stacks |= cloud_stacks
        for stack in sorted(stacks):
            self.queue.add(stack)
        self.metrics.queue_depth.set(self.queue.depth)

    def _converging(self, stack: str, inputs: StackInput) -> None:
        """What the stack's converge gets: its secret values are kept to redact them from its failures."""
        with self._secrets_lock:
            self._secrets[stack] = _secret_values(inputs)

    def _on_gateway_crds(self) -> None:
        """A Gateway API kind started or stopped being served, or its CRDs' version changed: every Gateway
        and GatewayClass of ours is looked at again (the objects of a new kind come as additions)."""
        for key in sorted(self.gateways.all_keys()):
            self.queue.add(key)
        self.metrics.queue_depth.set(self.queue.depth)

    def _resync(self) -> None:
        while not self._stopping.wait(self.config.sync_period):
            self.enqueue_all()

    # ----------------------------------------------------------------- cache views

    def _objects(self, kind: str) -> list[Any]:
        informer = self.informers.get(kind)
        if informer is None:
            return []
        return [p for cached in informer.items() for p in cached.parsed]

    def _ingresses(self) -> list[Ingress]:
        return self._objects("Ingress")

    def _claims(self, ingress: Ingress) -> bool:
        classes = {c.name: c for c in self._objects("IngressClass")}
        return is_ours(ingress, classes, self.build_config.policy)

    def _stack_of(self, ingress: Ingress, snapshot: ClusterSnapshot | None = None) -> str:
        """The Ingress's group key, also when its class's parameters pin the group."""
        return stack_of(ingress, self.config.provider, snapshot if snapshot is not None else self.snapshot())

    def snapshot(self) -> ClusterSnapshot:
        """Every cached object as one snapshot (shared, read-only: rebuilt only when an informer changed)."""
        return self._indexed_snapshot()[0]

    def _indexed_snapshot(self) -> tuple[ClusterSnapshot, dict[str, list[str]]]:
        """The snapshot, and the keys of the Ingresses of each stack."""
        return self._versioned_snapshot()[1:]

    def _versioned_snapshot(self) -> tuple[tuple[int, ...], ClusterSnapshot, dict[str, list[str]]]:
        """The informers' generations the snapshot was made at, the snapshot, and the keys of the Ingresses
        of each stack."""
        generations = tuple(i.generation for i in self.informers.values())  # read before the items
        with self._snapshot_lock:
            if self._snapshot is not None and self._snapshot[0] == generations:
                return self._snapshot
        snapshot = ClusterSnapshot()
        for informer in self.informers.values():
            for cached in informer.items():
                for parsed in cached.parsed:
                    snapshot.put(parsed)
        classes = self.informers.get(GATEWAY_CLASS.kind)
        if isinstance(classes, CrdGatedInformer):
            snapshot.gateway_api_version = classes.bundle_version()
        by_stack: dict[str, list[str]] = {}
        for key, ingress in snapshot.ingresses.items():
            by_stack.setdefault(self._stack_of(ingress, snapshot), []).append(key)
        with self._snapshot_lock:
            previous = self._snapshot
            self._snapshot = (generations, snapshot, by_stack)
        if previous is not None:  # an Ingress moved group (e.g. its class's parameters now pin one)
            now = {k: stack for stack, keys in by_stack.items() for k in keys}
            for stack, keys in previous[2].items():
                if any(now.get(k, stack) != stack for k in keys):
                    self.queue.add(stack)  # what the old group had of it must go
        return generations, snapshot, by_stack

    def stack_snapshot(self, stack: str) -> ClusterSnapshot:
        """The snapshot with only the Ingresses of `stack` (what building its spec reads), so a reconcile
        costs the size of its group, not of the cluster."""
        return self._stack_view(stack)[1]

    def _stack_view(self, stack: str) -> tuple[tuple[int, ...], ClusterSnapshot]:
        """`stack_snapshot`, with the generations the whole snapshot was made at."""
        generations, snapshot, by_stack = self._versioned_snapshot()
        keys = by_stack.get(stack, [])
        return generations, dataclasses.replace(snapshot, ingresses={k: snapshot.ingresses[k] for k in keys})

    def _build(self, stack: str, generations: tuple[int, ...], snapshot: ClusterSnapshot) -> BuildResult:
        """`build` of a stack's snapshot; the result is kept and given again while the model's inputs are the
        same objects: the group's Ingresses (by identity; the entry holds them, so no other object can take
        their place) and every kind the model reads besides them (by informer generation). EndpointSlices and
        Nodes change most often and only the targets read them, so an endpoint change or a no-op resync
        reuses the spec. The result is shared: nothing after the model changes a spec."""
        read = tuple(
            g
            for kind, g in zip(self.informers, generations, strict=True)
            if kind not in NOT_READ_BY_MODEL and kind not in GATEWAY_API_KINDS
        )
        members = snapshot.ingresses
        with self._builds_lock:
            kept = self._builds.get(stack)
        if (
            kept is not None
            and kept[0] == read
            and kept[1].keys() == members.keys()
            and all(kept[1][k] is i for k, i in members.items())
        ):
            return kept[2]
        result = build(snapshot, self.build_config)
        with self._builds_lock:
            if members:
                self._builds[stack] = (read, dict(members), result)
            else:
                self._builds.pop(stack, None)  # a stack without Ingresses is being deleted: nothing to keep
        return result

    def _gateway_view(self) -> tuple[tuple[int, ...], ClusterSnapshot]:
        """The snapshot, with the generations of the kinds the Gateway model reads (those only the targets
        read left out, so endpoint churn reuses the build)."""
        generations, snapshot, _ = self._versioned_snapshot()
        read = tuple(
            g for kind, g in zip(self.informers, generations, strict=True) if kind not in NOT_READ_BY_MODEL
        )
        return read, snapshot

    def _unparseable_ingresses(self) -> list[CachedObject]:
        """The cached Ingresses that failed to parse (looked for again only when an Ingress changed)."""
        informer = self.informers["Ingress"]
        generation = informer.generation  # read before the items
        kept = self._unparseable
        if kept is not None and kept[0] == generation:
            return kept[1]
        found = [c for c in informer.items() if c.error is not None]
        self._unparseable = (generation, found)
        return found

    # ----------------------------------------------------------------- events → stacks

    def _on_change(self, kind: str, key: str, old: CachedObject | None, new: CachedObject | None) -> None:
        olds = old.parsed if old else ()
        news = new.parsed if new else ()
        if kind == "Ingress" and (new is None or new.error is None) and (old is None or old.error is None):
            if _same_ingress(olds, news):
                return  # e.g. our own status patch
        elif kind == TARGET_GROUP_BINDING.kind and not (new and new.error):
            if same_binding(olds, news):
                return  # e.g. our own status patch
        elif kind == "Service" and not (new and new.error):
            if same_service(olds, news):
                return  # e.g. our own status patch
        elif kind in GATEWAY_API_KINDS:
            if new is not None and new.error is not None:
                self._report_unparseable(kind, new)
            elif olds == news and _same_lifecycle(old, new):
                return  # status (ours or another controller's), resourceVersion
        elif olds == news and not (new and new.error):
            return  # nothing we read changed (e.g. a node heartbeat)
        for stack in self._stacks_for(kind, olds + news, new):
            self.queue.add(stack)
        self.metrics.queue_depth.set(self.queue.depth)

    def _stacks_for(self, kind: str, objects: tuple[Any, ...], new: CachedObject | None) -> set[str]:
        gateways = self.gateways.keys_for(kind, objects)
        if kind in GATEWAY_API_KINDS:
            return gateways
        bindings = gateways | (self.bindings.keys_for(kind, objects) if self.bindings is not None else set())
        if self.services is not None:
            bindings |= self.services.keys_for(kind, objects)
        if kind == TARGET_GROUP_BINDING.kind:
            return bindings
        return bindings | self._ingress_stacks_for(kind, objects, new)

    def _ingress_stacks_for(self, kind: str, objects: tuple[Any, ...], new: CachedObject | None) -> set[str]:
        provider = self.config.provider
        ingresses = self._ingresses()
        if kind == "Ingress":
            if new is not None and new.error is not None:
                meta = new.raw.get("metadata", {})
                return {f"{meta.get('namespace', 'default')}/{meta.get('name')}"}
            return {self._stack_of(i) for i in objects}
        if kind == "Service" or kind == "EndpointSlice":
            names = {(o.namespace, o.name if isinstance(o, Service) else o.service_name) for o in objects}
            return set().union(
                *(
                    stacks_using(ingresses, provider, ns, service=n, snapshot=self.snapshot())
                    for ns, n in names
                ),
                self._on_cluster_default(names, ingresses),
            )
        if kind == "Secret":
            watches = self.informers.get("Secret")
            tracked = (
                watches.stacks_using(f"{o.namespace}/{o.name}" for o in objects)
                if isinstance(watches, SecretWatches)
                else set()
            )
            return tracked.union(
                *(
                    stacks_using(ingresses, provider, o.namespace, secret=o.name, snapshot=self.snapshot())
                    for o in objects
                )
            )
        if kind == "Pod":
            services = [
                s
                for s in self._objects("Service")
                if any(
                    isinstance(p, Pod)
                    and p.namespace == s.namespace
                    and s.selector
                    and all(p.labels.get(k) == v for k, v in s.selector.items())
                    for p in objects
                )
            ]
            names = {(s.namespace, s.name) for s in services}
            return set().union(
                *(
                    stacks_using(ingresses, provider, ns, service=n, snapshot=self.snapshot())
                    for ns, n in names
                ),
                self._on_cluster_default(names, ingresses),
            )
        # Nodes, IngressClasses (and their parameters), Namespaces and GKE configs can affect any stack we serve.
        return {self._stack_of(i) for i in ingresses if self._claims(i) or FINALIZER in i.finalizers}

    def _on_cluster_default(self, services: set[tuple[str, str]], ingresses: list[Ingress]) -> set[str]:
        """The stacks served through the cluster default backend, when it is among `services`."""
        if self.cluster_default is None or self.cluster_default not in services:
            return set()
        return stacks_on_cluster_default(
            (i for i in ingresses if self._claims(i)), self.config.provider, self.snapshot()
        )

    # ----------------------------------------------------------------- workers

    def _work(self) -> None:
        while True:
            try:
                stack = self.queue.get()
            except ShutDown:
                return
            if stack is None:
                continue
            with self._in_flight_lock:
                self._in_flight += 1
            started = time.monotonic()
            try:
                failures: list[BaseException] = []
                try:
                    converged = self.reconcile(stack)
                    failures.extend(converged.errors if converged is not None else ())
                except Exception as err:
                    failures.append(err)
                if failures:
                    delay = self.queue.add_rate_limited(stack)
                    self.metrics.reconciles.labels(self.config.provider, "error").inc()
                    try:
                        self._report_failures(stack, failures, delay)
                    except Exception as err:  # reporting is best effort: the worker must survive it
                        log.warning(
                            "could not report a failed reconcile", extra={"key": stack, "error": _safe(err)}
                        )
                else:
                    self.queue.forget(stack)
                    if converged is not None and converged.requeue_after is not None:
                        self.queue.add_after(
                            stack, converged.requeue_after
                        )  # e.g. a certificate provisioning
                    self.metrics.reconciles.labels(self.config.provider, "success").inc()
                    with self._secrets_lock:
                        self._secrets.pop(stack, None)
            finally:
                self.metrics.reconcile_seconds.labels(self.config.provider).observe(
                    time.monotonic() - started
                )
                self.queue.done(stack)
                self.metrics.queue_depth.set(self.queue.depth)
                with self._in_flight_lock:
                    self._in_flight -= 1
                    self._in_flight_lock.notify_all()

    # ----------------------------------------------------------------- reconcile

    def reconcile(self, stack: str) -> ConvergeResult | None:
        """Converge one stack from the current cache; raises to be retried with backoff."""
        self.reconcile_count += 1
        if is_binding_key(stack):
            if self.bindings is not None:
                self.bindings.reconcile(stack)
            return None
        if is_gateway_key(stack):
            converged = self.gateways.reconcile(stack)
            if not is_class_key(stack):
                self.addresses[stack] = self.gateways.addresses.get(stack)
                self.metrics.managed.labels(self.config.provider).set(
                    sum(1 for a in self.addresses.values() if a)
                )
            if converged is not None:
                for observer in self.on_converged:
                    observer(stack, converged)
            return converged
        if is_service_stack(stack):
            if self.services is None:
                return None
            converged = self.services.reconcile(stack)
            self.addresses[stack] = self.services.addresses.get(stack)
            self.metrics.managed.labels(self.config.provider).set(
                sum(1 for a in self.addresses.values() if a)
            )
            if converged is not None:
                for observer in self.on_converged:
                    observer(stack, converged)
            return converged
        secrets = self.informers.get("Secret")
        if isinstance(secrets, SecretWatches):  # watch what this group references before reading the cache
            secrets.track(
                stack, secrets_needed(self.stack_snapshot(stack).ingresses.values(), self.snapshot())
            )
        generations, snapshot = self._stack_view(stack)
        result = self._build(stack, generations, snapshot)
        outcome = result.groups.get(stack)
        related = [i for i in snapshot.ingresses.values() if self._stack_of(i) == stack]
        holders = [i for i in related if FINALIZER in i.finalizers]
        unparseable = [
            c for c in self._unparseable_ingresses() if stack_of_object(c.raw, self.config.provider) == stack
        ]
        for cached in unparseable:
            problem = cached.error.problem if cached.error else None
            if problem is not None:
                self._warn_raw(cached.raw, "InvalidIngress", f"{problem.field}: {problem.message}")

        if outcome is not None and outcome.failed:
            self._report(outcome, snapshot)
            log.info("group has errors; cloud left unchanged", extra={"key": stack})
            return None
        if outcome is None and unparseable:
            log.info("only unparseable Ingresses in group; cloud left unchanged", extra={"key": stack})
            return None

        if outcome is None:
            spec = empty_spec(self.config.provider, stack)
        else:
            assert outcome.spec is not None
            spec = outcome.spec
            self._report(outcome, snapshot)
            for member in spec.members:
                self._ensure_finalizer(snapshot.ingresses[member])

        inputs = StackInput.from_snapshot(spec, snapshot)
        self._converging(stack, inputs)
        converged = self.provider.converge(inputs)

        released = [
            i
            for i in holders
            if i.ref.key not in spec.members and (i.deleting or not self._claims(i) or spec.empty)
        ]
        if spec.empty and not converged.deleted:
            if any(getattr(e, "cleanup", False) for e in converged.errors):
                return converged  # the finalizers stay; the failures are reported and retried
            raise RuntimeError(f"the cloud resources of {stack} are not all deleted yet")
        for ingress in released:
            # in the same patch as the finalizer: after it the object may be gone, and a separate patch
            # before it would change the resourceVersion the finalizer patch is conditioned on
            self._remove_finalizer(ingress, self._status_changes(ingress, {}))
            if not ingress.deleting:
                self._set_address(ingress, None)
        for member in spec.members:
            ingress = snapshot.ingresses[member]
            if converged.annotations is not None:
                self._set_status_annotations(ingress, converged.annotations)
            self._set_address(ingress, converged.address, converged.extra_addresses)
            if converged.changes:
                self.events.record(
                    ingress.namespace,
                    ingress.name,
                    ingress.uid,
                    "Normal",
                    "SuccessfullyReconciled",
                    f"{len(converged.changes)} cloud change(s); address {converged.address}",
                )
            for warning in converged.warnings:
                self.events.record(
                    ingress.namespace, ingress.name, ingress.uid, "Warning", "TranslationWarning", warning
                )
        for reported in converged.object_status:
            self._set_object_status(reported)
        self.addresses[stack] = None if spec.empty else converged.address
        self.metrics.managed.labels(self.config.provider).set(sum(1 for a in self.addresses.values() if a))
        log.info(
            "reconciled",
            extra={"key": stack, "changes": len(converged.changes), "address": converged.address},
        )
        for observer in self.on_converged:
            observer(stack, converged)
        return converged

    def _report_failures(self, stack: str, failures: list[BaseException], delay: float) -> None:
        """A Warning Event per failure on every Ingress of the group (a member being deleted included):
        `FailedCleanup` for a resource of ours the cloud would not delete, `FailedDeployModel` for a rejection the
        user can fix (naming the field, else the cloud resource and request), `FailedReconcile` for the rest.
        Each says when lbctl retries; repeats only count up (the retry time is not part of the Event's identity)."""
        with self._secrets_lock:
            secrets = self._secrets.pop(stack, set())
        snapshot = self.stack_snapshot(stack)
        affected = [
            i
            for i in snapshot.ingresses.values()
            if self._stack_of(i) == stack and (self._claims(i) or FINALIZER in i.finalizers)
        ]
        retry = f"will retry in {_duration(delay)}"
        for err in failures:
            text = _safe(_redact(str(err), secrets))
            if isinstance(err, Fenced) or (isinstance(err, ApiException) and err.status == 409):
                log.info(
                    "reconcile interrupted; retrying", extra={"key": stack, "error": text, "retry_in": delay}
                )
                continue  # not a failure to report: a lost lease, or our cache one write behind (409)
            log.warning("reconcile failed; retrying", extra={"key": stack, "error": text, "retry_in": delay})
            if is_gateway_key(stack):
                reason, text = _failure(err, text, secrets)
                self.gateways.report(stack, text, reason, retry)
                continue
            if self.services is not None and is_service_stack(stack):
                fixable = isinstance(err, ProviderError) and err.user_fixable
                field = f"{err.field}: " if isinstance(err, ProviderError) and err.field else ""
                self.services.report(
                    stack, field + text, "FailedDeployModel" if fixable else "FailedReconcile", retry
                )
                continue
            if self.bindings is not None and is_binding_key(stack):
                fixable = isinstance(err, ProviderError) and err.user_fixable
                field = f"{err.field}: " if isinstance(err, ProviderError) and err.field else ""
                self.bindings.report(
                    stack, field + text, "FailedDeployModel" if fixable else "FailedReconcile", retry
                )
                continue
            reason, text = _failure(err, text, secrets)
            for ingress in affected:
                self.events.record(
                    ingress.namespace,
                    ingress.name,
                    ingress.uid,
                    "Warning",
                    reason,
                    f"{text} ({retry})",
                    series=text,
                )

    def _report(self, outcome: GroupOutcome, snapshot: ClusterSnapshot) -> None:
        for problem in outcome.problems:
            for ingress in _ingresses_named(problem, outcome, snapshot):
                event_type = "Warning"
                reason = "FailedBuildModel" if problem.severity == "error" else "BuildWarning"
                self.events.record(
                    ingress.namespace,
                    ingress.name,
                    ingress.uid,
                    event_type,
                    reason,
                    f"{problem.field}: {problem.message}",
                )

    def _report_unparseable(self, kind: str, cached: CachedObject) -> None:
        """A Gateway API object the model refuses: a Warning Event on it (it takes no part in any build)."""
        problem = cached.error.problem if cached.error else None
        if problem is None:
            return
        meta = cached.raw.get("metadata", {})
        self.events.record(
            meta.get("namespace", "default"),
            meta.get("name", ""),
            meta.get("uid", ""),
            "Warning",
            "InvalidObject",
            f"{problem.field}: {problem.message}",
            involved=(str(cached.raw.get("apiVersion", "")), kind),
        )

    def _warn_raw(self, raw: dict[str, Any], reason: str, message: str) -> None:
        meta = raw.get("metadata", {})
        self.events.record(
            meta.get("namespace", "default"),
            meta.get("name", ""),
            meta.get("uid", ""),
            "Warning",
            reason,
            message,
        )

    def _ensure_finalizer(self, ingress: Ingress) -> None:
        if FINALIZER in ingress.finalizers:
            return
        self.writer.set_finalizers(
            ingress.namespace, ingress.name, [*ingress.finalizers, FINALIZER], ingress.resource_version
        )

    def _remove_finalizer(self, ingress: Ingress, annotations: dict[str, str | None] | None = None) -> None:
        """Drop our finalizer (and, in the same patch, the given annotation changes)."""
        try:
            self.writer.set_finalizers(
                ingress.namespace,
                ingress.name,
                [f for f in ingress.finalizers if f != FINALIZER],
                ingress.resource_version,
                annotations,
            )
        except ApiException as err:
            if err.status != 404:
                raise

    def _set_status_annotations(self, ingress: Ingress, wanted: dict[str, str]) -> None:
        """Make this provider's status annotations on `ingress` exactly `wanted`: one patch of what differs from
        the cache, none when nothing does."""
        changes = self._status_changes(ingress, wanted)
        if not changes:
            return
        try:
            self.writer.set_annotations(ingress.namespace, ingress.name, changes)
        except ApiException as err:
            if err.status != 404:
                raise

    def _status_changes(self, ingress: Ingress, wanted: dict[str, str]) -> dict[str, str | None]:
        """This provider's status annotations that differ on `ingress` (by the cache) from `wanted`; None
        removes one."""
        cached = self.informers["Ingress"].get(ingress.ref.key)
        current = (
            (cached.raw.get("metadata") or {}).get("annotations") or {} if cached else ingress.annotations
        )
        changes: dict[str, str | None] = {
            key: wanted.get(key)
            for key in REGISTRY.status_keys(self.config.provider)
            if current.get(key) != wanted.get(key)
        }
        return changes

    def _set_object_status(self, reported: ObjectStatus) -> None:
        """Write the status the provider reports for a custom object, when it differs from the cached one (a
        merge patch of the status subresource; an object deleted meanwhile is left alone)."""
        kind = reported.kind
        informer = self.informers.get(kind.kind)
        cached = informer.get(f"{reported.namespace}/{reported.name}") if informer is not None else None
        have = cached.raw.get("status") or {} if cached is not None else {}
        if cached is None or have == dict(reported.status):
            return
        body = {**{k: None for k in have if k not in reported.status}, **reported.status}
        api = client.CustomObjectsApi(self.api_client)
        try:
            api.patch_namespaced_custom_object_status(
                kind.group,
                kind.version,
                reported.namespace,
                kind.plural,
                reported.name,
                {"status": body},
                _content_type="application/merge-patch+json",
            )
        except ApiException as err:
            if err.status != 404:
                raise

    def _set_address(self, ingress: Ingress, address: str | None, extra: Sequence[str] = ()) -> None:
        """The status addresses: the load balancer's, then `extra` (as LBC lists a frontend NLB's after it)."""
        cached = self.informers["Ingress"].get(ingress.ref.key)
        current = (
            (cached.raw.get("status") or {}).get("loadBalancer", {}).get("ingress") or [] if cached else []
        )
        wanted = [status_entry(x) for x in (address, *extra) if x] if address else []
        if _normalise_status(current) == wanted:
            return
        try:
            self.writer.set_address(ingress.namespace, ingress.name, address, extra)
        except ApiException as err:
            if err.status != 404:
                raise


def _service_of(ref: str | None) -> tuple[str, str] | None:
    """(namespace, name) of a "ns/name:port" backend reference; None when there is none (or it is invalid,
    which the model reports on each Ingress that needs it)."""
    if ref is None:
        return None
    try:
        namespace, name, _ = parse_backend_ref(ref)
    except ValueError:
        return None
    return namespace, name


def _normalise_status(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: v for k, v in e.items() if k in ("ip", "hostname") and v} for e in entries]


def _same_ingress(olds: tuple[Any, ...], news: tuple[Any, ...]) -> bool:
    """Nothing we read changed: only the resourceVersion, our own status annotations, or our own finalizer was
    added (by us, before the first cloud write; reconciling again for it would only repeat the discovery)."""
    status = {a.name for a in REGISTRY if a.status}

    def strip(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            dataclasses.replace(
                i,
                resource_version="",
                finalizers=tuple(f for f in i.finalizers if f != FINALIZER),
                annotations={k: v for k, v in i.annotations.items() if k not in status},
            )
            for i in items
        )

    if any(FINALIZER in o.finalizers for o in olds) and not all(FINALIZER in n.finalizers for n in news):
        return False  # our finalizer went away: look again

    return bool(olds) and bool(news) and strip(olds) == strip(news)


def _failure(err: BaseException, text: str, secrets: set[str]) -> tuple[str, str]:
    """The Event reason and message of a failed reconcile of an Ingress group or a Gateway:
    `FailedCleanup` for a resource of ours the cloud would not delete, `FailedDeployModel` for a rejection the
    user can fix (naming the field), `FailedReconcile` for the rest."""
    if isinstance(err, SpecError):  # a user-fixable problem found in the cloud (e.g. no subnets)
        return "FailedDeployModel", f"{err.problem.field}: {_safe(_redact(err.problem.message, secrets))}"
    if isinstance(err, ProviderError):
        reason = (
            ("FailedCleanup" if err.cleanup else "FailedDeployModel")
            if err.user_fixable
            else "FailedReconcile"
        )
        return reason, (f"{err.field}: " if err.field else "") + text
    return "FailedReconcile", text


def _same_lifecycle(old: CachedObject | None, new: CachedObject | None) -> bool:
    """What the parsed form of a Gateway API object does not carry did not change either: its deletion did
    not start, and our finalizer was not taken away (ours being added is our own write, before the first
    cloud write: reconciling again for it would only repeat the discovery)."""

    def lifecycle(cached: CachedObject | None) -> tuple[bool, bool]:
        meta = (cached.raw.get("metadata") or {}) if cached is not None else {}
        return bool(meta.get("deletionTimestamp")), FINALIZER in (meta.get("finalizers") or [])

    (was_deleting, was_held), (deleting, held) = lifecycle(old), lifecycle(new)
    return was_deleting == deleting and not (was_held and not held)


def _ingresses_named(problem: Problem, outcome: GroupOutcome, snapshot: ClusterSnapshot) -> list[Ingress]:
    """The Ingress a problem is about, or every member for a group-level problem."""
    if problem.object.startswith("Ingress "):
        key = problem.object.removeprefix("Ingress ")
        return [snapshot.ingresses[key]] if key in snapshot.ingresses else []
    return [snapshot.ingresses[m] for m in outcome.members if m in snapshot.ingresses]


def _secret_values(inputs: StackInput) -> set[str]:
    """What must never appear in an Event or log line about the stack: OIDC client secrets, private keys."""
    values = {v for secret in inputs.secrets.values() for v in secret.values()}
    values |= {m.private_key_pem.strip() for m in inputs.tls.values()}
    return {v for v in values if len(v) >= 4}


def _redact(text: str, secrets: set[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    return text


def _duration(seconds: float) -> str:
    """40s, 2m30s, 0.05s: how Kubernetes prints durations."""
    if seconds < 1:
        return f"{seconds:.2g}s"
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60}s" if whole >= 60 else f"{whole}s"


def _safe(err: BaseException | str) -> str:
    """An error message fit for logs and Events: one line, bounded, no PEM blocks."""
    text = " ".join(str(err).split())
    if "-----BEGIN" in text:
        text = text.split("-----BEGIN", 1)[0] + "[PEM data removed]"
    return text[:500]
