"""TargetGroupBindings in the model (pure): what is accepted, what is refused naming the field, and which
targets a binding's spec carries."""

from __future__ import annotations

from typing import Any

import pytest

from lbctl.model.binding_spec import build_binding
from lbctl.model.bindings import NetworkPeer, NetworkPort, parse_target_group_binding
from lbctl.model.problems import SpecError
from lbctl.model.snapshot import ClusterSnapshot


def tgb(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"serviceRef": {"name": "web", "port": 80}, "targetGroupName": "web-tg", **spec},
    }


def node(name: str, **labels: str) -> dict[str, Any]:
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"providerID": f"aws:///us-east-1a/i-{name}"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


SERVICE = {
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "type": "NodePort",
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
    },
}
SLICE = {
    "kind": "EndpointSlice",
    "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 8080}],
    "endpoints": [
        {"addresses": ["10.0.0.1"], "conditions": {"ready": True}},
        {"addresses": ["10.0.0.2"], "conditions": {"ready": False}},
    ],
}


@pytest.mark.parametrize(
    ("spec", "field", "says"),
    [
        ({"targetGroupName": None}, "spec.targetGroupARN", "is required"),
        ({"targetType": "lambda"}, "spec.targetType", "instance, ip"),
        ({"serviceRef": {"name": "web"}}, "spec.serviceRef.port", "is required"),
        ({"ipAddressType": "dualstack"}, "spec.ipAddressType", "ipv4, ipv6"),
        ({"iamRoleArnToAssume": "arn:aws:iam::1:role/x"}, "spec.iamRoleArnToAssume", "not supported"),
        ({"targetGroupArn": "x"}, "spec.targetGroupArn", "unknown field"),
        ({"multiClusterTargetGroup": "yes"}, "spec.multiClusterTargetGroup", "true or false"),
        ({"targetType": "ip", "nodeSelector": {"matchLabels": {"a": "b"}}}, "spec.nodeSelector", "instance"),
        (
            {"nodeSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}},
            "spec.nodeSelector.matchExpressions[0].values",
            "must not be empty",
        ),
        (
            {"networking": {"ingress": [{"ports": []}]}},
            "spec.networking.ingress[0].from",
            "at least one peer",
        ),
        (
            {
                "networking": {
                    "ingress": [
                        {"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "securityGroup": {"groupID": "sg-1"}}]}
                    ]
                }
            },
            "spec.networking.ingress[0].from[0]",
            "exactly one",
        ),
        (
            {"networking": {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/8"}}]}]}},
            "spec.networking.ingress[0].from[0].ipBlock.cidr",
            "CIDR",
        ),
        (
            {
                "networking": {
                    "ingress": [
                        {"from": [{"securityGroup": {"groupID": "sg-1"}}], "ports": [{"port": "http"}]}
                    ]
                }
            },
            "spec.networking.ingress[0].ports[0].port",
            "named ports",
        ),
    ],
)
def test_refused_with_the_field_named(spec: dict[str, Any], field: str, says: str) -> None:
    body = tgb(**spec)
    body["spec"] = {k: v for k, v in body["spec"].items() if v is not None}
    with pytest.raises(SpecError) as caught:
        parse_target_group_binding(body)
    assert caught.value.problem.field == field
    assert says in caught.value.problem.message


def test_arn_wins_over_name_and_networking_defaults() -> None:
    parsed = parse_target_group_binding(
        tgb(
            targetGroupARN="arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/1",
            networking={
                "ingress": [
                    {"from": [{"securityGroup": {"groupID": "sg-1"}}, {"ipBlock": {"cidr": "10.0.0.0/16"}}]}
                ]
            },
        )
    )
    assert parsed.target_group_name is None and parsed.target_group_arn
    (rule,) = parsed.networking
    assert rule.peers == (NetworkPeer(security_group="sg-1"), NetworkPeer(cidr="10.0.0.0/16"))
    assert rule.ports == (NetworkPort("TCP", None),)  # no ports: every TCP port


def test_targets_of_each_type_when_the_type_is_left_to_the_target_group() -> None:
    snapshot = ClusterSnapshot.from_objects(
        [
            tgb(),
            SERVICE,
            SLICE,
            node("a"),
            node("b", **{"node-role.kubernetes.io/master": ""}),
            node("c", **{"eks.amazonaws.com/compute-type": "fargate"}),
        ]
    )
    spec = build_binding(snapshot.bindings["shop/web"], snapshot).spec
    assert spec is not None
    assert [(t.id, t.port) for t in spec.ip_targets or ()] == [("10.0.0.1", 8080)]  # ready endpoints only
    assert [(t.id, t.port) for t in spec.instance_targets or ()] == [("i-a", 30080)]  # default exclusions


def test_node_selector_is_merged_with_the_default_exclusions() -> None:
    selector = {
        "matchLabels": {"pool": "web"},
        "matchExpressions": [{"key": "spot", "operator": "DoesNotExist"}],
    }
    snapshot = ClusterSnapshot.from_objects(
        [
            tgb(nodeSelector=selector),
            SERVICE,
            node("a", pool="web"),
            node("b", pool="web", spot="1"),
            node("c"),
        ]
    )
    spec = build_binding(snapshot.bindings["shop/web"], snapshot).spec
    assert spec is not None and [t.id for t in spec.instance_targets or ()] == ["i-a"]


def test_a_missing_service_means_no_targets_and_a_missing_port_an_error() -> None:
    snapshot = ClusterSnapshot.from_objects([tgb(targetType="ip")])
    outcome = build_binding(snapshot.bindings["shop/web"], snapshot)
    assert outcome.spec is not None and outcome.spec.ip_targets == ()
    assert [p.severity for p in outcome.problems] == ["warning"]
    snapshot = ClusterSnapshot.from_objects([tgb(serviceRef={"name": "web", "port": "grpc"}), SERVICE])
    outcome = build_binding(snapshot.bindings["shop/web"], snapshot)
    assert outcome.spec is None and outcome.problems[0].field == "spec.serviceRef.port"
    assert "its ports: http" in outcome.problems[0].message


def test_instance_targets_need_a_node_port() -> None:
    cluster_ip = {**SERVICE, "spec": {"type": "ClusterIP", "ports": [{"name": "http", "port": 80}]}}
    snapshot = ClusterSnapshot.from_objects([tgb(targetType="instance"), cluster_ip])
    outcome = build_binding(snapshot.bindings["shop/web"], snapshot)
    assert outcome.spec is None and "nodePort" in outcome.problems[0].message
    snapshot = ClusterSnapshot.from_objects([tgb(), cluster_ip, SLICE])
    spec = build_binding(snapshot.bindings["shop/web"], snapshot).spec
    assert spec is not None and spec.instance_targets is None and "nodePort" in spec.unavailable["instance"]
