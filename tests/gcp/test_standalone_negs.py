"""Standalone NEGs (`cloud.google.com/neg` `exposed_ports`) on the Compute emulator, through the real
google-cloud-compute clients: one NEG per exposed port in every zone of the nodes, holding the ready endpoints
(pod IP, targetPort, node VM), reported as ingress-gce's `cloud.google.com/neg-status`; a second converge
writes nothing; an endpoint change only attaches and detaches; a NEG a user's backend service still uses
keeps the stack (and the finalizer) until it is freed; delete leaves nothing of ours, custom names included.
The model's reading of the annotation is table-driven at the end."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import NODES, PROJECT, nodes, wait
from lbctl.cloudcalls import is_mutating
from lbctl.model import annotations as a
from lbctl.model.services import build_service, build_services, empty_service_spec
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import ProviderError, ServiceInput
from providers.gcp.provider import GcpProvider

STACK = "Service:shop/web"


def _service(annotation: str, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "shop", "annotations": {a.NEG: annotation}},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "grpc", "port": 9000, "targetPort": "grpc"},
            ],
            **extra,
        },
    }


def _slice(*endpoints: tuple[str, str]) -> dict[str, Any]:
    """Ready endpoints (pod IP, node) of the Service: http on 8080, grpc on 9090."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-1", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9090}],
        "endpoints": [
            {"addresses": [ip], "conditions": {"ready": True}, "nodeName": node, "zone": NODES[node]}
            for ip, node in endpoints
        ],
    }


def _input(service: dict[str, Any], *endpoints: tuple[str, str]) -> ServiceInput:
    snapshot = ClusterSnapshot.from_objects([service, _slice(*endpoints), *nodes()])
    (outcome,) = build_services(snapshot, "gcp").values()
    assert outcome.spec is not None, outcome.problems
    return ServiceInput.from_snapshot(outcome.spec, snapshot)


def _writes(emulator: ComputeEmulator) -> list[str]:
    return [r.api_method for r in emulator.requests if is_mutating(r.api_method)]


def _negs(clients: Clients) -> dict[tuple[str, str], set[tuple[str, str, int]]]:
    """(zone, NEG) → its endpoints (instance, IP, port), as listNetworkEndpoints returns them."""
    out = {}
    for zone in sorted(set(NODES.values())):
        for neg in clients.negs.list(project=PROJECT, zone=zone):
            endpoints = clients.negs.list_network_endpoints(
                project=PROJECT,
                zone=zone,
                network_endpoint_group=neg.name,
                network_endpoint_groups_list_endpoints_request_resource=compute_v1.NetworkEndpointGroupsListEndpointsRequest(),
            )
            out[(zone, neg.name)] = {
                (
                    e.network_endpoint.instance.rsplit("/", 1)[-1],
                    e.network_endpoint.ip_address,
                    e.network_endpoint.port,
                )
                for e in endpoints
            }
    return out


