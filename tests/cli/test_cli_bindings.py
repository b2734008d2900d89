"""`lbctl validate` and `lbctl plan` on files holding TargetGroupBindings, through the console script."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import requests
import yaml

from emulators.aws import DEMO_KEYS, create_aws_account
from emulators.testing.cli import lbctl_in_process
from emulators.testing.scripts import LBCTL

ROOT = Path(__file__).resolve().parents[2]
SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "shop"},
    "spec": {
        "type": "NodePort",
        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
    },
}
SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 8080}],
    "endpoints": [{"addresses": ["10.0.0.11"], "conditions": {"ready": True}}],
}


def tgb(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"serviceRef": {"name": "web", "port": 80}, "targetGroupName": "web-tg", **spec},
    }


ENV = {
    **os.environ,
    "AWS_ACCESS_KEY_ID": DEMO_KEYS["aws_access_key_id"],
    "AWS_SECRET_ACCESS_KEY": DEMO_KEYS["aws_secret_access_key"],
}


def lbctl(*args: str) -> subprocess.CompletedProcess[str]:
    return lbctl_in_process(*args, cwd=ROOT, env=ENV)


def write(tmp_path: Path, *docs: dict[str, Any]) -> str:
    target = tmp_path / "binding.yaml"
    target.write_text(yaml.safe_dump_all(docs))
    return str(target)


def test_validate_counts_bindings_and_names_bad_fields(tmp_path: Path) -> None:
    done = lbctl("validate", "-f", write(tmp_path, SERVICE, tgb()))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 TargetGroupBinding(s), no problems" in done.stdout
    done = lbctl("validate", "-f", write(tmp_path, SERVICE, tgb(targetType="lambda")), "-o", "json")
    assert done.returncode == 2
    (problem,) = json.loads(done.stdout)
    assert problem["field"] == "spec.targetType" and "instance, ip" in problem["message"]
    done = lbctl(
        "validate", "-f", write(tmp_path, SERVICE, tgb(serviceRef={"name": "web", "port": 81})), "-o", "json"
    )
    assert done.returncode == 2 and json.loads(done.stdout)[0]["field"] == "spec.serviceRef.port"


def test_a_service_outside_the_files_is_assumed_to_exist(tmp_path: Path) -> None:
    done = lbctl("validate", "--strict", "-f", write(tmp_path, tgb()))
    assert done.returncode == 0, done.stdout + done.stderr


def test_plan_shows_the_targets_of_each_type(tmp_path: Path) -> None:
    done = lbctl("plan", "-f", write(tmp_path, SERVICE, SLICE, tgb()), "-o", "json")
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    assert doc["kind"] == "TargetGroupBinding" and doc["binding"] == "shop/web"
    assert doc["targets"] == {"instance": [], "ip": ["10.0.0.11:8080"]}  # no Node in the files
    table = lbctl("plan", "-f", write(tmp_path, SERVICE, SLICE, tgb()))
    assert "TargetGroupBinding shop/web → target group web-tg" in table.stdout
    assert "ip targets: 10.0.0.11:8080" in table.stdout


def test_plan_against_an_account_lists_the_target_calls(tmp_path: Path, moto_url: str) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", "cli", ("us-east-1a", "us-east-1b"))
    arn = account.client("elbv2").create_target_group(
        Name="web-tg",
        Protocol="HTTP",
        Port=80,
        VpcId=account.vpc_id,
        TargetType="ip",
        Tags=[{"Key": "lbctl.io/target-group-binding", "Value": "shop"}],
    )["TargetGroups"][0]["TargetGroupArn"]
    cloud = [
        "--provider",
        "aws",
        "--endpoint-url",
        moto_url,
        "--aws-vpc-id",
        account.vpc_id,
        "--cluster-name",
        "cli",
    ]
    done = lbctl("plan", "-f", write(tmp_path, SERVICE, SLICE, tgb()), *cloud, "-o", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    (doc,) = json.loads(done.stdout)
    (step,) = doc["steps"]
    assert step["operation"] == "RegisterTargets"
    assert step["body"] == {"TargetGroupArn": arn, "Targets": [{"Id": "10.0.0.11", "Port": 8080}]}
    health = account.client("elbv2").describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert health == []  # a plan registers nothing


def test_apply_says_it_leaves_bindings_to_the_controller(tmp_path: Path, moto_url: str) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", "cli", ("us-east-1a", "us-east-1b"))
    cloud = [
        "--provider",
        "aws",
        "--endpoint-url",
        moto_url,
        "--aws-vpc-id",
        account.vpc_id,
        "--cluster-name",
        "cli",
    ]
    done = subprocess.run(
        [LBCTL, "apply", "-f", write(tmp_path, SERVICE, SLICE, tgb()), *cloud],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**ENV, "COLUMNS": "400"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "TargetGroupBinding shop/web" in line]
    assert "warning" in line and "not applied from files" in line
