"""`gce-internal` and `gce-regional-external` Ingresses become regional Application Load Balancers on the Compute
emulator, through the real google-cloud-compute clients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_subnetworks, wait_operation
from emulators.testing.gce_regional import make_regional_clients
from emulators.testing.gcp_stacks import (
    PROJECT,
    example_objects,
    find,
    of,
    ours,
    regional_objects,
    stack_from,
)
from lbctl.cloudcalls import is_mutating
from lbctl.model import annotations as a
from lbctl.model.builder import BuildConfig, build, empty_spec
from lbctl.model.registry import annotation_field
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderError, StackInput
from providers.gcp.provider import GcpProvider

REGION = "us-central1"
VIP = "shop-vip"


def _reserve_vip(emulator: ComputeEmulator) -> str:
    addresses = compute_v1.AddressesClient(
        client_options={"api_endpoint": emulator.url}, credentials=_anonymous(), transport="rest"
    )
    operation = addresses.insert(
        project=PROJECT,
        region=REGION,
        address_resource=compute_v1.Address(
            name=VIP,
            address_type="INTERNAL",
            purpose="SHARED_LOADBALANCER_VIP",
            subnetwork=f"regions/{REGION}/subnetworks/default",
        ),
    )
    wait_operation(emulator.url, PROJECT, operation)
    return str(addresses.get(project=PROJECT, region=REGION, address=VIP).address)


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


@pytest.fixture
def network(emulator: ComputeEmulator) -> str:
    """The cluster's subnet and proxy-only subnet in us-central1, and the reserved internal VIP (its IP)."""
    create_subnetworks(emulator.url, PROJECT, REGION)
    vip = _reserve_vip(emulator)
    emulator.clear_requests()
    return vip


def _state(emulator: ComputeEmulator) -> dict[str, Any]:
    volatile = {"fingerprint", "id", "creationTimestamp", "labelFingerprint", "selfLink"}
    return {k: {f: v for f, v in r.items() if f not in volatile} for k, r in ours(emulator).items()}


def test_internal_ingress_converges_to_regional_resources(
    emulator: ComputeEmulator, provider: GcpProvider, network: str
) -> None:
    result = provider.converge(stack_from(regional_objects()))
    paths = sorted(ours(emulator))
    regional = [p for p in paths if f"/regions/{REGION}/" in p]
    assert {p.split("/")[4] for p in regional} == {
        "healthChecks",
        "backendServices",
        "urlMaps",
        "targetHttpProxies",
        "targetHttpsProxies",
        "sslCertificates",
        "forwardingRules",
    }
    assert {p.split("/")[2] for p in paths} - {"regions"} == {"global", "zones"}
    assert {p.split("/")[3] for p in paths if "/global/" in p} == {"firewalls"}
    assert all(s["loadBalancingScheme"] == "INTERNAL_MANAGED" for s in of(emulator, "backendServices"))
    rules = of(emulator, "forwardingRules")
    assert sorted(r["portRange"] for r in rules) == ["443-443", "80-80"]
    assert {r["IPAddress"] for r in rules} == {network} and result.address == network
    assert all(r["subnetwork"].endswith(f"/regions/{REGION}/subnetworks/default") for r in rules)
    (firewall,) = of(emulator, "firewalls")
    assert "10.129.0.0/23" in firewall["sourceRanges"]  # the proxy-only subnet's Envoys reach the pods
    assert result.annotations[a.STATUS_STATIC_IP] == VIP
    calls = emulator.call_counts()
    assert calls["regionBackendServices.insert"] == 2 and calls["forwardingRules.insert"] == 2
    described = provider.describe("default/shop")
    assert {t["id"] for b in described["backends"] for t in b["targets"]} >= {"10.8.0.5", "10.8.2.4"}
    assert all("/regions/us-central1/forwardingRules/" in lb["console"] for lb in described["load_balancers"])
    emulator.clear_requests()
    provider.stats.reset()
    again = provider.converge(stack_from(regional_objects()))
    assert again.changes == [] and provider.stats.total(mutating=True) == 0
    assert not [r.api_method for r in emulator.requests if is_mutating(r.api_method)]
    assert again.address == network
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert ours(emulator) == {}  # the reserved VIP and the subnets are the user's: left as they were
    assert f"projects/{PROJECT}/regions/{REGION}/addresses/{VIP}" in emulator.inventory()


def test_plan_shows_the_regional_request_bodies(provider: GcpProvider, network: str) -> None:
    planned = provider.plan(stack_from(regional_objects()))
    inserts = {s.operation: s for s in planned.steps if s.action == "create"}
    rule = next(s for s in planned.steps if s.operation == "forwardingRules.insert")
    assert rule.where == f"regions/{REGION}" and rule.body["loadBalancingScheme"] == "INTERNAL_MANAGED"
    assert rule.body["network"] == f"projects/{PROJECT}/global/networks/default"
    url_map = inserts["urlMaps.insert"].body
    assert f"/regions/{REGION}/backendServices/" in url_map["defaultService"]


