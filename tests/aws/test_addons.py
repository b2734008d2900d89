"""The load balancer add-on annotations (web ACLs, Shield Advanced, capacity, IP pools, listener attributes,
mutual TLS, JWT validation, target control ports …): each changes the planned request as `lbctl plan -o json`
shows it (a table, pure: translate + plan), converges against moto where moto implements the API, and is read
back so that a second converge makes no call that writes. Where moto lacks the API or field, botocore's Stubber
checks the exact request against the real service model."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.stub import Stubber

from emulators.testing.aws_stacks import CLUSTER, WEB_INGRESS, Account, one_input, with_nodes
from lbctl.cli.render import step_documents
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import Ref, Step
from providers.aws import naming
from providers.aws.apply import Applier
from providers.aws.diff import matching_load_balancer
from providers.aws.discover import CurrentStack
from providers.aws.plan import plan
from providers.aws.translate import translate

A = "alb.ingress.kubernetes.io/"
ACCOUNT = Account("http://unused", "vpc-0a", {}, ["i-0aaa", "i-0bbb"])
WAF_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-acl/0b9e7f1c-1111-2222-3333-444455556666"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/k8s-shop/0123456789abcdef"


def ingress(annotations: dict[str, str], tls: str = "") -> str:
    return with_nodes(
        WEB_INGRESS.format(annotations=json.dumps({A + k: v for k, v in annotations.items()}), tls=tls),
        ACCOUNT,
    )


def problems(annotations: dict[str, str]) -> list[str]:
    import yaml

    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(ingress(annotations)) if d)
    result = build(snapshot, BuildConfig.for_provider("aws"))
    return [f"{p.field}: {p.message}" for p in result.problems if p.severity == "error"]


def existing_lb(desired_name: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "LoadBalancerArn": LB_ARN,
        "LoadBalancerName": desired_name,
        "DNSName": "lb.example",
        "Scheme": "internal",
        "IpAddressType": "ipv4",
        "AvailabilityZones": [{"SubnetId": "subnet-0a"}, {"SubnetId": "subnet-0b"}],
        "SecurityGroups": [],
        "Tags": tags,
    }


def plan_json(
    annotations: dict[str, str], current: Callable[[CurrentStack, str], None] | None = None, tls: str = ""
) -> list[dict[str, Any]]:
    """The steps `lbctl plan -o json` shows for the Ingress with `annotations`: against an empty account, or
    against an account holding the stack's load balancer when `current` fills in what discover reads."""
    stack = one_input(ingress(annotations, tls))
    desired = translate(stack.spec, CLUSTER, secrets=stack.secrets, tls=stack.tls, targets=stack.targets)
    have = CurrentStack(vpc_id="vpc-0a", subnet_ids=["subnet-0a", "subnet-0b"])
    if current is not None:
        lb = existing_lb(desired.load_balancer.name, dict(desired.load_balancer.tags))
        have.load_balancers, have.load_balancer = [lb], matching_load_balancer(desired.load_balancer, [lb])
        current(have, desired.load_balancer.name)
    return json.loads(json.dumps(step_documents(plan(desired, have))))


def only(steps: list[dict[str, Any]], operation: str) -> dict[str, Any]:
    found = [s for s in steps if s["operation"] == operation]
    assert len(found) == 1, [s["operation"] for s in steps]
    return found[0]


def on_port(steps: list[dict[str, Any]], operation: str, port: int) -> dict[str, Any]:
    (found,) = [s for s in steps if s["operation"] == operation and f":{port}" in s["name"]]
    return found


def operations(steps: list[dict[str, Any]]) -> list[str]:
    return [s["operation"] for s in steps]


def acl_named(current: CurrentStack, _: str) -> None:
    current.web_acl_names["shop-acl"] = WAF_ARN


def acl_associated(current: CurrentStack, _: str) -> None:
    current.web_acls[LB_ARN] = {"ARN": WAF_ARN, "Name": "shop-acl"}


def classic_associated(current: CurrentStack, _: str) -> None:
    current.waf_classic[LB_ARN] = "d4e5f6a7-0000-1111-2222-333344445555"


def protected(current: CurrentStack, _: str) -> None:
    current.shield[LB_ARN] = {"Id": "p-1", "Name": naming.SHIELD_PROTECTION_NAME, "ResourceArn": LB_ARN}


def unprotected(current: CurrentStack, _: str) -> None:
    current.shield[LB_ARN] = {}


def foreign_protection(current: CurrentStack, _: str) -> None:
    current.shield[LB_ARN] = {"Id": "p-2", "Name": "the security team's", "ResourceArn": LB_ARN}


def with_pool(current: CurrentStack, _: str) -> None:
    assert current.load_balancer is not None
    current.load_balancer["IpamPools"] = {"Ipv4IpamPoolId": "ipam-pool-0f995c17c00375b48"}


def reserved(units: int | None) -> Callable[[CurrentStack, str], None]:
    def fill(current: CurrentStack, _: str) -> None:
        current.capacity[LB_ARN] = units

    return fill


def nothing(current: CurrentStack, _: str) -> None:
    """An existing load balancer with none of the add-ons."""


