"""NLB certificate lists, capacity reservations and QUIC listeners (LBC's ssl-cert with several ARNs,
minimum-load-balancer-capacity, quic-enabled-ports). The certificate list converges against moto; moto lacks
ModifyCapacityReservation (and describes every NLB as reserving nothing) and refuses the QUIC protocols, so
those requests are checked against the ELB API model with botocore's Stubber."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from botocore.stub import Stubber

from emulators.testing.aws_stacks import CLUSTER, LOKI, A, Account, loki, ours, with_nodes, writes
from lbctl.model.problems import Severity
from lbctl.model.services import build_services
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import Ref, Step
from providers.aws.apply import Applier
from providers.aws.nlb_discover import discover_nlb
from providers.aws.nlb_plan import plan_nlb
from providers.aws.nlb_translate import translate_nlb

OFFLINE = Account("http://unused", "vpc-0a", {}, ["i-0aaa", "i-0bbb"])  # for manifests only
UDP_QUIC = ", {name: quic, port: 443, protocol: UDP, targetPort: 8443, nodePort: 30443}"


def _operations(steps: list[Step]) -> list[str]:
    return [s.operation for s in steps]


def test_certificate_list_is_added_compared_and_trimmed(account: Account) -> None:
    acm = account.client("acm")
    first, second, third = (
        acm.request_certificate(DomainName=f"{name}.example.com")["CertificateArn"]
        for name in ("a", "b", "c")
    )
    provider = account.provider()
    stack = loki(account, {A + "ssl-cert": f"{first},{second},{third}"})
    result = provider.converge_service(stack)
    assert not result.errors, result.errors
    (listener,) = ours(account)["listeners"]
    elb = account.client("elbv2")

    def listed() -> list[tuple[str, bool]]:
        found = elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
        return sorted((c["CertificateArn"], c["IsDefault"]) for c in found)

    assert listed() == sorted([(first, True), (second, False), (third, False)])
    assert writes(provider.converge_service(stack).calls) == []
    trimmed = loki(account, {A + "ssl-cert": f"{first},{third}"})
    changed = provider.converge_service(trimmed)
    assert _operations(changed.steps) == ["RemoveListenerCertificates"]
    assert changed.steps[0].body["Certificates"] == [{"CertificateArn": second}]
    assert listed() == sorted([(first, True), (third, False)])
    assert writes(provider.converge_service(trimmed).calls) == []


def test_capacity_reservation_requests_stubbed(account: Account) -> None:
    """moto lacks ModifyCapacityReservation and describes no reservation: the set and reset requests go to a
    Stubber; what DescribeCapacityReservation reports decides whether one is sent."""
    provider = account.provider()
    zero = loki(account, {A + "minimum-load-balancer-capacity": "CapacityUnits=0"})
    created = provider.converge_service(zero)  # nothing reserved: 0 has nothing to reset
    assert "elbv2:DescribeCapacityReservation:ok" not in created.calls  # a new NLB reserves nothing
    again = provider.converge_service(zero)
    assert "elbv2:DescribeCapacityReservation:ok" in again.calls and writes(again.calls) == []
    (lb,) = ours(account)["lbs"]
    arn = lb["LoadBalancerArn"]

    def planned(units: str, reserved: int | None) -> list[Step]:
        stack = loki(account, {A + "minimum-load-balancer-capacity": units})
        desired = translate_nlb(stack.spec, CLUSTER, stack.targets)
        current = discover_nlb(
            provider.clients,
            CLUSTER,
            stack.spec.stack,
            True,
            capacity=True,
            desired=desired,
            vpc_id=account.vpc_id,
        )
        current.capacity[arn] = reserved
        subnets = sorted(z["SubnetId"] for z in lb["AvailabilityZones"])
        return plan_nlb(desired, current, subnets, account.vpc_id).steps

    assert planned("CapacityUnits=3000", 3000) == []
    assert planned("CapacityUnits=0", None) == []
    (reserve,) = planned("CapacityUnits=3000", 1000)
    (reset,) = planned("CapacityUnits=0", 1000)
    assert reserve.body == {"LoadBalancerArn": arn, "MinimumLoadBalancerCapacity": {"CapacityUnits": 3000}}
    assert reset.body == {"LoadBalancerArn": arn, "ResetCapacityReservation": True}
    with Stubber(provider.clients.clients["elbv2"]) as stub:
        for step in (reserve, reset):
            stub.add_response("modify_capacity_reservation", {}, dict(step.body))
        applier = Applier(provider.clients, zero.spec)
        applier.run([reserve, reset])
        stub.assert_no_pending_responses()
    assert _operations(applier.done) == ["ModifyCapacityReservation", "ModifyCapacityReservation"]
    # A new NLB: the reservation follows its creation, naming it by the create step's result.
    fresh = translate_nlb(
        loki(account, {A + "minimum-load-balancer-capacity": "CapacityUnits=3000"}).spec, "x", {}
    )
    steps = plan_nlb(
        fresh, discover_nlb(provider.clients, "x", fresh.stack, True), ["subnet-1"], "vpc-1"
    ).steps
    (step,) = [s for s in steps if s.operation == "ModifyCapacityReservation"]
    assert (
        isinstance(step.body["LoadBalancerArn"], Ref)
        and "CreateLoadBalancer" in step.body["LoadBalancerArn"].step
    )


def test_quic_listener_and_target_group_requests_stubbed(account: Account) -> None:
    """moto refuses the QUIC protocols: the planned CreateTargetGroup and CreateListener go to a Stubber."""
    provider = account.provider()
    stack = loki(account, {A + "quic-enabled-ports": "443"}, UDP_QUIC)
    steps = provider.plan_service(stack).steps
    groups = {s.body["Port"]: s for s in steps if s.operation == "CreateTargetGroup"}
    listeners = {s.body["Port"]: s for s in steps if s.operation == "CreateListener"}
    assert (groups[30443].body["Protocol"], listeners[443].body["Protocol"]) == ("QUIC", "QUIC")
    assert (groups[30100].body["Protocol"], listeners[3100].body["Protocol"]) == ("TCP", "TCP")
    tg_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/q/0123456789abcdef"
    lb_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/q/0123456789abcdef"
    listener: dict[str, Any] = {
        **listeners[443].body,
        "LoadBalancerArn": lb_arn,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg_arn}],
    }
    with Stubber(provider.clients.clients["elbv2"]) as stub:
        stub.add_response(
            "create_target_group", {"TargetGroups": [{"TargetGroupArn": tg_arn}]}, groups[30443].body
        )
        stub.add_response("create_listener", {"Listeners": [{"ListenerArn": lb_arn + "/l"}]}, listener)
        applier = Applier(provider.clients, stack.spec)
        applier.results.update({groups[30443].key: {"TargetGroupArn": tg_arn}})
        applier.run([groups[30443]])
        provider.clients.call("elbv2", "CreateListener", **listener)
        stub.assert_no_pending_responses()
    # TCP_UDP becomes TCP_QUIC
    both = ", {name: dns-udp, port: 3100, protocol: UDP, targetPort: 3100, nodePort: 30101}"
    merged = loki(account, {A + "enable-tcp-udp-listener": "true", A + "quic-enabled-ports": "3100"}, both)
    protocols = {
        s.body["Protocol"] for s in provider.plan_service(merged).steps if s.operation == "CreateListener"
    }
    assert protocols == {"TCP_QUIC"}


@pytest.mark.parametrize(
    ("annotations", "more", "says"),
    [
        ({A + "quic-enabled-ports": "3100"}, "", "served as TCP"),
        ({A + "quic-enabled-ports": "http"}, "", "served as TCP"),
        ({A + "quic-enabled-ports": "4433"}, UDP_QUIC, "names no port of the Service: 4433"),
    ],
)
def test_quic_on_a_port_that_cannot_be_quic_is_refused(
    annotations: dict[str, str], more: str, says: str
) -> None:
    extra = "".join(f"    {k}: {v!r}\n" for k, v in annotations.items()).rstrip("\n")
    text = with_nodes(LOKI.format(extra=extra, more=more), OFFLINE)
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    (outcome,) = build_services(snapshot, "aws", True).values()
    errors = [p for p in outcome.problems if p.severity == Severity.ERROR]
    assert outcome.spec is None and len(errors) == 1
    assert errors[0].field == f"metadata.annotations[{A}quic-enabled-ports]" and says in errors[0].message
