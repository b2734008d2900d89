"""Pure comparisons between desired and existing AWS resources (what needs to change)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .naming import ATTRIBUTES_TAG, MANAGED_TAGS, NODE_SG_TAG, RESOURCE_TAG, ROLE_TARGET_GROUP, is_our_tag
from .translate import (
    DesiredListener,
    DesiredLoadBalancer,
    DesiredRule,
    DesiredTargetGroup,
    TargetGroupHealthCheck,
)

HEALTH_CHECK_KEYS = (
    "HealthCheckEnabled",
    "HealthCheckProtocol",
    "HealthCheckPort",
    "HealthCheckPath",
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
    "Matcher",
)
REDIRECT_DEFAULTS = {
    "Protocol": "#{protocol}",
    "Port": "#{port}",
    "Host": "#{host}",
    "Path": "/#{path}",
    "Query": "#{query}",
}
_WRITE_ONLY = ("ClientSecret", "UseExistingClientSecret")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def canonical_actions(actions: list[dict[str, Any]]) -> str:
    """A comparable form of an action list that ignores what AWS fills in or never returns."""
    out = []
    for action in sorted(actions, key=lambda a: int(a.get("Order") or 0)):
        kind = action["Type"]
        if kind == "forward":
            forward = action.get("ForwardConfig") or {}
            groups = forward.get("TargetGroups") or [{"TargetGroupArn": action.get("TargetGroupArn")}]
            pairs = sorted(
                (str(g["TargetGroupArn"]), int(g.get("Weight", 1) if g.get("Weight") is not None else 1))
                for g in groups
            )
            sticky = forward.get("TargetGroupStickinessConfig") or {}
            enabled = bool(sticky.get("Enabled", False))
            out.append([kind, pairs, enabled, sticky.get("DurationSeconds") if enabled else None])
        elif kind == "redirect":
            out.append([kind, {**REDIRECT_DEFAULTS, **action["RedirectConfig"]}])
        elif kind == "fixed-response":
            out.append([kind, {k: v for k, v in action["FixedResponseConfig"].items() if v is not None}])
        elif kind == "jwt-validation":
            jwt = action.get("JwtValidationConfig") or {}
            claims = sorted(_json(c) for c in jwt.get("AdditionalClaims") or [])
            out.append([kind, jwt.get("JwksEndpoint"), jwt.get("Issuer"), claims])
        else:
            key = "AuthenticateOidcConfig" if kind == "authenticate-oidc" else "AuthenticateCognitoConfig"
            config = {k: v for k, v in action.get(key, {}).items() if k not in _WRITE_ONLY}
            config["SessionTimeout"] = int(config.get("SessionTimeout") or 0)
            out.append([kind, config])
    return _json(out)


_CONFIG_KEYS = (
    "HostHeaderConfig",
    "PathPatternConfig",
    "HttpHeaderConfig",
    "HttpRequestMethodConfig",
    "QueryStringConfig",
    "SourceIpConfig",
)


def canonical_conditions(conditions: list[dict[str, Any]]) -> str:
    out = []
    for condition in conditions:
        config = next(
            ({k: v for k, v in condition[key].items() if v} for key in _CONFIG_KEYS if key in condition),
            {"Values": condition.get("Values", [])},
        )
        out.append([condition["Field"], config])
    return _json(sorted(out, key=_json))


def canonical_transforms(transforms: list[dict[str, Any]] | None) -> str:
    """A comparable form of a rule's transforms (AWS lists none as an empty list or leaves them out)."""
    return _json(sorted(transforms or [], key=lambda t: str(t.get("Type"))))


def health_check_changes(desired: TargetGroupHealthCheck, current: Mapping[str, Any]) -> dict[str, object]:
    """ModifyTargetGroup parameters that differ from the existing target group (as DescribeTargetGroups
    returns it)."""
    changes: dict[str, object] = {}
    for key in HEALTH_CHECK_KEYS:
        want = desired.get(key)
        have = current.get(key)
        if key == "Matcher":
            have = {k: v for k, v in (have or {}).items() if v}
        if want is not None and str(want) != str(have):
            changes[key] = want
    return changes


# AWS defaults of the attributes an annotation may set, restored when the annotation no longer sets them
# (Elastic Load Balancing API reference: LoadBalancerAttribute, TargetGroupAttribute).
LOAD_BALANCER_DEFAULTS: dict[str, str] = {
    "access_logs.s3.enabled": "false",
    "access_logs.s3.bucket": "",
    "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false",
    "connection_logs.s3.bucket": "",
    "connection_logs.s3.prefix": "",
    "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "routing.http.xff_header_processing.mode": "append",
    "routing.http2.enabled": "true",
    "waf.fail_open.enabled": "false",
    "zonal_shift.config.enabled": "false",
}
TARGET_GROUP_DEFAULTS: dict[str, str] = {
    "deregistration_delay.timeout_seconds": "300",
    "slow_start.duration_seconds": "0",
    "stickiness.enabled": "false",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}