POOL = "ipam-pool-0f995c17c00375b48"
COIP = "ipv4pool-coip-0123abcd"
Check = Callable[[list[dict[str, Any]]], None]
CASES: list[tuple[str, dict[str, str], Callable[[CurrentStack, str], None] | None, Check]] = [
    (
        "wafv2-acl-arn on create",
        {"wafv2-acl-arn": WAF_ARN},
        None,
        lambda s: _eq(only(s, "AssociateWebACL")["body"]["WebACLArn"], WAF_ARN),
    ),
    (
        "wafv2-acl-arn none disassociates any web ACL",
        {"wafv2-acl-arn": "none"},
        acl_associated,
        lambda s: _eq(
            (only(s, "DisassociateWebACL")["body"], only(s, "DisassociateWebACL")["field"]),
            ({"ResourceArn": LB_ARN}, f"metadata.annotations[{A}wafv2-acl-arn]"),
        ),
    ),
    (
        "wafv2-acl-name resolved by discover",
        {"wafv2-acl-name": "shop-acl"},
        acl_named,
        lambda s: _eq(only(s, "AssociateWebACL")["body"], {"WebACLArn": WAF_ARN, "ResourceArn": LB_ARN}),
    ),
    (
        "wafv2-acl-name none disassociates",
        {"wafv2-acl-name": "none"},
        acl_associated,
        lambda s: _eq(only(s, "DisassociateWebACL")["body"], {"ResourceArn": LB_ARN}),
    ),
    (
        "waf-acl-id on create",
        {"waf-acl-id": "d4e5f6a7-0000-1111-2222-333344445555"},
        None,
        lambda s: _eq(
            (only(s, "AssociateWebACL")["kind"], only(s, "AssociateWebACL")["body"]["WebACLId"]),
            (naming.WAF_CLASSIC_KIND, "d4e5f6a7-0000-1111-2222-333344445555"),
        ),
    ),
    (
        "web-acl-id, the deprecated name",
        {"web-acl-id": "d4e5f6a7-0000-1111-2222-333344445555"},
        None,
        lambda s: _eq(only(s, "AssociateWebACL")["field"], f"metadata.annotations[{A}web-acl-id]"),
    ),
    (
        "waf-acl-id none disassociates",
        {"waf-acl-id": "none"},
        classic_associated,
        lambda s: _eq(
            (only(s, "DisassociateWebACL")["kind"], only(s, "DisassociateWebACL")["body"]),
            (naming.WAF_CLASSIC_KIND, {"ResourceArn": LB_ARN}),
        ),
    ),
    (
        "shield-advanced-protection true",
        {"shield-advanced-protection": "true"},
        unprotected,
        lambda s: _eq(
            only(s, "CreateProtection")["body"],
            {"Name": naming.SHIELD_PROTECTION_NAME, "ResourceArn": LB_ARN},
        ),
    ),
    (
        "shield-advanced-protection false removes ours",
        {"shield-advanced-protection": "false"},
        protected,
        lambda s: _eq(only(s, "DeleteProtection")["body"], {"ProtectionId": "p-1"}),
    ),
]
CASES += [
    (
        "customer-owned-ipv4-pool on create",
        {"customer-owned-ipv4-pool": COIP},
        None,
        lambda s: _eq(only(s, "CreateLoadBalancer")["body"]["CustomerOwnedIpv4Pool"], COIP),
    ),
    (
        "customer-owned-ipv4-pool on an existing load balancer replaces it",
        {"customer-owned-ipv4-pool": COIP},
        nothing,
        lambda s: _eq(
            (
                only(s, "DeleteLoadBalancer")["action"],
                only(s, "CreateLoadBalancer")["body"]["CustomerOwnedIpv4Pool"],
            ),
            ("replace", COIP),
        ),
    ),
    (
        "ipam-ipv4-pool-id on create",
        {"ipam-ipv4-pool-id": POOL},
        None,
        lambda s: _eq(only(s, "CreateLoadBalancer")["body"]["IpamPools"], {"Ipv4IpamPoolId": POOL}),
    ),
    (
        "ipam-ipv4-pool-id on an existing load balancer",
        {"ipam-ipv4-pool-id": POOL},
        nothing,
        lambda s: _eq(
            only(s, "ModifyIpPools")["body"],
            {"LoadBalancerArn": LB_ARN, "IpamPools": {"Ipv4IpamPoolId": POOL}},
        ),
    ),
    (
        "minimum-load-balancer-capacity on create",
        {"minimum-load-balancer-capacity": "CapacityUnits=1000"},
        None,
        lambda s: _eq(
            only(s, "ModifyCapacityReservation")["body"]["MinimumLoadBalancerCapacity"],
            {"CapacityUnits": 1000},
        ),
    ),
    (
        "minimum-load-balancer-capacity changed",
        {"minimum-load-balancer-capacity": "CapacityUnits=1000"},
        reserved(500),
        lambda s: _eq(
            only(s, "ModifyCapacityReservation")["changes"],
            {"CapacityUnits": {"current": 500, "wanted": 1000}},
        ),
    ),
    (
        "minimum-load-balancer-capacity 0 resets",
        {"minimum-load-balancer-capacity": "CapacityUnits=0"},
        reserved(500),
        lambda s: _eq(
            only(s, "ModifyCapacityReservation")["body"],
            {"LoadBalancerArn": LB_ARN, "ResetCapacityReservation": True},
        ),
    ),
]
IP = {"target-type": "ip"}
HTTPS = '[{"HTTP": 80}, {"HTTPS": 443}]'
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b9e7f1c-1111-2222-3333-444455556666"
STORE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:truststore/shop/0123456789abcdef"
TLS = {"listen-ports": HTTPS, "certificate-arn": CERT}
CASES += [
    (
        "listener-attributes on create",
        {"listener-attributes.HTTP-80": "routing.http.response.server.enabled=false"},
        None,
        lambda s: _eq(
            only(s, "ModifyListenerAttributes")["body"]["Attributes"],
            [{"Key": "routing.http.response.server.enabled", "Value": "false"}],
        ),
    ),
    (
        "listener-attributes with an escaped comma",
        {
            **TLS,
            "listener-attributes.HTTPS-443": (
                "routing.http.response.access_control_allow_headers.header_value=a\\,b"
            ),
        },
        None,
        lambda s: _eq(only(s, "ModifyListenerAttributes")["body"]["Attributes"][0]["Value"], "a,b"),
    ),
    (
        "mutual-authentication verify by ARN",
        {
            **TLS,
            "mutual-authentication": json.dumps(
                [{"port": 443, "mode": "verify", "trustStore": STORE, "ignoreClientCertificateExpiry": True}]
            ),
        },
        None,
        lambda s: _eq(
            on_port(s, "CreateListener", 443)["body"]["MutualAuthentication"],
            {"Mode": "verify", "TrustStoreArn": STORE, "IgnoreClientCertificateExpiry": True},
        ),
    ),
    (
        "mutual-authentication passthrough, verify defaults, trust store by name",
        {
            **TLS,
            "mutual-authentication": json.dumps(
                [{"port": 443, "mode": "verify", "trustStore": "shop-store"}]
            ),
        },
        lambda c, n: c.trust_stores.update({"shop-store": STORE}),
        lambda s: _eq(
            on_port(s, "CreateListener", 443)["body"]["MutualAuthentication"],
            {"Mode": "verify", "TrustStoreArn": STORE, "IgnoreClientCertificateExpiry": False},
        ),
    ),
]
JWT = {
    "jwksEndpoint": "https://idp.example.com/jwks",
    "issuer": "https://idp.example.com",
    "additionalClaims": [
        {"name": "scope", "format": "space-separated-values", "values": ["read:api", "write"]}
    ],
}
JWT_ACTION = {
    "Type": "jwt-validation",
    "JwtValidationConfig": {
        "JwksEndpoint": "https://idp.example.com/jwks",
        "Issuer": "https://idp.example.com",
        "AdditionalClaims": [
            {"Format": "space-separated-values", "Name": "scope", "Values": ["read:api", "write"]}
        ],
    },
    "Order": 1,
}
CASES += [
    (
        "jwt-validation on the HTTPS listener's rules only",
        {**TLS, "jwt-validation": json.dumps(JWT)},
        None,
        lambda s: _eq(
            (
                [a["Type"] for a in on_port(s, "CreateRule", 443)["body"]["Actions"]],
                on_port(s, "CreateRule", 443)["body"]["Actions"][0],
                [a["Type"] for a in on_port(s, "CreateRule", 80)["body"]["Actions"]],
            ),
            (["jwt-validation", "forward"], JWT_ACTION, ["forward"]),
        ),
    ),
]
# What each case's Ingress plans without its annotation: the difference is the annotation's effect.
NO_OP: list[tuple[str, dict[str, str], Callable[[CurrentStack, str], None]]] = [
    ("wafv2-acl-arn already associated", {"wafv2-acl-arn": WAF_ARN}, acl_associated),
    (
        "wafv2-acl-name already associated",
        {"wafv2-acl-name": "shop-acl"},
        lambda c, n: (acl_named(c, n), acl_associated(c, n)),
    ),  # noqa: E501
    (
        "waf-acl-id already associated",
        {"waf-acl-id": "d4e5f6a7-0000-1111-2222-333344445555"},
        classic_associated,
    ),
    ("shield on, already protected", {"shield-advanced-protection": "true"}, protected),
    ("shield off leaves a protection not ours", {"shield-advanced-protection": "false"}, foreign_protection),
    ("absent leaves web ACLs alone", {}, lambda c, n: (acl_associated(c, n), classic_associated(c, n))),
    ("ipam pool already set", {"ipam-ipv4-pool-id": POOL}, with_pool),
    ("capacity already reserved", {"minimum-load-balancer-capacity": "CapacityUnits=500"}, reserved(500)),
    ("capacity 0 and no reservation", {"minimum-load-balancer-capacity": "CapacityUnits=0"}, reserved(None)),
    ("capacity absent leaves a reservation", {}, reserved(500)),
]


