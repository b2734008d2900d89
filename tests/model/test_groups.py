"""IngressGroups: merging members, conflicts, and one bad member not taking down its neighbours."""

from __future__ import annotations

import pytest

from emulators.testing.specs import (
    Obj,
    build_result,
    ingress,
    messages,
    only_group,
    only_spec,
    path,
    route,
    rule,
    service,
)
from lbctl.model import annotations as a
from lbctl.model.builder import stack_of, stack_of_object
from lbctl.model.objects import parse_ingress
from lbctl.model.problems import Severity

SERVICES = [service(n, [(80, "http", 30000 + i)]) for i, n in enumerate(("a", "b", "c", "d"))]
SERVICES += [service(n, [(80, "http", 31000 + i)], namespace="team") for i, n in enumerate(("a", "b"))]


def member(
    name: str,
    *paths: Obj,
    namespace: str = "default",
    order: int | None = None,
    group: str = "shop",
    default: Obj | None = None,
    **annotations: str,
) -> Obj:
    ann = {a.GROUP_NAME: group, **{a.ALB + k.replace("_", "-"): v for k, v in annotations.items()}}
    if order is not None:
        ann[a.GROUP_ORDER] = str(order)
    rules = (rule(None, *paths),) if paths else ()
    return ingress(name, *rules, namespace=namespace, annotations=ann, default=default)


def test_members_merge_ordered_by_group_order_then_namespace_name() -> None:
    spec = only_spec(
        member("web", path("/w", "a"), namespace="team"),
        member("zeta", path("/z", "a"), order=-3),
        member("api", path("/api", "b")),
        member("late", path("/l", "c"), order=1000),
        member("early", path("/e", "d"), order=-1000),
        *SERVICES,
        allow_cross_namespace_groups=True,  # namespace team joins a group of default's
    )
    assert spec.stack == "shop" and spec.explicit_group
    assert spec.members == ["default/early", "default/zeta", "default/api", "team/web", "default/late"]
    assert {route(spec, "h", p) for p in ("/w", "/z", "/api", "/l", "/e")} == {
        "team/a:80",
        "default/a:80",
        "default/b:80",
        "default/c:80",
        "default/d:80",
    }


def test_lone_ingresses_are_their_own_groups() -> None:
    result = build_result(
        ingress("one", rule(None, path("/", "a"))), ingress("two", rule(None, path("/", "b"))), *SERVICES
    )
    assert sorted(result.groups) == ["default/one", "default/two"]
    assert all(not s.explicit_group for s in result.specs)


