"""Find what exists of a stack in AWS (reads only): our resources by their ownership tags (never by name), and
for a desired stack everything its plan compares with: subnets, named security groups and target groups,
discovered certificates, the kept load balancer's listeners, rules, attributes and web ACL, target health."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lbctl.model.spec import NONE, LoadBalancerSpec

from . import acm, naming
from .backend_sg import BackendView, discover_backend, instance_targets
from .clients import AwsClients, error_code
from .diff import (
    LOAD_BALANCER_DEFAULTS,
    TARGET_GROUP_DEFAULTS,
    attributes_to_restore,
    kept_listeners,
    matching_load_balancer,
    matching_target_group,
)
from .naming import CLUSTER_TAG, STACK_TAG, tag_dict
from .network import resolve_security_groups, resolve_subnets
from .targets import registered
from .translate import CERT_DISCOVER_REF, TRUST_STORE_NAME_REF, DesiredLoadBalancer, DesiredStack, stack_error

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
    # What a desired stack's plan compares with (read only when discovering for a desired stack):
    vpc_id: str | None = None
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)  # the ones the spec names (none: managed)
    discovered_certificates: dict[str, list[str]] = field(default_factory=dict)  # discover ref → ARNs
    external_target_groups: dict[str, str] = field(default_factory=dict)  # name → ARN
    load_balancer: dict[str, Any] | None = None  # the one kept: tagged ours, or adopted by name
    listeners: list[dict[str, Any]] = field(default_factory=list)  # of the kept load balancer
    rules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # listener ARN → its rules
    # listener ARN → its certificates:
    listener_certificates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    attributes: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # ARN → Describe*Attributes
    web_acls: dict[str, dict[str, Any]] = field(default_factory=dict)  # load balancer ARN → WebACL ({}: none)
    web_acl_names: dict[str, str] = field(default_factory=dict)  # WAFv2 web ACL name → ARN
    waf_classic: dict[str, str] = field(default_factory=dict)  # load balancer ARN → WAF Classic ACL ID ("")
    shield: dict[str, dict[str, Any]] = field(default_factory=dict)  # load balancer ARN → Protection ({})
    capacity: dict[str, int | None] = field(default_factory=dict)  # load balancer ARN → reserved units
    trust_stores: dict[str, str] = field(default_factory=dict)  # trust store name → ARN
    requested: dict[str, dict[str, Any]] = field(default_factory=dict)  # request ref → DescribeCertificate
    # DNS validation of requested certificates: record name → (hosted zone ID, the CNAME value it has or None)
    validation_records: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    listener_attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # listener ARN → attributes
    targets: dict[str, set[tuple[str, int]]] = field(default_factory=dict)  # target group ARN → registered
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # listener/rule ARN → tags (when compared)
    backend: BackendView | None = None  # the shared backend SG and node rules (None: not looked at)
    # the frontend NLB's (enable-frontend-nlb), kept apart from the ALB's: providers/aws/frontend_nlb.py
    frontend_load_balancers: list[dict[str, Any]] = field(default_factory=list)
    frontend_target_groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.load_balancers
            or self.target_groups
            or self.security_groups
            or self.certificates
            or self.frontend_load_balancers
            or self.frontend_target_groups
        )


def tagged_resources(
    clients: AwsClients, filters: list[dict[str, Any]], types: list[str]
) -> dict[str, dict[str, str]]:
    """ARN → tags of every resource of `types` carrying the tag filters (Resource Groups Tagging API)."""
    found: dict[str, dict[str, str]] = {}
    for item in clients.pages(
        "resourcegroupstaggingapi",
        "GetResources",
        "ResourceTagMappingList",
        token_in="PaginationToken",
        token_out="PaginationToken",
        TagFilters=filters,
        ResourceTypeFilters=types,
    ):
        found[item["ResourceARN"]] = tag_dict(item.get("Tags"))
    return found


def _describe_each(
    clients: AwsClients, operation: str, arg: str, result_key: str, arns: list[str], not_found: str
) -> list[dict[str, Any]]:
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


def discover(
    clients: AwsClients,
    cluster: str,
    stack: str,
    desired: DesiredStack | None = None,
    spec: LoadBalancerSpec | None = None,
    vpc_id: str | None = None,
    instances: dict[str, list[dict[str, Any]]] | None = None,
) -> CurrentStack:
    """Every resource tagged as belonging to `stack` of `cluster`; with `desired` (and its `spec`) also what
    its plan compares with. Reads only."""
    current = _tagged_stack(clients, cluster, stack)
    if desired is not None and spec is not None:
        _details(clients, cluster, desired, spec, vpc_id, current)
    recorded = any(naming.parse_node_sg_tags(tg["Tags"]) for tg in current.target_groups)
    wants = desired is not None and desired.backend is not None
    if wants or recorded or (desired is None and current.load_balancers):  # else no stake in it
        targets = desired.targets if desired is not None and desired.backend is not None else {}
        by_instance = instance_targets(desired.target_groups, targets) if desired is not None else set()
        current.backend = discover_backend(
            clients,
            cluster,
            stack,
            current.vpc_id or vpc_id,
            targets,
            by_instance,
            desired.target_instances if desired is not None else {},
            instances,
            desired.backend.health_check_ports if wants and desired and desired.backend else {},
            _recorded(desired, current) if wants else None,
        )
    return current


def stack_load_balancers(
    clients: AwsClients, cluster: str, stack: str, types: list[str]
) -> tuple[dict[str, dict[str, str]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The resources of `types` tagged as `stack` of `cluster` (ARN → tags), and their load balancers and
    target groups described, each with its tags; one gone between the two reads is left out."""
    filters: list[dict[str, Any]] = [
        {"Key": CLUSTER_TAG, "Values": [cluster]},
        {"Key": STACK_TAG, "Values": [stack]},
    ]
    tagged = tagged_resources(clients, filters, types)
    lb_arns = sorted(a for a in tagged if ":loadbalancer/" in a)
    tg_arns = sorted(a for a in tagged if ":targetgroup/" in a)
    lbs = _describe_each(
        clients, "DescribeLoadBalancers", "LoadBalancerArns", "LoadBalancers", lb_arns, "LoadBalancerNotFound"
    )
    tgs = _describe_each(
        clients, "DescribeTargetGroups", "TargetGroupArns", "TargetGroups", tg_arns, "TargetGroupNotFound"
    )
    for lb in lbs:
        lb["Tags"] = tagged[lb["LoadBalancerArn"]]
    for tg in tgs:
        tg["Tags"] = tagged[tg["TargetGroupArn"]]
    return tagged, list(lbs), list(tgs)