def _eq(actual: Any, expected: Any) -> None:
    assert actual == expected


@pytest.mark.parametrize(("case", "annotations", "current", "check"), CASES, ids=[c[0] for c in CASES])
def test_annotation_changes_the_plan(
    case: str, annotations: dict[str, str], current: Callable[[CurrentStack, str], None] | None, check: Check
) -> None:
    steps = plan_json(annotations, current)
    assert steps != plan_json({}, current), "the annotation changes nothing in the plan"
    check(steps)


ADD_ON_OPERATIONS = {
    "AssociateWebACL",
    "DisassociateWebACL",
    "CreateProtection",
    "DeleteProtection",
    "ModifyIpPools",
    "ModifyCapacityReservation",
    "DeleteLoadBalancer",
}


@pytest.mark.parametrize(("case", "annotations", "current"), NO_OP, ids=[c[0] for c in NO_OP])
def test_what_is_already_so_plans_nothing(
    case: str, annotations: dict[str, str], current: Callable[[CurrentStack, str], None]
) -> None:
    assert [s for s in plan_json(annotations, current) if s["operation"] in ADD_ON_OPERATIONS] == []


def test_removing_the_ipam_annotation_removes_the_pool() -> None:
    step = only(plan_json({}, with_pool), "ModifyIpPools")
    assert step["body"] == {"LoadBalancerArn": LB_ARN, "RemoveIpamPools": ["ipv4"]}
    assert step["field"] == f"metadata.annotations[{A}ipam-ipv4-pool-id]"


@pytest.mark.parametrize(
    ("annotations", "field", "says"),
    [
        (
            {"acm-pca-arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"},
            "acm-pca-arn",
            "only with",
        ),
        (
            {"create-acm-cert": "true", "acm-pca-arn": "pca-1"},
            "acm-pca-arn",
            "expected an ACM private CA ARN",
        ),
        (
            {"target-control-port.web.80": "3000"},
            "target-control-port.web.80",
            "only supported for ip targets",
        ),
        (
            {**IP, "target-control-port.web.80": "0"},
            "target-control-port.web.80",
            "an integer from 1 to 65535",
        ),
        ({"multi-cluster-target-group": "maybe"}, "multi-cluster-target-group", "'true' or 'false'"),
        ({"jwt-validation": json.dumps(JWT)}, "jwt-validation", "HTTPS listeners only"),
        (
            {
                **TLS,
                "jwt-validation": json.dumps(JWT),
                "auth-type": "cognito",
                "auth-idp-cognito": json.dumps(
                    {"userPoolARN": "arn:x", "userPoolClientID": "c", "userPoolDomain": "d"}
                ),
            },
            "jwt-validation",
            "cannot both be configured",
        ),
        (
            {"jwt-validation": '{"issuer": "https://idp"}'},
            "jwt-validation",
            "'jwksEndpoint' is a required property",
        ),
        (
            {
                "jwt-validation": json.dumps(
                    {**JWT, "additionalClaims": [{"name": "a", "format": "csv", "values": ["x"]}]}
                )
            },
            "jwt-validation",
            "expected JSON like",
        ),
        ({"listener-attributes.HTTP-8080": "a=b"}, "listener-attributes.HTTP-8080", "no listener HTTP-8080"),
        (
            {"listener-attributes.http80": "a=b"},
            "listener-attributes.http80",
            "expected listener-attributes.",
        ),
        ({"listener-attributes.HTTP-80": "a"}, "listener-attributes.HTTP-80", "('a' is not key=value)"),
        (
            {"mutual-authentication": '[{"port": 80, "mode": "passthrough"}]'},
            "mutual-authentication",
            "port 80 is not an HTTPS listen port",
        ),
        (
            {"mutual-authentication": '[{"port": 443, "mode": "verify"}]'},
            "mutual-authentication",
            "trustStore",
        ),
        (
            {"mutual-authentication": '[{"port": 443, "mode": "off", "trustStore": "x"}]'},
            "mutual-authentication",
            "expected JSON like",
        ),
        (
            {"mutual-authentication": '[{"port": 443, "mode": "off"}, {"port": 443, "mode": "passthrough"}]'},
            "mutual-authentication",
            "port 443 is configured twice",
        ),
        (
            {"minimum-load-balancer-capacity": "Units=5"},
            "minimum-load-balancer-capacity",
            "invalid key 'Units'",
        ),
        (
            {"minimum-load-balancer-capacity": "CapacityUnits=-1"},
            "minimum-load-balancer-capacity",
            "whole number",
        ),
        ({"ipam-ipv4-pool-id": "pool-1"}, "ipam-ipv4-pool-id", "expected an IPv4 IPAM pool ID"),
        (
            {"customer-owned-ipv4-pool": "coip"},
            "customer-owned-ipv4-pool",
            "expected a customer-owned IPv4 pool",
        ),
        ({"wafv2-acl-arn": "shop-acl"}, "wafv2-acl-arn", "expected a WAFv2 web ACL ARN"),
        ({"wafv2-acl-arn": WAF_ARN, "wafv2-acl-name": "shop-acl"}, "wafv2-acl-name", "not both"),
        ({"wafv2-acl-name": "shop acl"}, "wafv2-acl-name", "expected the name of a regional WAFv2 web ACL"),
        ({"shield-advanced-protection": "yes"}, "shield-advanced-protection", "expected 'true' or 'false'"),
        ({"waf-acl-id": "a/b"}, "waf-acl-id", "expected a WAF Classic regional web ACL ID"),
    ],
)
def test_bad_values_are_refused_naming_the_annotation(
    annotations: dict[str, str], field: str, says: str
) -> None:
    found = problems(annotations)
    assert any(p.startswith(f"metadata.annotations[{A}{field}]") and says in p for p in found), found


