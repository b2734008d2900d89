"""AWS for the demo and tests: an embedded moto server, and the account set-up an EKS cluster already has
before any Ingress (a VPC, role-tagged subnets per AZ, one EC2 instance per node)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

# moto loads thousands of public AMIs into every region's EC2 backend, again after each reset; the embedded
# account launches its nodes from one image, so that is the only one it is given (moto reads this at import).
os.environ.setdefault("MOTO_AMIS_PATH", os.path.join(os.path.dirname(__file__), "aws_amis.json"))

# moto accepts any key pair; these are the ones the demo, tests and `plan --offline` hand to boto3.
DEMO_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class AwsAccount:
    """A VPC with public and internal subnets per AZ (tagged for discovery) and one instance per node."""

    endpoint_url: str
    region: str
    vpc_id: str
    public_subnets: dict[str, str]  # AZ → subnet ID
    instances: dict[str, str] = field(default_factory=dict)  # node name → instance ID

    def client(self, service: str) -> Any:
        """A boto3 client for `service` on this account's endpoint."""
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **DEMO_KEYS)


def _tags(resource: str, tags: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": tags}]


def create_aws_account(endpoint_url: str, region: str, cluster: str, zones: tuple[str, ...]) -> AwsAccount:
    """Set up what an EKS cluster's account has before any Ingress: VPC, subnets with role tags."""
    ec2 = boto3.client("ec2", endpoint_url=endpoint_url, region_name=region, **DEMO_KEYS)
    vpc_tags = _tags("vpc", [{"Key": "Name", "Value": f"{cluster}-vpc"}])
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=vpc_tags)["Vpc"]["VpcId"]
    cluster_tag = {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}
    public = {}
    for i, zone in enumerate(zones):
        public_tags = [
            {"Key": "kubernetes.io/role/elb", "Value": "1"},
            cluster_tag,
            {"Key": "Name", "Value": f"public-{zone}"},
        ]
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=_tags("subnet", public_tags),
        )
        public[zone] = subnet["Subnet"]["SubnetId"]
        internal_tags = [
            {"Key": "kubernetes.io/role/internal-elb", "Value": "1"},
            cluster_tag,
            {"Key": "Name", "Value": f"private-{zone}"},
        ]
        ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.0.{i + 100}.0/24",
            AvailabilityZone=zone,
            TagSpecifications=_tags("subnet", internal_tags),
        )
    return AwsAccount(endpoint_url, region, vpc, public)


def add_aws_instances(account: AwsAccount, nodes: dict[str, str]) -> dict[str, str]:
    """One EC2 instance per node (node name → AZ); returns node name → instance ID."""
    ec2 = account.client("ec2")
    for node, zone in nodes.items():
        reservation = ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            SubnetId=account.public_subnets[zone],
            TagSpecifications=_tags("instance", [{"Key": "Name", "Value": node}]),
        )
        account.instances[node] = reservation["Instances"][0]["InstanceId"]
    return dict(account.instances)


@contextmanager
def moto_server() -> Iterator[str]:
    """An embedded moto server (AWS) on a free loopback port; yields its endpoint URL. Its request log
    (werkzeug writes one stderr line per request at INFO) is silenced: what a user sees is lbctl's own."""
    from moto.server import ThreadedMotoServer

    from emulators.aws_elbv2 import accept_regex_conditions, keep_rule_transforms

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    accept_regex_conditions()
    keep_rule_transforms()

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
