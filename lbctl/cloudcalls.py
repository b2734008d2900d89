"""The one place every cloud API call goes through: retries with jittered exponential backoff on
throttling and server errors (tenacity), per-operation client-side rate limits, and call counts
by service, operation and outcome (fed to metrics, plan/apply output and the benchmark)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from lbctl.provider import ProviderError

T = TypeVar("T")

# Verbs that only read (the first word of an AWS operation or of a Compute method). Every other verb
# mutates, so an operation nobody classified is fenced and counted as a write, never let through as a read.
READ_ONLY_VERBS = frozenset(
    {
        "Describe",
        "Get",
        "List",
        "Search",
        "Simulate",
        "Check",  # AWS
        "get",
        "list",
        "aggregated",
        "wait",
        "test",
        "validate",  # Compute (aggregatedList, testIamPermissions)
    }
)


# Creates that make a second resource when repeated (ELB names are not checked by every backend; rules,
# imported certificates and permissions are never deduplicated): not retried blindly when the first
# attempt may have been applied.
NOT_IDEMPOTENT_PREFIXES = ("Create", "Import", "Request", "Authorize")
# Failures after the request was sent: it may have been applied, only the response is missing.
AMBIGUOUS_ERRORS = frozenset(
    {
        "ReadTimeoutError",
        "ReadTimeout",
        "ConnectionClosedError",
        "IncompleteRead",
        "RemoteDisconnected",
        "ResponseStreamingError",
    }
)


def maybe_applied(exc: BaseException) -> bool:
    """The call may have taken effect although it failed (read timeout, connection closed mid-response)."""
    return any(cls.__name__ in AMBIGUOUS_ERRORS for cls in type(exc).__mro__)


def is_mutating(operation: str) -> bool:
    """`CreateRule` (AWS) or `urlMaps.insert` (Compute: the method after the collection) changes the cloud;
    `DescribeRules`, `urlMaps.get`, `instanceGroups.listInstances` (a POST) do not."""
    method = operation.rsplit(".", 1)[-1]
    return _verb(method) not in READ_ONLY_VERBS


def _verb(method: str) -> str:
    """The leading word: `Describe` of `DescribeRules`, `list` of `listInstances`."""
    end = 1
    while end < len(method) and not method[end].isupper():
        end += 1
    return method[:end]


class RateLimiter:
    """A token bucket: at most `rate` calls per second with bursts of `burst`."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.clock = clock
        self.sleep = sleep
        self.stamp = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)


class Fenced(Exception):
    """This process may no longer change the cloud (it lost leadership): raised instead of a mutating call."""


