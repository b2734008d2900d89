"""Services of type LoadBalancer in the file commands, through the console script against the moto server:
validate names the claim a Service needs, plan --offline shows the NLB's requests, apply converges it (a
second apply makes no write), describe service shows the console view, delete leaves nothing of ours."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import requests

from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account
from emulators.testing.aws_stacks import LOKI as LOKI_TEMPLATE
from emulators.testing.cli import lbctl_in_process

ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": DEMO_KEYS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": DEMO_KEYS["aws_secret_access_key"],
    "COLUMNS": "200",
}
CLUSTER = "cli-l4"
LOKI = LOKI_TEMPLATE.format(extra="", more="")


def lbctl(*args: str) -> subprocess.CompletedProcess[str]:
    done = lbctl_in_process(*args, env=ENV)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


def test_service_files_validate_plan_apply_describe_delete(moto_url: str, tmp_path: Path) -> None:
    manifest = tmp_path / "loki.yaml"
    manifest.write_text(LOKI)
    unclaimed = lbctl("validate", "-f", str(manifest), "--provider", "aws", "-o", "json")
    assert [p["field"] for p in json.loads(unclaimed.stdout)] == ["spec.loadBalancerClass"]
    offline = lbctl(
        "plan",
        "-f",
        str(manifest),
        "--provider",
        "aws",
        "--offline",
        "--claim-unclassed-services",
        "-o",
        "json",
    )
    assert offline.returncode == 0, offline.stdout + offline.stderr
    (doc,) = json.loads(offline.stdout)
    operations = [(s["kind"], s["operation"]) for s in doc["steps"]]
    assert operations == [  # LBC's: the shared backend and a managed frontend security group
        ("BackendSecurityGroup", "CreateSecurityGroup"),
        ("SecurityGroup", "CreateSecurityGroup"),
        ("SecurityGroup", "AuthorizeSecurityGroupIngress"),
        ("TargetGroup", "CreateTargetGroup"),
        ("LoadBalancer", "CreateLoadBalancer"),
        ("Listener", "CreateListener"),
    ]
    create = next(s for s in doc["steps"] if s["operation"] == "CreateLoadBalancer")
    assert (create["body"]["Type"], create["body"]["Scheme"]) == ("network", "internal")

    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", CLUSTER, ("us-east-1a", "us-east-1b"))
    add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
    cloud = ["--provider", "aws", "--endpoint-url", moto_url, "--aws-vpc-id", account.vpc_id]
    cloud += ["--cluster-name", CLUSTER]
    files = ["-f", str(manifest), "--claim-unclassed-services"]
    applied = lbctl("apply", *files, *cloud)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    (lb,) = account.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert f"converged Service default/loki → {lb['DNSName']}" in applied.stdout
    again = lbctl("apply", *files, *cloud)
    assert re.findall(r"\((\d+) mutating\)", again.stdout) == ["0"], again.stdout

    described = lbctl("describe", "service", "default/loki", *cloud, "-o", "json")
    assert described.returncode == 0, described.stdout + described.stderr
    view = json.loads(described.stdout)
    assert [li["listener"] for li in view["listeners"]] == ["TCP:3100"]
    assert view["load_balancers"][0]["address"] == lb["DNSName"]

    deleted = lbctl("delete", *files, *cloud)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    elbv2 = account.client("elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    tagged = [{"Name": "tag-key", "Values": ["lbctl.io/cluster"]}]
    assert account.client("ec2").describe_security_groups(Filters=tagged)["SecurityGroups"] == []
