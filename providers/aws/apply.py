"""Converge one stack: diff desired against discovered, and apply in dependency order
(SG → certificates → TGs → LB → listeners → rules → targets; deletions in reverse).

In plan mode (`dry_run`) nothing mutating is called: each change is recorded, and resources that
would be created get placeholder ARNs so later steps can still be planned.
"""

from __future__ import annotations

import time
from typing import Any

from lbctl.cloudcalls import note
from lbctl.provider import Change, ProviderError, StackInput

from . import acm, naming
from . import targets as target_ops
from .clients import TAGS_FIELD, AwsClients, error_code
from .diff import (
    LOAD_BALANCER_DEFAULTS,
    TARGET_GROUP_DEFAULTS,
    attribute_changes,
    attributes_to_restore,
    canonical_actions,
    health_check_changes,
    ip_permissions,
    plan_rules,
    security_group_permissions,
    tag_changes,
)
from .discover import CurrentStack
from .network import resolve_security_groups, resolve_subnets
from .stack import (
    CERT_DISCOVER_REF,
    CERT_SECRET_REF,
    TG_KEY_REF,
    TG_NAME_REF,
    DesiredListener,
    DesiredRule,
    DesiredStack,
    DesiredTargetGroup,
)
from .translate import stack_error

PLACEHOLDER = "<new "
TAGS_PER_CALL = 10  # AddTags takes at most 10 tags per call (moto enforces it too)
NAME_FIELD = "metadata.annotations[alb.ingress.kubernetes.io/load-balancer-name]"


def _is_new(arn: str) -> bool:
    return arn.startswith(PLACEHOLDER)


