"""The shared backend security group and the node/pod security group rules from it, found in AWS (reads only)
and compared as plain data (pure helpers the plan uses).

As aws-load-balancer-controller does it: one backend security group per cluster (found by its tags) on every
managed ALB; each target's ENI — a node's primary ENI in instance mode, the ENI holding the pod IP in ip
mode — names the security group to open: its only one, else the one tagged `kubernetes.io/cluster/<name>`.
Per node security group one TCP rule from the backend group covers the lowest to the highest port any of our
target groups needs there (target ports and health-check ports), with the anchor's rule description; NLB target
groups of UDP (QUIC) traffic get one UDP rule likewise, their health checks staying on TCP. A UDP range is
keyed by the group's ID with `/udp` appended (the same key in the tags that record it).

The rules are shared by every stack of the cluster, so each target group records in its tags the range it
needs per node security group (`lbctl.io/node-sg/<id>`); a converge reads the other stacks' records (one
GetResources) and sets each rule to what all of them need together. A rule is ours only when its source is
our backend group and it carries our description: nothing else on a node security group is touched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.provider import ProviderError

from . import naming
from .clients import AwsClients
from .naming import CLUSTER_TAG, STACK_TAG, tag_dict

LB_TYPE = "elasticloadbalancing:loadbalancer"
TG_TYPE = "elasticloadbalancing:targetgroup"
FILTER_VALUES = 199  # DescribeNetworkInterfaces takes 200 filter values; one is the VPC

Rule = tuple[str, int, int]  # (node security group key: its ID, `/udp` appended for UDP; from port, to port)
UDP_KEY = "/udp"


def rule_key(group: str, protocol: str) -> str:
    """The key of a node security group's rule of `protocol` (tcp or udp)."""
    return group + UDP_KEY if protocol == "udp" else group


def split_key(key: str) -> tuple[str, str]:
    """(security group ID, protocol) of a rule key."""
    return (key.removesuffix(UDP_KEY), "udp") if key.endswith(UDP_KEY) else (key, "tcp")


def traffic_protocols(target_group_protocol: str) -> tuple[str, ...]:
    """The IP protocols a target group's traffic reaches its targets on (as LBC opens them for an NLB)."""
    if target_group_protocol in ("UDP", "QUIC"):
        return ("udp",)
    if target_group_protocol in ("TCP_UDP", "TCP_QUIC"):
        return ("tcp", "udp")
    return ("tcp",)


@dataclass
class BackendView:
    """What exists of the backend security group and its rules, and what the other stacks need."""

    group: dict[str, Any] | None = None  # the backend security group (None: there is none)
    endpoint_groups: dict[str, str] = field(default_factory=dict)  # target ID → node/pod SG to open
    unresolved: list[str] = field(default_factory=list)  # target IDs whose ENI was not found
    rules: set[Rule] = field(default_factory=set)  # our rules as they are
    others: dict[str, tuple[int, int]] = field(default_factory=dict)  # SG → range the other stacks need
    other_load_balancers: int = 0  # load balancers of the cluster's other stacks
    partial: bool = False  # only the stack's own groups were read: it changes no rule
    # instance ID → its network interfaces as DescribeInstances gave them (kept for later lookups)
    instances: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    @property
    def group_id(self) -> str | None:
        return str(self.group["GroupId"]) if self.group else None


