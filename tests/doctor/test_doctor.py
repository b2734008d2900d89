"""`lbctl doctor` through the console script against the emulators: a healthy set-up passes, and each
broken prerequisite is named together with its fix."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import kubernetes
import pytest
import requests

from emulators.aws import DEMO_KEYS, create_aws_account
from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project, create_subnetworks
from emulators.kube import KubeEmulator
from emulators.testing.cli import lbctl_in_process

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "COLUMNS": "200"}


@contextmanager
def install(tmp_path: Path, overlay: str) -> Iterator[tuple[KubeEmulator, str]]:
    """A cluster with lbctl's install for one cloud applied (`kubectl apply -k manifests/<cloud>`)."""
    with KubeEmulator() as kube:
        kubeconfig = str(kube.write_kubeconfig(tmp_path / "kubeconfig"))
        subprocess.run(
            ["kubectl", "--kubeconfig", kubeconfig, "apply", "-k", str(ROOT / "manifests" / overlay)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield kube, kubeconfig


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[KubeEmulator, str]]:
    with install(tmp_path, "aws") as cluster:
        yield cluster


@pytest.fixture
def installed_gcp(tmp_path: Path) -> Iterator[tuple[KubeEmulator, str]]:
    with install(tmp_path, "gcp") as cluster:
        yield cluster


def doctor(*args: str, kubeconfig: str | None = None) -> tuple[int, dict[str, dict[str, str]]]:
    command = ["lbctl", "doctor", "--cluster-name", "my-cluster", "-o", "json", *args]
    env = (
        dict(ENV, KUBECONFIG=kubeconfig)
        if kubeconfig
        else {k: v for k, v in ENV.items() if k != "KUBECONFIG"}
    )
    done = lbctl_in_process(*command[1:], env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, {c["name"]: c for c in json.loads(done.stdout)}


def test_healthy_aws_setup_passes(moto_url: str, installed: tuple[KubeEmulator, str]) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    create_aws_account(moto_url, "us-east-1", "my-cluster", ("us-east-1a", "us-east-1b"))
    code, checks = doctor("--provider", "aws", "--endpoint-url", moto_url, kubeconfig=installed[1])
    assert code == 0, checks
    for name in (
        "Kubernetes API",
        "IngressClass",
        "RBAC",
        "Leader election",
        "AWS credentials",
        "Region",
        "Subnets (internet-facing)",
        "Subnets (internal)",
        "VPC",
        "EC2 permissions (dry run)",
    ):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["IAM permissions"]["status"] in ("ok", "warn")  # moto has no policy simulator


def test_untagged_subnets_fail_with_the_tags_to_add(
    moto_url: str, installed: tuple[KubeEmulator, str]
) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name="us-east-1", **DEMO_KEYS)
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")
    code, checks = doctor("--provider", "aws", "--endpoint-url", moto_url, kubeconfig=installed[1])
    assert code == 2
    subnets = checks["Subnets (internet-facing)"]
    assert subnets["status"] == "fail" and "kubernetes.io/role/elb=1" in subnets["fix"]


def test_cluster_problems_are_each_named(moto_url: str, installed: tuple[KubeEmulator, str]) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    create_aws_account(moto_url, "us-east-1", "my-cluster", ("us-east-1a", "us-east-1b"))
    kube, kubeconfig = installed
    api = kube.api_client()
    kubernetes.client.NetworkingV1Api(api).delete_ingress_class("alb")
    kube.store.denied_access.add(("networking.k8s.io", "ingresses/status", "patch"))
    kubernetes.client.CoreV1Api(api).delete_namespace("lbctl-system")
    code, checks = doctor("--provider", "aws", "--endpoint-url", moto_url, kubeconfig=kubeconfig)
    assert code == 2
    assert (
        checks["IngressClass"]["status"] == "fail"
        and "apply -k manifests/aws" in checks["IngressClass"]["fix"]
    )
    assert (
        checks["RBAC"]["status"] == "fail"
        and "patch ingresses/status.networking.k8s.io" in checks["RBAC"]["detail"]
    )
    assert checks["Leader election"]["status"] == "fail"


def test_unreachable_cluster_is_a_failure_not_a_crash(moto_url: str, tmp_path: Path) -> None:
    with KubeEmulator() as kube:
        kubeconfig = str(kube.write_kubeconfig(tmp_path / "kubeconfig"))
    code, checks = doctor("--provider", "aws", "--endpoint-url", moto_url, kubeconfig=kubeconfig)
    assert code == 2 and checks["Kubernetes API"]["status"] == "fail"


def test_gcp_project_checks(installed_gcp: tuple[KubeEmulator, str]) -> None:
    installed = installed_gcp
    with ComputeEmulator(port=0) as compute:
        create_gcp_project(compute.url, "my-project", {"gke-a": "us-central1-a"}, "shop-ip")
        args = ("--provider", "gcp", "--endpoint-url", compute.url)
        code, checks = doctor(*args, "--gcp-project", "my-project", kubeconfig=installed[1])
        assert code == 0, checks
        assert checks["Project"]["status"] == "ok" and "shop-ip" in checks["Global static IPs"]["detail"]
        assert checks["Write permissions"]["status"] == "warn"
        assert doctor(*args, "--gcp-project", "my-project", "--strict", kubeconfig=installed[1])[0] == 1
        proxy = checks["Proxy-only subnet"]  # needed by gce-internal / gce-regional-external Ingresses only
        assert proxy["status"] == "warn" and "--purpose=REGIONAL_MANAGED_PROXY --role=ACTIVE" in proxy["fix"]
        create_subnetworks(compute.url, "my-project", "us-central1")
        checks = doctor(*args, "--gcp-project", "my-project", "--skip-cluster")[1]
        assert checks["Proxy-only subnet"]["status"] == "ok"
        assert "proxy-only (10.129.0.0/23)" in checks["Proxy-only subnet"]["detail"]
        compute.add_fault(
            method="GET",
            path="/zones$",
            status=403,
            times=100,
            reason="forbidden",
            message="Required 'compute.zones.list' permission",
        )
        code, checks = doctor(*args, "--gcp-project", "my-project", "--skip-cluster")
        assert code == 2 and checks["Project"]["status"] == "fail"
