"""The issue's "Done when": the two-service GCE example with a static IP and a TLS Secret."""

from __future__ import annotations

from emulators.gce import ComputeEmulator
from emulators.testing.gcp_stacks import example_objects, find, of, ours, stack_from
from lbctl.cloudcalls import is_mutating
from lbctl.model.builder import empty_spec
from lbctl.provider import StackInput
from providers.gcp.provider import GcpProvider


def test_example_converges_to_a_complete_load_balancer_on_the_static_ip(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    stack = stack_from(example_objects())
    result = provider.converge(stack)

    static_ip = emulator.inventory()["projects/lbctl-demo/global/addresses/shop-ip"]["address"]
    assert result.address == static_ip
    assert result.warnings == []
    assert len(of(emulator, "healthChecks")) == 2
    assert len(of(emulator, "backendServices")) == 2
    groups = of(emulator, "instanceGroups")
    assert sorted(g["zone"].rsplit("/", 1)[-1] for g in groups) == ["us-central1-a", "us-central1-b"]
    assert all(sorted(p["name"] for p in g["namedPorts"]) == ["port30080", "port30081"] for g in groups)
    assert sorted(len(g["_instances"]) for g in groups) == [1, 1]
    (url_map,) = of(emulator, "urlMaps")
    paths = sorted(p for m in url_map["pathMatchers"] for r in m["pathRules"] for p in r["paths"])
    assert paths == ["/products", "/products/*", "/users", "/users/*"]
    assert url_map["hostRules"] == [
        {"hosts": ["shop.example.com"], "pathMatcher": url_map["pathMatchers"][0]["name"]}
    ]
    assert url_map["defaultService"].endswith("products-80-" + url_map["defaultService"].rsplit("-", 1)[-1])
    assert len(of(emulator, "targetHttpProxies")) == 1
    (https,) = of(emulator, "targetHttpsProxies")
    (cert,) = of(emulator, "sslCertificates")
    assert https["sslCertificates"] == [cert["selfLink"]]
    assert "BEGIN CERTIFICATE" in cert["certificate"]
    rules = of(emulator, "forwardingRules")
    assert sorted(r["portRange"] for r in rules) == ["443-443", "80-80"]
    assert {r["IPAddress"] for r in rules} == {static_ip}
    (firewall,) = of(emulator, "firewalls")
    assert firewall["sourceRanges"] == ["130.211.0.0/22", "35.191.0.0/16"]
    assert firewall["allowed"] == [{"IPProtocol": "tcp", "ports": ["30080", "30081"]}]
    assert all(len(name) <= 63 for name in (k.rsplit("/", 1)[-1] for k in ours(emulator)))
    # health checks follow the readinessProbes
    checks = {h["name"].split("-")[4]: h for h in of(emulator, "healthChecks")}
    assert checks["users"]["httpHealthCheck"]["requestPath"] == "/healthz"
    assert checks["users"]["checkIntervalSec"] == 70 and checks["users"]["timeoutSec"] == 3
    assert checks["products"]["httpHealthCheck"] == {
        "requestPath": "/ready",
        "port": 30081,
        "host": "products.internal",
    }


def test_second_converge_makes_no_mutating_call(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    stack = stack_from(example_objects())
    first = provider.converge(stack)
    assert provider.stats.total(mutating=True) > 10
    assert first.calls
    provider.stats.reset()
    emulator.clear_requests()
    second = provider.converge(stack_from(example_objects()))
    assert second.changes == []
    assert provider.stats.total(mutating=True) == 0
    served = {r.api_method for r in emulator.requests}
    assert served and not [m for m in served if is_mutating(m)], served  # listInstances is a POST: reads only
    assert second.address == first.address


def test_plan_lists_changes_without_applying(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    planned = provider.plan(stack_from(example_objects()))
    assert ours(emulator) == {}
    assert {(c.action, c.kind) for c in planned.changes} >= {
        ("create", "UrlMap"),
        ("create", "ForwardingRule"),
    }
    assert provider.stats.total(mutating=True) == 0
    applied = provider.converge(stack_from(example_objects()))
    assert [c for c in applied.changes] == planned.changes
    assert provider.plan(stack_from(example_objects())).changes == []


def test_plan_of_an_update_shows_the_request_and_what_changes(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    provider.converge(stack_from(example_objects()))
    changed = example_objects()
    find(changed, "Ingress", "shop")["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/people"
    provider.stats.reset()
    planned = provider.plan(stack_from(changed))
    (update,) = planned.steps
    assert (update.action, update.operation, update.detail) == ("update", "urlMaps.update", "in place")
    (url_map,) = of(emulator, "urlMaps")
    have, want = update.changes["pathMatchers"]
    assert list(update.changes) == ["pathMatchers"] and want == update.body["pathMatchers"]
    assert "/users" in [p for m in have for r in m["pathRules"] for p in r["paths"]]
    paths = [p for m in update.body["pathMatchers"] for r in m["pathRules"] for p in r["paths"]]
    assert "/people" in paths and "/users" not in paths and update.body["hostRules"] == url_map["hostRules"]
    assert update.body["fingerprint"] == url_map["fingerprint"]  # as discovered: a 412 if it changed since
    assert planned.changes == [update.change()] and provider.stats.total(mutating=True) == 0


def test_delete_leaves_the_static_ip_and_nothing_of_ours(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    stack = stack_from(example_objects())
    provider.converge(stack)
    assert provider.list_stacks() == ["default/shop"]
    before = set(emulator.inventory())
    result = provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert result.deleted
    assert ours(emulator) == {}
    after = set(emulator.inventory())
    assert "projects/lbctl-demo/global/addresses/shop-ip" in after
    assert after == {k for k in before if "/k8s2-" not in k}
    assert provider.list_stacks() == []
    again = provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert again.deleted and again.changes == []


def test_missing_static_ip_is_a_user_fixable_error(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    import pytest

    from lbctl.provider import ProviderError

    objects = example_objects()
    objects[0]["metadata"]["annotations"]["kubernetes.io/ingress.global-static-ip-name"] = "nope"
    with pytest.raises(ProviderError) as caught:
        provider.converge(stack_from(objects))
    assert caught.value.user_fixable
    assert caught.value.field == "metadata.annotations[kubernetes.io/ingress.global-static-ip-name]"
    assert ours(emulator) == {}