def discover_backend(
    clients: AwsClients,
    cluster: str,
    stack: str,
    vpc_id: str | None,
    targets: dict[str, set[tuple[str, int]]],
    instance_targets: set[str],
    target_instances: dict[str, str],
    instances: dict[str, list[dict[str, Any]]] | None = None,
    health_check_ports: dict[str, int] | None = None,
    recorded: dict[str, dict[str, tuple[int, int]]] | None = None,
) -> BackendView:
    """The backend group (by its tags), the security group of every target's ENI (`instance_targets` are
    instance IDs, the other targets pod IPs; `instances`: interfaces of instances described lately), our
    rules, and the other stacks' needs and load balancers. When what the stack needs is what its target
    groups `recorded` and one rule of ours on each of its security groups covers it, only those groups are
    read (`partial`): the stack changes no rule, so what the others need does not matter."""
    view = BackendView(instances=dict(instances or {}))
    filters = [
        {"Name": "tag:" + naming.LBC_CLUSTER_TAG, "Values": [cluster]},
        {"Name": "tag:" + naming.LBC_RESOURCE_TAG, "Values": [naming.ROLE_BACKEND_SG]},
    ]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    groups = clients.ec2_pages(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=filters,
    )
    view.group = sorted(groups, key=lambda g: g["GroupId"])[0] if groups else None
    ids = sorted({target for wanted in targets.values() for target, _ in wanted})
    if ids:
        view.endpoint_groups, view.unresolved = resolve_endpoints(
            clients, cluster, ids, instance_targets, target_instances, vpc_id, view.instances
        )
    if view.group is None:
        return view
    backend_id = view.group_id or ""
    needs = stack_needs(targets, health_check_ports or {}, view.endpoint_groups)
    if recorded is not None and needs == recorded and not view.unresolved:
        wanted = wanted_rules(needs, {})
        groups = sorted({split_key(key)[0] for key, _, _ in wanted})
        rules = _rules_of(clients, backend_id, [{"Name": "group-id", "Values": groups}]) if groups else set()
        if _covered(rules, wanted):
            view.rules, view.partial = rules, True
            return view
    view.rules = our_rules(clients, backend_id)
    others(clients, cluster, stack, view)
    return view


def _covered(rules: set[Rule], wanted: set[Rule]) -> bool:
    """Each wanted range lies in the one rule of ours on its security group."""
    for sg, low, high in wanted:
        there = [(a, b) for group, a, b in rules if group == sg]
        if len(there) != 1 or not (there[0][0] <= low and high <= there[0][1]):
            return False
    return True


def instance_targets(
    target_groups: Mapping[str, Any], targets: Mapping[str, Iterable[tuple[str, Any]]]
) -> set[str]:
    """The targets (of `targets`, by target-group key) that are registered by instance ID: node ports."""
    return {
        target
        for key, pairs in targets.items()
        if target_groups[key].target_type == "instance"
        for target, _ in pairs
    }


def resolve_endpoints(
    clients: AwsClients,
    cluster: str,
    ids: list[str],
    instance_targets: set[str],
    target_instances: dict[str, str],
    vpc_id: str | None,
    described: dict[str, list[dict[str, Any]]],
) -> tuple[dict[str, str], list[str]]:
    """(target ID → the security group to open for it, the target IDs whose ENI was not found); `described`
    holds instances already described (their interfaces) and gains those described now."""
    enis = _target_enis(
        clients,
        [i for i in ids if i in instance_targets],
        [i for i in ids if i not in instance_targets],
        target_instances,
        vpc_id,
        described,
    )
    return _endpoint_groups(clients, cluster, enis), [i for i in ids if i not in enis]


