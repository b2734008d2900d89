"""What a user checks in the AWS console for one stack, read from AWS (by our tags), in one structure."""

from __future__ import annotations

from typing import Any

from .clients import AwsClients
from .discover import discover
from .naming import is_our_tag

CONSOLE = "https://console.aws.amazon.com/ec2/home?region={region}#"


def _action_text(action: dict[str, Any], tg_names: dict[str, str]) -> str:
    kind = action["Type"]
    if kind == "forward":
        groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
            {"TargetGroupArn": action["TargetGroupArn"]}
        ]
        parts = [
            tg_names.get(g["TargetGroupArn"], g["TargetGroupArn"])
            + (f" ({g['Weight']})" if "Weight" in g else "")
            for g in groups
        ]
        return "forward → " + ", ".join(parts)
    if kind == "redirect":
        cfg = action["RedirectConfig"]
        return f"redirect {cfg.get('StatusCode')} {cfg.get('Protocol', '')}:{cfg.get('Port', '')}{cfg.get('Path', '')}"
    if kind == "fixed-response":
        cfg = action["FixedResponseConfig"]
        return f"fixed-response {cfg.get('StatusCode')}"
    return kind


def _condition_text(condition: dict[str, Any]) -> str:
    field = condition["Field"]
    for key in ("PathPatternConfig", "HostHeaderConfig", "HttpRequestMethodConfig", "SourceIpConfig"):
        if key in condition:
            if condition[key].get("RegexValues"):
                return f"{field} matches {', '.join(condition[key]['RegexValues'])}"
            return f"{field} {', '.join(condition[key].get('Values') or [])}"
    if "HttpHeaderConfig" in condition:
        cfg = condition["HttpHeaderConfig"]
        if cfg.get("RegexValues"):
            return f"http-header {cfg['HttpHeaderName']} matches {', '.join(cfg['RegexValues'])}"
        return f"http-header {cfg['HttpHeaderName']} in {', '.join(cfg.get('Values') or [])}"
    if "QueryStringConfig" in condition:
        pairs = [f"{v.get('Key', '')}={v['Value']}" for v in condition["QueryStringConfig"]["Values"]]
        return f"query-string {', '.join(pairs)}"
    return f"{field} {', '.join(condition.get('Values', []))}"


def _transform_text(transform: dict[str, Any]) -> str:
    config = transform.get("UrlRewriteConfig") or transform.get("HostHeaderRewriteConfig") or {}
    rewrites = "; ".join(f"{r['Regex']} -> {r['Replace']}" for r in config.get("Rewrites", []))
    return f"{transform['Type']} {rewrites}"


def describe_stack(clients: AwsClients, cluster: str, stack: str, region: str) -> dict[str, Any]:
    """Load balancer, listeners, rules (evaluation order), target groups with health, tags, console links."""
    current = discover(clients, cluster, stack)
    console = CONSOLE.format(region=region)
    tg_names = {tg["TargetGroupArn"]: tg["TargetGroupName"] for tg in current.target_groups}
    view: dict[str, Any] = {
        "provider": "aws",
        "stack": stack,
        "load_balancers": [],
        "listeners": [],
        "rules": [],
        "backends": [],
        "others": [],
    }
    for lb in current.load_balancers:
        arn = lb["LoadBalancerArn"]
        view["load_balancers"].append(
            {
                "name": lb["LoadBalancerName"],
                "address": lb.get("DNSName"),
                "scheme": lb.get("Scheme"),
                "state": lb.get("State", {}).get("Code"),
                "type": lb.get("Type"),
                "zones": sorted(z["ZoneName"] for z in lb.get("AvailabilityZones", [])),
                "tags": {k: v for k, v in lb["Tags"].items() if is_our_tag(k)},
                "console": f"{console}LoadBalancer:loadBalancerArn={arn}",
            }
        )
        for listener in clients.call("elbv2", "DescribeListeners", LoadBalancerArn=arn)["Listeners"]:
            name = f"{listener['Protocol']}:{listener['Port']}"
            view["listeners"].append(
                {
                    "listener": name,
                    "certificates": [c["CertificateArn"] for c in listener.get("Certificates", [])],
                    "ssl_policy": listener.get("SslPolicy") if listener["Protocol"] == "HTTPS" else None,
                    "default_action": _action_text(listener["DefaultActions"][-1], tg_names),
                    "console": f"{console}ELBListenerV2:listenerArn={listener['ListenerArn']}",
                }
            )
            rules = (  # an NLB's listeners have no rules
                clients.call("elbv2", "DescribeRules", ListenerArn=listener["ListenerArn"])["Rules"]
                if listener["Protocol"] in ("HTTP", "HTTPS")
                else []
            )
            for rule in sorted(
                rules,
                key=lambda r: (
                    r["Priority"] == "default",
                    int(r["Priority"]) if r["Priority"].isdigit() else 0,
                ),
            ):
                if rule["Priority"] == "default":
                    continue
                actions = rule["Actions"]
                view["rules"].append(
                    {
                        "listener": name,
                        "priority": int(rule["Priority"]),
                        "conditions": [_condition_text(c) for c in rule["Conditions"]],
                        **(
                            {"transforms": [_transform_text(t) for t in rule["Transforms"]]}
                            if rule.get("Transforms")
                            else {}
                        ),
                        "action": " then ".join(
                            _action_text(a, tg_names)
                            if a["Type"] in ("forward", "redirect", "fixed-response")
                            else a["Type"]
                            for a in actions
                        ),
                    }
                )
    for tg in current.target_groups:
        health = clients.call("elbv2", "DescribeTargetHealth", TargetGroupArn=tg["TargetGroupArn"])
        view["backends"].append(
            {
                "name": tg["TargetGroupName"],
                "protocol": f"{tg.get('Protocol')} {tg.get('ProtocolVersion', '')}".strip(),
                "port": tg.get("Port"),
                "target_type": tg.get("TargetType"),
                "health_check": {
                    "protocol": tg.get("HealthCheckProtocol"),
                    "port": tg.get("HealthCheckPort"),
                    "path": tg.get("HealthCheckPath"),
                    "interval": tg.get("HealthCheckIntervalSeconds"),
                    "timeout": tg.get("HealthCheckTimeoutSeconds"),
                    "healthy": tg.get("HealthyThresholdCount"),
                    "unhealthy": tg.get("UnhealthyThresholdCount"),
                    "codes": tg.get("Matcher", {}).get("HttpCode") or tg.get("Matcher", {}).get("GrpcCode"),
                },
                "targets": [
                    {
                        "id": t["Target"]["Id"],
                        "port": t["Target"].get("Port"),
                        "health": t.get("TargetHealth", {}).get("State"),
                    }
                    for t in health["TargetHealthDescriptions"]
                ],
                "tags": {k: v for k, v in tg["Tags"].items() if is_our_tag(k)},
                "console": f"{console}TargetGroup:targetGroupArn={tg['TargetGroupArn']}",
            }
        )
    for sg in current.security_groups:
        view["others"].append(
            {
                "kind": "SecurityGroup",
                "name": sg["GroupId"],
                "console": f"{console}SecurityGroup:groupId={sg['GroupId']}",
                "tags": {k: v for k, v in sg["Tags"].items() if is_our_tag(k)},
            }
        )
    for cert in current.certificates:
        view["others"].append(
            {
                "kind": "Certificate",
                "name": cert["CertificateArn"],
                "console": f"https://console.aws.amazon.com/acm/home?region={region}#/certificates/list",
                "tags": {k: v for k, v in cert["Tags"].items() if is_our_tag(k)},
            }
        )
    return view
