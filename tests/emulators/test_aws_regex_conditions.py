"""The embedded AWS (moto) accepts ALB's regex conditions as the ELBv2 API does, and refuses what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulators.testing.aws_stacks import Account, fresh_account


def _listener(account: Account) -> tuple[Any, str, str]:
    ec2, elb = account.client("ec2"), account.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    lb = elb.create_load_balancer(Name="regex-conditions", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="regex-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=forward
    )["Listeners"][0]
    return elb, listener["ListenerArn"], tg["TargetGroupArn"]


@pytest.fixture
def account(moto_url: str) -> Account:
    return fresh_account(moto_url)


CONDITIONS = [
    {"Field": "host-header", "HostHeaderConfig": {"RegexValues": [r"^[^.]+\.example\.com$"]}},
    {"Field": "path-pattern", "PathPatternConfig": {"RegexValues": [r"^/api/v[0-9]+/.*$"]}},
    {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "x-env", "RegexValues": ["^pre.*"]}},
]


@pytest.mark.parametrize("condition", CONDITIONS, ids=lambda c: c["Field"])
def test_a_regex_condition_is_kept_and_described_as_sent(account: Account, condition: dict[str, Any]) -> None:
    elb, listener, tg = _listener(account)
    elb.create_rule(
        ListenerArn=listener,
        Priority=1,
        Conditions=[condition],
        Actions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    (rule,) = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    assert rule["Conditions"] == [condition]


@pytest.mark.parametrize(
    "config",
    [{"Values": ["a.example.com"], "RegexValues": ["^a$"]}, {"RegexValues": ["x" * 129]}, {}],
    ids=["both", "too-long", "empty"],
)
def test_what_alb_refuses_in_a_host_condition_is_refused(account: Account, config: dict[str, Any]) -> None:
    elb, listener, tg = _listener(account)
    with pytest.raises(ClientError) as refused:
        elb.create_rule(
            ListenerArn=listener,
            Priority=1,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": config}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
