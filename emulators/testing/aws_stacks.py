"""AWS stacks on the moto server: a fresh account (a VPC, tagged subnets in three AZs, two instances), the
manifests the AWS tests use, and their specs built through the real model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
import yaml

from lbctl.cloudcalls import CallStats
from lbctl.model.builder import BuildConfig, build, empty_spec
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, ServiceInput, StackInput
from providers.aws import AwsProvider, create

REGION = "us-east-1"
CLUSTER = "test-cluster"
FAST = {
    "rate_limits": {"": 1000.0},
    "retry_initial_wait": 0.01,
    "retry_max_wait": 0.05,
    "delete_retry_seconds": 0.5,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Account:
    url: str
    vpc_id: str
    subnets: dict[str, str]  # AZ → subnet ID
    instances: list[str]

    def client(self, service: str) -> Any:
        return client(self.url, service)

    def provider(self, **options: Any) -> AwsProvider:
        config = ProviderConfig(
            CLUSTER,
            self.url,
            options={"region": REGION, "vpc_id": self.vpc_id, **FAST, "stats": CallStats(), **options},
        )
        return create(config)


def fresh_account(moto_url: str) -> Account:
    """Reset the moto server and set up the VPC, tagged subnets in three AZs and two instances."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    ec2 = client(moto_url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = {}
    for i, zone in enumerate(("us-east-1a", "us-east-1b", "us-east-1c")):
        tags = [
            {"Key": "kubernetes.io/role/elb", "Value": "1"},
            {"Key": f"kubernetes.io/cluster/{CLUSTER}", "Value": "owned"},
            {"Key": "Name", "Value": f"public-{zone[-1]}"},
        ]
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}],
        )["Subnet"]["SubnetId"]
        subnets[zone] = subnet
        internal = [{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}]
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i + 10}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": internal}],
        )
    node_tags = [{"Key": f"kubernetes.io/cluster/{CLUSTER}", "Value": "owned"}]
    node_sg = ec2.create_security_group(  # as EKS tags its node security groups
        GroupName="nodes",
        Description="the cluster's nodes",
        VpcId=vpc,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": node_tags}],
    )["GroupId"]
    reservation = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=2,
        MaxCount=2,
        SubnetId=subnets["us-east-1a"],
        SecurityGroupIds=[node_sg],
    )
    instances = sorted(i["InstanceId"] for i in reservation["Instances"])
    return Account(moto_url, vpc, subnets, instances)


NODES = """
---
apiVersion: v1
kind: Node
metadata: {{name: node-a, labels: {{topology.kubernetes.io/zone: us-east-1a, pool: web}}}}
spec: {{providerID: "aws:///us-east-1a/{0}"}}
status: {{conditions: [{{type: Ready, status: "True"}}]}}
---
apiVersion: v1
kind: Node
metadata: {{name: node-b, labels: {{topology.kubernetes.io/zone: us-east-1a, pool: batch}}}}
spec: {{providerID: "aws:///us-east-1a/{1}"}}
status: {{conditions: [{{type: Ready, status: "True"}}]}}
"""


def with_nodes(manifest: str, account: Account) -> str:
    return manifest + NODES.format(*account.instances)


def stack_inputs(manifest: str, **config: Any) -> list[StackInput]:
    """Build the specs of a manifest through the real model (BuildConfig `config`), with their targets and
    secrets."""
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(manifest) if d)
    result = build(snapshot, BuildConfig.for_provider("aws", **config))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    return [StackInput.from_snapshot(spec, snapshot) for spec in result.specs]


def one_input(manifest: str, **config: Any) -> StackInput:
    inputs = stack_inputs(manifest, **config)
    assert len(inputs) == 1
    return inputs[0]


def deletion(stack: str) -> StackInput:
    return StackInput(empty_spec("aws", stack))


# Ingress `web` (host www.example.com, path /) in namespace `shop` with its NodePort Service: fill in
# `annotations` (a flow map) and `tls` (a "  tls: [...]" line, or "").
WEB_INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: shop, annotations: {annotations}}}
spec:
  ingressClassName: alb
{tls}
  rules:
    - host: www.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  type: NodePort
  ports: [{{name: http, port: 80, targetPort: 8080, nodePort: 30100}}]
"""

# One Ingress `web` with its Service and EndpointSlice (three endpoints, one not ready): fill in `annotations` (a
# JSON map), `backend` and `port`.
MANIFEST = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {annotations}
spec:
  ingressClassName: alb
  rules:
    - host: www.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: {backend}, port: {{{port}}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  type: NodePort
  ports: [{{name: http, port: 80, targetPort: 8080, nodePort: 30100}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {{name: web-1, namespace: shop, labels: {{kubernetes.io/service-name: web}}}}
addressType: IPv4
ports: [{{name: http, port: 8080}}]
endpoints:
  - {{addresses: [10.0.0.11], conditions: {{ready: true}}, zone: us-east-1a}}
  - {{addresses: [10.0.1.12], conditions: {{ready: true}}, zone: us-east-1b}}
  - {{addresses: [10.0.1.13], conditions: {{ready: false}}, zone: us-east-1b}}
"""


