"""Informers against the Kubernetes API emulator: first list, watch, 410 relist, dropped streams."""

from __future__ import annotations

import kubernetes
import pytest

from emulators.kube import KubeEmulator
from emulators.testing.waiting import wait_for
from lbctl.kube.informer import Informer
from lbctl.kube.resources import watched_resources


def service(name: str, port: int = 80) -> dict:
    return {"metadata": {"name": name}, "spec": {"ports": [{"port": port}]}}


@pytest.fixture
def services_informer(api: kubernetes.client.ApiClient):
    resource = next(r for r in watched_resources(api, "aws") if r.kind == "Service")
    seen: list[tuple[str, bool, bool]] = []
    informer = Informer(
        resource,
        handler=lambda kind, key, old, new: seen.append((key, old is None, new is None)),
        watch_timeout=5,
        max_backoff=0.5,
    )
    informer.start()
    assert informer.synced.wait(60)
    yield informer, seen
    informer.stop()


def test_first_list_then_watch_sees_add_update_delete(api, services_informer) -> None:
    informer, seen = services_informer
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_service("default", service("web"))
    wait_for(lambda: informer.get("default/web") is not None)
    core.patch_namespaced_service("web", "default", {"spec": {"selector": {"app": "web"}}})
    wait_for(lambda: informer.get("default/web").parsed[0].selector == {"app": "web"})
    core.delete_namespaced_service("web", "default")
    wait_for(lambda: informer.get("default/web") is None)
    assert seen == [("default/web", True, False), ("default/web", False, False), ("default/web", False, True)]


def test_expired_watch_relists_without_missing_changes(kube: KubeEmulator, api, services_informer) -> None:
    informer, seen = services_informer
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_service("default", service("a"))
    wait_for(lambda: informer.get("default/a") is not None)
    kube.compact()
    kube.drop_watches()
    core.create_namespaced_service("default", service("b"))
    core.delete_namespaced_service("a", "default")
    wait_for(lambda: informer.get("default/b") is not None and informer.get("default/a") is None)
    assert informer.relists >= 1
    assert ("default/b", True, False) in seen and ("default/a", False, True) in seen


def test_server_errors_are_retried(kube: KubeEmulator, api, services_informer) -> None:
    informer, _ = services_informer
    kube.faults.fail(method="GET", path=r"/api/v1/services", status=503, times=3)
    kube.drop_watches()
    core = kubernetes.client.CoreV1Api(api)
    core.create_namespaced_service("default", service("after-faults"))
    wait_for(lambda: informer.get("default/after-faults") is not None, timeout=60)
