"""The AWS provider: ALB stacks converged through elbv2, ec2, acm and wafv2 (see providers/aws/README.md)."""

from __future__ import annotations

from typing import Any

from lbctl.cloudcalls import CallStats
from lbctl.model.matching import RouteResult
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import Check, ConvergeResult, ProviderConfig, StackInput

from . import alb_rules
from .apply import Reconciler
from .clients import AwsClients
from .describe import describe_stack
from .discover import discover, list_stacks
from .doctor import aws_checks
from .stack import DesiredListener
from .translate import translate


class AwsProvider:
    """Provider protocol for AWS Application Load Balancers.

    Options (`ProviderConfig.options`): `rate_limits` {operation prefix: calls/s}, `retry_attempts`,
    `retry_initial_wait`, `retry_max_wait`, `regex_hosts` (express `*.example.com` with ALB regex
    host conditions instead of a wildcard plus a warning), `delete_retry_seconds`, `aws_access_key_id`,
    `aws_secret_access_key`. Call counts go to `ProviderConfig.call_stats` when given (shared with the
    controller's metrics), else to the `stats` option, else to a CallStats of its own.
    """

    name = "aws"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        options = dict(config.options)
        stats = config.call_stats if config.call_stats is not None else options.get("stats")
        self.clients = AwsClients(config.region or "us-east-1", config.endpoint_url, options,
                                  stats if isinstance(stats, CallStats) else None)  # fmt: skip
        self.regex_hosts = bool(options.get("regex_hosts", False))
        self.delete_retry_seconds = float(options.get("delete_retry_seconds", 30.0))

    @property
    def stats(self) -> CallStats:
        return self.clients.stats

    def plan(self, stack: StackInput) -> ConvergeResult:
        """What converge would change, without any mutating call."""
        return self._run(stack, dry_run=True)

    def converge(self, stack: StackInput) -> ConvergeResult:
        """Make AWS match the spec; an empty spec deletes the stack (deleted=True once nothing is left)."""
        return self._run(stack, dry_run=False)

    def _run(self, stack: StackInput, dry_run: bool) -> ConvergeResult:
        spec = stack.spec
        before = self.stats.snapshot()
        reconciler = Reconciler(self.clients, self.config.cluster_name, self.config.vpc_id, dry_run,
                                self.delete_retry_seconds)  # fmt: skip
        current = discover(self.clients, self.config.cluster_name, spec.stack)
        result = ConvergeResult(spec.stack, None)
        if spec.empty:
            gone = reconciler.delete_stack(current)
            result.deleted = gone and not dry_run or current.empty
        else:
            desired = translate(spec, self.config.cluster_name, self.regex_hosts, stack.secrets)
            result.warnings.extend(desired.warnings)
            result.address = reconciler.converge(desired, current, stack)
        result.changes = reconciler.changes
        result.warnings.extend(reconciler.warnings)
        after = self.stats.snapshot()
        result.calls = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
        return result

    def list_stacks(self) -> list[str]:
        return list_stacks(self.clients, self.config.cluster_name)

    def doctor(self) -> list[Check]:
        """Credentials, region, subnet discovery, VPC and permissions (see providers.aws.doctor)."""
        return aws_checks(self.clients, self.config)

    def describe(self, stack: str) -> dict[str, Any]:
        """The stack as the AWS console shows it (see providers.aws.describe)."""
        return describe_stack(self.clients, self.config.cluster_name, stack, self.config.region or "us-east-1")

    def route(self, spec: LoadBalancerSpec, host: str, path: str) -> RouteResult:
        """Evaluate the translated ALB rules by priority, with ALB's own matching."""
        desired = translate(spec, self.config.cluster_name, self.regex_hosts, secrets=None, require_secrets=False)
        listener = _serving_listener(desired.listeners)
        if listener is None:
            return RouteResult(None, None, "no listener serves requests (every listener redirects)")
        for rule in sorted(listener.rules, key=lambda r: r.priority):
            if alb_rules.rule_matches(rule.conditions, host, path):
                spec_rule = spec.rules[rule.spec_index]
                return RouteResult(spec_rule, spec_rule.action,
                                   f"ALB rule priority {rule.priority} on {listener.protocol}:{listener.port} "
                                   f"({spec_rule.source})")  # fmt: skip
        if spec.default_action is not None:
            return RouteResult(None, spec.default_action, f"no ALB rule matched on {listener.protocol}:{listener.port}: "
                               "listener default action (default backend)")  # fmt: skip
        return RouteResult(None, None, f"no ALB rule matched on {listener.protocol}:{listener.port}: "
                           "listener default action fixed-response 404")  # fmt: skip


def _serving_listener(listeners: list[DesiredListener]) -> DesiredListener | None:
    return next((listener for listener in listeners if not listener.redirect_only), None)
