"""The frontend NLB of an Ingress (enable-frontend-nlb) against moto: an NLB with the ALB's security groups,
a TCP listener per ALB listen port forwarding to a target group of type `alb` with the ALB registered, the
anchor's health-check defaults; idempotent; a changed annotation is one request; a listen port moving lets the ALB
leave the old target group before its listener goes; removing the annotation
deletes the NLB and leaves the ALB; deleting the stack deletes the NLB before the ALB."""

from __future__ import annotations

from typing import Any

from emulators.testing.aws_stacks import Account, deletion, manifest, one_input
from providers.aws.naming import RESOURCE_TAG, tag_dict

FRONTEND = {
    "enable-frontend-nlb": "true",
    "frontend-nlb-scheme": "internet-facing",
    "frontend-nlb-attributes": "load_balancing.cross_zone.enabled=true",
    "frontend-nlb-tags": "team=edge",
}


def _ours(account: Account) -> dict[str, Any]:
    elb = account.client("elbv2")
    lbs = {lb["Type"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]}
    groups = elb.describe_target_groups()["TargetGroups"]
    return {"lbs": lbs, "alb_groups": [g for g in groups if g["TargetType"] == "alb"], "elb": elb}


def test_frontend_nlb_lifecycle(account: Account) -> None:
    provider = account.provider()
    stack = one_input(manifest(account, FRONTEND))
    result = provider.converge(stack)
    seen = _ours(account)
    elb, alb, nlb = seen["elb"], seen["lbs"]["application"], seen["lbs"]["network"]
    assert (nlb["Scheme"], nlb["LoadBalancerName"]) == ("internet-facing", alb["LoadBalancerName"] + "-nlb")
    assert sorted(nlb["SecurityGroups"]) == sorted(alb["SecurityGroups"])  # the ALB's, unless annotated
    assert result.address == alb["DNSName"] and result.extra_addresses == [nlb["DNSName"]]
    (group,) = seen["alb_groups"]
    assert (group["Protocol"], group["Port"]) == ("TCP", 80)
    assert (
        group["HealthCheckProtocol"],
        group["HealthCheckPort"],
        group["HealthCheckPath"],
        group["HealthCheckIntervalSeconds"],
        group["HealthCheckTimeoutSeconds"],
        group["HealthyThresholdCount"],
        group["UnhealthyThresholdCount"],
        group["Matcher"]["HttpCode"],
    ) == ("HTTP", "traffic-port", "/", 15, 5, 2, 2, "200")
    health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [(d["Target"]["Id"], d["Target"]["Port"]) for d in health] == [(alb["LoadBalancerArn"], 80)]
    (listener,) = elb.describe_listeners(LoadBalancerArn=nlb["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("TCP", 80)
    assert listener["DefaultActions"][0]["TargetGroupArn"] == group["TargetGroupArn"]
    attributes = elb.describe_load_balancer_attributes(LoadBalancerArn=nlb["LoadBalancerArn"])["Attributes"]
    assert {"Key": "load_balancing.cross_zone.enabled", "Value": "true"} in attributes
    tags = tag_dict(elb.describe_tags(ResourceArns=[nlb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"])
    assert tags["team"] == "edge" and tags[RESOURCE_TAG] == "FrontendNlb"
    assert provider.converge(stack).changes == []  # idempotent

    slower = one_input(manifest(account, {**FRONTEND, "frontend-nlb-healthcheck-interval-seconds": "30"}))
    changed = provider.converge(slower)
    assert [(c.kind, c.action) for c in changed.changes] == [("TargetGroup", "update")]
    assert (
        elb.describe_target_groups(TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"][0][
            "HealthCheckIntervalSeconds"
        ]
        == 30
    )

    moved = provider.converge(one_input(manifest(account, {**FRONTEND, "listen-ports": '[{"HTTP": 8080}]'})))
    operations = [s.operation for s in moved.steps]
    # the ALB leaves the port-80 target group before its port-80 listener goes
    assert operations.index("DeregisterTargets") < operations.index("DeleteListener")
    (listener,) = elb.describe_listeners(LoadBalancerArn=nlb["LoadBalancerArn"])["Listeners"]
    assert listener["Port"] == 8080

    removed = provider.converge(one_input(manifest(account, {"listen-ports": '[{"HTTP": 8080}]'})))
    assert {(c.kind, c.action) for c in removed.changes} == {
        ("LoadBalancer", "delete"),
        ("TargetGroup", "delete"),
    }
    assert removed.extra_addresses == []
    left = _ours(account)
    assert set(left["lbs"]) == {"application"} and left["alb_groups"] == []

    provider.converge(stack)
    gone = provider.converge(deletion(stack.spec.stack))
    assert gone.deleted
    deletes = [s.name for s in gone.steps if s.operation == "DeleteLoadBalancer"]
    assert deletes == [alb["LoadBalancerName"] + "-nlb", alb["LoadBalancerName"]]
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