def _tagged_stack(clients: AwsClients, cluster: str, stack: str) -> CurrentStack:
    tagged, lbs, tgs = stack_load_balancers(clients, cluster, stack, [LB_TYPE, TG_TYPE, ACM_TYPE])
    current = CurrentStack()
    for lb in lbs:
        (
            current.frontend_load_balancers if naming.is_frontend_nlb(lb["Tags"]) else current.load_balancers
        ).append(lb)
    for tg in tgs:
        (
            current.frontend_target_groups if naming.is_frontend_nlb(tg["Tags"]) else current.target_groups
        ).append(tg)
    current.certificates = [
        {"CertificateArn": arn, "Tags": tags}
        for arn, tags in sorted(tagged.items())
        if ":certificate/" in arn
    ]
    current.security_groups = stack_security_groups(clients, cluster, stack)
    return current


def stack_security_groups(clients: AwsClients, cluster: str, stack: str) -> list[dict[str, Any]]:
    """Our security groups of the stack (by their tags), each with its tags as a dict."""
    found = clients.ec2_pages(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=[
            {"Name": f"tag:{CLUSTER_TAG}", "Values": [cluster]},
            {"Name": f"tag:{STACK_TAG}", "Values": [stack]},
        ],
    )
    for sg in found:
        sg["Tags"] = tag_dict(sg.get("Tags"))
    return list(found)


def _recorded(
    desired: DesiredStack | None, current: CurrentStack
) -> dict[str, dict[str, tuple[int, int]]] | None:
    """Per backend key the node/pod SG ranges its existing target group records (None: a target group that
    goes away records some, so the rules change)."""
    if desired is None:
        return None
    out: dict[str, dict[str, tuple[int, int]]] = {}
    kept: set[str] = set()
    for key, want in desired.target_groups.items():
        group = matching_target_group(want, current.target_groups)
        if group is not None:
            kept.add(group["TargetGroupArn"])
            ranges = naming.parse_node_sg_tags(group["Tags"])
            if ranges:
                out[key] = ranges
    stale = any(
        naming.parse_node_sg_tags(g["Tags"]) for g in current.target_groups if g["TargetGroupArn"] not in kept
    )
    return None if stale else out


