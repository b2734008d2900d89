"""`networking` of TargetGroupBindings: inbound rules on the security groups of the binding's targets, as
aws-load-balancer-controller opens them (`networking.ingress[]`: each peer — a security group or a CIDR —
may reach each port, TCP or UDP; no port means every port).

- **Which security group.** A target's ENI (an instance's primary ENI; the ENI holding a pod IP): its only
  security group, else the one tagged `kubernetes.io/cluster/<cluster>` (exactly one, or an error naming
  the ENI), as the anchor resolves it — the same resolution as the backend security group rules'.
- **Which rules are ours.** Each rule carries the description `lbctl.io/targetGroupBinding=<cluster>`;
  nothing without it is ever revoked. Rules are one port each (the anchor's
  `--disable-restricted-sg-rules` form); a rule another binding of the cluster also wants stays.
- **Shared between bindings.** AWS keeps one rule per (group, protocol, ports, source) whatever its
  description, so the cluster's bindings share their rules: the provider remembers what each binding
  wants on which group (as the anchor's networking manager does) and revokes a rule only when no binding
  wants it — and only once it has seen every binding with `networking` since it started (until then it
  only adds). A group is looked at when a binding starts or stops wanting something on it; a binding
  deleted after a restart is cleaned from the groups of the targets it deregisters, had recorded or would
  select now.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.binding_spec import BindingSpec
from lbctl.provider import Step

from .backend_sg import resolve_endpoints
from .clients import AwsClients, error_code


def rule_description(cluster: str) -> str:
    return f"lbctl.io/targetGroupBinding={cluster}"


@dataclass(frozen=True, order=True)
class Permission:
    """One inbound rule: protocol, port range and its source (a security group ID or a CIDR)."""

    protocol: str  # tcp | udp
    from_port: int
    to_port: int
    source: str  # sg-… or a CIDR

    def body(self, description: str) -> dict[str, Any]:
        permission: dict[str, Any] = {
            "IpProtocol": self.protocol,
            "FromPort": self.from_port,
            "ToPort": self.to_port,
        }
        if self.source.startswith("sg-"):
            permission["UserIdGroupPairs"] = [{"GroupId": self.source, "Description": description}]
        elif ":" in self.source:
            permission["Ipv6Ranges"] = [{"CidrIpv6": self.source, "Description": description}]
        else:
            permission["IpRanges"] = [{"CidrIp": self.source, "Description": description}]
        return permission


def permissions(spec: BindingSpec) -> set[Permission]:
    """The rules `spec.networking` asks for on each of its targets' security groups."""
    out = set()
    for rule in spec.networking:
        for peer in rule.peers:
            source = peer.security_group or peer.cidr or ""
            for port in rule.ports:
                low, high = (0, 65535) if port.port is None else (port.port, port.port)
                out.add(Permission(port.protocol.lower(), low, high, source))
    return out


@dataclass
class RuleMemory:
    """What each binding wants on which security group, since the provider started (shared, locked)."""

    wanted: dict[str, dict[str, set[Permission]]] = field(default_factory=dict)  # binding → group → rules
    lock: threading.Lock = field(default_factory=threading.Lock)


def security_groups(
    clients: AwsClients, cluster: str, target_ids: list[str], instance_mode: bool, vpc_id: str | None
) -> tuple[set[str], list[str]]:
    """(the security groups to open for the targets, the target IDs whose ENI was not found): each target's
    ENI resolved as for the backend security group rules (providers/aws/backend_sg.py)."""
    if not target_ids:
        return set(), []
    instances = set(target_ids) if instance_mode else set()
    found, unresolved = resolve_endpoints(clients, cluster, sorted(target_ids), instances, {}, vpc_id, {})
    return set(found.values()), unresolved


def current_rules(clients: AwsClients, groups: set[str], description: str) -> dict[str, set[Permission]]:
    """Our rules (by description) on each of `groups`."""
    out: dict[str, set[Permission]] = {g: set() for g in groups}
    if not groups:
        return out
    for group in clients.ec2_pages(
        "DescribeSecurityGroups",
        "SecurityGroups",
        GroupIds=sorted(groups),
    ):
        found = out.setdefault(group["GroupId"], set())
        for permission in group.get("IpPermissions", []):
            protocol = str(permission.get("IpProtocol"))
            low, high = int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))
            for pair in permission.get("UserIdGroupPairs", []):
                if pair.get("Description") == description:
                    found.add(Permission(protocol, low, high, pair["GroupId"]))
            for block in permission.get("IpRanges", []):
                if block.get("Description") == description:
                    found.add(Permission(protocol, low, high, block["CidrIp"]))
            for block in permission.get("Ipv6Ranges", []):
                if block.get("Description") == description:
                    found.add(Permission(protocol, low, high, block["CidrIpv6"]))
    return out


def rule_steps(
    memory: RuleMemory,
    spec: BindingSpec,
    wanted_groups: set[str],
    stale_groups: set[str],
    current: dict[str, set[Permission]],
    description: str,
) -> tuple[list[Step], dict[str, set[Permission]]]:
    """The Authorize/Revoke steps on the groups this binding wants rules on now (`wanted_groups`) or did
    (`stale_groups`), and the binding's new entry of the memory (applied by the caller once they ran).
    Call with `memory.lock` held."""
    mine = {group: permissions(spec) for group in wanted_groups} if not spec.deleting else {}
    others = {
        key: entry
        for key, entry in memory.wanted.items()
        if key != spec.key and key in spec.networking_bindings
    }
    seen_all = set(spec.networking_bindings) - {spec.key} <= set(others)
    steps: list[Step] = []
    for group in sorted(wanted_groups | stale_groups):
        wanted = set(mine.get(group, set())).union(*(entry.get(group, set()) for entry in others.values()))
        have = current.get(group, set())
        for permission in sorted(wanted - have):
            steps.append(_step("AuthorizeSecurityGroupIngress", group, permission, description))
        if seen_all:
            for permission in sorted(have - wanted):
                steps.append(_step("RevokeSecurityGroupIngress", group, permission, description))
    return steps, mine


def _step(operation: str, group: str, permission: Permission, description: str) -> Step:
    verb = "allow" if operation.startswith("Authorize") else "revoke"
    return Step(
        f"SecurityGroup {group}: {operation} {permission.protocol} {permission.from_port}-{permission.to_port} "
        f"from {permission.source}",
        "update",
        "BindingSecurityGroup",
        group,
        operation,
        {"GroupId": group, "IpPermissions": [permission.body(description)]},
        field="spec.networking",
        detail=f"{verb} {permission.protocol} {permission.from_port}-{permission.to_port} from {permission.source}",
    )


# What a rule step meeting a rule already added (or already gone) by a concurrent converge means: done.
ALREADY = {
    "AuthorizeSecurityGroupIngress": "InvalidPermission.Duplicate",
    "RevokeSecurityGroupIngress": "InvalidPermission.NotFound",
}


def run_steps(clients: AwsClients, spec: BindingSpec, steps: list[Step]) -> list[Step]:
    """Send each rule step through the security group executor; the ones that took effect."""
    from lbctl.model.builder import empty_spec

    from .apply import Applier

    done = []
    for step in steps:
        applier = Applier(clients, empty_spec("aws", spec.key))
        try:
            applier.run([step])
        except Exception as exc:
            if error_code(exc) == ALREADY.get(step.operation):
                continue
            raise
        done.extend(applier.done)
    return done
