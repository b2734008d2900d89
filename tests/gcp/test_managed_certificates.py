"""ManagedCertificates through the real google-cloud-compute clients on the Compute emulator: a Google-managed
certificate provisions (PROVISIONING → ACTIVE, FAILED_NOT_VISIBLE while DNS points elsewhere) and its state is
reported as gke-managed-certs reports it; new domains replace the certificate with HTTPS served by an ACTIVE
certificate at every step, a crash after any write included; a second converge writes nothing; delete leaves
only the reserved address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project
from emulators.testing.gcp_stacks import NODES, PROJECT, example_objects, find, of, ours, stack_from
from lbctl.cloudcalls import is_mutating
from lbctl.model.annotations import MANAGED_CERTIFICATES, PRE_SHARED_CERT
from lbctl.model.builder import empty_spec
from lbctl.provider import ConvergeResult, ProviderError, StackInput
from providers.gcp.provider import GcpProvider
from providers.gcp.translate import Context, translate

Objects = list[dict[str, Any]]


def _objects(domains: list[str], secret: bool = False) -> Objects:
    """The documented example with HTTPS from a ManagedCertificate only (and, with `secret`, its TLS Secret)."""
    objects = example_objects()
    shop = find(objects, "Ingress", "shop")
    shop["metadata"]["annotations"][MANAGED_CERTIFICATES] = "shop-cert"
    if not secret:
        del shop["spec"]["tls"]
    objects.append(
        {
            "apiVersion": "networking.gke.io/v1",
            "kind": "ManagedCertificate",
            "metadata": {"name": "shop-cert", "namespace": "default"},
            "spec": {"domains": domains},
        }
    )
    return objects


def _attached(emulator: ComputeEmulator) -> list[dict[str, Any]]:
    """The certificates the HTTPS proxy lists, as the emulator holds them."""
    (proxy,) = of(emulator, "targetHttpsProxies")
    by_link = {
        c["selfLink"]: c for c in emulator.inventory().values() if c.get("kind") == "compute#sslCertificate"
    }
    return [by_link[link] for link in proxy["sslCertificates"]]


def _serving(emulator: ComputeEmulator) -> list[str]:
    """Names of the attached certificates that can serve HTTPS now."""
    return [
        c["name"] for c in _attached(emulator) if c.get("managed", {}).get("status", "ACTIVE") == "ACTIVE"
    ]


def _address(emulator: ComputeEmulator) -> str:
    (address,) = {str(rule["IPAddress"]) for rule in of(emulator, "forwardingRules")}  # :80 and :443
    return address


def _writes(result: ConvergeResult) -> list[tuple[str, str]]:
    return [(c.action, c.kind) for c in result.changes]


def _status(result: ConvergeResult) -> dict[str, Any]:
    (reported,) = result.object_status
    assert (reported.kind.kind, reported.namespace, reported.name) == (
        "ManagedCertificate",
        "default",
        "shop-cert",
    )
    return dict(reported.status)


@pytest.fixture
def fast(make_provider: Callable[..., GcpProvider]) -> GcpProvider:
    return make_provider(certificate_poll_seconds=0.5)


def test_provisioning_to_active_is_reported_as_gke_managed_certs_does(
    emulator: ComputeEmulator, fast: GcpProvider
) -> None:
    first = fast.converge(stack_from(_objects(["shop.example.com", "www.example.com"])))
    (cert,) = of(emulator, "sslCertificates")
    assert cert["type"] == "MANAGED" and cert["managed"]["domains"] == ["shop.example.com", "www.example.com"]
    assert _status(first) == {
        "certificateStatus": "Provisioning",
        "domainStatus": [
            {"domain": "shop.example.com", "status": "Provisioning"},
            {"domain": "www.example.com", "status": "Provisioning"},
        ],
        "certificateName": cert["name"],
    }
    assert first.requeue_after == 0.5, "a provisioning certificate is looked at again"

    # www.example.com still points elsewhere: not visible, and the certificate keeps provisioning
    emulator.set_dns({"shop.example.com": _address(emulator), "www.example.com": "198.51.100.7"})
    emulator.provision_certificates()
    again = fast.converge(stack_from(_objects(["shop.example.com", "www.example.com"])))
    assert _writes(again) == [], "a second converge writes nothing"
    assert _status(again)["certificateStatus"] == "Provisioning"
    assert _status(again)["domainStatus"] == [
        {"domain": "shop.example.com", "status": "Active"},
        {"domain": "www.example.com", "status": "FailedNotVisible"},
    ]

    emulator.set_dns({"www.example.com": _address(emulator)})
    emulator.provision_certificates()
    active = fast.converge(stack_from(_objects(["shop.example.com", "www.example.com"])))
    assert _writes(active) == []
    status = _status(active)
    assert status["certificateStatus"] == "Active" and status["expireTime"]
    assert {d["status"] for d in status["domainStatus"]} == {"Active"}
    assert active.requeue_after is None, "nothing left to wait for"


def test_new_domains_replace_the_certificate_with_https_served_throughout(
    emulator: ComputeEmulator, fast: GcpProvider
) -> None:
    fast.converge(stack_from(_objects(["shop.example.com"], secret=True)))
    emulator.set_dns({"shop.example.com": _address(emulator), "www.example.com": _address(emulator)})
    emulator.provision_certificates()
    (old,) = [c["name"] for c in of(emulator, "sslCertificates") if c["type"] == "MANAGED"]

    changed = _objects(["shop.example.com", "www.example.com"], secret=True)
    result = fast.converge(stack_from(changed))
    assert _writes(result) == [("create", "SslCertificate"), ("update", "TargetHttpsProxy")]
    (new,) = [
        c["name"] for c in of(emulator, "sslCertificates") if c["type"] == "MANAGED" and c["name"] != old
    ]
    assert old in _serving(emulator), "the earlier certificate serves while the new one provisions"
    assert [c["name"] for c in _attached(emulator)][:2] == [new, old]
    assert _status(result)["certificateName"] == new and result.requeue_after is not None
    assert _writes(fast.converge(stack_from(changed))) == [], "waiting for the new one writes nothing"

    emulator.provision_certificates()
    switched = fast.converge(stack_from(changed))
    assert _writes(switched) == [("update", "TargetHttpsProxy"), ("delete", "SslCertificate")]
    assert old not in [c["name"] for c in of(emulator, "sslCertificates")]
    assert new in _serving(emulator) and _status(switched)["certificateStatus"] == "Active"
    assert _writes(fast.converge(stack_from(changed))) == []

    fast.converge(StackInput(empty_spec("gcp", "default/shop")))
    assert ours(emulator) == {}, "delete leaves nothing of ours"


class Crash(BaseException):
    """The process dying right after a cloud call returned."""


def test_a_crash_after_any_write_of_a_domain_change_heals_and_https_stays_served(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    """Each write of the replacement (create, attach both, detach the old, delete it) is crashed after once;
    at every crash the proxy serves an ACTIVE certificate, and a fresh provider finishes the change."""
    before, after = _objects(["shop.example.com"]), _objects(["www.example.com"])
    k, crashed = 1, True
    while crashed:
        emulator.reset()
        create_gcp_project(emulator.url, PROJECT, NODES, "shop-ip")
        setup = make_provider()
        setup.converge(stack_from(before))
        emulator.set_dns({"shop.example.com": _address(emulator), "www.example.com": _address(emulator)})
        emulator.provision_certificates()
        dying = make_provider()
        made: list[str] = []

        def listener(service: str, operation: str, outcome: str, made: list[str] = made, k: int = k) -> None:
            if is_mutating(operation):
                made.append(operation)
                if len(made) == k:
                    raise Crash(operation)

        dying.stats.listeners.append(listener)
        crashed = False
        for _ in range(3):  # the new certificate is issued between the second and third converge
            try:
                dying.converge(stack_from(after))
            except Crash:
                crashed = True
                break
            emulator.provision_certificates()
        assert _serving(emulator), f"HTTPS dropped after write {k} ({made})"
        healer = make_provider()
        for _ in range(3):
            healer.converge(stack_from(after))
            emulator.provision_certificates()
        managed = of(emulator, "sslCertificates")
        assert [c["managed"]["domains"] for c in managed] == [["www.example.com"]], f"after write {k}"
        assert _serving(emulator) == [managed[0]["name"]]
        assert _writes(healer.converge(stack_from(after))) == []
        k += 1
    assert k > 4, "the change took create, attach, detach and delete"


def _translated(pre_shared: int, keep: dict[str, list[str]] | None = None) -> Any:
    objects = _objects(["shop.example.com"])
    annotations = find(objects, "Ingress", "shop")["metadata"]["annotations"]
    annotations[PRE_SHARED_CERT] = ",".join(f"pre-{i}" for i in range(pre_shared))
    context = Context("test", PROJECT, keep_managed=keep or {})
    return translate(stack_from(objects), context)


def test_a_proxy_takes_15_certificates_and_an_earlier_one_yields_first() -> None:
    full = _translated(14, {"default/shop-cert": ["k8s2-mc-old"]})
    (proxy,) = [w for w in full.resources if w.collection == "targetHttpsProxies"]
    assert len(proxy.body["sslCertificates"]) == 15
    assert not any(w.name == "k8s2-mc-old" for w in full.resources)
    assert any("k8s2-mc-old" in warning and "15" in warning for warning in full.warnings)
    roomy = _translated(13, {"default/shop-cert": ["k8s2-mc-old"]})
    (proxy,) = [w for w in roomy.resources if w.collection == "targetHttpsProxies"]
    assert len(proxy.body["sslCertificates"]) == 15 and proxy.body["sslCertificates"][-1].endswith(
        "/k8s2-mc-old"
    )
    with pytest.raises(ProviderError) as refused:
        _translated(15)
    assert refused.value.field == "spec.tls" and "at most 15" in str(refused.value)