def describe_tags(clients: AwsClients, arns: list[str]) -> dict[str, dict[str, str]]:
    """ARN → tags of ELB resources (20 ARNs per call)."""
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        described = clients.call("elbv2", "DescribeTags", ResourceArns=arns[start : start + 20])
        out.update({d["ResourceArn"]: tag_dict(d.get("Tags")) for d in described["TagDescriptions"]})
    return out


def _details(
    clients: AwsClients,
    cluster: str,
    desired: DesiredStack,
    spec: LoadBalancerSpec,
    vpc_id: str | None,
    current: CurrentStack,
) -> None:
    subnets = resolve_subnets(clients, spec, cluster, vpc_id)
    current.subnet_ids = [s["SubnetId"] for s in subnets]
    current.vpc_id = vpc_id or subnets[0]["VpcId"]
    if desired.security_group is None:
        current.security_group_ids = resolve_security_groups(clients, spec, current.vpc_id)
    finder = acm.CertificateFinder(clients)
    for cert in desired.certificates:
        if cert.ref.startswith(CERT_DISCOVER_REF):
            current.discovered_certificates[cert.ref] = finder.find(spec, cert.hosts)
    for cert in desired.certificates:
        if cert.request_for is not None:
            role = naming.ROLE_REQUESTED_CERTIFICATE + cert.request_for
            mine = next(
                (
                    c["CertificateArn"]
                    for c in current.certificates
                    if c["Tags"].get(naming.RESOURCE_TAG) == role
                    and c["Tags"].get(naming.CONTENT_HASH_TAG) == cert.content_hash
                ),
                None,
            )
            if mine is not None:
                described = clients.call("acm", "DescribeCertificate", CertificateArn=mine)["Certificate"]
                current.requested[cert.ref] = described
    _validation_records(clients, current)
    for name in desired.external_target_groups:
        groups = clients.call("elbv2", "DescribeTargetGroups", Names=[name])["TargetGroups"]
        current.external_target_groups[name] = groups[0]["TargetGroupArn"]
    for want in desired.target_groups.values():
        group = matching_target_group(want, current.target_groups)
        if group is not None:
            arn = group["TargetGroupArn"]
            _attributes(
                clients, "TargetGroup", arn, want.attributes, group["Tags"], TARGET_GROUP_DEFAULTS, current
            )
            current.targets[arn] = registered(clients, arn)
    _trust_stores(clients, desired, spec, current)
    want_lb = desired.load_balancer
    if want_lb.waf_acl_name not in (None, NONE):
        current.web_acl_names[str(want_lb.waf_acl_name)] = _web_acl_arn(
            clients, spec, str(want_lb.waf_acl_name)
        )
    lb = matching_load_balancer(want_lb, current.load_balancers) or _adopt_by_name(
        clients, cluster, desired, spec, current
    )
    current.load_balancer = lb
    if lb is None:
        return
    arn = lb["LoadBalancerArn"]
    _attributes(clients, "LoadBalancer", arn, want_lb.attributes, lb["Tags"], LOAD_BALANCER_DEFAULTS, current)
    _add_ons(clients, want_lb, arn, lb["Tags"], current)
    if want_lb.capacity_units is not None:
        current.capacity[arn] = capacity_units(clients, arn)
    current.listeners = clients.pages("elbv2", "DescribeListeners", "Listeners", LoadBalancerArn=arn)
    by_port, _ = kept_listeners(current.listeners, desired.listeners)
    retag = naming.user_tags(lb["Tags"]) != naming.user_tags(want_lb.tags)
    for want_listener in desired.listeners:
        have = by_port.get(want_listener.port)
        if have is None:
            continue
        listener_arn = have["ListenerArn"]
        if want_listener.attributes:  # only when some are set: the anchor never restores one
            found = clients.call("elbv2", "DescribeListenerAttributes", ListenerArn=listener_arn)[
                "Attributes"
            ]
            current.listener_attributes[listener_arn] = {x["Key"]: x["Value"] for x in found}
        if want_listener.protocol == "HTTPS":
            current.listener_certificates[listener_arn] = clients.call(
                "elbv2", "DescribeListenerCertificates", ListenerArn=listener_arn
            )["Certificates"]
        rules = clients.pages("elbv2", "DescribeRules", "Rules", ListenerArn=listener_arn)
        current.rules[listener_arn] = rules
        rule_arns = [r["RuleArn"] for r in rules if not r.get("IsDefault")]
        oidc = any(naming.client_secret_tag(cluster, desired.stack, r.actions) for r in want_listener.rules)
        if retag:  # the `tags` annotation changed: listeners and rules get the new tags too
            current.tags.update(describe_tags(clients, [listener_arn, *rule_arns]))
        elif oidc and rule_arns:  # rotated client secrets are noticed by a fingerprint tag
            current.tags.update(describe_tags(clients, rule_arns))