class Reconciler:
    """Records and (unless dry_run) applies the changes for one stack."""

    def __init__(self, clients: AwsClients, cluster: str, vpc_id: str | None, dry_run: bool,
                 delete_retry_seconds: float = 30.0) -> None:  # fmt: skip
        self.clients = clients
        self.cluster = cluster
        self.vpc_id = vpc_id
        self.dry_run = dry_run
        self.delete_retry_seconds = delete_retry_seconds
        self.changes: list[Change] = []
        self.warnings: list[str] = []
        self._vpc_for_targets: str | None = None
        self._spec: Any = None
        self.created: set[str] = set()  # ARNs created by this converge: known to be empty, not described
        self.failures: list[ProviderError] = []  # user-fixable rejections stepped past (the rest was applied)
        self.target_group_arns: dict[str, str] = {}  # backend key → ARN, after converge

    # ----------------------------------------------------------------- helpers

    def mutate(self, change: Change, service: str, operation: str, field_ref: str | None = None,
               **kwargs: Any) -> Any:  # fmt: skip
        """Record `change` and (unless planning) make the call; a failure carries the resource and the Ingress
        field (`field_ref`, when known) for the message the user sees."""
        self.changes.append(change)
        if self.dry_run:
            return None
        try:
            return self.clients.call(service, operation, **kwargs)
        except Exception as exc:
            note(exc, resource=f"{change.kind} {change.name}", field=field_ref)
            raise

    def _user_fixable(self, exc: BaseException) -> ProviderError | None:
        error = self.clients.caller.provider_error(exc)
        return error if error is not None and error.user_fixable else None

    def _step_past(self, change: Change, service: str, operation: str, field_ref: str | None = None,
                   **kwargs: Any) -> bool:  # fmt: skip
        """A mutation that nothing later depends on (a rule): if AWS rejects it for a reason the user can fix,
        keep the failure to report and go on with the rest of the stack. False when it was rejected."""
        try:
            self.mutate(change, service, operation, field_ref, **kwargs)
            return True
        except Exception as exc:
            error = self._user_fixable(exc)
            if error is None:
                raise
        self.changes.remove(change)
        self.failures.append(error)
        return False

    def _delete_when_free(self, change: Change, service: str, operation: str, busy: tuple[str, ...],
                          cleanup: bool = False, **kwargs: Any) -> bool:  # fmt: skip
        """Delete something AWS may still see as in use for a moment; False (and a warning) if it stays busy.
        With `cleanup` (deleting the whole stack), a rejection the user must fix — still in use by something
        we do not own, any other 4xx — is kept in `failures` naming the resource, and False returned."""
        deadline = time.monotonic() + self.delete_retry_seconds
        delay = 0.5
        while True:
            try:
                self.mutate(change, service, operation, **kwargs)
                return True
            except Exception as exc:
                code = error_code(exc)
                if code not in busy:
                    error = self._user_fixable(exc) if cleanup else None
                    if error is None:
                        raise
                    self.changes.pop()
                    self.failures.append(_cleanup_error(change, str(error), "fix what the cloud reports, or delete "
                                                        "the resource by hand"))  # fmt: skip
                    return False
                self.changes.pop()
                if time.monotonic() + delay > deadline:
                    if cleanup:
                        why = self._user_fixable(exc) or exc
                        self.failures.append(_cleanup_error(change, str(why), "remove what still uses it (something "
                                                            "lbctl does not own), or delete it by hand"))  # fmt: skip
                    else:
                        self.warnings.append(f"{change.kind} {change.name} is still in use ({code}); "
                                             "it will be deleted by a later converge")  # fmt: skip
                    return False
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _update_tags(self, kind: str, name: str, arn: str, desired: dict[str, str], current: dict[str, str]) -> None:
        add, remove = tag_changes(desired, current)
        if remove:
            self.mutate(Change("update", kind, name, f"remove tags {', '.join(remove)}"), "elbv2", "RemoveTags",
                        ResourceArns=[arn], TagKeys=remove)  # fmt: skip
        items = naming.tag_list(add)
        for start in range(0, len(items), TAGS_PER_CALL):
            batch = items[start : start + TAGS_PER_CALL]
            try:
                self.mutate(Change("update", kind, name, f"tags {', '.join(t['Key'] for t in batch)}"), "elbv2",
                            "AddTags", ResourceArns=[arn], Tags=batch)  # fmt: skip
            except Exception as exc:
                if error_code(exc) != "TooManyTags" or self._spec is None:
                    raise
                raise stack_error(self._spec, TAGS_FIELD, f"AWS refused more tags on {kind} {name} (TooManyTags); "
                                  "set fewer tags") from None  # fmt: skip

    def _describe_tags(self, arns: list[str]) -> dict[str, dict[str, str]]:
        """ARN → tags of ELB resources (20 ARNs per call)."""
        out: dict[str, dict[str, str]] = {}
        for start in range(0, len(arns), 20):
            described = self.clients.call("elbv2", "DescribeTags", ResourceArns=arns[start : start + 20])
            out.update({d["ResourceArn"]: naming.tag_dict(d.get("Tags")) for d in described["TagDescriptions"]})
        return out

    # ----------------------------------------------------------------- delete everything

    def delete_stack(self, current: CurrentStack) -> bool:
        """Delete every resource of ours in the stack (reverse dependency order); True when all are gone.

        A resource AWS refuses to delete for a reason the user must fix goes to `failures` (naming it), and
        the rest of the order still runs where it can: target groups, the security group and certificates
        are independent of each other, but all wait for the load balancer (its listeners use them)."""
        done = True
        for lb in current.load_balancers:
            change = Change("delete", "LoadBalancer", lb["LoadBalancerName"])
            try:
                self.mutate(change, "elbv2", "DeleteLoadBalancer", LoadBalancerArn=lb["LoadBalancerArn"])
            except Exception as exc:
                error = self._user_fixable(exc)
                if error is None:
                    raise
                self.changes.remove(change)
                self.failures.append(_cleanup_error(change, str(error), "fix what the cloud reports (e.g. turn "
                                                    "deletion protection off), or delete it by hand; its target "
                                                    "groups, security group and certificates wait for it"))  # fmt: skip
                done = False
        if not done:
            return False
        for tg in current.target_groups:
            done &= self._delete_when_free(Change("delete", "TargetGroup", tg["TargetGroupName"]), "elbv2",
                                           "DeleteTargetGroup", ("ResourceInUse",), True,
                                           TargetGroupArn=tg["TargetGroupArn"])  # fmt: skip
        for sg in current.security_groups:
            done &= self._delete_when_free(Change("delete", "SecurityGroup", sg["GroupName"]), "ec2",
                                           "DeleteSecurityGroup", ("DependencyViolation",), True,
                                           GroupId=sg["GroupId"])  # fmt: skip
        for cert in current.certificates:
            done &= self._delete_when_free(Change("delete", "Certificate", cert["Tags"].get(naming.RESOURCE_TAG, "")),
                                           "acm", "DeleteCertificate", ("ResourceInUseException",), True,
                                           CertificateArn=cert["CertificateArn"])  # fmt: skip
        return done

    # ----------------------------------------------------------------- converge

    def converge(self, desired: DesiredStack, current: CurrentStack, stack_input: StackInput) -> str | None:
        """Make AWS match `desired`; returns the load balancer's DNS name (None in plan mode for a new one)."""
        spec = stack_input.spec
        self._spec = spec
        subnets = resolve_subnets(self.clients, spec, self.cluster, self.vpc_id)
        subnet_ids = [s["SubnetId"] for s in subnets]
        vpc_id = self.vpc_id or subnets[0]["VpcId"]

        managed_sg = self._security_group(desired, current, vpc_id)
        security_groups = [managed_sg] if managed_sg else resolve_security_groups(self.clients, spec, vpc_id)

        cert_arns, used_certs = self._certificates(desired, current, stack_input)
        self._vpc_for_targets = vpc_id
        tg_arns, obsolete_tgs = self._target_groups(desired, current)
        tg_arns.update(self._external_target_groups(desired))

        lb, address = self._load_balancer(desired, current, subnet_ids, security_groups)
        user_tags = naming.user_tags(desired.load_balancer.tags)
        retag = "Tags" in lb and naming.user_tags(lb["Tags"]) != user_tags
        self._listeners(desired, lb, cert_arns, tg_arns, user_tags, retag)
        if "Tags" in lb:  # an existing load balancer: its tags last, so they say the listeners and rules are done
            self._update_tags("LoadBalancer", desired.load_balancer.name, lb["LoadBalancerArn"],
                              desired.load_balancer.tags, lb["Tags"])  # fmt: skip

        for key, tg in desired.target_groups.items():
            self._targets(tg, tg_arns[TG_KEY_REF + key], stack_input.targets.get(key, []))
        self.target_group_arns = {key: tg_arns[TG_KEY_REF + key] for key in desired.target_groups}

        for tg in obsolete_tgs:
            self._delete_when_free(Change("delete", "TargetGroup", tg["TargetGroupName"]), "elbv2",
                                   "DeleteTargetGroup", ("ResourceInUse",), TargetGroupArn=tg["TargetGroupArn"])  # fmt: skip
        for sg in current.security_groups:
            if sg["GroupId"] != managed_sg:
                self._delete_when_free(Change("delete", "SecurityGroup", sg["GroupName"]), "ec2",
                                       "DeleteSecurityGroup", ("DependencyViolation",), GroupId=sg["GroupId"])  # fmt: skip
        for cert in current.certificates:
            if cert["CertificateArn"] not in used_certs:
                self._delete_when_free(Change("delete", "Certificate", cert["Tags"].get(naming.RESOURCE_TAG, "")),
                                       "acm", "DeleteCertificate", ("ResourceInUseException",),
                                       CertificateArn=cert["CertificateArn"])  # fmt: skip
        return address

    # ----------------------------------------------------------------- security group

    def _security_group(self, desired: DesiredStack, current: CurrentStack, vpc_id: str) -> str | None:
        want = desired.security_group
        if want is None:
            return None
        existing = next((g for g in current.security_groups if g["GroupName"] == want.name and g["VpcId"] == vpc_id), None)
        if existing is None:
            result = self.mutate(Change("create", "SecurityGroup", want.name, f"ingress {len(want.ingress)} rules"),
                                 "ec2", "CreateSecurityGroup", GroupName=want.name, Description=want.description,
                                 VpcId=vpc_id, TagSpecifications=[{"ResourceType": "security-group",
                                                                   "Tags": naming.tag_list(want.tags)}])  # fmt: skip
            group_id = result["GroupId"] if result else PLACEHOLDER + "SecurityGroup>"
            have: set[tuple[int, str]] = set()
        else:
            group_id = existing["GroupId"]
            have = security_group_permissions(existing)
        wanted = set(want.ingress)
        if wanted - have:
            self.mutate(Change("update", "SecurityGroup", want.name, f"allow {sorted(wanted - have)}"), "ec2",
                        "AuthorizeSecurityGroupIngress", GroupId=group_id, IpPermissions=ip_permissions(wanted - have))  # fmt: skip
        if have - wanted:
            self.mutate(Change("update", "SecurityGroup", want.name, f"revoke {sorted(have - wanted)}"), "ec2",
                        "RevokeSecurityGroupIngress", GroupId=group_id, IpPermissions=ip_permissions(have - wanted))  # fmt: skip
        return group_id

    # ----------------------------------------------------------------- certificates

    def _certificates(self, desired: DesiredStack, current: CurrentStack,
                      stack_input: StackInput) -> tuple[dict[str, list[str]], set[str]]:  # fmt: skip
        """ARNs per certificate reference, and our imported certificates still in use."""
        arns: dict[str, list[str]] = {}
        used: set[str] = set()
        finder = acm.CertificateFinder(self.clients)
        for cert in desired.certificates:
            if cert.ref.startswith(CERT_SECRET_REF):
                arn = acm.find_imported(cert, current.certificates)
                if arn is None:
                    ref = acm.secret_ref(cert)
                    self.changes.append(Change("create", "Certificate", ref, "import from Secret into ACM"))
                    if self.dry_run:
                        arn = PLACEHOLDER + f"Certificate {ref}>"
                    else:
                        arn = acm.import_certificate(self.clients, stack_input.spec, self.cluster, cert,
                                                     stack_input.tls.get(ref))  # fmt: skip
                used.add(arn)
                arns[cert.ref] = [arn]
            elif cert.ref.startswith(CERT_DISCOVER_REF):
                arns[cert.ref] = finder.find(stack_input.spec, cert.hosts)
        return arns, used

    # ----------------------------------------------------------------- target groups

    def _target_groups(self, desired: DesiredStack,
                       current: CurrentStack) -> tuple[dict[str, str], list[dict[str, Any]]]:  # fmt: skip
        """Create or update each wanted target group; returns reference → ARN and groups to delete later
        (obsolete, replaced, or duplicates left by an interrupted converge)."""
        arns: dict[str, str] = {}
        keep: set[str] = set()
        for key, want in desired.target_groups.items():
            role = naming.ROLE_TARGET_GROUP + key
            existing = next((g for g in current.target_groups
                             if g["Tags"].get(naming.RESOURCE_TAG) == role and g["TargetGroupName"] == want.name), None)  # fmt: skip
            if existing is None:
                arn = self._create_target_group(want, desired)
            else:
                arn = existing["TargetGroupArn"]
                self._update_target_group(want, existing)
            keep.add(arn)
            arns[TG_KEY_REF + key] = arn
        obsolete = [g for g in current.target_groups if g["TargetGroupArn"] not in keep]
        return arns, obsolete

    def _create_target_group(self, want: DesiredTargetGroup, desired: DesiredStack) -> str:
        vpc_id = self._vpc_for_targets
        params: dict[str, Any] = {
            "Name": want.name, "Protocol": want.protocol, "Port": want.port, "VpcId": vpc_id,
            "TargetType": want.target_type, "Tags": naming.tag_list(want.tags), **want.health_check,
        }  # fmt: skip
        if want.protocol_version:
            params["ProtocolVersion"] = want.protocol_version
        detail = f"{want.protocol}:{want.port} {want.target_type} for {want.key}, health {want.health_check['HealthCheckPath']}"
        result = self.mutate(Change("create", "TargetGroup", want.name, detail), "elbv2", "CreateTargetGroup", **params)
        arn = result["TargetGroups"][0]["TargetGroupArn"] if result else PLACEHOLDER + f"TargetGroup {want.name}>"
        self.created.add(arn)
        if want.attributes:
            self.mutate(Change("update", "TargetGroup", want.name, f"attributes {want.attributes}"), "elbv2",
                        "ModifyTargetGroupAttributes", TargetGroupArn=arn,
                        Attributes=[{"Key": k, "Value": str(v)} for k, v in sorted(want.attributes.items())])  # fmt: skip
        return arn

    def _update_target_group(self, want: DesiredTargetGroup, existing: dict[str, Any]) -> None:
        arn = existing["TargetGroupArn"]
        changes = health_check_changes(want.health_check, existing)
        if changes:
            self.mutate(Change("update", "TargetGroup", want.name, f"health check {sorted(changes)}"), "elbv2",
                        "ModifyTargetGroup", TargetGroupArn=arn, **changes)  # fmt: skip
        self._converge_attributes("TargetGroup", want.name, arn, want.attributes, existing["Tags"])
        self._update_tags("TargetGroup", want.name, arn, want.tags, existing["Tags"])

    def _converge_attributes(self, kind: str, name: str, arn: str, wanted: dict[str, str],
                             tags: dict[str, str]) -> None:  # fmt: skip
        """Set the wanted attributes of a TargetGroup or LoadBalancer, and restore the AWS default of those
        we set before but are no longer wanted (recorded in our tags)."""
        defaults = TARGET_GROUP_DEFAULTS if kind == "TargetGroup" else LOAD_BALANCER_DEFAULTS
        restore, unknown = attributes_to_restore(wanted, tags, defaults)
        self._unknown_defaults(kind, name, unknown)
        attributes = {**restore, **wanted}
        if not attributes:
            return
        arn_field = f"{kind}Arn"
        have = self.clients.call("elbv2", f"Describe{kind}Attributes", **{arn_field: arn})["Attributes"]
        diff = attribute_changes(attributes, have)
        if diff:
            self.mutate(Change("update", kind, name, f"attributes {diff}"), "elbv2", f"Modify{kind}Attributes",
                        **{arn_field: arn}, Attributes=[{"Key": k, "Value": v} for k, v in sorted(diff.items())])  # fmt: skip

    def _unknown_defaults(self, kind: str, name: str, keys: list[str]) -> None:
        if keys:
            self.warnings.append(f"{kind} {name}: attributes {', '.join(keys)} are no longer set, but their AWS "
                                 "default is not known to lbctl; they keep their current value")  # fmt: skip

    # ----------------------------------------------------------------- load balancer

    def _load_balancer(self, desired: DesiredStack, current: CurrentStack, subnet_ids: list[str],
                       security_groups: list[str]) -> tuple[dict[str, Any], str | None]:  # fmt: skip
        want = desired.load_balancer
        keep = None
        for lb in current.load_balancers:
            if keep is None and lb["LoadBalancerName"] == want.name and lb["Scheme"] == want.scheme:
                keep = lb
                continue
            reason = "scheme or name changed (AWS cannot change them in place)" if keep is None else "duplicate"
            self.mutate(Change("replace" if keep is None else "delete", "LoadBalancer", lb["LoadBalancerName"], reason),
                        "elbv2", "DeleteLoadBalancer", LoadBalancerArn=lb["LoadBalancerArn"])  # fmt: skip
        if keep is None:
            keep = self._adopt_by_name(want)
        if keep is None:
            params: dict[str, Any] = {
                "Name": want.name, "Subnets": subnet_ids, "SecurityGroups": security_groups, "Scheme": want.scheme,
                "Type": "application", "IpAddressType": want.ip_address_type, "Tags": naming.tag_list(want.tags),
            }  # fmt: skip
            result = self.mutate(Change("create", "LoadBalancer", want.name, f"{want.scheme}, subnets {subnet_ids}"),
                                 "elbv2", "CreateLoadBalancer", **params)  # fmt: skip
            lb = result["LoadBalancers"][0] if result else {"LoadBalancerArn": PLACEHOLDER + f"LoadBalancer {want.name}>",
                                                            "DNSName": None}  # fmt: skip
            self.created.add(lb["LoadBalancerArn"])
            if want.attributes:
                self.mutate(Change("update", "LoadBalancer", want.name, f"attributes {want.attributes}"), "elbv2",
                            "ModifyLoadBalancerAttributes", LoadBalancerArn=lb["LoadBalancerArn"],
                            Attributes=[{"Key": k, "Value": str(v)} for k, v in sorted(want.attributes.items())])  # fmt: skip
            if want.waf_acl_arn:
                self.mutate(Change("update", "LoadBalancer", want.name, "associate WAFv2 web ACL"), "wafv2",
                            "AssociateWebACL", WebACLArn=want.waf_acl_arn, ResourceArn=lb["LoadBalancerArn"])  # fmt: skip
            return lb, lb.get("DNSName")
        arn = keep["LoadBalancerArn"]
        have_subnets = sorted(z["SubnetId"] for z in keep.get("AvailabilityZones", []))
        if have_subnets != sorted(subnet_ids):
            self.mutate(Change("update", "LoadBalancer", want.name, f"subnets {subnet_ids}"), "elbv2", "SetSubnets",
                        LoadBalancerArn=arn, Subnets=subnet_ids)  # fmt: skip
        if sorted(keep.get("SecurityGroups", [])) != sorted(security_groups):
            self.mutate(Change("update", "LoadBalancer", want.name, f"security groups {security_groups}"), "elbv2",
                        "SetSecurityGroups", LoadBalancerArn=arn, SecurityGroups=security_groups)  # fmt: skip
        if keep.get("IpAddressType") != want.ip_address_type:
            self.mutate(Change("update", "LoadBalancer", want.name, f"ip address type {want.ip_address_type}"),
                        "elbv2", "SetIpAddressType", LoadBalancerArn=arn, IpAddressType=want.ip_address_type)  # fmt: skip
        self._converge_attributes("LoadBalancer", want.name, arn, want.attributes, keep["Tags"])
        if want.waf_acl_arn:
            acl = self.clients.call("wafv2", "GetWebACLForResource", ResourceArn=arn).get("WebACL") or {}
            if acl.get("ARN") != want.waf_acl_arn:
                self.mutate(Change("update", "LoadBalancer", want.name, "associate WAFv2 web ACL"), "wafv2",
                            "AssociateWebACL", WebACLArn=want.waf_acl_arn, ResourceArn=arn)  # fmt: skip
        elif naming.WAF_TAG in keep["Tags"]:  # we associated one before: only then is there one to remove
            acl = self.clients.call("wafv2", "GetWebACLForResource", ResourceArn=arn).get("WebACL") or {}
            if acl:
                self.mutate(Change("update", "LoadBalancer", want.name, "disassociate WAFv2 web ACL"), "wafv2",
                            "DisassociateWebACL", ResourceArn=arn)  # fmt: skip
        return keep, keep.get("DNSName")

    def _adopt_by_name(self, want: Any) -> dict[str, Any] | None:
        """Before creating: a load balancer of this name that the tagging index does not list yet (it lags
        behind creations) is adopted when its tags say it is ours; one owned by anybody else is an error."""
        try:
            found = self.clients.call("elbv2", "DescribeLoadBalancers", Names=[want.name])["LoadBalancers"]
        except Exception as exc:
            if error_code(exc) == "LoadBalancerNotFound":
                return None
            raise
        tags = self._describe_tags([lb["LoadBalancerArn"] for lb in found])
        for lb in found:
            lb["Tags"] = tags.get(lb["LoadBalancerArn"], {})
            owner = {k: lb["Tags"].get(k) for k in (naming.CLUSTER_TAG, naming.STACK_TAG)}
            if owner == {naming.CLUSTER_TAG: self.cluster, naming.STACK_TAG: want.tags[naming.STACK_TAG]} \
                    and lb.get("Scheme") == want.scheme:  # fmt: skip
                return lb
        raise stack_error(self._spec, NAME_FIELD, f"a load balancer named {want.name} already exists and is not "
                          "owned by this Ingress group; choose another load-balancer-name")  # fmt: skip

    # ----------------------------------------------------------------- listeners and rules

    @staticmethod
    def _resolve_actions(actions: list[dict[str, Any]], tg_arns: dict[str, str]) -> list[dict[str, Any]]:
        out = []
        for action in actions:
            action = {**action}
            if "ForwardConfig" in action:
                forward = {**action["ForwardConfig"]}
                forward["TargetGroups"] = [{**g, "TargetGroupArn": tg_arns.get(g["TargetGroupArn"], g["TargetGroupArn"])}
                                           for g in forward["TargetGroups"]]  # fmt: skip
                action["ForwardConfig"] = forward
            out.append(action)
        return out

    def _listeners(self, desired: DesiredStack, lb: dict[str, Any], cert_arns: dict[str, list[str]],
                   tg_arns: dict[str, str], user_tags: dict[str, str], retag: bool) -> None:  # fmt: skip
        """Create, update or delete listeners and their rules; `retag`: the `tags` annotation changed, so
        existing listeners and rules get the new tags too."""
        lb_arn = lb["LoadBalancerArn"]
        existing = [] if _is_new(lb_arn) or lb_arn in self.created else self.clients.pages(
            "elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=lb_arn)
        by_port: dict[int, dict[str, Any]] = {}
        for listener in sorted(existing, key=lambda item: item["ListenerArn"]):
            port = int(listener["Port"])
            wanted = any(w.port == port for w in desired.listeners)
            if wanted and port not in by_port:
                by_port[port] = listener
                continue
            self.mutate(Change("delete", "Listener", f"{listener['Protocol']}:{port}",
                               "duplicate" if wanted else "no longer wanted"), "elbv2", "DeleteListener",
                        ListenerArn=listener["ListenerArn"])  # fmt: skip
        for want in desired.listeners:
            certificates = [arn for ref in want.certificates for arn in cert_arns.get(ref, [ref])]
            default_actions = self._resolve_actions(want.default_actions, tg_arns)
            name = f"{want.protocol}:{want.port}"
            have = by_port.get(want.port)
            if have is None:
                params: dict[str, Any] = {
                    "LoadBalancerArn": lb_arn, "Protocol": want.protocol, "Port": want.port,
                    "DefaultActions": default_actions,
                    "Tags": naming.tag_list({**user_tags, **naming.ownership_tags(
                        self.cluster, desired.stack, naming.ROLE_LISTENER + str(want.port))}),
                }  # fmt: skip
                if want.protocol == "HTTPS":
                    params["SslPolicy"] = want.ssl_policy
                    params["Certificates"] = [{"CertificateArn": certificates[0]}]
                result = self.mutate(Change("create", "Listener", name), "elbv2", "CreateListener", **params)
                listener_arn = result["Listeners"][0]["ListenerArn"] if result else PLACEHOLDER + f"Listener {name}>"
                if want.protocol == "HTTPS" and len(certificates) > 1:
                    self.mutate(Change("update", "Listener", name, "SNI certificates"), "elbv2",
                                "AddListenerCertificates", ListenerArn=listener_arn,
                                Certificates=[{"CertificateArn": c} for c in certificates[1:]])  # fmt: skip
                existing_rules: list[dict[str, Any]] = []
            else:
                listener_arn = have["ListenerArn"]
                self._update_listener(want, have, certificates, default_actions)
                existing_rules = [] if _is_new(listener_arn) else self.clients.pages(
                    "elbv2", "DescribeRules", "Rules", ListenerArn=listener_arn)
            kept = self._rules(name, listener_arn, want, existing_rules, tg_arns, desired.stack, user_tags)
            if retag and have is not None:
                roles = {listener_arn: naming.ROLE_LISTENER + str(want.port), **dict.fromkeys(kept, naming.ROLE_RULE)}
                for arn, tags in self._describe_tags(list(roles)).items():
                    wanted = {**user_tags, **naming.ownership_tags(self.cluster, desired.stack, roles[arn])}
                    self._update_tags("Rule" if arn in kept else "Listener", name, arn, wanted, tags)

    def _update_listener(self, want: DesiredListener, have: dict[str, Any], certificates: list[str],
                         default_actions: list[dict[str, Any]]) -> None:  # fmt: skip
        name = f"{want.protocol}:{want.port}"
        arn = have["ListenerArn"]
        params: dict[str, Any] = {}
        reasons = []
        if have["Protocol"] != want.protocol:
            params["Protocol"] = want.protocol
            reasons.append("protocol")
        if want.protocol == "HTTPS":
            if have.get("SslPolicy") != want.ssl_policy:
                params["SslPolicy"] = want.ssl_policy
                reasons.append("ssl policy")
            default_cert = next((c["CertificateArn"] for c in have.get("Certificates", [])), None)
            if default_cert != certificates[0] or "Protocol" in params:
                params["Certificates"] = [{"CertificateArn": certificates[0]}]
                reasons.append("default certificate")
        if canonical_actions(have.get("DefaultActions", [])) != canonical_actions(default_actions):
            params["DefaultActions"] = default_actions
            reasons.append("default action")
        if params:
            self.mutate(Change("update", "Listener", name, ", ".join(reasons)), "elbv2", "ModifyListener",
                        ListenerArn=arn, **params)  # fmt: skip
        if want.protocol == "HTTPS":
            listed = self.clients.call("elbv2", "DescribeListenerCertificates", ListenerArn=arn)["Certificates"]
            have_sni = {c["CertificateArn"] for c in listed if not c.get("IsDefault")}
            want_sni = set(certificates[1:])
            if want_sni - have_sni:
                self.mutate(Change("update", "Listener", name, "add SNI certificates"), "elbv2",
                            "AddListenerCertificates", ListenerArn=arn,
                            Certificates=[{"CertificateArn": c} for c in sorted(want_sni - have_sni)])  # fmt: skip
            stale = have_sni - want_sni - {certificates[0]}
            if stale:
                self.mutate(Change("update", "Listener", name, "remove SNI certificates"), "elbv2",
                            "RemoveListenerCertificates", ListenerArn=arn,
                            Certificates=[{"CertificateArn": c} for c in sorted(stale)])  # fmt: skip

    def _rules(self, listener_name: str, listener_arn: str, want: DesiredListener, existing: list[dict[str, Any]],
               tg_arns: dict[str, str], stack: str, user_tags: dict[str, str]) -> list[str]:  # fmt: skip
        """Converge the rules of a listener; returns the ARNs of the existing rules that stay."""
        resolved = [DesiredRule(r.priority, r.conditions, self._resolve_actions(r.actions, tg_arns), r.spec_index,
                                r.label) for r in want.rules]  # fmt: skip
        plan = plan_rules(resolved, existing)
        for arn in plan.delete:
            self.mutate(Change("delete", "Rule", f"{listener_name} {arn.rsplit('/', 1)[-1]}"), "elbv2", "DeleteRule",
                        RuleArn=arn)  # fmt: skip
        for arn, rule in plan.modify:
            self._step_past(Change("update", "Rule", f"{listener_name} #{rule.priority}", rule.label), "elbv2",
                            "ModifyRule", rule.label, RuleArn=arn, Conditions=rule.conditions, Actions=rule.actions)  # fmt: skip
        if plan.priorities:
            # Two steps so that swapping priorities never collides: park the rules above every wanted priority.
            parked = [{"RuleArn": arn, "Priority": 40000 + i} for i, (arn, _) in enumerate(plan.priorities)]
            self.mutate(Change("update", "Rule", listener_name, "reorder (step 1)"), "elbv2", "SetRulePriorities",
                        RulePriorities=parked)  # fmt: skip
            self.mutate(Change("update", "Rule", listener_name, "reorder"), "elbv2", "SetRulePriorities",
                        RulePriorities=[{"RuleArn": arn, "Priority": p} for arn, p in plan.priorities])  # fmt: skip
        tags = {**user_tags, **naming.ownership_tags(self.cluster, stack, naming.ROLE_RULE)}
        for rule in plan.create:
            secret_tag = naming.client_secret_tag(self.cluster, stack, rule.actions)
            self._step_past(Change("create", "Rule", f"{listener_name} #{rule.priority}", rule.label), "elbv2",
                            "CreateRule", rule.label, ListenerArn=listener_arn, Priority=rule.priority,
                            Conditions=rule.conditions, Actions=rule.actions, Tags=naming.tag_list({**tags, **secret_tag}))  # fmt: skip
        self._client_secrets(listener_name, stack, plan.keep, plan.modify, tags)
        return [r["RuleArn"] for r in existing if not r.get("IsDefault") and r["RuleArn"] not in plan.delete]

    def _client_secrets(self, listener_name: str, stack: str, kept: list[tuple[str, DesiredRule]],
                        modified: list[tuple[str, DesiredRule]], tags: dict[str, str]) -> None:  # fmt: skip
        """AWS never returns an OIDC ClientSecret, so a rotated Secret is noticed by a fingerprint tag: a kept rule
        whose tag is stale gets its actions again; modified rules (already sent the secret) only get the tag."""
        wanted = {arn: naming.client_secret_tag(self.cluster, stack, rule.actions)
                  for arn, rule in [*kept, *modified] if not _is_new(arn)}  # fmt: skip
        wanted = {arn: tag for arn, tag in wanted.items() if tag}
        if not wanted:
            return
        current = self._describe_tags(sorted(wanted))
        resend = {arn for arn, _ in kept}
        for arn, rule in [*kept, *modified]:
            if arn not in wanted or current.get(arn, {}).get(naming.CLIENT_SECRET_TAG) == wanted[arn][naming.CLIENT_SECRET_TAG]:
                continue
            if arn in resend:
                self.mutate(Change("update", "Rule", f"{listener_name} #{rule.priority}", "OIDC client credentials"),
                            "elbv2", "ModifyRule", RuleArn=arn, Actions=rule.actions)  # fmt: skip
            self._update_tags("Rule", listener_name, arn, {**tags, **wanted[arn]}, current.get(arn, {}))

    # ----------------------------------------------------------------- targets

    def _targets(self, want: DesiredTargetGroup, arn: str, targets: list[Any]) -> None:
        wanted = target_ops.wanted(targets)
        have = set() if _is_new(arn) or arn in self.created else target_ops.registered(self.clients, arn)
        for batch in target_ops.batches(list(have - wanted)):
            self.mutate(Change("update", "TargetGroup", want.name, f"deregister {len(batch)} targets"), "elbv2",
                        "DeregisterTargets", TargetGroupArn=arn, Targets=batch)  # fmt: skip
        for batch in target_ops.batches(list(wanted - have)):
            self.mutate(Change("update", "TargetGroup", want.name, f"register {len(batch)} targets"), "elbv2",
                        "RegisterTargets", TargetGroupArn=arn, Targets=batch)  # fmt: skip

    def _external_target_groups(self, desired: DesiredStack) -> dict[str, str]:
        """ARNs of existing target groups named in forward actions (`targetGroupName`)."""
        names = sorted({g["TargetGroupArn"][len(TG_NAME_REF):] for lst in desired.listeners for rule in lst.rules
                        for action in rule.actions for g in action.get("ForwardConfig", {}).get("TargetGroups", [])
                        if g["TargetGroupArn"].startswith(TG_NAME_REF)})  # fmt: skip
        out = {}
        for name in names:
            groups = self.clients.call("elbv2", "DescribeTargetGroups", Names=[name])["TargetGroups"]
            out[TG_NAME_REF + name] = groups[0]["TargetGroupArn"]
        return out


def _cleanup_error(change: Change, why: str, fix: str) -> ProviderError:
    """A resource of ours that could not be deleted: it keeps the finalizer until it is gone."""
    why = why.replace(f" for {change.kind} {change.name}", "")
    return ProviderError(f"{change.kind} {change.name} could not be deleted: {why}; {fix}. The finalizer stays "
                         "until it is gone", user_fixable=True, cleanup=True)  # fmt: skip
