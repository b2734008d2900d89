"""aws-load-balancer-controller's LoadBalancerConfiguration and TargetGroupConfiguration on moto: a Gateway whose
class and own configurations set the ALB's scheme, attributes and tags, and whose Service's target group takes
its health check and target type from a TargetGroupConfiguration over the Gateway's default one (built through
the real model); a second converge makes no write; a changed health check path is one ModifyTargetGroup."""

from __future__ import annotations

from typing import Any

from emulators.testing.aws_stacks import Account, with_nodes
from emulators.testing.certs import self_signed
from emulators.testing.specs import gateway_stack
from lbctl.cloudcalls import is_mutating
from lbctl.provider import StackInput

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec:
  controllerName: lbctl.io/alb
  parametersRef: {group: gateway.k8s.aws, kind: LoadBalancerConfiguration, name: org, namespace: infra}
---
apiVersion: gateway.k8s.aws/v1
kind: LoadBalancerConfiguration
metadata: {name: org, namespace: infra}
spec:
  scheme: internal
  loadBalancerAttributes: [{key: idle_timeout.timeout_seconds, value: "120"}]
  defaultTargetGroupConfiguration: {name: defaults}
---
apiVersion: gateway.k8s.aws/v1
kind: TargetGroupConfiguration
metadata: {name: defaults, namespace: infra}
spec:
  defaultConfiguration:
    targetType: instance
    healthCheckConfig: {healthCheckPath: /ping, healthCheckInterval: 25}
    targetGroupAttributes: [{key: deregistration_delay.timeout_seconds, value: "30"}]
---
apiVersion: gateway.k8s.aws/v1
kind: LoadBalancerConfiguration
metadata: {name: edge, namespace: infra}
spec:
  scheme: internet-facing
  tags: {team: shop}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: lbctl
  infrastructure:
    parametersRef: {group: gateway.k8s.aws, kind: LoadBalancerConfiguration, name: edge}
  listeners:
    - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /cart}}]
      backendRefs: [{name: cart, port: 80}]
    - backendRefs: [{name: web, port: 80}]
---
apiVersion: gateway.k8s.aws/v1
kind: TargetGroupConfiguration
metadata: {name: cart, namespace: shop}
spec:
  targetReference: {name: cart}
  defaultConfiguration:
    healthCheckConfig: {healthCheckPath: /healthz, healthyThresholdCount: 3, matcher: {httpCode: "200-299"}}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30110}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30111}]}
"""


def stack(account: Account, path: str = "/healthz") -> StackInput:
    text = with_nodes(GATEWAY.replace("healthCheckPath: /healthz", f"healthCheckPath: {path}"), account)
    return gateway_stack(text, "aws")


def _tags(elb: Any, arn: str) -> dict[str, str]:
    described = elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in described}


def test_configurations_reach_the_alb_and_its_target_groups(account: Account) -> None:
    provider = account.provider()
    provider.converge(stack(account))
    elb = account.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    assert lb["Scheme"] == "internal"  # the class's configuration wins (mergingMode prefer-gateway-class)
    attributes = elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
    assert {a["Key"]: a["Value"] for a in attributes}["idle_timeout.timeout_seconds"] == "120"
    assert _tags(elb, lb["LoadBalancerArn"])["team"] == "shop"  # the Gateway's: not set by the class's
    groups = {g["Port"]: g for g in elb.describe_target_groups()["TargetGroups"]}
    cart, web = groups[30110], groups[30111]
    # cart: its own health check (whole), the default's target type and attributes
    assert (cart["HealthCheckPath"], cart["HealthyThresholdCount"]) == ("/healthz", 3)
    assert cart["Matcher"]["HttpCode"] == "200-299"
    assert cart["HealthCheckIntervalSeconds"] == 15  # the registry default: not the default TGC's 25
    assert (cart["TargetType"], web["TargetType"]) == ("instance", "instance")
    # web: the Gateway's default configuration alone
    assert (web["HealthCheckPath"], web["HealthCheckIntervalSeconds"]) == ("/ping", 25)
    for group in (cart, web):
        described = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]
        assert {a["Key"]: a["Value"] for a in described}["deregistration_delay.timeout_seconds"] == "30"

    before = provider.stats.total(mutating=True)
    assert provider.converge(stack(account)).changes == []
    assert provider.stats.total(mutating=True) == before

    provider.stats.reset()
    provider.converge(stack(account, "/ready"))
    writes = {k: n for k, n in provider.stats.snapshot().items() if is_mutating(k.split(":")[1])}
    assert writes == {"elbv2:ModifyTargetGroup:ok": 1}
    cart = next(g for g in elb.describe_target_groups()["TargetGroups"] if g["Port"] == 30110)
    assert cart["HealthCheckPath"] == "/ready"


HTTPS = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/alb}
---
apiVersion: gateway.k8s.aws/v1
kind: LoadBalancerConfiguration
metadata: {name: edge, namespace: infra}
spec:
  listenerConfigurations:
    - {protocolPort: "HTTPS:443", defaultCertificate: ARN, sslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: infra}
spec:
  gatewayClassName: lbctl
  infrastructure:
    parametersRef: {group: gateway.k8s.aws, kind: LoadBalancerConfiguration, name: edge}
  listeners:
    - {name: https, port: 443, protocol: HTTPS, tls: {mode: Terminate}, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge, namespace: infra}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30111}]}
"""


