"""A rate-limited work queue in the client-go style: deduplicated keys, one worker per key at a time,
per-key exponential backoff with a cap, delayed adds. The clock is injectable so tests run fast."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable


class ShutDown(Exception):
    """The queue was shut down; workers should exit."""


class WorkQueue:
    """Keys waiting for work. A key added while it is being processed is queued again once `done`."""

    def __init__(
        self,
        base_delay: float = 0.5,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self._queue: list[str] = []
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._failures: dict[str, int] = {}
        self._delayed: list[tuple[float, int, str]] = []
        self._sequence = 0
        self._shutdown = False
        self._cond = threading.Condition()

    # ----------------------------------------------------------------- adding

    def add(self, key: str) -> None:
        with self._cond:
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            if key not in self._processing:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutdown:
                return
            self._sequence += 1
            heapq.heappush(self._delayed, (self.clock() + delay, self._sequence, key))
            self._cond.notify()

    def add_rate_limited(self, key: str) -> float:
        """Queue the key again after its backoff (base · 2^failures, capped); returns the delay."""
        with self._cond:
            failures = self._failures.get(key, 0)
            self._failures[key] = failures + 1
        delay = min(self.max_delay, self.base_delay * (2**failures))
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        """Reset the key's backoff after a success."""
        with self._cond:
            self._failures.pop(key, None)

    def failures(self, key: str) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    # ----------------------------------------------------------------- taking

    def _promote_due(self) -> float | None:
        """Move due delayed keys to the queue; seconds until the next one is due (None if none)."""
        now = self.clock()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key = heapq.heappop(self._delayed)
            if key not in self._dirty:
                self._dirty.add(key)
                if key not in self._processing:
                    self._queue.append(key)
        return self._delayed[0][0] - now if self._delayed else None

    def get(self, timeout: float | None = None) -> str | None:
        """The next key to process (marked processing until `done`); None on timeout; raises ShutDown."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._shutdown:
                    raise ShutDown()
                wait = self._promote_due()
                if self._queue:
                    key = self._queue.pop(0)
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                candidates = [w for w in (wait, remaining, 1.0) if w is not None]
                self._cond.wait(max(0.001, min(candidates)))

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    # ----------------------------------------------------------------- state

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    @property
    def depth(self) -> int:
        """Keys waiting now plus keys waiting for their backoff."""
        with self._cond:
            return len(self._queue) + len(self._delayed)

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._queue and not self._processing and not self._delayed
