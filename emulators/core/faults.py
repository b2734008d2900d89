"""Fault injection, one vocabulary for every emulator (in process and over `POST /_emulator/faults`).

A rule matches a request when its `method`, `path` and `verb` regular expressions are found (`re.search`) in
the request's HTTP method, its path (no query string) and the API's own name for the call (a Kubernetes verb
such as `patch`; a Compute method such as `urlMaps.insert`). While it has `times` left (None: no limit) and
its `probability` draw succeeds, it fires and counts a hit:

- `latency`: seconds to wait before answering (the latencies of every firing rule add up);
- `status`: answer this HTTP error (with `reason`, `message`, `retry_after`) instead of serving the request;
- `drop`: close the connection without an answer;
- `phase`: "before" (the request is not served) or "after" (it is served, then only the answer is lost:
  what a client sees when a reply is dropped on the way back);
- `operation_error`: the call succeeds but its operation ends DONE with this error (Compute only).

At most one failing rule (status, drop or operation error) fires per request: the first that matches; the
failing rules after it keep their turn. Rules stay listed after their last hit, so `hits` can be read.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

PHASES = ("before", "after")


@dataclass
class FaultRule:
    """One programmed fault; see the module docstring for the fields."""

    path: str = ".*"
    method: str = ".*"
    verb: str = ".*"
    status: int | None = None
    reason: str | None = None
    message: str | None = None
    retry_after: int | None = None
    drop: bool = False
    phase: str = "before"
    operation_error: dict[str, Any] | None = None
    latency: float = 0.0
    times: int | None = None
    probability: float = 1.0
    id: int = field(default=0, init=False)
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        for name in ("path", "method", "verb"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ValueError(f"{name}: expected a regular expression (a string), got {value!r}")
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"{name}: {value!r} is not a regular expression ({error})") from None
        if self.status is not None and (
            isinstance(self.status, bool) or not isinstance(self.status, int) or not 400 <= self.status <= 599
        ):
            raise ValueError(f"status: expected an HTTP error status 400-599, got {self.status!r}")
        if self.phase not in PHASES:
            raise ValueError(f"phase: expected one of {', '.join(PHASES)}, got {self.phase!r}")
        if self.phase == "after" and not (self.status is not None or self.drop):
            raise ValueError("phase: 'after' loses the answer, so it needs a status or drop")
        if sum((self.status is not None, self.drop, self.operation_error is not None)) > 1:
            raise ValueError("status, drop and operation_error: give at most one of them")
        if self.operation_error is not None and not isinstance(self.operation_error, dict):
            raise ValueError('operation_error: expected an object such as {"code": 400, "reason": "..."}')
        if not isinstance(self.latency, int | float) or self.latency < 0:
            raise ValueError(f"latency: expected seconds >= 0, got {self.latency!r}")
        if self.times is not None and (
            isinstance(self.times, bool) or not isinstance(self.times, int) or self.times < 0
        ):
            raise ValueError(
                f"times: expected a count >= 0 or null (every matching request), got {self.times!r}"
            )
        if not isinstance(self.probability, int | float) or not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability: expected a number within [0, 1], got {self.probability!r}")
        if self.retry_after is not None and (not isinstance(self.retry_after, int) or self.retry_after < 0):
            raise ValueError(f"retry_after: expected whole seconds >= 0, got {self.retry_after!r}")

    @property
    def fails(self) -> bool:
        """Whether the rule changes the answer (rather than only delaying it)."""
        return self.status is not None or self.drop or self.operation_error is not None

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, path: str, verb: str) -> bool:
        """Whether the request is one this rule is about (ignoring `times` and `probability`)."""
        return bool(
            re.search(self.method, method) and re.search(self.path, path) and re.search(self.verb, verb)
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


RULE_FIELDS = tuple(f.name for f in fields(FaultRule) if f.init)


@dataclass
class RateLimit:
    """A token bucket over the requests whose path matches `path`: `requests_per_second` refill, `burst`
    capacity; a request finding it empty is answered `status` (403 or 429)."""

    requests_per_second: float
    burst: int = 1
    status: int = 403
    path: str = ".*"
    tokens: float = field(default=0.0, repr=False)
    updated_at: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.status not in (403, 429):
            raise ValueError(f"rate_limit.status: expected 403 or 429, got {self.status!r}")
        if not isinstance(self.requests_per_second, int | float) or self.requests_per_second <= 0:
            raise ValueError(
                f"rate_limit.requests_per_second: expected a number > 0, got {self.requests_per_second!r}"
            )
        if not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError(f"rate_limit.burst: expected a count >= 1, got {self.burst!r}")
        re.compile(self.path)
        self.tokens = float(self.burst)
        self.updated_at = time.monotonic()

    def admit(self, path: str) -> bool:
        """Take a token if the path is limited; False when the bucket is empty."""
        if re.search(self.path, path) is None:
            return True
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated_at) * self.requests_per_second)
        self.updated_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k not in ("tokens", "updated_at")}


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait `latency` seconds, then serve it, unless `rule` (a failing rule) or
    `rate_limited` says otherwise."""

    latency: float = 0.0
    rule: FaultRule | None = None
    rate_limited: RateLimit | None = None


