"""Google-managed SSL certificates on the Compute emulator, through the real clients: what the API refuses,
PROVISIONING on insert, and the issuer of the `/_emulator/` admin API (DNS records, provisioning passes)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import PROJECT, Clients, Stack


def _admin(emulator: ComputeEmulator, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.url}/_emulator{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _managed(clients: Clients, name: str, domains: list[str], **extra: Any) -> None:
    cert = compute_v1.SslCertificate(
        name=name,
        type_="MANAGED",
        managed=compute_v1.SslCertificateManagedSslCertificate(domains=domains),
        **extra,
    )
    clients.wait(clients.ssl_certificates.insert(project=PROJECT, ssl_certificate_resource=cert))


def _get(clients: Clients, name: str) -> compute_v1.SslCertificate:
    return clients.ssl_certificates.get(project=PROJECT, ssl_certificate=name)


@pytest.mark.parametrize(
    ("domains", "extra", "named"),
    [
        (["*.example.com"], {}, "managed.domains[0]"),
        ([f"d{i}.example.com" for i in range(101)], {}, "managed.domains"),
        ([], {}, "managed.domains"),
        (["shop.example.com"], {"certificate": "-----BEGIN CERTIFICATE-----"}, "certificate"),
    ],
    ids=["wildcard", "101-domains", "no-domains", "with-a-certificate"],
)
def test_what_the_api_refuses_is_a_400_naming_the_field(
    clients: Clients, domains: list[str], extra: dict[str, Any], named: str
) -> None:
    with pytest.raises(exceptions.BadRequest) as refused:
        _managed(clients, "bad", domains, **extra)
    assert f"resource.{named}" in str(refused.value)


def test_a_new_managed_certificate_is_provisioning_without_an_expiry(clients: Clients) -> None:
    _managed(clients, "mc", ["a.example.com", "b.example.com"])
    cert = _get(clients, "mc")
    assert cert.type_ == "MANAGED" and cert.managed.status == "PROVISIONING"
    assert dict(cert.managed.domain_status) == {
        "a.example.com": "PROVISIONING",
        "b.example.com": "PROVISIONING",
    }
    assert not cert.expire_time and list(cert.subject_alternative_names) == ["a.example.com", "b.example.com"]


def test_the_issuer_needs_dns_pointing_at_a_load_balancer_serving_the_certificate(
    clients: Clients, stack: Stack, emulator: ComputeEmulator
) -> None:
    _managed(clients, "mc", ["a.example.com", "b.example.com"])
    _managed(clients, "loose", ["a.example.com"])  # attached to no proxy: never visible
    clients.wait(
        clients.https_proxies.set_ssl_certificates(
            project=PROJECT,
            target_https_proxy=stack.https_proxy,
            target_https_proxies_set_ssl_certificates_request_resource=compute_v1.TargetHttpsProxiesSetSslCertificatesRequest(
                ssl_certificates=["global/sslCertificates/mc"]
            ),
        )
    )
    rule = compute_v1.ForwardingRule(
        name="fr-https", port_range="443", target=f"global/targetHttpsProxies/{stack.https_proxy}"
    )
    clients.wait(clients.forwarding_rules.insert(project=PROJECT, forwarding_rule_resource=rule))
    address = clients.forwarding_rules.get(project=PROJECT, forwarding_rule="fr-https").I_p_address

    status, body = _admin(
        emulator, "POST", "/dns", {"records": {"a.example.com": address, "b.example.com": "198.51.100.9"}}
    )
    assert status == 200 and body["records"] == {"a.example.com": address, "b.example.com": "198.51.100.9"}
    status, body = _admin(emulator, "POST", "/sslCertificates:provision", {})
    assert status == 200 and len(body["certificates"]) == 2
    cert = _get(clients, "mc")
    assert cert.managed.status == "PROVISIONING" and not cert.expire_time
    assert dict(cert.managed.domain_status) == {
        "a.example.com": "ACTIVE",
        "b.example.com": "FAILED_NOT_VISIBLE",
    }
    assert dict(_get(clients, "loose").managed.domain_status) == {"a.example.com": "FAILED_NOT_VISIBLE"}

    _admin(emulator, "POST", "/dns", {"records": {"b.example.com": address}})
    _admin(emulator, "POST", "/sslCertificates:provision", {"names": ["mc"]})
    cert = _get(clients, "mc")
    assert cert.managed.status == "ACTIVE" and cert.expire_time
    assert set(dict(cert.managed.domain_status).values()) == {"ACTIVE"}
    assert _get(clients, "loose").managed.status == "PROVISIONING", "a pass limited to names leaves others"


def test_the_admin_api_refuses_what_it_cannot_read(emulator: ComputeEmulator) -> None:
    assert _admin(emulator, "POST", "/dns", {"records": ["a.example.com"]})[0] == 400
    assert (
        _admin(emulator, "POST", "/sslCertificates:provision", {"domainStatus": {"a.example.com": "DONE"}})[0]
        == 400
    )
    assert _admin(emulator, "GET", "/dns") == (200, {"records": {}})


def test_a_proxy_takes_at_most_15_certificates(clients: Clients, stack: Stack) -> None:
    request = compute_v1.TargetHttpsProxiesSetSslCertificatesRequest(
        ssl_certificates=[f"global/sslCertificates/c{i}" for i in range(16)]
    )
    with pytest.raises(exceptions.BadRequest) as refused:
        clients.https_proxies.set_ssl_certificates(
            project=PROJECT,
            target_https_proxy=stack.https_proxy,
            target_https_proxies_set_ssl_certificates_request_resource=request,
        )
    assert "resource.sslCertificates" in str(refused.value) and "15" in str(refused.value)
