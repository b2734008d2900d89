"""Every IAM action the AWS provider needs, declared once: `lbctl doctor` simulates them, and
tests/manifests/test_iam.py checks manifests/iam/aws-policy.template.json grants exactly these (with
their conditions) and that every call the provider makes is one of them."""

from __future__ import annotations

from .naming import CLUSTER_TAG

READ_ACTIONS = (
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeTrustStores",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeAvailabilityZones",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "acm:ListTagsForCertificate",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:ListWebACLs",
    "waf-regional:GetWebACLForResource",
    "shield:DescribeProtection",
    "route53:ListHostedZones",
    "route53:ListResourceRecordSets",
    "tag:GetResources",
)
WRITE_ACTIONS = (
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateTargetGroup",
    "ec2:CreateSecurityGroup",
    "acm:ImportCertificate",
    "acm:RequestCertificate",
    "elasticloadbalancing:AddTags",
    "ec2:CreateTags",
    "acm:AddTagsToCertificate",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:ModifyIpPools",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:RegisterTargets",
    "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:RemoveTags",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup",
    "ec2:DeleteTags",
    "acm:DeleteCertificate",
    "acm:RemoveTagsFromCertificate",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
    "elasticloadbalancing:SetWebAcl",
    "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "shield:CreateProtection",
    "shield:DeleteProtection",
    "route53:ChangeResourceRecordSets",
)
REQUIRED_ACTIONS = READ_ACTIONS + WRITE_ACTIONS
IAM_PREFIX = {
    "elbv2": "elasticloadbalancing",
    "ec2": "ec2",
    "acm": "acm",
    "wafv2": "wafv2",
    "waf-regional": "waf-regional",
    "shield": "shield",
    "route53": "route53",
    "resourcegroupstaggingapi": "tag",
}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of an SDK call, e.g. ("elbv2", "CreateRule") → "elasticloadbalancing:CreateRule"."""
    return f"{IAM_PREFIX[service]}:{operation}"


POLICY_TEMPLATE = "manifests/iam/aws-policy.template.json"
CLUSTER_PLACEHOLDER = "@CLUSTER_NAME@"  # replaced by the cluster name (`--cluster-name`) when rendering
# Implicit tagging of a create that carries tags: AWS authorizes these with the create action as context.
TAG_ON_CREATE_ACTIONS = ("elasticloadbalancing:AddTags", "ec2:CreateTags", "acm:AddTagsToCertificate")
CREATE_ACTIONS = (
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateTargetGroup",
    "ec2:CreateSecurityGroup",
    "acm:ImportCertificate",
    "acm:RequestCertificate",
    "elasticloadbalancing:CreateListener",
    "elasticloadbalancing:CreateRule",
)


def example_resource(action: str, region: str, account: str) -> str:
    """A representative ARN of what `action` acts on, for a policy simulation ("*" for reads)."""
    service, name = action.split(":", 1)
    if action in READ_ACTIONS:
        return "*"
    if service == "shield":
        return f"arn:aws:shield::{account}:protection/lbctl-doctor"
    if service == "route53":
        return "arn:aws:route53:::hostedzone/ZLBCTLDOCTOR"
    if service == "ec2":
        return f"arn:aws:ec2:{region}:{account}:security-group/sg-0lbctldoctor"
    if service == "acm":
        return f"arn:aws:acm:{region}:{account}:certificate/00000000-0000-0000-0000-000000000000"
    elb = f"arn:aws:elasticloadbalancing:{region}:{account}:"
    if "TargetGroup" in name or name.endswith("Targets"):
        return elb + "targetgroup/lbctl-doctor/0"
    if name in ("CreateRule",) or ("Listener" in name and name != "CreateListener"):
        return elb + "listener/app/lbctl-doctor/0/0"
    if "Rule" in name:
        return elb + "listener-rule/app/lbctl-doctor/0/0/0"
    return elb + "loadbalancer/app/lbctl-doctor/0"


def simulation_contexts(
    cluster: str, region: str, account: str
) -> list[tuple[tuple[str, ...], str, dict[str, str]]]:
    """(actions, resource ARN, condition context) groups as the provider calls them, for a policy simulation:
    creates carry our cluster tag (a listener or rule also names our load balancer or listener), their
    implicit tagging happens under a create action, and everything else acts on resources we own."""
    request, resource = f"aws:RequestTag/{CLUSTER_TAG}", f"aws:ResourceTag/{CLUSTER_TAG}"
    groups: list[tuple[tuple[str, ...], dict[str, str]]] = [
        (READ_ACTIONS, {}),
        (CREATE_ACTIONS, {request: cluster, resource: cluster}),
        (
            TAG_ON_CREATE_ACTIONS[:1],
            {request: cluster, "elasticloadbalancing:CreateAction": "CreateLoadBalancer"},
        ),
        (TAG_ON_CREATE_ACTIONS[1:2], {request: cluster, "ec2:CreateAction": "CreateSecurityGroup"}),
        (TAG_ON_CREATE_ACTIONS[2:], {request: cluster}),
        (tuple(a for a in WRITE_ACTIONS if a not in CREATE_ACTIONS), {resource: cluster}),
    ]
    out: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
    for actions, context in groups:
        for action in actions:
            out.setdefault((example_resource(action, region, account), tuple(context.items())), []).append(
                action
            )
    return [(tuple(actions), arn, dict(context)) for (arn, context), actions in out.items()]
