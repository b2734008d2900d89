"""Tenant safety (beyond aws-load-balancer-controller): an Ingress may join an IngressGroup that already has
members of another namespace, or forward to a target group named by ARN or name, only when the class's
IngressClassParams pins the group or the controller allows it. A refused Ingress gets an error naming why;
nothing is built for it and the group's other members are unaffected."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulators.testing.specs import Obj, build_result, ingress, path, rule, service
from lbctl.model import annotations as a
from lbctl.model.builder import stack_of
from lbctl.model.objects import parse_ingress
from lbctl.model.snapshot import ClusterSnapshot

TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/theirs/0123456789abcdef"
SERVICES = [service("web", [(80, "http", 30000)], namespace=ns) for ns in ("shop", "pay")]


def member(name: str, namespace: str, created: str, group: str | None = "shared", **extra: Any) -> Obj:
    annotations = {a.GROUP_NAME: group} if group else {}
    obj = ingress(
        name,
        rule(None, path(f"/{namespace}-{name}", "web")),
        namespace=namespace,
        annotations=annotations,
        **extra,
    )
    obj["metadata"]["creationTimestamp"] = created
    return obj


def pinned_class(group: str = "shared") -> list[Obj]:
    return [
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "shared-alb"},
            "spec": {
                "controller": "ingress.k8s.aws/alb",
                "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": "shared"},
            },
        },
        {
            "apiVersion": "elbv2.k8s.aws/v1beta1",
            "kind": "IngressClassParams",
            "metadata": {"name": "shared"},
            "spec": {"group": {"name": group}},
        },
    ]


def errors(result: Any) -> dict[str, str]:
    return {p.object: f"{p.field}: {p.message}" for p in result.problems if p.severity == "error"}


def test_a_later_ingress_of_another_namespace_may_not_join_a_group() -> None:
    result = build_result(
        member("web", "shop", "2026-01-01T00:00:00Z"),
        member("api", "shop", "2026-01-03T00:00:00Z"),
        member("steal", "pay", "2026-01-02T00:00:00Z"),
        *SERVICES,
    )
    group = result.groups["shared"]
    assert group.spec is not None and group.spec.members == ["shop/api", "shop/web"]
    (refusal,) = errors(result).items()
    assert refusal[0] == "Ingress pay/steal"
    assert refusal[1].startswith(
        f"metadata.annotations[{a.GROUP_NAME}]: IngressGroup shared already has members"
    )
    assert "in namespace shop" in refusal[1] and "--allow-cross-namespace-groups" in refusal[1]
    assert "/pay-steal" not in {r.path.path for r in group.spec.rules if r.path}


def test_the_first_member_decides_not_the_namespace_name() -> None:
    result = build_result(
        member("web", "shop", "2026-01-02T00:00:00Z"), member("pay", "pay", "2026-01-01T00:00:00Z"), *SERVICES
    )
    assert result.groups["shared"].spec.members == ["pay/pay"]  # type: ignore[union-attr]
    assert list(errors(result)) == ["Ingress shop/web"]


def test_the_controller_flag_allows_groups_across_namespaces() -> None:
    result = build_result(
        member("web", "shop", "2026-01-01T00:00:00Z"),
        member("pay", "pay", "2026-01-02T00:00:00Z"),
        *SERVICES,
        allow_cross_namespace_groups=True,
    )
    assert errors(result) == {}
    assert result.groups["shared"].spec.members == ["pay/pay", "shop/web"]  # type: ignore[union-attr]


def test_a_group_pinned_by_the_class_may_span_namespaces() -> None:
    objects = [
        member("web", "shop", "2026-01-01T00:00:00Z", group=None, class_name="shared-alb"),
        member("pay", "pay", "2026-01-02T00:00:00Z", group=None, class_name="shared-alb"),
        *pinned_class(),
        *SERVICES,
    ]
    result = build_result(*objects)
    assert errors(result) == {}
    assert list(result.groups) == ["shared"]
    assert result.groups["shared"].spec.members == ["pay/pay", "shop/web"]  # type: ignore[union-attr]
    snapshot = ClusterSnapshot.from_objects(objects)
    for obj in objects[:2]:  # the controller routes events to the pinned group too
        assert stack_of(parse_ingress(obj), "aws", snapshot) == "shared"


def test_joining_a_pinned_group_by_annotation_from_another_namespace_is_refused() -> None:
    result = build_result(
        member("web", "shop", "2026-01-01T00:00:00Z", group=None, class_name="shared-alb"),
        member("steal", "pay", "2026-01-02T00:00:00Z"),  # class alb, own group.name annotation
        *pinned_class(),
        *SERVICES,
    )
    assert list(errors(result)) == ["Ingress pay/steal"]
    assert result.groups["shared"].spec.members == ["shop/web"]  # type: ignore[union-attr]


def action_ingress(target: dict[str, Any]) -> Obj:
    annotations = {a.ALB + "actions.theirs": json.dumps({"type": "forward", **target})}
    return ingress(
        "web",
        rule(None, path("/", "theirs", "use-annotation"), path("/own", "web")),
        namespace="shop",
        annotations=annotations,
    )


@pytest.mark.parametrize(
    "target",
    [
        {"targetGroupARN": TG_ARN},
        {"forwardConfig": {"targetGroups": [{"targetGroupName": "theirs", "weight": 1}]}},
        {
            "forwardConfig": {
                "targetGroups": [{"serviceName": "web", "servicePort": "80"}, {"targetGroupARN": TG_ARN}]
            }
        },
    ],
)
def test_explicit_target_groups_need_the_controller_flag(target: dict[str, Any]) -> None:
    result = build_result(action_ingress(target), *SERVICES)
    assert result.specs == []
    (message,) = errors(result).values()
    assert message.startswith("spec.rules[0].http.paths[0].backend: action 'theirs' forwards to target group")
    assert "--allow-explicit-target-groups" in message
    allowed = build_result(action_ingress(target), *SERVICES, allow_explicit_target_groups=True)
    assert errors(allowed) == {} and len(allowed.specs) == 1


def test_forwarding_to_services_needs_no_flag() -> None:
    target = {"forwardConfig": {"targetGroups": [{"serviceName": "web", "servicePort": "80", "weight": 1}]}}
    assert errors(build_result(action_ingress(target), *SERVICES)) == {}


def test_the_controller_flags_reach_the_model(tmp_path: Any) -> None:
    """`--allow-cross-namespace-groups` on a file command, and the model options of `lbctl run`."""
    import subprocess

    import kubernetes
    import yaml

    from emulators.testing.scripts import LBCTL
    from lbctl.kube.controller import Controller, ControllerConfig
    from lbctl.provider import load_plugin

    objects = [
        member("web", "shop", "2026-01-01T00:00:00Z"),
        member("pay", "pay", "2026-01-02T00:00:00Z"),
        *SERVICES,
    ]
    path = tmp_path / "group.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    base = [LBCTL, "validate", "--provider", "aws", "-o", "json", "-f", str(path)]
    refused = subprocess.run(base, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "already has members in namespace shop" in refused.stdout
    allowed = subprocess.run(
        [*base, "--allow-cross-namespace-groups"], capture_output=True, text=True, timeout=120
    )
    assert allowed.returncode == 0, allowed.stdout

    _, model = load_plugin("aws").values("run", {"allow_cross_namespace_groups": True})
    assert model["allow_cross_namespace_groups"] is True
    config = ControllerConfig(provider="aws", cluster_name="c", model_options=model)
    controller = Controller(kubernetes.client.ApiClient(), object(), config)  # type: ignore[arg-type]
    assert controller.build_config.allow_cross_namespace_groups
    assert not controller.build_config.allow_explicit_target_groups
