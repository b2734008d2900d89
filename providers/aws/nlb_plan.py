"""Plan a Service's NLB stack (pure): the ordered Steps, each with its request body, that make what AWS
holds (CurrentNlb) match what the Service wants (DesiredNlb). None wanted: delete everything of ours.

Order: the shared backend security group and the node/pod rules it needs, the managed frontend security
group, target groups (create, then health check and attributes), the NLB (create, or subnets, security
groups, IP address type, attributes and tags), listeners (create, modify, delete), targets, then the target
groups no listener uses any more, the security groups no longer wanted and the node rules nobody needs. A
scheme or name change replaces the NLB (AWS cannot change either in place), and so does a change between
security groups and none (AWS can neither add the first nor remove the last)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lbctl.provider import Ref, Step

from .backend_steps import BackendSteps, Needs
from .diff import health_check_changes
from .naming import RESOURCE_TAG, ROLE_LISTENER, ROLE_TARGET_GROUP, attributes_tag, node_sg_tags, tag_list
from .nlb_discover import CurrentNlb
from .nlb_translate import (
    NLB_DEFAULTS,
    NLB_TG_DEFAULTS,
    DesiredNlb,
    DesiredNlbListener,
    DesiredNlbTargetGroup,
)
from .plan import target_steps
from .steps import attribute_list

Arn = str | Ref


@dataclass
class NlbPlan:
    steps: list[Step] = field(default_factory=list)
    address: str | Ref | None = None
    warnings: list[str] = field(default_factory=list)
    needs: Needs = field(default_factory=dict)  # target group key → node/pod SG → the ports it opens there


def plan_nlb(
    desired: DesiredNlb | None, current: CurrentNlb, subnets: list[str], vpc_id: str | None
) -> NlbPlan:
    planner = _Planner()
    if desired is None:
        planner.delete_all(current)
    else:
        planner.converge(desired, current, subnets, vpc_id)
    return planner.out


class _Planner(BackendSteps):
    def __init__(self) -> None:
        self.out = NlbPlan()
        self.current = CurrentNlb()
        self.needs: Needs = {}
        super().__init__(self.out.steps, self.out.warnings)

    # ----------------------------------------------------------------- delete

    def delete_all(self, current: CurrentNlb) -> None:
        for lb in current.load_balancers:
            self.delete_load_balancer(lb)
        # The node rules and the backend group before the target groups, whose tags say what to revoke.
        self.leave_backend(current.backend, None, {})
        for tg in current.target_groups:
            self.delete_target_group(tg)
        self.delete_security_groups(current.security_groups)  # once the NLB's interfaces are gone

    # ----------------------------------------------------------------- converge

    def converge(
        self, desired: DesiredNlb, current: CurrentNlb, subnets: list[str], vpc_id: str | None
    ) -> None:
        self.current = current
        backend_id, self.needs = self.backend_group(desired.backend, current.backend, desired.targets, vpc_id)
        self.out.needs = self.needs
        if backend_id is not None:
            self.node_rules(current.backend, backend_id, self.needs, revoke=False)
        managed = (
            self.managed_security_group(desired.security_group, current.security_groups, vpc_id)
            if desired.security_group is not None
            else None
        )
        security_groups: list[Arn] = [managed] if managed is not None else list(current.security_group_ids)
        if backend_id is not None:
            security_groups.append(backend_id)
        if desired.security_groups is not None:  # given as they are (the frontend NLB of an ALB)
            security_groups = list(desired.security_groups)
        groups: dict[str, Arn] = {}
        kept_groups: set[str] = set()
        for key, want in desired.target_groups.items():
            have = _target_group(want, current)
            if have is None:
                groups[key] = self.create_target_group(want, vpc_id)
                self.targets(want, groups[key], set())
            else:
                kept_groups.add(have["TargetGroupArn"])
                groups[key] = have["TargetGroupArn"]
                self.update_target_group(want, have, current)
        keep = next(
            (
                lb
                for lb in current.load_balancers
                if lb["LoadBalancerName"] == desired.name
                and lb.get("Scheme") == desired.scheme
                and bool(lb.get("SecurityGroups")) == bool(security_groups)
            ),
            None,
        )
        for lb in current.load_balancers:
            if lb is not keep:
                self.delete_load_balancer(
                    lb, "replaced (its name, its scheme, or whether it has security groups differs)"
                )
        if keep is None:
            arn: Arn = self.create_load_balancer(desired, subnets, security_groups)
            listeners: list[dict[str, Any]] = []
        else:
            arn = keep["LoadBalancerArn"]
            self.out.address = keep.get("DNSName")
            self.update_load_balancer(desired, keep, current, subnets, security_groups)
            listeners = current.listeners.get(keep["LoadBalancerArn"], [])
        self.listeners(desired, arn, listeners, groups)
        for key, want in desired.target_groups.items():
            have_arn = groups[key]
            if isinstance(have_arn, str):
                self.targets(want, have_arn, current.targets.get(have_arn, set()))
        for tg in current.target_groups:
            if tg["TargetGroupArn"] not in kept_groups:
                self.delete_target_group(tg, "no Service port uses it")
        self.delete_security_groups(current.security_groups, managed)
        self.leave_backend(current.backend, backend_id, self.needs)

    def create_target_group(self, want: DesiredNlbTargetGroup, vpc_id: str | None) -> Ref:
        body: dict[str, Any] = {
            "Name": want.name,
            "Protocol": want.protocol,
            "Port": want.port,
            "TargetType": want.target_type,
            **{k: v for k, v in want.health_check.items() if v is not None and v != {}},
            "Tags": tag_list(self.target_group_tags(want)),
        }
        if vpc_id:
            body["VpcId"] = vpc_id
        created = self.step(
            "create",
            "TargetGroup",
            want.name,
            "CreateTargetGroup",
            body,
            f"{want.protocol}:{want.port} {want.target_type}",
        )
        arn = Ref(created.key, "TargetGroupArn")
        self.initial_attributes("TargetGroup", want.name, arn, want.attributes)
        return arn

    def update_target_group(
        self, want: DesiredNlbTargetGroup, have: dict[str, Any], current: CurrentNlb
    ) -> None:
        arn = have["TargetGroupArn"]
        changes = health_check_changes(want.health_check, have)
        if not want.health_check["Matcher"] or not have.get("Matcher"):
            # TCP checks have none; and a target group described without one (moto keeps no matcher on a
            # TCP/UDP target group's HTTP check) cannot be compared: it is sent with the next other change
            changes.pop("Matcher", None)
            if changes and want.health_check["Matcher"]:
                changes["Matcher"] = want.health_check["Matcher"]
        if changes:
            self.step(
                "update",
                "TargetGroup",
                want.name,
                "ModifyTargetGroup",
                {"TargetGroupArn": arn, **changes},
                "health check",
                {k: (have.get(k), v) for k, v in changes.items()},
            )
        self.attributes(
            "TargetGroup",
            want.name,
            arn,
            want.attributes,
            have["Tags"],
            current.tg_attributes.get(arn, []),
            NLB_TG_DEFAULTS,
        )
        self.tags("TargetGroup", want.name, arn, self.target_group_tags(want), have["Tags"])

    def target_group_tags(self, want: DesiredNlbTargetGroup) -> dict[str, str]:
        """Its tags: ours, the attributes it was given, and the node/pod SG ranges its targets need."""
        return {**want.tags, **attributes_tag(want.attributes), **node_sg_tags(self.needs.get(want.key, {}))}

    def create_load_balancer(
        self, desired: DesiredNlb, subnets: list[str], security_groups: list[Arn]
    ) -> Ref:
        mappings = desired.subnet_mappings(subnets)
        body: dict[str, Any] = {
            "Name": desired.name,
            **({"SubnetMappings": mappings} if mappings is not None else {"Subnets": subnets}),
            **({"SecurityGroups": security_groups} if security_groups else {}),
            **({"EnablePrefixForIpv6SourceNat": "on"} if desired.source_nat else {}),
            "Scheme": desired.scheme,
            "Type": "network",
            "IpAddressType": desired.ip_address_type,
            "Tags": tag_list({**desired.tags, **attributes_tag(desired.attributes)}),
        }
        created = self.step(
            "create",
            "LoadBalancer",
            desired.name,
            "CreateLoadBalancer",
            body,
            f"network, {desired.scheme}, subnets {subnets}",
        )
        arn = Ref(created.key, "LoadBalancerArn")
        self.out.address = Ref(created.key, "DNSName")
        self.initial_attributes("LoadBalancer", desired.name, arn, desired.attributes)
        self.capacity(desired.name, arn, None, desired.capacity_units)
        return arn

    def update_load_balancer(
        self,
        desired: DesiredNlb,
        have: dict[str, Any],
        current: CurrentNlb,
        subnets: list[str],
        security_groups: list[Arn],
    ) -> None:
        arn = have["LoadBalancerArn"]
        have_groups = sorted(have.get("SecurityGroups") or [])
        if security_groups and have_groups != sorted(security_groups, key=str):
            self.step(
                "update",
                "LoadBalancer",
                desired.name,
                "SetSecurityGroups",
                {"LoadBalancerArn": arn, "SecurityGroups": security_groups},
                f"security groups {security_groups}",
                {"SecurityGroups": (have_groups, security_groups)},
            )
        have_subnets = sorted(z["SubnetId"] for z in have.get("AvailabilityZones", []))
        if have_subnets != sorted(subnets):
            self.step(
                "update",
                "LoadBalancer",
                desired.name,
                "SetSubnets",
                {"LoadBalancerArn": arn, "Subnets": subnets},
                "subnets",
                {"Subnets": (have_subnets, sorted(subnets))},
            )
        if have.get("IpAddressType", "ipv4") != desired.ip_address_type:
            self.step(
                "update",
                "LoadBalancer",
                desired.name,
                "SetIpAddressType",
                {"LoadBalancerArn": arn, "IpAddressType": desired.ip_address_type},
                "IP address type",
                {"IpAddressType": (have.get("IpAddressType"), desired.ip_address_type)},
            )
        self.attributes(
            "LoadBalancer",
            desired.name,
            arn,
            desired.attributes,
            have["Tags"],
            current.lb_attributes.get(arn, []),
            NLB_DEFAULTS,
        )
        self.capacity(desired.name, arn, current.capacity.get(arn), desired.capacity_units)
        self.tags(
            "LoadBalancer",
            desired.name,
            arn,
            {**desired.tags, **attributes_tag(desired.attributes)},
            have["Tags"],
        )

    def listeners(
        self, desired: DesiredNlb, lb: Arn, have: list[dict[str, Any]], groups: dict[str, Arn]
    ) -> None:
        by_port = {int(listener["Port"]): listener for listener in have}
        for want in desired.listeners:
            name = f"{desired.name}:{want.port}"
            action = [{"Type": "forward", "TargetGroupArn": groups[want.target_group]}]
            listener = by_port.pop(want.port, None)
            if listener is None:
                self.step(
                    "create",
                    "Listener",
                    name,
                    "CreateListener",
                    {
                        "LoadBalancerArn": lb,
                        "Protocol": want.protocol,
                        "Port": want.port,
                        **_tls_settings(want),
                        "DefaultActions": action,
                        "Tags": tag_list(want.tags),
                    },
                    f"{want.protocol}:{want.port}",
                )
                created = Ref(f"Listener {name}: CreateListener", "ListenerArn")
                self.listenerattribute_list(name, want, created, {})
                if want.sni_certificates:
                    self.sni_certificates(name, created, [], want.certificate, list(want.sni_certificates))
                continue
            forwards = [a.get("TargetGroupArn") for a in listener.get("DefaultActions", [])]
            self.listenerattribute_list(
                name,
                want,
                listener["ListenerArn"],
                self.current.listener_attributes.get(listener["ListenerArn"], {}),
            )
            tls = _tls_settings(want)
            have_tls = {  # DescribeListeners lists the default certificate first
                "Certificates": [
                    {"CertificateArn": c["CertificateArn"]} for c in listener.get("Certificates", [])[:1]
                ],
                "SslPolicy": listener.get("SslPolicy"),
                "AlpnPolicy": listener.get("AlpnPolicy") or ["None"],
            }
            tls_drift = bool(tls) and any(have_tls.get(k) != v for k, v in tls.items())
            if (
                listener.get("Protocol") != want.protocol
                or forwards != [groups[want.target_group]]
                or tls_drift
            ):
                self.step(
                    "update",
                    "Listener",
                    name,
                    "ModifyListener",
                    {
                        "ListenerArn": listener["ListenerArn"],
                        "Protocol": want.protocol,
                        "Port": want.port,
                        **tls,
                        "DefaultActions": action,
                    },
                    f"{want.protocol}:{want.port}",
                    {
                        "Protocol": (listener.get("Protocol"), want.protocol),
                        "DefaultActions": (forwards, "forward"),
                    },
                )
            if tls:
                self.sni_certificates(
                    name,
                    listener["ListenerArn"],
                    self.current.listener_certificates.get(listener["ListenerArn"], []),
                    want.certificate,
                    list(want.sni_certificates),
                    reassert=tls_drift or listener.get("Protocol") != want.protocol,
                )
        for port, listener in sorted(by_port.items()):
            self.step(
                "delete",
                "Listener",
                f"{desired.name}:{port}",
                "DeleteListener",
                {"ListenerArn": listener["ListenerArn"]},
                "no Service port serves it",
            )

    def listenerattribute_list(
        self, name: str, want: DesiredNlbListener, arn: Arn, have: dict[str, str]
    ) -> None:
        """Set the listener attributes that differ (those not set are left as they are, as in the anchor)."""
        changed = {k: v for k, v in sorted(want.attributes.items()) if have.get(k) != v}
        if changed:
            self.step(
                "update",
                "Listener",
                name,
                "ModifyListenerAttributes",
                {"ListenerArn": arn, "Attributes": attribute_list(changed)},
                f"attributes {changed}",
                {k: (have.get(k), v) for k, v in changed.items()},
            )

    def targets(self, want: DesiredNlbTargetGroup, arn: Arn, have: set[tuple[str, int]]) -> None:
        self.out.steps.extend(target_steps(want.name, arn, _ours(want, have), set(want.targets)))


def _ours(want: DesiredNlbTargetGroup, have: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """The registered targets this cluster answers for (all of them, unless shared with other clusters)."""
    if want.known is None:
        return have
    return {pair for pair in have if pair[0] in want.known}


def _tls_settings(want: DesiredNlbListener) -> dict[str, Any]:
    """The TLS fields of a listener's request (none for TCP/UDP)."""
    if want.certificate is None:
        return {}
    return {
        "Certificates": [{"CertificateArn": want.certificate}],
        "SslPolicy": want.ssl_policy,
        "AlpnPolicy": [want.alpn_policy or "None"],
    }


def _target_group(want: DesiredNlbTargetGroup, current: CurrentNlb) -> dict[str, Any] | None:
    """Ours for this port, unchanged in what AWS cannot modify (its name hashes those)."""
    role = want.tags.get(RESOURCE_TAG, ROLE_TARGET_GROUP + want.key)
    return next(
        (
            tg
            for tg in current.target_groups
            if tg["Tags"].get(RESOURCE_TAG) == role and tg["TargetGroupName"] == want.name
        ),
        None,
    )


__all__ = ["NlbPlan", "plan_nlb", "ROLE_LISTENER"]
