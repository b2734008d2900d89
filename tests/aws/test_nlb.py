"""Services of type LoadBalancer → Network Load Balancers against moto: the issue's internal `loki` Service
becomes an internal NLB with a TCP listener per port and its nodes registered on the NodePort; a second
converge makes no write; changes update in place; deleting removes everything of ours."""

from __future__ import annotations

from typing import Any

from emulators.testing.aws_stacks import (
    LOKI,
    A,
    Account,
    Crash,
    crash_after,
    loki,
    ours,
    service_input,
    with_nodes,
    writes,
)
from lbctl.model.services import empty_service_spec
from lbctl.provider import ProviderError, ServiceInput


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


TWO_PORTS = ", {name: gossip, port: 7946, protocol: UDP, targetPort: 7946, nodePort: 30146}"


def _shape(account: Account) -> dict[str, Any]:
    state = ours(account)
    return {
        "lbs": sorted((lb["LoadBalancerName"], lb["Scheme"]) for lb in state["lbs"]),
        "listeners": sorted((x["Protocol"], x["Port"]) for x in state["listeners"]),
        "tgs": sorted(tg["TargetGroupName"] for tg in state["tgs"]),
        "targets": {  # by port: fresh accounts have other instance IDs
            name: sorted((sorted(account.instances).index(i), port) for i, port in targets)
            for name, targets in state["targets"].items()
        },
        "security_groups": _security_groups(account),
    }


def _security_groups(account: Account) -> list[tuple[str, list[tuple[str, int, int, str]]]]:
    """Our security groups and the node group, each with its rules (sources by group name or CIDR)."""
    ec2 = account.client("ec2")
    found = ec2.describe_security_groups()["SecurityGroups"]
    names = {g["GroupId"]: g["GroupName"] for g in found}
    return sorted(
        (
            g["GroupName"],
            sorted(
                (p["IpProtocol"], p.get("FromPort", -1), p.get("ToPort", -1), names.get(src, src))
                for p in g["IpPermissions"]
                for src in [r["CidrIp"] for r in p.get("IpRanges", [])]
                + [r["GroupId"] for r in p.get("UserIdGroupPairs", [])]
            ),
        )
        for g in found
        if g["GroupName"] != "default"
    )


def test_a_converge_stopped_after_every_third_write_heals(moto_url: str) -> None:
    from emulators.testing.aws_stacks import fresh_account

    account = fresh_account(moto_url)
    reference_calls = crash_after(provider := account.provider(), 10**6)
    provider.converge_service(loki(account, more=TWO_PORTS))
    reference = _shape(account)
    assert len(reference_calls) >= 6, reference_calls
    for k in [*range(0, len(reference_calls), 3), len(reference_calls) - 1]:
        account = fresh_account(moto_url)
        stack = loki(account, more=TWO_PORTS)
        crashing = account.provider()
        crash_after(crashing, k)
        try:
            crashing.converge_service(stack)
        except Exception as err:  # the Crash, however the provider wrapped it
            assert "stopped before" in str(err) or isinstance(err, Crash)
        healer = account.provider()
        healer.converge_service(stack)
        assert _shape(account) == reference, f"after a crash following {reference_calls[:k]}"
        assert writes(healer.converge_service(stack).calls) == []
    assert healer.converge_service(ServiceInput(empty_service_spec(stack.spec.stack))).deleted
    assert ours(account) == {"lbs": [], "tgs": [], "listeners": [], "targets": {}}
    assert _security_groups(account) == [("nodes", [])]  # our groups gone, the node group's rule revoked


def test_local_traffic_policy_checks_the_health_check_node_port(account: Account) -> None:
    text = with_nodes(LOKI.format(extra="", more=""), account).replace(
        "  selector: {app: loki}",
        "  selector: {app: loki}\n  externalTrafficPolicy: Local\n  healthCheckNodePort: 32000",
    )
    account.provider().converge_service(service_input(text))
    (tg,) = ours(account)["tgs"]
    assert (tg["HealthCheckProtocol"], tg["HealthCheckPort"], tg["HealthCheckPath"]) == (
        "HTTP",
        "32000",
        "/healthz",
    )
    assert (tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"], tg["HealthCheckTimeoutSeconds"]) == (
        2,
        2,
        6,
    )


IP_PODS = """
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: loki-1, namespace: default, labels: {kubernetes.io/service-name: loki}}
addressType: IPv4
ports: [{name: http, port: 3100, protocol: TCP}]
endpoints:
  - {addresses: [10.0.0.11], conditions: {ready: true}, nodeName: node-a}
  - {addresses: [10.0.0.12], conditions: {ready: true}, nodeName: node-b}
  - {addresses: [10.0.0.13], conditions: {ready: false}, nodeName: node-b}
"""