# ----------------------------------------------------------------------------------------------- moto


def web_acl(account: Account, name: str = "shop-acl") -> str:
    acl = account.client("wafv2").create_web_acl(
        Name=name,
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "m",
        },
    )
    return str(acl["Summary"]["ARN"])


def moto_ingress(account: Account, annotations: dict[str, str]) -> Any:
    return one_input(
        with_nodes(
            WEB_INGRESS.format(annotations=json.dumps({A + k: v for k, v in annotations.items()}), tls=""),
            account,
        )
    )


def converged_twice(account: Account, provider: Any, annotations: dict[str, str]) -> str:
    """Converge, then converge again with no write; the load balancer's ARN."""
    stack = moto_ingress(account, annotations)
    provider.converge(stack)
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before
    return str(account.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"])


def associated(account: Account, lb: str) -> str | None:
    return (account.client("wafv2").get_web_acl_for_resource(ResourceArn=lb).get("WebACL") or {}).get("ARN")


def test_wafv2_none_removes_even_a_foreign_association_then_by_name(account: Account) -> None:
    mine, theirs = web_acl(account), web_acl(account, "security-team")
    provider = account.provider()
    lb = converged_twice(account, provider, {})
    # Somebody else associates their web ACL: without the annotation lbctl leaves it …
    account.client("wafv2").associate_web_acl(WebACLArn=theirs, ResourceArn=lb)
    converged_twice(account, provider, {})
    assert associated(account, lb) == theirs
    # … and `none` disassociates whatever is there.
    converged_twice(account, provider, {"wafv2-acl-arn": "none"})
    assert associated(account, lb) is None
    converged_twice(account, provider, {"wafv2-acl-name": "shop-acl"})
    assert associated(account, lb) == mine
    # Removing the annotation takes off what lbctl put on.
    converged_twice(account, provider, {})
    assert associated(account, lb) is None


def test_wafv2_name_that_does_not_exist_names_the_annotation(account: Account) -> None:
    from lbctl.provider import ProviderError

    with pytest.raises(ProviderError) as raised:
        account.provider().converge(moto_ingress(account, {"wafv2-acl-name": "missing"}))
    assert raised.value.field == f"metadata.annotations[{A}wafv2-acl-name]"
    assert "no regional WAFv2 web ACL named 'missing'" in str(raised.value)


def test_shield_protection_on_and_off(account: Account) -> None:
    shield = account.client("shield")
    provider = account.provider()
    lb = converged_twice(account, provider, {"shield-advanced-protection": "true"})
    protection = shield.describe_protection(ResourceArn=lb)["Protection"]
    assert protection["Name"] == naming.SHIELD_PROTECTION_NAME
    converged_twice(account, provider, {})  # absent: unchanged
    assert shield.list_protections()["Protections"]
    converged_twice(account, provider, {"shield-advanced-protection": "false"})
    assert not shield.list_protections().get("Protections")


# ----------------------------------------------------------------------------------------------- Stubber


@contextmanager
def stubbed(provider: Any, service: str) -> Iterator[Stubber]:
    """The provider's client of `service` answering from a Stubber, which validates each request against the
    real service model (and fails on any request not expected)."""
    stub = Stubber(provider.clients.clients[service])
    with stub:
        yield stub
    stub.assert_no_pending_responses()


def run_steps(provider: Any, steps: list[Step], results: dict[str, dict[str, Any]] | None = None) -> Applier:
    stack = one_input(ingress({}))
    applier = Applier(provider.clients, stack.spec)
    applier.results.update(results or {})
    applier.run(steps)
    return applier


def planned_steps(
    annotations: dict[str, str], current: Callable[[CurrentStack, str], None] | None, operation: str | None
) -> list[Step]:
    stack = one_input(ingress(annotations))
    desired = translate(stack.spec, CLUSTER, secrets=stack.secrets, tls=stack.tls, targets=stack.targets)
    have = CurrentStack(vpc_id="vpc-0a", subnet_ids=["subnet-0a", "subnet-0b"])
    if current is not None:
        lb = existing_lb(desired.load_balancer.name, dict(desired.load_balancer.tags))
        have.load_balancers, have.load_balancer = [lb], matching_load_balancer(desired.load_balancer, [lb])
        current(have, desired.load_balancer.name)
    return [s for s in plan(desired, have) if operation is None or s.operation == operation]


def test_waf_classic_requests_match_the_waf_regional_model(account: Account) -> None:
    """moto has no waf-regional: the associate and disassociate requests go to a Stubber."""
    provider = account.provider()
    associate = planned_steps(
        {"waf-acl-id": "d4e5f6a7-0000-1111-2222-333344445555"}, unprotected, "AssociateWebACL"
    )
    disassociate = planned_steps({"waf-acl-id": "none"}, classic_associated, "DisassociateWebACL")
    with stubbed(provider, "waf-regional") as stub:
        stub.add_response(
            "associate_web_acl",
            {},
            {"WebACLId": "d4e5f6a7-0000-1111-2222-333344445555", "ResourceArn": LB_ARN},
        )
        stub.add_response("disassociate_web_acl", {}, {"ResourceArn": LB_ARN})
        applier = run_steps(provider, associate + disassociate)
    assert [s.operation for s in applier.done] == ["AssociateWebACL", "DisassociateWebACL"]


def test_waf_classic_is_read_back_from_waf_regional(account: Account) -> None:
    """Discover reads the associated WAF Classic web ACL (Stubber: moto lacks waf-regional)."""
    from providers.aws.discover import _add_ons

    provider = account.provider()
    stack = one_input(ingress({"waf-acl-id": "d4e5f6a7-0000-1111-2222-333344445555"}))
    desired = translate(stack.spec, CLUSTER, targets=stack.targets)
    current = CurrentStack()
    with stubbed(provider, "waf-regional") as stub:
        stub.add_response(
            "get_web_acl_for_resource",
            {"WebACLSummary": {"WebACLId": "d4e5f6a7-0000-1111-2222-333344445555", "Name": "classic"}},
            {"ResourceArn": LB_ARN},
        )
        _add_ons(provider.clients, desired.load_balancer, LB_ARN, {}, current)
    assert current.waf_classic == {LB_ARN: "d4e5f6a7-0000-1111-2222-333344445555"}


def test_refs_are_resolved_in_add_on_steps() -> None:
    """On a new load balancer, the add-on steps name it by the Ref of its CreateLoadBalancer step."""
    steps = [
        s
        for s in plan_json({"waf-acl-id": "x-1", "shield-advanced-protection": "true"})
        if s["operation"] in ("AssociateWebACL", "CreateProtection")
    ]  # noqa: E501
    assert len(steps) == 2
    assert all(str(s["body"]["ResourceArn"]).startswith("(known after LoadBalancer") for s in steps)
    assert isinstance(Ref("k", "LoadBalancerArn"), Ref)


def test_capacity_reset_on_moto_reads_back_and_writes_nothing(account: Account) -> None:
    """moto describes every load balancer as having no reservation: `CapacityUnits=0` has nothing to reset."""
    converged_twice(account, account.provider(), {"minimum-load-balancer-capacity": "CapacityUnits=0"})


def test_create_with_pools_and_capacity_matches_the_elbv2_model(account: Account) -> None:
    """moto ignores IpamPools and CustomerOwnedIpv4Pool and lacks ModifyCapacityReservation: the create and
    the reservation that follows it go to a Stubber."""
    annotations = {
        "customer-owned-ipv4-pool": COIP,
        "ipam-ipv4-pool-id": POOL,
        "minimum-load-balancer-capacity": "CapacityUnits=1000",
    }
    every = planned_steps(annotations, None, None)
    steps = [s for s in every if s.kind == "LoadBalancer"]
    assert [s.operation for s in steps] == ["CreateLoadBalancer", "ModifyCapacityReservation"]
    provider = account.provider()
    earlier = {s.key: {"GroupId": "sg-0a"} for s in every}  # what the steps before would have produced
    create = {**steps[0].body, "SecurityGroups": ["sg-0a"]}
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "create_load_balancer",
            {"LoadBalancers": [{"LoadBalancerArn": LB_ARN, "DNSName": "lb.example"}]},
            {**create, "CustomerOwnedIpv4Pool": COIP, "IpamPools": {"Ipv4IpamPoolId": POOL}},
        )
        stub.add_response(
            "modify_capacity_reservation",
            {"MinimumLoadBalancerCapacity": {"CapacityUnits": 1000}},
            {"LoadBalancerArn": LB_ARN, "MinimumLoadBalancerCapacity": {"CapacityUnits": 1000}},
        )
        applier = run_steps(provider, steps, earlier)
    assert [s.operation for s in applier.done] == ["CreateLoadBalancer", "ModifyCapacityReservation"]