@pytest.mark.parametrize(
    ("annotation", "first", "second"),
    [
        ("scheme", "internal", "internet-facing"),
        ("ip_address_type", "ipv4", "dualstack"),
        ("ssl_policy", "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
        ("load_balancer_name", "one", "two"),
        ("subnets", "subnet-1,subnet-2", "subnet-3,subnet-4"),
        ("inbound_cidrs", "10.0.0.0/8", "0.0.0.0/0"),
        (
            "wafv2_acl_arn",
            "arn:aws:wafv2:us-east-1:1:regional/webacl/a/1",
            "arn:aws:wafv2:us-east-1:1:regional/webacl/b/2",
        ),
        ("ssl_redirect", "443", "8443"),
        ("load_balancer_attributes", "idle_timeout.timeout_seconds=60", "idle_timeout.timeout_seconds=61"),
        ("security_groups", "sg-1", "sg-2"),
    ],
)
def test_conflicting_exclusive_values_fail_the_group(annotation: str, first: str, second: str) -> None:
    group = only_group(
        member("one", path("/1", "a"), **{annotation: first}),
        member("two", path("/2", "b"), **{annotation: second}),
        member("three", path("/3", "c")),
        *SERVICES,
    )
    assert group.spec is None and group.failed
    errors = [p for p in group.problems if p.severity == Severity.ERROR]
    assert len(errors) == 1, messages(group)
    name = a.ALB + annotation.replace("_", "-")
    assert errors[0].object == "IngressGroup shop"
    assert errors[0].field == f"metadata.annotations[{name}]"
    assert "default/one" in errors[0].message and "default/two" in errors[0].message


def test_equal_exclusive_values_agree() -> None:
    spec = only_spec(
        member("one", path("/1", "a"), scheme="internal"),
        member("two", path("/2", "b"), scheme="internal"),
        member("three", path("/3", "c")),
        *SERVICES,
    )
    assert spec.frontend.scheme == "internal"


def test_exclusive_value_from_any_member_applies_to_the_group() -> None:
    spec = only_spec(
        member("one", path("/1", "a")), member("two", path("/2", "b"), scheme="internet-facing"), *SERVICES
    )
    assert spec.frontend.scheme == "internet-facing"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({a.GROUP_ORDER: "1001"}, f"metadata.annotations[{a.GROUP_ORDER}]"),
        ({a.GROUP_ORDER: "-1001"}, f"metadata.annotations[{a.GROUP_ORDER}]"),
        ({a.LISTEN_PORTS: '[{"HTTP": 80'}, f"metadata.annotations[{a.LISTEN_PORTS}]"),
        ({a.SCHEME: "public"}, f"metadata.annotations[{a.SCHEME}]"),
        ({a.HEALTHCHECK_PATH: "nope"}, f"metadata.annotations[{a.HEALTHCHECK_PATH}]"),
    ],
)
def test_member_with_invalid_annotations_is_left_out(bad: dict[str, str], field: str) -> None:
    broken = member("broken", path("/broken", "c"))
    broken["metadata"]["annotations"].update(bad)
    group = only_group(member("one", path("/1", "a")), broken, member("two", path("/2", "b")), *SERVICES)
    assert group.members == ["default/broken", "default/one", "default/two"]
    assert group.spec is not None
    assert group.spec.members == ["default/one", "default/two"]
    assert route(group.spec, "h", "/broken") == "404 (no default backend)"
    assert route(group.spec, "h", "/1") == "default/a:80"
    (problem,) = group.problems
    assert (problem.severity, problem.object, problem.field) == (
        Severity.ERROR,
        "Ingress default/broken",
        field,
    )


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (member("broken", path("/x", "missing")), "spec.rules[0].http.paths[0].backend"),
        (member("broken", path("/x", "a", 81)), "spec.rules[0].http.paths[0].backend"),
        (member("broken", path("/x", "a", "grpc")), "spec.rules[0].http.paths[0].backend"),
        (
            member("broken", default={"service": {"name": "missing", "port": {"number": 80}}}),
            "spec.defaultBackend",
        ),
    ],
)
def test_member_with_bad_references_is_left_out(broken: Obj, field: str) -> None:
    group = only_group(member("one", path("/1", "a")), broken, *SERVICES)
    assert group.spec is not None and group.spec.members == ["default/one"]
    assert [(p.severity, p.object, p.field) for p in group.problems] == [
        (Severity.ERROR, "Ingress default/broken", field)
    ]


def test_group_whose_members_are_all_invalid_has_no_spec() -> None:
    group = only_group(
        member("one", path("/1", "missing")), member("two", path("/2", "a"), scheme="x"), *SERVICES
    )
    assert group.spec is None
    assert len(group.problems) == 2


def test_conflicting_default_backends() -> None:
    group = only_group(
        member("one", default={"service": {"name": "a", "port": {"number": 80}}}),
        member("two", default={"service": {"name": "b", "port": {"number": 80}}}),
        *SERVICES,
    )
    assert group.spec is None
    (problem,) = group.problems
    assert problem.object == "IngressGroup shop" and problem.field == "spec.defaultBackend"
    assert "default/one" in problem.message and "default/two" in problem.message


def test_same_default_backend_on_two_members_is_fine() -> None:
    default = {"service": {"name": "a", "port": {"number": 80}}}
    spec = only_spec(
        member("one", default=default), member("two", path("/b", "b"), default=default), *SERVICES
    )
    assert route(spec, "h", "/other") == "default/a:80"


def test_same_service_with_different_settings_gets_distinct_backends() -> None:
    spec = only_spec(
        member("one", path("/1", "a"), healthcheck_path="/one"),
        member("two", path("/2", "a"), healthcheck_path="/two"),
        member("three", path("/3", "a"), healthcheck_path="/one"),
        *SERVICES,
    )
    assert len(spec.backends) == 2
    by_path = {}
    for r in spec.rules:
        (key,) = r.action.backend_keys()
        by_path[r.path.path if r.path else ""] = spec.backends[key].health_check.path
    assert by_path == {"/1": "/one", "/2": "/two", "/3": "/one"}


def test_same_service_with_same_settings_shares_one_backend() -> None:
    spec = only_spec(member("one", path("/1", "a")), member("two", path("/2", "a")), *SERVICES)
    assert list(spec.backends) == ["default/a:80"]