def test_standalone_negs_follow_the_endpoints_and_go_with_the_service(
    emulator: ComputeEmulator, provider: GcpProvider, clients: Clients
) -> None:
    """On a Service of type LoadBalancer another controller serves: only its NEGs are lbctl's."""
    pod_a, pod_b = ("10.8.0.5", "gke-shop-pool-a-1"), ("10.8.1.7", "gke-shop-pool-b-1")
    service = _service('{"exposed_ports": {"80": {}, "9000": {"name": "web-grpc"}}}', type="LoadBalancer")
    first = _input(service, pod_a)
    assert not first.spec.load_balancer
    done = provider.converge_service(first)
    assert not done.errors and done.address is None
    status = json.loads(done.annotations[a.NEG_STATUS])  # type: ignore[index]
    generated = status["network_endpoint_groups"]["80"]
    assert generated.startswith("k8s2-ne-") and "-shop-web-80-" in generated
    zone_a, zone_b = "us-central1-a", "us-central1-b"  # the zones of the example's two nodes
    assert status == {
        "network_endpoint_groups": {"80": generated, "9000": "web-grpc"},
        "zones": [zone_a, zone_b],
    }
    assert done.annotations == {
        a.NEG_STATUS: json.dumps(status, separators=(",", ":"))
    }  # ingress-gce's bytes
    assert _negs(clients) == {
        (zone_a, generated): {("gke-shop-pool-a-1", "10.8.0.5", 8080)},
        (zone_b, generated): set(),  # a zone of the nodes without endpoints (yet)
        (zone_a, "web-grpc"): {("gke-shop-pool-a-1", "10.8.0.5", 9090)},  # targetPort by name
        (zone_b, "web-grpc"): set(),
    }
    neg = clients.negs.get(project=PROJECT, zone=zone_a, network_endpoint_group="web-grpc")
    assert neg.network_endpoint_type == "GCE_VM_IP_PORT" and neg.network.endswith("/networks/default")

    emulator.clear_requests()
    again = provider.converge_service(_input(service, pod_a))
    assert _writes(emulator) == [] and again.annotations == done.annotations

    emulator.clear_requests()  # the pod moved to the other zone
    provider.converge_service(_input(service, pod_b))
    writes = _writes(emulator)
    assert sorted(writes) == sorted(
        ["networkEndpointGroups.attachNetworkEndpoints"] * 2
        + ["networkEndpointGroups.detachNetworkEndpoints"] * 2
    ), writes

    emulator.clear_requests()  # port 9000 no longer exposed: its custom-named NEGs (ours) go
    one = provider.converge_service(
        _input(_service('{"exposed_ports": {"80": {}}}', type="LoadBalancer"), pod_b)
    )
    assert _writes(emulator) == ["networkEndpointGroups.delete"] * 2
    assert json.loads(one.annotations[a.NEG_STATUS])["network_endpoint_groups"] == {"80": generated}  # type: ignore[index]
    assert _negs(clients) == {
        (zone_a, generated): set(),
        (zone_b, generated): {("gke-shop-pool-b-1", "10.8.1.7", 8080)},
    }

    # a user's backend service on one of the NEGs: deleting the Service waits for it, naming it
    user_backend = compute_v1.BackendService(
        name="user-web",
        load_balancing_scheme="EXTERNAL_MANAGED",
        backends=[
            compute_v1.Backend(
                group=f"projects/{PROJECT}/zones/{zone_b}/networkEndpointGroups/{generated}",
                balancing_mode="RATE",
                max_rate_per_endpoint=10,
            )
        ],
    )
    wait(clients, clients.backend_services.insert(project=PROJECT, backend_service_resource=user_backend))
    gone = ServiceInput(empty_service_spec(STACK))
    blocked = provider.converge_service(gone)
    assert not blocked.deleted and blocked.errors and generated in str(blocked.errors[0])
    assert blocked.errors[0].cleanup
    assert list(_negs(clients)) == [(zone_b, generated)]  # the other zone's is gone already

    wait(clients, clients.backend_services.delete(project=PROJECT, backend_service="user-web"))
    deleted = provider.converge_service(gone)
    assert deleted.deleted and deleted.annotations == {} and _negs(clients) == {}
    assert STACK not in provider.list_stacks()


def test_a_custom_name_taken_by_someone_else_is_refused_naming_it(
    emulator: ComputeEmulator, provider: GcpProvider, clients: Clients
) -> None:
    zone = NODES["gke-shop-pool-a-1"]
    theirs = compute_v1.NetworkEndpointGroup(name="web-grpc", network_endpoint_type="GCE_VM_IP_PORT")
    wait(clients, clients.negs.insert(project=PROJECT, zone=zone, network_endpoint_group_resource=theirs))
    stack = _input(_service('{"exposed_ports": {"9000": {"name": "web-grpc"}}}'))
    with pytest.raises(ProviderError, match="NEG web-grpc in us-central1-a already exists") as refused:
        provider.converge_service(stack)
    assert refused.value.user_fixable and refused.value.field == f"metadata.annotations[{a.NEG}]"
    assert clients.negs.get(project=PROJECT, zone=zone, network_endpoint_group="web-grpc").description == ""


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ('{"exposed_ports": {"81": {}}}', "port 81 in exposed_ports is not a port of the Service"),
        ('{"exposed_ports": {"80": {"name": "x"}, "9000": {"name": "x"}}}', "the same NEG name 'x'"),
        (
            '{"ingress": true, "exposed_ports": {"80": {"name": "x"}}}',
            "custom NEG name cannot be used with ingress",
        ),
        ('{"exposed_ports": {"80": {}}, "zones": ["us-central1-a"]}', "pre-provisioned NEG zones"),
        ('{"exposed_ports": {"80": {"name": "Web"}}}', "expected JSON like"),
    ],
)
def test_what_ingress_gce_refuses_is_refused_naming_the_annotation(annotation: str, message: str) -> None:
    snapshot = ClusterSnapshot.from_objects([_service(annotation)])
    (service,) = snapshot.services.values()
    outcome = build_service(service, "gcp", load_balancer=False)
    assert outcome.spec is None
    assert any(message in p.message and a.NEG in p.field for p in outcome.problems), outcome.problems


