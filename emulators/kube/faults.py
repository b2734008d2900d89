"""Fault injection and the request log, shared by the in-process API and `/_emulator/*` endpoints."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FaultRule:
    """Fail or delay requests whose HTTP method, Kubernetes verb and path match.

    `method`, `verb` and `path` are regular expressions (`re.search`; the path has no query string).
    `status` 0 means "delay only". `times` None means every matching request, else that many.
    """

    path: str = ".*"
    method: str = ".*"
    verb: str = ".*"
    status: int = 0
    times: int | None = 1
    latency: float = 0.0
    retry_after: int | None = None
    message: str = "injected fault"
    matched: int = field(default=0, init=False)

    def applies_to(self, method: str, verb: str, path: str) -> bool:
        if self.times is not None and self.matched >= self.times:
            return False
        return bool(re.search(self.method, method) and re.search(self.verb, verb) and re.search(self.path, path))


@dataclass(frozen=True)
class Injection:
    """What to do to one request: wait `latency` seconds, then answer `status` (0: serve normally)."""

    latency: float = 0.0
    status: int = 0
    retry_after: int | None = None
    message: str = ""


class Faults:
    """Programmable faults. Rules are checked in order; latency adds up, the first failing rule wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.sleep: Callable[[float], None] = time.sleep  # how latency is served; replaceable by a test

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail(self, method: str = ".*", path: str = ".*", status: int = 500, times: int | None = 1,
             verb: str = ".*", retry_after: int | None = None, message: str = "injected fault") -> FaultRule:
        """Answer the next `times` matching requests with `status` (e.g. 500, 503, 429)."""
        return self.add(FaultRule(path=path, method=method, verb=verb, status=status, times=times,
                                  retry_after=retry_after, message=message))

    def delay(self, seconds: float, method: str = ".*", path: str = ".*", times: int | None = None,
              verb: str = ".*") -> FaultRule:
        """Add `seconds` of latency to matching requests."""
        return self.add(FaultRule(path=path, method=method, verb=verb, latency=seconds, times=times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def for_request(self, method: str, verb: str, path: str) -> Injection:
        """Consume the rules matching this request and say what to inject."""
        latency, failing = 0.0, None
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(method, verb, path):
                    continue
                if rule.status and failing is not None:
                    continue
                rule.matched += 1
                latency += rule.latency
                if rule.status:
                    failing = rule
            self._rules = [r for r in self._rules if r.times is None or r.matched < r.times]
        if failing is None:
            return Injection(latency=latency)
        return Injection(latency, failing.status, failing.retry_after, failing.message)


@dataclass(frozen=True)
class RequestRecord:
    """One request as RBAC sees it. `resource` is empty for non-resource paths such as /version."""

    verb: str
    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str
    method: str
    path: str
    status: int
    user_agent: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """Bounded, thread-safe log of handled requests."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._limit = limit

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)
            if len(self._records) > self._limit:
                del self._records[: len(self._records) - self._limit]

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
