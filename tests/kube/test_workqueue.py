"""The work queue: dedup, one worker per key, backoff with a cap, delayed adds (fake clock, no sleeping)."""

from __future__ import annotations

import threading

import pytest

from lbctl.kube.workqueue import ShutDown, WorkQueue


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_duplicate_adds_are_one_item() -> None:
    queue = WorkQueue()
    for key in ("a", "b", "a", "a"):
        queue.add(key)
    assert [queue.get(timeout=0), queue.get(timeout=0), queue.get(timeout=0)] == ["a", "b", None]


def test_key_added_while_processing_waits_until_done() -> None:
    queue = WorkQueue()
    queue.add("a")
    assert queue.get(timeout=0) == "a"
    queue.add("a")
    assert queue.get(timeout=0) is None, "a second worker must not get a key in progress"
    queue.done("a")
    assert queue.get(timeout=0) == "a"


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (12, 300.0), (30, 300.0)],
)
def test_backoff_doubles_and_is_capped(failures: int, expected: float) -> None:
    queue = WorkQueue(base_delay=0.5, max_delay=300.0, clock=FakeClock())
    delays = [queue.add_rate_limited("k") for _ in range(failures)]
    assert delays[-1] == expected


def test_forget_resets_backoff() -> None:
    queue = WorkQueue(base_delay=1.0, clock=FakeClock())
    queue.add_rate_limited("k")
    queue.add_rate_limited("k")
    queue.forget("k")
    assert queue.add_rate_limited("k") == 1.0


def test_delayed_key_appears_only_when_due() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock=clock)
    queue.add_after("later", 10)
    assert queue.get(timeout=0) is None
    clock.now += 9.9
    assert queue.get(timeout=0) is None
    clock.now += 0.2
    assert queue.get(timeout=0) == "later"


def test_failing_key_does_not_starve_others() -> None:
    clock = FakeClock()
    queue = WorkQueue(base_delay=5.0, clock=clock)
    queue.add("bad")
    queue.add("good")
    assert queue.get(timeout=0) == "bad"
    queue.add_rate_limited("bad")
    queue.done("bad")
    assert queue.get(timeout=0) == "good"
    assert queue.get(timeout=0) is None


def test_shutdown_wakes_blocked_workers() -> None:
    queue = WorkQueue()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            queue.get()
        except ShutDown as err:
            errors.append(err)

    thread = threading.Thread(target=worker)
    thread.start()
    queue.shutdown()
    thread.join(timeout=30)
    assert not thread.is_alive() and len(errors) == 1