def _web_acl_arn(clients: AwsClients, spec: LoadBalancerSpec, name: str) -> str:
    """The ARN of the regional WAFv2 web ACL called `name` (an error naming the field if there is none)."""
    for acl in clients.pages(
        "wafv2", "ListWebACLs", "WebACLs", token_in="NextMarker", token_out="NextMarker", Scope="REGIONAL"
    ):
        if acl.get("Name") == name:
            return str(acl["ARN"])
    raise stack_error(
        spec,
        spec.field_of("frontend.waf_acl_name"),
        f"there is no regional WAFv2 web ACL named {name!r} in {clients.region}",
    )


def _validation_records(clients: AwsClients, current: CurrentStack) -> None:
    """For requested certificates waiting for DNS validation: the public hosted zone of each validation record
    (the longest matching zone name) and the value the record has there now. Reads only while some wait."""
    wanted = {
        record["Name"]
        for described in current.requested.values()
        if described.get("Status") == "PENDING_VALIDATION"
        for option in described.get("DomainValidationOptions", [])
        if (record := option.get("ResourceRecord"))
    }
    if not wanted:
        return
    zones = [
        z
        for z in clients.pages("route53", "ListHostedZones", "HostedZones")
        if not (z.get("Config") or {}).get("PrivateZone")
    ]
    for name in sorted(wanted):
        matching = [
            z for z in zones if ("." + name.lower()).endswith("." + z["Name"].lower().rstrip(".") + ".")
        ]
        if not matching:
            continue
        zone = max(matching, key=lambda z: len(z["Name"]))
        found = clients.call(
            "route53",
            "ListResourceRecordSets",
            HostedZoneId=zone["Id"],
            StartRecordName=name,
            StartRecordType="CNAME",
            MaxItems="1",
        )["ResourceRecordSets"]
        value = next(
            (
                r["ResourceRecords"][0]["Value"]
                for r in found
                if r["Name"].lower() == name.lower() and r["Type"] == "CNAME" and r.get("ResourceRecords")
            ),
            None,
        )
        current.validation_records[name] = (str(zone["Id"]).rsplit("/", 1)[-1], value)


def _trust_stores(
    clients: AwsClients, desired: DesiredStack, spec: LoadBalancerSpec, current: CurrentStack
) -> None:
    """The ARNs of the trust stores that `mutual-authentication` names by name."""
    names: dict[str, str] = {}
    for listener in desired.listeners:
        store = (listener.mutual_authentication or {}).get("TrustStoreArn", "")
        if store.startswith(TRUST_STORE_NAME_REF):
            names[store[len(TRUST_STORE_NAME_REF) :]] = listener.fields.get("mutual_authentication", "")
    if not names:
        return
    try:
        found = clients.pages("elbv2", "DescribeTrustStores", "TrustStores", Names=sorted(names))
    except Exception as exc:
        if error_code(exc) != "TrustStoreNotFound":
            raise
        found = []
    current.trust_stores = {store["Name"]: store["TrustStoreArn"] for store in found}
    for name, where in names.items():
        if name not in current.trust_stores:
            raise stack_error(spec, where, f"there is no trust store named {name!r} in {clients.region}")


