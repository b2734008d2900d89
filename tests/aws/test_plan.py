"""plan(desired, current) is pure: table-driven Desired/Current → Steps with no cloud at all (create from empty,
no-op, one changed attribute, delete), Refs for what earlier steps produce, inputs left untouched, secrets
redacted wherever a step is shown."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulators.testing.aws_stacks import CLUSTER, WEB_INGRESS, Account, one_input, with_nodes
from lbctl.cli.render import step_documents
from lbctl.provider import Ref, Secret, Step
from providers.aws import naming
from providers.aws.discover import CurrentStack
from providers.aws.plan import plan, plan_stack
from providers.aws.translate import DesiredStack, translate

EXAMPLE = (Path(__file__).parents[2] / "docs/examples/two-services.yaml").read_text()
ACCOUNT = Account("http://unused", "vpc-0a", {}, ["i-0aaa", "i-0bbb"])
SUBNETS = ["subnet-0a", "subnet-0b"]


def desired_example(text: str | None = None) -> DesiredStack:
    """The two-service example (two NodePort Services behind host/path rules), translated."""
    text = text or EXAMPLE.split("kind: Node")[0].rsplit("---", 1)[0]
    stack = one_input(with_nodes(text, ACCOUNT))
    return translate(stack.spec, CLUSTER, secrets=stack.secrets, tls=stack.tls, targets=stack.targets)


def empty() -> CurrentStack:
    return CurrentStack(vpc_id="vpc-0a", subnet_ids=list(SUBNETS))


def applied(steps: list[Step]) -> CurrentStack:
    """What an account holds after the create steps of an empty account's plan: each created resource as
    AWS describes it, with made-up IDs standing for the results the Refs point at."""
    current = empty()
    results: dict[str, dict[str, str]] = {}

    def value(v: Any) -> Any:
        if isinstance(v, Ref):
            return results[v.step][v.field]
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    for n, step in enumerate(steps):
        body = value(dict(step.body))
        arn = f"arn:aws:test:{n}/{step.name}"
        tags = naming.tag_dict(body.get("Tags"))
        if step.operation == "CreateSecurityGroup":
            results[step.key] = {"GroupId": f"sg-{n}"}
            tags = naming.tag_dict(body["TagSpecifications"][0]["Tags"])
            current.security_groups.append(
                {
                    "GroupId": f"sg-{n}",
                    "GroupName": body["GroupName"],
                    "VpcId": body["VpcId"],
                    "IpPermissions": [],
                    "Tags": tags,
                }
            )
        elif step.operation == "AuthorizeSecurityGroupIngress":
            group = next(g for g in current.security_groups if g["GroupId"] == body["GroupId"])
            group["IpPermissions"] += body["IpPermissions"]
        elif step.operation == "CreateTargetGroup":
            results[step.key] = {"TargetGroupArn": arn}
            current.target_groups.append(
                {**body, "TargetGroupArn": arn, "TargetGroupName": body["Name"], "Tags": tags}
            )
        elif step.operation == "CreateLoadBalancer":
            results[step.key] = {"LoadBalancerArn": arn, "DNSName": "lb.example"}
            lb = {
                "LoadBalancerArn": arn,
                "LoadBalancerName": body["Name"],
                "Scheme": body["Scheme"],
                "AvailabilityZones": [{"SubnetId": s} for s in body["Subnets"]],
                "DNSName": "lb.example",
                "SecurityGroups": body["SecurityGroups"],
                "IpAddressType": body["IpAddressType"],
                "Tags": tags,
            }
            current.load_balancers.append(lb)
            current.load_balancer = lb
        elif step.operation == "CreateListener":
            results[step.key] = {"ListenerArn": arn}
            current.listeners.append(
                {
                    "ListenerArn": arn,
                    "Port": body["Port"],
                    "Protocol": body["Protocol"],
                    "DefaultActions": body["DefaultActions"],
                }
            )
            current.rules[arn] = [
                {
                    "RuleArn": arn + "/default",
                    "IsDefault": True,
                    "Priority": "default",
                    "Conditions": [],
                    "Actions": body["DefaultActions"],
                }
            ]
        elif step.operation == "CreateRule":
            current.rules[body["ListenerArn"]].append(
                {
                    "RuleArn": arn,
                    "IsDefault": False,
                    "Priority": str(body["Priority"]),
                    "Conditions": body["Conditions"],
                    "Actions": body["Actions"],
                }
            )
        elif step.operation == "RegisterTargets":
            have = current.targets.setdefault(body["TargetGroupArn"], set())
            have |= {(t["Id"], t["Port"]) for t in body["Targets"]}
        else:
            raise AssertionError(f"an empty account's plan has no {step.operation}")
    return current


def _operations(steps: list[Step]) -> list[tuple[str, str, str]]:
    return [(s.action, s.kind, s.operation) for s in steps]


def test_create_from_empty_orders_steps_and_refers_to_earlier_results() -> None:
    desired = desired_example()
    steps = plan(desired, empty())
    assert _operations(steps) == [
        ("create", "SecurityGroup", "CreateSecurityGroup"),
        ("update", "SecurityGroup", "AuthorizeSecurityGroupIngress"),
        ("create", "TargetGroup", "CreateTargetGroup"),
        ("create", "TargetGroup", "CreateTargetGroup"),
        ("create", "LoadBalancer", "CreateLoadBalancer"),
        ("create", "Listener", "CreateListener"),
        ("create", "Rule", "CreateRule"),
        ("create", "Rule", "CreateRule"),
        ("update", "TargetGroup", "RegisterTargets"),
        ("update", "TargetGroup", "RegisterTargets"),
    ]
    by_op = {s.operation: s for s in steps}
    assert len({s.key for s in steps}) == len(steps)
    sg, lb, listener = by_op["CreateSecurityGroup"], by_op["CreateLoadBalancer"], by_op["CreateListener"]
    assert lb.body["SecurityGroups"] == [Ref(sg.key, "GroupId")] and lb.body["Subnets"] == SUBNETS
    assert listener.body["LoadBalancerArn"] == Ref(lb.key, "LoadBalancerArn")
    groups = {s.key for s in steps if s.operation == "CreateTargetGroup"}
    for rule in (s for s in steps if s.operation == "CreateRule"):
        assert rule.body["ListenerArn"] == Ref(listener.key, "ListenerArn")
        (target,) = rule.body["Actions"][0]["ForwardConfig"]["TargetGroups"]
        assert target["TargetGroupArn"].step in groups and target["TargetGroupArn"].field == "TargetGroupArn"
        assert {t["Key"] for t in rule.body["Tags"]} >= {naming.CLUSTER_TAG, naming.STACK_TAG}
    created = by_op["CreateTargetGroup"].body  # the full request, as boto3 gets it
    assert (
        created["HealthCheckPath"] == "/healthz"
        and created["VpcId"] == "vpc-0a"
        and created["TargetType"] == "instance"
    )
    assert {t["Key"] for t in created["Tags"]} >= {naming.CLUSTER_TAG, naming.RESOURCE_TAG}
    registered = [s for s in steps if s.operation == "RegisterTargets"]
    assert all(isinstance(s.body["TargetGroupArn"], Ref) and len(s.body["Targets"]) == 2 for s in registered)
    assert plan_stack(desired, empty()).address == Ref(lb.key, "DNSName")


def _health_path(current: CurrentStack) -> CurrentStack:
    current.target_groups[0]["HealthCheckPath"] = "/old"
    return current


def _foreign_rule(current: CurrentStack) -> CurrentStack:
    (rules,) = current.rules.values()
    rules[1]["Conditions"] = [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/other"]}}]
    return current


def _target_gone(current: CurrentStack) -> CurrentStack:
    arn = current.target_groups[1]["TargetGroupArn"]
    current.targets[arn] = {("i-0aaa", 30081)}
    return current


CASES = {
    "no-op": (lambda c: c, []),
    "one attribute": (_health_path, [("update", "TargetGroup", "ModifyTargetGroup")]),
    "rule rewritten": (_foreign_rule, [("update", "Rule", "ModifyRule")]),
    "target gone": (_target_gone, [("update", "TargetGroup", "RegisterTargets")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_against_what_exists(case: str) -> None:
    desired = desired_example()
    change, expected = CASES[case]
    current = change(applied(plan(desired, empty())))
    before = copy.deepcopy((desired, current))
    steps = plan(desired, current)
    assert _operations(steps) == expected
    assert (desired, current) == before and desired.targets == before[0].targets, "plan changed its inputs"
    if case == "one attribute":
        (step,) = steps
        assert step.changes == {"HealthCheckPath": ("/old", "/healthz")}
        assert step.body == {
            "TargetGroupArn": current.target_groups[0]["TargetGroupArn"],
            "HealthCheckPath": "/healthz",
        }
        assert step.change().detail == "health check ['HealthCheckPath']"
    if case == "rule rewritten":
        assert set(steps[0].changes) == {"Conditions", "Actions"} and "RuleArn" in steps[0].body


def test_delete_runs_in_reverse_dependency_order_and_leaves_inputs() -> None:
    current = applied(plan(desired_example(), empty()))
    before = copy.deepcopy(current)
    steps = plan(None, current)
    assert _operations(steps) == [
        ("delete", "LoadBalancer", "DeleteLoadBalancer"),
        ("delete", "TargetGroup", "DeleteTargetGroup"),
        ("delete", "TargetGroup", "DeleteTargetGroup"),
        ("delete", "SecurityGroup", "DeleteSecurityGroup"),
    ]
    assert steps[0].body == {"LoadBalancerArn": current.load_balancers[0]["LoadBalancerArn"]}
    assert current == before
    assert plan(None, empty()) == []


def test_scheme_change_replaces_the_load_balancer() -> None:
    public = desired_example()
    current = applied(plan(public, empty()))
    internal = desired_example(
        EXAMPLE.split("kind: Node")[0]
        .rsplit("---", 1)[0]
        .replace("scheme: internet-facing", "scheme: internal")
    )
    current.load_balancer = None  # discover keeps only a load balancer of the wanted name and scheme
    steps = plan(internal, current)
    assert _operations(steps)[:2] == [
        ("replace", "LoadBalancer", "DeleteLoadBalancer"),
        ("create", "LoadBalancer", "CreateLoadBalancer"),
    ]


OIDC = {
    "listen-ports": '[{"HTTPS": 443}]',
    "certificate-arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "auth-type": "oidc",
    "auth-idp-oidc": json.dumps(
        {
            "issuer": "https://idp.example.com",
            "authorizationEndpoint": "https://idp.example.com/auth",
            "tokenEndpoint": "https://idp.example.com/token",
            "userInfoEndpoint": "https://idp.example.com/userinfo",
            "secretName": "oidc-client",
        }
    ),
}
CLIENT_SECRET = "s3cr3t-never-shown"
OIDC_SECRET = f"""
---
apiVersion: v1
kind: Secret
metadata: {{name: oidc-client, namespace: shop}}
data: {{clientID: {"Y2xpZW50"}, clientSecret: {__import__("base64").b64encode(CLIENT_SECRET.encode()).decode()}}}
"""


def test_client_secret_is_sent_but_never_shown() -> None:
    annotations = (
        "{" + ", ".join(f"alb.ingress.kubernetes.io/{k}: {json.dumps(v)}" for k, v in OIDC.items()) + "}"
    )
    text = WEB_INGRESS.format(annotations=annotations, tls="") + OIDC_SECRET
    steps = plan(desired_example(text), empty())
    (rule,) = [s for s in steps if s.operation == "CreateRule"]
    config = rule.body["Actions"][0]["AuthenticateOidcConfig"]
    assert config["ClientSecret"] == Secret(CLIENT_SECRET) and config["ClientId"] == "client"
    assert CLIENT_SECRET not in repr(steps) and CLIENT_SECRET not in str(steps)
    shown = json.dumps(step_documents(steps))
    assert CLIENT_SECRET not in shown and '"ClientSecret": "<redacted>"' in shown
    assert naming.CLIENT_SECRET_TAG in {t["Key"] for t in rule.body["Tags"]}


def test_offline_plan_json_shows_each_request_body() -> None:
    """`lbctl plan --offline -o json`: every step with its operation and the body boto3 gets (Refs as text)."""

    from emulators.testing.cli import ROOT as ROOT_DIR
    from emulators.testing.cli import lbctl_in_process

    example = Path(__file__).parents[2] / "docs/examples/two-services.yaml"
    done = lbctl_in_process(
        "plan", "-f", str(example), "--provider", "aws", "--offline", "-o", "json", cwd=ROOT_DIR
    )
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    steps = doc["steps"]
    assert [(s["action"], s["kind"]) for s in steps] == [(c["action"], c["kind"]) for c in doc["changes"]]
    groups = [s for s in steps if s["operation"] == "CreateTargetGroup"]
    assert len(groups) == 2 and all(
        g["body"]["HealthCheckPath"] == "/healthz" and g["body"]["Tags"] for g in groups
    )
    (listener,) = [s for s in steps if s["operation"] == "CreateListener"]
    assert listener["body"]["LoadBalancerArn"].startswith("(known after LoadBalancer ")
    rules = [s for s in steps if s["operation"] == "CreateRule"]
    assert len(rules) == 2 and all(r["body"]["Conditions"] and r["body"]["Priority"] for r in rules)
