"""TargetGroupBindings through the AWS provider against moto: a Service's pods or nodes registered into a
target group made outside lbctl, deregistered again, and the target group itself never modified."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from emulators.testing.aws_stacks import Account
from lbctl.model.binding_spec import BindingSpec, build_binding
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderError
from providers.aws.bindings import BINDABLE_TAG

WRITES = ("RegisterTargets", "DeregisterTargets")


def target_group(account: Account, name: str, target_type: str, tags: dict[str, str] | None = None) -> str:
    tags = {BINDABLE_TAG: "default"} if tags is None else tags
    return str(
        account.client("elbv2").create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=80,
            VpcId=account.vpc_id,
            TargetType=target_type,
            **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}),
        )["TargetGroups"][0]["TargetGroupArn"]
    )


def binding(spec: dict[str, Any], name: str = "web", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": {"name": name, "namespace": "default", "generation": 1, **meta},
        "spec": {"serviceRef": {"name": "web", "port": 80}, **spec},
    }


def cluster(account: Account, ips: list[str], *objects: dict[str, Any]) -> ClusterSnapshot:
    nodes = [
        {
            "kind": "Node",
            "metadata": {"name": f"node-{i}", "labels": {"topology.kubernetes.io/zone": "us-east-1a"}},
            "spec": {"providerID": f"aws:///us-east-1a/{instance}"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        for i, instance in enumerate(account.instances)
    ]
    service = {
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
    }
    slice_ = {
        "kind": "EndpointSlice",
        "metadata": {
            "name": "web-1",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080}],
        "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
    }
    return ClusterSnapshot.from_objects([*nodes, service, slice_, *objects])


def spec_of(snapshot: ClusterSnapshot, name: str = "web") -> BindingSpec:
    outcome = build_binding(snapshot.bindings[f"default/{name}"], snapshot)
    assert outcome.spec is not None, outcome.problems
    return outcome.spec


def registered(account: Account, arn: str) -> set[tuple[str, int]]:
    health = account.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return {(d["Target"]["Id"], d["Target"]["Port"]) for d in health}


def group_state(account: Account, arn: str) -> tuple[Any, ...]:
    """Everything about a target group except its targets."""
    elbv2 = account.client("elbv2")
    (group,) = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"]
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    tags = elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return (
        group,
        sorted((a["Key"], a["Value"]) for a in attributes),
        sorted((t["Key"], t["Value"]) for t in tags),
    )


def writes(calls: dict[str, int]) -> dict[str, int]:
    return {k: n for k, n in calls.items() if not k.split(":")[1].startswith(("Describe", "Get", "List"))}


def test_ip_binding_registers_pods_and_deregisters_them_leaving_the_group_unchanged(account: Account) -> None:
    arn = target_group(account, "users-ip", "ip")
    before = group_state(account, arn)
    provider = account.provider()
    snapshot = cluster(account, ["10.0.0.11", "10.0.0.12"], binding({"targetGroupName": "users-ip"}))
    result = provider.converge_binding(spec_of(snapshot))
    assert result.target_type == "ip" and result.target_group == arn  # inferred from the target group
    assert registered(account, arn) == {("10.0.0.11", 8080), ("10.0.0.12", 8080)}
    assert writes(result.calls) == {"elbv2:RegisterTargets:ok": 1}

    again = provider.converge_binding(spec_of(snapshot))
    assert writes(again.calls) == {} and again.changes == []
    assert sum(again.calls.values()) == 3  # the group, its tags, its targets

    scaled = cluster(account, ["10.0.0.12", "10.0.0.13"], binding({"targetGroupName": "users-ip"}))
    provider.converge_binding(spec_of(scaled))
    assert registered(account, arn) == {("10.0.0.12", 8080), ("10.0.0.13", 8080)}

    gone = provider.converge_binding(replace(spec_of(scaled), deleting=True))
    assert gone.deleted and registered(account, arn) == set()
    assert group_state(account, arn) == before
    every = {k.split(":")[1] for k in provider.stats.snapshot()}
    assert every <= {"DescribeTargetGroups", "DescribeTags", "DescribeTargetHealth", *WRITES}, every


def test_instance_binding_registers_the_nodes_on_the_node_port(account: Account) -> None:
    arn = target_group(account, "users-instance", "instance")
    provider = account.provider()
    snapshot = cluster(account, ["10.0.0.11"], binding({"targetGroupARN": arn, "targetType": "instance"}))
    provider.converge_binding(spec_of(snapshot))
    assert registered(account, arn) == {(i, 30080) for i in account.instances}


def test_node_selector_narrows_the_instance_targets(account: Account) -> None:
    arn = target_group(account, "users-selected", "instance")
    snapshot = cluster(
        account,
        [],
        binding(
            {
                "targetGroupARN": arn,
                "nodeSelector": {
                    "matchExpressions": [
                        {"key": "topology.kubernetes.io/zone", "operator": "NotIn", "values": ["us-east-1a"]}
                    ]
                },
            }
        ),
    )
    account.provider().converge_binding(spec_of(snapshot))
    assert registered(account, arn) == set()


def test_a_group_that_does_not_list_the_namespace_is_refused(account: Account) -> None:
    arn = target_group(account, "theirs", "ip", tags={BINDABLE_TAG: "payments"})
    provider = account.provider()
    snapshot = cluster(account, ["10.0.0.11"], binding({"targetGroupARN": arn}))
    with pytest.raises(ProviderError) as caught:
        provider.converge_binding(spec_of(snapshot))
    assert caught.value.user_fixable and caught.value.field == "spec.targetGroupARN"
    assert "namespace default" in str(caught.value) and BINDABLE_TAG in str(caught.value)
    assert registered(account, arn) == set()
    # As aws-load-balancer-controller: any target group the role reaches.
    account.provider(binding_scope="any").converge_binding(spec_of(snapshot))
    assert registered(account, arn) == {("10.0.0.11", 8080)}


def test_a_group_of_an_lbctl_stack_is_refused(account: Account) -> None:
    arn = target_group(
        account, "stack-tg", "ip", tags={"lbctl.io/cluster": "test-cluster", BINDABLE_TAG: "@all"}
    )
    snapshot = cluster(account, ["10.0.0.11"], binding({"targetGroupARN": arn}))
    with pytest.raises(ProviderError, match="belongs to an lbctl load balancer"):
        account.provider().converge_binding(spec_of(snapshot))


def test_what_the_binding_says_must_match_the_group(account: Account) -> None:
    arn = target_group(account, "mismatch", "instance")
    snapshot = cluster(account, ["10.0.0.11"], binding({"targetGroupARN": arn, "targetType": "ip"}))
    with pytest.raises(ProviderError) as caught:
        account.provider().converge_binding(spec_of(snapshot))
    assert caught.value.field == "spec.targetType" and "instance" in str(caught.value)
    vpc = cluster(account, [], binding({"targetGroupARN": arn, "vpcID": "vpc-0other"}))
    with pytest.raises(ProviderError) as caught:
        account.provider().converge_binding(spec_of(vpc))
    assert caught.value.field == "spec.vpcID"
    missing = cluster(account, [], binding({"targetGroupName": "no-such-group"}))
    with pytest.raises(ProviderError) as caught:
        account.provider().converge_binding(spec_of(missing))
    assert caught.value.field == "spec.targetGroupName" and "not found" in str(caught.value)


def test_multi_cluster_group_never_loses_targets_it_did_not_register(account: Account) -> None:
    arn = target_group(account, "shared", "ip")
    elbv2 = account.client("elbv2")
    elbv2.register_targets(
        TargetGroupArn=arn, Targets=[{"Id": "10.9.0.1", "Port": 8080}]
    )  # another cluster's
    provider = account.provider()
    snapshot = cluster(
        account, ["10.0.0.11"], binding({"targetGroupARN": arn, "multiClusterTargetGroup": True})
    )
    recorded: list[frozenset[tuple[str, int]]] = []
    first = provider.converge_binding(spec_of(snapshot), on_register=recorded.append)
    assert recorded == [frozenset({("10.0.0.11", 8080)})]  # written before the registration
    assert first.tracked == frozenset({("10.0.0.11", 8080)})
    assert registered(account, arn) == {("10.9.0.1", 8080), ("10.0.0.11", 8080)}

    # A pod goes: only what this binding registered may be deregistered.
    spec = replace(
        spec_of(
            cluster(account, ["10.0.0.12"], binding({"targetGroupARN": arn, "multiClusterTargetGroup": True}))
        ),
        tracked=first.tracked,
    )
    second = provider.converge_binding(spec, on_register=recorded.append)
    assert registered(account, arn) == {("10.9.0.1", 8080), ("10.0.0.12", 8080)}
    assert second.tracked == frozenset({("10.0.0.12", 8080)})

    gone = provider.converge_binding(replace(spec, tracked=second.tracked, deleting=True))
    assert gone.deleted and registered(account, arn) == {("10.9.0.1", 8080)}


def test_a_binding_that_never_recorded_its_targets_deregisters_nothing(account: Account) -> None:
    """Multi-cluster with no status yet (a new binding, or the flag just turned on): like the anchor, the
    first reconcile only registers."""
    arn = target_group(account, "shared-new", "ip")
    account.client("elbv2").register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.9.0.1", "Port": 8080}])
    snapshot = cluster(
        account, ["10.0.0.11"], binding({"targetGroupARN": arn, "multiClusterTargetGroup": True})
    )
    account.provider().converge_binding(spec_of(snapshot))
    assert registered(account, arn) == {("10.9.0.1", 8080), ("10.0.0.11", 8080)}


def test_plan_shows_the_requests_without_making_them(account: Account) -> None:
    arn = target_group(account, "planned", "ip")
    snapshot = cluster(account, ["10.0.0.11"], binding({"targetGroupARN": arn}))
    planned = account.provider().plan_binding(spec_of(snapshot))
    assert [s.operation for s in planned.steps] == ["RegisterTargets"]
    assert planned.steps[0].body == {"TargetGroupArn": arn, "Targets": [{"Id": "10.0.0.11", "Port": 8080}]}
    assert registered(account, arn) == set()


# --------------------------------------------------------------------------- networking

RULES = {
    "ingress": [
        {
            "from": [{"securityGroup": {"groupID": "PEER"}}, {"ipBlock": {"cidr": "10.8.0.0/16"}}],
            "ports": [{"port": 30080}],
        }
    ]
}
DESCRIPTION = "lbctl.io/targetGroupBinding=test-cluster"


def networking(peer: str) -> dict[str, Any]:
    rules = json.loads(json.dumps(RULES))
    rules["ingress"][0]["from"][0]["securityGroup"]["groupID"] = peer
    return rules


def node_group(account: Account) -> str:
    """The security group of the instances' primary ENIs (the VPC's default group, their only one)."""
    ec2 = account.client("ec2")
    reservations = ec2.describe_instances(InstanceIds=account.instances)["Reservations"]
    (group,) = {
        g["GroupId"]
        for r in reservations
        for i in r["Instances"]
        for eni in i["NetworkInterfaces"]
        for g in eni["Groups"]
    }
    return str(group)


def rules_on(account: Account, group: str) -> set[tuple[str, int, str, str]]:
    (found,) = account.client("ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"]
    out = set()
    for permission in found["IpPermissions"]:
        for pair in permission.get("UserIdGroupPairs", []):
            out.add(
                (
                    permission["IpProtocol"],
                    permission["FromPort"],
                    pair["GroupId"],
                    pair.get("Description", ""),
                )
            )
        for block in permission.get("IpRanges", []):
            out.add(
                (
                    permission["IpProtocol"],
                    permission["FromPort"],
                    block["CidrIp"],
                    block.get("Description", ""),
                )
            )
    return out


def peer_group(account: Account, name: str = "alb-frontend") -> str:
    return str(
        account.client("ec2").create_security_group(
            GroupName=name, Description="the user's ALB", VpcId=account.vpc_id
        )["GroupId"]
    )


def test_networking_opens_the_node_group_and_closes_it_again(account: Account) -> None:
    arn = target_group(account, "with-rules", "instance")
    peer, nodes = peer_group(account), node_group(account)
    ec2 = account.client("ec2")
    theirs = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}
    ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[theirs])
    before = rules_on(account, nodes)
    provider = account.provider()
    snapshot = cluster(account, [], binding({"targetGroupARN": arn, "networking": networking(peer)}))
    first = provider.converge_binding(spec_of(snapshot))
    assert rules_on(account, nodes) - before == {
        ("tcp", 30080, peer, DESCRIPTION),
        ("tcp", 30080, "10.8.0.0/16", DESCRIPTION),
    }
    assert [s.operation for s in first.steps][:2] == [
        "AuthorizeSecurityGroupIngress"
    ] * 2  # before the targets
    again = provider.converge_binding(spec_of(snapshot))
    assert writes(again.calls) == {}

    gone = provider.converge_binding(replace(spec_of(snapshot), deleting=True))
    assert gone.deleted and rules_on(account, nodes) == before  # the user's rule stays
    assert registered(account, arn) == set()


def test_bindings_share_a_rule_until_the_last_one_goes(account: Account) -> None:
    peer, nodes = peer_group(account), node_group(account)
    arns = [target_group(account, f"shared-rule-{i}", "instance") for i in (1, 2)]
    objects = [
        binding({"targetGroupARN": arn, "networking": networking(peer)}, name=f"b{i}")
        for i, arn in enumerate(arns)
    ]
    snapshot = cluster(account, [], *objects)
    provider = account.provider()
    for name in ("b0", "b1"):
        provider.converge_binding(spec_of(snapshot, name))
    ours = {r for r in rules_on(account, nodes) if r[3] == DESCRIPTION}
    assert len(ours) == 2
    provider.converge_binding(replace(spec_of(snapshot, "b0"), deleting=True))
    assert {r for r in rules_on(account, nodes) if r[3] == DESCRIPTION} == ours  # b1 still wants them
    remaining = cluster(account, [], objects[1])
    provider.converge_binding(replace(spec_of(remaining, "b1"), deleting=True))
    assert {r for r in rules_on(account, nodes) if r[3] == DESCRIPTION} == set()


def test_after_a_restart_rules_are_revoked_only_once_every_binding_was_seen(account: Account) -> None:
    peer, nodes = peer_group(account), node_group(account)
    arns = [target_group(account, f"restart-{i}", "instance") for i in (1, 2)]
    objects = [
        binding({"targetGroupARN": arn, "networking": networking(peer)}, name=f"b{i}")
        for i, arn in enumerate(arns)
    ]
    snapshot = cluster(account, [], *objects)
    first = account.provider()
    for name in ("b0", "b1"):
        first.converge_binding(spec_of(snapshot, name))
    restarted = account.provider()  # remembers nothing
    with pytest.raises(ProviderError, match="waiting to see every TargetGroupBinding"):
        restarted.converge_binding(replace(spec_of(snapshot, "b0"), deleting=True))
    assert registered(account, arns[0]) != set()  # nothing done yet: the finalizer stays
    restarted.converge_binding(spec_of(snapshot, "b1"))
    restarted.converge_binding(replace(spec_of(snapshot, "b0"), deleting=True))
    assert registered(account, arns[0]) == set()
    assert len({r for r in rules_on(account, nodes) if r[3] == DESCRIPTION}) == 2  # b1's


def test_ip_targets_open_the_group_of_the_pod_eni(account: Account) -> None:
    ec2 = account.client("ec2")
    pods = str(
        ec2.create_security_group(GroupName="pods", Description="pod ENIs", VpcId=account.vpc_id)["GroupId"]
    )
    ec2.create_network_interface(
        SubnetId=account.subnets["us-east-1b"], PrivateIpAddress="10.0.1.50", Groups=[pods]
    )
    arn = target_group(account, "pods-ip", "ip")
    rules = {
        "ingress": [
            {"from": [{"ipBlock": {"cidr": "10.8.0.0/16"}}], "ports": [{"port": 8080, "protocol": "TCP"}]}
        ]
    }
    snapshot = cluster(account, ["10.0.1.50"], binding({"targetGroupARN": arn, "networking": rules}))
    account.provider().converge_binding(spec_of(snapshot))
    assert rules_on(account, pods) == {("tcp", 8080, "10.8.0.0/16", DESCRIPTION)}
    assert registered(account, arn) == {("10.0.1.50", 8080)}


def test_a_target_without_a_network_interface_is_reported(account: Account) -> None:
    arn = target_group(account, "no-eni", "ip")
    rules = {"ingress": [{"from": [{"ipBlock": {"cidr": "10.8.0.0/16"}}], "ports": [{"port": 8080}]}]}
    snapshot = cluster(account, ["10.0.7.7"], binding({"targetGroupARN": arn, "networking": rules}))
    result = account.provider().converge_binding(spec_of(snapshot))
    assert any("10.0.7.7" in w and "spec.networking" in w for w in result.warnings), result.warnings
    assert registered(account, arn) == {("10.0.7.7", 8080)}
