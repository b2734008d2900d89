"""Fixtures: a client for the test's Kubernetes API emulator (`kube`, from the suite plugin); a fresh moto account
for AWS tests."""

from __future__ import annotations

import kubernetes
import pytest
import requests

from emulators.aws import AwsAccount, add_aws_instances, create_aws_account
from emulators.kube import KubeEmulator


@pytest.fixture
def api(kube: KubeEmulator) -> kubernetes.client.ApiClient:
    return kube.api_client()


@pytest.fixture
def account(moto_url: str, request: pytest.FixtureRequest) -> AwsAccount:
    """An empty moto account with what an EKS cluster named by the test module's CLUSTER has: the VPC, its
    role-tagged subnets and one instance per node (node-a, node-b)."""
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", request.module.CLUSTER, ("us-east-1a", "us-east-1b"))
    add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
    return account
