"""Test support for the AWS IAM policy: a small evaluator of identity-policy statements, and the
authorizations AWS makes for one SDK call (its action on each resource it touches, with the request's
tags, the resource's tags and the service's create-action keys as the condition context).

The evaluator follows the IAM evaluation logic for a single identity policy: an explicit Deny wins,
otherwise any matching Allow allows, otherwise the request is implicitly denied. It understands Action /
NotAction and Resource / NotResource with `*` and `?` wildcards, and the condition operators the policy
uses (String*, Null, Bool, with the ForAllValues: / ForAnyValue: set qualifiers and the IfExists suffix).
An operator it does not know fails the evaluation instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Context = dict[str, list[str]]  # condition key (lower-cased) → values


@dataclass(frozen=True)
class Authorization:
    """One (action, resource) pair AWS authorizes for a call, with its condition context."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    why: str = ""  # which SDK call caused it, for messages

    def describe(self) -> str:
        tags = {k: v for k, v in self.context.items()}
        return f"{self.action} on {self.resource} {tags} ({self.why})"


def _wildcard(pattern: str, value: str, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=0 if case else re.IGNORECASE) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _single(op: str, value: str, wanted: list[str]) -> bool:
    """Whether one context value satisfies a (non-set) operator against the policy's values."""
    base, negated = op, False
    if op.startswith("StringNot"):
        base, negated = "String" + op[len("StringNot") :], True
    if base == "StringEquals":
        hit = any(value == w for w in wanted)
    elif base == "StringEqualsIgnoreCase":
        hit = any(value.lower() == w.lower() for w in wanted)
    elif base == "StringLike":
        hit = any(_wildcard(w, value, case=True) for w in wanted)
    elif base == "Bool":
        hit = any(value.lower() == str(w).lower() for w in wanted)
    else:
        raise ValueError(f"condition operator {op} is not understood by this evaluator")
    return not hit if negated else hit


def _condition(operator: str, key: str, wanted: Any, context: Context) -> bool:
    wanted = [str(w).lower() if isinstance(w, bool) else str(w) for w in _as_list(wanted)]
    values = context.get(key.lower())
    if operator == "Null":
        return (values is None) == (wanted[0].lower() == "true")
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    negated = op.startswith("StringNot")
    if qualifier == "ForAllValues":
        return values is None or all(_single(op, v, wanted) for v in values)
    if qualifier == "ForAnyValue":
        return values is not None and any(_single(op, v, wanted) for v in values)
    if qualifier:
        raise ValueError(f"set qualifier {qualifier} is not understood by this evaluator")
    if values is None:
        return if_exists or negated  # a missing key fails positive operators, satisfies negated ones
    if len(values) != 1:
        raise ValueError(f"{key} is multivalued: use ForAllValues/ForAnyValue with {operator}")
    return _single(op, values[0], wanted)


