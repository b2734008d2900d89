"""The AWS provider: ALB stacks converged through elbv2, ec2, acm and wafv2 (see providers/aws/README.md)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lbctl.cloudcalls import CallStats
from lbctl.model.binding_spec import BindingSpec
from lbctl.model.matching import DEFAULT_PORTS, Request, RouteResult, normalise_host, status_number
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import BindingResult, Check, ConvergeResult, ProviderConfig, ServiceInput, StackInput

from . import alb_rules, bindings, nlb
from .apply import Applier
from .backend_sg import BackendView, instance_targets, merge_ranges, others, resolve_endpoints
from .binding_rules import RuleMemory
from .clients import AwsClients
from .describe import describe_stack
from .discover import ACM_TYPE, LB_TYPE, TG_TYPE, CurrentStack, discover, list_stacks, tagged_resources
from .doctor import aws_checks
from .frontend_nlb import ordered_with_frontend, plan_frontend, translate_frontend
from .naming import CLUSTER_TAG, STACK_TAG
from .plan import Plan, plan_stack, target_steps
from .settings import AwsSettings
from .translate import DesiredListener, DesiredStack, translate


class AwsProvider:
    """Provider protocol for AWS Application Load Balancers.

    Options (`ProviderConfig.options`): `region`, `vpc_id` (AwsSettings), `rate_limits` {operation prefix: calls/s}, `retry_attempts`,
    `retry_initial_wait`, `retry_max_wait`, `regex_hosts` (default true: express `*.example.com` with an
    ALB regex host condition; false: a wildcard, which also matches deeper names, plus a warning), `delete_retry_seconds`, `aws_access_key_id`,
    `aws_secret_access_key`. Call counts go to `ProviderConfig.call_stats` when given (shared with the
    controller's metrics), else to the `stats` option, else to a CallStats of its own.
    """

    name = "aws"
    clock = staticmethod(time.monotonic)

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        options = dict(config.options)
        stats = config.call_stats if config.call_stats is not None else options.get("stats")
        self.settings = AwsSettings.of(config)
        self.clients = AwsClients(
            self.settings.region,
            config.endpoint_url,
            options,
            stats if isinstance(stats, CallStats) else None,
        )
        self.regex_hosts = bool(options.get("regex_hosts", True))
        self.delete_retry_seconds = float(options.get("delete_retry_seconds", 30.0))
        self.discovery_ttl = float(options.get("discovery_ttl", 0) or 0)
        self.binding_scope = bindings.check_scope(str(options.get("binding_scope") or bindings.DEFAULT_SCOPE))
        self.binding_rules = RuleMemory()  # what each TargetGroupBinding wants on which security group
        self._kept: dict[str, _Kept] = {}
        # instance ID → (when, its network interfaces): nodes' ENIs change rarely, as the anchor assumes
        self._instances: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._needs: dict[str, dict[str, tuple[int, int]]] = {}  # stack → node SG → range it recorded
        self._kept_lock = threading.Lock()
        self.nlb_memory = nlb.NlbMemory(self.discovery_ttl, lambda: self.clock())

    @property
    def stats(self) -> CallStats:
        return self.clients.stats

    def plan(self, stack: StackInput) -> ConvergeResult:
        """What converge would change (translate + discover + plan), without any mutating call; `steps`
        holds every request with its body."""
        return self._run(stack, apply=False)

    def converge(self, stack: StackInput) -> ConvergeResult:
        """Make AWS match the spec; an empty spec deletes the stack (deleted=True once nothing is left)."""
        return self._run(stack, apply=True)

    def _run(self, stack: StackInput, apply: bool) -> ConvergeResult:
        """`_converge`, with a failed cloud call turned into the ProviderError saying what it means (raised
        outside the except block, so no traceback frame keeps a request body)."""
        try:
            return self._converge(stack, apply)
        except Exception as exc:
            error = self.clients.caller.provider_error(exc)
            if error is None or error is exc:
                raise
        raise error

    def plan_service(self, stack: ServiceInput) -> ConvergeResult:
        """What converging a Service's NLB would change, without any mutating call."""
        return self._service(stack, apply=False)

    def converge_service(self, stack: ServiceInput) -> ConvergeResult:
        """Make a Service's NLB match its spec; an empty spec deletes it (deleted=True once nothing is left)."""
        return self._service(stack, apply=True)

    def _service(self, stack: ServiceInput, apply: bool) -> ConvergeResult:
        before = self.stats.snapshot()
        try:
            result = nlb.run_service(
                self.clients,
                self.config.cluster_name,
                self.settings.vpc_id,
                stack,
                apply,
                self.delete_retry_seconds,
                self.nlb_memory,
                self.settings.enable_backend_sg,
            )
        except Exception as exc:
            error = self.clients.caller.provider_error(exc)
            if error is None or error is exc:
                raise
        else:
            result.calls = self._calls_since(before)
            return result
        if error.subject is None:
            error.subject = stack.spec.subject
        raise error

    def _translate(self, stack: StackInput) -> DesiredStack:
        desired = translate(
            stack.spec,
            self.config.cluster_name,
            self.regex_hosts,
            stack.secrets,
            tls=stack.tls,
            targets=stack.targets,
            backend_sg=self.settings.enable_backend_sg,
            known=stack.known,
        )
        desired.frontend_nlb = translate_frontend(stack.spec, self.config.cluster_name, desired.load_balancer)
        return desired

    def _converge(self, stack: StackInput, apply: bool) -> ConvergeResult:
        spec = stack.spec
        before = self.stats.snapshot()
        desired = None if spec.empty else self._translate(stack)  # once per reconcile
        if apply and desired is not None and self.discovery_ttl > 0:
            try:
                fast = self._targets_only(stack, desired)
            except BaseException:
                self._forget(spec.stack)
                raise
            if fast is not None:
                fast.calls = self._calls_since(before)
                return fast
        if apply:
            self._forget(spec.stack)
        current = discover(
            self.clients,
            self.config.cluster_name,
            spec.stack,
            desired,
            spec,
            self.settings.vpc_id,
            self._described_instances(),
        )
        if current.backend is not None and self.discovery_ttl > 0:
            now = self.clock()
            with self._kept_lock:
                for instance, interfaces in current.backend.instances.items():
                    self._instances.setdefault(instance, (now, interfaces))
        if current.backend is not None and current.backend.group is not None:
            with self._kept_lock:  # what this process converged lately counts even before AWS lists it
                for other, ranges in self._needs.items():
                    if other != spec.stack:
                        current.backend.others = merge_ranges(current.backend.others, ranges)
        planned = plan_stack(desired, current)
        front = plan_frontend(
            self.clients,
            self.config.cluster_name,
            spec,
            desired.frontend_nlb if desired is not None else None,
            current,
            planned,
        )
        steps = ordered_with_frontend(planned.steps, front.steps, deleting=desired is None)
        result = ConvergeResult(spec.stack, None)
        result.warnings.extend(desired.warnings if desired is not None else [])
        result.warnings.extend(planned.warnings + front.warnings)
        if not apply:
            result.steps = list(steps)
            result.changes = [step.change() for step in steps]
            result.address = planned.address if isinstance(planned.address, str) else None
            result.extra_addresses = [front.address] if isinstance(front.address, str) else []
            result.deleted = desired is None and current.empty
            result.calls = self._calls_since(before)
            return result
        applier = Applier(
            self.clients, spec, cleanup=desired is None, delete_retry_seconds=self.delete_retry_seconds
        )
        applier.run(steps)
        if applier.complete:
            self._remember_needs(spec.stack, planned.backend_needs)
        result.steps = list(applier.done)
        result.changes = applier.changes
        result.warnings.extend(applier.warnings)
        result.errors.extend(applier.failures)
        if desired is None:
            result.deleted = applier.complete or current.empty
            if applier.complete and self._backend_left_to_others_now_gone(spec.stack, current):
                again = self._converge(stack, apply)  # the shared backend group is this stack's to delete
                result.changes += again.changes
                result.steps += again.steps
                result.errors += again.errors
                result.warnings += again.warnings
        else:
            result.address = applier.resolve(planned.address)
            result.extra_addresses = [applier.resolve(front.address)] if front.address is not None else []
            clean = (
                not planned.warnings and not front.warnings and not applier.warnings and not applier.failures
            )
            if self.discovery_ttl > 0 and clean:  # (warnings: work left for a later converge)
                self._keep(stack, desired, current, planned, applier, result)
        result.calls = self._calls_since(before)
        return result

    def _backend_left_to_others_now_gone(self, stack: str, current: CurrentStack) -> bool:
        """A delete kept the cluster's shared backend security group because other stacks' load balancers were
        there when it looked; when those stacks were deleted at the same time, each saw the other's and none
        would delete the group. Looked at again (one read): whether no other load balancer is left now."""
        view = current.backend
        if view is None or view.group is None or view.partial or not view.other_load_balancers:
            return False
        fresh = BackendView()
        others(self.clients, self.config.cluster_name, stack, fresh)
        return fresh.other_load_balancers == 0

    def _calls_since(self, before: dict[str, int]) -> dict[str, int]:
        after = self.stats.snapshot()
        return {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}

    # ----------------------------------------------------------------- kept converges

    def _forget(self, stack: str) -> None:
        with self._kept_lock:
            self._kept.pop(stack, None)

    def _keep(
        self,
        stack: StackInput,
        desired: DesiredStack,
        current: CurrentStack,
        planned: Plan,
        applier: Applier,
        result: ConvergeResult,
    ) -> None:
        """After a full converge: what it left, so that a converge with the same spec needs one read."""
        if applier.done:
            resources = self._tagged(stack.spec.stack)  # what the existence check will compare with
        else:
            resources = {r["LoadBalancerArn"]: r["Tags"] for r in current.load_balancers}
            resources |= {r["TargetGroupArn"]: r["Tags"] for r in current.target_groups}
            resources |= {r["CertificateArn"]: r["Tags"] for r in current.certificates}
        groups = {key: applier.resolve(arn) for key, arn in planned.target_groups.items()}
        registered = {key: set(desired.targets.get(key, set())) for key in desired.target_groups}
        known = {pair for key in desired.target_groups for pair in desired.targets.get(key, set())}
        kept = _Kept(
            self.clock(),
            _fingerprint(desired, stack),
            resources,
            groups,
            registered,
            result.address,
            list(result.warnings),
            known,
            dict(current.backend.endpoint_groups) if current.backend is not None else {},
            dict(planned.backend_needs),
            dict(current.backend.instances) if current.backend is not None else {},
            list(result.extra_addresses),
        )
        with self._kept_lock:
            self._kept[stack.spec.stack] = kept

    def _tagged(self, stack: str) -> dict[str, dict[str, str]]:
        filters = [
            {"Key": CLUSTER_TAG, "Values": [self.config.cluster_name]},
            {"Key": STACK_TAG, "Values": [stack]},
        ]
        return tagged_resources(self.clients, filters, [LB_TYPE, TG_TYPE, ACM_TYPE])

    def _targets_only(self, stack: StackInput, desired: DesiredStack) -> ConvergeResult | None:
        """When the spec is what the last full converge (within `discovery_ttl`) made, and AWS still lists
        exactly the resources it left with the same tags (one GetResources), only targets can differ:
        register and deregister the difference. None: a full converge is needed."""
        spec = stack.spec
        with self._kept_lock:
            kept = self._kept.get(spec.stack)
        if kept is None or self.clock() - kept.at >= self.discovery_ttl:
            return None
        if _fingerprint(desired, stack) != kept.fingerprint or set(desired.target_groups) != set(
            kept.target_groups
        ):
            return None
        if desired.backend is not None and not self._opened_for(desired, kept):
            return None  # a new target's security group is not open to the backend group for its port
        if self._tagged(spec.stack) != kept.resources:
            return None  # something of ours went away, appeared or was retagged: look at everything
        result = ConvergeResult(
            spec.stack, kept.address, warnings=list(kept.warnings), extra_addresses=list(kept.extra_addresses)
        )
        applier = Applier(self.clients, spec)
        for key, want in desired.target_groups.items():
            wanted = desired.targets.get(key, set())
            applier.run(target_steps(want.name, kept.target_groups[key], kept.registered[key], wanted))
            kept.registered[key] = set(wanted)
        result.steps = list(applier.done)
        result.changes = applier.changes
        return result

    def _remember_needs(self, stack: str, needs: dict[str, dict[str, tuple[int, int]]]) -> None:
        """The ranges a stack's target groups now record: the tagging index lists a new target group some
        time after its creation, and another stack's converge must not narrow a rule this one needs."""
        merged: dict[str, tuple[int, int]] = {}
        for ranges in needs.values():
            merged = merge_ranges(merged, ranges)
        with self._kept_lock:
            if merged:
                self._needs[stack] = merged
            else:
                self._needs.pop(stack, None)

    def _described_instances(self) -> dict[str, list[dict[str, Any]]]:
        """Instances described within the discovery TTL (their interfaces), shared by every stack."""
        if self.discovery_ttl <= 0:
            return {}
        now = self.clock()
        with self._kept_lock:
            for instance in [i for i, (at, _) in self._instances.items() if now - at >= self.discovery_ttl]:
                del self._instances[instance]
            return {instance: interfaces for instance, (_, interfaces) in self._instances.items()}

    def _opened_for(self, desired: DesiredStack, kept: _Kept) -> bool:
        """Whether the node rules of the last full converge already let the backend group reach every new
        target (its ENI's security group, looked up once, within the range its target group recorded)."""
        new = {key: wanted - kept.known for key, wanted in desired.targets.items()}
        unknown = sorted({target for pairs in new.values() for target, _ in pairs} - set(kept.endpoints))
        if unknown:
            found, unresolved = resolve_endpoints(
                self.clients,
                self.config.cluster_name,
                unknown,
                instance_targets(desired.target_groups, new),
                desired.target_instances,
                self.settings.vpc_id,
                kept.instances,
            )
            if unresolved:
                return False
            kept.endpoints.update(found)
        for key, pairs in new.items():
            opened = kept.opened.get(key, {})
            for target, port in pairs:
                low, high = opened.get(kept.endpoints[target], (1, 0))
                if not low <= port <= high:
                    return False
        for pairs in new.values():
            kept.known |= pairs
        return True

    # ----------------------------------------------------------------- TargetGroupBindings

    def plan_binding(self, binding: BindingSpec) -> BindingResult:
        """The RegisterTargets / DeregisterTargets a converge of `binding` would make (reads only)."""
        return self._binding(binding, apply=False)

    def converge_binding(
        self, binding: BindingSpec, on_register: Callable[[frozenset[tuple[str, int]]], None] | None = None
    ) -> BindingResult:
        """Register the binding's targets into its target group and deregister the rest it answers for
        (deleting: all it answers for). The target group itself is never modified."""
        return self._binding(binding, apply=True, on_register=on_register)

    def _binding(
        self,
        binding: BindingSpec,
        apply: bool,
        on_register: Callable[[frozenset[tuple[str, int]]], None] | None = None,
    ) -> BindingResult:
        before = self.stats.snapshot()
        namespace = binding.key.split("/", 1)[0]
        try:
            result = bindings.converge(
                self.clients,
                binding,
                namespace,
                self.binding_scope,
                apply,
                on_register,
                cluster=self.config.cluster_name,
                vpc_id=self.settings.vpc_id,
                memory=self.binding_rules,
            )
        except Exception as exc:
            error = self.clients.caller.provider_error(exc)
            if error is None or error is exc:
                raise
        else:
            result.calls = self._calls_since(before)
            return result
        if error.subject is None:
            error.subject = binding.subject
        raise error

    def list_stacks(self) -> list[str]:
        return list_stacks(self.clients, self.config.cluster_name)

    def doctor(self) -> list[Check]:
        """Credentials, region, subnet discovery, VPC and permissions (see providers.aws.doctor)."""
        return aws_checks(self.clients, self.config)

    def describe(self, stack: str) -> dict[str, Any]:
        """The stack as the AWS console shows it (see providers.aws.describe)."""
        return describe_stack(self.clients, self.config.cluster_name, stack, self.settings.region)

    def route(self, spec: LoadBalancerSpec, request: Request) -> RouteResult:
        """Evaluate the translated ALB rules of the listener the request arrives on by priority, with ALB's
        own matching; redirects answer with their Location, rewrites show what the targets receive."""
        desired = translate(
            spec, self.config.cluster_name, self.regex_hosts, secrets=None, require_secrets=False
        )
        listener, refused = _arrival_listener(desired.listeners, request)
        if listener is None:
            why = refused or "no listener serves requests (every listener redirects)"
            return RouteResult(None, None, why, refused=refused)
        where = f"{listener.protocol}:{listener.port}"
        for rule in sorted(listener.rules, key=lambda r: r.priority):
            if alb_rules.rule_matches(rule.conditions, request):
                spec_rule = spec.rules[rule.spec_index]
                reason = f"ALB rule priority {rule.priority} on {where} ({spec_rule.source})"
                return _answer(
                    rule.actions, rule.transforms, spec_rule, spec_rule.action, reason, request, listener
                )
        if spec.default_action is not None or listener.redirect_only:
            reason = f"no ALB rule matched on {where}: listener default action" + (
                "" if listener.redirect_only else " (default backend)"
            )
            return _answer(listener.default_actions, [], None, spec.default_action, reason, request, listener)
        return RouteResult(
            None,
            None,
            f"no ALB rule matched on {where}: listener default action fixed-response 404",
            status=404,
        )


def _arrival_listener(
    listeners: list[DesiredListener], request: Request
) -> tuple[DesiredListener | None, str | None]:
    """The listener a request arrives on: the one on its port (the scheme's by default) speaking its scheme;
    with neither given, the first that serves requests. (None, why) when there is none."""
    if request.port is None and request.scheme is None:
        return _serving_listener(listeners), None
    port = request.port or DEFAULT_PORTS.get(request.scheme or "http", 80)
    listener = next((x for x in listeners if x.port == port), None)
    if listener is None:
        return None, f"no ALB listener on port {port}: the connection is refused"
    if request.scheme is not None and listener.protocol.lower() != request.scheme.lower():
        return None, f"the ALB listener on port {port} is {listener.protocol}, not {request.scheme.upper()}"
    return listener, None


def _answer(
    actions: list[dict[str, Any]],
    transforms: list[dict[str, Any]],
    spec_rule: Any,
    spec_action: Any,
    reason: str,
    request: Request,
    listener: DesiredListener,
) -> RouteResult:
    """The ALB answer of a rule's (or the listener's) final action."""
    final = actions[-1]
    if final["Type"] == "redirect":
        config = final["RedirectConfig"]
        location = alb_rules.redirect_location(config, request, listener.protocol, listener.port)
        status = status_number(config["StatusCode"])
        return RouteResult(spec_rule, spec_action, reason, status=status, location=location)
    if final["Type"] == "fixed-response":
        status = status_number(final["FixedResponseConfig"]["StatusCode"])
        return RouteResult(spec_rule, spec_action, reason, status=status)
    host, path = normalise_host(request.host), request.bare_path
    new_host, new_path = alb_rules.rewritten(transforms, host, path)
    rewrites = [f"host {new_host}"] if new_host != host else []
    rewrites += [f"path {new_path}"] if new_path != path else []
    if rewrites:
        reason += f", rewritten to {' and '.join(rewrites)}"
    return RouteResult(spec_rule, spec_action, reason, backend_host=new_host, backend_path=new_path)


@dataclass
class _Kept:
    """What a full converge of one stack left: checked by one GetResources before it is trusted."""

    at: float
    fingerprint: str  # of the desired stack
    resources: dict[str, dict[str, str]]  # ARN → tags, as GetResources lists the stack
    target_groups: dict[str, str]  # backend key → ARN
    registered: dict[str, set[tuple[str, int]]] = field(default_factory=dict)  # backend key → targets
    address: str | None = None
    warnings: list[str] = field(default_factory=list)
    known: set[tuple[str, int]] = field(default_factory=set)  # targets whose security groups were opened
    endpoints: dict[str, str] = field(default_factory=dict)  # target ID → the node/pod SG it is reached in
    opened: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # backend key → SG → range
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # instance → its interfaces
    extra_addresses: list[str] = field(default_factory=list)  # the frontend NLB's DNS name


def _fingerprint(desired: DesiredStack, stack: StackInput) -> str:
    """Of the desired stack (its repr hides secrets, so the secret values are hashed too: a rotated client
    secret or key is a different stack). Kept in memory only."""
    digest = hashlib.sha256(repr(desired).encode())
    for ref, values in sorted(stack.secrets.items()):
        digest.update(repr((ref, sorted(values.items()))).encode())
    for ref, material in sorted(stack.tls.items()):
        digest.update(
            repr((ref, material.certificate_pem, material.private_key_pem, material.chain_pem)).encode()
        )
    return digest.hexdigest()


def _serving_listener(listeners: list[DesiredListener]) -> DesiredListener | None:
    return next((listener for listener in listeners if not listener.redirect_only), None)
