"""What the model keeps between reconciles gives the same answers as computing afresh: the snapshot's slice
and pod index follows every put (also in copies made before), and a JSON annotation's kept verdict still
yields a fresh value or the same refusal."""

from __future__ import annotations

import dataclasses
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.snapshot import ClusterSnapshot


def _slice(name: str, service: str, ip: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": namespace, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
    }


def _pod(name: str, labels: dict[str, str], namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "app"}]},
    }


def _addresses(snapshot: ClusterSnapshot, namespace: str, service: str) -> list[str]:
    return [e.addresses[0] for s in snapshot.slices_of(namespace, service) for e in s.endpoints]


def test_slices_and_pods_by_service_follow_every_put() -> None:
    snapshot = ClusterSnapshot()
    snapshot.add(_slice("web-1", "web", "10.0.0.1"))
    snapshot.add(_slice("api-1", "api", "10.0.0.2"))
    snapshot.add(_slice("web-1", "web", "10.0.1.1", namespace="other"))
    assert _addresses(snapshot, "default", "web") == ["10.0.0.1"]
    copy = dataclasses.replace(snapshot, ingresses={})  # as the controller's per-stack view
    assert _addresses(copy, "default", "web") == ["10.0.0.1"]

    snapshot.add(_slice("web-2", "web", "10.0.0.3"))  # a new slice after the index was made
    snapshot.add(_slice("api-1", "api", "10.0.0.4"))  # a replaced one: the same number of slices
    assert _addresses(snapshot, "default", "web") == ["10.0.0.1", "10.0.0.3"]
    assert _addresses(copy, "default", "web") == ["10.0.0.1", "10.0.0.3"]  # same dicts, so same answer
    assert _addresses(snapshot, "default", "api") == ["10.0.0.4"]
    assert _addresses(snapshot, "other", "web") == ["10.0.1.1"]
    assert snapshot.slices_of("default", "missing") == []

    snapshot.add(_pod("a", {"app": "web"}))
    assert [p.name for p in snapshot.pods_selected("default", {"app": "web"})] == ["a"]
    snapshot.add(_pod("b", {"app": "web", "tier": "x"}))
    snapshot.add(_pod("c", {"app": "web"}, namespace="other"))
    assert [p.name for p in snapshot.pods_selected("default", {"app": "web"})] == ["a", "b"]
    assert [p.name for p in snapshot.pods_selected("default", {"tier": "x"})] == ["b"]
    assert snapshot.pods_selected("default", {}) == []


def test_a_json_annotation_read_again_is_a_fresh_value_or_the_same_refusal() -> None:
    raw = {a.NEG: '{"ingress": true}'}
    first = a.REGISTRY.parse(raw, "Service", "Service default/web")
    first.get(a.NEG)["ingress"] = False  # what one reconcile does with its value stays its own
    second = a.REGISTRY.parse(raw, "Service", "Service default/web")
    assert second.get(a.NEG) == {"ingress": True}
    assert not second.problems

    bad = {a.NEG: '{"ingress": "yes"}'}
    messages = [
        [p.message for p in a.REGISTRY.parse(bad, "Service", "Service default/web").errors] for _ in range(2)
    ]
    assert messages[0] and messages[0] == messages[1]
    assert "ingress" in messages[0][0]
