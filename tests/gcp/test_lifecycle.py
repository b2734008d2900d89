"""Certificate rotation, readinessProbe changes, NEG endpoints, foreign resources, shared groups,
faults (5xx, 429, quota, lost responses) and crash healing."""

from __future__ import annotations

import base64
import datetime
import threading
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import (
    PROJECT,
    example_objects,
    find,
    of,
    ours,
    stack_from,
    wait,
    with_endpoints,
)
from lbctl.cloudcalls import is_mutating
from lbctl.model.builder import empty_spec
from lbctl.provider import ProviderError, StackInput
from providers.gcp.provider import GcpProvider


def _new_cert(host: str = "shop.example.com") -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    crt = cert.public_bytes(serialization.Encoding.PEM)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(crt).decode(), base64.b64encode(pem).decode()


def _rotated(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    crt, key = _new_cert()
    find(objects, "Secret", "shop-tls")["data"] = {"tls.crt": crt, "tls.key": key}
    return objects


def test_certificate_rotation_never_detaches_https(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    provider.converge(stack_from(example_objects()))
    (old,) = of(emulator, "sslCertificates")
    proxy_path = next(k for k in ours(emulator) if "/targetHttpsProxies/" in k)
    emulator.clear_requests()
    result = provider.converge(stack_from(_rotated(example_objects())))
    (new,) = of(emulator, "sslCertificates")
    assert new["name"] != old["name"]
    assert [(c.action, c.kind) for c in result.changes] == [
        ("create", "SslCertificate"),
        ("update", "TargetHttpsProxy"),
        ("delete", "SslCertificate"),
    ]
    order = [
        r.api_method
        for r in emulator.requests
        if is_mutating(r.api_method) and "Operations" not in r.api_method
    ]
    assert order == [
        "sslCertificates.insert",
        "targetHttpsProxies.setSslCertificates",
        "sslCertificates.delete",
    ]
    assert emulator.inventory()[proxy_path]["sslCertificates"] == [new["selfLink"]]


def test_rotation_with_the_delete_failing_keeps_https_and_heals(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    provider.converge(stack_from(example_objects()))
    proxy_path = next(k for k in ours(emulator) if "/targetHttpsProxies/" in k)
    emulator.add_fault(method="DELETE", path="/sslCertificates/", status=400, reason="invalid", times=1)
    rotated = _rotated(example_objects())
    with pytest.raises(ProviderError):
        provider.converge(stack_from(rotated))
    assert len(of(emulator, "sslCertificates")) == 2  # old one left, proxy already on the new one
    (new_link,) = emulator.inventory()[proxy_path]["sslCertificates"]
    provider.converge(stack_from(rotated))
    assert [c["selfLink"] for c in of(emulator, "sslCertificates")] == [new_link]


def test_setting_certificates_failing_leaves_the_old_certificate_attached(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    provider.converge(stack_from(example_objects()))
    (old,) = of(emulator, "sslCertificates")
    proxy_path = next(k for k in ours(emulator) if "/targetHttpsProxies/" in k)
    emulator.add_fault(method="POST", path="/setSslCertificates$", status=400, reason="invalid", times=1)
    with pytest.raises(ProviderError):
        provider.converge(stack_from(_rotated(example_objects())))
    assert emulator.inventory()[proxy_path]["sslCertificates"] == [old["selfLink"]]
    assert old["name"] in {c["name"] for c in of(emulator, "sslCertificates")}


def test_pre_shared_certificate_is_attached_and_never_deleted(
    emulator: ComputeEmulator, clients: Clients, provider: GcpProvider
) -> None:
    crt, key = _new_cert()
    wait(
        clients,
        clients.ssl_certificates.insert(
            project=PROJECT,
            ssl_certificate_resource=compute_v1.SslCertificate(
                name="shared-cert",
                certificate=base64.b64decode(crt).decode(),
                private_key=base64.b64decode(key).decode(),
            ),
        ),
    )
    objects = example_objects()
    find(objects, "Ingress", "shop")["metadata"]["annotations"][
        "ingress.gcp.kubernetes.io/pre-shared-cert"
    ] = "shared-cert"
    provider.converge(stack_from(objects))
    assert "shared-cert" in [
        c.rsplit("/", 1)[-1] for c in of(emulator, "targetHttpsProxies")[0]["sslCertificates"]
    ]
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert "projects/lbctl-demo/global/sslCertificates/shared-cert" in emulator.inventory()
    objects = example_objects()
    find(objects, "Ingress", "shop")["metadata"]["annotations"][
        "ingress.gcp.kubernetes.io/pre-shared-cert"
    ] = "gone"
    with pytest.raises(ProviderError) as caught:
        provider.converge(stack_from(objects))
    assert caught.value.user_fixable and "pre-shared-cert" in (caught.value.field or "")


def test_readiness_probe_change_is_followed(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    provider.converge(stack_from(example_objects()))
    objects = example_objects()
    probe = find(objects, "Pod", "users-0")["spec"]["containers"][0]["readinessProbe"]
    probe["httpGet"]["path"] = "/v2/healthz"
    probe["periodSeconds"] = 20
    result = provider.converge(stack_from(objects))
    assert [(c.action, c.kind) for c in result.changes] == [("update", "HealthCheck")]
    check = next(h for h in of(emulator, "healthChecks") if "-users-" in h["name"])
    assert check["httpHealthCheck"]["requestPath"] == "/v2/healthz"
    assert check["checkIntervalSec"] == 80


def test_neg_mode_attaches_and_detaches_only_the_difference(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    objects = example_objects()
    find(objects, "Service", "users")["metadata"]["annotations"] = {
        "cloud.google.com/neg": '{"ingress": true}'
    }
    with_endpoints(objects)
    provider.converge(stack_from(objects))
    negs = {n["zone"].rsplit("/", 1)[-1]: n for n in of(emulator, "networkEndpointGroups")}
    assert sorted(negs) == ["us-central1-a", "us-central1-b"]
    assert negs["us-central1-a"]["_endpoints"] == [
        {"instance": "gke-shop-pool-a-1", "ipAddress": "10.8.0.5", "port": 8080}
    ]
    users = next(b for b in of(emulator, "backendServices") if "-users-" in b["name"])
    assert sorted(b["group"].split("/zones/")[1] for b in users["backends"]) == [
        f"{z}/networkEndpointGroups/{negs[z]['name']}" for z in sorted(negs)
    ]
    check = next(h for h in of(emulator, "healthChecks") if "-users-" in h["name"])
    assert check["httpHealthCheck"].get("portSpecification") == "USE_SERVING_PORT"
    assert "8080" in of(emulator, "firewalls")[0]["allowed"][0]["ports"]

    # one pod moves: a new IP in zone a, zone b's pod is gone
    slice_ = find(objects, "EndpointSlice", "users-abc")
    slice_["endpoints"] = [
        slice_["endpoints"][0],
        {
            "addresses": ["10.8.0.9"],
            "conditions": {"ready": True},
            "nodeName": "gke-shop-pool-a-1",
            "zone": "us-central1-a",
        },
    ]
    emulator.clear_requests()
    provider.converge(stack_from(objects))
    mutations = [
        r.api_method
        for r in emulator.requests
        if is_mutating(r.api_method) and "Operations" not in r.api_method
    ]
    assert mutations == [
        "networkEndpointGroups.attachNetworkEndpoints",
        "backendServices.update",
        "networkEndpointGroups.delete",
    ]
    (neg,) = of(emulator, "networkEndpointGroups")
    assert sorted(e["ipAddress"] for e in neg["_endpoints"]) == ["10.8.0.5", "10.8.0.9"]


def test_node_changes_add_and_remove_only_the_difference(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    objects = example_objects()
    provider.converge(stack_from(objects))
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": "gke-shop-pool-c-1",
                "labels": {"topology.kubernetes.io/zone": "us-central1-c"},
            },
            "spec": {"providerID": "gce://lbctl-demo/us-central1-c/gke-shop-pool-c-1"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )
    find(objects, "Node", "gke-shop-pool-a-1")["status"]["conditions"][0]["status"] = "False"
    emulator.clear_requests()
    provider.converge(stack_from(objects))
    counts = emulator.call_counts()
    assert (
        counts.get("instanceGroups.addInstances") == 1
        and counts.get("instanceGroups.removeInstances") is None
    )
    assert counts.get("instanceGroups.delete") == 1  # zone a has no eligible node any more
    groups = {g["zone"].rsplit("/", 1)[-1]: g for g in of(emulator, "instanceGroups")}
    assert sorted(groups) == ["us-central1-b", "us-central1-c"]


def test_foreign_resources_and_other_clusters_are_untouched(
    emulator: ComputeEmulator, clients: Clients, make_provider: Any
) -> None:
    wait(
        clients,
        clients.health_checks.insert(
            project=PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="k8s2-hc-foreign",
                description="not json",
                http_health_check=compute_v1.HTTPHealthCheck(port=80),
            ),
        ),
    )
    wait(
        clients,
        clients.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(
                name="someone-elses-map",
                default_service=None,
                default_url_redirect=compute_v1.HttpRedirectAction(https_redirect=True),
            ),
        ),
    )
    other = make_provider(cluster="other")
    other.converge(stack_from(example_objects()))
    theirs = dict(emulator.inventory())
    mine = make_provider(cluster="test")
    mine.converge(stack_from(example_objects()))
    assert mine.list_stacks() == ["default/shop"] and other.list_stacks() == ["default/shop"]
    mine.converge(StackInput(empty_spec("gcp", "default/shop")))
    after = emulator.inventory()
    changed = sorted(k for k in set(after) | set(theirs) if after.get(k) != theirs.get(k))
    assert changed == [], f"foreign resources changed (full bodies compared): {changed}"


def test_two_stacks_share_instance_groups_and_named_ports(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    shop = example_objects()
    other = example_objects()
    ingress = find(other, "Ingress", "shop")
    ingress["metadata"]["name"] = "admin"
    del ingress["metadata"]["annotations"]["kubernetes.io/ingress.global-static-ip-name"]
    del ingress["spec"]["tls"]
    ingress["spec"]["defaultBackend"]["service"]["name"] = "users"
    ingress["spec"]["rules"] = []
    provider.converge(stack_from(shop))
    provider.converge(stack_from(other))
    assert provider.list_stacks() == ["default/admin", "default/shop"]
    assert len(of(emulator, "instanceGroups")) == 2
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    groups = of(emulator, "instanceGroups")
    assert len(groups) == 2 and all([p["name"] for p in g["namedPorts"]] == ["port30080"] for g in groups)
    provider.converge(StackInput(empty_spec("gcp", "default/admin")))
    assert ours(emulator) == {}


def test_two_stacks_deleted_at_once_leave_no_instance_group(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    """Deleted together (as two workers do), each stack's plan begins while the other's backend service still
    uses the shared groups; the later to finish must still delete them."""
    shop = example_objects()
    other = example_objects()
    ingress = find(other, "Ingress", "shop")
    ingress["metadata"]["name"] = "admin"
    del ingress["metadata"]["annotations"]["kubernetes.io/ingress.global-static-ip-name"]
    del ingress["spec"]["tls"]
    provider.converge(stack_from(shop))
    provider.converge(stack_from(other))
    assert len(of(emulator, "instanceGroups")) == 2
    # slow backend service deletes: the second plan surely begins before the first stack's are gone
    slow = emulator.add_fault(method="DELETE", path="/backendServices/", latency=1.0)
    errors: list[BaseException] = []

    def delete(stack: str) -> None:
        try:
            provider.converge(StackInput(empty_spec("gcp", stack)))
        except BaseException as err:  # reported by the test thread
            errors.append(err)

    threads = [threading.Thread(target=delete, args=(s,)) for s in ("default/shop", "default/admin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and slow.hits >= 2
    assert ours(emulator) == {}, f"left behind: {sorted(ours(emulator))}"


@pytest.mark.parametrize(
    "status, reason",
    [(503, "backendError"), (500, "backendError"), (429, "rateLimitExceeded"), (403, "rateLimitExceeded")],
)
def test_transient_errors_are_retried(
    emulator: ComputeEmulator, provider: GcpProvider, status: int, reason: str
) -> None:
    emulator.add_fault(
        method="POST", path="/(urlMaps|backendServices|addInstances)", status=status, reason=reason, times=3
    )
    provider.converge(stack_from(example_objects()))
    outcomes = {k.rsplit(":", 1)[-1] for k in provider.stats.snapshot()}
    assert outcomes == {"ok", "throttled" if status in (429, 403) else "server-error"}
    provider.stats.reset()
    assert provider.converge(stack_from(example_objects())).changes == []


def test_quota_errors_are_reported_as_user_fixable(emulator: ComputeEmulator, provider: GcpProvider) -> None:
    emulator.add_fault(
        method="POST",
        path="/targetHttpProxies$",
        times=1,
        operation_error={"code": 403, "reason": "quotaExceeded", "message": "Quota exceeded"},
    )
    with pytest.raises(ProviderError) as caught:
        provider.converge(stack_from(example_objects()))
    assert caught.value.user_fixable and "quota" in str(caught.value).lower()
    emulator.add_fault(
        method="POST",
        path="/forwardingRules$",
        status=403,
        reason="quotaExceeded",
        message="Quota 'FORWARDING_RULES' exceeded",
    )
    with pytest.raises(ProviderError) as caught:
        provider.converge(stack_from(example_objects()))
    assert caught.value.user_fixable and "quota" in str(caught.value).lower()
    assert not of(emulator, "forwardingRules")
    emulator.faults.clear()
    provider.converge(stack_from(example_objects()))
    assert len(of(emulator, "forwardingRules")) == 2


class Crash(Exception):
    """The controller dies right after a mutating call reached the cloud."""


def _state(emulator: ComputeEmulator) -> dict[str, Any]:
    volatile = {"fingerprint", "id", "creationTimestamp", "labelFingerprint", "selfLink"}
    return {k: {f: v for f, v in r.items() if f not in volatile} for k, r in ours(emulator).items()}


def test_a_crash_after_any_mutating_call_is_healed_by_the_next_converge(
    emulator: ComputeEmulator, make_provider: Any
) -> None:
    clean = make_provider()
    clean.converge(stack_from(example_objects()))
    wanted = _state(emulator)
    total = clean.stats.total(mutating=True)
    assert total >= 15
    for crash_after in range(1, total):
        emulator.reset()
        _seed_cluster(emulator)
        provider = make_provider()
        done = [0]

        def crash(
            service: str, operation: str, outcome: str, done: list[int] = done, limit: int = crash_after
        ) -> None:
            from lbctl.cloudcalls import is_mutating

            if outcome == "ok" and is_mutating(operation):
                done[0] += 1
                if done[0] == limit:
                    raise Crash(operation)

        provider.stats.listeners.append(crash)
        with pytest.raises(Crash):
            provider.converge(stack_from(example_objects()))
        healer = make_provider()
        healer.converge(stack_from(example_objects()))
        assert _state(emulator) == wanted, f"crash after mutating call {crash_after}"
        healer.stats.reset()
        assert healer.converge(stack_from(example_objects())).changes == []


def test_lost_responses_are_retried_without_doubling(
    emulator: ComputeEmulator, provider: GcpProvider
) -> None:
    emulator.add_fault(
        method="POST", path="/(urlMaps|healthChecks|addInstances)$", status=503, phase="after", times=2
    )
    emulator.add_fault(method="POST", path="/addInstances$", status=503, phase="after", times=1)
    provider.converge(stack_from(example_objects()))
    assert len(of(emulator, "urlMaps")) == 1 and len(of(emulator, "healthChecks")) == 2
    assert sorted(len(g["_instances"]) for g in of(emulator, "instanceGroups")) == [1, 1]
    provider.stats.reset()
    assert provider.converge(stack_from(example_objects())).changes == []


def _seed_cluster(emulator: ComputeEmulator) -> None:
    from emulators.testing.gce import make_clients
    from emulators.testing.gcp_stacks import NODES

    clients = make_clients(emulator.url)
    for name, zone in NODES.items():
        wait(
            clients,
            clients.instances.insert(
                project=PROJECT, zone=zone, instance_resource=compute_v1.Instance(name=name)
            ),
        )
    wait(
        clients,
        clients.addresses.insert(project=PROJECT, address_resource=compute_v1.Address(name="shop-ip")),
    )