def _target_enis(
    clients: AwsClients,
    instances: list[str],
    ips: list[str],
    target_instances: dict[str, str],
    vpc_id: str | None,
    described: dict[str, list[dict[str, Any]]],
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Target ID → (ENI ID, its security groups): an instance's primary ENI; the ENI holding a pod IP, else
    the ENI of the pod's node whose addresses or prefixes hold it, else that node's primary ENI (the pod
    shares the node's network, as with most CNIs)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for start in range(0, len(ips), FILTER_VALUES):
        chunk = ips[start : start + FILTER_VALUES]
        filters = [{"Name": "addresses.private-ip-address", "Values": chunk}]
        if vpc_id:
            filters.append({"Name": "vpc-id", "Values": [vpc_id]})
        for eni in clients.ec2_pages(
            "DescribeNetworkInterfaces",
            "NetworkInterfaces",
            Filters=filters,
        ):
            groups = tuple(sorted(g["GroupId"] for g in eni.get("Groups", [])))
            addresses = {a.get("PrivateIpAddress") for a in eni.get("PrivateIpAddresses", [])}
            addresses.add(eni.get("PrivateIpAddress"))
            for ip in chunk:
                if ip in addresses:
                    out[ip] = (eni["NetworkInterfaceId"], groups)
    nodes = sorted({target_instances[ip] for ip in ips if ip not in out and ip in target_instances})
    wanted = sorted((set(instances) | set(nodes)) - set(described))
    if wanted:
        for reservation in clients.ec2_pages(
            "DescribeInstances",
            "Reservations",
            Filters=[{"Name": "instance-id", "Values": wanted}],
        ):
            for instance in reservation.get("Instances", []):
                described[instance["InstanceId"]] = instance.get("NetworkInterfaces", [])
    for instance_id in instances:
        primary = _primary(described.get(instance_id, []))
        if primary is not None:
            out[instance_id] = primary
    for ip in ips:
        if ip in out or ip not in target_instances:
            continue
        interfaces = described.get(target_instances[ip], [])
        holding = next((e for e in interfaces if _holds(e, ip)), None)
        found = _eni(holding) if holding is not None else _primary(interfaces)
        if found is not None:
            out[ip] = found
    return out


def _eni(eni: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return eni["NetworkInterfaceId"], tuple(sorted(g["GroupId"] for g in eni.get("Groups", [])))


def _primary(interfaces: list[dict[str, Any]]) -> tuple[str, tuple[str, ...]] | None:
    primary = next((e for e in interfaces if (e.get("Attachment") or {}).get("DeviceIndex") == 0), None)
    return _eni(primary) if primary is not None else None


def _holds(eni: dict[str, Any], ip: str) -> bool:
    if any(a.get("PrivateIpAddress") == ip for a in eni.get("PrivateIpAddresses", [])):
        return True
    address = ipaddress.ip_address(ip)
    return any(
        address in ipaddress.ip_network(p["Ipv4Prefix"], strict=False)
        for p in eni.get("Ipv4Prefixes", [])
        if p.get("Ipv4Prefix") and address.version == 4
    )


def _endpoint_groups(
    clients: AwsClients, cluster: str, enis: dict[str, tuple[str, tuple[str, ...]]]
) -> dict[str, str]:
    """Target ID → the security group to open on its ENI: the only one, else the one tagged
    `kubernetes.io/cluster/<cluster>` (exactly one, or an error naming the ENI)."""
    several = sorted({g for _, groups in enis.values() if len(groups) > 1 for g in groups})
    tagged: set[str] = set()
    if several:
        key = naming.NODE_CLUSTER_TAG + cluster
        for group in clients.ec2_pages(
            "DescribeSecurityGroups",
            "SecurityGroups",
            Filters=[{"Name": "group-id", "Values": several}],
        ):
            if key in tag_dict(group.get("Tags")):
                tagged.add(group["GroupId"])
    out: dict[str, str] = {}
    for target, (eni, groups) in enis.items():
        if not groups:
            continue
        if len(groups) == 1:
            out[target] = groups[0]
            continue
        chosen = [g for g in groups if g in tagged]
        if len(chosen) != 1:
            raise ProviderError(
                f"expected exactly one security group tagged {naming.NODE_CLUSTER_TAG}{cluster} on ENI "
                f"{eni} (of target {target}), found {chosen or 'none'} among {list(groups)}: tag the one the "
                "load balancer should reach, or check --cluster-name",
                user_fixable=True,
                field="cloud",
            )
        out[target] = chosen[0]
    return out


def our_rules(clients: AwsClients, backend_id: str) -> set[Rule]:
    """Every rule whose source is our backend group and whose description is ours, on any security group."""
    return _rules_of(clients, backend_id, [{"Name": "ip-permission.group-id", "Values": [backend_id]}])


def _rules_of(clients: AwsClients, backend_id: str, filters: list[dict[str, Any]]) -> set[Rule]:
    """Our rules on the security groups the filters select."""
    rules: set[Rule] = set()
    for group in clients.ec2_pages(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=filters,
    ):
        for perm in group.get("IpPermissions", []):
            protocol = perm.get("IpProtocol")
            if protocol not in ("tcp", "udp"):
                continue
            for pair in perm.get("UserIdGroupPairs", []):
                if (
                    pair.get("GroupId") == backend_id
                    and pair.get("Description") == naming.BACKEND_RULE_DESCRIPTION
                ):
                    key = rule_key(group["GroupId"], protocol)
                    rules.add((key, int(perm["FromPort"]), int(perm["ToPort"])))
    return rules


def others(clients: AwsClients, cluster: str, stack: str, view: BackendView) -> None:
    """The ranges the cluster's other stacks record on their target groups, and their load balancers."""
    for item in clients.pages(
        "resourcegroupstaggingapi",
        "GetResources",
        "ResourceTagMappingList",
        token_in="PaginationToken",
        token_out="PaginationToken",
        TagFilters=[{"Key": CLUSTER_TAG, "Values": [cluster]}],
        ResourceTypeFilters=[LB_TYPE, TG_TYPE],
    ):
        tags = tag_dict(item.get("Tags"))
        if tags.get(STACK_TAG) == stack:
            continue
        if ":loadbalancer/" in item["ResourceARN"]:
            view.other_load_balancers += 1
            continue
        view.others = merge_ranges(view.others, naming.parse_node_sg_tags(tags))


# ----------------------------------------------------------------------------------- pure


def merge_ranges(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    out = dict(a)
    for sg, (low, high) in b.items():
        have = out.get(sg)
        out[sg] = (min(low, have[0]), max(high, have[1])) if have else (low, high)
    return out


def stack_needs(
    targets: dict[str, set[tuple[str, int]]],
    health_check_ports: dict[str, int],
    endpoint_groups: dict[str, str],
    control_ports: dict[str, int] | None = None,
    protocols: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, dict[str, tuple[int, int]]]:
    """Backend key → node/pod SG rule key → the port range its targets there need: their ports on the target
    group's traffic `protocols` (default TCP), its health-check port (on TCP; the traffic port when that is
    the health check's) and its target control port (the anchor's ports, one range per group and protocol)."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for key, wanted in targets.items():
        ports: dict[str, set[int]] = {}
        traffic = (protocols or {}).get(key, ("tcp",))
        for target, port in wanted:
            sg = endpoint_groups.get(target)
            if sg is not None:
                for protocol in traffic:
                    ports.setdefault(rule_key(sg, protocol), set()).add(port)
                checks = ports.setdefault(sg, set())  # TCP
                if key in health_check_ports:
                    checks.add(health_check_ports[key])
                elif "tcp" not in traffic:
                    checks.add(port)  # a traffic-port health check of UDP traffic runs on TCP
                if key in (control_ports or {}):
                    checks.add((control_ports or {})[key])
        if ports:
            out[key] = {sg: (min(p), max(p)) for sg, p in ports.items()}
    return out


def wanted_rules(own: dict[str, dict[str, tuple[int, int]]], others: dict[str, tuple[int, int]]) -> set[Rule]:
    """One rule per node/pod SG spanning what this stack and the others need there."""
    merged = dict(others)
    for ranges in own.values():
        merged = merge_ranges(merged, ranges)
    return {(sg, low, high) for sg, (low, high) in merged.items()}


def rule_permission(rule: Rule, backend: Any) -> dict[str, Any]:
    """The IpPermission of one rule from the backend group (an ID, or the Ref of the step creating it)."""
    key, low, high = rule
    return {
        "IpProtocol": split_key(key)[1],
        "FromPort": low,
        "ToPort": high,
        "UserIdGroupPairs": [{"GroupId": backend, "Description": naming.BACKEND_RULE_DESCRIPTION}],
    }
