"""Label selectors, field selectors, all-namespace lists and paging."""

from __future__ import annotations

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from emulators.kube import KubeEmulator
from emulators.testing.kube_objects import ingress

LABELS = {
    "web": {"app": "web", "tier": "edge"},
    "api": {"app": "api", "tier": "edge", "canary": "true"},
    "db": {"app": "db"},
    "plain": {},
}


@pytest.fixture
def labelled(net: client.NetworkingV1Api) -> client.NetworkingV1Api:
    for name, labels in LABELS.items():
        net.create_namespaced_ingress("default", ingress(name, labels=labels or None))
    return net


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["web"]),
        ("app==web", ["web"]),
        ("app!=web", ["api", "db", "plain"]),
        ("app in (web, db)", ["db", "web"]),
        ("app notin (web,db)", ["api", "plain"]),
        ("canary", ["api"]),
        ("!canary", ["db", "plain", "web"]),
        ("tier=edge,!canary", ["web"]),
        ("tier=edge,app in (api)", ["api"]),
        ("", ["api", "db", "plain", "web"]),
    ],
)
def test_label_selectors(labelled: client.NetworkingV1Api, selector: str, expected: list[str]) -> None:
    found = labelled.list_namespaced_ingress("default", label_selector=selector)
    assert [i.metadata.name for i in found.items] == expected


def test_field_selectors_and_all_namespaces(core: client.CoreV1Api, net: client.NetworkingV1Api) -> None:
    core.create_namespace({"metadata": {"name": "shop"}})
    net.create_namespaced_ingress("default", ingress("web"))
    net.create_namespaced_ingress("shop", ingress("web"))
    net.create_namespaced_ingress("shop", ingress("cart"))

    everywhere = net.list_ingress_for_all_namespaces()
    assert [(i.metadata.namespace, i.metadata.name) for i in everywhere.items] == [
        ("default", "web"),
        ("shop", "cart"),
        ("shop", "web"),
    ]
    by_name = net.list_ingress_for_all_namespaces(field_selector="metadata.name=web")
    assert [i.metadata.namespace for i in by_name.items] == ["default", "shop"]
    not_default = net.list_ingress_for_all_namespaces(field_selector="metadata.namespace!=default")
    assert [i.metadata.name for i in not_default.items] == ["cart", "web"]
    assert [
        i.metadata.name
        for i in net.list_namespaced_ingress("shop", field_selector="metadata.name=cart").items
    ] == ["cart"]


def test_paging_with_limit_and_continue(emulator: KubeEmulator, core: client.CoreV1Api) -> None:
    for index in range(5):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"cm-{index}"}})
    first = core.list_namespaced_config_map("default", limit=2)
    assert [c.metadata.name for c in first.items] == ["cm-0", "cm-1"]
    assert first.metadata.remaining_item_count == 3 and first.metadata._continue
    second = core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    third = core.list_namespaced_config_map("default", limit=2, _continue=second.metadata._continue)
    assert [c.metadata.name for c in second.items + third.items] == ["cm-2", "cm-3", "cm-4"]
    assert not third.metadata._continue
    assert second.metadata.resource_version == first.metadata.resource_version

    emulator.compact()
    with pytest.raises(ApiException) as expired:
        core.list_namespaced_config_map("default", limit=2, _continue=first.metadata._continue)
    assert expired.value.status == 410