def test_ip_targets_without_node_ports(account: Account) -> None:
    text = with_nodes(LOKI.format(extra=f"    {A}nlb-target-type: ip", more=""), account)
    text = text.replace(", nodePort: 30100", "").replace(
        "  selector: {app: loki}", "  selector: {app: loki}\n  allocateLoadBalancerNodePorts: false"
    )
    account.provider().converge_service(service_input(text + IP_PODS))
    (tg,) = ours(account)["tgs"]
    assert (tg["TargetType"], tg["Port"]) == ("ip", 3100)
    assert ours(account)["targets"][tg["TargetGroupName"]] == [("10.0.0.11", 3100), ("10.0.0.12", 3100)]


def test_with_a_discovery_ttl_a_same_spec_converge_reads_only_the_tags(account: Account) -> None:
    provider = account.provider(discovery_ttl=60)
    text = with_nodes(LOKI.format(extra=f"    {A}nlb-target-type: ip", more=""), account) + IP_PODS
    provider.converge_service(service_input(text))
    again = provider.converge_service(service_input(text))
    assert again.calls == {"resourcegroupstaggingapi:GetResources:ok": 1}, again.calls
    churned = provider.converge_service(service_input(text.replace("10.0.0.12", "10.0.0.22")))
    assert sorted(churned.calls) == [  # the new pod's ENI is looked up: its security group is already open
        "ec2:DescribeNetworkInterfaces:ok",
        "elbv2:DeregisterTargets:ok",
        "elbv2:RegisterTargets:ok",
        "resourcegroupstaggingapi:GetResources:ok",
    ], churned.calls
    (tg,) = ours(account)["tgs"]
    assert ours(account)["targets"][tg["TargetGroupName"]] == [("10.0.0.11", 3100), ("10.0.0.22", 3100)]
    # Our stack retagged behind our back (the tags are what the one read compares): a full converge.
    (lb,) = ours(account)["lbs"]
    elb = account.client("elbv2")
    elb.add_tags(ResourceArns=[lb["LoadBalancerArn"]], Tags=[{"Key": "x", "Value": "y"}])
    healed = provider.converge_service(service_input(text))
    assert "elbv2:RemoveTags:ok" in healed.calls
    # (changes GetResources does not show, e.g. a deleted listener, are seen once the TTL has passed)


def test_tls_listener_with_certificate_policy_and_alpn(account: Account) -> None:
    cert = account.client("acm").request_certificate(DomainName="loki.example.com")["CertificateArn"]
    provider = account.provider()
    tls = {
        A + "ssl-cert": cert,
        A + "ssl-ports": "http",
        A + "alpn-policy": "HTTP2Preferred",
        A + "backend-protocol": "ssl",
    }
    stack = loki(account, tls, ", {name: raw, port: 9095, targetPort: 9095, nodePort: 30195}")
    provider.converge_service(stack)
    listeners = {x["Port"]: x for x in ours(account)["listeners"]}
    assert (listeners[3100]["Protocol"], listeners[9095]["Protocol"]) == ("TLS", "TCP")
    assert listeners[3100]["Certificates"][0]["CertificateArn"] == cert
    assert (listeners[3100]["SslPolicy"], listeners[3100]["AlpnPolicy"]) == (
        "ELBSecurityPolicy-2016-08",
        ["HTTP2Preferred"],
    )
    assert sorted(tg["Protocol"] for tg in ours(account)["tgs"]) == ["TCP", "TLS"]
    assert writes(provider.converge_service(stack).calls) == []


