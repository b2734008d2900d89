"""Undoing annotations against moto: removing wafv2-acl-arn disassociates the web ACL, removing an attribute
restores the AWS default; the tags annotation reaches listeners and rules; tags go in batches; a lagging
tagging index neither duplicates our load balancer nor makes us touch one another cluster or stack owns."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.testing.aws_inventory import inventory
from emulators.testing.aws_stacks import CLUSTER, Account, State, manifest, one_input, setup_waf
from lbctl.model.problems import SpecError
from lbctl.provider import ProviderError


def test_removing_wafv2_acl_disassociates(account: Account) -> None:
    acl = setup_waf(account)["waf"]
    provider = account.provider()
    provider.converge(one_input(manifest(account, {"wafv2-acl-arn": acl})))
    waf = account.client("wafv2")
    lb_arn = State(account).lb["LoadBalancerArn"]
    assert waf.get_web_acl_for_resource(ResourceArn=lb_arn)["WebACL"]["ARN"] == acl
    plain = one_input(manifest(account, {}))
    result = provider.converge(plain)
    assert any("disassociate" in c.detail for c in result.changes)
    assert not waf.get_web_acl_for_resource(ResourceArn=lb_arn).get("WebACL")
    assert provider.converge(plain).changes == []


def _lb_attributes(state: State) -> dict[str, str]:
    attrs = state.elb.describe_load_balancer_attributes(LoadBalancerArn=state.lb["LoadBalancerArn"])[
        "Attributes"
    ]
    return {a["Key"]: a["Value"] for a in attrs}


def test_removing_attributes_restores_aws_defaults(account: Account) -> None:
    provider = account.provider()
    provider.converge(one_input(manifest(account, {})))
    state = State(account)
    default_tg = state.tg_attributes()
    set_both = {
        "load-balancer-attributes": "idle_timeout.timeout_seconds=600,routing.http2.enabled=false",
        "target-group-attributes": "deregistration_delay.timeout_seconds=30,slow_start.duration_seconds=60",
    }
    stack = one_input(manifest(account, set_both))
    provider.converge(stack)
    state = State(account)
    assert (
        _lb_attributes(state)["idle_timeout.timeout_seconds"],
        _lb_attributes(state)["routing.http2.enabled"],
    ) == ("600", "false")
    assert state.tg_attributes()["deregistration_delay.timeout_seconds"] == "30"
    assert provider.converge(stack).changes == []

    # Drop one of each: only that one returns to its default, the other stays.
    partly = one_input(
        manifest(
            account,
            {
                "load-balancer-attributes": "routing.http2.enabled=false",
                "target-group-attributes": "slow_start.duration_seconds=60",
            },
        )
    )
    provider.converge(partly)
    state = State(account)
    assert (
        _lb_attributes(state)["idle_timeout.timeout_seconds"],
        _lb_attributes(state)["routing.http2.enabled"],
    ) == ("60", "false")
    assert (
        state.tg_attributes()["deregistration_delay.timeout_seconds"],
        state.tg_attributes()["slow_start.duration_seconds"],
    ) == ("300", "60")
    assert provider.converge(partly).changes == []

    plain = one_input(manifest(account, {}))
    provider.converge(plain)
    state = State(account)
    assert _lb_attributes(state)["routing.http2.enabled"] == "true"
    assert state.tg_attributes() == {**default_tg, "slow_start.duration_seconds": "0"}
    assert provider.converge(plain).changes == []


def _tags(elb: Any, arns: list[str]) -> list[dict[str, str]]:
    return [
        {t["Key"]: t["Value"] for t in d["Tags"]}
        for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]
    ]


def test_tags_reach_listeners_and_rules(account: Account) -> None:
    provider = account.provider()
    provider.converge(one_input(manifest(account, {"tags": "Team=web"})))
    state = State(account)
    arns = [state.listeners[0]["ListenerArn"], state.rules()[0]["RuleArn"]]
    assert [t.get("Team") for t in _tags(state.elb, arns)] == ["web", "web"]

    changed = one_input(manifest(account, {"tags": "Team=shop,Env=prod"}))
    provider.converge(changed)
    for tags in _tags(state.elb, [*arns, state.lb["LoadBalancerArn"], state.tg["TargetGroupArn"]]):
        assert (tags.get("Team"), tags.get("Env"), tags["lbctl.io/cluster"]) == ("shop", "prod", CLUSTER)
    assert provider.converge(changed).changes == []

    provider.converge(one_input(manifest(account, {})))
    for tags in _tags(state.elb, [*arns, state.lb["LoadBalancerArn"], state.tg["TargetGroupArn"]]):
        assert "Team" not in tags and "Env" not in tags and tags["lbctl.io/stack"] == "shop/web"


def test_tags_are_added_at_most_ten_per_call(account: Account) -> None:
    provider = account.provider()
    provider.converge(one_input(manifest(account, {})))
    sizes: list[int] = []
    provider.clients.clients["elbv2"].meta.events.register(
        "before-parameter-build.elastic-load-balancing-v2.AddTags",
        lambda params, **_: sizes.append(len(params["Tags"])),
    )
    seven = ",".join(f"k{i}=v{i}" for i in range(7))  # 3 ownership tags + 7 = 10: moto's limit per resource
    stack = one_input(manifest(account, {"tags": seven}))
    provider.converge(stack)
    assert sizes and max(sizes) == 7
    assert all(len(t) == 10 for t in _tags(State(account).elb, [State(account).lb["LoadBalancerArn"]]))
    assert provider.converge(stack).changes == []

    provider.converge(one_input(manifest(account, {})))
    sizes.clear()
    twelve = ",".join(f"k{i}=v{i}" for i in range(12))
    with pytest.raises((SpecError, ProviderError)) as caught:  # moto holds at most 10 tags per resource
        provider.converge(one_input(manifest(account, {"tags": twelve})))
    assert sizes[:2] == [10, 2]
    assert "TooManyTags" in str(caught.value) and "fewer tags" in str(caught.value)


def test_explicit_name_owned_by_someone_else_is_an_error(account: Account) -> None:
    elb = account.client("elbv2")
    subnets = list(account.subnets.values())
    foreign = elb.create_load_balancer(
        Name="my-shop-alb",
        Subnets=subnets[:2],
        Tags=[
            {"Key": "lbctl.io/cluster", "Value": "another-cluster"},
            {"Key": "lbctl.io/stack", "Value": "shop/web"},
        ],
    )
    before = inventory(account)
    provider = account.provider()
    with pytest.raises((SpecError, ProviderError)) as caught:
        provider.converge(one_input(manifest(account, {"load-balancer-name": "my-shop-alb"})))
    assert "my-shop-alb" in str(caught.value)
    after = inventory(account)
    assert after["load_balancers"] == before["load_balancers"]
    assert [lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]] == [
        foreign["LoadBalancers"][0]["LoadBalancerArn"]
    ]


def hide_from_tagging(provider: Any, *fragments: str) -> None:
    """Make the tagging API answers miss resources whose ARN holds a fragment (its index lags behind)."""

    def lag(parsed: dict[str, Any], **_: Any) -> None:
        parsed["ResourceTagMappingList"] = [
            r
            for r in parsed.get("ResourceTagMappingList", [])
            if not any(f in r["ResourceARN"] for f in fragments)
        ]

    provider.clients.clients["resourcegroupstaggingapi"].meta.events.register(
        "after-call.resource-groups-tagging-api.GetResources", lag
    )


def test_lagging_tagging_index_neither_duplicates_nor_touches_foreign(account: Account) -> None:
    elb = account.client("elbv2")
    subnets = list(account.subnets.values())
    foreign = []
    for cluster, stack in (("another-cluster", "shop/web"), (CLUSTER, "shop/other")):
        foreign.append(
            elb.create_load_balancer(
                Name=f"f-{len(foreign)}",
                Subnets=subnets[:2],
                Tags=[
                    {"Key": "lbctl.io/cluster", "Value": cluster},
                    {"Key": "lbctl.io/stack", "Value": stack},
                    {"Key": "lbctl.io/resource", "Value": "LoadBalancer"},
                ],
            )["LoadBalancers"][0]["LoadBalancerArn"]
        )
    provider = account.provider()
    stack = one_input(manifest(account, {}))
    provider.converge(stack)
    reference = inventory(account)

    lagging = account.provider()
    hide_from_tagging(lagging, ":loadbalancer/")
    lagging.converge(stack)
    assert inventory(account) == reference  # our load balancer found by name and adopted: no duplicate
    assert provider.converge(stack).changes == []
    lbs = {lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
    assert set(foreign) <= lbs and len(lbs) == 3