@dataclass
class CallStats:
    """Counts of calls by (service, operation, outcome); thread-safe. Shared by a controller and its
    provider, it also carries the fence: once `fenced` is set, every mutating call fails with Fenced."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Callable[[str, str, str], None]] = field(default_factory=list)
    fenced: threading.Event = field(default_factory=threading.Event)

    def record(self, service: str, operation: str, outcome: str) -> None:
        with self.lock:
            self.counts[(service, operation, outcome)] += 1
        for listener in self.listeners:
            listener(service, operation, outcome)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {f"{s}:{o}:{r}": n for (s, o, r), n in sorted(self.counts.items())}

    def total(self, mutating: bool | None = None, service: str | None = None) -> int:
        with self.lock:
            return sum(
                n
                for (s, o, _), n in self.counts.items()
                if (mutating is None or is_mutating(o) == mutating) and (service is None or s == service)
            )

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()


@dataclass(frozen=True)
class CloudFault:
    """A cloud's answer as a provider reads it from its SDK's exception."""

    code: str  # the cloud's error code or reason: "ValidationError", "resourceInUseByAnotherResource"
    status: int  # HTTP status; 0 when no answer came (timeout, connection)
    message: str  # the cloud's own message (never the request)


# 4xx answers that are not about the user's input: authentication/permissions (the installation's), request
# timeouts, conflicts and stale fingerprints (concurrent writers), throttling (retried).
NOT_USER_FIXABLE_STATUS = frozenset({401, 403, 408, 409, 412, 429})


@dataclass
class CallContext:
    """What was being done when a cloud call failed, kept on the exception on its way up: the call (noted by
    CloudCaller) and the resource and Ingress field it was for (noted by the provider's executor)."""

    service: str | None = None
    operation: str | None = None
    outcome: str | None = None  # throttled | server-error | error
    attempts: int = 0
    resource: str | None = None  # e.g. "Rule HTTP:80 #3", "UrlMap k8s2-um-…"
    field: str | None = None  # the Ingress field it comes from, when known


_CONTEXT = "_lbctl_cloud_call"


def note(exc: BaseException, **facts: Any) -> BaseException:
    """Add what is known about a failed call to `exc` (the innermost note of each fact wins)."""
    context = getattr(exc, _CONTEXT, None)
    if context is None:
        context = CallContext()
        try:
            setattr(exc, _CONTEXT, context)
        except AttributeError:  # pragma: no cover - an exception type with __slots__
            return exc
    for name, value in facts.items():
        if value is not None and getattr(context, name) in (None, 0):
            setattr(context, name, value)
    return exc


def context_of(exc: BaseException) -> CallContext | None:
    return getattr(exc, _CONTEXT, None)


class CloudCaller:
    """Runs cloud calls with retry, rate limiting and counting, and says what a failed call means.

    `classify(exc)` says whether an exception is retryable ("throttled" / "server-error") or final (None);
    `describe(exc)` reads the cloud's code, status and message from it; each provider supplies both, since
    SDK exception types differ. `provider_error` is the one place that turns a failed call into the
    ProviderError the controller reports: user-fixable (a 4xx rejection of what was asked) or not.
    """

    def __init__(
        self,
        classify: Callable[[BaseException], str | None],
        rate_limits: dict[str, float] | None = None,
        default_rate: float | None = None,
        attempts: int = 8,
        max_wait: float = 20.0,
        initial_wait: float = 0.2,
        stats: CallStats | None = None,
        describe: Callable[[BaseException], CloudFault | None] | None = None,
        cloud: str = "the cloud",
        not_user_fixable: frozenset[str] = frozenset(),
        user_fixable: frozenset[str] = frozenset(),
        fields: dict[str, str] | None = None,
    ) -> None:
        self.classify = classify
        self.describe = describe or (lambda exc: None)
        self.cloud = cloud
        self.not_user_fixable = not_user_fixable  # codes that are 4xx but not about the input (AccessDenied)
        self.user_fixable = user_fixable  # codes the user fixes although their status says otherwise (quota)
        self.fields = fields or {}  # code → the Ingress field it is about (TooManyTags → the tags annotation)
        self.rate_limits = rate_limits or {}
        self.default_rate = default_rate
        self.attempts = attempts
        self.max_wait = max_wait
        self.initial_wait = initial_wait
        self.stats = stats or CallStats()
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()

    def _limiter(self, operation: str) -> RateLimiter | None:
        rate = next(
            (r for prefix, r in self.rate_limits.items() if operation.startswith(prefix)), self.default_rate
        )
        if rate is None:
            return None
        with self._lock:
            if operation not in self._limiters:
                self._limiters[operation] = RateLimiter(rate, burst=max(1, int(rate)))
            return self._limiters[operation]

    def call(self, service: str, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call `fn(*args, **kwargs)`; retry retryable failures; count every attempt's outcome."""
        limiter = self._limiter(operation)
        tries = [0]

        def attempt() -> T:
            tries[0] += 1
            if limiter is not None:
                limiter.acquire()
            if self.stats.fenced.is_set() and is_mutating(operation):
                self.stats.record(service, operation, "fenced")
                raise Fenced(f"{service} {operation} refused: this replica no longer holds the leader lease")
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                self.stats.record(service, operation, self.classify(exc) or "error")
                raise
            self.stats.record(service, operation, "ok")
            return result

        blind_retry_unsafe = operation.rsplit(".", 1)[-1].startswith(NOT_IDEMPOTENT_PREFIXES)

        def retryable(exc: BaseException) -> bool:
            if blind_retry_unsafe and maybe_applied(exc):
                return False  # the caller re-discovers instead: a repeat could create a duplicate
            return self.classify(exc) is not None

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait),
            retry=retry_if_exception(retryable),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Exception as exc:
            note(
                exc,
                service=service,
                operation=operation,
                outcome=self.classify(exc) or "error",
                attempts=tries[0],
            )
            raise

    def provider_error(self, exc: BaseException) -> ProviderError | None:
        """What a failed cloud call means for the user, or None when `exc` is not a cloud call's failure.

        User-fixable: the cloud answered 4xx to what we asked (a validation error, a limit, a resource in use
        by something we do not own), not throttling, not permissions. Everything else (throttling or 5xx after
        every retry, timeouts, lost connections, permissions) is ours to retry."""
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, Fenced):
            return None
        context = context_of(exc) or CallContext()
        fault = self.describe(exc)
        if fault is None:
            if not isinstance(exc, TimeoutError | OSError):
                return None  # not the cloud's answer (e.g. a bug): left as it is, for the log to show
            fault = CloudFault(type(exc).__name__, 0, str(exc))
        request = context.operation or "a request"
        if context.resource:
            request += f" for {context.resource}"
        retryable = context.outcome in ("throttled", "server-error") or self.classify(exc) is not None
        fixable = fault.code in self.user_fixable or (
            400 <= fault.status < 500
            and fault.status not in NOT_USER_FIXABLE_STATUS
            and not retryable
            and fault.code not in self.not_user_fixable
        )
        detail = f"({fault.code}): {fault.message}" if fault.message else f"({fault.code})"
        if fixable:
            message = f"{self.cloud} rejected {request} {detail}"
        elif retryable and context.attempts > 1:
            message = f"{request} still failing after {context.attempts} attempts {detail}"
        else:
            message = f"{request} failed {detail}"
        return ProviderError(
            message, user_fixable=fixable, field=context.field or self.fields.get(fault.code)
        )