def test_pool_and_capacity_changes_match_the_elbv2_model(account: Account) -> None:
    provider = account.provider()
    steps = planned_steps(
        {"minimum-load-balancer-capacity": "CapacityUnits=0"}, reserved(500), "ModifyCapacityReservation"
    )
    steps += planned_steps({}, with_pool, "ModifyIpPools")
    steps += planned_steps({"ipam-ipv4-pool-id": POOL}, nothing, "ModifyIpPools")
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "modify_capacity_reservation", {}, {"LoadBalancerArn": LB_ARN, "ResetCapacityReservation": True}
        )
        stub.add_response("modify_ip_pools", {}, {"LoadBalancerArn": LB_ARN, "RemoveIpamPools": ["ipv4"]})
        stub.add_response(
            "modify_ip_pools",
            {"IpamPools": {"Ipv4IpamPoolId": POOL}},
            {"LoadBalancerArn": LB_ARN, "IpamPools": {"Ipv4IpamPoolId": POOL}},
        )
        applier = run_steps(provider, steps)
    assert len(applier.done) == 3


def test_capacity_is_read_back_so_the_next_plan_is_empty(account: Account) -> None:
    """DescribeCapacityReservation (Stubber: moto answers without the units) feeds the comparison."""
    from providers.aws.discover import capacity_units

    provider = account.provider()
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "describe_capacity_reservation",
            {
                "MinimumLoadBalancerCapacity": {"CapacityUnits": 1000},
                "CapacityReservationState": [
                    {"AvailabilityZone": "us-east-1a", "State": {"Code": "provisioned"}}
                ],
            },
            {"LoadBalancerArn": LB_ARN},
        )
        units = capacity_units(provider.clients, LB_ARN)
    assert units == 1000
    assert (
        planned_steps(
            {"minimum-load-balancer-capacity": "CapacityUnits=1000"},
            reserved(units),
            "ModifyCapacityReservation",
        )
        == []
    )  # noqa: E501


