"""Subnets and security groups named by the spec (IDs or Name tags) or discovered by role tags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lbctl.model.spec import LoadBalancerSpec

from .clients import AwsClients
from .translate import stack_error

SUBNETS = "frontend.subnets"  # the spec attributes whose recorded field errors name
SECURITY_GROUPS = "frontend.security_groups"


def resolve_subnets(
    clients: AwsClients, spec: LoadBalancerSpec, cluster: str, vpc_id: str | None
) -> list[dict[str, Any]]:
    """The subnets of the load balancer: named ones, else one per AZ among the tagged ones (≥ 2 AZs)."""
    return find_subnets(
        clients,
        list(spec.frontend.subnets),
        spec.frontend.scheme == "internet-facing",
        cluster,
        vpc_id,
        lambda message: stack_error(spec, spec.field_of(SUBNETS), message),
        by_tags=(lambda: _tagged_subnets(clients, spec, cluster, vpc_id))
        if spec.frontend.subnet_tags
        else None,
    )


def find_subnets(
    clients: AwsClients,
    refs: list[str],
    internet_facing: bool,
    cluster: str,
    vpc_id: str | None,
    fail: Callable[[str], Exception],
    by_tags: Callable[[], list[dict[str, Any]]] | None = None,
    min_zones: int = 2,
    what: str = "an ALB",
) -> list[dict[str, Any]]:
    """Named subnets (IDs or Name tags), else those `by_tags` picks, else one per AZ among those tagged for
    the scheme's role; at least `min_zones` zones, one VPC. `fail(message)` makes the error raised."""
    if refs:
        ids = [r for r in refs if r.startswith("subnet-")]
        names = [r for r in refs if not r.startswith("subnet-")]
        found: list[dict[str, Any]] = []
        if ids:
            found += clients.ec2_pages(
                "DescribeSubnets",
                "Subnets",
                Filters=[{"Name": "subnet-id", "Values": ids}],
            )
        if names:
            filters = [{"Name": "tag:Name", "Values": names}]
            if vpc_id:
                filters.append({"Name": "vpc-id", "Values": [vpc_id]})
            found += clients.ec2_pages(
                "DescribeSubnets",
                "Subnets",
                Filters=filters,
            )
        known = {s["SubnetId"] for s in found} | {_name(s) for s in found}
        missing = [r for r in refs if r not in known]
        if missing:
            raise fail(
                f"subnets not found: {', '.join(missing)} (give subnet IDs or values of their Name tag)"
            )
        subnets = found
    elif by_tags is not None:
        subnets = by_tags()
    else:
        role = "kubernetes.io/role/elb" if internet_facing else "kubernetes.io/role/internal-elb"
        filters = [{"Name": "tag-key", "Values": [role]}]
        if vpc_id:
            filters.append({"Name": "vpc-id", "Values": [vpc_id]})
        candidates = clients.ec2_pages("DescribeSubnets", "Subnets", Filters=filters)
        ours = f"kubernetes.io/cluster/{cluster}"
        subnets = []
        for subnet in sorted(candidates, key=lambda s: s["SubnetId"]):
            tags = {t["Key"]: t.get("Value", "") for t in subnet.get("Tags", [])}
            if tags.get(role) not in ("", "1"):
                continue
            cluster_tags = [k for k in tags if k.startswith("kubernetes.io/cluster/")]
            if cluster_tags and ours not in cluster_tags:
                continue  # tagged for another cluster
            subnets.append(subnet)
        if not subnets:
            raise fail(
                f"no subnet tagged {role} (and {ours} or no cluster tag) was "
                "found; tag subnets in two or more AZs or set the subnets annotation",
            )
    by_zone: dict[str, dict[str, Any]] = {}
    for subnet in sorted(subnets, key=lambda s: s["SubnetId"]):
        by_zone.setdefault(subnet["AvailabilityZone"], subnet)
    if len(by_zone) < min_zones:
        zones = "two Availability Zones" if min_zones == 2 else f"{min_zones} Availability Zone(s)"
        raise fail(f"{what} needs subnets in at least {zones}; found {', '.join(sorted(by_zone)) or 'none'}")
    if refs and len(by_zone) != len(subnets):
        raise fail("give at most one subnet per Availability Zone")
    vpcs = {s["VpcId"] for s in by_zone.values()}
    if len(vpcs) > 1:
        raise fail(f"subnets span several VPCs ({', '.join(sorted(vpcs))})")
    return sorted(by_zone.values(), key=lambda s: s["SubnetId"])


