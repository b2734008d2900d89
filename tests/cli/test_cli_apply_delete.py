"""`lbctl apply` and `lbctl delete` through the console script against the moto server and the Compute
emulator: the documented examples converge, a second apply makes no write, delete leaves nothing of ours."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import requests
from google.cloud import compute_v1

from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account
from emulators.gce import ComputeEmulator
from emulators.testing.cli import lbctl_in_process
from emulators.testing.gce import make_clients
from emulators.testing.gcp_stacks import NODES, PROJECT, ours, wait

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": DEMO_KEYS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": DEMO_KEYS["aws_secret_access_key"],
    "COLUMNS": "200",
}
CLUSTER = "cli-apply"


def lbctl(*args: str) -> subprocess.CompletedProcess[str]:
    done = lbctl_in_process(*args, env=ENV, cwd=ROOT)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def _mutating(output: str) -> list[int]:
    """The `(N mutating)` count of each stack in apply/delete output."""
    return [int(n) for n in re.findall(r"API calls: \d+ \((\d+) mutating\)", output)]


def _ours_on_aws(elbv2: object, arns: list[str]) -> list[str]:
    if not arns:
        return []
    tags = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]  # type: ignore[attr-defined]
    return [t["ResourceArn"] for t in tags if {"Key": "lbctl.io/cluster", "Value": CLUSTER} in t["Tags"]]


def test_apply_then_delete_on_aws(moto_url: str, tmp_path: Path) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", CLUSTER, ("us-east-1a", "us-east-1b"))
    instances = add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
    text = (EXAMPLES / "two-services.yaml").read_text()
    text = text.replace("i-0aaaaaaaaaaaaaaa1", instances["node-a"]).replace(
        "i-0bbbbbbbbbbbbbbb2", instances["node-b"]
    )
    manifest = tmp_path / "two-services.yaml"
    manifest.write_text(text)
    cloud = [
        "--provider",
        "aws",
        "--endpoint-url",
        moto_url,
        "--aws-vpc-id",
        account.vpc_id,
        "--cluster-name",
        CLUSTER,
    ]
    elbv2 = account.client("elbv2")

    applied = lbctl("apply", "-f", str(manifest), *cloud)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    assert f"converged default/shop → {lb['DNSName']}" in applied.stdout
    assert _mutating(applied.stdout)[0] > 0
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert listener["Port"] == 80
    paths = {
        v
        for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        for c in r["Conditions"]
        if c["Field"] == "path-pattern"
        for v in c["PathPatternConfig"]["Values"]
    }
    assert paths == {"/users", "/users/*", "/products", "/products/*"}
    groups = elbv2.describe_target_groups()["TargetGroups"]
    assert len(_ours_on_aws(elbv2, [g["TargetGroupArn"] for g in groups])) == 2
    for group in groups:
        health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])[
            "TargetHealthDescriptions"
        ]
        assert {t["Target"]["Id"] for t in health} == set(instances.values())

    again = lbctl("apply", "-f", str(manifest), *cloud)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _mutating(again.stdout) == [0]

    deleted = lbctl("delete", "-f", str(manifest), *cloud)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert "deleted default/shop" in deleted.stdout
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    groups_left = account.client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:lbctl.io/cluster", "Values": [CLUSTER]}]
    )["SecurityGroups"]
    assert groups_left == []
    assert _mutating(lbctl("delete", "-f", str(manifest), *cloud).stdout) == [0]


def test_apply_then_delete_on_gcp() -> None:
    with ComputeEmulator(port=0) as emulator:
        clients = make_clients(emulator.url)
        for name, zone in NODES.items():
            wait(
                clients,
                clients.instances.insert(
                    project=PROJECT, zone=zone, instance_resource=compute_v1.Instance(name=name)
                ),
            )
        wait(
            clients,
            clients.addresses.insert(project=PROJECT, address_resource=compute_v1.Address(name="shop-ip")),
        )
        static_ip = clients.addresses.get(project=PROJECT, address="shop-ip").address
        before = emulator.inventory()
        cloud = [
            "--provider",
            "gcp",
            "--endpoint-url",
            emulator.url,
            "--gcp-project",
            PROJECT,
            "--cluster-name",
            CLUSTER,
        ]
        manifest = str(EXAMPLES / "two-services-gce.yaml")

        applied = lbctl("apply", "-f", manifest, *cloud)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert f"converged default/shop → {static_ip}" in applied.stdout
        kinds = sorted(k.split("/")[-2] for k in ours(emulator))
        assert kinds.count("backendServices") == 2 and kinds.count("urlMaps") == 1
        assert kinds.count("forwardingRules") == 2 and kinds.count("targetHttpsProxies") == 1

        again = lbctl("apply", "-f", manifest, *cloud)
        assert again.returncode == 0, again.stdout + again.stderr
        assert _mutating(again.stdout) == [0]

        deleted = lbctl("delete", "-f", manifest, *cloud)
        assert deleted.returncode == 0, deleted.stdout + deleted.stderr
        assert ours(emulator) == {}
        assert emulator.inventory() == before  # the user's VMs and static IP are left exactly as they were
