"""IngressClassParams: every one of its 19 spec fields changes the planned request as `lbctl plan -o json`
shows it (a table: the real model, then the AWS provider's plan against moto, nothing applied), an annotation
asking for another value is an error naming both fields, maps (tags, load balancer and listener attributes)
merge by key, and an invalid field refuses the Ingresses of the class naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from emulators.testing.aws_stacks import Account, with_nodes
from lbctl.cli.render import step_documents
from lbctl.model.builder import BuildConfig, build
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import StackInput

A = "alb.ingress.kubernetes.io/"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b9e7f1c-1111-2222-3333-444455556666"
WAF_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-acl/0b9e7f1c-1111-2222-3333-444455556666"

MANIFEST = """
apiVersion: v1
kind: Namespace
metadata: {{name: shop, labels: {{team: shop}}}}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: shop-alb}}
spec:
  controller: ingress.k8s.aws/alb
  parameters: {{apiGroup: elbv2.k8s.aws, kind: IngressClassParams, name: shop-params}}
---
apiVersion: elbv2.k8s.aws/v1beta1
kind: IngressClassParams
metadata: {{name: shop-params}}
spec: {params}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: shop, annotations: {annotations}}}
spec:
  ingressClassName: shop-alb
  rules:
    - host: www.example.com
      http:
        paths:
          - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: shop}}
spec:
  type: NodePort
  ports: [{{name: http, port: 80, targetPort: 8080, nodePort: 30100}}]
"""


def manifest(account: Account, params: dict[str, Any], annotations: dict[str, str] | None = None) -> str:
    annotations = {A + k: v for k, v in (annotations or {}).items()}
    return with_nodes(
        MANIFEST.format(params=json.dumps(params), annotations=json.dumps(annotations)), account
    )


def built(text: str, **config: Any) -> tuple[ClusterSnapshot, Any]:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(text) if d)
    return snapshot, build(snapshot, BuildConfig.for_provider("aws", **config))


def errors(text: str) -> list[str]:
    _, result = built(text)
    return [f"{p.field}: {p.message}" for p in result.problems if p.severity == "error"]


def planned(account: Account, text: str) -> list[dict[str, Any]]:
    """The steps `lbctl plan -o json` prints for the one group of `text`, against the moto account."""
    snapshot, result = built(text)
    assert not [p for p in result.problems if p.severity == "error"], [str(p) for p in result.problems]
    (spec,) = result.specs
    steps = account.provider().plan(StackInput.from_snapshot(spec, snapshot)).steps
    return json.loads(json.dumps(step_documents(steps), default=str))


def bodies(steps: list[dict[str, Any]], operation: str) -> list[dict[str, Any]]:
    return [s["body"] for s in steps if s["operation"] == operation]


def tags(body: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in body.get("Tags", [])}


def lb(steps: list[dict[str, Any]]) -> dict[str, Any]:
    (body,) = bodies(steps, "CreateLoadBalancer")
    return body


def listeners(steps: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {b["Port"]: b for b in bodies(steps, "CreateListener")}


def tagged_subnets(account: Account) -> list[str]:
    """Two extra subnets tagged for the class's tag selector, in two AZs."""
    ec2 = account.client("ec2")
    out = []
    for i, zone in enumerate(("us-east-1a", "us-east-1b")):
        out.append(
            ec2.create_subnet(
                VpcId=account.vpc_id,
                CidrBlock=f"10.0.{i + 40}.0/24",
                AvailabilityZone=zone,
                TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "tier", "Value": "edge"}]}],
            )["Subnet"]["SubnetId"]
        )
    return sorted(out)


Check = Callable[[list[dict[str, Any]], Account, Any], None]


