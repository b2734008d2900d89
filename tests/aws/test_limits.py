"""ALB limits against moto: rules with more than 5 condition values are split (and still route the same);
more than 100 rules on a listener is a user-fixable error that changes nothing."""

from __future__ import annotations

import json

import pytest

from emulators.testing.aws_inventory import all_rules, inventory
from emulators.testing.aws_stacks import Account, one_input, with_nodes
from lbctl.model.matching import Request
from lbctl.model.problems import SpecError
from lbctl.provider import ProviderError
from providers.aws import alb_rules

SERVICES = "".join(
    f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {svc}, namespace: default}}
spec: {{type: NodePort, ports: [{{port: 80, targetPort: 8080, nodePort: {port}}}]}}
"""
    for svc, port in (("a", 30001), ("b", 30002))
)
HOSTS = [f"h{i}.example.com" for i in range(1, 6)]  # 5 hosts (the most one condition takes) + 2 path values
SPLIT = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: default, annotations: {{"alb.ingress.kubernetes.io/conditions.a": '{}'}}}}
spec:
  ingressClassName: alb
  rules:
    - http:
        paths:
          - {{path: /api, pathType: Prefix, backend: {{service: {{name: a, port: {{number: 80}}}}}}}}
          - {{path: /, pathType: Prefix, backend: {{service: {{name: b, port: {{number: 80}}}}}}}}
""".format(json.dumps([{"field": "host-header", "hostHeaderConfig": {"values": HOSTS}}]))


def test_rule_with_more_than_five_values_is_split(account: Account) -> None:
    provider = account.provider()
    stack = one_input(with_nodes(SPLIT + SERVICES, account))
    provider.converge(stack)
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    rules = sorted(
        (r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]),
        key=lambda r: int(r["Priority"]),
    )
    tg_port = {t["TargetGroupArn"]: t["Port"] for t in elb.describe_target_groups()["TargetGroups"]}
    assert len(rules) == 3  # 7 values: /api split into 2+2 and 3+2 values, / in one rule
    for rule in rules:
        assert alb_rules.value_count(rule["Conditions"]) <= alb_rules.MAX_CONDITION_VALUES
    api = [
        r
        for r in rules
        if tg_port[r["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]] == 30001
    ]
    hosts = sorted(
        h
        for r in api
        for c in r["Conditions"]
        if c["Field"] == "host-header"
        for h in c["HostHeaderConfig"]["Values"]
    )
    assert hosts == sorted(HOSTS)
    assert provider.converge(stack).changes == []

    # What moto holds, evaluated with ALB's matching, routes like `lbctl route` on the translated rules.
    backend_port = {key: b.node_port for key, b in stack.spec.backends.items()}
    for host in [*HOSTS, "h6.example.com"]:
        for path in ("/api", "/api/x", "/apix", "/"):
            held = next(
                tg_port[r["Actions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]]
                for r in rules
                if alb_rules.rule_matches(r["Conditions"], Request(host, path))
            )
            routed = provider.route(stack.spec, Request(host, path))
            assert routed.action is not None
            assert held == backend_port[routed.action.forward[0].backend_key], (host, path, routed.reason)
            expected = 30001 if host in HOSTS and path in ("/api", "/api/x") else 30002
            assert held == expected, (host, path)


def many_paths(count: int) -> str:
    paths = "\n".join(
        f"          - {{path: /p{i}, pathType: Prefix, backend: {{service: {{name: a, port: {{number: 80}}}}}}}}"
        for i in range(count)
    )
    return f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: default}}
spec:
  ingressClassName: alb
  rules:
    - host: shop.example.com
      http:
        paths:
{paths}
"""


def test_more_than_100_rules_is_user_fixable_and_changes_nothing(account: Account) -> None:
    provider = account.provider()
    provider.converge(one_input(with_nodes(many_paths(3) + SERVICES, account)))
    before = inventory(account)
    mutating = provider.stats.total(mutating=True)
    with pytest.raises((SpecError, ProviderError)) as caught:
        provider.converge(one_input(with_nodes(many_paths(101) + SERVICES, account)))
    message = str(caught.value)
    assert "HTTP:80" in message and "101" in message and "100" in message
    assert provider.stats.total(mutating=True) == mutating
    assert inventory(account) == before
    plan_error = pytest.raises(
        (SpecError, ProviderError), provider.plan, one_input(with_nodes(many_paths(101) + SERVICES, account))
    )
    assert "101" in str(plan_error.value)


def test_exactly_100_rules_fit(account: Account) -> None:
    provider = account.provider()
    stack = one_input(with_nodes(many_paths(100) + SERVICES, account))
    provider.converge(stack)
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    rules = all_rules(elb, listener["ListenerArn"])
    assert len([r for r in rules if not r["IsDefault"]]) == 100
    assert provider.converge(stack).changes == []