def _tagged_subnets(
    clients: AwsClients, spec: LoadBalancerSpec, cluster: str, vpc_id: str | None
) -> list[dict[str, Any]]:
    """The subnets an IngressClassParams tag selector picks (each key present with one of its values): not
    those tagged for another cluster, and in each AZ one with our cluster tag before one without, then the
    lowest ID (as aws-load-balancer-controller chooses)."""
    filters = [
        {"Name": f"tag:{key}", "Values": list(values)} for key, values in spec.frontend.subnet_tags.items()
    ]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    found = clients.ec2_pages("DescribeSubnets", "Subnets", Filters=filters)
    ours = f"kubernetes.io/cluster/{cluster}"
    chosen: dict[str, tuple[bool, str, dict[str, Any]]] = {}
    for subnet in found:
        keys = [t["Key"] for t in subnet.get("Tags", []) if t["Key"].startswith("kubernetes.io/cluster/")]
        if keys and ours not in keys:
            continue  # tagged for another cluster
        rank = (ours not in keys, subnet["SubnetId"], subnet)
        zone = subnet["AvailabilityZone"]
        if zone not in chosen or rank[:2] < chosen[zone][:2]:
            chosen[zone] = rank
    if not chosen:
        raise stack_error(
            spec,
            spec.field_of(SUBNETS),
            f"no subnet of the VPC has the tags it selects ({_tag_filter(spec.frontend.subnet_tags)})",
        )
    return [entry[2] for entry in chosen.values()]


def _tag_filter(tags: dict[str, list[str]]) -> str:
    return "; ".join(f"{key} in {', '.join(values)}" for key, values in sorted(tags.items()))


def _name(subnet: dict[str, Any]) -> str:
    return next((t["Value"] for t in subnet.get("Tags", []) if t["Key"] == "Name"), "")


def resolve_security_groups(
    clients: AwsClients,
    spec: LoadBalancerSpec,
    vpc_id: str,
    refs: list[str] | None = None,
    field: str | None = None,
) -> list[str]:
    """IDs of the security groups named in the spec (IDs, Name tags or group names): the ALB's, or `refs`
    set by the spec's `field`."""
    if refs is None:
        refs, field = spec.frontend.security_groups, spec.field_of(SECURITY_GROUPS)
    where = field or spec.field_of(SECURITY_GROUPS)
    return find_security_groups(
        clients, list(refs), vpc_id, lambda message: stack_error(spec, where, message)
    )


def find_security_groups(
    clients: AwsClients, refs: list[str], vpc_id: str, fail: Callable[[str], Exception]
) -> list[str]:
    """IDs of the security groups named by ID, Name tag or group name; `fail(message)` makes the error raised
    for one not found."""
    ids = [r for r in refs if r.startswith("sg-")]
    names = [r for r in refs if not r.startswith("sg-")]
    resolved = list(ids)
    if names:
        vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        by_tag = clients.ec2_pages(
            "DescribeSecurityGroups",
            "SecurityGroups",
            Filters=[{"Name": "tag:Name", "Values": names}, *vpc],
        )
        by_name = clients.ec2_pages(
            "DescribeSecurityGroups",
            "SecurityGroups",
            Filters=[{"Name": "group-name", "Values": names}, *vpc],
        )
        for name in names:
            match = [
                g["GroupId"]
                for g in by_tag
                if any(t["Key"] == "Name" and t["Value"] == name for t in g.get("Tags", []))
            ]
            match = match or [g["GroupId"] for g in by_name if g["GroupName"] == name]
            if not match:
                raise fail(f"security group {name!r} not found in {vpc_id}")
            resolved.extend(sorted(match))
    if ids:
        found = {
            g["GroupId"]
            for g in clients.ec2_pages(
                "DescribeSecurityGroups",
                "SecurityGroups",
                Filters=[{"Name": "group-id", "Values": ids}],
            )
        }
        missing = [i for i in ids if i not in found]
        if missing:
            raise fail(f"security groups not found: {', '.join(missing)}")
    return sorted(set(resolved))