def test_renamed_backend_is_used_by_the_default_backend_too() -> None:
    """Member two's default backend uses the same Service port as member one, with other settings:
    it must reach member two's backend, not member one's."""
    spec = only_spec(
        member("one", path("/1", "a"), healthcheck_path="/one"),
        member("two", default={"service": {"name": "a", "port": {"number": 80}}}, healthcheck_path="/two"),
        *SERVICES,
    )
    assert spec.default_action is not None
    (key,) = spec.default_action.backend_keys()
    assert spec.backends[key].health_check.path == "/two"
    (rule_key,) = spec.rules[0].action.backend_keys()
    assert spec.backends[rule_key].health_check.path == "/one"


def test_every_backend_key_used_exists() -> None:
    spec = only_spec(
        member("one", path("/1", "a"), healthcheck_path="/one"),
        member(
            "two",
            path("/2", "a"),
            healthcheck_path="/two",
            default={"service": {"name": "a", "port": {"number": 80}}},
        ),
        *SERVICES,
    )
    used = {k for r in spec.rules for k in r.action.backend_keys()}
    assert spec.default_action is not None
    used |= set(spec.default_action.backend_keys())
    assert used <= set(spec.backends)
    assert used == set(spec.backends)


def test_listen_ports_are_merged_and_conflicts_fail() -> None:
    spec = only_spec(
        member("one", path("/1", "a"), listen_ports='[{"HTTP": 80}]'),
        member("two", path("/2", "b"), listen_ports='[{"HTTP": 8080}]'),
        *SERVICES,
    )
    assert [(lis.protocol, lis.port) for lis in spec.frontend.listeners] == [("HTTP", 80), ("HTTP", 8080)]
    ports = {r.path.path: r.listen_ports for r in spec.rules if r.path}
    assert ports == {"/1": [80], "/2": [8080]}
    group = only_group(
        member("one", path("/1", "a"), listen_ports='[{"HTTP": 443}]'),
        member(
            "two",
            path("/2", "b"),
            listen_ports='[{"HTTPS": 443}]',
            certificate_arn="arn:aws:acm:us-east-1:1:certificate/x",
        ),
        *SERVICES,
    )
    assert group.spec is None
    assert "port 443 is HTTP on one Ingress and HTTPS on another" in messages(group)[0]


def test_tags_merge_first_member_wins() -> None:
    spec = only_spec(
        member("one", path("/1", "a"), tags="team=one,env=prod"),
        member("two", path("/2", "b"), tags="team=two,cost=42"),
        *SERVICES,
    )
    assert spec.tags == {"team": "one", "env": "prod", "cost": "42"}


def test_other_classes_and_deleting_ingresses_are_left_alone() -> None:
    deleting = member("gone", path("/g", "a"))
    deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    other = ingress("nginx", rule(None, path("/", "a")), class_name="nginx")
    result = build_result(member("one", path("/1", "a")), deleting, other, *SERVICES)
    assert result.ignored == ["default/nginx"]
    assert result.groups["shop"].members == ["default/one"]


def test_group_name_is_aws_only() -> None:
    objs = [member("one", path("/1", "a"), group="shop"), member("two", path("/2", "b"), group="shop")]
    for obj in objs:
        obj["spec"]["ingressClassName"] = "gce"
        obj["spec"]["defaultBackend"] = {"service": {"name": "c", "port": {"number": 80}}}
    result = build_result(*objs, *SERVICES, provider="gcp")
    assert sorted(result.groups) == ["default/one", "default/two"]


@pytest.mark.parametrize(
    ("annotations", "provider", "expected"),
    [
        ({a.GROUP_NAME: "shop-group"}, "aws", "shop-group"),
        ({a.GROUP_NAME: "shop-group"}, "gcp", "shop/web"),  # ingress-gce has no IngressGroups
        ({a.GROUP_NAME: "Not A Group!"}, "aws", "shop/web"),  # invalid: alone, as when parsed
        ({a.GROUP_NAME: 7}, "aws", "shop/web"),  # not even a string
        ("not a map", "aws", "shop/web"),
    ],
)
def test_group_key_of_an_unreadable_object(annotations: object, provider: str, expected: str) -> None:
    """The controller routes an unreadable Ingress to its group by the model's rule, not one of its own."""
    meta = {"name": "web", "namespace": "shop", "annotations": annotations}
    raw = {"metadata": meta, "spec": {"rules": "x"}}
    assert stack_of_object(raw, provider) == expected
    if isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values()):
        readable = ingress("web", rule("h", path("/", "web")), namespace="shop", annotations=annotations)
        assert stack_of(parse_ingress(readable), provider) == expected
