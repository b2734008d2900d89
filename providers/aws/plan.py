"""Desired × Current → the ordered Steps that make AWS match (pure: no calls, no callbacks, inputs untouched).

Order: backend security group and the node rules it needs → security group → certificates → target groups →
load balancer → listeners → rules → load balancer tags → targets → deletions of what is no longer wanted →
node rules nobody needs any more; deleting the whole stack runs in reverse dependency order.
Values that exist only once an earlier step has run (a new group's ID, a new ARN) are `Ref`s in the bodies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from lbctl.model.spec import NONE
from lbctl.provider import Ref, Secret, Step

from . import naming
from . import targets as target_ops
from .backend_steps import BackendSteps
from .diff import (
    LOAD_BALANCER_DEFAULTS,
    TARGET_GROUP_DEFAULTS,
    canonical_actions,
    health_check_changes,
    kept_listeners,
    matching_load_balancer,
    matching_target_group,
    plan_rules,
)
from .discover import CurrentStack
from .steps import attribute_list
from .translate import (
    CERT_DISCOVER_REF,
    CERT_SECRET_REF,
    TG_KEY_REF,
    TG_NAME_REF,
    TRUST_STORE_NAME_REF,
    DesiredCertificate,
    DesiredListener,
    DesiredLoadBalancer,
    DesiredRule,
    DesiredStack,
    DesiredTargetGroup,
)

PARK_PRIORITY = 40000  # rules are parked above every wanted priority before they are reordered

Arn = str | Ref  # an existing resource's ARN or ID, or the Ref of the step creating it


@dataclass
class Plan:
    """The steps of one stack, and what is known of the result before they run."""

    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    address: str | Ref | None = None  # the load balancer's DNS name
    target_groups: dict[str, Arn] = field(default_factory=dict)  # backend key → ARN
    # backend key → node/pod SG → port range its targets need there (recorded in the target group's tags)
    backend_needs: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    load_balancer_arn: Arn | None = None  # the ALB's (what a frontend NLB registers)
    security_groups: list[Arn] = field(default_factory=list)  # the ALB's


def plan(desired: DesiredStack | None, current: CurrentStack) -> list[Step]:
    """The steps converging `current` to `desired` (None: delete the stack)."""
    return plan_stack(desired, current).steps


def plan_stack(desired: DesiredStack | None, current: CurrentStack) -> Plan:
    """`plan`, with the warnings and the results known in advance (address, target group ARNs)."""
    planner = _Planner()
    if desired is None:
        planner.delete_stack(current)
    else:
        planner.converge(desired, current)
    return planner.out


class _Planner(BackendSteps):
    def __init__(self) -> None:
        self.out = Plan()
        super().__init__(self.out.steps, self.out.warnings)
        self._certificates_in_use: set[Arn] = set()  # on listeners left as they are
        self._validation_records: dict[str, tuple[str, str | None]] = {}

    # ----------------------------------------------------------------- delete everything

    def delete_stack(self, current: CurrentStack) -> None:
        for lb in current.load_balancers:
            self.delete_load_balancer(lb)
        # The node rules and the backend group before the target groups, whose tags say what to revoke.
        self.leave_backend(current.backend, None, {})
        self._delete_unwanted(current, keep_groups=set(), keep_sg=None, keep_certs=set())

    def _delete_unwanted(
        self, current: CurrentStack, keep_groups: set[Arn], keep_sg: Arn | None, keep_certs: set[Arn]
    ) -> None:
        for tg in current.target_groups:
            if tg["TargetGroupArn"] not in keep_groups:
                self.delete_target_group(tg)
        self.delete_security_groups(current.security_groups, keep_sg)
        for cert in current.certificates:
            if cert["CertificateArn"] not in keep_certs:
                self.step(
                    "delete",
                    "Certificate",
                    cert["Tags"].get(naming.RESOURCE_TAG, ""),
                    "DeleteCertificate",
                    {"CertificateArn": cert["CertificateArn"]},
                )

    # ----------------------------------------------------------------- converge

    def converge(self, desired: DesiredStack, current: CurrentStack) -> None:
        self._validation_records = dict(current.validation_records)
        backend_id, needs = self.backend_group(
            desired.backend, current.backend, desired.targets, current.vpc_id
        )
        self.out.backend_needs = needs
        partial = current.backend is not None and current.backend.partial  # it changes no node rule
        wanted_groups = desired.target_groups
        desired = _recording_needs(desired, needs, current)
        managed_sg = self.security_group(desired, current)
        security_groups: list[Arn] = (
            [managed_sg] if managed_sg is not None else list(current.security_group_ids)
        )
        if backend_id is not None:
            security_groups.append(backend_id)
            if not partial:
                self.node_rules(current.backend, backend_id, needs, revoke=False)
        cert_arns, used_certs = self.certificates(desired, current)
        tg_arns, kept_groups = self.target_groups(desired, current)
        tg_arns.update({TG_NAME_REF + name: arn for name, arn in current.external_target_groups.items()})
        self.out.target_groups = {key: tg_arns[TG_KEY_REF + key] for key in desired.target_groups}

        lb_arn, lb = self.load_balancer(desired, current, security_groups)
        self.out.load_balancer_arn, self.out.security_groups = lb_arn, list(security_groups)
        user_tags = naming.user_tags(desired.load_balancer.tags)
        retag = lb is not None and naming.user_tags(lb["Tags"]) != user_tags
        self.listeners(desired, current, lb_arn, lb is not None, cert_arns, tg_arns, user_tags, retag)
        if lb is not None:
            # an existing load balancer: its tags last, so they say the listeners and rules are done
            want = desired.load_balancer
            self.tags("LoadBalancer", want.name, lb_arn, want.tags, lb["Tags"])

        for key, tg in desired.target_groups.items():
            arn = tg_arns[TG_KEY_REF + key]
            have = current.targets.get(arn, set()) if isinstance(arn, str) else set()
            wanted = desired.targets.get(key, set())
            if tg.multi_cluster:  # another cluster's targets are not ours to deregister
                known = desired.known.get(key, set())
                have = {t for t in have if t in wanted or t[0] in known}
            self.targets(tg.name, arn, have, wanted)
        self._delete_unwanted(current, kept_groups, managed_sg, used_certs | self._certificates_in_use)
        self.leave_backend(current.backend, backend_id, needs)  # narrowed or unneeded
        # Last, the kept target groups' records: until they change, the next converge compares in full.
        for key, group in wanted_groups.items():
            existing = matching_target_group(group, current.target_groups)
            if existing is not None:
                record = {k: v for k, v in existing["Tags"].items() if k.startswith(naming.NODE_SG_TAG)}
                self.tags(
                    "TargetGroup",
                    group.name,
                    existing["TargetGroupArn"],
                    naming.node_sg_tags(needs.get(key, {})),
                    record,
                )

    # ----------------------------------------------------------------- security group

    def security_group(self, desired: DesiredStack, current: CurrentStack) -> Arn | None:
        if desired.security_group is None:
            return None
        return self.managed_security_group(desired.security_group, current.security_groups, current.vpc_id)

    # ----------------------------------------------------------------- certificates

    def certificates(
        self, desired: DesiredStack, current: CurrentStack
    ) -> tuple[dict[str, list[Arn]], set[Arn]]:
        """ARNs per certificate reference, and our imported certificates still in use."""
        arns: dict[str, list[Arn]] = {}
        used: set[Arn] = set()
        for cert in desired.certificates:
            if cert.ref.startswith(CERT_SECRET_REF):
                arn: Arn | None = _imported(cert.secret or "", cert.content_hash, current.certificates)
                if arn is None:
                    tags = {
                        **naming.ownership_tags(
                            _cluster(desired), desired.stack, naming.ROLE_CERTIFICATE + (cert.secret or "")
                        ),
                        naming.CONTENT_HASH_TAG: cert.content_hash or "",
                    }
                    body: dict[str, Any] = {}
                    if cert.material is not None:
                        body["Certificate"] = cert.material.certificate_pem
                        body["PrivateKey"] = Secret(cert.material.private_key_pem)
                        if cert.material.chain_pem:
                            body["CertificateChain"] = cert.material.chain_pem
                    body["Tags"] = naming.tag_list(tags)
                    created = self.step(
                        "create",
                        "Certificate",
                        cert.secret or "",
                        "ImportCertificate",
                        body,
                        "import from Secret into ACM",
                    )
                    arn = Ref(created.key, "CertificateArn")
                used.add(arn)
                arns[cert.ref] = [arn]
            elif cert.ref.startswith(CERT_DISCOVER_REF):
                arns[cert.ref] = list(current.discovered_certificates.get(cert.ref, []))
            elif cert.request_for is not None:
                arns[cert.ref] = self.requested_certificate(
                    desired, cert, current.requested.get(cert.ref), used
                )
        return arns, used

    def validation_records(
        self, needed: dict[str, dict[str, str]], zones: dict[str, tuple[str, str | None]]
    ) -> None:
        """UPSERT the DNS validation CNAMEs a requested certificate waits for, in their public hosted zones."""
        changes: dict[str, list[dict[str, Any]]] = {}
        for name, record in sorted(needed.items()):
            if name not in zones or zones[name][1] == record["Value"]:
                continue
            zone = zones[name][0]
            changes.setdefault(zone, []).append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": record["Type"],
                        "TTL": 300,
                        "ResourceRecords": [{"Value": record["Value"]}],
                    },
                }
            )
        for zone, batch in changes.items():
            self.step(
                "update",
                "HostedZone",
                zone,
                "ChangeResourceRecordSets",
                {
                    "HostedZoneId": zone,
                    "ChangeBatch": {"Comment": "ACM DNS validation (lbctl)", "Changes": batch},
                },
                f"ACM validation records {[c['ResourceRecordSet']['Name'] for c in batch]}",
            )

    def requested_certificate(
        self, desired: DesiredStack, cert: DesiredCertificate, found: dict[str, Any] | None, used: set[Arn]
    ) -> list[Arn]:
        """`create-acm-cert`: request the certificate, or use it once ACM has issued it (until then the HTTPS
        listeners wait, and a warning says what ACM waits for)."""
        hosts = ", ".join(cert.hosts)
        if found is None:
            tags = {
                **naming.ownership_tags(
                    _cluster(desired),
                    desired.stack,
                    naming.ROLE_REQUESTED_CERTIFICATE + str(cert.request_for),
                ),
                naming.CONTENT_HASH_TAG: cert.content_hash or "",
            }
            body: dict[str, Any] = {"DomainName": cert.hosts[0], "SubjectAlternativeNames": list(cert.hosts)}
            if cert.pca_arn:
                body["CertificateAuthorityArn"] = cert.pca_arn
            else:
                body["ValidationMethod"] = "DNS"
            body["IdempotencyToken"] = cert.content_hash or ""
            body["Tags"] = naming.tag_list(tags)
            self.step(
                "create", "Certificate", str(cert.request_for), "RequestCertificate", body, f"for {hosts}"
            )
            self.out.warnings.append(
                f"an ACM certificate for {hosts} is requested; the HTTPS listeners wait until ACM issues it"
            )
            return []
        arn = str(found["CertificateArn"])
        used.add(arn)
        if found.get("Status") == "ISSUED":
            return [arn]
        needed = {
            r["Name"]: r
            for option in found.get("DomainValidationOptions", [])
            if (r := option.get("ResourceRecord"))
        }
        self.validation_records(needed, self._validation_records)
        unzoned = sorted(
            f"{r['Name']} {r['Type']} {r['Value']}"
            for n, r in needed.items()
            if n not in self._validation_records
        )
        waiting = (
            f": create the DNS validation records {'; '.join(unzoned)} (no hosted zone here has them)"
            if unzoned
            else ""
        )
        self.out.warnings.append(
            f"the ACM certificate for {hosts} is {found.get('Status')}{waiting}; the HTTPS listeners wait "
            "until ACM issues it"
        )
        return []

    # ----------------------------------------------------------------- target groups

    def target_groups(self, desired: DesiredStack, current: CurrentStack) -> tuple[dict[str, Arn], set[Arn]]:
        """Create or update each wanted target group: reference → ARN, and the ARNs kept (the others are
        obsolete, replaced, or duplicates left by an interrupted converge, deleted at the end)."""
        arns: dict[str, Arn] = {}
        kept: set[Arn] = set()
        for key, want in desired.target_groups.items():
            existing = matching_target_group(want, current.target_groups)
            if existing is None:
                arn = self.create_target_group(want, current)
            else:
                arn = existing["TargetGroupArn"]
                self.update_target_group(want, existing, current)
            kept.add(arn)
            arns[TG_KEY_REF + key] = arn
        return arns, kept

    def create_target_group(self, want: DesiredTargetGroup, current: CurrentStack) -> Ref:
        body: dict[str, Any] = {
            "Name": want.name,
            "Protocol": want.protocol,
            "Port": want.port,
            "VpcId": current.vpc_id,
            "TargetType": want.target_type,
            "Tags": naming.tag_list(want.tags),
            **want.health_check,
        }
        if want.protocol_version:
            body["ProtocolVersion"] = want.protocol_version
        if want.target_control_port is not None:
            body["TargetControlPort"] = want.target_control_port
        detail = f"{want.protocol}:{want.port} {want.target_type} for {want.key}, health {want.health_check['HealthCheckPath']}"
        arn = Ref(
            self.step("create", "TargetGroup", want.name, "CreateTargetGroup", body, detail).key,
            "TargetGroupArn",
        )
        self.initial_attributes("TargetGroup", want.name, arn, want.attributes)
        return arn

    def update_target_group(
        self, want: DesiredTargetGroup, existing: dict[str, Any], current: CurrentStack
    ) -> None:
        arn = existing["TargetGroupArn"]
        changes = health_check_changes(want.health_check, existing)
        if changes:
            self.step(
                "update",
                "TargetGroup",
                want.name,
                "ModifyTargetGroup",
                {"TargetGroupArn": arn, **changes},
                f"health check {sorted(changes)}",
                {k: (existing.get(k), v) for k, v in changes.items()},
            )
        self.attributes(
            "TargetGroup",
            want.name,
            arn,
            want.attributes,
            existing["Tags"],
            current.attributes.get(arn, []),
            TARGET_GROUP_DEFAULTS,
        )
        self.tags("TargetGroup", want.name, arn, want.tags, existing["Tags"])

    # ----------------------------------------------------------------- load balancer

    def load_balancer(
        self, desired: DesiredStack, current: CurrentStack, security_groups: list[Arn]
    ) -> tuple[Arn, dict[str, Any] | None]:
        """(ARN, the existing load balancer kept, None when it is created)."""
        want = desired.load_balancer
        keep = current.load_balancer
        matched = matching_load_balancer(want, current.load_balancers)
        for lb in current.load_balancers:
            if lb is matched:
                continue
            replaced = matched is None
            reason = (
                "scheme, name or customer-owned IPv4 pool changed (AWS cannot change them in place)"
                if replaced
                else "duplicate"
            )
            self.delete_load_balancer(lb, reason, "replace" if replaced else "delete")
        subnet_ids = list(current.subnet_ids)
        if keep is None:
            body: dict[str, Any] = {
                "Name": want.name,
                "Subnets": subnet_ids,
                "SecurityGroups": security_groups,
                "Scheme": want.scheme,
                "Type": "application",
                "IpAddressType": want.ip_address_type,
                "Tags": naming.tag_list(want.tags),
            }
            if want.customer_owned_ipv4_pool:
                body["CustomerOwnedIpv4Pool"] = want.customer_owned_ipv4_pool
            if want.ipam_ipv4_pool_id:
                body["IpamPools"] = {"Ipv4IpamPoolId": want.ipam_ipv4_pool_id}
            created = self.step(
                "create",
                "LoadBalancer",
                want.name,
                "CreateLoadBalancer",
                body,
                f"{want.scheme}, subnets {subnet_ids}",
            )
            arn = Ref(created.key, "LoadBalancerArn")
            self.out.address = Ref(created.key, "DNSName")
            self.initial_attributes("LoadBalancer", want.name, arn, want.attributes)
            self.capacity(want.name, arn, None, want.capacity_units, want.fields.get("capacity_units"))
            self.add_ons(want, current, arn, None)
            return arn, None
        arn = keep["LoadBalancerArn"]
        self.out.address = keep.get("DNSName")
        have_subnets = sorted(z["SubnetId"] for z in keep.get("AvailabilityZones", []))
        if have_subnets != sorted(subnet_ids):
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "SetSubnets",
                {"LoadBalancerArn": arn, "Subnets": subnet_ids},
                f"subnets {subnet_ids}",
                {"Subnets": (have_subnets, subnet_ids)},
            )
        have_groups = sorted(keep.get("SecurityGroups", []))
        if have_groups != sorted(security_groups, key=str):
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "SetSecurityGroups",
                {"LoadBalancerArn": arn, "SecurityGroups": security_groups},
                f"security groups {security_groups}",
                {"SecurityGroups": (have_groups, security_groups)},
            )
        have_pool = (keep.get("IpamPools") or {}).get("Ipv4IpamPoolId")
        if have_pool and not want.ipam_ipv4_pool_id:  # before the IP address type may change
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "ModifyIpPools",
                {"LoadBalancerArn": arn, "RemoveIpamPools": ["ipv4"]},
                "remove the IPAM pool",
                {"IpamPools": (have_pool, None)},
                field=want.fields.get("ipam_ipv4_pool_id"),
            )
        if keep.get("IpAddressType") != want.ip_address_type:
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "SetIpAddressType",
                {"LoadBalancerArn": arn, "IpAddressType": want.ip_address_type},
                f"ip address type {want.ip_address_type}",
                {"IpAddressType": (keep.get("IpAddressType"), want.ip_address_type)},
            )
        self.attributes(
            "LoadBalancer",
            want.name,
            arn,
            want.attributes,
            keep["Tags"],
            current.attributes.get(arn, []),
            LOAD_BALANCER_DEFAULTS,
        )
        if want.ipam_ipv4_pool_id and have_pool != want.ipam_ipv4_pool_id:  # after everything else
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "ModifyIpPools",
                {"LoadBalancerArn": arn, "IpamPools": {"Ipv4IpamPoolId": want.ipam_ipv4_pool_id}},
                f"IPAM pool {want.ipam_ipv4_pool_id}",
                {"IpamPools": (have_pool, want.ipam_ipv4_pool_id)},
                field=want.fields.get("ipam_ipv4_pool_id"),
            )
        have_units = current.capacity.get(str(arn)) if keep is not None else None
        self.capacity(want.name, arn, have_units, want.capacity_units, want.fields.get("capacity_units"))
        self.add_ons(want, current, arn, keep)
        return arn, keep

    def add_ons(
        self, want: DesiredLoadBalancer, current: CurrentStack, arn: Arn, keep: dict[str, Any] | None
    ) -> None:
        """WAFv2 and WAF Classic web ACLs and Shield Advanced protection of the load balancer (`keep`: the
        existing one, None when it is created by this plan)."""
        fields = want.fields
        wanted_acl = want.waf_acl_arn
        if want.waf_acl_name is not None:
            wanted_acl = (
                want.waf_acl_name if want.waf_acl_name == NONE else current.web_acl_names[want.waf_acl_name]
            )
        acl_field = fields.get("waf_acl_name" if want.waf_acl_name is not None else "waf_acl_arn")
        acl = current.web_acls.get(str(arn)) or {} if keep is not None else {}
        if wanted_acl and wanted_acl != NONE:
            if acl.get("ARN") != wanted_acl:
                self.step(
                    "update",
                    "LoadBalancer",
                    want.name,
                    "AssociateWebACL",
                    {"WebACLArn": wanted_acl, "ResourceArn": arn},
                    "associate WAFv2 web ACL",
                    {"WebACLArn": (acl.get("ARN"), wanted_acl)},
                    field=acl_field,
                )
        elif acl and (wanted_acl == NONE or _ours(acl, keep)):  # `none`, or the one we associated
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "DisassociateWebACL",
                {"ResourceArn": arn},
                "disassociate WAFv2 web ACL",
                {"WebACLArn": (acl.get("ARN"), None)},
                field=acl_field,
            )
        classic = want.waf_classic_acl_id
        have_classic = current.waf_classic.get(str(arn), "") if keep is not None else ""
        if classic is not None and classic != NONE and classic != have_classic:
            self.step(
                "update",
                naming.WAF_CLASSIC_KIND,
                want.name,
                "AssociateWebACL",
                {"WebACLId": classic, "ResourceArn": arn},
                "associate WAF Classic web ACL",
                {"WebACLId": (have_classic or None, classic)},
                field=fields.get("waf_classic_acl_id"),
            )
        elif classic == NONE and have_classic:
            self.step(
                "update",
                naming.WAF_CLASSIC_KIND,
                want.name,
                "DisassociateWebACL",
                {"ResourceArn": arn},
                "disassociate WAF Classic web ACL",
                {"WebACLId": (have_classic, None)},
                field=fields.get("waf_classic_acl_id"),
            )
        protection = current.shield.get(str(arn)) or {} if keep is not None else {}
        if want.shield_protection and not protection:
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "CreateProtection",
                {"Name": naming.SHIELD_PROTECTION_NAME, "ResourceArn": arn},
                "turn Shield Advanced protection on",
                {"ShieldAdvancedProtection": (False, True)},
                field=fields.get("shield_protection"),
            )
        elif want.shield_protection is False and protection.get("Name") in naming.SHIELD_PROTECTION_NAMES:
            self.step(
                "update",
                "LoadBalancer",
                want.name,
                "DeleteProtection",
                {"ProtectionId": protection["Id"]},
                "turn Shield Advanced protection off",
                {"ShieldAdvancedProtection": (True, False)},
                field=fields.get("shield_protection"),
            )

    # ----------------------------------------------------------------- listeners and rules

    def listeners(
        self,
        desired: DesiredStack,
        current: CurrentStack,
        lb_arn: Arn,
        existing_lb: bool,
        cert_arns: dict[str, list[Arn]],
        tg_arns: dict[str, Arn],
        user_tags: dict[str, str],
        retag: bool,
    ) -> None:
        """Create, update or delete listeners and their rules; `retag`: the `tags` annotation changed, so
        existing listeners and rules get the new tags too."""
        by_port, extra = kept_listeners(current.listeners if existing_lb else [], desired.listeners)
        wanted_ports = {w.port for w in desired.listeners}
        for listener in extra:
            port = int(listener["Port"])
            self.step(
                "delete",
                "Listener",
                f"{listener['Protocol']}:{port}",
                "DeleteListener",
                {"ListenerArn": listener["ListenerArn"]},
                "duplicate" if port in wanted_ports else "no longer wanted",
            )
        cluster = _cluster(desired)
        for want in desired.listeners:
            certificates = [arn for ref in want.certificates for arn in cert_arns.get(ref, [ref])]
            if want.protocol == "HTTPS" and not certificates:  # a requested certificate not issued yet
                waiting = by_port.get(want.port)  # keeps what it has, so its certificates stay too
                if waiting is not None:
                    attached = waiting.get("Certificates", []) + current.listener_certificates.get(
                        waiting["ListenerArn"], []
                    )
                    self._certificates_in_use.update(c["CertificateArn"] for c in attached)
                continue
            default_actions = _resolve_actions(want.default_actions, tg_arns)
            name = f"{want.protocol}:{want.port}"
            have = by_port.get(want.port)
            listener_arn: Arn
            if have is None:
                body: dict[str, Any] = {
                    "LoadBalancerArn": lb_arn,
                    "Protocol": want.protocol,
                    "Port": want.port,
                    "DefaultActions": default_actions,
                    "Tags": naming.tag_list(
                        {
                            **user_tags,
                            **naming.ownership_tags(
                                cluster, desired.stack, naming.ROLE_LISTENER + str(want.port)
                            ),
                        }
                    ),
                }
                if want.protocol == "HTTPS":
                    body["SslPolicy"] = want.ssl_policy
                    body["Certificates"] = [{"CertificateArn": certificates[0]}]
                mtls = _mutual_authentication(want, current)
                if mtls is not None:
                    body["MutualAuthentication"] = mtls
                listener_arn = Ref(
                    self.step(
                        "create",
                        "Listener",
                        name,
                        "CreateListener",
                        body,
                        field=want.fields.get("mutual_authentication") if mtls else None,
                    ).key,
                    "ListenerArn",
                )
                self.listener_attributes(want, listener_arn, {})
                if want.protocol == "HTTPS" and len(certificates) > 1:
                    self.step(
                        "update",
                        "Listener",
                        name,
                        "AddListenerCertificates",
                        {
                            "ListenerArn": listener_arn,
                            "Certificates": [{"CertificateArn": c} for c in certificates[1:]],
                        },
                        "SNI certificates",
                    )
                existing_rules: list[dict[str, Any]] = []
            else:
                kept_arn: str = have["ListenerArn"]
                listener_arn = kept_arn
                self.update_listener(want, have, certificates, default_actions, current)
                self.listener_attributes(want, kept_arn, current.listener_attributes.get(kept_arn, {}))
                existing_rules = current.rules.get(kept_arn, [])
            tags = {**user_tags, **naming.ownership_tags(cluster, desired.stack, naming.ROLE_RULE)}
            self.rules(
                name,
                listener_arn,
                want,
                existing_rules,
                tg_arns,
                cluster,
                desired.stack,
                tags,
                current,
                retag and have is not None,
                user_tags,
            )

    def update_listener(
        self,
        want: DesiredListener,
        have: dict[str, Any],
        certificates: list[Arn],
        default_actions: list[dict[str, Any]],
        current: CurrentStack,
    ) -> None:
        name = f"{want.protocol}:{want.port}"
        arn = have["ListenerArn"]
        params: dict[str, Any] = {}
        changes: dict[str, tuple[Any, Any]] = {}
        reasons = []
        if have["Protocol"] != want.protocol:
            params["Protocol"] = want.protocol
            changes["Protocol"] = (have["Protocol"], want.protocol)
            reasons.append("protocol")
        default_cert = next((c["CertificateArn"] for c in have.get("Certificates", [])), None)
        if want.protocol == "HTTPS":
            if have.get("SslPolicy") != want.ssl_policy:
                params["SslPolicy"] = want.ssl_policy
                changes["SslPolicy"] = (have.get("SslPolicy"), want.ssl_policy)
                reasons.append("ssl policy")
            if default_cert != certificates[0] or "Protocol" in params:
                params["Certificates"] = [{"CertificateArn": certificates[0]}]
                changes["Certificates"] = (default_cert, certificates[0])
                reasons.append("default certificate")
        mtls = _mutual_authentication(want, current)
        if mtls is not None and _mtls_drifted(mtls, have.get("MutualAuthentication")):
            params["MutualAuthentication"] = mtls
            changes["MutualAuthentication"] = (have.get("MutualAuthentication"), mtls)
            reasons.append("mutual TLS")
        if canonical_actions(have.get("DefaultActions", [])) != canonical_actions(default_actions):
            params["DefaultActions"] = default_actions
            changes["DefaultActions"] = (have.get("DefaultActions", []), default_actions)
            reasons.append("default action")
        if params:
            self.step(
                "update",
                "Listener",
                name,
                "ModifyListener",
                {"ListenerArn": arn, **params},
                ", ".join(reasons),
                changes,
                field=want.fields.get("mutual_authentication") if "MutualAuthentication" in params else None,
            )
        if want.protocol != "HTTPS":
            return
        # A new default certificate: the SNI list is asserted again in full (not every ELB keeps it on
        # ModifyListener; adding a certificate already listed changes nothing).
        self.sni_certificates(
            name,
            arn,
            current.listener_certificates.get(arn, []),
            certificates[0],
            list(certificates[1:]),
            reassert="Certificates" in params,
        )

    def listener_attributes(self, want: DesiredListener, arn: Arn, have: dict[str, str]) -> None:
        """Set the listener attributes that differ (the others are left as they are, as in the anchor)."""
        changed = {k: v for k, v in sorted(want.attributes.items()) if have.get(k) != v}
        if not changed:
            return
        self.step(
            "update",
            "Listener",
            f"{want.protocol}:{want.port}",
            "ModifyListenerAttributes",
            {"ListenerArn": arn, "Attributes": attribute_list(changed)},
            f"attributes {changed}",
            {k: (have.get(k), v) for k, v in changed.items()},
            field=want.fields.get("attributes"),
        )

    def rules(
        self,
        listener_name: str,
        listener_arn: Arn,
        want: DesiredListener,
        existing: list[dict[str, Any]],
        tg_arns: dict[str, Arn],
        cluster: str,
        stack: str,
        tags: dict[str, str],
        current: CurrentStack,
        retag: bool,
        user_tags: dict[str, str],
    ) -> None:
        """Converge the rules of a listener: delete, rewrite, reorder and create; then the tags of the kept
        ones (a rotated OIDC client secret, a changed `tags` annotation)."""
        resolved = [
            DesiredRule(
                r.priority,
                r.conditions,
                _resolve_actions(r.actions, tg_arns),
                r.spec_index,
                r.label,
                r.transforms,
            )
            for r in want.rules
        ]
        rules = plan_rules(resolved, existing)
        for arn in rules.delete:
            self.step(
                "delete", "Rule", f"{listener_name} {arn.rsplit('/', 1)[-1]}", "DeleteRule", {"RuleArn": arn}
            )
        by_arn = {r["RuleArn"]: r for r in existing}
        for arn, rule in rules.modify:
            have = by_arn[arn]
            body: dict[str, Any] = {"RuleArn": arn, "Conditions": rule.conditions, "Actions": rule.actions}
            changed = {
                "Conditions": (have.get("Conditions"), rule.conditions),
                "Actions": (have.get("Actions"), rule.actions),
            }
            if rule.transforms or have.get("Transforms"):  # rewrites are replaced whole, or reset
                body.update({"Transforms": rule.transforms} if rule.transforms else {"ResetTransforms": True})
                changed["Transforms"] = (have.get("Transforms"), rule.transforms)
            self.step(
                "update",
                "Rule",
                f"{listener_name} #{rule.priority}",
                "ModifyRule",
                body,
                rule.label,
                changed,
                field=rule.label,
            )
        if rules.priorities:
            # Two steps so that swapping priorities never collides: park the rules above every wanted priority.
            parked = [
                {"RuleArn": arn, "Priority": PARK_PRIORITY + i} for i, (arn, _) in enumerate(rules.priorities)
            ]
            self.step(
                "update",
                "Rule",
                listener_name,
                "SetRulePriorities",
                {"RulePriorities": parked},
                "reorder (step 1)",
            )
            self.step(
                "update",
                "Rule",
                listener_name,
                "SetRulePriorities",
                {"RulePriorities": [{"RuleArn": arn, "Priority": p} for arn, p in rules.priorities]},
                "reorder",
                {arn: (int(by_arn[arn]["Priority"]), p) for arn, p in rules.priorities},
            )
        for rule in rules.create:
            secret_tag = naming.client_secret_tag(cluster, stack, rule.actions)
            self.step(
                "create",
                "Rule",
                f"{listener_name} #{rule.priority}",
                "CreateRule",
                {
                    "ListenerArn": listener_arn,
                    "Priority": rule.priority,
                    "Conditions": rule.conditions,
                    "Actions": rule.actions,
                    **({"Transforms": rule.transforms} if rule.transforms else {}),
                    "Tags": naming.tag_list({**tags, **secret_tag}),
                },
                rule.label,
                field=rule.label,
            )
        # AWS never returns an OIDC ClientSecret, so a rotated Secret is noticed by a fingerprint tag: a kept rule
        # whose tag is stale gets its actions again; rewritten rules (already sent the secret) only get the tag.
        tagged: set[str] = set()
        kept = {arn for arn, _ in rules.keep}
        for arn, rule in [*rules.keep, *rules.modify]:
            secret_tag = naming.client_secret_tag(cluster, stack, rule.actions)
            have_tags = current.tags.get(arn, {})
            if (
                not secret_tag
                or have_tags.get(naming.CLIENT_SECRET_TAG) == secret_tag[naming.CLIENT_SECRET_TAG]
            ):
                continue
            if arn in kept:
                self.step(
                    "update",
                    "Rule",
                    f"{listener_name} #{rule.priority}",
                    "ModifyRule",
                    {"RuleArn": arn, "Actions": rule.actions},
                    "OIDC client credentials",
                    {"Actions": ("(client secret rotated)", rule.actions)},
                )
            self.tags("Rule", listener_name, arn, {**tags, **secret_tag}, have_tags)
            tagged.add(arn)
        if not retag:
            return
        listener_tags = {
            **user_tags,
            **naming.ownership_tags(cluster, stack, naming.ROLE_LISTENER + str(want.port)),
        }
        self.tags(
            "Listener", listener_name, listener_arn, listener_tags, current.tags.get(str(listener_arn), {})
        )
        wanted_rule = {arn: rule for arn, rule in [*rules.keep, *rules.modify]}
        for existing_rule in existing:
            arn = existing_rule["RuleArn"]
            if existing_rule.get("IsDefault") or arn in rules.delete or arn in tagged:
                continue
            rule_ = wanted_rule.get(arn)
            secret_tag = naming.client_secret_tag(cluster, stack, rule_.actions) if rule_ is not None else {}
            self.tags("Rule", listener_name, arn, {**tags, **secret_tag}, current.tags.get(arn, {}))

    # ----------------------------------------------------------------- targets

    def targets(self, name: str, arn: Arn, have: set[tuple[str, int]], wanted: set[tuple[str, int]]) -> None:
        for step in target_steps(name, arn, have, wanted):
            self._keys.add(step.key)
            self.out.steps.append(step)


def target_steps(name: str, arn: Arn, have: set[tuple[str, int]], wanted: set[tuple[str, int]]) -> list[Step]:
    """Deregister and register only the difference, in batches (also the targets-only fast path's plan)."""
    steps = []
    for i, batch in enumerate(target_ops.batches(list(have - wanted)), 1):
        steps.append(
            Step(
                f"TargetGroup {name}: DeregisterTargets #{i}",
                "update",
                "TargetGroup",
                name,
                "DeregisterTargets",
                {"TargetGroupArn": arn, "Targets": batch},
                {"Targets": (f"{len(have)} registered", f"{len(wanted)} wanted")},
                detail=f"deregister {len(batch)} targets",
            )
        )
    for i, batch in enumerate(target_ops.batches(list(wanted - have)), 1):
        steps.append(
            Step(
                f"TargetGroup {name}: RegisterTargets #{i}",
                "update",
                "TargetGroup",
                name,
                "RegisterTargets",
                {"TargetGroupArn": arn, "Targets": batch},
                {"Targets": (f"{len(have)} registered", f"{len(wanted)} wanted")},
                detail=f"register {len(batch)} targets",
            )
        )
    return steps


def _resolve_actions(actions: list[dict[str, Any]], tg_arns: dict[str, Arn]) -> list[dict[str, Any]]:
    """Actions with target group references replaced by ARNs (or the Refs of the steps creating them)."""
    out = []
    for action in actions:
        action = {**action}
        if "ForwardConfig" in action:
            forward = {**action["ForwardConfig"]}
            forward["TargetGroups"] = [
                {**g, "TargetGroupArn": tg_arns.get(g["TargetGroupArn"], g["TargetGroupArn"])}
                for g in forward["TargetGroups"]
            ]
            action["ForwardConfig"] = forward
        out.append(action)
    return out


def _imported(secret: str, content_hash: str | None, current: list[dict[str, Any]]) -> str | None:
    """ARN of our imported certificate for this Secret with this content hash, if any."""
    role = naming.ROLE_CERTIFICATE + secret
    for item in current:
        tags = item["Tags"]
        if tags.get(naming.RESOURCE_TAG) == role and tags.get(naming.CONTENT_HASH_TAG) == (
            content_hash or ""
        ):
            return str(item["CertificateArn"])
    return None


def _mutual_authentication(want: DesiredListener, current: CurrentStack) -> dict[str, Any] | None:
    """The listener's MutualAuthentication with a trust store named by name replaced by its ARN."""
    if want.mutual_authentication is None:
        return None
    mtls = dict(want.mutual_authentication)
    store = mtls.get("TrustStoreArn", "")
    if store.startswith(TRUST_STORE_NAME_REF):
        mtls["TrustStoreArn"] = current.trust_stores[store[len(TRUST_STORE_NAME_REF) :]]
    return mtls


def _mtls_drifted(want: dict[str, Any], have: dict[str, Any] | None) -> bool:
    """Whether the listener's mutual TLS differs from what is wanted (off and none are the same)."""
    have = have or {}
    if want["Mode"] == "off":
        return have.get("Mode", "off") != "off"
    defaults = {"IgnoreClientCertificateExpiry": False, "AdvertiseTrustStoreCaNames": "off"}
    return any(have.get(key, defaults.get(key)) != value for key, value in want.items())


def _ours(acl: dict[str, Any], keep: dict[str, Any] | None) -> bool:
    """Whether the associated web ACL is the one our tag says we associated (by ARN or by name)."""
    ours = (keep or {}).get("Tags", {}).get(naming.WAF_TAG)
    return ours is not None and ours in (acl.get("ARN"), acl.get("Name"))


def _recording_needs(
    desired: DesiredStack, needs: dict[str, dict[str, tuple[int, int]]], current: CurrentStack
) -> DesiredStack:
    """`desired` with each new target group tagged with the ranges it needs on the node/pod security groups;
    a kept one keeps its record here (it changes after the rules, at the end of the plan)."""
    groups = {}
    for key, tg in desired.target_groups.items():
        existing = matching_target_group(tg, current.target_groups)
        if existing is not None:
            record = {k: v for k, v in existing["Tags"].items() if k.startswith(naming.NODE_SG_TAG)}
        else:
            record = naming.node_sg_tags(needs.get(key, {}))
        groups[key] = dataclasses.replace(tg, tags={**tg.tags, **record}) if record else tg
    return dataclasses.replace(desired, target_groups=groups)


def _cluster(desired: DesiredStack) -> str:
    return desired.cluster