class Faults:
    """Thread-safe rules, checked in order, plus an optional rate limit. `unsupported` names the rule fields
    an emulator cannot honour (refused when a rule sets them)."""

    def __init__(self, seed: int | None = None, unsupported: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._unsupported = frozenset(unsupported)
        self.rate_limit: RateLimit | None = None
        self.sleep: Callable[[float], None] = time.sleep  # how latency is served; replaceable by a test

    # ---- programming ------------------------------------------------------------------------------

    def add(self, rule: FaultRule) -> FaultRule:
        """Register `rule`; returns it, with its id."""
        defaults = FaultRule()
        refused = sorted(name for name in self._unsupported if getattr(rule, name) != getattr(defaults, name))
        if refused:
            raise ValueError(f"{', '.join(refused)}: not supported by this emulator")
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def fail(self, status: int = 500, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Answer the next `times` matching requests with `status` (e.g. 500, 503, 429)."""
        return self.add(FaultRule(status=status, times=times, **match))

    def delay(self, latency: float, *, times: int | None = None, **match: Any) -> FaultRule:
        """Add `latency` seconds to matching requests."""
        return self.add(FaultRule(latency=latency, times=times, **match))

    def add_from_json(self, spec: Any) -> dict[str, Any]:
        """Register what an admin API payload describes: a rule, or `{"rate_limit": {...} | null}`; either may
        carry `"seed"` (reseeds the probability draws). Raises ValueError naming a bad field."""
        if not isinstance(spec, dict):
            raise ValueError(f"a fault is a JSON object with the fields {', '.join(RULE_FIELDS)}")
        spec = dict(spec)
        if "seed" in spec:
            seed = spec.pop("seed")
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise ValueError(f"seed: expected an integer, got {seed!r}")
            self.seed(seed)
        if "rate_limit" in spec:
            limit = spec.pop("rate_limit")
            if spec:
                raise ValueError(f"rate_limit: give it alone, not with {', '.join(sorted(spec))}")
            self.set_rate_limit(limit)
            return {"rate_limit": None if self.rate_limit is None else self.rate_limit.as_dict()}
        unknown = sorted(set(spec) - set(RULE_FIELDS))
        if unknown:
            raise ValueError(f"unknown fault fields {', '.join(unknown)}; expected: {', '.join(RULE_FIELDS)}")
        return self.add(FaultRule(**spec)).as_dict()

    def set_rate_limit(self, limit: dict[str, Any] | None) -> None:
        """Install (or, with None, remove) the rate limit from its JSON form."""
        if limit is not None and not isinstance(limit, dict):
            raise ValueError('rate_limit: expected an object such as {"requests_per_second": 1, "burst": 2}')
        if limit is not None:
            allowed = {"requests_per_second", "burst", "status", "path"}
            unknown = sorted(set(limit) - allowed)
            if unknown:
                raise ValueError(
                    f"unknown rate_limit fields {', '.join(unknown)}; expected: {', '.join(sorted(allowed))}"
                )
            if "requests_per_second" not in limit:
                raise ValueError("rate_limit.requests_per_second: required")
        with self._lock:
            self.rate_limit = None if limit is None else RateLimit(**limit)

    def seed(self, seed: int) -> None:
        """Reseed the probability draws (reproducible runs)."""
        with self._lock:
            self._random.seed(seed)

    def clear(self) -> None:
        """Remove every rule and the rate limit."""
        with self._lock:
            self._rules.clear()
            self.rate_limit = None

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def as_dict(self) -> dict[str, Any]:
        """What `GET /_emulator/faults` answers."""
        with self._lock:
            limit = None if self.rate_limit is None else self.rate_limit.as_dict()
            return {"rules": [rule.as_dict() for rule in self._rules], "rate_limit": limit}

    # ---- serving ----------------------------------------------------------------------------------

    def decide(self, method: str, path: str, verb: str = "") -> Decision:
        """Consume the rules that fire for this request and say what to do."""
        with self._lock:
            if self.rate_limit is not None and not self.rate_limit.admit(path):
                return Decision(rate_limited=self.rate_limit)
            latency, failing = 0.0, None
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, verb):
                    continue
                if rule.fails and failing is not None:
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.hits += 1
                latency += rule.latency
                if rule.fails:
                    failing = rule
            return Decision(latency, failing)
