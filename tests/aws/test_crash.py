"""Crash healing and replacement against moto: a converge stopped after its k-th mutating call (for every k of
the two-service example over HTTPS, with a web ACL, redirect, attributes and tags) is healed by the next one,
with the same end state and nothing leaked; a scheme change replaces the load balancer and leaves no orphan.
(The plain two-service example crashes after every call through the controller in tests/faults/test_crash.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from emulators.testing.aws_inventory import inventory
from emulators.testing.aws_stacks import (
    Account,
    Crash,
    crash_after,
    deletion,
    example,
    fresh_account,
    one_input,
    setup_waf,
)
from emulators.testing.certs import self_signed, tls_secret


def test_interrupted_delete_heals(account: Account) -> None:
    provider = account.provider()
    provider.converge(one_input(example(account)))
    for k in (1, 2):
        crashing = account.provider()
        crash_after(crashing, k)
        with pytest.raises(Crash):
            crashing.converge(deletion("default/shop"))
    assert account.provider().converge(deletion("default/shop")).deleted
    left = inventory(account)
    assert (left["load_balancers"], left["target_groups"], left["security_groups"]) == ({}, {}, {})


def test_scheme_change_replaces_load_balancer_without_orphans(account: Account) -> None:
    provider = account.provider()
    public = one_input(example(account))
    provider.converge(public)
    first = inventory(account)
    internal = one_input(example(account).replace("scheme: internet-facing", "scheme: internal"))
    result = provider.converge(internal)
    assert ("replace", "LoadBalancer") in {(c.action, c.kind) for c in result.changes}
    second = inventory(account)
    ((name, lb),) = second["load_balancers"].items()
    assert lb["scheme"] == "internal" and name not in first["load_balancers"]
    assert set(lb["listeners"]) == {"HTTP:80"} and len(lb["listeners"]["HTTP:80"]["rules"]) == 2
    assert second["target_groups"].keys() == first["target_groups"].keys()
    assert second["security_groups"].keys() == first["security_groups"].keys()
    assert all(tg["LoadBalancerArns"] == ["lb:" + name] for tg in second["target_groups"].values())
    assert provider.converge(internal).changes == []

    provider.converge(public)
    assert inventory(account) == first  # and back: the same names and settings as before


def rich_example(account: Account, acl: str) -> str:
    """The two-service example over HTTPS from a TLS Secret with SNI, redirect, attributes, tags and a web ACL."""
    cert, key = self_signed("shop.example.com", serial=51)
    annotations = {
        "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "ssl-redirect": "443",
        "wafv2-acl-arn": acl,
        "load-balancer-attributes": "idle_timeout.timeout_seconds=120",
        "tags": "Team=shop",
        "target-group-attributes": "deregistration_delay.timeout_seconds=20",
    }
    text = (
        example(account)
        .replace(
            "    alb.ingress.kubernetes.io/healthcheck-path: /healthz\n",
            "    alb.ingress.kubernetes.io/healthcheck-path: /healthz\n"
            + "".join(f"    alb.ingress.kubernetes.io/{k}: '{v}'\n" for k, v in annotations.items()),
        )
        .replace(
            "  ingressClassName: alb\n",
            "  ingressClassName: alb\n  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n",
        )
    )
    return text + tls_secret("default", "shop-tls", cert, key)


def test_every_interrupted_https_converge_heals(moto_url: str) -> None:
    account = fresh_account(moto_url)
    provider = account.provider()
    stack = one_input(rich_example(account, setup_waf(account)["waf"]))
    reference_calls = crash_after(provider, 10**6)
    provider.converge(stack)
    reference = inventory(account)
    assert "ImportCertificate" in reference_calls and "AssociateWebACL" in reference_calls, reference_calls
    for k in range(len(reference_calls)):
        account = fresh_account(moto_url)
        stack = one_input(rich_example(account, setup_waf(account)["waf"]))
        crashing = account.provider()
        made = crash_after(crashing, k)
        with pytest.raises(Crash):
            crashing.converge(stack)
        assert made == reference_calls[:k]
        healer = account.provider()
        healer.converge(stack)
        healed = inventory(account)
        assert healed == reference, (
            f"after a crash following {reference_calls[:k]}: {_differences(healed, reference)}"
        )
        again = healer.stats.total(mutating=True)
        assert healer.converge(stack).changes == [] and healer.stats.total(mutating=True) == again
        if k in (len(reference_calls) // 2, len(reference_calls) - 1):  # and the healed stack deletes cleanly
            assert healer.converge(deletion("default/shop")).deleted
            left = inventory(account)
            assert (left["load_balancers"], left["target_groups"], left["security_groups"]) == ({}, {}, {})


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Paths where two inventories differ (for readable failures)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b), key=str)
            for d in _differences(a.get(k), b.get(k), f"{where}.{k}")
        ]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]