def test_a_crash_after_every_third_write_is_healed(
    emulator: ComputeEmulator, make_provider: Any, network: str
) -> None:
    clean = make_provider()
    clean.converge(stack_from(regional_objects()))
    wanted = _state(emulator)
    total = clean.stats.total(mutating=True)
    clean.converge(StackInput(empty_spec("gcp", "default/shop")))
    for crash_after in range(1, total, 3):
        provider = make_provider()
        done = [0]

        def crash(
            service: str, operation: str, outcome: str, done: list[int] = done, k: int = crash_after
        ) -> None:
            if outcome == "ok" and is_mutating(operation):
                done[0] += 1
                if done[0] == k:
                    raise _Crash(operation)

        provider.stats.listeners.append(crash)
        with pytest.raises(_Crash):
            provider.converge(stack_from(regional_objects()))
        healer = make_provider()
        healer.converge(stack_from(regional_objects()))
        assert _state(emulator) == wanted, f"crash after mutating call {crash_after}"
        assert healer.converge(stack_from(regional_objects())).changes == []
        healer.converge(StackInput(empty_spec("gcp", "default/shop")))
        assert ours(emulator) == {}


class _Crash(Exception):
    """The controller dies right after a mutating call reached the cloud."""


def test_without_a_proxy_only_subnet_the_ingress_is_refused_with_the_fix(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    create_subnetworks(emulator.url, PROJECT, REGION, proxy_only=None)
    _reserve_vip(emulator)
    with pytest.raises(ProviderError) as caught:
        provider.converge(stack_from(regional_objects()))
    message = str(caught.value)
    assert (
        "gcloud compute networks subnets create proxy-only-subnet --purpose=REGIONAL_MANAGED_PROXY "
        f"--role=ACTIVE --region={REGION} --network=default" in message
    )
    assert caught.value.user_fixable and caught.value.field == annotation_field(a.INGRESS_CLASS)
    assert ours(emulator) == {}


def test_regional_external_ingress_uses_external_managed(
    emulator: ComputeEmulator, provider: GcpProvider, network: str
) -> None:
    provider.converge(stack_from(regional_objects("gce-regional-external", address=None)))
    assert {s["loadBalancingScheme"] for s in of(emulator, "backendServices")} == {"EXTERNAL_MANAGED"}
    rules = of(emulator, "forwardingRules")
    assert {r["loadBalancingScheme"] for r in rules} == {"EXTERNAL_MANAGED"}
    assert all("subnetwork" not in r and r["network"].endswith("/global/networks/default") for r in rules)
    assert f"/regions/{REGION}/" in rules[0]["selfLink"]
    rc = make_regional_clients(emulator.url)
    assert len(list(rc.url_maps.list(project=PROJECT, region=REGION))) == 1
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert ours(emulator) == {}


def _problems(objects: list[dict[str, Any]]) -> list[str]:
    result = build(ClusterSnapshot.from_objects(objects), BuildConfig.for_provider("gcp"))
    return [f"{p.field}: {p.message}" for p in result.problems if p.severity.name == "ERROR"]


def test_what_the_regional_classes_refuse() -> None:
    objects = regional_objects()
    del find(objects, "Service", "users")["metadata"]["annotations"]
    (problem,) = _problems(objects)
    assert "Service default/users" in problem and a.NEG in problem and "gce-internal" in problem

    (problem,) = _problems(regional_objects(address=None))  # HTTP and HTTPS on one internal IP
    assert problem.startswith(annotation_field(a.REGIONAL_STATIC_IP)) and "SHARED_LOADBALANCER_VIP" in problem

    objects = regional_objects()
    find(objects, "Ingress", "shop")["metadata"]["annotations"][a.GLOBAL_STATIC_IP] = "shop-ip"
    (problem,) = _problems(objects)
    assert "both global-static-ip and regional-static-ip cannot be specified" in problem

    objects = example_objects()
    find(objects, "Ingress", "shop")["metadata"]["annotations"][a.REGIONAL_STATIC_IP] = VIP
    (problem,) = _problems(objects)
    assert problem.startswith(annotation_field(a.REGIONAL_STATIC_IP)) and "class gce" in problem

    objects = regional_objects()
    find(objects, "Ingress", "shop")["metadata"]["annotations"][a.MANAGED_CERTIFICATES] = "shop-cert"
    objects.append(
        {
            "apiVersion": "networking.gke.io/v1",
            "kind": "ManagedCertificate",
            "metadata": {"name": "shop-cert", "namespace": "default"},
            "spec": {"domains": ["shop.example.com"]},
        }
    )
    (problem,) = _problems(objects)
    assert problem.startswith(annotation_field(a.MANAGED_CERTIFICATES)) and "global load balancers" in problem

    objects = regional_objects()
    ingress = find(objects, "Ingress", "shop")
    del ingress["metadata"]["annotations"][a.INGRESS_CLASS]
    ingress["spec"]["ingressClassName"] = "gce-internal"
    (problem,) = _problems(objects)
    assert problem.startswith("spec.ingressClassName") and a.INGRESS_CLASS in problem


def test_lbctl_plan_json_shows_the_regional_bodies(tmp_path: Path) -> None:
    """`lbctl plan --offline -o json`: the embedded project has the region's subnets and the named VIP."""
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(yaml.safe_dump_all(regional_objects()))
    done = subprocess.run(
        [sys.executable, "-m", "lbctl.cli", "plan", "--provider", "gcp", "--offline", "-f", str(manifest)]
        + ["-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (plan,) = json.loads(done.stdout)
    bodies = {s["operation"]: s["body"] for s in plan["steps"]}
    assert bodies["backendServices.insert"]["loadBalancingScheme"] == "INTERNAL_MANAGED"
    assert bodies["forwardingRules.insert"]["subnetwork"].endswith(f"/regions/{REGION}/subnetworks/default")
    assert f"/regions/{REGION}/urlMaps/" in bodies["targetHttpProxies.insert"]["urlMap"]
    assert "10.129.0.0/23" in bodies["firewalls.insert"]["sourceRanges"]