def statement_matches(statement: dict[str, Any], request: Authorization) -> bool:
    if "Action" in statement:
        action_ok = any(_wildcard(a, request.action, case=False) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(
            _wildcard(a, request.action, case=False) for a in _as_list(statement["NotAction"])
        )
    if not action_ok:
        return False
    if "Resource" in statement:
        resource_ok = any(_wildcard(r, request.resource, case=True) for r in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(
            _wildcard(r, request.resource, case=True) for r in _as_list(statement["NotResource"])
        )
    if not resource_ok:
        return False
    for operator, keys in statement.get("Condition", {}).items():
        for key, wanted in keys.items():
            if not _condition(operator, key, wanted, request.context):
                return False
    return True


def decide(policy: dict[str, Any], request: Authorization) -> str:
    """Allow, ExplicitDeny or ImplicitDeny for one authorization under one identity policy."""
    matching = [s for s in policy["Statement"] if statement_matches(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return "ExplicitDeny"
    return "Allow" if any(s["Effect"] == "Allow" for s in matching) else "ImplicitDeny"


# ----------------------------------------------------------------------------------- SDK call → authorizations

ACCOUNT = "123456789012"  # moto's account
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
ELB_ARN_PARAMS = ("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "RuleArn")
ELB_CREATES = {
    "CreateLoadBalancer": "loadbalancer/app/{Name}/new",
    "CreateTargetGroup": "targetgroup/{Name}/new",
}

TagsOf = Callable[[str], dict[str, str]]  # resource ARN → its tags, read from the cloud when the call is made


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _context(
    request_tags: dict[str, str] | None = None, resource_tags: dict[str, str] | None = None, **keys: str
) -> Context:
    out: Context = {}
    if request_tags:
        out["aws:tagkeys"] = sorted(request_tags)
        out.update({f"aws:requesttag/{k}".lower(): [v] for k, v in request_tags.items()})
    out.update({f"aws:resourcetag/{k}".lower(): [v] for k, v in (resource_tags or {}).items()})
    out.update({k.replace("__", ":").lower(): [v] for k, v in keys.items()})
    return out


def authorizations(
    service: str, operation: str, params: dict[str, Any], tags_of: TagsOf, region: str = "us-east-1"
) -> list[Authorization]:
    """What AWS authorizes for one call, as the Service Authorization Reference describes it: the action on
    each resource the call names (with that resource's tags), and for a create carrying tags the implicit
    tagging action on the new resource with the service's create-action key."""
    prefix = IAM_PREFIX[service]
    action = f"{prefix}:{operation}"
    why = f"{service} {operation}"

    def auth(act: str, resource: str, ctx: Context) -> Authorization:
        return Authorization(act, resource, ctx, why)

    if operation.startswith(("Describe", "Get", "List")):
        return [auth(action, "*", {})]
    if service == "elbv2":
        return _elb(operation, params, tags_of, region, auth)
    if service == "ec2":
        return _ec2(operation, params, tags_of, region, auth)
    if service == "acm":
        return _acm(operation, params, tags_of, region, auth)
    if service == "route53":  # on the hosted zone, with what the change batch does as condition keys
        changes = params["ChangeBatch"]["Changes"]
        ctx: Context = {
            "route53:changeresourcerecordsetsactions": [c["Action"] for c in changes],
            "route53:changeresourcerecordsetsrecordtypes": [c["ResourceRecordSet"]["Type"] for c in changes],
            "route53:changeresourcerecordsetsnormalizedrecordnames": [
                c["ResourceRecordSet"]["Name"].lower().rstrip(".") for c in changes
            ],
        }
        return [auth(action, f"arn:aws:route53:::hostedzone/{params['HostedZoneId']}", ctx)]
    if service == "shield":  # on the protection, whatever it protects
        protection = params.get("ProtectionId", "new")
        return [auth(action, f"arn:aws:shield::{ACCOUNT}:protection/{protection}", {})]
    if service == "waf-regional":  # WAF Classic: as WAFv2, the web ACL named by its ID
        lb = params["ResourceArn"]
        out = [
            auth(action, lb, _context(resource_tags=tags_of(lb))),
            auth("elasticloadbalancing:SetWebAcl", lb, _context(resource_tags=tags_of(lb))),
        ]
        if "WebACLId" in params:
            out.append(
                auth(action, f"arn:aws:waf-regional:{region}:{ACCOUNT}:webacl/{params['WebACLId']}", {})
            )
        return out
    if service == "wafv2":
        lb = params["ResourceArn"]
        out = [
            auth(action, lb, _context(resource_tags=tags_of(lb))),
            auth("elasticloadbalancing:SetWebAcl", lb, _context(resource_tags=tags_of(lb))),
        ]
        if "WebACLArn" in params:
            out.append(
                auth(action, params["WebACLArn"], _context(resource_tags=tags_of(params["WebACLArn"])))
            )
        return out
    raise ValueError(f"no authorization model for {why}")


def _elb(
    operation: str,
    params: dict[str, Any],
    tags_of: TagsOf,
    region: str,
    auth: Callable[[str, str, Context], Authorization],
) -> list[Authorization]:
    action = f"elasticloadbalancing:{operation}"
    request = _tags(params.get("Tags"))
    base = f"arn:aws:elasticloadbalancing:{region}:{ACCOUNT}:"
    if operation in ELB_CREATES:
        new = base + ELB_CREATES[operation].format(**params)
        out = [auth(action, new, _context(request))]
    elif operation == "CreateListener":  # authorized on the load balancer; the listener is new
        parent = params["LoadBalancerArn"]
        new = parent.replace(":loadbalancer/", ":listener/") + "/new"
        out = [auth(action, parent, _context(request, tags_of(parent)))]
    elif operation == "CreateRule":  # authorized on the listener; the rule is new
        parent = params["ListenerArn"]
        new = parent.replace(":listener/", ":listener-rule/") + "/new"
        out = [auth(action, parent, _context(request, tags_of(parent)))]
    else:
        arns = list(params.get("ResourceArns", [])) + [r["RuleArn"] for r in params.get("RulePriorities", [])]
        arns += [params[p] for p in ELB_ARN_PARAMS if p in params]
        if not arns:
            raise ValueError(f"no resource found in elbv2 {operation}")
        ctx_extra = {"aws:tagkeys": list(params["TagKeys"])} if "TagKeys" in params else {}
        return [auth(action, arn, {**_context(request, tags_of(arn)), **ctx_extra}) for arn in arns]
    if request:
        out.append(
            auth(
                "elasticloadbalancing:AddTags",
                new,
                _context(request, elasticloadbalancing__CreateAction=operation),
            )
        )
    return out


def _ec2(
    operation: str,
    params: dict[str, Any],
    tags_of: TagsOf,
    region: str,
    auth: Callable[[str, str, Context], Authorization],
) -> list[Authorization]:
    action = f"ec2:{operation}"
    base = f"arn:aws:ec2:{region}:{ACCOUNT}:"
    if operation == "CreateSecurityGroup":
        request = {
            k: v for spec in params.get("TagSpecifications", []) for k, v in _tags(spec["Tags"]).items()
        }
        new, vpc = base + "security-group/new", base + f"vpc/{params['VpcId']}"
        out = [auth(action, new, _context(request)), auth(action, vpc, _context(request, tags_of(vpc)))]
        if request:
            out.append(auth("ec2:CreateTags", new, _context(request, ec2__CreateAction=operation)))
        return out
    if operation in ("CreateTags", "DeleteTags"):
        request = _tags(params.get("Tags")) if operation == "CreateTags" else {}
        keys = (
            {"aws:tagkeys": [t["Key"] for t in params.get("Tags", [])]} if operation == "DeleteTags" else {}
        )
        arns = [base + f"security-group/{r}" for r in params["Resources"]]
        return [auth(action, arn, {**_context(request, tags_of(arn)), **keys}) for arn in arns]
    if "GroupId" in params:
        arn = base + f"security-group/{params['GroupId']}"
        return [auth(action, arn, _context(resource_tags=tags_of(arn)))]
    raise ValueError(f"no authorization model for ec2 {operation}")


def _acm(
    operation: str,
    params: dict[str, Any],
    tags_of: TagsOf,
    region: str,
    auth: Callable[[str, str, Context], Authorization],
) -> list[Authorization]:
    action = f"acm:{operation}"
    request = _tags(params.get("Tags"))
    if (
        operation == "ImportCertificate" and "CertificateArn" not in params
    ) or operation == "RequestCertificate":
        new = f"arn:aws:acm:{region}:{ACCOUNT}:certificate/new"
        out = [auth(action, new, _context(request))]
        if request:  # ACM authorizes acm:AddTagsToCertificate too; it has no create-action key
            out.append(auth("acm:AddTagsToCertificate", new, _context(request)))
        return out
    arn = params["CertificateArn"]
    ctx = _context(request, tags_of(arn))
    if operation == "RemoveTagsFromCertificate":
        ctx["aws:tagkeys"] = [t["Key"] for t in params.get("Tags", [])]
    return [auth(action, arn, ctx)]
