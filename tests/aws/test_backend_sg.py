"""The shared backend security group against moto, as aws-load-balancer-controller does it: one group per
cluster on every managed ALB, one rule from it per node security group (instance mode) or pod ENI security
group (ip mode) spanning the ports the cluster's target groups need there, removed when the last user goes,
the group deleted with the last load balancer; rules and groups of anybody else untouched; converges that
stop between two calls heal; a second converge writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Any

import pytest
import yaml
from botocore.stub import Stubber

from emulators.testing.aws_inventory import inventory
from emulators.testing.aws_stacks import (
    CLUSTER,
    REGION,
    WEB_INGRESS,
    Account,
    Crash,
    crash_after,
    deletion,
    one_input,
    with_nodes,
)
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderError
from providers.aws import naming
from providers.aws.backend_sg import discover_backend

BACKEND = naming.backend_security_group_name(CLUSTER)
POD_IPS = ("10.0.0.200", "10.0.0.201")

# An ip-mode Ingress `api` (healthcheck on port 8081) whose Service has two ready pods on node-a.
API_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
  annotations: {{alb.ingress.kubernetes.io/target-type: ip, alb.ingress.kubernetes.io/healthcheck-port: "8081"}}
spec:
  ingressClassName: alb
  rules:
    - host: api.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: api, port: {{number: 80}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: api, namespace: shop}}
spec:
  ports: [{{name: http, port: 80, targetPort: 8080}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: api-1, namespace: shop, labels: {{kubernetes.io/service-name: api}}}}
addressType: IPv4
ports: [{{name: http, port: 8080}}]
endpoints:
  - {{addresses: ["{0}"], nodeName: node-a, conditions: {{ready: true}}}}
  - {{addresses: ["{1}"], nodeName: node-a, conditions: {{ready: true}}}}
"""


def web(account: Account, annotations: dict[str, str] | None = None, node_port: int = 30100) -> str:
    ann = json.dumps({"alb.ingress.kubernetes.io/" + k: v for k, v in (annotations or {}).items()})
    text = WEB_INGRESS.format(annotations=ann, tls="").replace("nodePort: 30100", f"nodePort: {node_port}")
    return with_nodes(text, account)


def api(account: Account) -> str:
    return with_nodes(API_INGRESS.format(*POD_IPS), account)


def group(account: Account, name: str) -> dict[str, Any] | None:
    found = account.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [account.vpc_id]}]
    )["SecurityGroups"]
    return found[0] if found else None


def sg_id(account: Account, name: str) -> str:
    found = group(account, name)
    assert found is not None, name
    return str(found["GroupId"])


def pod_security_group(account: Account) -> str:
    """The pods' ENIs (one per pod, as security groups for pods gives them) in a group of their own."""
    ec2 = account.client("ec2")
    pods = ec2.create_security_group(GroupName="pods", Description="pods", VpcId=account.vpc_id)["GroupId"]
    for ip in POD_IPS:
        ec2.create_network_interface(
            SubnetId=account.subnets["us-east-1a"], PrivateIpAddress=ip, Groups=[pods]
        )
    return str(pods)


def rules_from(account: Account, name: str, source: str | None = None) -> list[tuple[Any, ...]]:
    """(from, to, source, description) of every TCP rule of a security group."""
    found = group(account, name)
    assert found is not None
    out = []
    for perm in found["IpPermissions"]:
        for pair in perm.get("UserIdGroupPairs", []):
            if source is None or pair["GroupId"] == source:
                out.append((perm["FromPort"], perm["ToPort"], pair["GroupId"], pair.get("Description")))
        for r in perm.get("IpRanges", []) if source is None else []:
            out.append((perm["FromPort"], perm["ToPort"], r["CidrIp"], r.get("Description")))
    return sorted(out)


def load_balancer_groups(account: Account, stack: str) -> list[str]:
    elb = account.client("elbv2")
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
        if {"Key": naming.STACK_TAG, "Value": stack} in tags:
            return sorted(lb["SecurityGroups"])
    raise AssertionError(f"no load balancer for {stack}")


def writes(provider: Any) -> int:
    return int(provider.stats.total(mutating=True))