def with_listeners(
    annotations: dict[str, str], mtls: dict[str, Any] | None
) -> Callable[[CurrentStack, str], None]:
    """An account holding the listeners as planned for `annotations` (what DescribeListeners would return),
    the HTTPS one with `mtls` as its MutualAuthentication."""
    created = [
        s
        for s in plan_json(annotations, lambda c, n: c.trust_stores.update({"shop-store": STORE}))
        if s["operation"] == "CreateListener"
    ]

    def fill(current: CurrentStack, _: str) -> None:
        current.trust_stores["shop-store"] = STORE
        for n, step in enumerate(created):
            body = {k: v for k, v in step["body"].items() if k not in ("Tags", "LoadBalancerArn")}
            body.pop("MutualAuthentication", None)
            if mtls is not None and body["Protocol"] == "HTTPS":
                body["MutualAuthentication"] = mtls
            current.listeners.append({**body, "ListenerArn": f"{LB_ARN}/listener-{n}"})

    return fill


VERIFY = {
    **TLS,
    "mutual-authentication": json.dumps([{"port": 443, "mode": "verify", "trustStore": "shop-store"}]),
}
OFF = {**TLS, "mutual-authentication": json.dumps([{"port": 443, "mode": "off"}])}
AS_AWS_DESCRIBES = {
    "Mode": "verify",
    "TrustStoreArn": STORE,
    "IgnoreClientCertificateExpiry": False,
    "TrustStoreAssociationStatus": "active",
    "AdvertiseTrustStoreCaNames": "off",
}


def modify_listener(annotations: dict[str, str], have: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [
        s
        for s in plan_json(annotations, with_listeners(annotations, have))
        if s["operation"] == "ModifyListener"
    ]


def test_mutual_tls_as_aws_describes_it_plans_nothing() -> None:
    assert modify_listener(VERIFY, AS_AWS_DESCRIBES) == []
    assert modify_listener(OFF, None) == [] and modify_listener(OFF, {"Mode": "off"}) == []
    assert modify_listener(TLS, AS_AWS_DESCRIBES) == [], "absent: not managed (turn it off with mode off)"


def test_mutual_tls_changes_are_modify_listener_calls() -> None:
    (off,) = modify_listener(OFF, AS_AWS_DESCRIBES)
    assert off["body"]["MutualAuthentication"] == {"Mode": "off"}
    assert off["field"] == f"metadata.annotations[{A}mutual-authentication]"
    (verify,) = modify_listener(VERIFY, {"Mode": "passthrough"})
    assert verify["body"]["MutualAuthentication"]["TrustStoreArn"] == STORE


def test_mutual_tls_requests_match_the_elbv2_model(account: Account) -> None:
    """moto ignores MutualAuthentication and has no trust stores: CreateListener, ModifyListener and the
    trust store lookup go to a Stubber."""
    from providers.aws.discover import _trust_stores

    provider = account.provider()
    stack = one_input(ingress(VERIFY))
    desired = translate(stack.spec, CLUSTER, targets=stack.targets)
    current = CurrentStack()
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "describe_trust_stores",
            {"TrustStores": [{"Name": "shop-store", "TrustStoreArn": STORE}]},
            {"Names": ["shop-store"]},
        )
        _trust_stores(provider.clients, desired, stack.spec, current)
    assert current.trust_stores == {"shop-store": STORE}
    every = planned_steps(VERIFY, lambda c, n: c.trust_stores.update({"shop-store": STORE}), None)
    (create,) = [s for s in every if s.operation == "CreateListener" and s.body["Port"] == 443]
    modify = [
        s for s in plan(desired, _kept(VERIFY, {"Mode": "passthrough"})) if s.operation == "ModifyListener"
    ]
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "create_listener",
            {"Listeners": [{"ListenerArn": f"{LB_ARN}/listener-1"}]},
            dict(create.body),
        )
        stub.add_response("modify_listener", {}, dict(modify[0].body))
        applier = run_steps(provider, [create, *modify], {})
    assert [s.operation for s in applier.done] == ["CreateListener", "ModifyListener"]


def _kept(annotations: dict[str, str], mtls: dict[str, Any] | None) -> CurrentStack:
    stack = one_input(ingress(annotations))
    desired = translate(stack.spec, CLUSTER, targets=stack.targets)
    have = CurrentStack(vpc_id="vpc-0a", subnet_ids=["subnet-0a", "subnet-0b"])
    lb = existing_lb(desired.load_balancer.name, dict(desired.load_balancer.tags))
    have.load_balancers, have.load_balancer = [lb], lb
    with_listeners(annotations, mtls)(have, lb["LoadBalancerName"])
    return have


def test_mutual_tls_trust_store_name_that_does_not_exist(account: Account) -> None:
    from lbctl.provider import ProviderError
    from providers.aws.discover import _trust_stores

    provider = account.provider()
    stack = one_input(ingress(VERIFY))
    desired = translate(stack.spec, CLUSTER, targets=stack.targets)
    with stubbed(provider, "elbv2") as stub:
        stub.add_client_error("describe_trust_stores", "TrustStoreNotFound", http_status_code=400)
        with pytest.raises(ProviderError) as raised:
            _trust_stores(provider.clients, desired, stack.spec, CurrentStack())
    assert raised.value.field == f"metadata.annotations[{A}mutual-authentication]"
    assert "no trust store named 'shop-store'" in str(raised.value)


def test_listener_attributes_on_moto(account: Account) -> None:
    provider = account.provider()
    annotations = {"listener-attributes.HTTP-80": "routing.http.response.server.enabled=false"}
    converged_twice(account, provider, annotations)
    elb = account.client("elbv2")
    (listener,) = elb.describe_listeners(
        LoadBalancerArn=elb.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    )["Listeners"]
    attributes = elb.describe_listener_attributes(ListenerArn=listener["ListenerArn"])["Attributes"]
    assert {"Key": "routing.http.response.server.enabled", "Value": "false"} in attributes
    converged_twice(
        account, provider, {"listener-attributes.HTTP-80": "routing.http.response.server.enabled=true"}
    )
    attributes = elb.describe_listener_attributes(ListenerArn=listener["ListenerArn"])["Attributes"]
    assert {"Key": "routing.http.response.server.enabled", "Value": "true"} in attributes


def test_jwt_validation_request_matches_the_elbv2_model(account: Account) -> None:
    """moto does not know the jwt-validation action: CreateRule goes to a Stubber."""
    provider = account.provider()
    annotations = {**TLS, "jwt-validation": json.dumps(JWT)}
    every = planned_steps(annotations, nothing, None)
    (create,) = [s for s in every if s.operation == "CreateRule" and s.name.startswith("HTTPS:443")]
    earlier = {s.key: {"ListenerArn": f"{LB_ARN}/listener-1", "TargetGroupArn": "arn:tg"} for s in every}
    expected = json.loads(json.dumps(dict(create.body), default=str))
    expected["ListenerArn"] = f"{LB_ARN}/listener-1"
    expected["Actions"][1]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"] = "arn:tg"
    with stubbed(provider, "elbv2") as stub:
        stub.add_response("create_rule", {"Rules": [{"RuleArn": f"{LB_ARN}/rule-1"}]}, expected)
        applier = run_steps(provider, [create], earlier)
    assert [s.operation for s in applier.done] == ["CreateRule"]


