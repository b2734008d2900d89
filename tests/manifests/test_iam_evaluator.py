"""The policy evaluator of emulators/testing/iam.py on small policies whose IAM outcome is documented, so the
IAM test's verdicts rest on an evaluator that is itself checked."""

from __future__ import annotations

import pytest

from emulators.testing.iam import Authorization, decide

ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def request(
    action: str = "ec2:CreateTags",
    resource: str = "arn:aws:ec2:us-east-1:1:security-group/sg-1",
    **context: list[str],
) -> Authorization:
    return Authorization(
        action, resource, {k.replace("__", ":").replace("_", "/").lower(): v for k, v in context.items()}
    )


def policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_nothing_matching_is_an_implicit_deny_and_an_explicit_deny_wins() -> None:
    assert decide(policy(), request()) == "ImplicitDeny"
    assert decide(policy(ALLOW_ALL), request()) == "Allow"
    deny = {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}
    assert decide(policy(ALLOW_ALL, deny), request()) == "ExplicitDeny"


def test_action_and_resource_wildcards_and_their_negations() -> None:
    only_tags = {
        "Effect": "Allow",
        "Action": "EC2:Create?ags",
        "Resource": "arn:aws:ec2:*:*:security-group/*",
    }
    assert decide(policy(only_tags), request()) == "Allow"  # action names are case-insensitive
    assert decide(policy(only_tags), request(resource="arn:aws:ec2:us-east-1:1:vpc/vpc-1")) == "ImplicitDeny"
    assert decide(policy(only_tags), request("ec2:DeleteTags")) == "ImplicitDeny"
    not_action = {"Effect": "Allow", "NotAction": "ec2:Delete*", "NotResource": "arn:aws:ec2:*:*:vpc/*"}
    assert decide(policy(not_action), request()) == "Allow"
    assert decide(policy(not_action), request("ec2:DeleteSecurityGroup")) == "ImplicitDeny"
    assert decide(policy(not_action), request(resource="arn:aws:ec2:us-east-1:1:vpc/vpc-1")) == "ImplicitDeny"


def test_string_and_null_conditions() -> None:
    ours = {**ALLOW_ALL, "Condition": {"StringEquals": {"aws:ResourceTag/owner": ["a", "b"]}}}
    assert decide(policy(ours), request(aws__ResourceTag_owner=["b"])) == "Allow"
    assert decide(policy(ours), request(aws__ResourceTag_owner=["c"])) == "ImplicitDeny"
    assert decide(policy(ours), request()) == "ImplicitDeny"  # a missing key fails a positive operator
    not_ours = {**ALLOW_ALL, "Condition": {"StringNotEquals": {"aws:ResourceTag/owner": "a"}}}
    assert decide(policy(not_ours), request()) == "Allow"  # ... and satisfies a negated one
    assert decide(policy(not_ours), request(aws__ResourceTag_owner=["a"])) == "ImplicitDeny"
    like = {**ALLOW_ALL, "Condition": {"StringLike": {"aws:ResourceTag/owner": "team-*"}}}
    assert decide(policy(like), request(aws__ResourceTag_owner=["team-x"])) == "Allow"
    absent = {
        **ALLOW_ALL,
        "Condition": {"Null": {"aws:RequestTag/owner": "true", "aws:ResourceTag/owner": "false"}},
    }
    assert decide(policy(absent), request(aws__ResourceTag_owner=["a"])) == "Allow"
    assert (
        decide(policy(absent), request(aws__ResourceTag_owner=["a"], aws__RequestTag_owner=["a"]))
        == "ImplicitDeny"
    )
    assert decide(policy(absent), request()) == "ImplicitDeny"


def test_set_qualifiers() -> None:
    never_owner = {**ALLOW_ALL, "Condition": {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["owner"]}}}
    assert decide(policy(never_owner), request(aws__TagKeys=["team", "env"])) == "Allow"
    assert decide(policy(never_owner), request(aws__TagKeys=["team", "owner"])) == "ImplicitDeny"
    assert decide(policy(never_owner), request()) == "Allow"  # ForAllValues over no values holds
    any_owner = {**ALLOW_ALL, "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "owner"}}}
    assert decide(policy(any_owner), request(aws__TagKeys=["team", "owner"])) == "Allow"
    assert decide(policy(any_owner), request()) == "ImplicitDeny"


def test_unknown_operators_fail_loudly() -> None:
    odd = {**ALLOW_ALL, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
    with pytest.raises(ValueError, match="IpAddress"):
        decide(policy(odd), request(aws__SourceIp=["10.1.1.1"]))