def test_instance_and_ip_mode_share_the_backend_group_until_both_are_gone(account: Account) -> None:
    pods = pod_security_group(account)
    nodes = sg_id(account, "nodes")
    ec2 = account.client("ec2")
    # Somebody else's rules on the node security group: never touched.
    theirs = ec2.create_security_group(GroupName="bastion", Description="x", VpcId=account.vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=nodes,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": theirs}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 30100,
                "ToPort": 30100,
                "IpRanges": [{"CidrIp": "10.9.0.0/16"}],
            },
        ],
    )
    foreign_rules = rules_from(account, "nodes")
    provider = account.provider()
    web_stack, api_stack = one_input(web(account)), one_input(api(account))
    first = provider.converge(web_stack)
    assert not first.errors and not first.warnings, (first.errors, first.warnings)
    assert not provider.converge(api_stack).warnings

    backend = group(account, BACKEND)
    assert backend is not None and backend["Description"] == naming.BACKEND_SG_DESCRIPTION
    assert naming.tag_dict(backend["Tags"]) == {
        "elbv2.k8s.aws/cluster": CLUSTER,
        "elbv2.k8s.aws/resource": "backend-sg",
        naming.CLUSTER_TAG: CLUSTER,
        naming.RESOURCE_TAG: "backend-sg",
    }
    backend_id = backend["GroupId"]
    for stack in ("shop/web", "shop/api"):  # the frontend group and the shared backend group
        attached = load_balancer_groups(account, stack)
        assert backend_id in attached and len(attached) == 2, attached
    described = naming.BACKEND_RULE_DESCRIPTION
    assert rules_from(account, "nodes", backend_id) == [(30100, 30100, backend_id, described)]
    assert rules_from(account, "pods", backend_id) == [(8080, 8081, backend_id, described)]  # + health port
    assert pods not in load_balancer_groups(account, "shop/api")

    for stack in (web_stack, api_stack):  # a second converge writes nothing, and plans nothing
        before = writes(provider)
        assert provider.converge(stack).changes == [] and writes(provider) == before
        assert account.provider().plan(stack).steps == []

    assert provider.converge(deletion("shop/web")).deleted
    assert rules_from(account, "nodes", backend_id) == []
    assert rules_from(account, "pods", backend_id) == [(8080, 8081, backend_id, described)]
    assert group(account, BACKEND) is not None  # still used by shop/api

    assert provider.converge(deletion("shop/api")).deleted
    assert rules_from(account, "pods") == [] and group(account, BACKEND) is None
    assert rules_from(account, "nodes") == foreign_rules
    assert provider.converge(deletion("shop/api")).changes == []


