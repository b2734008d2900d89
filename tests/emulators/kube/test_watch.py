"""Watch: resume from a resourceVersion, timeouts, bookmarks, 410 Expired, dropped streams, selectors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from emulators.kube import KubeEmulator
from emulators.testing.kube_objects import ingress


def _events(stream: Iterator[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [
        (
            e["type"],
            e["raw_object"]["metadata"].get("name", ""),
            int(e["raw_object"]["metadata"]["resourceVersion"]),
        )
        for e in stream
    ]


def test_list_then_watch_misses_nothing(net: client.NetworkingV1Api) -> None:
    for index in range(3):
        net.create_namespaced_ingress("default", ingress(f"before-{index}"))
    listed = net.list_namespaced_ingress("default")

    def write() -> None:
        for index in range(20):
            net.create_namespaced_ingress("default", ingress(f"ing-{index}"))
            net.patch_namespaced_ingress(
                f"ing-{index}", "default", {"metadata": {"labels": {"n": str(index)}}}
            )
        for index in range(0, 20, 2):
            net.delete_namespaced_ingress(f"ing-{index}", "default")

    writer = threading.Thread(target=write)
    net.create_namespaced_ingress("default", ingress("between"))  # after the list, before the watch
    writer.start()
    seen: list[tuple[str, str, int]] = []
    watcher = watch.Watch()
    for event in watcher.stream(
        net.list_namespaced_ingress,
        "default",
        resource_version=listed.metadata.resource_version,
        timeout_seconds=10,
    ):
        seen += _events(iter([event]))
        if len(seen) == 1 + 20 * 2 + 10:
            watcher.stop()
    writer.join()

    assert seen[0][:2] == ("ADDED", "between")
    versions = [rv for _, _, rv in seen]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert [t for t, n, _ in seen if n == "ing-4"] == ["ADDED", "MODIFIED", "DELETED"]
    assert [t for t, n, _ in seen if n == "ing-5"] == ["ADDED", "MODIFIED"]
    assert not [n for _, n, _ in seen if n.startswith("before")]


def test_watch_without_resource_version_starts_with_current_state(net: client.NetworkingV1Api) -> None:
    net.create_namespaced_ingress("default", ingress("a"))
    net.create_namespaced_ingress("default", ingress("b"))
    seen = _events(watch.Watch().stream(net.list_namespaced_ingress, "default", timeout_seconds=1))
    assert [(t, n) for t, n, _ in seen] == [("ADDED", "a"), ("ADDED", "b")]


class ManualClock:
    """The emulator's time, moved on only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_watch_closes_at_timeout_seconds(
    emulator: KubeEmulator, net: client.NetworkingV1Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    monkeypatch.setattr(emulator, "clock", clock)
    rv = net.list_namespaced_ingress("default").metadata.resource_version
    seen: list[str] = []

    def consume() -> None:
        for event in watch.Watch().stream(
            net.list_namespaced_ingress, "default", resource_version=rv, timeout_seconds=1
        ):
            seen.append(event["raw_object"]["metadata"]["name"])

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    _wait_for(lambda: emulator.store.open_watches == 1)
    clock.now += 0.9  # not yet the timeout: the stream still delivers, however long the machine took
    for name in ("a", "b"):  # the second is sent only after the stream went round its loop at 0.9 s
        net.create_namespaced_ingress("default", ingress(name))
        _wait_for(lambda name=name: name in seen)
    assert consumer.is_alive() and emulator.store.open_watches == 1
    clock.now += 0.1  # the timeout: the server ends the stream
    consumer.join(timeout=30)
    assert not consumer.is_alive() and emulator.store.open_watches == 0
    assert seen == ["a", "b"]


def test_bookmarks_carry_the_current_resource_version(net: client.NetworkingV1Api) -> None:
    rv = net.create_namespaced_ingress("default", ingress("a")).metadata.resource_version
    events = list(
        watch.Watch().stream(
            net.list_namespaced_ingress,
            "default",
            resource_version=rv,
            allow_watch_bookmarks=True,
            timeout_seconds=1,
        )
    )
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[-1]["raw_object"]["metadata"]["resourceVersion"] == rv
    assert bookmarks[-1]["raw_object"]["kind"] == "Ingress"


def test_compaction_expires_old_versions_with_410(
    emulator: KubeEmulator, net: client.NetworkingV1Api
) -> None:
    rv = net.create_namespaced_ingress("default", ingress("a")).metadata.resource_version
    emulator.compact()
    with pytest.raises(ApiException) as expired:
        list(
            watch.Watch().stream(
                net.list_namespaced_ingress, "default", resource_version=rv, timeout_seconds=2
            )
        )
    assert expired.value.status == 410
    relisted = net.list_namespaced_ingress("default").metadata.resource_version  # recovery: list again
    net.create_namespaced_ingress("default", ingress("b"))
    seen = _events(
        watch.Watch().stream(
            net.list_namespaced_ingress, "default", resource_version=relisted, timeout_seconds=1
        )
    )
    assert [(t, n) for t, n, _ in seen] == [("ADDED", "b")]


