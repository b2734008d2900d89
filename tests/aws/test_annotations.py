"""Each annotation changes what moto ends up holding; every case also converges to a no-op the second time."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from emulators.testing.aws_stacks import Account, State, manifest, one_input, setup_waf


def zones(state: State) -> list[str]:
    return sorted(z["ZoneName"] for z in state.lb["AvailabilityZones"])


def lb_tags(state: State) -> dict[str, str]:
    tags = state.elb.describe_tags(ResourceArns=[state.lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


def setup_sg(account: Account) -> dict[str, str]:
    gid = account.client("ec2").create_security_group(
        GroupName="custom-frontend", Description="x", VpcId=account.vpc_id
    )["GroupId"]
    return {"sg": gid}


Check = Callable[[State, dict[str, str]], None]
CASES: list[tuple[str, dict[str, str], Check]] = [
    ("scheme", {"scheme": "internal"}, lambda s, c: s.lb["Scheme"] == "internal" or _fail(s.lb)),
    ("subnets", {"subnets": "public-a, public-c"}, lambda s, c: _eq(zones(s), ["us-east-1a", "us-east-1c"])),
    ("default-subnets", {}, lambda s, c: _eq(zones(s), ["us-east-1a", "us-east-1b", "us-east-1c"])),
    (
        "security-groups",
        {"security-groups": "custom-frontend"},
        lambda s, c: _eq(s.lb["SecurityGroups"], [c["sg"]]),
    ),
    (
        "inbound-cidrs",
        {"inbound-cidrs": "10.1.0.0/16, 10.2.0.0/16"},
        lambda s, c: _eq(
            sorted(r["CidrIp"] for p in s.managed_sg()["IpPermissions"] for r in p["IpRanges"]),
            ["10.1.0.0/16", "10.2.0.0/16"],
        ),
    ),
    (
        "listen-ports",
        {"listen-ports": '[{"HTTP": 8080}]'},
        lambda s, c: _eq([x["Port"] for x in s.listeners], [8080]),
    ),
    (
        "target-type",
        {"target-type": "ip"},
        lambda s, c: _eq(
            (s.tg["TargetType"], s.targets()), ("ip", {("10.0.0.11", 8080), ("10.0.1.12", 8080)})
        ),
    ),
    ("backend-protocol", {"backend-protocol": "HTTPS"}, lambda s, c: _eq(s.tg["Protocol"], "HTTPS")),
    (
        "backend-protocol-version",
        {"backend-protocol-version": "HTTP2"},
        lambda s, c: _eq(s.tg["ProtocolVersion"], "HTTP2"),
    ),
    (
        "healthcheck",
        {
            "healthcheck-port": "8081",
            "healthcheck-protocol": "HTTPS",
            "healthcheck-path": "/ready",
            "healthcheck-interval-seconds": "20",
            "healthcheck-timeout-seconds": "7",
            "healthy-threshold-count": "3",
            "unhealthy-threshold-count": "4",
            "success-codes": "200-399",
        },
        lambda s, c: _eq(
            (
                s.tg["HealthCheckPort"],
                s.tg["HealthCheckProtocol"],
                s.tg["HealthCheckPath"],
                s.tg["HealthCheckIntervalSeconds"],
                s.tg["HealthCheckTimeoutSeconds"],
                s.tg["HealthyThresholdCount"],
                s.tg["UnhealthyThresholdCount"],
                s.tg["Matcher"]["HttpCode"],
            ),
            ("8081", "HTTPS", "/ready", 20, 7, 3, 4, "200-399"),
        ),
    ),
    (
        "target-group-attributes",
        {"target-group-attributes": "deregistration_delay.timeout_seconds=30"},
        lambda s, c: _eq(s.tg_attributes()["deregistration_delay.timeout_seconds"], "30"),
    ),
    (
        "load-balancer-attributes",
        {"load-balancer-attributes": "idle_timeout.timeout_seconds=600"},
        lambda s, c: _eq(
            {
                a["Key"]: a["Value"]
                for a in s.elb.describe_load_balancer_attributes(LoadBalancerArn=s.lb["LoadBalancerArn"])[
                    "Attributes"
                ]
            }["idle_timeout.timeout_seconds"],
            "600",
        ),
    ),
    (
        "tags",
        {"tags": "Team=web,Env=prod"},
        lambda s, c: _eq((lb_tags(s)["Team"], lb_tags(s)["Env"]), ("web", "prod")),
    ),
    (
        "ip-address-type",
        {"ip-address-type": "dualstack"},
        lambda s, c: _eq(s.lb["IpAddressType"], "dualstack"),
    ),
    (
        "load-balancer-name",
        {"load-balancer-name": "my-shop-alb"},
        lambda s, c: _eq(s.lb["LoadBalancerName"], "my-shop-alb"),
    ),
    (
        "target-node-labels",
        {"target-node-labels": "pool=web"},
        lambda s, c: _eq(s.targets(), {(s.account.instances[0], 30100)}),
    ),
    (
        "wafv2-acl-arn",
        {"wafv2-acl-arn": "{waf}"},
        lambda s, c: _eq(
            s.account.client("wafv2").get_web_acl_for_resource(ResourceArn=s.lb["LoadBalancerArn"])["WebACL"][
                "ARN"
            ],
            c["waf"],
        ),
    ),
    (
        "conditions",
        {
            "conditions.web": '[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Canary","values":["on"]}}]'
        },
        lambda s, c: _eq(
            sorted(x["Field"] for x in s.rules()[0]["Conditions"]),
            ["host-header", "http-header", "path-pattern"],
        ),
    ),
]
SETUPS = {"security-groups": setup_sg, "wafv2-acl-arn": setup_waf}


def _eq(actual: Any, expected: Any) -> None:
    assert actual == expected


def _fail(value: Any) -> None:
    raise AssertionError(value)


@pytest.mark.parametrize(("case", "annotations", "check"), CASES, ids=[c[0] for c in CASES])
def test_annotation_changes_moto(
    account: Account, case: str, annotations: dict[str, str], check: Check
) -> None:
    context = SETUPS[case](account) if case in SETUPS else {}
    annotations = {k: context.get(v.strip("{}"), v) for k, v in annotations.items()}
    provider = account.provider()
    stack = one_input(manifest(account, annotations))
    provider.converge(stack)
    check(State(account), context)
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before


ACTIONS = {
    "fixed": (
        '{"type":"fixed-response","fixedResponseConfig":{"contentType":"text/plain","statusCode":"503",'
        '"messageBody":"down"}}',
        lambda a: _eq(a[0]["FixedResponseConfig"]["StatusCode"], "503"),
    ),
    "redirect": (
        '{"type":"redirect","redirectConfig":{"protocol":"HTTPS","port":"443","statusCode":"HTTP_301"}}',
        lambda a: _eq((a[0]["Type"], a[0]["RedirectConfig"]["Port"]), ("redirect", "443")),
    ),
    "weighted": (
        '{"type":"forward","forwardConfig":{"targetGroups":[{"serviceName":"web","servicePort":80,"weight":80},'
        '{"serviceName":"web","servicePort":"http","weight":20}],"targetGroupStickinessConfig":'
        '{"enabled":true,"durationSeconds":200}}}',
        lambda a: _eq(
            (
                sorted(g["Weight"] for g in a[0]["ForwardConfig"]["TargetGroups"]),
                a[0]["ForwardConfig"]["TargetGroupStickinessConfig"],
            ),
            ([20, 80], {"Enabled": True, "DurationSeconds": 200}),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_actions_annotation(account: Account, name: str) -> None:
    raw, check = ACTIONS[name]
    provider = account.provider()
    stack = one_input(
        manifest(account, {"actions.custom": raw}, backend="custom", port="name: use-annotation")
    )
    provider.converge(stack)
    check(State(account).rules()[0]["Actions"])
    assert provider.converge(stack).changes == []


def test_external_target_group_arn(account: Account) -> None:
    elb = account.client("elbv2")
    external = elb.create_target_group(Name="external", Protocol="HTTP", Port=80, VpcId=account.vpc_id)[
        "TargetGroups"
    ][0]
    raw = json.dumps({"type": "forward", "targetGroupARN": external["TargetGroupArn"]})
    provider = account.provider()
    stack = one_input(
        manifest(account, {"actions.custom": raw}, backend="custom", port="name: use-annotation"),
        allow_explicit_target_groups=True,
    )
    provider.converge(stack)
    rule = State(account).rules()[0]
    assert (
        rule["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"] == external["TargetGroupArn"]
    )
    provider.converge(one_input(manifest(account, {})))
    assert [t["TargetGroupName"] for t in elb.describe_target_groups(Names=["external"])["TargetGroups"]] == [
        "external"
    ]
