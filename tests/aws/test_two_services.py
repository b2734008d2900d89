"""The two-service example end to end against moto: create, no-op, delete, foreign resources untouched."""

from __future__ import annotations

from emulators.testing.aws_inventory import inventory
from emulators.testing.aws_stacks import CLUSTER, Account, deletion, example, one_input


def ours(account: Account) -> dict[str, list[str]]:
    tagging = account.client("resourcegroupstaggingapi")
    arns = [
        r["ResourceARN"]
        for r in tagging.get_resources(TagFilters=[{"Key": "lbctl.io/cluster", "Values": [CLUSTER]}])[
            "ResourceTagMappingList"
        ]
    ]
    sgs = account.client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:lbctl.io/cluster", "Values": [CLUSTER]}]
    )["SecurityGroups"]
    return {"arns": sorted(arns), "sgs": sorted(g["GroupId"] for g in sgs)}


def test_two_services_end_to_end(account: Account) -> None:
    provider = account.provider()
    stack = one_input(example(account))
    result = provider.converge(stack)
    elb = account.client("elbv2")

    lbs = elb.describe_load_balancers()["LoadBalancers"]
    assert len(lbs) == 1 and result.address == lbs[0]["DNSName"]
    assert lbs[0]["Scheme"] == "internet-facing"
    assert (
        lbs[0]["LoadBalancerName"].startswith("k8s-default-shop-") and len(lbs[0]["LoadBalancerName"]) <= 32
    )
    listeners = elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]
    assert [(x["Protocol"], x["Port"]) for x in listeners] == [("HTTP", 80)]
    assert listeners[0]["DefaultActions"][0]["FixedResponseConfig"]["StatusCode"] == "404"

    tgs = {t["TargetGroupName"]: t for t in elb.describe_target_groups()["TargetGroups"]}
    assert len(tgs) == 2
    by_port = {t["Port"]: t for t in tgs.values()}
    assert set(by_port) == {30080, 30081}
    for tg in tgs.values():
        assert tg["HealthCheckPath"] == "/healthz" and tg["HealthCheckPort"] == "traffic-port"
        assert tg["HealthCheckIntervalSeconds"] == 15 and tg["HealthyThresholdCount"] == 2
        assert tg["Matcher"]["HttpCode"] == "200" and tg["TargetType"] == "instance"
        health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
        assert sorted((h["Target"]["Id"], h["Target"]["Port"]) for h in health) == sorted(
            (i, tg["Port"]) for i in account.instances
        )

    rules = [
        r for r in elb.describe_rules(ListenerArn=listeners[0]["ListenerArn"])["Rules"] if not r["IsDefault"]
    ]
    seen = {}
    for rule in rules:
        conditions = {
            c["Field"]: c[
                {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig"}[c["Field"]]
            ]["Values"]
            for c in rule["Conditions"]
        }
        assert conditions["host-header"] == ["shop.example.com"]
        target = rule["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
        seen[tuple(conditions["path-pattern"])] = next(
            t["Port"] for t in tgs.values() if t["TargetGroupArn"] == target
        )
    assert seen == {("/users", "/users/*"): 30080, ("/products", "/products/*"): 30081}

    again = provider.converge(stack)
    assert again.changes == []
    assert (
        sum(
            n
            for k, n in again.calls.items()
            if k.split(":")[1].startswith(
                (
                    "Create",
                    "Modify",
                    "Delete",
                    "Register",
                    "Deregister",
                    "Set",
                    "Add",
                    "Remove",
                    "Authorize",
                    "Revoke",
                    "Import",
                    "Associate",
                )
            )
        )
        == 0
    )
    assert provider.list_stacks() == ["default/shop"]


def test_delete_leaves_nothing_of_ours_and_foreign_untouched(account: Account) -> None:
    elb = account.client("elbv2")
    ec2 = account.client("ec2")
    subnets = list(account.subnets.values())
    foreign_sg = ec2.create_security_group(GroupName="foreign", Description="not ours", VpcId=account.vpc_id)[
        "GroupId"
    ]
    foreign_lb = elb.create_load_balancer(
        Name="foreign-lb",
        Subnets=subnets[:2],
        SecurityGroups=[foreign_sg],
        Tags=[
            {"Key": "lbctl.io/cluster", "Value": "another-cluster"},
            {"Key": "lbctl.io/stack", "Value": "default/shop"},
        ],
    )["LoadBalancers"][0]
    foreign_tg = elb.create_target_group(Name="foreign-tg", Protocol="HTTP", Port=80, VpcId=account.vpc_id)[
        "TargetGroups"
    ][0]
    elb.create_listener(
        LoadBalancerArn=foreign_lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": foreign_tg["TargetGroupArn"]}],
    )

    before = inventory(account)  # everything foreign, in full
    provider = account.provider()
    provider.converge(one_input(example(account)))
    assert ours(account)["arns"] and ours(account)["sgs"]

    result = provider.converge(deletion("default/shop"))
    assert result.deleted
    assert ours(account) == {"arns": [], "sgs": []}
    assert provider.list_stacks() == []
    assert [lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]] == ["foreign-lb"]
    assert [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]] == ["foreign-tg"]
    assert len(elb.describe_listeners(LoadBalancerArn=foreign_lb["LoadBalancerArn"])["Listeners"]) == 1
    assert foreign_sg in [g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert inventory(account) == before, "foreign resources changed (full content compared)"
    assert provider.converge(deletion("default/shop")).changes == []


def test_plan_makes_no_mutating_call(account: Account) -> None:
    provider = account.provider()
    stack = one_input(example(account))
    plan = provider.plan(stack)
    assert provider.stats.total(mutating=True) == 0
    kinds = sorted({(c.action, c.kind) for c in plan.changes})
    assert (
        ("create", "LoadBalancer") in kinds
        and ("create", "TargetGroup") in kinds
        and ("create", "Rule") in kinds
    )
    assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    provider.converge(stack)
    assert provider.plan(stack).changes == []
