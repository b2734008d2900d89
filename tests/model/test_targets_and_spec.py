"""Targets from Nodes / EndpointSlices / Endpoints, and the spec as plain, comparable data."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from emulators.testing.specs import Obj, ingress, meta, only_spec, path, rule, service, snapshot, tls_secret
from lbctl.model import annotations as a
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.targets import EXCLUDE_LABEL, Target, backend_targets, spec_targets


def node(
    name: str,
    zone: str = "us-east-1a",
    ready: bool = True,
    unschedulable: bool = False,
    deleting: bool = False,
    labels: dict[str, str] | None = None,
    provider_id: str | None = None,
) -> Obj:
    md = meta(name, None, labels={"topology.kubernetes.io/zone": zone, **(labels or {})})
    if deleting:
        md["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": md,
        "spec": {
            "providerID": provider_id if provider_id is not None else f"aws:///{zone}/i-{name}",
            "unschedulable": unschedulable,
        },
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def endpoint_slice(
    name: str,
    service_name: str,
    ports: list[tuple[str | None, int]],
    endpoints: list[tuple[str, bool | None, str | None]],
) -> Obj:
    eps = []
    for address, ready, node_name in endpoints:
        item: Obj = {"addresses": [address]}
        if ready is not None:
            item["conditions"] = {"ready": ready}
        if node_name:
            item["nodeName"] = node_name
        eps.append(item)
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": meta(name, labels={"kubernetes.io/service-name": service_name}),
        "ports": [{"port": port, **({"name": n} if n else {})} for n, port in ports],
        "endpoints": eps,
    }


WEB = service("web", [(80, "http", 30080), (81, "admin", 30081)])
NODES = [
    node("a"),
    node("b", zone="us-east-1b"),
    node("cordoned", unschedulable=True),
    node("notready", ready=False),
    node("gone", deleting=True),
    node("excluded", labels={EXCLUDE_LABEL: ""}),
    node("noid", provider_id=""),
    node("gpu", labels={"pool": "gpu"}),
]


def targets_of(ingress_obj: Obj, *objects: Obj, key: str = "default/web:80") -> list[Target]:
    spec = only_spec(ingress_obj, *objects)
    snap = snapshot(ingress_obj, *objects)
    assert spec_targets(spec, snap)[key] == backend_targets(spec.backends[key], snap)
    return backend_targets(spec.backends[key], snap)


def test_instance_mode_skips_nodes_that_cannot_carry_traffic() -> None:
    got = targets_of(ingress("i", rule(None, path("/", "web", 80))), WEB, *NODES)
    assert got == [
        Target("i-a", 30080, "us-east-1a", "a"),
        Target("i-b", 30080, "us-east-1b", "b"),
        Target("i-gpu", 30080, "us-east-1a", "gpu"),
    ]


@pytest.mark.parametrize("where", ["ingress", "service"])
def test_target_node_labels(where: str) -> None:
    labels = {a.TARGET_NODE_LABELS: "pool=gpu"}
    ing = ingress("i", rule(None, path("/", "web", 80)), annotations=labels if where == "ingress" else None)
    svc = service("web", annotations=labels if where == "service" else None)
    assert [t.id for t in targets_of(ing, svc, *NODES)] == ["i-gpu"]


def test_node_zone_and_instance_from_provider_id() -> None:
    snap = ClusterSnapshot.from_objects(
        [
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "g"},
                "spec": {"providerID": "gce://proj/europe-west1-b/vm-1"},
            },
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": "w"},
                "spec": {"providerID": "aws:///us-west-2c/i-9"},
            },
        ]
    )
    assert (snap.nodes["g"].zone, snap.nodes["g"].instance_id) == ("europe-west1-b", "vm-1")
    assert (snap.nodes["w"].zone, snap.nodes["w"].instance_id) == ("us-west-2c", "i-9")
    assert snap.nodes["g"].ready  # no conditions yet: not known to be unready


IP = {a.TARGET_TYPE: "ip"}


def test_ip_mode_takes_ready_endpoints_on_the_right_port() -> None:
    slices = [
        endpoint_slice(
            "web-1",
            "web",
            [("http", 8080), ("admin", 9090)],
            [("10.0.0.1", True, "a"), ("10.0.0.2", False, "a"), ("10.0.0.3", None, "b")],
        ),
        endpoint_slice("web-2", "web", [("http", 8080)], [("10.0.0.4", True, None), ("10.0.0.1", True, "a")]),
        endpoint_slice("other-1", "other", [("http", 8080)], [("10.9.9.9", True, None)]),
    ]
    ing = ingress("i", rule(None, path("/", "web", 80), path("/admin", "web", "admin")), annotations=IP)
    assert targets_of(ing, WEB, *NODES, *slices) == [
        Target("10.0.0.1", 8080, "us-east-1a", "a"),
        Target("10.0.0.3", 8080, "us-east-1b", "b"),
        Target("10.0.0.4", 8080, None, None),
    ]
    admin = targets_of(ing, WEB, *NODES, *slices, key="default/web:81")
    assert [(t.id, t.port) for t in admin] == [
        ("10.0.0.1", 9090),
        ("10.0.0.3", 9090),
    ]  # web-2 has no admin port


def test_ip_mode_unnamed_single_port() -> None:
    svc = service("web", [(80, None, None)], type="ClusterIP")
    sl = endpoint_slice("web-1", "web", [(None, 8080)], [("10.0.0.1", True, None)])
    assert targets_of(ingress("i", rule(None, path("/", "web", 80)), annotations=IP), svc, sl) == [
        Target("10.0.0.1", 8080)
    ]


def test_legacy_endpoints_are_converted() -> None:
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta("web"),
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.1", "nodeName": "a"}],
                "notReadyAddresses": [{"ip": "10.0.0.2"}],
                "ports": [{"name": "http", "port": 8080}, {"name": "admin", "port": 9090}],
            }
        ],
    }
    ing = ingress("i", rule(None, path("/", "web", 80)), annotations=IP)
    assert targets_of(ing, WEB, *NODES, endpoints) == [Target("10.0.0.1", 8080, "us-east-1a", "a")]


# ----------------------------------------------------------------------------- the spec as data


def _rich_objects() -> list[Obj]:
    ann = {
        a.GROUP_NAME: "g",
        a.LISTEN_PORTS: '[{"HTTP": 80}, {"HTTPS": 443}]',
        a.SSL_REDIRECT: "443",
        a.TAGS: "team=web",
        a.ALB + "actions.canary": json.dumps(
            {
                "type": "forward",
                "forwardConfig": {
                    "targetGroups": [
                        {"serviceName": "web", "servicePort": 80, "weight": 90},
                        {"serviceName": "web", "servicePort": "admin", "weight": 10},
                    ],
                    "targetGroupStickinessConfig": {"enabled": True},
                },
            }
        ),
    }
    ing = ingress(
        "i",
        rule("shop.test", path("/", "web", 80), path("/c", "canary", "use-annotation", "Exact")),
        rule("*.shop.test", path(None, "web", 81, "ImplementationSpecific")),
        annotations=ann,
        tls=[{"hosts": ["shop.test"], "secretName": "tls"}],
    )
    return [ing, WEB, tls_secret("tls"), *NODES]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_to_dict_round_trips(fmt: str) -> None:
    doc = only_spec(*_rich_objects()).to_dict()
    text = yaml.safe_dump(doc) if fmt == "yaml" else json.dumps(doc)
    assert (yaml.safe_load(text) if fmt == "yaml" else json.loads(text)) == doc
    assert doc["frontend"]["listeners"][0]["redirect_to_https_port"] == 443
    assert doc["rules"][0]["path"] == {"type": "Exact", "path": "/c"}


def _plain_types(value: Any) -> bool:
    if isinstance(value, dict):
        return all(type(k) is str and _plain_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_types(v) for v in value)
    return type(value) in (str, int, bool, float)


def test_to_dict_holds_only_plain_types() -> None:
    assert _plain_types(only_spec(*_rich_objects()).to_dict())


def test_specs_compare_equal_when_built_twice() -> None:
    objects = _rich_objects()
    first, second = only_spec(*objects), only_spec(*objects)
    assert first == second and first is not second
    assert first.to_dict() == second.to_dict()
    shuffled = only_spec(*reversed(objects))
    assert shuffled == first


def test_specs_differ_when_input_differs() -> None:
    objects = _rich_objects()
    changed = json.loads(json.dumps(objects))
    changed[0]["metadata"]["annotations"][a.TAGS] = "team=api"
    assert only_spec(*objects) != only_spec(*changed)
