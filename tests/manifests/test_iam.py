"""The AWS IAM policy in manifests/ grants every API call the AWS provider makes (recorded against moto)."""

from __future__ import annotations

import json
from pathlib import Path

import requests
import yaml

from lbctl.cloudcalls import CallStats
from lbctl.demo.clouds import DEMO_KEYS, add_aws_instances, create_aws_account
from lbctl.model.builder import BuildConfig, build, empty_spec
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig, StackInput, create_provider, stack_input
from providers.aws.permissions import REQUIRED_ACTIONS, iam_action

POLICY = Path(__file__).resolve().parents[2] / "manifests" / "iam" / "aws-policy.json"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "two-services.yaml"


def policy_actions() -> set[str]:
    statements = json.loads(POLICY.read_text())["Statement"]
    return {action for s in statements if s["Effect"] == "Allow" for action in s["Action"]}


def example(instances: dict[str, str], annotations: dict[str, str]) -> ClusterSnapshot:
    docs = [d for d in yaml.safe_load_all(EXAMPLE.read_text()) if d]
    for doc in docs:
        if doc["kind"] == "Node":
            name = doc["metadata"]["name"]
            doc["spec"]["providerID"] = f"aws:///{doc['metadata']['labels']['topology.kubernetes.io/zone']}/{instances[name]}"
        if doc["kind"] == "Ingress":
            doc["metadata"]["annotations"].update(annotations)
    return ClusterSnapshot.from_objects(docs)


def test_policy_grants_every_call_of_a_converge_update_delete_cycle(moto_url: str) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", "iam", ("us-east-1a", "us-east-1b"))
    instances = add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
    stats = CallStats()
    provider = create_provider("aws", ProviderConfig("iam", "us-east-1", moto_url, vpc_id=account.vpc_id,
                                                     options=dict(DEMO_KEYS), call_stats=stats))  # fmt: skip
    for extra in ({}, {"alb.ingress.kubernetes.io/healthcheck-path": "/ready",
                             "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=120",
                             "alb.ingress.kubernetes.io/target-group-attributes": "deregistration_delay.timeout_seconds=5",
                             "alb.ingress.kubernetes.io/tags": "team=shop"}):  # fmt: skip
        snapshot = example(instances, extra)
        (spec,) = build(snapshot, BuildConfig.for_provider("aws")).specs
        provider.converge(stack_input(spec, snapshot))
    provider.converge(StackInput(empty_spec("aws", spec.stack)))
    called = {iam_action(service, operation) for service, operation, _ in stats.counts}
    assert called, "the scenario made no AWS call"
    undeclared = called - set(REQUIRED_ACTIONS)
    assert not undeclared, f"providers/aws/permissions.py does not declare: {sorted(undeclared)}"
    missing = called - policy_actions()
    assert not missing, f"manifests/iam/aws-policy.json does not grant: {sorted(missing)}"


def test_policy_grants_exactly_the_declared_actions() -> None:
    assert policy_actions() == set(REQUIRED_ACTIONS), "the policy and providers/aws/permissions.py (what lbctl doctor simulates) differ"