def test_jwt_validation_read_back_compares_as_aws_describes_it() -> None:
    from providers.aws.diff import canonical_actions

    forward = {
        "Type": "forward",
        "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "tg", "Weight": 1}]},
        "Order": 2,
    }
    described = {**JWT_ACTION, "JwtValidationConfig": {**JWT_ACTION["JwtValidationConfig"]}}
    assert canonical_actions([forward, described]) == canonical_actions([JWT_ACTION, forward])
    changed = {
        **JWT_ACTION,
        "JwtValidationConfig": {**JWT_ACTION["JwtValidationConfig"], "Issuer": "https://other"},
    }
    assert canonical_actions([changed, forward]) != canonical_actions([JWT_ACTION, forward])
    assert canonical_actions([forward]) != canonical_actions([JWT_ACTION, forward])


# ----------------------------------------------------------------------------------------------- targets


def test_target_control_port_goes_into_the_target_group_and_its_name() -> None:
    plain = only(plan_json(IP), "CreateTargetGroup")
    for key in ("target-control-port.web.80", "target-control-port.web.http"):
        step = only(plan_json({**IP, key: "3000"}), "CreateTargetGroup")
        assert step["body"]["TargetControlPort"] == 3000
        assert step["name"] != plain["name"], "AWS cannot change the port: a new value is a new target group"
    assert "TargetControlPort" not in plain["body"]
    other = only(plan_json({**IP, "target-control-port.web.80": "3001"}), "CreateTargetGroup")
    assert other["name"] != step["name"]


def test_target_control_port_request_matches_the_elbv2_model(account: Account) -> None:
    """moto ignores TargetControlPort: CreateTargetGroup goes to a Stubber."""
    provider = account.provider()
    (create,) = planned_steps({**IP, "target-control-port.web.80": "3000"}, None, "CreateTargetGroup")
    with stubbed(provider, "elbv2") as stub:
        stub.add_response(
            "create_target_group",
            {"TargetGroups": [{"TargetGroupArn": "arn:tg", "TargetControlPort": 3000}]},
            dict(create.body),
        )
        applier = run_steps(provider, [create])
    assert [s.operation for s in applier.done] == ["CreateTargetGroup"]


def _registered_foreign(annotations: dict[str, str]) -> list[dict[str, Any]]:
    """The plan against an account where the stack's target group also holds another cluster's target."""
    created = only(plan_json(annotations), "CreateTargetGroup")
    stack = one_input(ingress(annotations))
    desired = translate(
        stack.spec, CLUSTER, secrets=stack.secrets, tls=stack.tls, targets=stack.targets, known=stack.known
    )
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shared/0123"
    body = created["body"]

    def fill(current: CurrentStack, _: str) -> None:
        current.target_groups.append(
            {
                **body,
                "TargetGroupArn": arn,
                "TargetGroupName": body["Name"],
                "Tags": naming.tag_dict(body["Tags"]),
            }
        )
        ours = next(iter(desired.targets.values()))
        current.targets[arn] = set(ours) | {("10.9.9.9", 8080)}

    return plan_json(annotations, fill)


def test_multi_cluster_target_group_keeps_targets_it_does_not_know() -> None:
    plain = _registered_foreign(IP)
    assert only(plain, "DeregisterTargets")["body"]["Targets"] == [{"Id": "10.9.9.9", "Port": 8080}]
    shared = _registered_foreign({**IP, "multi-cluster-target-group": "true"})
    assert "DeregisterTargets" not in operations(shared)


def test_multi_cluster_on_the_service_turns_it_on_too() -> None:
    import yaml

    text = ingress(IP).replace(
        "metadata: {name: web, namespace: shop}",
        "metadata: {name: web, namespace: shop, annotations: "
        '{"alb.ingress.kubernetes.io/multi-cluster-target-group": "true"}}',
    )
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    (spec,) = build(snapshot, BuildConfig.for_provider("aws")).specs
    (backend,) = spec.backends.values()
    assert backend.multi_cluster
    assert backend.field_of("multi_cluster").startswith("Service shop/web ")


def test_multi_cluster_on_moto_leaves_another_clusters_target(account: Account) -> None:
    provider = account.provider()
    annotations = {**IP, "multi-cluster-target-group": "true"}
    converged_twice(account, provider, annotations)
    elb = account.client("elbv2")
    (group,) = elb.describe_target_groups()["TargetGroups"]
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": "10.0.2.99", "Port": 8080}])
    converged_twice(account, provider, annotations)
    health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert ("10.0.2.99", 8080) in {(h["Target"]["Id"], h["Target"]["Port"]) for h in health}
    provider.converge(moto_ingress(account, IP))  # not shared any more: the foreign target goes
    health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert ("10.0.2.99", 8080) not in {(h["Target"]["Id"], h["Target"]["Port"]) for h in health}


def test_target_control_port_is_opened_from_the_backend_security_group() -> None:
    """As the anchor does: the node/pod security group rule from the backend group spans the control port."""
    from providers.aws import backend_sg

    stack = one_input(ingress({**IP, "target-control-port.web.80": "3000"}))
    desired = translate(stack.spec, CLUSTER, targets=stack.targets)
    assert desired.backend is not None
    (key,) = desired.target_groups
    assert desired.backend.control_ports == {key: 3000}
    wanted = {key: {("10.0.0.11", 8080)}}
    needs = backend_sg.stack_needs(wanted, {}, {"10.0.0.11": "sg-node"}, desired.backend.control_ports)
    assert needs == {key: {"sg-node": (3000, 8080)}}