def test_an_acm_certificate_of_the_configuration_serves_an_https_listener(account: Account) -> None:
    """An HTTPS listener without certificateRefs takes its certificate (and SSL policy) from the Gateway's
    LoadBalancerConfiguration, as aws-load-balancer-controller's listenerConfigurations give them."""
    cert, key = self_signed("shop.example.com")
    arn = account.client("acm").import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
        "CertificateArn"
    ]
    account.provider().converge(gateway_stack(with_nodes(HTTPS.replace("ARN", arn), account), "aws"))
    elb = account.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert (listener["Port"], listener["Protocol"]) == (443, "HTTPS")
    assert [c["CertificateArn"] for c in listener["Certificates"]] == [arn]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert len(account.client("acm").list_certificates()["CertificateSummaryList"]) == 1  # nothing imported


RULES = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/alb}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: shop}
spec:
  gatewayClassName: lbctl
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.k8s.aws/v1
kind: ListenerRuleConfiguration
metadata: {name: office-only, namespace: shop}
spec:
  conditions: [{field: source-ip, sourceIPConfig: {values: [10.0.0.0/8]}}]
  actions: [{type: forward, forwardConfig: {targetGroupStickinessConfig: {enabled: true, durationSeconds: 300}}}]
---
apiVersion: gateway.k8s.aws/v1
kind: ListenerRuleConfiguration
metadata: {name: closed, namespace: shop}
spec:
  actions: [{type: fixed-response, fixedResponseConfig: {statusCode: 503, contentType: text/plain, messageBody: closed}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules:
    - matches: [{path: {type: PathPrefix, value: /admin}}]
      filters: [{type: ExtensionRef, extensionRef: {group: gateway.k8s.aws, kind: ListenerRuleConfiguration, name: office-only}}]
      backendRefs: [{name: web, port: 80}]
    - matches: [{path: {type: PathPrefix, value: /old}}]
      filters: [{type: ExtensionRef, extensionRef: {group: gateway.k8s.aws, kind: ListenerRuleConfiguration, name: closed}}]
      backendRefs: [{name: web, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: NodePort, ports: [{port: 80, targetPort: 8080, nodePort: 30111}]}
"""


def test_listener_rule_configurations_reach_the_alb_rules(account: Account) -> None:
    """aws-load-balancer-controller's ListenerRuleConfiguration, by an ExtensionRef filter: a source-ip
    condition and target group stickiness on one rule, a fixed response on another."""
    stack = gateway_stack(with_nodes(RULES, account), "aws")
    provider = account.provider()
    provider.converge(stack)
    elb = account.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    rules = {
        next(c["PathPatternConfig"]["Values"][0] for c in r["Conditions"] if c["Field"] == "path-pattern"): r
        for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not r["IsDefault"]
    }
    admin = rules["/admin"]
    (source,) = [c for c in admin["Conditions"] if c["Field"] == "source-ip"]
    assert source["SourceIpConfig"]["Values"] == ["10.0.0.0/8"]
    stickiness = admin["Actions"][0]["ForwardConfig"]["TargetGroupStickinessConfig"]
    assert (stickiness["Enabled"], stickiness["DurationSeconds"]) == (True, 300)
    closed = rules["/old"]["Actions"][0]
    assert closed["Type"] == "fixed-response"
    assert closed["FixedResponseConfig"] == {
        "StatusCode": "503",
        "ContentType": "text/plain",
        "MessageBody": "closed",
    }
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before
