"""Fault injection: programmed HTTP errors, asynchronous operation errors, latency, rate limits."""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import ApiError, default_reason

_PHASES = ("before", "after")


@dataclass
class FaultRule:
    """One programmed fault.

    A request matches when `method` (or "*") and `path_regex` (searched in the path) match. Then,
    while `count` (None = unlimited) lasts and the `probability` draw succeeds, the fault fires:
    - `status` > 0: answer that HTTP error. With `phase="after"` the mutation is applied first and
      only the response is lost (what a client sees when a reply is dropped).
    - `status` == 0: close the connection without any response.
    - `operation_error`: the call succeeds but its operation ends DONE carrying this error (and the
      mutation is not applied), e.g. `{"code": 400, "reason": "resourceNotReady", "message": "..."}`.
    `delay_seconds` sleeps before answering (alone, it only adds latency).
    """

    path_regex: str = ".*"
    method: str = "*"
    status: int | None = None
    reason: str | None = None
    message: str | None = None
    count: int | None = None
    probability: float = 1.0
    phase: str = "before"
    delay_seconds: float = 0.0
    operation_error: dict[str, Any] | None = None
    id: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        re.compile(self.path_regex)
        if self.phase not in _PHASES:
            raise ValueError(f"phase must be one of {_PHASES}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within [0, 1]")

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to the request (ignoring count and probability)."""
        return self.method in ("*", method.upper()) and re.search(self.path_regex, path) is not None

    def api_error(self) -> ApiError:
        """The error to answer (HTTP status fault) or to put in the operation."""
        if self.operation_error is not None:
            code = int(self.operation_error.get("code", 400))
            reason = str(self.operation_error.get("reason") or default_reason(code))
            message = str(self.operation_error.get("message") or f"Injected operation error ({reason})")
            return ApiError(code, reason, message)
        code = int(self.status or 500)
        reason = self.reason or default_reason(code)
        return ApiError(code, reason, self.message or f"Injected fault: {reason}")


@dataclass
class RateLimit:
    """Token bucket: `requests_per_second` refill, `burst` capacity; excess calls get `status`."""

    requests_per_second: float
    burst: int = 1
    status: int = 403
    path_regex: str = ".*"
    tokens: float = field(default=0.0, repr=False)
    updated_at: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.status not in (403, 429):
            raise ValueError("rate limit status must be 403 or 429")
        self.tokens = float(self.burst)
        self.updated_at = time.monotonic()

    def admit(self, path: str) -> bool:
        """Take a token if the path is limited; False when the bucket is empty."""
        if re.search(self.path_regex, path) is None:
            return True
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated_at) * self.requests_per_second)
        self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def api_error(self) -> ApiError:
        """403 `rateLimitExceeded` (Compute's usual answer) or 429."""
        return ApiError(self.status, "rateLimitExceeded", "Rate Limit Exceeded")


@dataclass(frozen=True)
class FaultDecision:
    """What the server must do for one request."""

    rule: FaultRule | None = None
    rate_limited: ApiError | None = None
    delay_seconds: float = 0.0


class FaultInjector:
    """Thread-safe set of fault rules plus an optional rate limit."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self.rate_limit: RateLimit | None = None
        self.sleep: Callable[[float], None] = time.sleep  # how a delay is served; replaceable by a test

    def add(self, rule: FaultRule) -> FaultRule:
        """Register a rule; returns it with its id."""
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def add_from_json(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Register a rule or rate limit from an admin API payload; returns what was registered."""
        if "rate_limit" in spec:
            limit = spec["rate_limit"]
            with self._lock:
                self.rate_limit = None if limit is None else RateLimit(**limit)
            return {"rate_limit": None if self.rate_limit is None else limit}
        if "seed" in spec:
            self.seed(int(spec.pop("seed")))
        return asdict(self.add(FaultRule(**spec)))

    def seed(self, seed: int) -> None:
        """Reseed the probability draws (deterministic tests)."""
        with self._lock:
            self._random.seed(seed)

    def clear(self) -> None:
        """Remove every rule and the rate limit."""
        with self._lock:
            self._rules.clear()
            self.rate_limit = None

    def rules(self) -> list[dict[str, Any]]:
        """Registered rules as JSON-able dicts."""
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def decide(self, method: str, path: str) -> FaultDecision:
        """Pick the fault (if any) for a request, consuming counts and tokens."""
        with self._lock:
            if self.rate_limit is not None and not self.rate_limit.admit(path):
                return FaultDecision(rate_limited=self.rate_limit.api_error())
            delay = 0.0
            for rule in self._rules:
                if not rule.matches(method, path) or rule.count == 0:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                rule.fired += 1
                delay += rule.delay_seconds
                if rule.status is not None or rule.operation_error is not None:
                    return FaultDecision(rule=rule, delay_seconds=delay)
            return FaultDecision(delay_seconds=delay)
