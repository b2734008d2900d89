"""NLB security groups as aws-load-balancer-controller makes them, against moto's EC2 and ELB: the managed
frontend group (listener ports × source ranges or prefix lists), the Service's own groups, the cluster's shared
backend group with the node security group rules from it, and disable-nlb-sg; a second converge makes no write
and deleting leaves nothing of ours (the managed group goes once the NLB no longer holds it)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from botocore.awsrequest import AWSResponse

from emulators.testing.aws_stacks import (
    CLUSTER,
    LOKI_CLASSED,
    A,
    Account,
    ours,
    service_input,
    with_nodes,
    writes,
)
from lbctl.model.problems import Severity
from lbctl.model.services import build_services, empty_service_spec
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ServiceInput
from providers.aws import naming

DNS = "    - {name: dns, port: 53, protocol: UDP, targetPort: 53, nodePort: 30053}\n"  # UDP traffic
OFFLINE = Account("http://unused", "vpc-0a", {}, ["i-0aaa", "i-0bbb"])  # for manifests only


def manifest(account: Account, annotations: dict[str, str] | None = None, spec: str = "") -> str:
    flow = yaml.safe_dump(annotations or {}, default_flow_style=True).strip()
    return with_nodes(LOKI_CLASSED.format(annotations=flow, extra=spec), account)


def service(account: Account, annotations: dict[str, str] | None = None, spec: str = "") -> ServiceInput:
    return service_input(manifest(account, annotations, spec))


def groups(account: Account, name: str, *values: str) -> list[dict[str, Any]]:
    """The security groups matching one DescribeSecurityGroups filter."""
    found = account.client("ec2").describe_security_groups(Filters=[{"Name": name, "Values": list(values)}])
    return list(found["SecurityGroups"])


def ingress(group: dict[str, Any]) -> set[tuple[str, int, int, str]]:
    """(protocol, from, to, source) of each rule: a CIDR, a prefix list or a security group."""
    out = set()
    for perm in group["IpPermissions"]:
        sources = [r["CidrIp"] for r in perm.get("IpRanges", [])]
        sources += [r["PrefixListId"] for r in perm.get("PrefixListIds", [])]
        sources += [r["GroupId"] for r in perm.get("UserIdGroupPairs", [])]
        out |= {(perm["IpProtocol"], perm["FromPort"], perm["ToPort"], s) for s in sources}
    return out


def node_group(account: Account) -> dict[str, Any]:
    (group,) = groups(account, "group-name", "nodes")
    return group


def ours_tagged(account: Account) -> list[str]:
    return sorted(g["GroupName"] for g in groups(account, "tag-key", naming.CLUSTER_TAG))


def test_managed_groups_source_ranges_node_rules_and_delete(account: Account) -> None:
    provider = account.provider()
    stack = service(account, spec="  loadBalancerSourceRanges: [10.0.0.0/16]\n")
    result = provider.converge_service(stack)
    assert not result.errors, result.errors
    (lb,) = ours(account)["lbs"]
    (frontend,) = groups(account, f"tag:{naming.STACK_TAG}", stack.spec.stack)
    (backend,) = groups(account, "group-name", naming.backend_security_group_name(CLUSTER))
    assert sorted(lb["SecurityGroups"]) == sorted([frontend["GroupId"], backend["GroupId"]])
    assert ingress(frontend) == {("tcp", 3100, 3100, "10.0.0.0/16"), ("tcp", 9095, 9095, "10.0.0.0/16")}
    # one rule on the node security group from the backend group spans both NodePorts
    assert ingress(node_group(account)) == {("tcp", 30100, 30195, backend["GroupId"])}
    assert writes(provider.converge_service(stack).calls) == []

    # The annotation's ranges apply when spec.loadBalancerSourceRanges is gone: only the frontend rules change.
    narrowed = service(account, {"service.beta.kubernetes.io/load-balancer-source-ranges": "192.168.0.0/24"})
    changed = provider.converge_service(narrowed)
    assert sorted({(s.kind, s.operation) for s in changed.steps}) == [
        ("SecurityGroup", "AuthorizeSecurityGroupIngress"),
        ("SecurityGroup", "RevokeSecurityGroupIngress"),
    ]
    (frontend,) = groups(account, "group-id", frontend["GroupId"])
    assert {source for *_, source in ingress(frontend)} == {"192.168.0.0/24"}
    assert writes(provider.converge_service(narrowed).calls) == []

    # Deleting: the NLB first; AWS keeps its interfaces a while, so the managed group's first delete is refused
    # (DependencyViolation, which moto never raises: injected once) and the next converge deletes it.
    refused: list[str] = []

    def busy(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]] | None:
        if params["body"].get("GroupId") == frontend["GroupId"] and not refused:  # the query request
            refused.append(frontend["GroupId"])
            error = {"Code": "DependencyViolation", "Message": "resource has a dependent object"}
            return AWSResponse("", 400, {}, None), {
                "Error": error,
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
        return None

    ec2 = provider.clients.clients["ec2"]
    ec2.meta.events.register("before-call.ec2.DeleteSecurityGroup", busy)
    gone = ServiceInput(empty_service_spec(stack.spec.stack))
    first = provider.converge_service(gone)
    operations = [s.operation for s in first.steps]
    assert refused and not first.deleted
    assert operations.index("DeleteLoadBalancer") < operations.index("RevokeSecurityGroupIngress")
    assert ours(account)["lbs"] == [] and ours_tagged(account) == [frontend["GroupName"]]
    second = provider.converge_service(gone)
    assert second.deleted, second.errors
    assert ours_tagged(account) == [] and ingress(node_group(account)) == set()
    assert ours(account) == {"lbs": [], "tgs": [], "listeners": [], "targets": {}}
    ec2.meta.events.unregister("before-call.ec2.DeleteSecurityGroup", busy)


def test_named_groups_backend_rules_and_disable_nlb_sg(account: Account) -> None:
    ec2 = account.client("ec2")
    front = ec2.create_security_group(
        GroupName="front-door",
        Description="the team's",
        VpcId=account.vpc_id,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": "frontdoor"}]}
        ],
    )["GroupId"]
    provider = account.provider()
    named = service(
        account, {A + "security-groups": "frontdoor", A + "manage-backend-security-group-rules": "true"}, DNS
    )
    first = provider.converge_service(named)
    assert not first.errors and not first.warnings, (first.errors, first.warnings)
    (lb,) = ours(account)["lbs"]
    (backend,) = groups(account, "group-name", naming.backend_security_group_name(CLUSTER))
    assert sorted(lb["SecurityGroups"]) == sorted([front, backend["GroupId"]])
    assert ours_tagged(account) == [backend["GroupName"]]  # no managed frontend group
    # UDP traffic gets a UDP rule; its traffic-port health check runs on TCP, within the TCP rule
    assert ingress(node_group(account)) == {
        ("tcp", 30053, 30195, backend["GroupId"]),
        ("udp", 30053, 30053, backend["GroupId"]),
    }
    assert writes(provider.converge_service(named).calls) == []

    # Back to the managed group: the NLB's groups are swapped in place; the team's group is left alone.
    managed = service(account, {A + "security-group-prefix-lists": "pl-0123456789abcdef0"}, DNS)
    swapped = provider.converge_service(managed)
    assert (
        "elbv2:SetSecurityGroups:ok" in swapped.calls and "elbv2:CreateLoadBalancer:ok" not in swapped.calls
    )
    (frontend,) = groups(account, f"tag:{naming.STACK_TAG}", named.spec.stack)
    assert {rule[:2] + rule[3:] for rule in ingress(frontend)} == {
        ("tcp", 3100, "pl-0123456789abcdef0"),
        ("tcp", 9095, "pl-0123456789abcdef0"),
        ("udp", 53, "pl-0123456789abcdef0"),
    }
    assert groups(account, "group-id", front) and writes(provider.converge_service(managed).calls) == []

    # disable-nlb-sg: AWS cannot take the groups off an NLB, so it is replaced; our groups and rules go.
    bare = service(
        account, {A + "disable-nlb-sg": "true", A + "manage-backend-security-group-rules": "false"}, DNS
    )
    replaced = provider.converge_service(bare)
    assert not replaced.errors, replaced.errors
    (new,) = ours(account)["lbs"]
    assert new["LoadBalancerArn"] != lb["LoadBalancerArn"] and not new.get("SecurityGroups")
    assert ours_tagged(account) == [] and ingress(node_group(account)) == set()
    assert writes(provider.converge_service(bare).calls) == []


@pytest.mark.parametrize(
    ("annotations", "spec", "field", "says"),
    [
        (
            {A + "security-groups": "sg-0a"},
            "  loadBalancerSourceRanges: [10.0.0.0/8]\n",
            "spec.loadBalancerSourceRanges",
            "has no effect",
        ),
        (
            {A + "security-groups": "sg-0a", A + "security-group-prefix-lists": "pl-0123456789abcdef0"},
            "",
            A + "security-group-prefix-lists",
            "has no effect",
        ),
        ({A + "disable-nlb-sg": "true"}, "", A + "disable-nlb-sg", "manage-backend-security-group-rules"),
        (
            {"service.beta.kubernetes.io/load-balancer-source-ranges": "2600::/64"},
            "",
            "service.beta.kubernetes.io/load-balancer-source-ranges",
            "dualstack",
        ),
        ({}, "  loadBalancerSourceRanges: [everyone]\n", "spec.loadBalancerSourceRanges", "not a CIDR"),
    ],
)
def test_combinations_lbc_would_ignore_are_refused(
    annotations: dict[str, str], spec: str, field: str, says: str
) -> None:
    snapshot = ClusterSnapshot.from_objects(
        d for d in yaml.safe_load_all(manifest(OFFLINE, annotations, spec)) if d
    )
    (outcome,) = build_services(snapshot, "aws", True).values()
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    assert outcome.spec is None and len(errors) == 1, errors
    expected = field if field.startswith("spec.") else f"metadata.annotations[{field}]"
    assert errors[0].field == expected and says in errors[0].message