def test_turning_tls_on_modifies_the_listener_in_place_stubbed(account: Account) -> None:
    """moto's ModifyListener refuses TLS on a network load balancer (UnsupportedProtocol), which AWS allows:
    the exact request is checked against the ELB API model with botocore's Stubber instead."""
    from botocore.stub import Stubber

    from lbctl.model.services import ServiceSpec
    from providers.aws.apply import Applier

    provider = account.provider()
    provider.converge_service(loki(account))
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001"
    wanted = loki(
        account, {A + "ssl-cert": cert, A + "ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}
    )
    planned = provider.plan_service(wanted)
    (step,) = [s for s in planned.steps if s.operation == "ModifyListener"]
    assert [s.operation for s in planned.steps] == ["ModifyListener"]
    (listener,) = ours(account)["listeners"]
    expected = {
        "ListenerArn": listener["ListenerArn"],
        "Protocol": "TLS",
        "Port": 3100,
        "Certificates": [{"CertificateArn": cert}],
        "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "AlpnPolicy": ["None"],
        "DefaultActions": [
            {"Type": "forward", "TargetGroupArn": listener["DefaultActions"][0]["TargetGroupArn"]}
        ],
    }
    assert dict(step.body) == expected
    elbv2 = provider.clients.clients["elbv2"]
    with Stubber(elbv2) as stub:
        stub.add_response("modify_listener", {"Listeners": [{**listener, "Protocol": "TLS"}]}, expected)
        spec: ServiceSpec = wanted.spec
        applier = Applier(provider.clients, spec)
        applier.run([step])
        stub.assert_no_pending_responses()
    assert [s.operation for s in applier.done] == ["ModifyListener"]


def test_elastic_ips_one_per_subnet(account: Account) -> None:
    ec2 = account.client("ec2")
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    provider = account.provider()
    public = {A + "scheme": "internet-facing", A + "subnets": "public-a", A + "eip-allocations": eip}
    result = provider.converge_service(loki(account, public))
    assert not result.errors
    create = next(s for s in result.steps if s.operation == "CreateLoadBalancer")
    assert create.body["SubnetMappings"] == [{"SubnetId": account.subnets["us-east-1a"], "AllocationId": eip}]
    (lb,) = ours(account)["lbs"]
    assert [z["SubnetId"] for z in lb["AvailabilityZones"]] == [account.subnets["us-east-1a"]]
    # Two EIPs for one subnet: an error naming the annotation, the NLB left as it is.
    two = {**public, A + "eip-allocations": f"{eip},{ec2.allocate_address(Domain='vpc')['AllocationId']}"}
    try:
        provider.converge_service(loki(account, two))
    except ProviderError as err:
        assert err.field == f"metadata.annotations[{A}eip-allocations]" and "one per subnet" in str(err)
    else:
        raise AssertionError("a mismatched eip-allocations must be refused")
    assert [x["LoadBalancerArn"] for x in ours(account)["lbs"]] == [lb["LoadBalancerArn"]]


def test_listener_attributes_set_and_compared(account: Account) -> None:
    provider = account.provider()
    stack = loki(account, {A + "listener-attributes.TCP-3100": "tcp.idle_timeout.seconds=120"})
    result = provider.converge_service(stack)
    assert "elbv2:ModifyListenerAttributes:ok" in result.calls, result.calls
    (listener,) = ours(account)["listeners"]
    found = account.client("elbv2").describe_listener_attributes(ListenerArn=listener["ListenerArn"])
    assert {a["Key"]: a["Value"] for a in found["Attributes"]}["tcp.idle_timeout.seconds"] == "120"
    assert writes(provider.converge_service(stack).calls) == []


def test_tcp_and_udp_on_one_port_become_one_tcp_udp_listener(account: Account) -> None:
    udp = ", {name: dns-udp, port: 3100, protocol: UDP, targetPort: 3100, nodePort: 30101}"
    provider = account.provider()
    stack = loki(account, {A + "enable-tcp-udp-listener": "true"}, udp)
    provider.converge_service(stack)
    state = ours(account)
    assert [(x["Protocol"], x["Port"]) for x in state["listeners"]] == [("TCP_UDP", 3100)]
    (tg,) = state["tgs"]
    assert (tg["Protocol"], tg["Port"]) == ("TCP_UDP", 30100)
    assert writes(provider.converge_service(stack).calls) == []


def test_multi_cluster_target_group_keeps_other_clusters_targets(account: Account) -> None:
    provider = account.provider()
    shared = {A + "multi-cluster-target-group": "true"}
    stack = loki(account, shared)
    provider.converge_service(stack)
    (tg,) = ours(account)["tgs"]
    elb = account.client("elbv2")
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "10.9.9.9", "Port": 30100}])
    assert writes(provider.converge_service(stack).calls) == []  # another cluster's target stays
    assert ("10.9.9.9", 30100) in ours(account)["targets"][tg["TargetGroupName"]]
    plain = provider.converge_service(loki(account))  # not shared: what we did not register goes
    assert "elbv2:DeregisterTargets:ok" in plain.calls
    assert ("10.9.9.9", 30100) not in ours(account)["targets"][tg["TargetGroupName"]]


def test_ipv6_source_nat_request_stubbed(account: Account) -> None:
    """moto's CreateLoadBalancer ignores EnablePrefixForIpv6SourceNat and SourceNatIpv6Prefix: the planned
    request is sent to a Stubber, which checks it against the ELB API model."""
    import boto3
    from botocore.stub import Stubber

    subnet = account.subnets["us-east-1a"]
    wanted = loki(
        account,
        {
            A + "scheme": "internet-facing",
            A + "ip-address-type": "dualstack",
            A + "subnets": subnet,
            A + "enable-prefix-for-ipv6-source-nat": "on",
            A + "source-nat-ipv6-prefixes": "auto",
        },
    )
    planned = account.provider().plan_service(wanted)
    (create,) = [s for s in planned.steps if s.operation == "CreateLoadBalancer"]
    body = {**create.body, "SecurityGroups": ["sg-0a", "sg-0b"]}  # the groups made by the steps before it
    assert body["EnablePrefixForIpv6SourceNat"] == "on"
    assert body["SubnetMappings"] == [{"SubnetId": subnet, "SourceNatIpv6Prefix": "auto"}]
    elbv2 = boto3.client("elbv2", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(elbv2) as stub:
        stub.add_response("create_load_balancer", {"LoadBalancers": []}, body)
        elbv2.create_load_balancer(**body)
        stub.assert_no_pending_responses()