def _name(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert lb(steps)["Name"] == "shop-lb"


def _group(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert tags(lb(steps))["lbctl.io/stack"] == "shop-edge"
    assert lb(steps)["Name"].startswith("k8s-shopedge-")


def _scheme(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert lb(steps)["Scheme"] == "internet-facing"


def _cidrs(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    ranges = [
        r["CidrIp"]
        for b in bodies(steps, "AuthorizeSecurityGroupIngress")
        for p in b["IpPermissions"]
        for r in p.get("IpRanges", [])
    ]
    assert ranges and set(ranges) == {"10.1.0.0/16"}


def _certificate(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert listeners(steps)[443]["Certificates"] == [{"CertificateArn": CERT}]


def _ssl_policy(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert listeners(steps)[443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def _redirect(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (action,) = listeners(steps)[80]["DefaultActions"]
    assert action["Type"] == "redirect" and action["RedirectConfig"]["Port"] == "443"


def _subnet_ids(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert sorted(lb(steps)["Subnets"]) == sorted(account.subnets.values())[:2]


def _subnet_tags(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert sorted(lb(steps)["Subnets"]) == extra


def _ip_type(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert lb(steps)["IpAddressType"] == "dualstack"


def _tags(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert tags(lb(steps))["org"] == "acme"
    (group,) = bodies(steps, "CreateTargetGroup")
    assert tags(group)["org"] == "acme"


def _target_type(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (group,) = bodies(steps, "CreateTargetGroup")
    assert group["TargetType"] == "ip"


def _attributes(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (body,) = bodies(steps, "ModifyLoadBalancerAttributes")
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "120"} in body["Attributes"]


def _waf_arn(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (body,) = bodies(steps, "AssociateWebACL")
    assert body["WebACLArn"] == WAF_ARN


def _waf_name(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (body,) = bodies(steps, "AssociateWebACL")
    assert body["WebACLArn"] == extra


def _waf(account: Account) -> str:
    acl = account.client("wafv2").create_web_acl(
        Name="shop-acl",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": False,
            "CloudWatchMetricsEnabled": False,
            "MetricName": "m",
        },
    )
    return str(acl["Summary"]["ARN"])


def _capacity(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (body,) = bodies(steps, "ModifyCapacityReservation")
    assert body["MinimumLoadBalancerCapacity"] == {"CapacityUnits": 100}


def _ipam(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert lb(steps)["IpamPools"] == {"Ipv4IpamPoolId": "ipam-pool-0123456789abcdef0"}


def _prefix_lists(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    lists = [
        r["PrefixListId"]
        for b in bodies(steps, "AuthorizeSecurityGroupIngress")
        for p in b["IpPermissions"]
        for r in p.get("PrefixListIds", [])
    ]
    assert lists and set(lists) == {"pl-0123456789abcdef0"}


def _listener_attributes(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    (body,) = bodies(steps, "ModifyListenerAttributes")
    assert body["Attributes"] == [{"Key": "routing.http.response.server.enabled", "Value": "false"}]


def _selected(steps: list[dict[str, Any]], account: Account, extra: Any) -> None:
    assert lb(steps)  # the namespace is selected: planned as without a selector


TLS = {"certificateArn": [CERT]}
# field → (params, annotations the Ingress needs for the field to apply, check, account set-up); the baseline
# is the same without the field (with the certificate where the field needs HTTPS).
FIELDS: dict[str, tuple[dict[str, Any], dict[str, str], Check, Callable[[Account], Any] | None]] = {
    "loadBalancerName": ({"loadBalancerName": "shop-lb"}, {}, _name, None),
    "namespaceSelector": ({"namespaceSelector": {"matchLabels": {"team": "shop"}}}, {}, _selected, None),
    "group": ({"group": {"name": "shop-edge"}}, {}, _group, None),
    "scheme": ({"scheme": "internet-facing"}, {}, _scheme, None),
    "inboundCIDRs": ({"inboundCIDRs": ["10.1.0.0/16"]}, {}, _cidrs, None),
    "certificateArn": (TLS, {}, _certificate, None),
    "sslPolicy": ({**TLS, "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, {}, _ssl_policy, None),
    "sslRedirectPort": (
        {**TLS, "sslRedirectPort": "443"},
        {"listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]'},
        _redirect,
        None,
    ),
    "subnets.ids": ({"subnets": {"ids": "SUBNETS"}}, {}, _subnet_ids, None),
    "subnets.tags": ({"subnets": {"tags": {"tier": ["edge"]}}}, {}, _subnet_tags, tagged_subnets),
    "ipAddressType": ({"ipAddressType": "dualstack"}, {}, _ip_type, None),
    "tags": ({"tags": [{"key": "org", "value": "acme"}]}, {}, _tags, None),
    "targetType": ({"targetType": "ip"}, {}, _target_type, None),
    "loadBalancerAttributes": (
        {"loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}]},
        {},
        _attributes,
        None,
    ),
    "wafv2AclArn": ({"wafv2AclArn": WAF_ARN}, {}, _waf_arn, None),
    "wafv2AclName": ({"wafv2AclName": "shop-acl"}, {}, _waf_name, _waf),
    "listeners": (
        {
            "listeners": [
                {
                    "protocol": "HTTP",
                    "port": 80,
                    "listenerAttributes": [{"key": "routing.http.response.server.enabled", "value": "false"}],
                },
                {"protocol": "HTTPS", "port": 8443, "listenerAttributes": [{"key": "x", "value": "y"}]},
            ]
        },
        {},
        _listener_attributes,
        None,
    ),
    "minimumLoadBalancerCapacity": (
        {"minimumLoadBalancerCapacity": {"capacityUnits": 100}},
        {},
        _capacity,
        None,
    ),
    "ipamConfiguration": (
        {"ipamConfiguration": {"ipv4IPAMPoolId": "ipam-pool-0123456789abcdef0"}},
        {},
        _ipam,
        None,
    ),
    "prefixListsIDs": ({"prefixListsIDs": ["pl-0123456789abcdef0"]}, {}, _prefix_lists, None),
    "PrefixListsIDs": ({"PrefixListsIDs": ["pl-0123456789abcdef0"]}, {}, _prefix_lists, None),
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_each_field_changes_the_planned_request(account: Account, field: str) -> None:
    params, annotations, check, setup = FIELDS[field]
    extra = setup(account) if setup else None
    if params.get("subnets", {}).get("ids") == "SUBNETS":
        params = {"subnets": {"ids": sorted(account.subnets.values())[:2]}}
    base = TLS if field in ("sslPolicy", "sslRedirectPort") else {}
    baseline = planned(account, manifest(account, base, annotations))
    with_params = planned(account, manifest(account, params, annotations))
    if field != "namespaceSelector":
        assert with_params != baseline, f"{field} changed nothing in the plan"
        with pytest.raises((AssertionError, KeyError, ValueError)):
            check(baseline, account, extra)  # the check tells the two apart
    check(with_params, account, extra)


def test_every_field_of_the_crd_is_covered() -> None:
    from lbctl.model.alb_params import FIELDS as SPEC_FIELDS

    covered = {f.split(".")[0] for f in FIELDS}
    assert covered == set(SPEC_FIELDS)
    assert len(SPEC_FIELDS) == 20  # the 19 of the issue, and the deprecated PrefixListsIDs spelling


@pytest.mark.parametrize(
    ("params", "annotations", "field", "message"),
    [
        (
            {"scheme": "internet-facing"},
            {"scheme": "internal"},
            f"metadata.annotations[{A}scheme]",
            "is 'internal', but IngressClassParams shop-params spec.scheme fixes 'internet-facing' for every "
            "Ingress of IngressClass shop-alb; remove the annotation or set the same value",
        ),
        (
            {"group": {"name": "edge"}},
            {"group.name": "mine"},
            f"metadata.annotations[{A}group.name]",
            "is 'mine', but IngressClassParams shop-params spec.group.name fixes 'edge'",
        ),
        (
            {"tags": [{"key": "org", "value": "acme"}]},
            {"tags": "org=other,env=prod"},
            f"metadata.annotations[{A}tags]",
            "org='other' here, org='acme' in IngressClassParams shop-params spec.tags",
        ),
        (
            {"loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}]},
            {"load-balancer-attributes": "idle_timeout.timeout_seconds=60"},
            f"metadata.annotations[{A}load-balancer-attributes]",
            "idle_timeout.timeout_seconds='60' here",
        ),
        (
            {"loadBalancerName": "shop-lb"},
            {"load-balancer-name": "mine"},
            f"metadata.annotations[{A}load-balancer-name]",
            "fixes 'shop-lb'",
        ),
        (
            {"targetType": "ip"},
            {"target-type": "instance"},
            f"metadata.annotations[{A}target-type]",
            "spec.targetType fixes 'ip'",
        ),
        (
            {"subnets": {"tags": {"tier": ["edge"]}}},
            {"subnets": "subnet-0a, subnet-0b"},
            "IngressClassParams shop-params spec.subnets.tags",
            f"conflicts with {A}subnets",
        ),
    ],
)
def test_a_conflicting_annotation_is_an_error_naming_both(
    account: Account, params: dict[str, Any], annotations: dict[str, str], field: str, message: str
) -> None:
    found = errors(manifest(account, params, annotations))
    assert len(found) == 1 and found[0].startswith(f"{field}: ") and message in found[0], found


def test_an_annotation_agreeing_with_the_class_is_fine_and_maps_merge(account: Account) -> None:
    params = {
        "scheme": "internet-facing",
        "tags": [{"key": "org", "value": "acme"}],
        "loadBalancerAttributes": [{"key": "idle_timeout.timeout_seconds", "value": "120"}],
    }
    annotations = {
        "scheme": "internet-facing",
        "tags": "org=acme,env=prod",
        "load-balancer-attributes": "deletion_protection.enabled=false",
    }
    steps = planned(account, manifest(account, params, annotations))
    assert lb(steps)["Scheme"] == "internet-facing"
    assert {"org": "acme", "env": "prod"}.items() <= tags(lb(steps)).items()
    (body,) = bodies(steps, "ModifyLoadBalancerAttributes")
    assert {a["Key"] for a in body["Attributes"]} >= {
        "idle_timeout.timeout_seconds",
        "deletion_protection.enabled",
    }


def test_a_service_cannot_undo_the_class_target_type(account: Account) -> None:
    text = manifest(account, {"targetType": "ip"}).replace(
        "metadata: {name: web, namespace: shop}",
        "metadata: {name: web, namespace: shop, annotations: {alb.ingress.kubernetes.io/target-type: instance}}",
    )
    (found,) = errors(text)
    assert found.startswith(f"Service shop/web metadata.annotations[{A}target-type]: is 'instance'")


def test_class_listener_attributes_merge_with_an_annotation_and_a_different_value_is_an_error(
    account: Account,
) -> None:
    params = {
        "listeners": [
            {
                "protocol": "HTTP",
                "port": 80,
                "listenerAttributes": [{"key": "routing.http.xff_header_processing.mode", "value": "append"}],
            }
        ]
    }
    steps = planned(
        account,
        manifest(
            account, params, {"listener-attributes.HTTP-80": "routing.http.response.server.enabled=false"}
        ),
    )
    (body,) = bodies(steps, "ModifyListenerAttributes")
    assert {(a["Key"], a["Value"]) for a in body["Attributes"]} == {
        ("routing.http.response.server.enabled", "false"),
        ("routing.http.xff_header_processing.mode", "append"),
    }
    (found,) = errors(
        manifest(
            account, params, {"listener-attributes.HTTP-80": "routing.http.xff_header_processing.mode=remove"}
        )
    )
    assert found.startswith(
        f"metadata.annotations[{A}listener-attributes.HTTP-80]: sets routing.http.xff_header_processing.mode='remove'"
    )
    assert "IngressClassParams shop-params spec.listeners sets 'append'" in found


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"scheme": "public"},
            "spec.scheme: invalid value 'public': expected one of 'internal', 'internet-facing'",
        ),
        ({"subnets": {"ids": ["sn-1"]}}, "spec.subnets.ids[0]: 'sn-1' is not a subnet ID"),
        ({"subnets": {}}, "spec.subnets: must set exactly one of 'ids'"),
        ({"tags": [{"key": "a"}, {"key": "a", "value": "b"}]}, "spec.tags[1].key: 'a' is listed twice"),
        ({"sslRedirectPort": "https"}, "spec.sslRedirectPort: invalid value 'https'"),
        ({"namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]}}, "must not be empty"),
        ({"colour": "blue"}, "spec.colour: unknown field"),
        ({"prefixListsIDs": ["pl-1"], "PrefixListsIDs": ["pl-1"]}, "cannot be set together"),
        ({"prefixListsIDs": ["pl-1"]}, "spec.prefixListsIDs: invalid value 'pl-1'"),
        (
            {"minimumLoadBalancerCapacity": {"capacityUnits": "lots"}},
            "spec.minimumLoadBalancerCapacity: must be",
        ),
        (
            {"ipamConfiguration": {"ipv4IPAMPoolId": "pool-1"}},
            "spec.ipamConfiguration.ipv4IPAMPoolId: invalid",
        ),
        (
            {"listeners": [{"protocol": "TCP", "port": 80}]},
            "spec.listeners[0].protocol: must be HTTP or HTTPS",
        ),
    ],
)
def test_invalid_params_refuse_the_ingress_naming_the_field(
    account: Account, params: dict[str, Any], message: str
) -> None:
    (found,) = errors(manifest(account, params))
    assert found.startswith("spec.ingressClassName: IngressClassParams shop-params ") and message in found, (
        found
    )


def test_namespace_selector_refuses_other_namespaces(account: Account) -> None:
    text = manifest(
        account,
        {"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["pay"]}]}},
    )
    snapshot, result = built(text)
    assert result.specs == []
    (problem,) = [p for p in result.problems if p.severity == "error"]
    assert problem.object == "Ingress shop/web" and problem.field == "metadata.namespace"
    assert "namespace shop may not use IngressClass shop-alb" in problem.message
    assert "team=shop" in problem.message  # says which labels it has


def test_missing_params_and_wrong_references_refuse_the_ingress(account: Account) -> None:
    text = manifest(account, {})
    missing = text.replace("name: shop-params}}", "name: nope}}").replace(
        "name: shop-params}", "name: nope}", 1
    )
    assert [e for e in errors(missing) if "IngressClassParams nope not found" in e]
    wrong = text.replace("kind: IngressClassParams, name", "kind: Params, name")
    assert [e for e in errors(wrong) if "expected apiGroup elbv2.k8s.aws, kind IngressClassParams" in e]


def test_the_legacy_class_annotation_has_no_params(account: Account) -> None:
    text = manifest(account, {"scheme": "internet-facing"}, {}).replace(
        "annotations: {}",
        'annotations: {"kubernetes.io/ingress.class": "alb", "alb.ingress.kubernetes.io/scheme": "internal"}',
    )
    _, result = built(text)
    (spec,) = result.specs
    assert spec.frontend.scheme == "internal"  # as in aws-load-balancer-controller