def attributes_to_restore(
    desired: dict[str, str], tags: dict[str, str], defaults: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """(attribute → AWS default for attributes we set before but no longer want, keys whose default is unknown).
    What we set before is read from the bookkeeping tag."""
    recorded = tags.get(ATTRIBUTES_TAG, "")
    before = set(defaults) if recorded == "*" else {k for k in recorded.split(",") if k}
    gone = before - set(desired)
    return {k: defaults[k] for k in sorted(gone) if k in defaults}, sorted(
        k for k in gone if k not in defaults
    )


def attribute_changes(desired: dict[str, str], current: list[dict[str, str]]) -> dict[str, str]:
    """Desired attributes whose value differs (attributes we do not set are left as they are)."""
    have = {a["Key"]: str(a.get("Value", "")) for a in current}
    return {k: v for k, v in desired.items() if have.get(k) != str(v)}


def tag_changes(desired: dict[str, str], current: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to add or update, keys to remove); `aws:` tags and our ownership tags are never removed."""
    add = {k: v for k, v in desired.items() if current.get(k) != v}
    remove = sorted(
        k
        for k in current
        if k not in desired
        and not k.startswith("aws:")
        and (not is_our_tag(k) or k in MANAGED_TAGS or k.startswith(NODE_SG_TAG))
    )
    return add, remove


@dataclass
class RulePlan:
    delete: list[str] = field(default_factory=list)  # rule ARNs
    modify: list[tuple[str, DesiredRule]] = field(default_factory=list)
    priorities: list[tuple[str, int]] = field(default_factory=list)  # (rule ARN, new priority)
    create: list[DesiredRule] = field(default_factory=list)
    # identical as far as AWS describes them:
    keep: list[tuple[str, DesiredRule]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.delete or self.modify or self.priorities or self.create)


def plan_rules(desired: list[DesiredRule], existing: list[dict[str, Any]]) -> RulePlan:
    """Keep identical rules (moving them if needed), modify the rest in place, delete and create the remainder.
    `desired` actions must already hold ARNs."""
    plan = RulePlan()
    pool = [r for r in existing if not r.get("IsDefault")]
    pool.sort(key=lambda r: int(r["Priority"]))
    key_of = {
        r["RuleArn"]: (
            canonical_conditions(r["Conditions"]),
            canonical_actions(r["Actions"]),
            canonical_transforms(r.get("Transforms")),
        )
        for r in pool
    }
    unmatched: list[DesiredRule] = []
    for rule in desired:
        key = (
            canonical_conditions(rule.conditions),
            canonical_actions(rule.actions),
            canonical_transforms(rule.transforms),
        )
        match = next((r for r in pool if key_of[r["RuleArn"]] == key), None)
        if match is None:
            unmatched.append(rule)
            continue
        pool.remove(match)
        plan.keep.append((match["RuleArn"], rule))
        if int(match["Priority"]) != rule.priority:
            plan.priorities.append((match["RuleArn"], rule.priority))
    for rule in unmatched:
        if pool:
            reuse = pool.pop(0)
            plan.modify.append((reuse["RuleArn"], rule))
            if int(reuse["Priority"]) != rule.priority:
                plan.priorities.append((reuse["RuleArn"], rule.priority))
        else:
            plan.create.append(rule)
    plan.delete = [r["RuleArn"] for r in pool]
    return plan


def security_group_permissions(group: dict[str, Any], protocol: str = "tcp") -> set[tuple[int, str]]:
    """(port, source) pairs of a security group's single-port ingress permissions of `protocol`; a source is a
    CIDR or a managed prefix list ID."""
    out = set()
    for perm in group.get("IpPermissions", []):
        if perm.get("IpProtocol") != protocol or perm.get("FromPort") != perm.get("ToPort"):
            continue
        for r in perm.get("IpRanges", []):
            out.add((int(perm["FromPort"]), r["CidrIp"]))
        for r in perm.get("Ipv6Ranges", []):
            out.add((int(perm["FromPort"]), r["CidrIpv6"]))
        for r in perm.get("PrefixListIds", []):
            out.add((int(perm["FromPort"]), r["PrefixListId"]))
    return out


def ip_permissions(
    pairs: set[tuple[int, str]] | list[tuple[int, str]], protocol: str = "tcp"
) -> list[dict[str, Any]]:
    perms = []
    for port, source in sorted(pairs):
        if source.startswith("pl-"):
            key, item = "PrefixListIds", {"PrefixListId": source}
        elif ":" in source:
            key, item = "Ipv6Ranges", {"CidrIpv6": source}
        else:
            key, item = "IpRanges", {"CidrIp": source}
        perms.append({"IpProtocol": protocol, "FromPort": port, "ToPort": port, key: [item]})
    return perms


# --------------------------------------------------------------------------- which existing resource is which


def matching_target_group(want: DesiredTargetGroup, groups: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Our existing target group for a backend: its role tag and its name (the name hashes what AWS cannot change)."""
    role = ROLE_TARGET_GROUP + want.key
    return next(
        (g for g in groups if g["Tags"].get(RESOURCE_TAG) == role and g["TargetGroupName"] == want.name), None
    )


def matching_load_balancer(want: DesiredLoadBalancer, lbs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Our existing load balancer of the wanted name, scheme and customer-owned IPv4 pool (what AWS cannot
    change in place; the others are replaced or duplicates)."""
    return next(
        (
            lb
            for lb in lbs
            if lb["LoadBalancerName"] == want.name
            and lb["Scheme"] == want.scheme
            and lb.get("CustomerOwnedIpv4Pool") == want.customer_owned_ipv4_pool
        ),
        None,
    )


def kept_listeners(
    existing: list[dict[str, Any]], wanted: list[DesiredListener]
) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """(port → the existing listener kept for it, the listeners to delete: unwanted ports and duplicates)."""
    ports = {w.port for w in wanted}
    by_port: dict[int, dict[str, Any]] = {}
    extra = []
    for listener in sorted(existing, key=lambda item: item["ListenerArn"]):
        port = int(listener["Port"])
        if port in ports and port not in by_port:
            by_port[port] = listener
        else:
            extra.append(listener)
    return by_port, extra
