"""Issue 16: every annotation of aws-load-balancer-controller's Service annotation reference is recognised
and changes the planned request (the NLB's Steps with their bodies), or is an error naming it.

One case per AWS name of the Service annotation registry: the `loki` Service planned without and with the
annotation (in the form LBC's doc shows, with the `context` annotations it needs) against the same moto
account; the requests must differ, and `expect` finds the request field the value lands in. A refused
name must be an error on its own field, and the names of the registry must be the reference's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulators.testing.aws_stacks import LOKI_CLASSED, Account, with_nodes
from lbctl.model.annotations import AWS_SVC, SERVICE_REGISTRY
from lbctl.model.problems import Severity
from lbctl.model.registry import annotation_field
from lbctl.model.services import build_service
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ServiceInput, Step

# LBC's Service annotation reference (docs/guide/service/annotations.md, pkg/annotations/constants.go).
REFERENCE = {
    line.strip()
    for line in (Path(__file__).parent / "data" / "lbc_service_annotations.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001"
CERT2 = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000002"
# ssl-ports alone (no certificate) has no effect in LBC either: it is checked against the ports, and the
# case gives it the certificate it needs as context.


def _body(steps: list[Step], operation: str) -> dict[str, Any]:
    return dict(next(s for s in steps if s.operation == operation).body)


def _bodies(steps: list[Step], operation: str) -> list[dict[str, Any]]:
    return [dict(s.body) for s in steps if s.operation == operation]


def _tg(steps: list[Step]) -> dict[str, Any]:
    return _body(steps, "CreateTargetGroup")


def _attrs(steps: list[Step], operation: str) -> dict[str, str]:
    return {a["Key"]: a["Value"] for a in _body(steps, operation)["Attributes"]}


def _frontend_sources(steps: list[Step]) -> list[str]:
    """The sources the managed frontend security group lets in (its AuthorizeSecurityGroupIngress)."""
    (body,) = [
        s.body for s in steps if s.kind == "SecurityGroup" and s.operation == "AuthorizeSecurityGroupIngress"
    ]
    return sorted(
        {
            str(item.get("CidrIp") or item.get("PrefixListId"))
            for perm in body["IpPermissions"]
            for item in [*perm.get("IpRanges", []), *perm.get("PrefixListIds", [])]
        }
    )


def _lb_groups(steps: list[Step]) -> list[Any]:
    return list(_body(steps, "CreateLoadBalancer").get("SecurityGroups", []))


def _creates(steps: list[Step], kind: str) -> bool:
    return any(s.kind == kind and s.operation == "CreateSecurityGroup" for s in steps)


def _tags(body: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in body["Tags"]}


@dataclass
class Case:
    value: str
    expect: Callable[[list[Step]], bool]
    context: dict[str, str] = field(default_factory=dict)
    ports: str = ""  # more Service ports the annotation needs to show its effect


CASES: dict[str, Case] = {
    "type": Case("nlb-ip", lambda s: _tg(s)["TargetType"] == "ip"),
    "nlb-target-type": Case("ip", lambda s: _tg(s)["TargetType"] == "ip"),
    "name": Case("custom-nlb", lambda s: _body(s, "CreateLoadBalancer")["Name"] == "custom-nlb"),
    "scheme": Case(
        "internet-facing", lambda s: _body(s, "CreateLoadBalancer")["Scheme"] == "internet-facing"
    ),
    "internal": Case("false", lambda s: _body(s, "CreateLoadBalancer")["Scheme"] == "internet-facing"),
    "ip-address-type": Case(
        "dualstack", lambda s: _body(s, "CreateLoadBalancer")["IpAddressType"] == "dualstack"
    ),
    "additional-resource-tags": Case(
        "team=obs",
        lambda s: _tags(_body(s, "CreateLoadBalancer"))["team"] == "obs" and _tags(_tg(s))["team"] == "obs",
    ),
    "proxy-protocol": Case(
        "*", lambda s: _attrs(s, "ModifyTargetGroupAttributes")["proxy_protocol_v2.enabled"] == "true"
    ),
    "healthcheck-protocol": Case("HTTP", lambda s: _tg(s)["HealthCheckProtocol"] == "HTTP"),
    "healthcheck-port": Case("8080", lambda s: _tg(s)["HealthCheckPort"] == "8080"),
    "healthcheck-path": Case(
        "/ready", lambda s: _tg(s)["HealthCheckPath"] == "/ready", {AWS_SVC + "healthcheck-protocol": "HTTP"}
    ),
    "healthcheck-healthy-threshold": Case("5", lambda s: _tg(s)["HealthyThresholdCount"] == 5),
    "healthcheck-unhealthy-threshold": Case("5", lambda s: _tg(s)["UnhealthyThresholdCount"] == 5),
    "healthcheck-timeout": Case("20", lambda s: _tg(s)["HealthCheckTimeoutSeconds"] == 20),
    "healthcheck-interval": Case("30", lambda s: _tg(s)["HealthCheckIntervalSeconds"] == 30),
    "healthcheck-success-codes": Case(
        "200-299",
        lambda s: _tg(s)["Matcher"] == {"HttpCode": "200-299"},
        {AWS_SVC + "healthcheck-protocol": "HTTP"},
    ),
    "target-group-attributes": Case(
        "deregistration_delay.timeout_seconds=5",
        lambda s: _attrs(s, "ModifyTargetGroupAttributes")["deregistration_delay.timeout_seconds"] == "5",
    ),
    "attributes": Case(
        "deletion_protection.enabled=true",
        lambda s: _attrs(s, "ModifyLoadBalancerAttributes")["deletion_protection.enabled"] == "true",
    ),
    "access-log-enabled": Case(
        "true", lambda s: _attrs(s, "ModifyLoadBalancerAttributes")["access_logs.s3.enabled"] == "true"
    ),
    "access-log-s3-bucket-name": Case(
        "logs",
        lambda s: _attrs(s, "ModifyLoadBalancerAttributes")["access_logs.s3.bucket"] == "logs",
        {AWS_SVC + "access-log-enabled": "true"},
    ),
    "access-log-s3-bucket-prefix": Case(
        "loki",
        lambda s: _attrs(s, "ModifyLoadBalancerAttributes")["access_logs.s3.prefix"] == "loki",
        {AWS_SVC + "access-log-enabled": "true"},
    ),
    "cross-zone-load-balancing-enabled": Case(
        "true",
        lambda s: _attrs(s, "ModifyLoadBalancerAttributes")["load_balancing.cross_zone.enabled"] == "true",
    ),
    "subnets": Case("internal-a", lambda s: len(_body(s, "CreateLoadBalancer")["Subnets"]) == 1),
    "proxy-protocol-per-target-group": Case(
        "3100", lambda s: _attrs(s, "ModifyTargetGroupAttributes")["proxy_protocol_v2.enabled"] == "true"
    ),
    "ssl-cert": Case(
        f"{CERT},{CERT2}",
        lambda s: (
            _body(s, "CreateListener")["Protocol"] == "TLS"
            and _body(s, "CreateListener")["Certificates"] == [{"CertificateArn": CERT}]
            and [b["Certificates"] for b in _bodies(s, "AddListenerCertificates")]
            == [[{"CertificateArn": CERT2}]] * 2
        ),
    ),
    "minimum-load-balancer-capacity": Case(
        "CapacityUnits=3000",
        lambda s: (
            _body(s, "ModifyCapacityReservation")["MinimumLoadBalancerCapacity"] == {"CapacityUnits": 3000}
        ),
    ),
    "quic-enabled-ports": Case(
        "quic",
        lambda s: (
            sorted((b["Port"], b["Protocol"]) for b in _bodies(s, "CreateListener"))
            == [(443, "QUIC"), (3100, "TCP"), (9095, "TCP")]
            and sorted(b["Protocol"] for b in _bodies(s, "CreateTargetGroup")) == ["QUIC", "TCP", "TCP"]
        ),
        ports="    - {{name: quic, port: 443, protocol: UDP, targetPort: 8443, nodePort: 30443}}\n",
    ),
    "ssl-ports": Case(
        "3100",
        lambda s: (
            sorted((b["Port"], b["Protocol"]) for b in _bodies(s, "CreateListener"))
            == [(3100, "TLS"), (9095, "TCP")]
        ),
        {AWS_SVC + "ssl-cert": CERT},
    ),
    "ssl-negotiation-policy": Case(
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        lambda s: _body(s, "CreateListener")["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06",
        {AWS_SVC + "ssl-cert": CERT},
    ),
    "backend-protocol": Case("ssl", lambda s: _tg(s)["Protocol"] == "TLS", {AWS_SVC + "ssl-cert": CERT}),
    "alpn-policy": Case(
        "HTTP2Preferred",
        lambda s: _body(s, "CreateListener")["AlpnPolicy"] == ["HTTP2Preferred"],
        {AWS_SVC + "ssl-cert": CERT},
    ),
    "eip-allocations": Case(
        "eipalloc-0123456789abcdef0",
        lambda s: (
            _body(s, "CreateLoadBalancer")["SubnetMappings"][0]["AllocationId"]
            == "eipalloc-0123456789abcdef0"
        ),
        {AWS_SVC + "scheme": "internet-facing", AWS_SVC + "subnets": "public-a"},
    ),
    "private-ipv4-addresses": Case(
        "10.0.10.5",
        lambda s: _body(s, "CreateLoadBalancer")["SubnetMappings"][0]["PrivateIPv4Address"] == "10.0.10.5",
        {AWS_SVC + "subnets": "internal-a"},
    ),
    "ipv6-addresses": Case(
        "2600:1f18::5",
        lambda s: _body(s, "CreateLoadBalancer")["SubnetMappings"][0]["IPv6Address"] == "2600:1f18::5",
        {AWS_SVC + "subnets": "internal-a", AWS_SVC + "ip-address-type": "dualstack"},
    ),
    "listener-attributes.${Protocol}-${Port}": Case(
        "tcp.idle_timeout.seconds=120",
        lambda s: _attrs(s, "ModifyListenerAttributes") == {"tcp.idle_timeout.seconds": "120"},
    ),
    "enable-tcp-udp-listener": Case(
        "true",
        lambda s: (
            sorted((b["Port"], b["Protocol"]) for b in _bodies(s, "CreateListener"))
            == [(3100, "TCP"), (9095, "TCP_UDP")]
        ),
        ports="    - {{name: grpc-udp, port: 9095, protocol: UDP, targetPort: 9095, nodePort: 30196}}\n",
    ),
    "enable-prefix-for-ipv6-source-nat": Case(
        "on",
        lambda s: _body(s, "CreateLoadBalancer")["EnablePrefixForIpv6SourceNat"] == "on",
        {AWS_SVC + "ip-address-type": "dualstack"},
    ),
    "source-nat-ipv6-prefixes": Case(
        "auto",
        lambda s: _body(s, "CreateLoadBalancer")["SubnetMappings"][0]["SourceNatIpv6Prefix"] == "auto",
        {
            AWS_SVC + "ip-address-type": "dualstack",
            AWS_SVC + "enable-prefix-for-ipv6-source-nat": "on",
            AWS_SVC + "subnets": "internal-a",
        },
    ),
    "target-node-labels": Case("pool=web", lambda s: len(_body(s, "RegisterTargets")["Targets"]) == 1),
    "security-groups": Case(  # the fixture's node group, by name: the NLB's only group
        "nodes",
        lambda s: (
            len(_lb_groups(s)) == 1
            and str(_lb_groups(s)[0]).startswith("sg-")
            and not _creates(s, "SecurityGroup")
            and not _creates(s, "BackendSecurityGroup")
        ),
    ),
    "manage-backend-security-group-rules": Case(
        "false",
        lambda s: (
            len(_lb_groups(s)) == 1
            and not _creates(s, "BackendSecurityGroup")
            and not any(x.kind == "NodeSecurityGroup" for x in s)
        ),
    ),
    "security-group-prefix-lists": Case(
        "pl-0123456789abcdef0", lambda s: _frontend_sources(s) == ["pl-0123456789abcdef0"]
    ),
    "disable-nlb-sg": Case(
        "true",
        lambda s: (
            not _lb_groups(s) and not _creates(s, "SecurityGroup") and not _creates(s, "BackendSecurityGroup")
        ),
        {AWS_SVC + "manage-backend-security-group-rules": "false"},
    ),
    "service.beta.kubernetes.io/load-balancer-source-ranges": Case(
        "10.0.0.0/24, 10.1.0.0/24", lambda s: _frontend_sources(s) == ["10.0.0.0/24", "10.1.0.0/24"]
    ),
}


# Annotations whose effect shows only against what the cloud already holds (a plan from an empty account
# sends the same requests): each is proven against moto by the named test of tests/aws/test_nlb.py.
AGAINST_EXISTING = {
    AWS_SVC + "multi-cluster-target-group": "test_multi_cluster_target_group_keeps_other_clusters_targets",
}


def _plan(
    account: Account, annotations: dict[str, str], ports: str = ""
) -> tuple[list[Step] | None, list[Any]]:
    flow = yaml.safe_dump(annotations, default_flow_style=True).strip()
    text = with_nodes(
        LOKI_CLASSED.format(annotations=flow, extra=ports.replace("{{", "{").replace("}}", "}")), account
    )
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    outcome = build_service(snapshot.services["default/loki"], "aws")
    if outcome.spec is None:
        return None, outcome.problems
    planned = account.provider().plan_service(ServiceInput.from_snapshot(outcome.spec, snapshot))
    return list(planned.steps), outcome.problems


def _aws_names() -> list[str]:
    return sorted(a.name for a in SERVICE_REGISTRY if a.provider == "aws")


def test_the_registry_declares_exactly_the_reference() -> None:
    assert set(_aws_names()) == REFERENCE


@pytest.fixture(scope="module")
def shared(moto_url: str) -> Account:
    from emulators.testing.aws_stacks import fresh_account

    account = fresh_account(moto_url)
    ec2 = account.client("ec2")
    subnet = next(
        s["SubnetId"]
        for s in ec2.describe_subnets()["Subnets"]
        if any(t["Key"] == "kubernetes.io/role/internal-elb" for t in s.get("Tags", []))
    )
    ec2.create_tags(Resources=[subnet], Tags=[{"Key": "Name", "Value": "internal-a"}])
    return account


@pytest.mark.parametrize("name", _aws_names())
def test_every_annotation_changes_the_request_or_is_refused(shared: Account, name: str) -> None:
    declared = SERVICE_REGISTRY.get(name)
    key = name.replace("${Protocol}-${Port}", "TCP-3100").replace("${protocol}-${port}", "tcp-3100")
    if declared.refused is not None:
        steps, problems = _plan(shared, {key: "x"})
        assert steps is None
        assert [p.field for p in problems if p.severity == Severity.ERROR] == [annotation_field(key)]
        return
    if name in AGAINST_EXISTING:
        proof = (Path(__file__).parent / "test_nlb.py").read_text()
        assert f"def {AGAINST_EXISTING[name]}(" in proof
        return
    case = CASES[name.removeprefix(AWS_SVC)]
    without, _ = _plan(shared, case.context)  # (with case.ports but no annotation: refused, one per port)
    with_it, problems = _plan(shared, {**case.context, key: case.value}, case.ports)
    assert with_it is not None, problems
    assert without is not None
    assert [(s.operation, s.body) for s in with_it] != [(s.operation, s.body) for s in without]
    assert case.expect(with_it), [(s.operation, s.body) for s in with_it]
    assert not [p for p in problems if p.severity == Severity.ERROR]
