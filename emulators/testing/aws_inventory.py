"""Everything in a moto account as comparable plain data: ARNs and IDs replaced by names, so the state of two
independent runs (or before and after a failed converge) can be compared with ==."""

from __future__ import annotations

import json
from typing import Any

from emulators.testing.aws_stacks import Account


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def all_rules(elb: Any, listener_arn: str) -> list[dict[str, Any]]:
    """Every rule of a listener (DescribeRules pages by 50 on moto)."""
    rules: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"ListenerArn": listener_arn}
    while True:
        page = elb.describe_rules(**kwargs)
        rules += page["Rules"]
        if not page.get("NextMarker"):
            return rules
        kwargs["Marker"] = page["NextMarker"]


def inventory(account: Account) -> dict[str, Any]:
    """Load balancers with listeners, rules, attributes and tags; target groups with health checks, attributes,
    tags and targets; security groups; ACM certificates; web ACL associations."""
    elb, ec2, acm = account.client("elbv2"), account.client("ec2"), account.client("acm")
    names: dict[str, str] = {}
    load_balancers = elb.describe_load_balancers()["LoadBalancers"]
    for lb in load_balancers:
        names[lb["LoadBalancerArn"]] = "lb:" + lb["LoadBalancerName"]
    groups = elb.describe_target_groups()["TargetGroups"]
    for tg in groups:
        names[tg["TargetGroupArn"]] = "tg:" + tg["TargetGroupName"]
    sgs = ec2.describe_security_groups()["SecurityGroups"]
    for sg in sgs:
        names[sg["GroupId"]] = "sg:" + sg["GroupName"]
    certs = acm.list_certificates()["CertificateSummaryList"]
    for cert in certs:
        tags = _tags(acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]).get("Tags"))
        names[cert["CertificateArn"]] = "cert:" + tags.get("lbctl.io/resource", cert.get("DomainName", ""))

    for acl in account.client("wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]:
        names[acl["ARN"]] = "acl:" + acl["Name"]
    for index, instance in enumerate(account.instances):
        names[instance] = f"instance-{index}"
    names[account.vpc_id] = "vpc"

    def clean(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True, default=str)
        for arn, name in names.items():
            text = text.replace(arn, name)
        return json.loads(text)

    def elb_tags(arn: str) -> dict[str, str]:
        return _tags(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"])

    out: dict[str, Any] = {
        "load_balancers": {},
        "target_groups": {},
        "security_groups": {},
        "certificates": [],
    }
    waf = account.client("wafv2")
    for lb in load_balancers:
        arn = lb["LoadBalancerArn"]
        listeners = {}
        for listener in elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
            rules = all_rules(elb, listener["ListenerArn"])
            listed = (
                elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"]
                if listener["Protocol"] == "HTTPS"
                else []
            )
            key = f"{listener['Protocol']}:{listener['Port']}"
            assert key not in listeners, f"duplicate listener {key}"
            listeners[key] = {
                "ssl_policy": listener.get("SslPolicy"),
                "certificates": sorted(c["CertificateArn"] for c in listed)
                or [c["CertificateArn"] for c in listener.get("Certificates", [])],
                "default_actions": listener["DefaultActions"],
                "tags": elb_tags(listener["ListenerArn"]),
                "rules": sorted(
                    (
                        [
                            r["Priority"],
                            r["Conditions"],
                            sorted(r["Actions"], key=lambda a: a.get("Order", 0)),
                            elb_tags(r["RuleArn"]),
                        ]
                        for r in rules
                        if not r["IsDefault"]
                    ),
                    key=lambda r: int(r[0]),
                ),
            }
        attributes = {
            a["Key"]: a["Value"]
            for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        }
        acl = waf.get_web_acl_for_resource(ResourceArn=arn).get("WebACL") or {}
        name = lb["LoadBalancerName"]
        assert name not in out["load_balancers"], f"duplicate load balancer {name}"
        out["load_balancers"][name] = {
            "scheme": lb.get("Scheme"),
            "ip_address_type": lb.get("IpAddressType"),
            "zones": sorted(z["ZoneName"] for z in lb["AvailabilityZones"]),
            "security_groups": sorted(lb["SecurityGroups"], key=lambda g: names.get(g, g)),
            "attributes": attributes,
            "tags": elb_tags(arn),
            "listeners": listeners,
            "web_acl": acl.get("Name"),
        }
    for tg in groups:
        arn = tg["TargetGroupArn"]
        name = tg["TargetGroupName"]
        assert name not in out["target_groups"], f"duplicate target group {name}"
        health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        out["target_groups"][name] = {
            **{k: v for k, v in tg.items() if k not in ("TargetGroupArn", "LoadBalancerArns")},
            # moto keeps deleted load balancers in LoadBalancerArns: list only existing ones
            "LoadBalancerArns": sorted(names[a] for a in tg.get("LoadBalancerArns", []) if a in names),
            "attributes": {
                a["Key"]: a["Value"]
                for a in elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
            },
            "tags": elb_tags(arn),
            "targets": sorted((h["Target"]["Id"], h["Target"]["Port"]) for h in health),
        }
    for sg in sgs:
        if sg["GroupName"] == "default":
            continue
        assert sg["GroupName"] not in out["security_groups"], f"duplicate security group {sg['GroupName']}"
        perms = sorted(
            (
                p.get("IpProtocol"),
                p.get("FromPort"),
                p.get("ToPort"),
                sorted(r["CidrIp"] for r in p.get("IpRanges", [])),
                sorted(
                    (names.get(u["GroupId"], u["GroupId"]), u.get("Description", ""))
                    for u in p.get("UserIdGroupPairs", [])
                ),
            )
            for p in sg.get("IpPermissions", [])
        )
        if sg["GroupName"] == "nodes":  # the account's node security group: only the rules we add to it
            out["node_rules"] = perms
            continue
        out["security_groups"][sg["GroupName"]] = {"permissions": perms, "tags": _tags(sg.get("Tags"))}
    out["certificates"] = sorted(names[c["CertificateArn"]] for c in certs)
    return clean(out)
