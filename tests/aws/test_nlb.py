"""Services of type LoadBalancer → Network Load Balancers against moto: the issue's internal `loki` Service
becomes an internal NLB with a TCP listener per port and its nodes registered on the NodePort; a second
converge makes no write; changes update in place; deleting removes everything of ours."""

from __future__ import annotations

from typing import Any

from emulators.testing.aws_stacks import Account, service_input, with_nodes
from lbctl.model.services import empty_service_spec
from lbctl.provider import ServiceInput

A = "service.beta.kubernetes.io/aws-load-balancer-"
LOKI = """
apiVersion: v1
kind: Service
metadata:
  name: loki
  namespace: default
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-internal: "true"
    service.beta.kubernetes.io/aws-load-balancer-scheme: internal
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
{extra}
spec:
  type: LoadBalancer
  ports: [{{name: http, port: 3100, targetPort: 3100, nodePort: 30100}}{more}]
  selector: {{app: loki}}
"""


def loki(account: Account, annotations: dict[str, str] | None = None, more: str = "") -> ServiceInput:
    extra = "".join(f"    {k}: {v!r}\n" for k, v in (annotations or {}).items()).rstrip("\n")
    return service_input(with_nodes(LOKI.format(extra=extra, more=more), account))


def ours(account: Account) -> dict[str, Any]:
    elb = account.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    tgs = elb.describe_target_groups()["TargetGroups"]
    listeners = [
        x for lb in lbs for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    ]
    targets = {
        tg["TargetGroupName"]: sorted(
            (d["Target"]["Id"], d["Target"]["Port"])
            for d in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])[
                "TargetHealthDescriptions"
            ]
        )
        for tg in tgs
    }
    return {"lbs": lbs, "tgs": tgs, "listeners": listeners, "targets": targets}


def writes(calls: dict[str, int]) -> list[str]:
    reads = ("Describe", "Get", "List")
    return [k for k in calls if not k.split(":")[1].startswith(reads)]


def test_internal_nlb_converges_idempotently_and_deletes(account: Account) -> None:
    provider = account.provider()
    stack = loki(account)
    result = provider.converge_service(stack)
    assert not result.errors
    state = ours(account)
    (lb,) = state["lbs"]
    assert (lb["Type"], lb["Scheme"]) == ("network", "internal")
    assert result.address == lb["DNSName"]
    internal_subnets = {
        s["SubnetId"]
        for s in account.client("ec2").describe_subnets()["Subnets"]
        if any(t["Key"] == "kubernetes.io/role/internal-elb" for t in s.get("Tags", []))
    }
    assert {z["SubnetId"] for z in lb["AvailabilityZones"]} == internal_subnets
    (listener,) = state["listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("TCP", 3100)
    (tg,) = state["tgs"]
    assert (tg["Protocol"], tg["Port"], tg["TargetType"]) == ("TCP", 30100, "instance")
    assert listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]
    assert state["targets"][tg["TargetGroupName"]] == sorted((i, 30100) for i in account.instances)

    again = provider.converge_service(stack)
    assert again.changes == [] and writes(again.calls) == [], again.calls
    assert again.address == lb["DNSName"]

    gone = provider.converge_service(ServiceInput(empty_service_spec(stack.spec.stack)))
    assert gone.deleted
    assert ours(account) == {"lbs": [], "tgs": [], "listeners": [], "targets": {}}
    assert provider.list_stacks() == []


def test_ports_health_checks_and_attributes_update_in_place(account: Account) -> None:
    provider = account.provider()
    provider.converge_service(loki(account))
    (before,) = ours(account)["lbs"]
    changed = loki(
        account,
        {
            A + "healthcheck-protocol": "HTTP",
            A + "healthcheck-path": "/ready",
            A + "healthcheck-interval": "30",
            A + "target-group-attributes": "deregistration_delay.timeout_seconds=30",
            A + "attributes": "load_balancing.cross_zone.enabled=true",
            A + "additional-resource-tags": "team=obs",
        },
        ", {name: grpc, port: 9095, protocol: UDP, targetPort: 9095, nodePort: 30195}",
    )
    result = provider.converge_service(changed)
    assert not result.errors, result.errors
    state = ours(account)
    (lb,) = state["lbs"]
    assert lb["LoadBalancerArn"] == before["LoadBalancerArn"]
    assert sorted((x["Protocol"], x["Port"]) for x in state["listeners"]) == [("TCP", 3100), ("UDP", 9095)]
    elb = account.client("elbv2")
    tcp = next(tg for tg in state["tgs"] if tg["Protocol"] == "TCP")
    assert (tcp["HealthCheckProtocol"], tcp["HealthCheckPath"], tcp["HealthCheckIntervalSeconds"]) == (
        "HTTP",
        "/ready",
        30,
    )
    attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_target_group_attributes(TargetGroupArn=tcp["TargetGroupArn"])["Attributes"]
    }
    assert attrs["deregistration_delay.timeout_seconds"] == "30"
    lb_attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert lb_attrs["load_balancing.cross_zone.enabled"] == "true"
    tags = {
        t["Key"]: t["Value"]
        for t in elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    }
    assert tags["team"] == "obs"
    again = provider.converge_service(changed)
    assert writes(again.calls) == [], again.steps

    # Back to the plain Service: the UDP port goes, the attribute returns to its default.
    provider.converge_service(loki(account))
    state = ours(account)
    assert [(x["Protocol"], x["Port"]) for x in state["listeners"]] == [("TCP", 3100)]
    assert len(state["tgs"]) == 1
    lb_attrs = {
        a["Key"]: a["Value"]
        for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    }
    assert lb_attrs["load_balancing.cross_zone.enabled"] == "false"


def test_scheme_change_replaces_the_nlb(account: Account) -> None:
    provider = account.provider()
    provider.converge_service(loki(account))
    (before,) = ours(account)["lbs"]
    flipped = loki(account)
    text = with_nodes(
        LOKI.format(extra="", more="").replace("scheme: internal", "scheme: internet-facing"), account
    )
    flipped = service_input(text)
    provider.converge_service(flipped)
    (after,) = ours(account)["lbs"]
    assert after["Scheme"] == "internet-facing" and after["LoadBalancerArn"] != before["LoadBalancerArn"]