def test_cli_validates_and_plans_every_add_on() -> None:
    """`lbctl validate` accepts them all and `lbctl plan --offline -o json` (the real command against the
    embedded account) shows each one's request."""
    import tempfile

    from emulators.testing.cli import ROOT as ROOT_DIR
    from emulators.testing.cli import lbctl_in_process

    annotations = {
        "listen-ports": HTTPS,
        "certificate-arn": CERT,
        "target-type": "ip",
        "wafv2-acl-arn": WAF_ARN,
        "waf-acl-id": "d4e5f6a7-0000-1111-2222-333344445555",
        "shield-advanced-protection": "true",
        "customer-owned-ipv4-pool": COIP,
        "ipam-ipv4-pool-id": POOL,
        "minimum-load-balancer-capacity": "CapacityUnits=100",
        "listener-attributes.HTTP-80": "routing.http.response.server.enabled=false",
        "mutual-authentication": json.dumps([{"port": 443, "mode": "verify", "trustStore": STORE}]),
        "jwt-validation": json.dumps(JWT),
        "target-control-port.web.80": "3000",
        "multi-cluster-target-group": "true",
    }
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as manifest:
        manifest.write(ingress(annotations))
        manifest.flush()
        checked = lbctl_in_process("validate", "-f", manifest.name, "--provider", "aws", cwd=ROOT_DIR)
        assert checked.returncode == 0 and "unknown annotation" not in checked.stdout + checked.stderr, (
            checked
        )
        done = lbctl_in_process(
            "plan", "-f", manifest.name, "--provider", "aws", "--offline", "-o", "json", cwd=ROOT_DIR
        )
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    steps = doc["steps"]
    lb = only(steps, "CreateLoadBalancer")["body"]
    assert (lb["CustomerOwnedIpv4Pool"], lb["IpamPools"]) == (COIP, {"Ipv4IpamPoolId": POOL})
    assert only(steps, "CreateTargetGroup")["body"]["TargetControlPort"] == 3000
    assert only(steps, "ModifyCapacityReservation")["body"]["MinimumLoadBalancerCapacity"] == {
        "CapacityUnits": 100
    }
    assert sorted(s["kind"] for s in steps if s["operation"] == "AssociateWebACL") == [
        "LoadBalancer",
        "WAFClassic",
    ]
    assert only(steps, "CreateProtection")["body"]["Name"] == naming.SHIELD_PROTECTION_NAME
    assert only(steps, "ModifyListenerAttributes")["body"]["Attributes"][0]["Value"] == "false"
    assert on_port(steps, "CreateListener", 443)["body"]["MutualAuthentication"]["Mode"] == "verify"
    assert on_port(steps, "CreateRule", 443)["body"]["Actions"][0]["Type"] == "jwt-validation"


# ----------------------------------------------------------------------------------------------- ACM requests

PCA = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0a1b2c3d-1111-2222-3333-444455556666"
REQUEST = {"create-acm-cert": "true"}


def test_create_acm_cert_requests_a_certificate_and_the_https_listener_waits() -> None:
    steps = plan_json(REQUEST)
    body = only(steps, "RequestCertificate")["body"]
    assert (body["DomainName"], body["SubjectAlternativeNames"], body["ValidationMethod"]) == (
        "www.example.com",
        ["www.example.com"],
        "DNS",
    )
    tags = naming.tag_dict(body["Tags"])
    assert tags[naming.RESOURCE_TAG] == naming.ROLE_REQUESTED_CERTIFICATE + "shop/web"
    assert tags[naming.CONTENT_HASH_TAG] == body["IdempotencyToken"]
    assert "CreateListener" not in operations(steps), "no HTTPS listener before ACM issues the certificate"
    private = only(plan_json({**REQUEST, "acm-pca-arn": PCA}), "RequestCertificate")["body"]
    assert private["CertificateAuthorityArn"] == PCA and "ValidationMethod" not in private
    assert private["IdempotencyToken"] != body["IdempotencyToken"], "another CA is another certificate"


def test_create_acm_cert_request_matches_the_acm_model(account: Account) -> None:
    provider = account.provider()
    (request,) = planned_steps({**REQUEST, "acm-pca-arn": PCA}, None, "RequestCertificate")
    with stubbed(provider, "acm") as stub:
        stub.add_response(
            "request_certificate",
            {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/new"},
            dict(request.body),
        )
        applier = run_steps(provider, [request])
    assert [s.operation for s in applier.done] == ["RequestCertificate"]


def _listeners(account: Account) -> dict[int, dict[str, Any]]:
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    return {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb)["Listeners"]}


def test_private_ca_certificate_is_requested_attached_and_deleted_on_moto(account: Account) -> None:
    provider = account.provider()
    acm = account.client("acm")
    stack = moto_ingress(account, {**REQUEST, "acm-pca-arn": PCA})
    first = provider.converge(stack)
    assert any("requested" in w for w in first.warnings) and 443 not in _listeners(account)
    (summary,) = acm.list_certificates()["CertificateSummaryList"]
    converged_twice(account, provider, {**REQUEST, "acm-pca-arn": PCA})  # issued: the listener uses it
    assert _listeners(account)[443]["Certificates"][0]["CertificateArn"] == summary["CertificateArn"]
    converged_twice(account, provider, {})  # no longer asked for: the listener and the certificate go
    assert 443 not in _listeners(account)
    assert acm.list_certificates()["CertificateSummaryList"] == []


def test_amazon_issued_certificate_waiting_for_validation_writes_nothing(account: Account) -> None:
    """moto keeps an Amazon-issued certificate pending for a minute: the second converge reads it, says what
    ACM waits for and makes no call that writes."""
    provider = account.provider()
    stack = moto_ingress(account, REQUEST)
    provider.converge(stack)
    before = provider.stats.total(mutating=True)
    again = provider.converge(stack)
    assert again.changes == [] and provider.stats.total(mutating=True) == before
    assert any("PENDING_VALIDATION" in w for w in again.warnings), again.warnings


def test_dns_validation_records_go_into_the_hosted_zone_on_moto(account: Account) -> None:
    route53 = account.client("route53")
    zone = route53.create_hosted_zone(Name="example.com", CallerReference="shop")["HostedZone"]["Id"]
    provider = account.provider()
    stack = moto_ingress(account, REQUEST)
    provider.converge(stack)  # requested
    second = provider.converge(stack)  # pending: the validation record is written
    assert [c.kind for c in second.changes] == ["HostedZone"]
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    (cname,) = [r for r in records if r["Type"] == "CNAME"]
    assert cname["Name"].startswith("_") and cname["Name"].endswith("www.example.com.")
    before = provider.stats.total(mutating=True)
    third = provider.converge(stack)
    assert third.changes == [] and provider.stats.total(mutating=True) == before
    assert any("PENDING_VALIDATION" in w for w in third.warnings)
