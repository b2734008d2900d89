"""GKE Services of type LoadBalancer become passthrough Network Load Balancers on the Compute emulator, through
the real google-cloud-compute clients: Internal → regional INTERNAL backend service, health check, forwarding
rule on the subnetwork and firewall rules; l4-rbs → an EXTERNAL one; second converge writes nothing; delete
leaves only what the user reserved; a crash after a write heals on the next converge."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_subnetworks, wait_operation
from emulators.testing.gcp_stacks import INTERNAL, PROJECT, RBS, gke_service, l4_input, of, ours, outcome_of
from lbctl.cloudcalls import is_mutating
from lbctl.model.services import empty_service_spec
from lbctl.provider import ProviderError, ServiceInput
from providers.gcp.provider import GcpProvider

REGION = "us-central1"
STACK = "Service:default/loki"


@pytest.fixture
def network(emulator: ComputeEmulator) -> None:
    create_subnetworks(emulator.url, PROJECT, REGION)
    emulator.clear_requests()


def _writes(emulator: ComputeEmulator) -> list[str]:
    return [r.api_method for r in emulator.requests if is_mutating(r.api_method)]


def _reserve(emulator: ComputeEmulator, name: str, **fields: Any) -> str:
    client = compute_v1.AddressesClient(
        client_options={"api_endpoint": emulator.url}, credentials=_anonymous(), transport="rest"
    )
    wait_operation(
        emulator.url,
        PROJECT,
        client.insert(
            project=PROJECT, region=REGION, address_resource=compute_v1.Address(name=name, **fields)
        ),
    )
    return str(client.get(project=PROJECT, region=REGION, address=name).address)


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


def test_internal_service_converges_with_health_check_and_firewalls(
    emulator: ComputeEmulator, provider: GcpProvider, network: None
) -> None:
    service = gke_service(
        INTERNAL,
        externalTrafficPolicy="Local",
        healthCheckNodePort=31999,
        loadBalancerSourceRanges=["10.0.0.0/8"],
    )
    result = provider.converge_service(l4_input(service))
    (bs,) = of(emulator, "backendServices")
    assert bs["loadBalancingScheme"] == "INTERNAL" and bs["protocol"] == "TCP"
    assert f"/regions/{REGION}/" in bs["selfLink"] and len(bs["backends"]) == 2  # the example's two nodes
    assert all("/instanceGroups/k8s2-ig-" in b["group"] for b in bs["backends"])
    (hc,) = of(emulator, "healthChecks")
    assert hc["httpHealthCheck"]["port"] == 31999 and hc["httpHealthCheck"]["requestPath"] == "/healthz"
    assert hc["checkIntervalSec"] == 3 and hc["unhealthyThreshold"] == 2
    (rule,) = of(emulator, "forwardingRules")
    assert rule["name"].startswith("k8s2-tcp-") and rule["ports"] == ["3100"]
    assert rule["loadBalancingScheme"] == "INTERNAL" and rule["subnetwork"].endswith("/subnetworks/default")
    assert rule["backendService"].endswith(f"/regions/{REGION}/backendServices/{bs['name']}")
    assert result.address == rule["IPAddress"] and rule["IPAddress"].startswith("10.")
    firewalls = {f["name"]: f for f in of(emulator, "firewalls")}
    traffic, health = firewalls[bs["name"]], firewalls[bs["name"] + "-fw"]
    assert traffic["sourceRanges"] == ["10.0.0.0/8"]
    assert traffic["allowed"] == [{"IPProtocol": "tcp", "ports": ["3100"]}]
    assert sorted(health["sourceRanges"]) == ["130.211.0.0/22", "35.191.0.0/16"]
    assert health["allowed"] == [{"IPProtocol": "tcp", "ports": ["31999"]}]
    members = emulator.call_counts().get("instanceGroups.addInstances")
    assert members == 2
    emulator.clear_requests()
    again = provider.converge_service(l4_input(service))
    assert again.changes == [], [s.changes for s in again.steps]
    assert _writes(emulator) == [] and again.address == result.address
    gone = provider.converge_service(ServiceInput(empty_service_spec(STACK)))
    assert gone.deleted and ours(emulator) == {}


def test_cluster_policy_probes_the_node_health_port_and_rbs_is_external(
    emulator: ComputeEmulator, provider: GcpProvider, network: None
) -> None:
    ip = _reserve(emulator, "loki-ip")
    service = gke_service(RBS, loadBalancerIP=ip)
    result = provider.converge_service(l4_input(service))
    (bs,) = of(emulator, "backendServices")
    assert bs["loadBalancingScheme"] == "EXTERNAL"
    (hc,) = of(emulator, "healthChecks")
    assert hc["httpHealthCheck"]["port"] == 10256 and hc["checkIntervalSec"] == 8
    (rule,) = of(emulator, "forwardingRules")
    assert rule["loadBalancingScheme"] == "EXTERNAL" and rule["portRange"] == "3100-3100"
    assert rule["IPAddress"] == ip == result.address and "subnetwork" not in rule
    firewalls = {f["name"]: f for f in of(emulator, "firewalls")}
    assert firewalls[bs["name"]]["sourceRanges"] == ["0.0.0.0/0"]
    assert "209.85.152.0/22" in firewalls[bs["name"] + "-fw"]["sourceRanges"]
    provider.converge_service(ServiceInput(empty_service_spec(STACK)))
    assert ours(emulator) == {}  # the reserved address is the user's: left as it was
    assert f"projects/{PROJECT}/regions/{REGION}/addresses/loki-ip" in emulator.inventory()


def test_global_access_subnet_and_unreserved_external_ip(
    emulator: ComputeEmulator, provider: GcpProvider, network: None
) -> None:
    notes = {**INTERNAL, "networking.gke.io/internal-load-balancer-allow-global-access": "true"}
    provider.converge_service(l4_input(gke_service(notes)))
    (rule,) = of(emulator, "forwardingRules")
    assert rule["allowGlobalAccess"] is True
    missing = {**INTERNAL, "networking.gke.io/internal-load-balancer-subnet": "nope"}
    with pytest.raises(ProviderError) as err:
        provider.plan_service(l4_input(gke_service(missing)))
    assert err.value.field == "metadata.annotations[networking.gke.io/internal-load-balancer-subnet]"
    with pytest.raises(ProviderError) as err:
        provider.plan_service(l4_input(gke_service(RBS, loadBalancerIP="203.0.113.9")))
    assert err.value.field == "spec.loadBalancerIP" and "gcloud compute addresses create" in str(err.value)


def test_internal_only_annotations_on_an_external_service_are_refused() -> None:
    notes = {**RBS, "networking.gke.io/internal-load-balancer-allow-global-access": "true"}
    outcome, _ = outcome_of(gke_service(notes))
    assert outcome.spec is None
    (problem,) = outcome.problems
    assert "allow-global-access" in problem.field and "internal" in problem.message


class Crash(Exception):
    """The process dies here."""


def test_a_crash_after_every_kth_write_heals(
    emulator: ComputeEmulator, make_provider: Any, network: None
) -> None:
    service = l4_input(gke_service(INTERNAL))
    clean = make_provider()
    clean.converge_service(service)
    wanted = {k: v["description"] for k, v in ours(emulator).items()}
    total = clean.stats.total(mutating=True)
    clean.converge_service(ServiceInput(empty_service_spec(STACK)))
    assert total >= 7
    for limit in range(1, total, 2):
        provider = make_provider()
        done = [0]

        def crash(
            service: str, operation: str, outcome: str, done: list[int] = done, limit: int = limit
        ) -> None:
            if outcome == "ok" and is_mutating(operation):
                done[0] += 1
                if done[0] == limit:
                    raise Crash(operation)

        provider.stats.listeners.append(crash)
        with pytest.raises(Crash):
            provider.converge_service(service)
        healer = make_provider()
        healer.converge_service(service)
        assert {k: v["description"] for k, v in ours(emulator).items()} == wanted, (
            f"crash after write {limit}"
        )
        emulator.clear_requests()
        assert healer.converge_service(service).changes == [] and _writes(emulator) == []
        healer.converge_service(ServiceInput(empty_service_spec(STACK)))
        assert ours(emulator) == {}


def test_lbctl_plan_offline_shows_the_passthrough_bodies(tmp_path: Any) -> None:
    import json

    import yaml

    from emulators.testing.cli import lbctl_in_process

    service = gke_service(INTERNAL, loadBalancerIP="10.128.0.50")
    (tmp_path / "svc.yaml").write_text(yaml.safe_dump(service))
    out = lbctl_in_process(
        "plan", "--provider", "gcp", "--offline", "-o", "json", "-f", "svc.yaml", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    text = json.dumps(json.loads(out.stdout))
    assert "forwardingRules.insert" in text and '"IPAddress": "10.128.0.50"' in text
    assert '"loadBalancingScheme": "INTERNAL"' in text and "backendServices.insert" in text


def test_the_instance_groups_are_shared_with_the_ingresses(
    emulator: ComputeEmulator, provider: GcpProvider, network: None
) -> None:
    from emulators.testing.gcp_stacks import example_objects, stack_from
    from lbctl.model.builder import empty_spec
    from lbctl.provider import StackInput

    ingress = stack_from(example_objects())
    service = l4_input(gke_service(INTERNAL))
    provider.converge(ingress)
    groups = {g["selfLink"]: g["namedPorts"] for g in of(emulator, "instanceGroups")}
    provider.converge_service(service)
    (bs,) = [b for b in of(emulator, "backendServices") if b["loadBalancingScheme"] == "INTERNAL"]
    assert {b["group"] for b in bs["backends"]} <= set(groups)  # the Ingress's groups, not new ones
    emulator.clear_requests()
    assert provider.plan(ingress).changes == [] and provider.plan_service(service).changes == []
    provider.converge_service(ServiceInput(empty_service_spec(STACK)))
    assert {g["selfLink"]: g["namedPorts"] for g in of(emulator, "instanceGroups")} == groups
    provider.converge_service(service)
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert [r["loadBalancingScheme"] for r in of(emulator, "forwardingRules")] == ["INTERNAL"]
    assert of(emulator, "instanceGroups") and provider.plan_service(service).changes == []


def test_lbctl_apply_describe_delete_a_gke_service(
    emulator: ComputeEmulator, network: None, tmp_path: Any
) -> None:
    import json
    import re

    import yaml

    from emulators.testing.cli import lbctl_in_process
    from emulators.testing.gcp_stacks import nodes

    (tmp_path / "svc.yaml").write_text(yaml.safe_dump_all([gke_service(INTERNAL), *nodes()]))
    cloud = ["--provider", "gcp", "--endpoint-url", emulator.url, "--gcp-project", PROJECT]
    cloud += ["--gcp-zone", "us-central1-a", "--gcp-zone", "us-central1-b", "--cluster-name", "cli-l4"]
    applied = lbctl_in_process("apply", "-f", "svc.yaml", *cloud, cwd=tmp_path)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    (rule,) = of(emulator, "forwardingRules")
    assert f"converged Service default/loki → {rule['IPAddress']}" in applied.stdout
    again = lbctl_in_process("apply", "-f", "svc.yaml", *cloud, cwd=tmp_path)
    assert re.findall(r"\((\d+) mutating\)", again.stdout) == ["0"], again.stdout
    described = lbctl_in_process("describe", "service", "default/loki", *cloud, "-o", "json", cwd=tmp_path)
    assert described.returncode == 0, described.stdout + described.stderr
    assert rule["name"] in json.dumps(json.loads(described.stdout))
    deleted = lbctl_in_process("delete", "-f", "svc.yaml", *cloud, cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert ours(emulator) == {}
