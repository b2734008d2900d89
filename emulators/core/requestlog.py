"""A bounded, thread-safe log of the requests an emulator served (each emulator has its own record type)."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

Record = TypeVar("Record")


class RequestLog(Generic[Record]):
    """The last `limit` records, oldest first."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._records: list[Record] = []
        self._limit = limit

    def append(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)
            if len(self._records) > self._limit:
                del self._records[: len(self._records) - self._limit]

    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