def manifest(
    account: Account, annotations: dict[str, str], backend: str = "web", port: str = "number: 80"
) -> str:
    ann = json.dumps({"alb.ingress.kubernetes.io/" + k: v for k, v in annotations.items()})
    return with_nodes(MANIFEST.format(annotations=ann, backend=backend, port=port), account)


class State:
    """What moto holds for the one stack of a test."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.elb = account.client("elbv2")
        self.lb = self.elb.describe_load_balancers()["LoadBalancers"][0]
        self.listeners = self.elb.describe_listeners(LoadBalancerArn=self.lb["LoadBalancerArn"])["Listeners"]
        groups = self.elb.describe_target_groups()["TargetGroups"]
        self.tg = groups[0] if groups else {}

    def rules(self, port: int | None = None) -> list[dict[str, Any]]:
        listener = next(x for x in self.listeners if port is None or x["Port"] == port)
        return [
            r
            for r in self.elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            if not r["IsDefault"]
        ]

    def tg_attributes(self) -> dict[str, str]:
        attrs = self.elb.describe_target_group_attributes(TargetGroupArn=self.tg["TargetGroupArn"])[
            "Attributes"
        ]
        return {a["Key"]: a["Value"] for a in attrs}

    def targets(self) -> set[tuple[str, int]]:
        health = self.elb.describe_target_health(TargetGroupArn=self.tg["TargetGroupArn"])[
            "TargetHealthDescriptions"
        ]
        return {(h["Target"]["Id"], h["Target"]["Port"]) for h in health}

    def managed_sg(self) -> dict[str, Any]:
        """The load balancer's frontend security group (the other one is the cluster's backend group)."""
        groups = self.account.client("ec2").describe_security_groups(GroupIds=self.lb["SecurityGroups"])
        return next(g for g in groups["SecurityGroups"] if not g["GroupName"].startswith("k8s-traffic-"))


def setup_waf(account: Account) -> dict[str, str]:
    acl = account.client("wafv2").create_web_acl(
        Name="acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "m",
        },
    )
    return {"waf": acl["Summary"]["ARN"]}


# The documented two-service example (read from the repository checkout the tests run in).
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "two-services.yaml"


def example(account: Account) -> str:
    """The example's Services and Ingress, with Nodes pointing at the account's instances."""
    text = EXAMPLE.read_text().split("kind: Node")[0].rsplit("---", 1)[0]
    return with_nodes(text, account)


def service_input(manifest: str, claim_unclassed: bool = True) -> ServiceInput:
    """The one Service of type LoadBalancer of a manifest, built through the real model, with its targets."""
    from lbctl.model.services import build_services

    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(manifest) if d)
    outcomes = build_services(snapshot, "aws", claim_unclassed)
    assert len(outcomes) == 1, outcomes
    (outcome,) = outcomes.values()
    assert outcome.spec is not None, outcome.problems
    return ServiceInput.from_snapshot(outcome.spec, snapshot)


class Crash(Exception):
    """Stands for the process dying between two cloud calls."""


def crash_after(provider: Any, k: int) -> list[str]:
    """Make the AWS provider's (k+1)-th mutating call raise Crash before it is sent; returns the mutating
    calls made (their operation names), so a first run with a huge k lists every crash point."""
    from lbctl.cloudcalls import is_mutating

    made: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        if is_mutating(model.name):
            if len(made) >= k:
                raise Crash(f"stopped before {model.name}")
            made.append(model.name)

    for client in provider.clients.clients.values():
        client.meta.events.register("before-call", hook)
    return made


# ---- the `loki` Service of the Layer 4 issue and readers of the NLBs moto holds (the NLB test files)

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

# The same Service by loadBalancerClass with an HTTP and a gRPC port: {annotations} is a flow mapping, {extra}
# more lines at the end (ports, or fields of spec).
LOKI_CLASSED = """
apiVersion: v1
kind: Service
metadata:
  name: loki
  namespace: default
  annotations: {annotations}
spec:
  type: LoadBalancer
  loadBalancerClass: service.k8s.aws/nlb
  ports:
    - {{name: http, port: 3100, targetPort: 3100, nodePort: 30100}}
    - {{name: grpc, port: 9095, targetPort: 9095, nodePort: 30195}}
{extra}"""


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