def test_only_google_cloud_and_only_exposed_ports_make_a_service_stack() -> None:
    snapshot = ClusterSnapshot.from_objects(
        [
            _service('{"ingress": true}'),
            {**_service("{}"), "metadata": {"name": "other", "namespace": "shop"}},
        ]
    )
    assert build_services(snapshot, "gcp") == {}
    exposed = ClusterSnapshot.from_objects([_service('{"exposed_ports": {"80": {}}}')])
    assert build_services(exposed, "aws") == {}
    (outcome,) = build_services(exposed, "gcp").values()
    assert outcome.spec is not None and [n.port for n in outcome.spec.negs] == [80]


def test_lbctl_plan_shows_the_neg_requests_of_a_cluster_ip_service(tmp_path: Any) -> None:
    """`lbctl plan -f FILE --provider gcp --offline -o json` (in-process, click's runner)."""
    import yaml
    from click.testing import CliRunner

    from lbctl.cli import main

    path = tmp_path / "web.yaml"
    objects = [
        _service('{"exposed_ports": {"9000": {"name": "web-grpc"}}}'),
        _slice(("10.8.0.5", "gke-shop-pool-a-1")),
    ]
    path.write_text(yaml.safe_dump_all([*objects, *nodes()]))
    result = CliRunner().invoke(
        main, ["plan", "-f", str(path), "--provider", "gcp", "--offline", "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    (doc,) = json.loads(result.stdout)
    assert doc["standaloneNegs"] == [{"port": 9000, "name": "web-grpc"}]
    requests = [(s["operation"], s["where"]) for s in doc["steps"]]
    assert requests == [
        ("networkEndpointGroups.insert", "us-central1-a"),
        ("networkEndpointGroups.attachNetworkEndpoints", "us-central1-a"),
        ("networkEndpointGroups.insert", "us-central1-b"),
    ]
    attach = doc["steps"][1]["body"]["networkEndpoints"]
    assert attach == [{"instance": "gke-shop-pool-a-1", "ipAddress": "10.8.0.5", "port": 9090}]


class Crash(Exception):
    pass


def test_a_crash_after_a_write_heals_custom_names_included(
    emulator: ComputeEmulator, make_provider: Any
) -> None:
    """Stopped after its 4th write (the custom-named NEG inserted; the generated ones' crashes are those of
    the Ingress NEGs), the next converge finishes the NEGs, finding the custom-named one by its record, and
    a second one writes nothing."""
    stack = _input(
        _service('{"exposed_ports": {"80": {}, "9000": {"name": "web-grpc"}}}'),
        ("10.8.0.5", "gke-shop-pool-a-1"),
    )
    for limit in (4,):
        provider, done = make_provider(), [0]

        def crash(
            service: str, operation: str, outcome: str, done: list[int] = done, limit: int = limit
        ) -> None:
            if outcome == "ok" and is_mutating(operation):
                done[0] += 1
                if done[0] == limit:
                    raise Crash(operation)

        provider.stats.listeners.append(crash)
        with pytest.raises(Crash):
            provider.converge_service(stack)
        healer = make_provider()
        healed = healer.converge_service(stack)
        assert healed.annotations and len(emulator_negs(emulator)) == 4, f"crash after write {limit}"
        emulator.clear_requests()
        assert healer.converge_service(stack).changes == [] and _writes(emulator) == []
        assert healer.converge_service(ServiceInput(empty_service_spec(STACK))).deleted
        assert emulator_negs(emulator) == {}


def emulator_negs(emulator: ComputeEmulator) -> dict[str, list[Any]]:
    """The NEGs the emulator holds (by path), with their endpoints."""
    return {k: v["_endpoints"] for k, v in emulator.inventory().items() if "/networkEndpointGroups/" in k}
