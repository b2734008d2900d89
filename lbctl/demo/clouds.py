"""Embedded local clouds: the Kubernetes API emulator, a moto server for AWS, the Compute emulator for
Google Cloud; plus the account/project set-up a real cluster would already have (VPC, tagged subnets,
instances for the nodes)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from lbctl.kube.emulator import KubeEmulator

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
        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region, **DEMO_KEYS)


def create_aws_account(endpoint_url: str, region: str, cluster: str, zones: tuple[str, ...]) -> AwsAccount:
    """Set up what an EKS cluster's account has before any Ingress: VPC, subnets with role tags."""
    ec2 = boto3.client("ec2", endpoint_url=endpoint_url, region_name=region, **DEMO_KEYS)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"{cluster}-vpc"}]}])["Vpc"]["VpcId"]  # fmt: skip
    public = {}
    for i, zone in enumerate(zones):
        cluster_tag = {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"}
        tags = [
            {"Key": "kubernetes.io/role/elb", "Value": "1"},
            cluster_tag,
            {"Key": "Name", "Value": f"public-{zone}"},
        ]
        public[zone] = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone,
                                         TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}])["Subnet"]["SubnetId"]  # fmt: skip
        internal = [{"Key": "kubernetes.io/role/internal-elb", "Value": "1"}, cluster_tag,
                    {"Key": "Name", "Value": f"private-{zone}"}]  # fmt: skip
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i + 100}.0/24", AvailabilityZone=zone,
                          TagSpecifications=[{"ResourceType": "subnet", "Tags": internal}])  # fmt: skip
    return AwsAccount(endpoint_url, region, vpc, public)


def add_aws_instances(account: AwsAccount, nodes: dict[str, str]) -> dict[str, str]:
    """One EC2 instance per node (node name → AZ); returns node name → instance ID."""
    ec2 = account.client("ec2")
    for node, zone in nodes.items():
        reservation = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                        SubnetId=account.public_subnets[zone],
                                        TagSpecifications=[{"ResourceType": "instance",
                                                            "Tags": [{"Key": "Name", "Value": node}]}])  # fmt: skip
        account.instances[node] = reservation["Instances"][0]["InstanceId"]
    return dict(account.instances)


@contextmanager
def moto_server() -> Iterator[str]:
    """An embedded moto server (AWS) on a free loopback port; yields its endpoint URL. Its request log
    (werkzeug writes one stderr line per request at INFO) is silenced: what a user sees is lbctl's own."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


class LocalClouds:
    """Start/stop the emulators the demo needs, as a context manager: one emulated Kubernetes cluster per
    cloud (a cluster runs on one cloud), a moto server for AWS, the Compute emulator for Google Cloud."""

    def __init__(self, aws: bool = True, gcp: bool = True) -> None:
        self.kubes = {name: KubeEmulator() for name, wanted in (("aws", aws), ("gcp", gcp)) if wanted}
        self.aws_url: str | None = None
        self.compute: Any = None
        self._want_aws = aws
        self._want_gcp = gcp
        self._stack = ExitStack()

    def __enter__(self) -> LocalClouds:
        for kube in self.kubes.values():
            self._stack.enter_context(kube)
        if self._want_aws:
            self.aws_url = self._stack.enter_context(moto_server())
        if self._want_gcp:
            from providers.gcp.emulator import ComputeEmulator

            self.compute = self._stack.enter_context(ComputeEmulator(port=0))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


@dataclass
class GcpProject:
    """A project in the Compute emulator with one instance per node and a reserved global static IP."""

    endpoint_url: str
    project: str
    static_ip_name: str | None
    static_ip: str | None
    instances: dict[str, str] = field(default_factory=dict)  # node name → zone


def _compute_options(endpoint_url: str) -> dict[str, Any]:
    from google.auth.credentials import AnonymousCredentials

    return {"client_options": {"api_endpoint": endpoint_url}, "credentials": AnonymousCredentials(),
            "transport": "rest"}  # fmt: skip


def _wait(endpoint_url: str, project: str, operation: Any) -> None:
    from google.cloud import compute_v1

    from providers.gcp.operations import wait_for_operation

    options = _compute_options(endpoint_url)
    wait_for_operation(operation, project=project, global_ops_client=compute_v1.GlobalOperationsClient(**options),
                       zone_ops_client=compute_v1.ZoneOperationsClient(**options))  # fmt: skip


def reserve_global_address(endpoint_url: str, project: str, name: str) -> str:
    """Reserve a global static IP, as `gcloud compute addresses create NAME --global` does; returns it."""
    from google.cloud import compute_v1

    addresses = compute_v1.GlobalAddressesClient(**_compute_options(endpoint_url))
    operation = addresses.insert(project=project, address_resource=compute_v1.Address(name=name))
    _wait(endpoint_url, project, operation)
    return str(addresses.get(project=project, address=name).address)


def create_gcp_project(endpoint_url: str, project: str, nodes: dict[str, str],
                       static_ip_name: str | None) -> GcpProject:  # fmt: skip
    """What a GKE project has before any Ingress: the node VMs, and (if named) the static IP a user reserved."""
    from google.cloud import compute_v1

    instances = compute_v1.InstancesClient(**_compute_options(endpoint_url))
    for node, zone in nodes.items():
        operation = instances.insert(
            project=project, zone=zone, instance_resource=compute_v1.Instance(name=node)
        )
        _wait(endpoint_url, project, operation)
    address = reserve_global_address(endpoint_url, project, static_ip_name) if static_ip_name else None
    return GcpProject(endpoint_url, project, static_ip_name, address, dict(nodes))
