"""`plan(desired, current)` is pure: Desired and Current in, ordered Steps with their request bodies out, no
cloud, no callbacks, inputs untouched. Table-driven from the documented example translated for real and
from small hand-made resources (a NEG, a shared instance group another stack uses)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from emulators.testing.gcp_stacks import PROJECT, example_objects, stack_from
from lbctl.cli.render import step_documents
from lbctl.model.builder import empty_spec
from lbctl.provider import Secret, StackInput, Step
from providers.gcp import naming as n
from providers.gcp.discover import Current, Existing
from providers.gcp.plan import plan
from providers.gcp.translate import ORDER, Context, Desired, Wanted, translate

CLUSTER = "plan-test"
STACK = "default/shop"


def _example() -> Desired:
    return translate(stack_from(example_objects()), Context(CLUSTER, PROJECT, static_ip="203.0.113.7"))


def _existing(key: tuple[str, str, str], body: dict[str, Any]) -> Existing:
    owner = n.owner(body)
    assert owner is not None, key
    return Existing(key, {**copy.deepcopy(body), "fingerprint": "fp-1"}, owner)


def _applied(desired: Desired) -> Current:
    """The Current a cloud holding exactly `desired` is discovered as (bodies as sent, plus fingerprints)."""
    current = Current(desired.stack)
    for want in desired.resources:
        body = {**want.body, **({"securityPolicy": want.security_policy} if want.security_policy else {})}
        existing = _existing(want.key, body)
        (current.shared if existing.stack == n.SHARED_STACK else current.mine)[want.key] = existing
        group = (want.zone or "", want.name)
        if want.members is not None:
            current.members[group] = list(want.members)
        if want.endpoints is not None:
            current.endpoints[group] = [dict(e) for e in want.endpoints]
    return current


def _summary(steps: list[Step]) -> list[tuple[str, str, str]]:
    return [(s.action, s.operation, s.detail) for s in steps]


def _slower_health_check(current: Current) -> None:
    hc = next(e for k, e in current.mine.items() if k[0] == "healthChecks")
    hc.body["checkIntervalSec"] = 5


def _node_left(current: Current) -> None:
    group = next(g for g, members in current.members.items() if members)
    current.members[group] = current.members[group] + [f"projects/{PROJECT}/zones/{group[0]}/instances/gone"]


def _proxy_on_other_map(current: Current) -> None:
    proxy = next(e for k, e in current.mine.items() if k[0] == "targetHttpProxies")
    proxy.body["urlMap"] = f"projects/{PROJECT}/global/urlMaps/old"


def _foreign_of_ours(current: Current) -> None:
    body = {"name": "k8s2-hc-old", "description": n.description(CLUSTER, STACK, "HealthCheck:old")}
    current.mine[("healthChecks", "", "k8s2-hc-old")] = _existing(("healthChecks", "", "k8s2-hc-old"), body)


CHANGES: list[tuple[str, Callable[[Current], None], list[tuple[str, str, str]]]] = [
    ("no change", lambda current: None, []),
    ("one field of a health check", _slower_health_check, [("update", "healthChecks.update", "in place")]),
    ("a node left", _node_left, [("update", "instanceGroups.removeInstances", "remove 1 instance(s)")]),
    ("a proxy's URL map", _proxy_on_other_map, [("update", "targetHttpProxies.setUrlMap", "urlMap")]),
    ("a resource no longer wanted", _foreign_of_ours, [("delete", "healthChecks.delete", "")]),
]


def test_create_from_empty_sends_every_resource_in_dependency_order() -> None:
    desired = _example()
    steps = plan(desired, Current(desired.stack))
    creates = [s for s in steps if s.action == "create"]
    assert [s.name for s in creates] == [
        w.name for c in ORDER for w in desired.resources if w.collection == c
    ]
    order = [s.kind for s in creates]
    assert order.index("HealthCheck") < order.index("InstanceGroup") < order.index("BackendService")
    assert order.index("BackendService") < order.index("UrlMap") < order.index("TargetHttpsProxy")
    assert order.index("TargetHttpsProxy") < order.index("ForwardingRule")
    assert {s.action for s in steps} == {"create", "update"}  # the updates add the nodes to the new groups
    services = [s for s in steps if s.kind == "BackendService"]
    assert services and all(s.body["healthChecks"] and s.body["backends"] for s in services)
    (url_map,) = [s for s in steps if s.kind == "UrlMap"]
    assert url_map.body["hostRules"] and url_map.body["pathMatchers"] and url_map.body["defaultService"]
    rules = [s for s in steps if s.kind == "ForwardingRule"]
    assert {r.body["IPAddress"] for r in rules} == {"203.0.113.7"}
    assert len({s.key for s in steps}) == len(steps), "step keys are unique in a plan"


def test_the_private_key_is_sent_but_never_shown() -> None:
    steps = plan(_example(), Current(STACK))
    (cert,) = [s for s in steps if s.kind == "SslCertificate"]
    assert isinstance(cert.body["privateKey"], Secret) and "PRIVATE KEY" in cert.body["privateKey"].value
    assert "PRIVATE KEY" not in repr(steps) and "PRIVATE KEY" not in str(step_documents(steps))
    (doc,) = [d for d in step_documents(steps) if d["kind"] == "SslCertificate"]
    assert doc["body"]["privateKey"] == "<redacted>" and doc["body"]["certificate"].startswith("-----BEGIN")


@pytest.mark.parametrize(("label", "change", "expected"), CHANGES, ids=[c[0] for c in CHANGES])
def test_plan_of_a_changed_cloud(
    label: str, change: Callable[[Current], None], expected: list[tuple[str, str, str]]
) -> None:
    desired = _example()
    current = _applied(desired)
    change(current)
    assert _summary(plan(desired, current)) == expected, label


def test_an_update_sends_the_whole_resource_and_says_what_changes() -> None:
    desired = _example()
    current = _applied(desired)
    _slower_health_check(current)
    (update,) = plan(desired, current)
    wanted = next(w for w in desired.resources if w.key == (update.operation.split(".")[0], "", update.name))
    assert update.changes == {"checkIntervalSec": (5, wanted.body["checkIntervalSec"])}
    assert update.body == {**wanted.body, "fingerprint": "fp-1"}  # the fingerprint as discovered


def test_deleting_the_stack_goes_in_reverse_order_and_keeps_a_group_another_stack_uses() -> None:
    desired = _example()
    current = _applied(desired)
    gone = translate(StackInput(empty_spec("gcp", desired.stack)), Context(CLUSTER, PROJECT))
    steps = plan(gone, current)
    kinds = [s.kind for s in steps if s.action == "delete"]
    assert kinds.index("ForwardingRule") < kinds.index("TargetHttpsProxy") < kinds.index("UrlMap")
    assert kinds.index("UrlMap") < kinds.index("BackendService") < kinds.index("InstanceGroup")
    assert kinds.index("InstanceGroup") < kinds.index("HealthCheck") and "SslCertificate" in kinds

    group = next(k for k in current.shared if k[0] == "instanceGroups")
    current.others_ports[(group[1], group[2])] = {"port31000": 31000}  # another stack's backend service
    steps = plan(gone, current)
    assert ("instanceGroups", group[1], group[2]) not in {
        (s.operation.split(".")[0], s.where, s.name) for s in steps if s.action == "delete"
    }
    (ports,) = [s for s in steps if s.operation == "instanceGroups.setNamedPorts" and s.where == group[1]]
    assert ports.body == {"namedPorts": [{"name": "port31000", "port": 31000}], "fingerprint": "fp-1"}


def _neg(endpoints: list[dict[str, Any]]) -> Desired:
    body = {
        "name": "k8s2-ne-x",
        "description": n.description(CLUSTER, STACK, "NEG:x"),
        "networkEndpointType": "GCE_VM_IP_PORT",
    }
    return Desired(
        STACK, [Wanted("networkEndpointGroups", "k8s2-ne-x", body, "us-central1-a", endpoints=endpoints)]
    )


def test_neg_endpoints_differ_by_normalised_key() -> None:
    a = {"instance": None, "ipAddress": "10.0.0.1", "port": 8080}
    b = {"instance": "node-a", "ipAddress": "10.0.0.2", "port": 8080}
    desired = _neg([a, b])
    current = _applied(_neg([]))
    # as the API lists them: an endpoint without an instance has no such field; one we no longer want
    current.endpoints[("us-central1-a", "k8s2-ne-x")] = [
        {"ipAddress": "10.0.0.1", "port": 8080},
        {"instance": "node-b", "ipAddress": "10.0.0.3", "port": 8080},
    ]
    steps = plan(desired, current)
    assert _summary(steps) == [
        ("update", "networkEndpointGroups.attachNetworkEndpoints", "attach 1 endpoint(s)"),
        ("update", "networkEndpointGroups.detachNetworkEndpoints", "detach 1 endpoint(s)"),
    ]
    assert steps[0].body == {"networkEndpoints": [b]}


def test_a_shared_group_keeps_the_named_ports_other_stacks_use() -> None:
    body = {
        "name": "k8s2-ig-x",
        "description": n.description(CLUSTER, n.SHARED_STACK, "InstanceGroup"),
        "namedPorts": [{"name": "port30001", "port": 30001}],
    }
    members = ["projects/p/zones/us-central1-a/instances/node-a"]
    desired = Desired(STACK, [Wanted("instanceGroups", "k8s2-ig-x", body, "us-central1-a", members=members)])
    current = _applied(desired)
    current.others_ports[("us-central1-a", "k8s2-ig-x")] = {"port30002": 30002}
    (step,) = plan(desired, current)
    assert step.operation == "instanceGroups.setNamedPorts"
    assert step.body["namedPorts"] == [
        {"name": "port30001", "port": 30001},
        {"name": "port30002", "port": 30002},
    ]
    assert desired.resources[0].body["namedPorts"] == [{"name": "port30001", "port": 30001}], (
        "desired untouched"
    )


PURITY_CASES = [c[1] for c in CHANGES] + [None]


@pytest.mark.parametrize("change", PURITY_CASES)
def test_plan_never_changes_its_inputs(change: Callable[[Current], None] | None) -> None:
    desired = _example()
    current = Current(desired.stack) if change is None else _applied(desired)
    if change is not None:
        change(current)
        current.others_ports[next((k[1], k[2]) for k in current.shared)] = {"port31000": 31000}
    before = (copy.deepcopy(desired), copy.deepcopy(current))
    first = plan(desired, current)
    assert (desired, current) == before
    assert plan(desired, current) == first, "the same inputs give the same steps"


def test_applying_the_plan_of_an_empty_cloud_leaves_nothing_to_do() -> None:
    desired = _example()
    assert plan(desired, _applied(desired)) == []