def test_history_window_overflow_expires_versions() -> None:
    with KubeEmulator(history_window=3) as small:
        api = small.api_client()
        core = client.CoreV1Api(api)
        start = core.list_namespaced_config_map("default").metadata.resource_version
        for index in range(5):
            core.create_namespaced_config_map("default", {"metadata": {"name": f"cm-{index}"}})
        recent = core.read_namespaced_config_map("cm-1", "default").metadata.resource_version
        with pytest.raises(ApiException) as expired:
            list(
                watch.Watch().stream(
                    core.list_namespaced_config_map, "default", resource_version=start, timeout_seconds=1
                )
            )
        assert expired.value.status == 410
        seen = _events(
            watch.Watch().stream(
                core.list_namespaced_config_map, "default", resource_version=recent, timeout_seconds=1
            )
        )
        assert [n for _, n, _ in seen] == ["cm-2", "cm-3", "cm-4"]
        api.close()


def test_gracefully_dropped_watch_is_resumed_by_the_client(
    emulator: KubeEmulator, net: client.NetworkingV1Api
) -> None:
    rv = net.list_namespaced_ingress("default").metadata.resource_version
    seen: list[str] = []
    watcher = watch.Watch()

    def consume() -> None:
        for event in watcher.stream(net.list_namespaced_ingress, "default", resource_version=rv):
            seen.append(event["raw_object"]["metadata"]["name"])
            if len(seen) == 2:
                watcher.stop()

    consumer = threading.Thread(target=consume)
    consumer.start()
    _wait_for(lambda: emulator.store.open_watches == 1)
    net.create_namespaced_ingress("default", ingress("a"))
    _wait_for(lambda: seen == ["a"])
    assert emulator.drop_watches() == 1
    net.create_namespaced_ingress("default", ingress("b"))  # happens while no watch is open
    consumer.join(timeout=30)
    assert seen == ["a", "b"]
    assert [r.verb for r in emulator.requests if r.resource == "ingresses"].count("watch") == 2


def test_abruptly_dropped_watch_breaks_the_stream(
    emulator: KubeEmulator, net: client.NetworkingV1Api
) -> None:
    rv = net.list_namespaced_ingress("default").metadata.resource_version
    errors: list[BaseException] = []

    def consume() -> None:
        try:
            list(
                watch.Watch().stream(
                    net.list_namespaced_ingress, "default", resource_version=rv, timeout_seconds=3600
                )
            )
        except Exception as error:  # noqa: BLE001 - the test inspects it
            errors.append(error)

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    _wait_for(lambda: emulator.store.open_watches == 1)
    emulator.drop_watches(abrupt=True)
    consumer.join(timeout=30)  # the stream's own timeout is far later: only the drop can end it now
    assert not consumer.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], urllib3.exceptions.ProtocolError)


def test_label_selector_watch_sees_objects_enter_and_leave(net: client.NetworkingV1Api) -> None:
    rv = net.list_namespaced_ingress("default").metadata.resource_version
    net.create_namespaced_ingress("default", ingress("web"))
    net.patch_namespaced_ingress("web", "default", {"metadata": {"labels": {"app": "web"}}})
    net.patch_namespaced_ingress("web", "default", {"metadata": {"labels": {"app": "web", "x": "1"}}})
    net.patch_namespaced_ingress("web", "default", {"metadata": {"labels": {"app": "api"}}})
    net.delete_namespaced_ingress("web", "default")
    seen = _events(
        watch.Watch().stream(
            net.list_namespaced_ingress,
            "default",
            resource_version=rv,
            label_selector="app=web",
            timeout_seconds=1,
        )
    )
    assert [t for t, _, _ in seen] == ["ADDED", "MODIFIED", "DELETED"]


def test_all_namespaces_and_namespaced_watches(core: client.CoreV1Api, net: client.NetworkingV1Api) -> None:
    rv = net.list_ingress_for_all_namespaces().metadata.resource_version
    core.create_namespace({"metadata": {"name": "shop"}})
    net.create_namespaced_ingress("default", ingress("a"))
    net.create_namespaced_ingress("shop", ingress("b"))
    everywhere = _events(
        watch.Watch().stream(net.list_ingress_for_all_namespaces, resource_version=rv, timeout_seconds=1)
    )
    only_shop = _events(
        watch.Watch().stream(net.list_namespaced_ingress, "shop", resource_version=rv, timeout_seconds=1)
    )
    assert [n for _, n, _ in everywhere] == ["a", "b"]
    assert [n for _, n, _ in only_shop] == ["b"]


def test_finalizer_deletion_as_seen_by_a_watch(net: client.NetworkingV1Api) -> None:
    rv = net.list_namespaced_ingress("default").metadata.resource_version
    net.create_namespaced_ingress("default", ingress("web", finalizers=["lbctl.io/lb"]))
    net.delete_namespaced_ingress("web", "default")
    net.patch_namespaced_ingress(
        "web", "default", {"metadata": {"$deleteFromPrimitiveList/finalizers": ["lbctl.io/lb"]}}
    )
    events = list(
        watch.Watch().stream(net.list_namespaced_ingress, "default", resource_version=rv, timeout_seconds=1)
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[1]["object"].metadata.deletion_timestamp is not None
    assert events[2]["object"].metadata.finalizers is None


def _wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)
