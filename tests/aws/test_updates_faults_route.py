"""Updates leave no orphans, throttling is survived, and `route` on the translated ALB rules agrees with Ingress."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from emulators.testing.aws_stacks import CLUSTER, Account, one_input, stack_inputs, with_nodes
from lbctl.model.builder import BuildConfig, build
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderConfig
from providers.aws import create

INGRESS = """
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: default, annotations: {annotations}}}
spec:
  ingressClassName: alb
  rules:
    - host: {host}
      http:
        paths:
{paths}
"""
PATH = "          - {{path: {path}, pathType: {type}, backend: {{service: {{name: {svc}, port: {{number: 80}}}}}}}}"
SERVICES = "".join(
    f"""
---
apiVersion: v1
kind: Service
metadata: {{name: {svc}, namespace: default}}
spec: {{type: NodePort, ports: [{{port: 80, targetPort: 8080, nodePort: {port}}}]}}
"""
    for svc, port in (("a", 30001), ("b", 30002), ("c", 30003))
)


def ingress(
    name: str, paths: list[tuple[str, str, str]], host: str = "shop.example.com", annotations: str = "{}"
) -> str:
    lines = "\n".join(PATH.format(path=p, type=t, svc=s) for p, t, s in paths)
    return INGRESS.format(name=name, annotations=annotations, host=host, paths=lines)


def names(account: Account) -> tuple[list[str], list[str]]:
    elb = account.client("elbv2")
    return (
        sorted(x["LoadBalancerName"] for x in elb.describe_load_balancers()["LoadBalancers"]),
        sorted(x["Port"] for x in elb.describe_target_groups()["TargetGroups"]),
    )


def all_rules(account: Account) -> list[dict[str, Any]]:
    elb = account.client("elbv2")
    out = []
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            out += [
                r
                for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
                if not r["IsDefault"]
            ]
    return out


def test_add_remove_path_and_health_check_change(account: Account) -> None:
    provider = account.provider()
    two = ingress("web", [("/a", "Prefix", "a"), ("/b", "Prefix", "b")])
    provider.converge(one_input(with_nodes(two + SERVICES, account)))
    assert names(account)[1] == [30001, 30002] and len(all_rules(account)) == 2

    three = ingress("web", [("/a", "Prefix", "a"), ("/b", "Prefix", "b"), ("/a/deep", "Exact", "c")])
    provider.converge(one_input(with_nodes(three + SERVICES, account)))
    rules = sorted(all_rules(account), key=lambda r: int(r["Priority"]))
    assert names(account)[1] == [30001, 30002, 30003]
    assert rules[0]["Conditions"][1]["PathPatternConfig"]["Values"] == ["/a/deep"]  # Exact and longer first

    one = ingress(
        "web", [("/a", "Prefix", "a")], annotations='{"alb.ingress.kubernetes.io/healthcheck-path": "/hz"}'
    )
    result = provider.converge(one_input(with_nodes(one + SERVICES, account)))
    assert ("update", "TargetGroup") in {(c.action, c.kind) for c in result.changes}
    assert names(account)[1] == [30001] and len(all_rules(account)) == 1
    assert account.client("elbv2").describe_target_groups()["TargetGroups"][0]["HealthCheckPath"] == "/hz"
    assert provider.converge(one_input(with_nodes(one + SERVICES, account))).changes == []


def test_move_into_group_leaves_no_orphans(account: Account) -> None:
    provider = account.provider()
    lone = ingress("web", [("/a", "Prefix", "a")])
    provider.converge(one_input(with_nodes(lone + SERVICES, account)))
    grouped = ingress(
        "web", [("/a", "Prefix", "a")], annotations='{"alb.ingress.kubernetes.io/group.name": "shared"}'
    )
    other = ingress(
        "api", [("/b", "Prefix", "b")], annotations='{"alb.ingress.kubernetes.io/group.name": "shared"}'
    )
    inputs = stack_inputs(with_nodes(grouped + "---" + other + SERVICES, account))
    assert [i.spec.stack for i in inputs] == ["shared"]
    provider.converge(inputs[0])
    for stale in set(provider.list_stacks()) - {"shared"}:  # what the controller's garbage collection does
        from emulators.testing.aws_stacks import deletion

        assert provider.converge(deletion(stale)).deleted
    lbs, ports = names(account)
    assert len(lbs) == 1 and lbs[0].startswith("k8s-shared-") and ports == [30001, 30002]
    assert provider.list_stacks() == ["shared"]


def test_throttling_is_survived(account: Account) -> None:
    provider = account.provider()
    remaining = {"CreateTargetGroup": 3, "CreateRule": 2}

    def throttle(**kwargs: Any) -> None:
        operation = kwargs["model"].name
        if remaining.get(operation, 0) > 0:
            remaining[operation] -= 1
            raise ClientError(
                {
                    "Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                operation,
            )

    provider.clients.clients["elbv2"].meta.events.register("before-call", throttle)
    provider.converge(one_input(with_nodes(ingress("web", [("/a", "Prefix", "a")]) + SERVICES, account)))
    assert remaining == {"CreateTargetGroup": 0, "CreateRule": 0}
    calls = provider.stats.snapshot()
    assert calls["elbv2:CreateTargetGroup:throttled"] == 3 and calls["elbv2:CreateTargetGroup:ok"] == 1
    assert len(all_rules(account)) == 1


ROUTE_MANIFEST = (
    ingress("web", [("/foo", "Prefix", "a"), ("/foo/bar", "Exact", "b"), ("/", "Prefix", "c")])
    + "---"
    + ingress("wild", [("/x", "Prefix", "b")], host="'*.example.com'")
    + "---"
    + ingress("img", [("/img/*.png", "ImplementationSpecific", "c")], host="static.example.com")
    + SERVICES
)
AGREEING = [
    ("shop.example.com", "/foo"),
    ("shop.example.com", "/foo/"),
    ("shop.example.com", "/foo/x"),
    ("shop.example.com", "/foobar"),
    ("shop.example.com", "/foo/bar"),
    ("shop.example.com", "/foo/bar/"),
    ("SHOP.example.com", "/foo"),
    ("shop.example.com", "/FOO"),
    ("shop.example.com", "/"),
    ("a.example.com", "/x/1"),
    ("a.example.com", "/xy"),
    ("example.com", "/x"),
    ("static.example.com", "/img/a/b.png"),
    ("static.example.com", "/img/a.jpg"),
    ("other.org", "/foo"),
]


def _specs() -> list[Any]:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(ROUTE_MANIFEST) if d)
    return build(snapshot, BuildConfig.for_provider("aws")).specs


def _route_provider(**options: Any) -> Any:
    return create(ProviderConfig(CLUSTER, "http://127.0.0.1:9", options={"region": "us-east-1", **options}))


@pytest.mark.parametrize(("host", "path"), AGREEING)
def test_route_agrees_with_ingress(host: str, path: str) -> None:
    provider = _route_provider()
    for spec in _specs():
        ingress_answer = first_match(spec, Request(host, path))
        alb_answer = provider.route(spec, Request(host, path))
        assert (alb_answer.rule, alb_answer.action) == (ingress_answer.rule, ingress_answer.action), (
            alb_answer.reason
        )


def test_wildcard_host_agrees_by_default_and_warns_only_when_regex_hosts_are_off() -> None:
    spec = next(s for s in _specs() if s.stack == "default/wild")
    from providers.aws.translate import translate

    assert first_match(spec, Request("a.b.example.com", "/x")).rule is None
    regex = _route_provider()  # the default: one-label wildcard as an ALB regex host condition
    assert regex.route(spec, Request("a.b.example.com", "/x")).rule is None
    assert regex.route(spec, Request("a.example.com", "/x")).rule is spec.rules[0]
    assert translate(spec, CLUSTER).warnings == []
    glob = _route_provider(regex_hosts=False)
    assert glob.route(spec, Request("a.b.example.com", "/x")).rule is spec.rules[0]  # ALB's '*' crosses dots
    warnings = translate(spec, CLUSTER, regex_hosts=False).warnings
    assert len(warnings) == 1 and "Ingress default/wild spec.rules[0].http.paths[0]" in warnings[0]
