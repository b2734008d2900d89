"""The duplicate and leak checks of the fault tests can fail: for every kind of resource on both clouds, a
second resource with the same ownership markers (and another name, or the same member on another port) is made
directly through the SDK next to what the controller converged; the inventory must report it as a duplicate
of that kind, and as a leak against the converged state."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.faults import (
    GCP_NODES,
    GCP_PROJECT,
    OWN_TAG,
    Inventory,
    World,
    aws_world,
    create_raw,
    example_objects,
    gcp_world,
)
from emulators.testing.waiting import address_of, wait_for
from providers.aws.naming import LBC_RESOURCE_TAG, ROLE_BACKEND_SG

AWS_KINDS = ("lb", "listener", "rule", "tg", "target", "sg", "sg-rule", "cert", "waf-association")
GCP_KINDS = (
    "healthChecks",
    "backendServices",
    "instanceGroups",
    "instance-in-group",
    "networkEndpointGroups",
    "endpoint",
    "urlMaps",
    "targetHttpProxies",
    "targetHttpsProxies",
    "sslCertificates",
    "forwardingRules",
    "firewalls",
    "addresses",
)


# --------------------------------------------------------------------------- converged worlds


def _tls_secret(name: str, host: str) -> dict[str, Any]:
    crt, key = self_signed(host)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": "default"},
        "data": {
            "tls.crt": base64.b64encode(crt.encode()).decode(),
            "tls.key": base64.b64encode(key.encode()).decode(),
        },
    }


def _aws_objects(world: World) -> list[dict[str, Any]]:
    """The two-service example with HTTPS from a TLS Secret (an imported certificate) and a web ACL."""
    assert world.aws is not None
    acl = world.aws.client("wafv2").create_web_acl(
        Name="shop-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "m",
        },
    )
    objects = example_objects("aws")
    ingress = next(o for o in objects if o["kind"] == "Ingress")
    ingress["metadata"]["annotations"].update(
        {
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/wafv2-acl-arn": acl["Summary"]["ARN"],
        }
    )
    ingress["spec"]["tls"] = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    return [*objects, _tls_secret("shop-tls", "shop.example.com")]


def _gcp_objects() -> list[dict[str, Any]]:
    """The GCE example (static IP, HTTPS from a Secret, instance groups) with products in NEG mode."""
    objects = example_objects("gcp")
    products = next(o for o in objects if o["kind"] == "Service" and o["metadata"]["name"] == "products")
    products["metadata"].setdefault("annotations", {})["cloud.google.com/neg"] = '{"ingress": true}'
    node = next(iter(GCP_NODES))
    objects.append(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "products-abc",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "products"},
            },
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {
                    "addresses": ["10.8.0.5"],
                    "conditions": {"ready": True},
                    "nodeName": node,
                    "zone": GCP_NODES[node],
                }
            ],
        }
    )
    return objects


@pytest.fixture
def converged(request: pytest.FixtureRequest, kube: KubeEmulator) -> Iterator[tuple[World, Inventory]]:
    """A world where the controller converged the example, then stopped; and its inventory (the reference)."""
    provider = request.param
    if provider == "aws":
        world = aws_world(kube, request.getfixturevalue("moto_url"), services=False)
        objects = _aws_objects(world)
    else:
        compute: ComputeEmulator = request.getfixturevalue("compute")
        world = gcp_world(kube, compute, services=False)
        objects = _gcp_objects()
    for obj in objects:
        create_raw(world.api, obj)
    try:
        process = world.start()
        wait_for(lambda: address_of(world.api, "shop"), timeout=60, what="status address")
        wait_for(lambda: process.controller.queue.idle, timeout=60, what="queue idle")
        process.stop()
        yield world, world.inventory()
    finally:
        world.stop_all()


# --------------------------------------------------------------------------- AWS: a second one, made with boto3


def _ours(client: Any, arns: list[str]) -> list[str]:
    tags = client.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []
    return [d["ResourceArn"] for d in tags if any(t["Key"] == OWN_TAG for t in d["Tags"])]


def _tag_list(client: Any, arn: str) -> list[dict[str, str]]:
    return client.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]


def _aws_lb(world: World) -> tuple[Any, dict[str, Any]]:
    assert world.aws is not None
    elb = world.aws.client("elbv2")
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    (arn,) = _ours(elb, [lb["LoadBalancerArn"] for lb in lbs])
    return elb, next(lb for lb in lbs if lb["LoadBalancerArn"] == arn)


def _aws_second_lb(world: World) -> str:
    elb, lb = _aws_lb(world)
    made = elb.create_load_balancer(
        Name="second-of-ours",
        Subnets=[z["SubnetId"] for z in lb["AvailabilityZones"]],
        SecurityGroups=lb["SecurityGroups"],
        Scheme=lb["Scheme"],
        Tags=_tag_list(elb, lb["LoadBalancerArn"]),
    )
    return str(made["LoadBalancers"][0]["LoadBalancerArn"])


def _aws_http_listener(world: World) -> tuple[Any, dict[str, Any]]:
    elb, lb = _aws_lb(world)
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    return elb, next(x for x in listeners if x["Protocol"] == "HTTP")


def _aws_tg(world: World) -> tuple[Any, dict[str, Any]]:
    assert world.aws is not None
    elb = world.aws.client("elbv2")
    groups = elb.describe_target_groups()["TargetGroups"]
    arn = sorted(_ours(elb, [g["TargetGroupArn"] for g in groups]))[0]
    return elb, next(g for g in groups if g["TargetGroupArn"] == arn)


def _aws_second_tg(world: World) -> str:
    elb, tg = _aws_tg(world)
    made = elb.create_target_group(
        Name="second-of-ours",
        Protocol=tg["Protocol"],
        Port=tg["Port"],
        VpcId=tg["VpcId"],
        TargetType=tg["TargetType"],
        Tags=_tag_list(elb, tg["TargetGroupArn"]),
    )
    return str(made["TargetGroups"][0]["TargetGroupArn"])


def _aws_sg(world: World) -> tuple[Any, dict[str, Any]]:
    assert world.aws is not None
    ec2 = world.aws.client("ec2")
    ours = ec2.describe_security_groups(Filters=[{"Name": "tag-key", "Values": [OWN_TAG]}])["SecurityGroups"]
    # The stack's own (frontend) group; the cluster's shared backend group carries our tag too.
    (group,) = [g for g in ours if {"Key": LBC_RESOURCE_TAG, "Value": ROLE_BACKEND_SG} not in g["Tags"]]
    return ec2, group


def _aws_second_sg(world: World) -> str:
    ec2, group = _aws_sg(world)
    made = ec2.create_security_group(
        GroupName="second-of-ours",
        Description=group["Description"],
        VpcId=group["VpcId"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": group["Tags"]}],
    )
    return str(made["GroupId"])


def inject_aws(kind: str, world: World) -> None:
    assert world.aws is not None
    if kind == "lb":
        _aws_second_lb(world)
    elif kind == "listener":
        elb, listener = _aws_http_listener(world)
        elb.create_listener(
            LoadBalancerArn=listener["LoadBalancerArn"],
            Protocol="HTTP",
            Port=8080,
            DefaultActions=listener["DefaultActions"],
            Tags=_tag_list(elb, listener["ListenerArn"]),
        )
    elif kind == "rule":
        elb, listener = _aws_http_listener(world)
        rule = next(
            r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
        )
        conditions = [
            {k: v for k, v in c.items() if k != "Values"} if len(c) > 2 else c for c in rule["Conditions"]
        ]
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=999,
            Conditions=conditions,
            Actions=rule["Actions"],
            Tags=_tag_list(elb, rule["RuleArn"]),
        )
    elif kind == "tg":
        _aws_second_tg(world)
    elif kind == "target":
        # moto keeps one port per instance in a group (AWS would take a second port): the same target registered
        # in a second group of the same role instead
        elb, tg = _aws_tg(world)
        target = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"][
            0
        ]
        elb.register_targets(TargetGroupArn=_aws_second_tg(world), Targets=[target["Target"]])
    elif kind == "sg":
        _aws_second_sg(world)
    elif kind == "sg-rule":
        ec2, group = _aws_sg(world)
        ec2.authorize_security_group_ingress(
            GroupId=_aws_second_sg(world), IpPermissions=group["IpPermissions"]
        )
    elif kind == "cert":
        acm = world.aws.client("acm")
        (summary,) = acm.list_certificates()["CertificateSummaryList"]
        arn = summary["CertificateArn"]
        crt, key = self_signed("shop.example.com")
        acm.import_certificate(
            Certificate=crt.encode(),
            PrivateKey=key.encode(),
            Tags=acm.list_tags_for_certificate(CertificateArn=arn)["Tags"],
        )
    elif kind == "waf-association":
        waf = world.aws.client("wafv2")
        _, lb = _aws_lb(world)
        acl = waf.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"])["WebACL"]
        waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=_aws_second_lb(world))
    else:  # pragma: no cover
        raise AssertionError(kind)


# --------------------------------------------------------------------------- GCP: a second one, made with the SDK

GCP_CLIENTS: dict[str, tuple[type, str, type]] = {
    "healthChecks": (compute_v1.HealthChecksClient, "health_check_resource", compute_v1.HealthCheck),
    "backendServices": (
        compute_v1.BackendServicesClient,
        "backend_service_resource",
        compute_v1.BackendService,
    ),
    "urlMaps": (compute_v1.UrlMapsClient, "url_map_resource", compute_v1.UrlMap),
    "targetHttpProxies": (
        compute_v1.TargetHttpProxiesClient,
        "target_http_proxy_resource",
        compute_v1.TargetHttpProxy,
    ),
    "targetHttpsProxies": (
        compute_v1.TargetHttpsProxiesClient,
        "target_https_proxy_resource",
        compute_v1.TargetHttpsProxy,
    ),
    "sslCertificates": (
        compute_v1.SslCertificatesClient,
        "ssl_certificate_resource",
        compute_v1.SslCertificate,
    ),
    "forwardingRules": (
        compute_v1.GlobalForwardingRulesClient,
        "forwarding_rule_resource",
        compute_v1.ForwardingRule,
    ),
    "firewalls": (compute_v1.FirewallsClient, "firewall_resource", compute_v1.Firewall),
    "addresses": (compute_v1.GlobalAddressesClient, "address_resource", compute_v1.Address),
    "instanceGroups": (compute_v1.InstanceGroupsClient, "instance_group_resource", compute_v1.InstanceGroup),
    "networkEndpointGroups": (
        compute_v1.NetworkEndpointGroupsClient,
        "network_endpoint_group_resource",
        compute_v1.NetworkEndpointGroup,
    ),
}
OUTPUT_ONLY = (
    "id",
    "kind",
    "selfLink",
    "selfLinkWithId",
    "creationTimestamp",
    "fingerprint",
    "labelFingerprint",
    "status",
    "size",
    "region",
    "zone",
    "IPAddress",
    "users",
    "expireTime",
    "type",
    "subjectAlternativeNames",
    "_instances",
    "_endpoints",
)


class Gcp:
    def __init__(self, world: World) -> None:
        assert world.compute is not None
        self.compute = world.compute
        self.options: dict[str, Any] = {
            "client_options": {"api_endpoint": world.cloud_url},
            "credentials": AnonymousCredentials(),
            "transport": "rest",
        }
        self.global_ops = compute_v1.GlobalOperationsClient(**self.options)
        self.zone_ops = compute_v1.ZoneOperationsClient(**self.options)

    def client(self, collection: str) -> Any:
        return GCP_CLIENTS[collection][0](**self.options)

    def wait(self, op: Any, zone: str | None = None) -> None:
        if zone:
            self.zone_ops.wait(project=GCP_PROJECT, zone=zone, operation=op.name)
        else:
            self.global_ops.wait(project=GCP_PROJECT, operation=op.name)

    def ours(self, collection: str) -> tuple[str | None, dict[str, Any]]:
        """(zone, body) of the first resource of ours in the collection."""
        for path, body in sorted(self.compute.inventory().items()):
            if f"/{collection}/" in path and '"lbctl"' in str(body.get("description")):
                return (path.split("/")[-3] if "/zones/" in path else None), body
        raise AssertionError(f"no {collection} of ours")

    def second(
        self,
        collection: str,
        changes: dict[str, Any] | None = None,
        *,
        body: dict[str, Any] | None = None,
        zone: str | None = None,
    ) -> tuple[str | None, str]:
        """Insert a copy of our first resource of the collection (or of `body`) under another name."""
        if body is None:
            zone, body = self.ours(collection)
        copy = {k: v for k, v in body.items() if k not in OUTPUT_ONLY}
        copy.update({"name": f"second-of-ours-{collection.lower()}", **(changes or {})})
        _, arg, message = GCP_CLIENTS[collection]
        resource = message.from_json(json.dumps(copy), ignore_unknown_fields=True)
        scope = {"zone": zone} if zone else {}
        self.wait(self.client(collection).insert(project=GCP_PROJECT, **scope, **{arg: resource}), zone)
        return zone, copy["name"]


def inject_gcp(kind: str, world: World) -> None:
    gcp = Gcp(world)
    if kind == "instance-in-group":
        zone, group = gcp.ours("instanceGroups")
        _, name = gcp.second("instanceGroups")
        request = compute_v1.InstanceGroupsAddInstancesRequest(
            instances=[compute_v1.InstanceReference(instance=link) for link in group["_instances"][:1]]
        )
        gcp.wait(
            gcp.client("instanceGroups").add_instances(
                project=GCP_PROJECT,
                zone=zone,
                instance_group=name,
                instance_groups_add_instances_request_resource=request,
            ),
            zone,
        )
    elif kind == "endpoint":
        zone, neg = gcp.ours("networkEndpointGroups")
        endpoint = neg["_endpoints"][0]
        request = compute_v1.NetworkEndpointGroupsAttachEndpointsRequest(
            network_endpoints=[
                compute_v1.NetworkEndpoint(
                    instance=endpoint["instance"], ip_address=endpoint["ipAddress"], port=endpoint["port"] + 1
                )
            ]
        )
        gcp.wait(
            gcp.client("networkEndpointGroups").attach_network_endpoints(
                project=GCP_PROJECT,
                zone=zone,
                network_endpoint_group=neg["name"],
                network_endpoint_groups_attach_endpoints_request_resource=request,
            ),
            zone,
        )
    elif kind == "forwardingRules":
        gcp.second(kind, {"portRange": "8080-8080"})  # the address and port of the first are taken
    elif kind == "addresses":
        # lbctl never makes addresses: two with the same markers of ours, next to the user's reserved one
        record = json.dumps({"lbctl": {"cluster": "faults", "stack": "default/shop", "role": "Address"}})
        for n in (1, 2):
            gcp.second(
                kind, body={"name": "x", "description": record}, changes={"name": f"second-of-ours-{n}"}
            )
    else:
        gcp.second(kind)


# --------------------------------------------------------------------------- the checks


def _check_catches(
    world: World, reference: Inventory, kind: str, inject: Callable[[str, World], None]
) -> None:
    assert reference.duplicates() == [] and reference.leaks(reference) == []
    kinds = {k for _, _, k, _ in reference.identity.values()}
    assert kind in kinds or kind == "addresses", (
        f"the converged example has no {kind} of ours: {sorted(kinds)}"
    )
    inject(kind, world)
    after = world.inventory()
    found = after.duplicates()
    print(
        f"\n[{world.provider}] injected a second {kind}: duplicates {found}; leaks {after.leaks(reference)}"
    )
    assert any(line.startswith(f"{kind} ") for line in found), f"a second {kind} of ours went unseen: {found}"
    assert after.leaks(reference), f"a {kind} not in the converged state is not reported as a leak"


@pytest.mark.parametrize("converged", ["aws"], indirect=True)
@pytest.mark.parametrize("kind", AWS_KINDS)
def test_aws_duplicate_of_each_kind_is_caught(converged: tuple[World, Inventory], kind: str) -> None:
    _check_catches(*converged, kind, inject_aws)


@pytest.mark.parametrize("converged", ["gcp"], indirect=True)
@pytest.mark.parametrize("kind", GCP_KINDS)
def test_gcp_duplicate_of_each_kind_is_caught(converged: tuple[World, Inventory], kind: str) -> None:
    _check_catches(*converged, kind, inject_gcp)