def test_one_rule_spans_the_ports_of_every_stack_and_narrows_when_one_goes(account: Account) -> None:
    provider = account.provider()
    low = one_input(web(account))
    high_text = web(account, node_port=30200).replace(
        "name: web, namespace: shop, annotations", "name: web2, namespace: shop, annotations"
    )
    high = one_input(high_text)
    assert high.spec.stack == "shop/web2"
    provider.converge(low)
    provider.converge(high)
    backend_id = sg_id(account, BACKEND)
    assert rules_from(account, "nodes", backend_id) == [
        (30100, 30200, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]
    before = writes(provider)
    assert provider.converge(low).changes == [] and writes(provider) == before  # the other stack's need stays
    provider.converge(deletion("shop/web2"))
    assert rules_from(account, "nodes", backend_id) == [
        (30100, 30100, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]


def test_custom_security_groups_get_the_backend_group_only_when_asked(account: Account) -> None:
    ec2 = account.client("ec2")
    custom = ec2.create_security_group(GroupName="mine", Description="x", VpcId=account.vpc_id)["GroupId"]
    provider = account.provider()
    provider.converge(one_input(web(account, {"security-groups": custom})))
    assert load_balancer_groups(account, "shop/web") == [custom]
    assert group(account, BACKEND) is None and rules_from(account, "nodes") == []

    provider.converge(
        one_input(web(account, {"security-groups": custom, "manage-backend-security-group-rules": "true"}))
    )
    backend_id = sg_id(account, BACKEND)
    assert load_balancer_groups(account, "shop/web") == sorted([custom, backend_id])
    assert rules_from(account, "nodes", backend_id) == [
        (30100, 30100, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]
    assert rules_from(account, "mine") == []  # the user's group is attached, never changed

    provider.converge(one_input(web(account, {"security-groups": custom})))  # opted out again
    assert load_balancer_groups(account, "shop/web") == [custom]
    assert rules_from(account, "nodes") == [] and group(account, BACKEND) is None


def test_controller_flag_turns_the_backend_group_off(account: Account) -> None:
    provider = account.provider(enable_backend_sg="false")
    provider.converge(one_input(web(account)))
    assert len(load_balancer_groups(account, "shop/web")) == 1
    assert group(account, BACKEND) is None and rules_from(account, "nodes") == []
    ec2 = account.client("ec2")
    custom = ec2.create_security_group(GroupName="mine", Description="x", VpcId=account.vpc_id)["GroupId"]
    asked = one_input(
        web(account, {"security-groups": custom, "manage-backend-security-group-rules": "true"})
    )
    with pytest.raises(ProviderError, match="aws-enable-backend-security-group=false") as err:
        provider.converge(asked)
    assert err.value.user_fixable and "manage-backend-security-group-rules" in str(err.value.field)


def test_prefix_lists_open_the_listen_ports_instead_of_the_default_cidr(account: Account) -> None:
    ec2 = account.client("ec2")
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=5, AddressFamily="IPv4")
    prefix_list = pl["PrefixList"]["PrefixListId"]
    provider = account.provider()
    provider.converge(one_input(web(account, {"security-group-prefix-lists": prefix_list})))
    frontend = next(g for g in load_balancer_groups(account, "shop/web") if g != sg_id(account, BACKEND))
    (perm,) = ec2.describe_security_groups(GroupIds=[frontend])["SecurityGroups"][0]["IpPermissions"]
    assert (perm["FromPort"], perm["IpRanges"], [p["PrefixListId"] for p in perm["PrefixListIds"]]) == (
        80,
        [],
        [prefix_list],
    )
    before = writes(provider)
    assert (
        provider.converge(one_input(web(account, {"security-group-prefix-lists": prefix_list}))).changes == []
    )
    assert writes(provider) == before


def test_model_refuses_what_would_be_silently_ignored() -> None:
    def problems(annotations: dict[str, str]) -> list[str]:
        ann = json.dumps({"alb.ingress.kubernetes.io/" + k: v for k, v in annotations.items()})
        objects = [d for d in yaml.safe_load_all(WEB_INGRESS.format(annotations=ann, tls="")) if d]
        result = build(ClusterSnapshot.from_objects(objects), BuildConfig.for_provider("aws"))
        return [f"{p.field}: {p.message}" for p in result.problems if p.severity == "error"]

    (ignored,) = problems(
        {"security-groups": "sg-0123456789abcdef0", "security-group-prefix-lists": "pl-0123abcd"}
    )
    assert "security-group-prefix-lists" in ignored and "security-groups" in ignored
    (meaningless,) = problems({"manage-backend-security-group-rules": "false"})
    assert "manage-backend-security-group-rules" in meaningless
    (malformed,) = problems({"security-group-prefix-lists": "office"})
    assert "pl-" in malformed
    assert problems({"manage-backend-security-group-rules": "true"}) == []


def test_node_security_group_is_the_one_tagged_for_the_cluster(account: Account) -> None:
    ec2 = account.client("ec2")
    extra = ec2.create_security_group(GroupName="extra", Description="x", VpcId=account.vpc_id)["GroupId"]
    nodes = sg_id(account, "nodes")
    two = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=account.subnets["us-east-1a"],
        SecurityGroupIds=[nodes, extra],
    )["Instances"][0]["InstanceId"]
    mixed = Account(account.url, account.vpc_id, account.subnets, [two, account.instances[1]])
    provider = account.provider()
    provider.converge(one_input(web(mixed)))
    backend_id = sg_id(account, BACKEND)
    assert rules_from(account, "nodes", backend_id) == [
        (30100, 30100, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]
    assert rules_from(account, "extra") == []

    untagged = ec2.create_security_group(GroupName="other", Description="x", VpcId=account.vpc_id)["GroupId"]
    ambiguous = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        SubnetId=account.subnets["us-east-1a"],
        SecurityGroupIds=[untagged, extra],
    )["Instances"][0]
    with pytest.raises(ProviderError, match=f"kubernetes.io/cluster/{CLUSTER}") as err:
        provider.converge(
            one_input(
                web(Account(account.url, account.vpc_id, account.subnets, [ambiguous["InstanceId"], two]))
            )
        )
    assert (
        ambiguous["NetworkInterfaces"][0]["NetworkInterfaceId"] in str(err.value) and err.value.user_fixable
    )


def test_every_interrupted_converge_and_delete_heals(account: Account, moto_url: str) -> None:
    from emulators.testing.aws_stacks import fresh_account

    def scenario(acct: Account) -> list[Any]:
        pod_security_group(acct)
        return [one_input(web(acct)), one_input(api(acct))]

    provider = account.provider()
    stacks = scenario(account)
    calls = crash_after(provider, 10**6)
    for stack in stacks:
        provider.converge(stack)
    reference = inventory(account)
    assert "AuthorizeSecurityGroupIngress" in calls
    for k in range(len(calls)):
        acct = fresh_account(moto_url)
        stacks = scenario(acct)
        crashing = acct.provider()
        crash_after(crashing, k)
        with pytest.raises(Crash):
            for stack in stacks:
                crashing.converge(stack)
        healer = acct.provider()
        for stack in stacks:
            healer.converge(stack)
        assert inventory(acct) == reference, f"after a crash following {calls[:k]}"
        before = writes(healer)
        assert all(healer.converge(s).changes == [] for s in stacks) and writes(healer) == before
    # Deleting both, stopped after each call of the deletion, then healed: nothing of ours is left.
    probe = account.provider()
    deletions = crash_after(probe, 10**6)
    for stack in ("shop/web", "shop/api"):
        probe.converge(deletion(stack))
    for k in range(len(deletions)):
        acct = fresh_account(moto_url)
        stacks = scenario(acct)
        for stack in stacks:
            acct.provider().converge(stack)
        crashing = acct.provider()
        crash_after(crashing, k)
        with pytest.raises(Crash):
            for stack in ("shop/web", "shop/api"):
                crashing.converge(deletion(stack))
        healer = acct.provider()
        assert all(healer.converge(deletion(s)).deleted for s in ("shop/web", "shop/api"))
        left = inventory(acct)
        assert (left["load_balancers"], left["target_groups"], left["node_rules"]) == ({}, {}, [])
        assert left["security_groups"] == {"pods": {"permissions": [], "tags": {}}}, f"after {deletions[:k]}"


def test_plan_json_shows_the_security_group_steps(account: Account) -> None:
    from emulators.testing.scripts import LBCTL

    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(web(account))
        f.flush()
        done = subprocess.run(
            [
                LBCTL,
                "plan",
                "-f",
                f.name,
                "--provider",
                "aws",
                "--endpoint-url",
                account.url,
                "--aws-region",
                REGION,
                "--aws-vpc-id",
                account.vpc_id,
                "--cluster-name",
                CLUSTER,
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        )
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    steps = doc["steps"]
    (create,) = [s for s in steps if s["kind"] == "BackendSecurityGroup"]
    assert create["operation"] == "CreateSecurityGroup" and create["body"]["GroupName"] == BACKEND
    (rule,) = [s for s in steps if s["kind"] == "NodeSecurityGroup"]
    assert rule["operation"] == "AuthorizeSecurityGroupIngress" and rule["name"] == sg_id(account, "nodes")
    (perm,) = rule["body"]["IpPermissions"]
    assert (perm["FromPort"], perm["ToPort"]) == (30100, 30100)
    assert perm["UserIdGroupPairs"][0]["GroupId"].startswith("(known after BackendSecurityGroup ")
    (lb,) = [s for s in steps if s["operation"] == "CreateLoadBalancer"]
    assert len(lb["body"]["SecurityGroups"]) == 2


def test_pod_ip_on_a_secondary_address_is_found_on_its_eni(account: Account) -> None:
    """moto matches the `addresses.private-ip-address` filter against an ENI's primary address only; real EC2
    matches every private address, and VPC CNI gives pods secondary ones: the exact request and a real-shaped
    answer through botocore's Stubber (which checks both against the EC2 service model)."""
    provider = account.provider()
    ec2 = provider.clients.clients["ec2"]
    pod_ip = "10.0.0.77"
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_security_groups",
            {"SecurityGroups": []},
            {
                "Filters": [
                    {"Name": "tag:elbv2.k8s.aws/cluster", "Values": [CLUSTER]},
                    {"Name": "tag:elbv2.k8s.aws/resource", "Values": ["backend-sg"]},
                    {"Name": "vpc-id", "Values": [account.vpc_id]},
                ]
            },
        )
        stub.add_response(
            "describe_network_interfaces",
            {
                "NetworkInterfaces": [
                    {
                        "NetworkInterfaceId": "eni-0123456789abcdef0",
                        "PrivateIpAddress": "10.0.0.10",
                        "PrivateIpAddresses": [
                            {"PrivateIpAddress": "10.0.0.10", "Primary": True},
                            {"PrivateIpAddress": pod_ip, "Primary": False},
                        ],
                        "Groups": [{"GroupId": "sg-0aaaaaaaaaaaaaaaa", "GroupName": "nodes"}],
                    }
                ]
            },
            {
                "Filters": [
                    {"Name": "addresses.private-ip-address", "Values": [pod_ip]},
                    {"Name": "vpc-id", "Values": [account.vpc_id]},
                ]
            },
        )
        view = discover_backend(
            provider.clients,
            CLUSTER,
            "shop/api",
            account.vpc_id,
            {"shop/api:80": {(pod_ip, 8080)}},
            set(),
            {},
        )
        stub.assert_no_pending_responses()
    assert view.endpoint_groups == {pod_ip: "sg-0aaaaaaaaaaaaaaaa"} and view.unresolved == []


def test_targets_only_converge_opens_what_a_new_pod_needs(account: Account) -> None:
    """With a discovery TTL the controller's steady state only registers targets: a new pod whose ENI's group
    is already open stays on that path (one ENI lookup more); one in a group not open yet gets a full converge
    that opens it."""
    pods = pod_security_group(account)
    ec2 = account.client("ec2")
    provider = account.provider(discovery_ttl=300)
    provider.converge(one_input(api(account)))
    backend_id = sg_id(account, BACKEND)
    ec2.create_network_interface(
        SubnetId=account.subnets["us-east-1a"], PrivateIpAddress="10.0.0.202", Groups=[pods]
    )
    grown = API_INGRESS.format(*POD_IPS).replace(
        '  - {addresses: ["10.0.0.201"]',
        '  - {addresses: ["10.0.0.202"], nodeName: node-a, conditions: {ready: true}}\n  - {addresses: ["10.0.0.201"]',
    )
    before = dict(provider.stats.snapshot())
    result = provider.converge(one_input(with_nodes(grown, account)))
    calls = {k.split(":")[1] for k, n in provider.stats.snapshot().items() if n - before.get(k, 0)}
    assert calls == {"GetResources", "DescribeNetworkInterfaces", "RegisterTargets"}, calls
    assert [c.detail for c in result.changes] == ["register 1 targets"]

    other = ec2.create_security_group(GroupName="pods2", Description="x", VpcId=account.vpc_id)["GroupId"]
    ec2.create_network_interface(
        SubnetId=account.subnets["us-east-1a"], PrivateIpAddress="10.0.0.203", Groups=[other]
    )
    moved = grown.replace('"10.0.0.202"', '"10.0.0.203"')
    provider.converge(one_input(with_nodes(moved, account)))
    assert rules_from(account, "pods2", backend_id) == [
        (8080, 8081, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]
    assert rules_from(account, "pods", backend_id) == [
        (8080, 8081, backend_id, naming.BACKEND_RULE_DESCRIPTION)
    ]
