"""The GCP provider, one stack at a time: translate (Desired) → discover (Current) → plan (Steps) → apply
(one executor per resource kind). `plan` stops before apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lbctl.cloudcalls import CallStats, CloudCaller, note
from lbctl.model.matching import Request, RouteResult, normalise_host, select_listener, status_number
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import (
    Check,
    ConvergeResult,
    ProviderConfig,
    ProviderError,
    ServiceInput,
    StackInput,
    Step,
)

from .apply import run
from .apply.firewalls import FirewallXpnError
from .cache import DiscoveryCache
from .clients import (
    NOT_USER_FIXABLE_REASONS,
    QUOTA_REASONS,
    Compute,
    classify_gcp_error,
    describe_gcp_error,
    is_quota_error,
    scope_args,
    target,
    to_dict,
)
from .describe import describe_stack
from .discover import Current, Inventory, Key, cluster_inventory, discover, list_cluster, must_exist
from .doctor import gcp_checks
from .l4 import l4_context
from .l4_translate import translate_l4
from .managed import earlier_certificates, report
from .negs import translate_standalone_negs
from .plan import plan
from .regional import regional_context
from .status import backend_health, status_annotations
from .translate import (
    PRE_SHARED,
    SSL_POLICY,
    STATIC_IP,
    Context,
    Desired,
    spec_url_map,
    translate,
)
from .urlmap import UrlMapTranslation
from .urlmap_route import evaluate_request

Prepared = tuple[Inventory, Desired, Current, list[Step]]
XPN_WARNING = "frontend.firewall_error_as_warning"  # the spec attribute whose field the XPN error names


class GcpProvider:
    """Google Cloud external HTTP(S) load balancer per stack. Clients are made on first use, so
    `route` works without a project or endpoint.

    Option `discovery_ttl` (seconds, default 0): keep what discovery found across converges, updated
    with our own writes, and discover everything afresh after that long or on any doubt (see
    providers.gcp.cache). The controller turns it on; one-shot commands and tests see the cloud afresh.
    """

    name = "gcp"

    def __init__(self, config: ProviderConfig, stats: CallStats | None = None) -> None:
        self.config = config
        self.options: dict[str, Any] = dict(config.options or {})
        self.project: str | None = self.options.get("project") or None  # option --gcp-project
        self.caller = CloudCaller(
            classify_gcp_error,
            rate_limits=self.options.get("rate_limits"),
            attempts=int(self.options.get("retry_attempts", 8)),
            initial_wait=float(self.options.get("retry_initial_wait", 0.2)),
            max_wait=float(self.options.get("retry_max_wait", 20.0)),
            stats=stats if stats is not None else config.call_stats,
            describe=describe_gcp_error,
            cloud="Google Cloud",
            not_user_fixable=NOT_USER_FIXABLE_REASONS,
            user_fixable=frozenset(QUOTA_REASONS),
        )
        self._compute: Compute | None = None
        self._zones: list[str] | None = None
        self.cache = DiscoveryCache(float(self.options.get("discovery_ttl", 0) or 0))
        self._known_health: dict[str, dict[str, str]] = {}  # stack → backend service → state, as last read

    @property
    def stats(self) -> CallStats:
        return self.caller.stats

    @property
    def compute(self) -> Compute:
        if self._compute is None:
            if not self.project:
                raise ProviderError("no Google Cloud project configured (--gcp-project)", user_fixable=True)
            self._compute = Compute(
                self.project,
                self.config.endpoint_url,
                self.caller,
                credentials=self.options.get("credentials"),
                op_timeout=float(self.options.get("operation_timeout", 300.0)),
                network_project=self.options.get("network_project") or None,
            )
        return self._compute

    def _context(self) -> Context:
        return Context(
            self.config.cluster_name,
            self.project or "",
            str(self.options.get("network", "default")),
            network_project=self.options.get("network_project") or None,
        )

    def zones(self) -> list[str]:
        if self._zones is None:
            configured = self.options.get("zones")
            self._zones = list(configured) if configured else self.compute.zones()
        return self._zones

    # --- protocol ---------------------------------------------------------------------------------

    def plan(self, stack: StackInput) -> ConvergeResult:
        """translate + discover + plan: `steps` with their request bodies, `changes` their summaries."""
        return self._plan(stack)

    def converge(self, stack: StackInput) -> ConvergeResult:
        return self._converge(stack)

    def plan_service(self, stack: ServiceInput) -> ConvergeResult:
        """What converging a Service's passthrough load balancer would change, without any mutating call."""
        return self._plan(stack, self._prepare_service)

    def converge_service(self, stack: ServiceInput) -> ConvergeResult:
        """Make a Service's passthrough load balancer match its spec; an empty spec deletes it."""
        return self._converge(stack, self._prepare_service)

    def list_stacks(self) -> list[str]:
        inventory = list_cluster(self.compute, self.config.cluster_name, self.zones())
        if self.cache.ttl > 0:
            self.cache.store(inventory)  # the controller lists stacks at start: every converge after uses it
        return inventory.stacks()

    def invalidate_cache(self) -> None:
        """Forget what discovery found: the next converge reads the cloud (and the backends' health) afresh."""
        self.cache.invalidate()

    def doctor(self) -> list[Check]:
        """Project, zones, static IPs and read access (see providers.gcp.doctor)."""
        return gcp_checks(self)

    def describe(self, stack: str) -> dict[str, Any]:
        """The stack as the Google Cloud console shows it (see providers.gcp.describe)."""
        inventory = list_cluster(self.compute, self.config.cluster_name, self.zones())
        return describe_stack(self.compute, inventory, stack)

    def route(self, spec: LoadBalancerSpec, request: Request) -> RouteResult:
        """The forwarding rule the request arrives on (HTTP:80 may answer with the HTTPS redirect URL map),
        then its URL map evaluated the way GCLB does (managed routing: the URL map of that listener)."""
        listener, refused = select_listener(spec.frontend.listeners, request)
        if refused is not None:
            return RouteResult(None, None, "GCLB: " + refused, refused=refused)
        if listener is not None and listener.redirect_to_https_port is not None:
            query = request.query_string()  # httpsRedirect keeps host, path and query
            location = f"https://{normalise_host(request.host)}{request.bare_path}" + (
                f"?{query}" if query else ""
            )
            code = status_number(listener.redirect_code or "MOVED_PERMANENTLY_DEFAULT")
            reason = (
                f"GCLB: HTTP forwarding rule → redirect URL map (httpsRedirect, {listener.redirect_code})"
            )
            return RouteResult(None, None, reason, status=code, location=location)
        port = listener.port if listener is not None else None
        translation = spec_url_map(spec, self.config.cluster_name, port)
        if translation is None:
            if spec.frontend.managed_routing:
                why = f"no listener on port {port}: the connection is refused"
                return RouteResult(None, None, "GCLB: " + why, refused=why)
            return RouteResult(None, None, "GCLB: no URL map (no default backend): 404", status=404)
        return evaluate_request(translation, request, listener.protocol if listener else None)

    # --- helpers ----------------------------------------------------------------------------------

    def translate_url_map(self, spec: LoadBalancerSpec) -> UrlMapTranslation | None:
        """The URL map of a spec (no cloud calls), or None when it has no default backend."""
        return spec_url_map(spec, self.config.cluster_name)

    def desired(self, stack: StackInput, keep_managed: dict[str, list[str]] | None = None) -> Desired:
        """Translate, with the cloud-side lookups it needs first: the static IP (its address goes into the
        forwarding rules), and that pre-shared certificates and the SSL policy exist; `keep_managed`: the
        earlier managed certificates still serving (providers.gcp.managed)."""
        ctx = self._context()
        ctx.keep_managed = keep_managed or {}
        spec = stack.spec
        if not spec.empty:
            if spec.frontend.regional:
                regional_context(self, ctx, spec)
            ctx.static_ip = self._static_ip(spec.frontend.static_ip_name, spec.field_of(STATIC_IP), ctx)
            for listener in spec.frontend.listeners:
                for cert in listener.certificates:
                    if cert.kind == "pre-shared":
                        self._must_exist(
                            "sslCertificates",
                            "ssl_certificate",
                            cert.ref,
                            f"pre-shared certificate {cert.ref!r} not found"
                            + (f" in region {ctx.region}" if ctx.region else ""),
                            spec.field_of(PRE_SHARED),
                            ctx.where("sslCertificates"),
                        )
                if listener.ssl_policy:
                    self._must_exist(
                        "sslPolicies",
                        "ssl_policy",
                        listener.ssl_policy,
                        f"SSL policy {listener.ssl_policy!r} not found",
                        spec.field_of(SSL_POLICY),
                    )
        return translate(stack, ctx)

    def _static_ip(self, name: str | None, field: str, ctx: Context) -> str | None:
        if not name:
            return None
        where = f"--region={ctx.region}" if ctx.region else "--global"
        if ctx.scheme == "INTERNAL_MANAGED":
            where += f" --subnet={ctx.subnetwork} --purpose=SHARED_LOADBALANCER_VIP"
        kind = "regional" if ctx.region else "global"
        body = self._must_exist(
            "addresses",
            "address",
            name,
            f"{kind} static IP {name!r} not found: reserve it with 'gcloud compute addresses create {name} {where}'",
            field,
            ctx.where("addresses"),
        )
        return str(body.get("address"))

    def _must_exist(
        self, collection: str, arg: str, name: str, message: str, field: str, where: str | None = None
    ) -> dict[str, Any]:
        return must_exist(self.compute, self.cache, collection, arg, name, message, field, where)

    def _inventory(self) -> Inventory:
        """The cluster's inventory: kept (fresh) or discovered now; one discovery at a time."""
        return cluster_inventory(self.compute, self.cache, self.config.cluster_name, self.zones())

    def _prepare(self, stack: StackInput) -> tuple[Inventory, Desired, Current, list[Step]]:
        """translate + discover + plan: everything but applying."""
        spec = stack.spec
        cluster = self._inventory()  # first: a discovery drops kept lookups, translation then keeps its own
        desired = self.desired(
            stack, earlier_certificates(self.compute, cluster, self.config.cluster_name, spec)
        )
        current = discover(self.compute, self.cache, cluster, desired)
        return cluster, desired, current, plan(desired, current)

    def _prepare_service(self, stack: ServiceInput) -> tuple[Inventory, Desired, Current, list[Step]]:
        """The L4 pipeline's translate + discover + plan (providers.gcp.l4, l4_translate)."""
        cluster = self._inventory()
        spec = stack.spec
        ctx = self._context()
        if spec.load_balancer or spec.empty:
            desired = translate_l4(stack, l4_context(self, ctx, stack))
        else:
            desired = Desired(spec.stack)
        negs, warnings, desired.service_status = translate_standalone_negs(stack, ctx)
        desired.resources += negs
        desired.warnings += warnings
        current = discover(self.compute, self.cache, cluster, desired)
        return cluster, desired, current, plan(desired, current)

    def _plan(self, stack: Any, prepare: Callable[[Any], Prepared] | None = None) -> ConvergeResult:
        before = self.stats.snapshot()
        spec = stack.spec
        result = ConvergeResult(stack=spec.stack, address=None)
        try:
            _, desired, current, steps = (prepare or self._prepare)(stack)
            result.warnings = list(desired.warnings)
            result.steps = list(steps)
            result.changes = [s.change() for s in steps]
            result.address = self._address(desired, current, steps, applied=False)
            result.deleted = spec.empty and not current.mine
        finally:
            result.calls = self._calls_since(before)
        return result

    def _converge(self, stack: Any, prepare: Callable[[Any], Prepared] | None = None) -> ConvergeResult:
        """Converge a stack: an Ingress's (StackInput) or, with `prepare` the L4 one, a Service's."""
        before = self.stats.snapshot()
        spec = stack.spec
        l4 = prepare is not None
        result = ConvergeResult(stack=spec.stack, address=None)
        try:
            refreshed = not self.cache.fresh()  # this converge discovers the cloud afresh
            _, desired, current, steps = (prepare or self._prepare)(stack)
            result.warnings = list(desired.warnings)
            blocked: list[
                Step
            ] = []  # deletes refused for a reason the user must fix, and what waits for them
            waiting: list[str] = []
            for step in steps:
                if spec.empty and any(_uses(current, b, step) for b in blocked):
                    blocked.append(step)  # still used by a resource that could not be deleted
                    waiting.append(f"{step.change().kind} {step.name}")
                    continue
                if spec.empty:
                    error = self._run_cleanup(step)
                    if error is not None:
                        result.errors.append(error)
                        blocked.append(step)
                        continue
                elif (refused := self._try(step)) is not None:
                    if l4 or not isinstance(refused, FirewallXpnError):
                        raise refused
                    where = spec.field_of(XPN_WARNING)
                    if not spec.frontend.firewall_error_as_warning:
                        refused.field = where
                        refused.args = (
                            f"{refused}; or set the annotation to 'true' to converge without the rule",
                        )
                        raise refused
                    result.warnings.append(str(refused))  # as asked: the rest converges without the rule
                    continue
                result.steps.append(step)
                result.changes.append(step.change())
            if waiting:
                last = result.errors[-1]
                last.args = (f"{last} (waiting for it: {', '.join(waiting)})",)
            if not blocked:
                for step in self._released_shared(desired, current, steps):
                    if not spec.empty:
                        self._run(step)
                    elif (error := self._run_cleanup(step)) is not None:
                        result.errors.append(error)
                        blocked.append(step)
                        continue
                    result.steps.append(step)
                    result.changes.append(step.change())
            result.address = self._address(desired, current, steps, applied=True)
            result.deleted = spec.empty and not blocked
            if not l4:
                health = self._health(desired, bool(result.steps), refreshed)
                result.annotations = status_annotations(desired, health)
            else:  # a Service's: its standalone NEGs (none: a stale one is removed)
                result.annotations = dict(desired.service_status)
            if desired.managed and not spec.empty:
                result.object_status, changing = report(self.compute, desired)
                if changing:
                    result.requeue_after = float(self.options.get("certificate_poll_seconds", 60.0))
        finally:
            result.calls = self._calls_since(before)
        return result

    def _health(self, desired: Desired, wrote: bool, refreshed: bool) -> dict[str, str]:
        """The backends' health for the status annotation: read (a getHealth per backend service and group)
        whenever discovery read the cloud afresh (every converge without `discovery_ttl`, else once per ttl
        or after any doubt), after a write, and while any backend was not HEALTHY when last read; otherwise
        what was read then, so a steady stack's no-op converge within the ttl makes no call."""
        known = None if refreshed else self._known_health.get(desired.stack)
        names = {w.name for w in desired.resources if w.collection == "backendServices"}
        if not names:
            self._known_health.pop(desired.stack, None)
            return {}
        if wrote or known is None or set(known) != names or any(s != "HEALTHY" for s in known.values()):
            known = self._known_health[desired.stack] = backend_health(self.compute, desired)
        return known

    def _calls_since(self, before: dict[str, int]) -> dict[str, int]:
        after = self.stats.snapshot()
        return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}

    def _released_shared(self, desired: Desired, planned: Current, done: list[Step]) -> list[Step]:
        """Deletes of shared instance groups that no stack uses any more, planned again after this stack deleted
        backend services. The plan kept a group another stack used when it began; when two stacks are deleted
        at once each sees the other's backend service then, so neither would delete it. Looked at again after
        our own deletes, the later of the two finds the group unused (the cloud refuses a delete of a group
        still in use, which counts as done)."""
        wanted = desired.by_key()
        deleted = {_key(s) for s in done if s.action == "delete"}
        kept = {
            k for k in planned.shared if k[0] == "instanceGroups" and k not in wanted and k not in deleted
        }
        if not kept or not any(k[0] == "backendServices" for k in deleted):
            return []
        fresh = discover(self.compute, self.cache, self._inventory(), desired)  # as the other workers left it
        return [s for s in plan(desired, fresh) if s.action == "delete" and _key(s) in kept]

    def _run(self, step: Step) -> None:
        """Apply one step; a failure becomes the ProviderError saying what it means (raised outside the except
        block, so no traceback frame keeps a request body such as a certificate's private key)."""
        error = self._try(step)
        if error is not None:
            raise error

    def _run_cleanup(self, step: Step) -> ProviderError | None:
        """A step of deleting the whole stack: a rejection the user must fix is returned (to report, and to go
        on with what does not depend on it); anything else raises."""
        error = self._try(step)
        if error is None:
            return None
        if not error.user_fixable:
            raise error
        kind = step.change().kind
        why = str(error).replace(f" for {kind} {step.name}", "")
        return ProviderError(
            f"{kind} {step.name} could not be deleted: {why}; remove what still uses it (something "
            "lbctl does not own) or fix what the cloud reports, or delete it by hand. The finalizer "
            "stays until it is gone",
            user_fixable=True,
            cleanup=True,
        )

    def _try(self, step: Step) -> ProviderError | None:
        try:
            as_planned = run(self.compute, step)
        except Exception as exc:
            self.cache.invalidate()  # whatever happened in the cloud, we no longer know it
            note(exc, resource=f"{step.kind} {step.name}", operation=step.operation, field=step.field)
            error = self.caller.provider_error(exc)
            if error is None:
                raise
            if error.user_fixable and is_quota_error(exc):
                error.args = (f"{error}; raise the quota or remove unused load balancers",)
            return error
        except BaseException:
            self.cache.invalidate()
            raise
        if as_planned:
            self.cache.remember(step)
        else:
            self.cache.invalidate()
        return None

    def _address(self, desired: Desired, current: Current, steps: list[Step], applied: bool) -> str | None:
        rules = [w for w in desired.resources if w.collection == "forwardingRules"]
        if not rules:
            return None
        if rules[0].body.get("IPAddress"):
            return str(rules[0].body["IPAddress"])
        key: Key = rules[0].key
        existing = current.get(key) or self.cache.get(key)
        if existing is not None and existing.body.get("IPAddress"):
            return str(existing.body["IPAddress"])
        if existing is not None and not any(_key(s) == key for s in steps if s.action == "create"):
            return None  # as discovery found it: without an address
        if not applied:
            return None
        body = to_dict(
            self.compute.call(
                "forwardingRules", "get", forwarding_rule=rules[0].name, **scope_args(rules[0].zone)
            )
        )
        self.cache.put_body(key, body)
        return str(body["IPAddress"])


def _key(step: Step) -> Key:
    """The (collection, zone, name) of the resource a step acts on."""
    return (target(step)[0], step.where or "", step.name)


def _uses(current: Current, holder: Step, step: Step) -> bool:
    """Whether the resource `holder` (still there) refers to the one `step` deletes."""
    existing = current.get(_key(holder))
    if step.action != "delete" or existing is None:
        return False
    collection = target(step)[0]
    where = "/global/"
    if step.where:
        where = f"/{step.where}/" if step.where.startswith("regions/") else f"/zones/{step.where}/"
    return f'{where}{collection}/{step.name}"' in json.dumps(existing.body)
