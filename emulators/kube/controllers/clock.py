"""Clocks for the emulated cluster's timers (readiness delays, graceful termination).

`SystemClock` runs in real time (the demo, `lbctl emulator kube`); `ManualClock` only moves when a test calls
`advance()`, so tests need no sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SystemClock:
    """Monotonic seconds; timers fire on their own."""

    manual = False

    def now(self) -> float:
        return time.monotonic()

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Real time needs no notification: the controllers wait until their next deadline."""


class ManualClock:
    """Seconds that pass only through `advance()`; subscribers (the controllers) wake on each advance."""

    manual = True

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def subscribe(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def advance(self, seconds: float) -> float:
        """Move time forward and wake the controllers; returns the new time."""
        with self._lock:
            self._now += seconds
            now = self._now
        for callback in list(self._callbacks):
            callback()
        return now


Clock = SystemClock | ManualClock
