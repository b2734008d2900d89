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

T = TypeVar("T")

# Verbs that only read (the first word of an AWS operation or of a Compute method). Every other verb
# mutates, so an operation nobody classified is fenced and counted as a write, never let through as a read.
READ_ONLY_VERBS = frozenset({
    "Describe", "Get", "List", "Search", "Simulate", "Check",  # AWS
    "get", "list", "aggregated", "wait", "test", "validate",  # Compute (aggregatedList, testIamPermissions)
})  # fmt: skip


# Creates that make a second resource when repeated (ELB names are not checked by every backend; rules,
# imported certificates and permissions are never deduplicated): not retried blindly when the first
# attempt may have been applied.
NOT_IDEMPOTENT_PREFIXES = ("Create", "Import", "Request", "Authorize")
# Failures after the request was sent: it may have been applied, only the response is missing.
AMBIGUOUS_ERRORS = frozenset({"ReadTimeoutError", "ReadTimeout", "ConnectionClosedError", "IncompleteRead",
                              "RemoteDisconnected", "ResponseStreamingError"})  # fmt: skip


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

    def __init__(self, rate: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
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


class CloudCaller:
    """Runs cloud calls with retry, rate limiting and counting.

    `classify(exc)` says whether an exception is retryable ("throttled" / "server-error") or final (None);
    each provider supplies its own, since SDK exception types differ.
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
    ) -> None:
        self.classify = classify
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

        def attempt() -> T:
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
        return retrying(attempt)
