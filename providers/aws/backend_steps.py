"""The security group steps the ALB and the NLB plans share (pure): the managed frontend security group and its
ingress rules, and the cluster's shared backend security group with the node/pod security group rules from it
(providers/aws/backend_sg.py finds what exists)."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Ref

from . import backend_sg, naming
from .backend_sg import BackendView
from .diff import ip_permissions, security_group_permissions
from .steps import StepRecorder
from .translate import DesiredBackendAccess, DesiredSecurityGroup

Arn = str | Ref  # an existing resource's ARN or ID, or the Ref of the step creating it
Needs = dict[str, dict[str, tuple[int, int]]]  # target group key → node/pod SG → port range


class BackendSteps(StepRecorder):
    # ----------------------------------------------------------------- frontend security group

    def managed_security_group(
        self, want: DesiredSecurityGroup, existing_groups: list[dict[str, Any]], vpc_id: str | None
    ) -> Arn:
        """Create the managed frontend group when missing and make its ingress rules the wanted ones (TCP and
        UDP single-port rules from CIDRs or prefix lists); its ID, or the Ref of its create step."""
        existing = next(
            (g for g in existing_groups if g["GroupName"] == want.name and g["VpcId"] == vpc_id), None
        )
        group_id: Arn
        have: dict[str, set[tuple[int, str]]] = {"tcp": set(), "udp": set()}
        if existing is None:
            created = self.step(
                "create",
                "SecurityGroup",
                want.name,
                "CreateSecurityGroup",
                {
                    "GroupName": want.name,
                    "Description": want.description,
                    "VpcId": vpc_id,
                    "TagSpecifications": [
                        {"ResourceType": "security-group", "Tags": naming.tag_list(want.tags)}
                    ],
                },
                f"ingress {len(want.ingress) + len(want.udp_ingress)} rules",
            )
            group_id = Ref(created.key, "GroupId")
        else:
            group_id = existing["GroupId"]
            have = {p: security_group_permissions(existing, p) for p in have}
        wanted = {"tcp": set(want.ingress), "udp": set(want.udp_ingress)}
        add = [perm for p in ("tcp", "udp") for perm in ip_permissions(wanted[p] - have[p], p)]
        remove = [perm for p in ("tcp", "udp") for perm in ip_permissions(have[p] - wanted[p], p)]
        shown = {p: (sorted(have[p] - wanted[p]), sorted(wanted[p] - have[p])) for p in ("tcp", "udp")}
        if add:
            self.step(
                "update",
                "SecurityGroup",
                want.name,
                "AuthorizeSecurityGroupIngress",
                {"GroupId": group_id, "IpPermissions": add},
                f"allow {_listed(shown, 1)}",
                {"IpPermissions": (None, _listed(shown, 1))},
            )
        if remove:
            self.step(
                "update",
                "SecurityGroup",
                want.name,
                "RevokeSecurityGroupIngress",
                {"GroupId": group_id, "IpPermissions": remove},
                f"revoke {_listed(shown, 0)}",
                {"IpPermissions": (_listed(shown, 0), None)},
            )
        return group_id

    def delete_security_groups(self, groups: list[dict[str, Any]], keep: Arn | None = None) -> None:
        """Delete our described frontend groups but `keep`."""
        for group in groups:
            if group["GroupId"] != keep:
                self.step(
                    "delete",
                    "SecurityGroup",
                    group["GroupName"],
                    "DeleteSecurityGroup",
                    {"GroupId": group["GroupId"]},
                )

    # ----------------------------------------------------------------- backend security group

    def backend_group(
        self,
        want: DesiredBackendAccess | None,
        view: BackendView | None,
        targets: dict[str, set[tuple[str, int]]],
        vpc_id: str | None,
    ) -> tuple[Arn | None, Needs]:
        """The shared backend group's ID (created when missing), and per target group the port range its
        targets need on each node/pod security group (none without a backend group)."""
        if want is None or view is None:
            return None, {}
        if view.unresolved:
            shown = ", ".join(view.unresolved[:5]) + (" …" if len(view.unresolved) > 5 else "")
            self.warnings.append(
                f"no ENI found for targets {shown}: their security groups are not opened to the load "
                "balancer's backend security group"
            )
        needs = backend_sg.stack_needs(
            targets, want.health_check_ports, view.endpoint_groups, want.control_ports, want.protocols
        )
        if view.group_id is not None:
            return view.group_id, needs
        created = self.step(
            "create",
            "BackendSecurityGroup",
            want.name,
            "CreateSecurityGroup",
            {
                "GroupName": want.name,
                "Description": want.description,
                "VpcId": vpc_id,
                "TagSpecifications": [{"ResourceType": "security-group", "Tags": naming.tag_list(want.tags)}],
            },
            "the cluster's shared backend security group",
        )
        return Ref(created.key, "GroupId"), needs

    def node_rules(self, view: BackendView | None, backend_id: Arn, needs: Needs, revoke: bool) -> None:
        """Authorize the missing rules from the backend group (`revoke`: revoke the ones nobody needs any
        more), one rule per node/pod security group spanning what every stack of the cluster needs there."""
        have = view.rules if view is not None and isinstance(backend_id, str) else set()
        wanted = backend_sg.wanted_rules(needs, view.others if view is not None else {})
        change = sorted(have - wanted) if revoke else sorted(wanted - have)
        operation = "RevokeSecurityGroupIngress" if revoke else "AuthorizeSecurityGroupIngress"
        for rule in change:
            key, low, high = rule
            sg, protocol = backend_sg.split_key(key)
            ports = str(low) if low == high else f"{low}-{high}"
            self.step(
                "update",
                "NodeSecurityGroup",
                sg,
                operation,
                {"GroupId": sg, "IpPermissions": [backend_sg.rule_permission(rule, backend_id)]},
                f"{'revoke' if revoke else 'allow'} {protocol} {ports} from the backend security group",
                {"IpPermissions": ((ports, None) if revoke else (None, ports))},
            )

    def release_backend_group(self, view: BackendView) -> None:
        """Delete the shared backend group once no load balancer of the cluster's other stacks is left."""
        if view.group is None or view.other_load_balancers:
            return
        self.step(
            "delete",
            "BackendSecurityGroup",
            view.group["GroupName"],
            "DeleteSecurityGroup",
            {"GroupId": view.group["GroupId"]},
            "no load balancer of the cluster is left",
        )

    def leave_backend(self, view: BackendView | None, keep: Arn | None, needs: Needs) -> None:
        """After the rest of a converge (or a delete): narrow the node rules to what is still needed, and when
        the stack no longer uses the backend group (`keep` None) release it to the other stacks."""
        if view is None or view.group_id is None or view.partial:
            return
        if keep is None:  # this stack left the backend group: what the others need stays
            self.node_rules(view, view.group_id, {}, revoke=False)
        self.node_rules(view, view.group_id, needs, revoke=True)
        if keep is None:
            self.release_backend_group(view)


def _listed(shown: dict[str, tuple[list[tuple[int, str]], list[tuple[int, str]]]], which: int) -> list[str]:
    """The rules of one side (0: revoked, 1: allowed) as `tcp 80 from 10.0.0.0/8`."""
    return [f"{p} {port} from {source}" for p in ("tcp", "udp") for port, source in shown[p][which]]
