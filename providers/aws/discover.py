"""Find what exists of a stack in AWS, by our ownership tags only (never by name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .clients import AwsClients, error_code
from .naming import CLUSTER_TAG, STACK_TAG, tag_dict

LB_TYPE = "elasticloadbalancing:loadbalancer"
TG_TYPE = "elasticloadbalancing:targetgroup"
ACM_TYPE = "acm"


@dataclass
class CurrentStack:
    """Our resources of one stack as AWS describes them; each dict carries its tags under "Tags"."""

    load_balancers: list[dict[str, Any]] = field(default_factory=list)
    target_groups: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)  # {"CertificateArn", "Tags"}

    @property
    def empty(self) -> bool:
        return not (self.load_balancers or self.target_groups or self.security_groups or self.certificates)


def tagged_resources(clients: AwsClients, filters: list[dict[str, Any]], types: list[str]) -> dict[str, dict[str, str]]:
    """ARN → tags of every resource of `types` carrying the tag filters (Resource Groups Tagging API)."""
    found: dict[str, dict[str, str]] = {}
    for item in clients.pages("resourcegroupstaggingapi", "GetResources", "ResourceTagMappingList",
                              token_in="PaginationToken", token_out="PaginationToken",
                              TagFilters=filters, ResourceTypeFilters=types):  # fmt: skip
        found[item["ResourceARN"]] = tag_dict(item.get("Tags"))
    return found


def _describe_each(clients: AwsClients, operation: str, arg: str, result_key: str, arns: list[str],
                   not_found: str) -> list[dict[str, Any]]:  # fmt: skip
    """Describe by ARN in chunks of 20; an ARN the tagging index still lists after deletion is skipped."""
    out: list[dict[str, Any]] = []
    for start in range(0, len(arns), 20):
        chunk = arns[start : start + 20]
        try:
            out.extend(clients.call("elbv2", operation, **{arg: chunk})[result_key])
        except Exception as exc:
            if error_code(exc) != not_found:
                raise
            for arn in chunk:
                try:
                    out.extend(clients.call("elbv2", operation, **{arg: [arn]})[result_key])
                except Exception as inner:
                    if error_code(inner) != not_found:
                        raise
    return out


def discover(clients: AwsClients, cluster: str, stack: str) -> CurrentStack:
    """Every resource tagged as belonging to `stack` of `cluster`."""
    filters = [{"Key": CLUSTER_TAG, "Values": [cluster]}, {"Key": STACK_TAG, "Values": [stack]}]
    tagged = tagged_resources(clients, filters, [LB_TYPE, TG_TYPE, ACM_TYPE])
    current = CurrentStack()
    lb_arns = sorted(a for a in tagged if ":loadbalancer/" in a)
    tg_arns = sorted(a for a in tagged if ":targetgroup/" in a)
    for lb in _describe_each(clients, "DescribeLoadBalancers", "LoadBalancerArns", "LoadBalancers", lb_arns,
                             "LoadBalancerNotFound"):  # fmt: skip
        lb["Tags"] = tagged[lb["LoadBalancerArn"]]
        current.load_balancers.append(lb)
    for tg in _describe_each(clients, "DescribeTargetGroups", "TargetGroupArns", "TargetGroups", tg_arns,
                             "TargetGroupNotFound"):  # fmt: skip
        tg["Tags"] = tagged[tg["TargetGroupArn"]]
        current.target_groups.append(tg)
    current.certificates = [{"CertificateArn": arn, "Tags": tags} for arn, tags in sorted(tagged.items())
                            if ":certificate/" in arn]  # fmt: skip
    for sg in clients.pages("ec2", "DescribeSecurityGroups", "SecurityGroups", token_in="NextToken",
                            token_out="NextToken", Filters=[{"Name": "tag:" + f["Key"], "Values": f["Values"]}
                                                            for f in filters]):  # fmt: skip
        sg["Tags"] = tag_dict(sg.get("Tags"))
        current.security_groups.append(sg)
    return current


def list_stacks(clients: AwsClients, cluster: str) -> list[str]:
    """Stack keys of every stack of `cluster` that still has a resource in AWS."""
    filters = [{"Key": CLUSTER_TAG, "Values": [cluster]}]
    stacks = {tags.get(STACK_TAG, "") for tags in tagged_resources(clients, filters, [LB_TYPE, TG_TYPE, ACM_TYPE]).values()}
    for sg in clients.pages("ec2", "DescribeSecurityGroups", "SecurityGroups", token_in="NextToken",
                            token_out="NextToken", Filters=[{"Name": "tag:" + CLUSTER_TAG, "Values": [cluster]}]):  # fmt: skip
        stacks.add(tag_dict(sg.get("Tags")).get(STACK_TAG, ""))
    return sorted(s for s in stacks if s)
