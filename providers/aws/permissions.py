"""Every IAM action the AWS provider needs, declared once: `lbctl doctor` simulates them, and
tests/manifests/test_iam.py checks manifests/iam/aws-policy.json grants exactly these and that every
call the provider makes is one of them."""

from __future__ import annotations

READ_ACTIONS = (
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeSSLPolicies",
    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeInstances",
    "ec2:DescribeAvailabilityZones", "acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate",
    "wafv2:GetWebACL", "wafv2:GetWebACLForResource", "tag:GetResources",
)  # fmt: skip
WRITE_ACTIONS = (
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup", "ec2:CreateSecurityGroup",
    "acm:ImportCertificate", "elasticloadbalancing:AddTags", "ec2:CreateTags", "acm:AddTagsToCertificate",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:RemoveTags", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup", "ec2:DeleteTags", "acm:DeleteCertificate", "acm:RemoveTagsFromCertificate",
    "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
)  # fmt: skip
REQUIRED_ACTIONS = READ_ACTIONS + WRITE_ACTIONS
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "ec2": "ec2", "acm": "acm", "wafv2": "wafv2",
              "resourcegroupstaggingapi": "tag"}  # fmt: skip


def iam_action(service: str, operation: str) -> str:
    """The IAM action of an SDK call, e.g. ("elbv2", "CreateRule") → "elasticloadbalancing:CreateRule"."""
    return f"{IAM_PREFIX[service]}:{operation}"
