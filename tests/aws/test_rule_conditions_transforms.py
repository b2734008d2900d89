"""ALB rule conditions and transforms as aws-load-balancer-controller builds them: `conditions.<name>` host and
path values joining the rule's own host and path, `regexValues`, `use-regex-path-match`, `transforms.<name>`,
rewrite-target as a url-rewrite, and `*.example.com` as a one-label regex host by default.

Each case is checked three ways: the CreateRule request the plan holds (table-driven), `lbctl route`'s ALB
evaluation against the Ingress semantics, and the cloud. moto takes plain `Values` conditions (converged
twice, the second making no write); its own `RegexValues` and `Transforms` support is what
emulators/aws_elbv2.py teaches it, so those requests also go through the rule executor to a botocore Stubber,
which checks each against the real elbv2 service model; a second plan against the rules as AWS describes
them plans nothing.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
import yaml
from botocore.stub import Stubber

from emulators.testing.aws_stacks import CLUSTER, Account, one_input, with_nodes
from lbctl.cloudcalls import CallStats
from lbctl.model.builder import BuildConfig, build
from lbctl.model.matching import Request, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ProviderConfig, Ref, Step
from providers.aws import create
from providers.aws.apply import rules as rule_executor
from providers.aws.apply.context import Context
from providers.aws.clients import AwsClients
from providers.aws.diff import plan_rules
from providers.aws.discover import CurrentStack
from providers.aws.plan import plan_stack
from providers.aws.translate import DesiredRule, translate

ALB = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
FIXED = json.dumps({"type": "fixed-response", "fixedResponseConfig": {"statusCode": "200"}})

SERVICE = """
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: NodePort
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30100}]
"""


def manifest(paths: list[tuple[str, str, str]], host: str | None, annotations: dict[str, str]) -> str:
    """Ingress `shop/web`: one rule (`host`, or none) with `paths` of (path, pathType, backend name); a backend
    named other than `web` is a use-annotation action."""
    items = []
    for path, path_type, name in paths:
        port = {"number": 80} if name == "web" else {"name": "use-annotation"}
        items.append(
            {"path": path, "pathType": path_type, "backend": {"service": {"name": name, "port": port}}}
        )
    rule: dict[str, Any] = {"http": {"paths": items}}
    if host:
        rule["host"] = host
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
        "spec": {"ingressClassName": "alb", "rules": [rule]},
    }
    return yaml.safe_dump(ingress) + SERVICE


def spec_of(text: str) -> tuple[LoadBalancerSpec | None, list[Any]]:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    result = build(snapshot, BuildConfig.for_provider("aws"))
    specs = result.specs
    return (specs[0] if specs else None), result.problems


def rule_requests(spec: LoadBalancerSpec) -> list[Step]:
    """The CreateRule steps of a plan against an empty account, in priority order."""
    desired = translate(spec, CLUSTER, secrets={}, require_secrets=False)
    steps = plan_stack(desired, CurrentStack(vpc_id="vpc-0a", subnet_ids=["subnet-0a", "subnet-0b"])).steps
    return [s for s in steps if s.operation == "CreateRule"]


def shape(step: Step) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return step.body["Conditions"], step.body.get("Transforms", [])


def path_values(*values: str) -> dict[str, Any]:
    return {"Field": "path-pattern", "PathPatternConfig": {"Values": list(values)}}


def path_regex(*values: str) -> dict[str, Any]:
    return {"Field": "path-pattern", "PathPatternConfig": {"RegexValues": list(values)}}


def host_values(*values: str) -> dict[str, Any]:
    return {"Field": "host-header", "HostHeaderConfig": {"Values": list(values)}}


def host_regex(*values: str) -> dict[str, Any]:
    return {"Field": "host-header", "HostHeaderConfig": {"RegexValues": list(values)}}


def url_rewrite(regex: str, replace: str) -> dict[str, Any]:
    return {"Type": "url-rewrite", "UrlRewriteConfig": {"Rewrites": [{"Regex": regex, "Replace": replace}]}}


def condition(items: list[dict[str, Any]], name: str = "web") -> dict[str, str]:
    return {ALB + f"conditions.{name}": json.dumps(items)}


def transform(items: list[dict[str, Any]], name: str = "web") -> dict[str, str]:
    return {ALB + f"transforms.{name}": json.dumps(items)}


HOST_COND = {"field": "host-header", "hostHeaderConfig": {"values": ["anno.example.com"]}}
HOST_REGEX_COND = {"field": "host-header", "hostHeaderConfig": {"regexValues": ["^(.+)\\.example\\.org$"]}}
PATH_COND = {"field": "path-pattern", "pathPatternConfig": {"values": ["/anno/*"]}}
PATH_REGEX_COND = {"field": "path-pattern", "pathPatternConfig": {"regexValues": ["^/v[0-9]+/"]}}
HEADER_REGEX_COND = {
    "field": "http-header",
    "httpHeaderConfig": {"httpHeaderName": "User-Agent", "regexValues": [".+Chrome.+"]},
}
URL_REWRITE = {
    "type": "url-rewrite",
    "urlRewriteConfig": {"rewrites": [{"regex": "^/api/(.+)$", "replace": "/$1"}]},
}
HOST_REWRITE = {
    "type": "host-header-rewrite",
    "hostHeaderRewriteConfig": {"rewrites": [{"regex": "^(.+)\\.example\\.com$", "replace": "$1.internal"}]},
}
REGEX_PATHS = {ALB + "use-regex-path-match": "true"}

# (id, paths, host, annotations) → (Conditions, Transforms) of each CreateRule, in priority order
CASES: list[tuple[str, list[tuple[str, str, str]], str | None, dict[str, str], list[tuple[list, list]]]] = [
    (
        "host-values-join-the-rule-host",
        [("/p", "Exact", "web")],
        "www.example.com",
        condition([HOST_COND]),
        [([host_values("www.example.com", "anno.example.com"), path_values("/p")], [])],
    ),
    (
        "path-values-join-the-rule-path",
        [("/p", "Exact", "web")],
        "www.example.com",
        condition([PATH_COND]),
        [([host_values("www.example.com"), path_values("/p", "/anno/*")], [])],
    ),
    (
        "host-regex-values-without-a-rule-host",
        [("/p", "Prefix", "web")],
        None,
        condition([HOST_REGEX_COND]),
        [([host_regex("^(.+)\\.example\\.org$"), path_values("/p", "/p/*")], [])],
    ),
    (
        "http-header-regex-values",
        [("/", "Prefix", "web")],
        "www.example.com",
        condition([HEADER_REGEX_COND]),
        [
            (
                [
                    host_values("www.example.com"),
                    path_values("/*"),
                    {
                        "Field": "http-header",
                        "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "RegexValues": [".+Chrome.+"]},
                    },
                ],
                [],
            )
        ],
    ),
    (
        "use-regex-path-match",
        [("/^/api/(.+)$", "ImplementationSpecific", "web")],
        "www.example.com",
        REGEX_PATHS,
        [([host_values("www.example.com"), path_regex("^/api/(.+)$")], [])],
    ),
    (
        "use-regex-path-match-with-path-regex-values",
        [("/^/api/", "ImplementationSpecific", "web")],
        None,
        {**REGEX_PATHS, **condition([PATH_REGEX_COND])},
        [([path_regex("^/api/", "^/v[0-9]+/")], [])],
    ),
    (
        "use-regex-path-match-leaves-prefix-paths-alone",
        [("/api", "Prefix", "web")],
        None,
        REGEX_PATHS,
        [([path_values("/api", "/api/*")], [])],
    ),
    (
        "wildcard-host-is-one-label-regex",
        [("/x", "Prefix", "web")],
        "*.example.com",
        {},
        [([host_regex("^[^.]+\\.example\\.com$"), path_values("/x", "/x/*")], [])],
    ),
    (
        "wildcard-host-with-host-values-all-regex",
        [("/x", "Exact", "web")],
        "*.example.com",
        condition([HOST_COND]),
        [([host_regex("^[^.]+\\.example\\.com$", "^anno\\.example\\.com$"), path_values("/x")], [])],
    ),
    (
        "wildcard-host-with-host-regex-values",
        [("/x", "Exact", "web")],
        "*.example.com",
        condition([HOST_REGEX_COND]),
        [([host_regex("^[^.]+\\.example\\.com$", "^(.+)\\.example\\.org$"), path_values("/x")], [])],
    ),
    (
        "url-rewrite-transform",
        [("/api", "Prefix", "web")],
        "www.example.com",
        transform([URL_REWRITE]),
        [
            (
                [host_values("www.example.com"), path_values("/api", "/api/*")],
                [url_rewrite("^/api/(.+)$", "/$1")],
            )
        ],
    ),
    (
        "both-transforms",
        [("/", "Prefix", "web")],
        None,
        transform([URL_REWRITE, HOST_REWRITE]),
        [
            (
                [path_values("/*")],
                [
                    url_rewrite("^/api/(.+)$", "/$1"),
                    {
                        "Type": "host-header-rewrite",
                        "HostHeaderRewriteConfig": {
                            "Rewrites": [{"Regex": "^(.+)\\.example\\.com$", "Replace": "$1.internal"}]
                        },
                    },
                ],
            )
        ],
    ),
    (
        "transforms-on-a-use-annotation-action",
        [("/p", "Exact", "special")],
        None,
        {ALB + "actions.special": FIXED, **transform([URL_REWRITE], "special")},
        [([path_values("/p")], [url_rewrite("^/api/(.+)$", "/$1")])],
    ),
    (
        "rewrite-target-prefix",
        [("/api", "Prefix", "web")],
        None,
        {"nginx.ingress.kubernetes.io/rewrite-target": "/"},
        [([path_values("/api", "/api/*")], [url_rewrite("^/api/?(.*)$", "/$1")])],
    ),
    (
        "rewrite-target-exact-and-root",
        [("/x", "Exact", "web"), ("/", "Prefix", "web")],
        None,
        {"ingress.kubernetes.io/rewrite-target": "/v2/"},
        [
            ([path_values("/x")], [url_rewrite("^/x(.*)$", "/v2/$1")]),
            ([path_values("/*")], [url_rewrite("^/(.*)$", "/v2/$1")]),
        ],
    ),
    (
        "rewrite-target-implementation-specific-trailing-star",
        [("/img/*", "ImplementationSpecific", "web")],
        None,
        {"nginx.ingress.kubernetes.io/rewrite-target": "/static/"},
        [([path_values("/img/*")], [url_rewrite("^/img/(.*)$", "/static/$1")])],
    ),
]


@pytest.mark.parametrize(
    ("paths", "host", "annotations", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_create_rule_requests(
    paths: list[tuple[str, str, str]], host: str | None, annotations: dict[str, str], expected: list[Any]
) -> None:
    spec, problems = spec_of(manifest(paths, host, annotations))
    assert spec is not None, problems
    assert [shape(step) for step in rule_requests(spec)] == expected


ERRORS = [
    (
        "host-regex-values-with-a-rule-host",
        [("/p", "Exact", "web")],
        "www.example.com",
        condition([HOST_REGEX_COND]),
        "conditions.web",
        "regexValues cannot join the host",
    ),
    (
        "path-regex-values-without-use-regex-path-match",
        [("/p", "Exact", "web")],
        None,
        condition([PATH_REGEX_COND]),
        "conditions.web",
        "use-regex-path-match",
    ),
    (
        "path-values-with-a-regex-path",
        [("/^/api", "ImplementationSpecific", "web")],
        None,
        {**REGEX_PATHS, **condition([PATH_COND])},
        "conditions.web",
        "use regexValues",
    ),
    (
        "values-and-regex-values-in-one-annotation",
        [("/p", "Exact", "web")],
        None,
        condition([HOST_COND, {**HOST_REGEX_COND}]),
        "conditions.web",
        "both values and regexValues",
    ),
    (
        "regex-path-alb-refuses",
        [("/^/(?=api)", "ImplementationSpecific", "web")],
        None,
        REGEX_PATHS,
        "spec.rules[0].http.paths[0].path",
        "lookarounds",
    ),
]


@pytest.mark.parametrize(
    ("paths", "host", "annotations", "field", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
def test_conditions_alb_cannot_hold_are_errors(
    paths: list[tuple[str, str, str]], host: str | None, annotations: dict[str, str], field: str, message: str
) -> None:
    spec, problems = spec_of(manifest(paths, host, annotations))
    assert spec is None
    (problem,) = problems
    assert field in problem.field and message in problem.message, problem


# --------------------------------------------------------------------------- lbctl route: ALB evaluation

ROUTES = [
    ("host-values-join-the-rule-host", "anno.example.com", "/p", True),
    ("host-values-join-the-rule-host", "www.example.com", "/p", True),
    ("host-values-join-the-rule-host", "other.example.com", "/p", False),
    ("path-values-join-the-rule-path", "www.example.com", "/anno/x", True),
    ("path-values-join-the-rule-path", "www.example.com", "/q", False),
    ("host-regex-values-without-a-rule-host", "a.example.org", "/p/1", True),
    ("host-regex-values-without-a-rule-host", "example.org", "/p", False),
    ("use-regex-path-match", "www.example.com", "/api/users", True),
    ("use-regex-path-match", "www.example.com", "/api/", False),
    ("use-regex-path-match-with-path-regex-values", "h.example.com", "/v2/x", True),
    ("use-regex-path-match-with-path-regex-values", "h.example.com", "/x/api/", False),
    ("wildcard-host-is-one-label-regex", "a.example.com", "/x", True),
    ("wildcard-host-is-one-label-regex", "A.Example.COM:8080", "/x/y", True),
    ("wildcard-host-is-one-label-regex", "a.b.example.com", "/x", False),
    ("wildcard-host-is-one-label-regex", "example.com", "/x", False),
    ("wildcard-host-with-host-values-all-regex", "anno.example.com", "/x", True),
    ("wildcard-host-with-host-values-all-regex", "x.anno.example.com", "/x", False),
    ("wildcard-host-with-host-regex-values", "a.b.example.org", "/x", True),
    ("http-header-regex-values", "www.example.com", "/", False),  # needs a header: never by host and path
]
BY_ID = {c[0]: c for c in CASES}


def _route_provider() -> Any:
    return create(ProviderConfig(CLUSTER, "http://127.0.0.1:9", options={"region": "us-east-1"}))


@pytest.mark.parametrize(("case", "host", "path", "matches"), ROUTES)
def test_route_evaluates_conditions_as_alb_and_agrees_with_the_ingress(
    case: str, host: str, path: str, matches: bool
) -> None:
    _, paths, rule_host, annotations, _ = BY_ID[case]
    spec, _problems = spec_of(manifest(paths, rule_host, annotations))
    assert spec is not None
    alb = _route_provider().route(spec, Request(host, path))
    ingress = first_match(spec, Request(host, path))
    assert (alb.rule is not None) == matches, alb.reason
    assert (alb.rule, alb.action) == (ingress.rule, ingress.action), (alb.reason, ingress.reason)


@pytest.mark.parametrize(
    ("case", "host", "path", "reason"),
    [
        ("url-rewrite-transform", "www.example.com", "/api/users/7", "rewritten to path /users/7"),
        ("both-transforms", "shop.example.com", "/api/x", "rewritten to host shop.internal and path /x"),
        ("rewrite-target-prefix", "h", "/api/v1", "rewritten to path /v1"),
        ("rewrite-target-prefix", "h", "/api", "rewritten to path /"),
        ("rewrite-target-exact-and-root", "h", "/x", "rewritten to path /v2/"),
        ("rewrite-target-exact-and-root", "h", "/a/b", "rewritten to path /v2/a/b"),
        ("rewrite-target-implementation-specific-trailing-star", "h", "/img/a.png", "path /static/a.png"),
    ],
)
def test_route_shows_the_rewritten_request(case: str, host: str, path: str, reason: str) -> None:
    _, paths, rule_host, annotations, _ = BY_ID[case]
    spec, _problems = spec_of(manifest(paths, rule_host, annotations))
    assert spec is not None
    result = _route_provider().route(spec, Request(host, path))
    assert result.rule is not None and reason in result.reason, result.reason


# --------------------------------------------------------------------------- Stubber: what moto lacks

STUBBED = [c[0] for c in CASES if any("RegexValues" in json.dumps(e) or t for e, t in c[4])]


def _fake(value: Any) -> Any:
    """Refs of earlier steps replaced by ARNs such as they would resolve to."""
    if isinstance(value, Ref):
        return f"arn:aws:elasticloadbalancing:us-east-1:123456789012:{value.field.lower()}/app/x/0123"
    if isinstance(value, dict):
        return {k: _fake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fake(v) for v in value]
    return value


def _stubbed_clients() -> tuple[AwsClients, Stubber]:
    options = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "retry_attempts": 1}
    clients = AwsClients("us-east-1", "http://127.0.0.1:9", options, CallStats())
    stubber = Stubber(clients.clients["elbv2"])
    return clients, stubber


def _rule_response(body: dict[str, Any], arn: str) -> dict[str, Any]:
    rule = {k: v for k, v in body.items() if k in ("Conditions", "Actions", "Transforms")}
    return {"Rules": [{"RuleArn": arn, "Priority": str(body.get("Priority", 1)), "IsDefault": False, **rule}]}


@pytest.mark.parametrize("case", STUBBED)
def test_rule_requests_moto_lacks_satisfy_the_elbv2_model(case: str) -> None:
    """The rule executor sends each CreateRule as planned; the Stubber checks it against the elbv2 model
    (RegexValues, Transforms), and a plan against the rules as AWS then describes them changes nothing."""
    _, paths, host, annotations, _ = BY_ID[case]
    spec, _problems = spec_of(manifest(paths, host, annotations))
    assert spec is not None
    clients, stubber = _stubbed_clients()
    steps = rule_requests(spec)
    described = []
    with stubber:
        for n, step in enumerate(steps):
            body = _fake(dict(step.body))
            arn = f"arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/x/0123/{n}"
            stubber.add_response("create_rule", _rule_response(body, arn), expected_params=body)
            rule_executor.execute(Context(clients, spec), step, body)
            described.append(_rule_response(body, arn)["Rules"][0])
        stubber.assert_no_pending_responses()
    desired = translate(spec, CLUSTER, secrets={}, require_secrets=False)
    (listener,) = desired.listeners
    wanted = [_fake_rule(r) for r in listener.rules]
    assert plan_rules(wanted, described).empty


def _fake_rule(rule: DesiredRule) -> DesiredRule:
    actions = [
        _fake(
            {
                **a,
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": Ref("tg", "TargetGroupArn"), "Weight": 1}]
                },
            }
        )
        if a["Type"] == "forward"
        else a
        for a in rule.actions
    ]
    return DesiredRule(rule.priority, rule.conditions, actions, rule.spec_index, rule.label, rule.transforms)


def test_modify_rule_replaces_or_resets_transforms() -> None:
    """A rule whose rewrite changes is rewritten with its new Transforms; one that no longer rewrites gets
    ResetTransforms (ModifyRule leaves transforms as they are otherwise). Both requests fit the elbv2 model."""
    with_rewrite, _ = spec_of(manifest([("/api", "Prefix", "web")], None, transform([URL_REWRITE])))
    without, _ = spec_of(manifest([("/api", "Prefix", "web")], None, {}))
    assert with_rewrite is not None and without is not None
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/x/0123/1"
    old = url_rewrite("^/old/(.+)$", "/$1")
    bodies = []
    for spec, have in ((with_rewrite, [old]), (without, [old])):
        (want,) = translate(spec, CLUSTER, secrets={}, require_secrets=False).listeners[0].rules
        existing = {
            "RuleArn": arn,
            "Priority": "1",
            "IsDefault": False,
            "Conditions": want.conditions,
            "Actions": _fake_rule(want).actions,
            "Transforms": have,
        }
        plan = plan_rules([_fake_rule(want)], [existing])
        assert [a for a, _ in plan.modify] == [arn] and not plan.create and not plan.delete
        _, rule = plan.modify[0]
        body: dict[str, Any] = {"RuleArn": arn, "Conditions": rule.conditions, "Actions": rule.actions}
        body |= {"Transforms": rule.transforms} if rule.transforms else {"ResetTransforms": True}
        bodies.append(body)
    assert bodies[0]["Transforms"] == [url_rewrite("^/api/(.+)$", "/$1")]
    assert bodies[1]["ResetTransforms"] is True and "Transforms" not in bodies[1]
    clients, stubber = _stubbed_clients()
    with stubber:
        for body in bodies:
            body = _fake(body)
            stubber.add_response("modify_rule", _rule_response(body, arn), expected_params=body)
            clients.call("elbv2", "ModifyRule", **body)
        stubber.assert_no_pending_responses()


def test_planned_modify_rule_step_carries_the_transforms() -> None:
    """The plan itself (not only plan_rules) sends Transforms or ResetTransforms in ModifyRule."""
    spec, _ = spec_of(manifest([("/api", "Prefix", "web")], None, {}))
    assert spec is not None
    desired = translate(spec, CLUSTER, secrets={}, require_secrets=False)
    created = plan_stack(desired, CurrentStack(vpc_id="vpc-0a", subnet_ids=["subnet-0a", "subnet-0b"]))
    (create_rule,) = [s for s in created.steps if s.operation == "CreateRule"]
    assert "Transforms" not in create_rule.body and "ResetTransforms" not in create_rule.body


def test_stubber_refuses_a_malformed_transform() -> None:
    """The Stubber really checks the model: a transform without its type is refused before any call."""
    from botocore.exceptions import ParamValidationError

    client = botocore.session.get_session().create_client(
        "elbv2", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    stubber = Stubber(client)
    stubber.add_response("create_rule", {})
    with stubber, pytest.raises(ParamValidationError, match="Type"):
        client.create_rule(
            ListenerArn="arn:l",
            Priority=1,
            Conditions=[path_values("/*")],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
            Transforms=[{"UrlRewriteConfig": {"Rewrites": [{"Regex": "a", "Replace": "b"}]}}],
        )


# --------------------------------------------------------------------------- moto: what it implements

# moto learns ALB's RegexValues from emulators/aws_elbv2.py; Transforms it still drops (stubbed above)
MOTO_CASES = [
    "host-values-join-the-rule-host",
    "path-values-join-the-rule-path",
    "wildcard-host-is-one-label-regex",
    "host-regex-values-without-a-rule-host",
    "http-header-regex-values",
    "use-regex-path-match",
    "wildcard-host-with-host-values-all-regex",
    "wildcard-host-with-host-regex-values",
]


def _moto_rules(account: Account) -> list[dict[str, Any]]:
    elb = account.client("elbv2")
    out = []
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            out += [r for r in rules if not r["IsDefault"]]
    return out


@pytest.mark.parametrize("case", MOTO_CASES)
def test_joined_conditions_converge_on_moto(account: Account, case: str) -> None:
    _, paths, host, annotations, expected = BY_ID[case]
    provider = account.provider()
    stack = one_input(with_nodes(manifest(paths, host, annotations), account))
    provider.converge(stack)
    (rule,) = _moto_rules(account)
    (want,) = expected
    got = [{"Field": c["Field"], k: c[k]} for c in rule["Conditions"] for k in c if k.endswith("Config")]
    assert sorted(got, key=json.dumps) == sorted(want[0], key=json.dumps)
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before


def test_auth_before_a_use_annotation_action_converges_on_moto(account: Account) -> None:
    """auth-type on the Ingress authenticates before a fixed-response use-annotation action on HTTPS (as
    aws-load-balancer-controller does); the HTTP listener keeps the action alone. A second converge writes
    nothing."""
    cognito = {
        "userPoolARN": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
        "userPoolClientID": "client-123",
        "userPoolDomain": "shop-auth",
    }
    elb_cert = account.client("acm")
    from emulators.testing.certs import self_signed

    cert, key = self_signed("www.example.com", serial=77)
    arn = elb_cert.import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())["CertificateArn"]
    annotations = {
        ALB + "actions.special": FIXED,
        ALB + "auth-type": "cognito",
        ALB + "auth-idp-cognito": json.dumps(cognito),
        ALB + "certificate-arn": arn,
        ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    }
    provider = account.provider()
    stack = one_input(with_nodes(manifest([("/p", "Exact", "special")], None, annotations), account))
    provider.converge(stack)
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]
    kinds = {}
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        (rule,) = [
            r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
        ]
        kinds[listener["Port"]] = [
            a["Type"] for a in sorted(rule["Actions"], key=lambda a: a.get("Order", 0))
        ]
    assert kinds == {80: ["fixed-response"], 443: ["authenticate-cognito", "fixed-response"]}
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before


def test_describe_shows_regex_conditions_and_transforms() -> None:
    """`lbctl describe` reads rules as AWS returns them: regex conditions and transforms are shown."""
    from providers.aws.describe import _condition_text, _transform_text

    assert (
        _condition_text(host_regex("^[^.]+\\.example\\.com$"))
        == "host-header matches ^[^.]+\\.example\\.com$"
    )
    assert _condition_text(path_values("/a", "/a/*")) == "path-pattern /a, /a/*"
    header = {
        "Field": "http-header",
        "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "RegexValues": [".+"]},
    }
    assert _condition_text(header) == "http-header User-Agent matches .+"
    assert _transform_text(url_rewrite("^/api/(.+)$", "/$1")) == "url-rewrite ^/api/(.+)$ -> /$1"


# --------------------------------------------------------------------------- rules LBC's optimizer leaves off

TO_HTTPS = json.dumps(
    {"type": "redirect", "redirectConfig": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
)
TWO_LISTENERS = {ALB + "certificate-arn": CERT, ALB + "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]'}


def _listener_rules(spec: LoadBalancerSpec) -> dict[int, list[str]]:
    desired = translate(spec, CLUSTER, secrets={}, require_secrets=False)
    return {
        listener.port: [" ".join(a["Type"] for a in rule.actions) for rule in listener.rules]
        for listener in desired.listeners
    }


def test_a_redirect_to_the_url_it_matched_is_left_off_that_listener() -> None:
    """A redirect-to-HTTPS action would loop forever on the HTTPS listener itself: it is kept on HTTP:80
    only, as aws-load-balancer-controller does; a redirect elsewhere stays on both."""
    elsewhere = json.dumps(
        {"type": "redirect", "redirectConfig": {"host": "new.example.com", "statusCode": "HTTP_302"}}
    )
    annotations = {**TWO_LISTENERS, ALB + "actions.to-https": TO_HTTPS, ALB + "actions.moved": elsewhere}
    spec, problems = spec_of(
        manifest([("/a", "Prefix", "to-https"), ("/b", "Prefix", "moved")], None, annotations)
    )
    assert spec is not None, problems
    assert _listener_rules(spec) == {80: ["redirect", "redirect"], 443: ["redirect"]}
    desired = translate(spec, CLUSTER, secrets={}, require_secrets=False)
    https = next(listener for listener in desired.listeners if listener.port == 443)
    assert [r.priority for r in https.rules] == [1]  # priorities stay dense
    assert https.rules[0].actions[0]["RedirectConfig"]["Host"] == "new.example.com"
    route = _route_provider().route(spec, Request("h.example.com", "/a"))
    assert (
        route.rule is not None and route.rule.path is not None and route.rule.path.path == "/a"
    )  # served on :80


def test_a_rule_an_earlier_redirect_rule_covers_is_left_off() -> None:
    """Prefix `/` redirecting (path-pattern `/*`) takes every request of the same host before the later
    ImplementationSpecific `/`: that rule could never match and is not sent."""
    annotations = {
        ALB + "actions.moved": json.dumps(
            {"type": "redirect", "redirectConfig": {"host": "x.example.com", "statusCode": "HTTP_301"}}
        )
    }
    paths = [("/", "Prefix", "moved"), ("/", "ImplementationSpecific", "web")]
    spec, problems = spec_of(manifest(paths, "www.example.com", annotations))
    assert spec is not None, problems
    assert len(spec.rules) == 2
    assert _listener_rules(spec) == {80: ["redirect"]}