def capacity_units(clients: AwsClients, arn: str) -> int | None:
    """The minimum capacity units reserved on a load balancer (None: no reservation)."""
    found = clients.call("elbv2", "DescribeCapacityReservation", LoadBalancerArn=arn)
    if not found.get("CapacityReservationState") and not found.get("MinimumLoadBalancerCapacity"):
        return None
    return int((found.get("MinimumLoadBalancerCapacity") or {}).get("CapacityUnits") or 0) or None


def _add_ons(
    clients: AwsClients, want: DesiredLoadBalancer, arn: str, tags: dict[str, str], current: CurrentStack
) -> None:
    """Read the web ACLs and Shield protection of a kept load balancer, only those the spec manages."""
    if want.waf_acl_arn or want.waf_acl_name or naming.WAF_TAG in tags:  # one to compare or remove
        current.web_acls[arn] = (
            clients.call("wafv2", "GetWebACLForResource", ResourceArn=arn).get("WebACL") or {}
        )
    if want.waf_classic_acl_id is not None:
        found = clients.call("waf-regional", "GetWebACLForResource", ResourceArn=arn)
        current.waf_classic[arn] = str((found.get("WebACLSummary") or {}).get("WebACLId") or "")
    if want.shield_protection is not None:
        try:
            current.shield[arn] = clients.call("shield", "DescribeProtection", ResourceArn=arn)["Protection"]
        except Exception as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            current.shield[arn] = {}


def _attributes(
    clients: AwsClients,
    kind: str,
    arn: str,
    wanted: dict[str, str],
    tags: dict[str, str],
    defaults: dict[str, str],
    current: CurrentStack,
) -> None:
    """Read the attributes of a kept TargetGroup or LoadBalancer when there are any to set or restore."""
    restore, _ = attributes_to_restore(wanted, tags, defaults)
    if wanted or restore:
        current.attributes[arn] = clients.call("elbv2", f"Describe{kind}Attributes", **{f"{kind}Arn": arn})[
            "Attributes"
        ]


def _adopt_by_name(
    clients: AwsClients, cluster: str, desired: DesiredStack, spec: LoadBalancerSpec, current: CurrentStack
) -> dict[str, Any] | None:
    """A load balancer of the wanted name that the tagging index does not list yet (it lags behind creations,
    e.g. after a crash right after CreateLoadBalancer) is adopted when its tags say it is ours; one owned by
    anybody else is an error. Ours of another scheme are replaced by the plan, not adopted."""
    want = desired.load_balancer
    try:
        found = clients.call("elbv2", "DescribeLoadBalancers", Names=[want.name])["LoadBalancers"]
    except Exception as exc:
        if error_code(exc) == "LoadBalancerNotFound":
            return None
        raise
    known = {lb["LoadBalancerArn"] for lb in current.load_balancers}
    found = [lb for lb in found if lb["LoadBalancerArn"] not in known]
    if not found:
        return None
    tags = describe_tags(clients, [lb["LoadBalancerArn"] for lb in found])
    for lb in found:
        lb["Tags"] = tags.get(lb["LoadBalancerArn"], {})
        owner = {k: lb["Tags"].get(k) for k in (naming.CLUSTER_TAG, naming.STACK_TAG)}
        if (
            owner == {naming.CLUSTER_TAG: cluster, naming.STACK_TAG: want.tags[naming.STACK_TAG]}
            and lb.get("Scheme") == want.scheme
        ):
            return lb
    raise stack_error(
        spec,
        spec.field_of("frontend.name"),
        f"a load balancer named {want.name} already exists and is not "
        "owned by this Ingress group; choose another load-balancer-name",
    )


def list_stacks(clients: AwsClients, cluster: str) -> list[str]:
    """Stack keys of every stack of `cluster` that still has a resource in AWS."""
    filters = [{"Key": CLUSTER_TAG, "Values": [cluster]}]
    stacks = {
        tags.get(STACK_TAG, "")
        for tags in tagged_resources(clients, filters, [LB_TYPE, TG_TYPE, ACM_TYPE]).values()
    }
    for sg in clients.ec2_pages(
        "DescribeSecurityGroups",
        "SecurityGroups",
        Filters=[{"Name": "tag:" + CLUSTER_TAG, "Values": [cluster]}],
    ):
        stacks.add(tag_dict(sg.get("Tags")).get(STACK_TAG, ""))
    return sorted(s for s in stacks if s)
