"""CRUD of every emulated kind through the real google-cloud-compute clients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.testing.gce import PROJECT, ZONE, Clients, Stack


@dataclass(frozen=True)
class Kind:
    """How to get, list and delete one kind with its client."""

    id: str
    name: Callable[[Stack], str]
    get: Callable[[Clients, str], Any]
    list: Callable[[Clients], Any]
    delete: Callable[[Clients, str], Any]
    kind: str
    self_link_path: str


KINDS = [
    Kind(
        "forwardingRules",
        lambda s: s.forwarding_rule,
        lambda c, n: c.forwarding_rules.get(project=PROJECT, forwarding_rule=n),
        lambda c: c.forwarding_rules.list(project=PROJECT),
        lambda c, n: c.forwarding_rules.delete(project=PROJECT, forwarding_rule=n),
        "compute#forwardingRule",
        "global/forwardingRules",
    ),
    Kind(
        "targetHttpsProxies",
        lambda s: s.https_proxy,
        lambda c, n: c.https_proxies.get(project=PROJECT, target_https_proxy=n),
        lambda c: c.https_proxies.list(project=PROJECT),
        lambda c, n: c.https_proxies.delete(project=PROJECT, target_https_proxy=n),
        "compute#targetHttpsProxy",
        "global/targetHttpsProxies",
    ),
    Kind(
        "targetHttpProxies",
        lambda s: s.http_proxy,
        lambda c, n: c.http_proxies.get(project=PROJECT, target_http_proxy=n),
        lambda c: c.http_proxies.list(project=PROJECT),
        lambda c, n: c.http_proxies.delete(project=PROJECT, target_http_proxy=n),
        "compute#targetHttpProxy",
        "global/targetHttpProxies",
    ),
    Kind(
        "addresses",
        lambda s: s.address,
        lambda c, n: c.addresses.get(project=PROJECT, address=n),
        lambda c: c.addresses.list(project=PROJECT),
        lambda c, n: c.addresses.delete(project=PROJECT, address=n),
        "compute#address",
        "global/addresses",
    ),
    Kind(
        "sslCertificates",
        lambda s: s.certificate,
        lambda c, n: c.ssl_certificates.get(project=PROJECT, ssl_certificate=n),
        lambda c: c.ssl_certificates.list(project=PROJECT),
        lambda c, n: c.ssl_certificates.delete(project=PROJECT, ssl_certificate=n),
        "compute#sslCertificate",
        "global/sslCertificates",
    ),
    Kind(
        "sslPolicies",
        lambda s: s.ssl_policy,
        lambda c, n: c.ssl_policies.get(project=PROJECT, ssl_policy=n),
        lambda c: c.ssl_policies.list(project=PROJECT),
        lambda c, n: c.ssl_policies.delete(project=PROJECT, ssl_policy=n),
        "compute#sslPolicy",
        "global/sslPolicies",
    ),
    Kind(
        "urlMaps",
        lambda s: s.url_map,
        lambda c, n: c.url_maps.get(project=PROJECT, url_map=n),
        lambda c: c.url_maps.list(project=PROJECT),
        lambda c, n: c.url_maps.delete(project=PROJECT, url_map=n),
        "compute#urlMap",
        "global/urlMaps",
    ),
    Kind(
        "backendServices",
        lambda s: s.backend_service,
        lambda c, n: c.backend_services.get(project=PROJECT, backend_service=n),
        lambda c: c.backend_services.list(project=PROJECT),
        lambda c, n: c.backend_services.delete(project=PROJECT, backend_service=n),
        "compute#backendService",
        "global/backendServices",
    ),
    Kind(
        "healthChecks",
        lambda s: s.health_check,
        lambda c, n: c.health_checks.get(project=PROJECT, health_check=n),
        lambda c: c.health_checks.list(project=PROJECT),
        lambda c, n: c.health_checks.delete(project=PROJECT, health_check=n),
        "compute#healthCheck",
        "global/healthChecks",
    ),
    Kind(
        "instanceGroups",
        lambda s: s.instance_group,
        lambda c, n: c.instance_groups.get(project=PROJECT, zone=ZONE, instance_group=n),
        lambda c: c.instance_groups.list(project=PROJECT, zone=ZONE),
        lambda c, n: c.instance_groups.delete(project=PROJECT, zone=ZONE, instance_group=n),
        "compute#instanceGroup",
        f"zones/{ZONE}/instanceGroups",
    ),
    Kind(
        "networkEndpointGroups",
        lambda s: s.neg,
        lambda c, n: c.negs.get(project=PROJECT, zone=ZONE, network_endpoint_group=n),
        lambda c: c.negs.list(project=PROJECT, zone=ZONE),
        lambda c, n: c.negs.delete(project=PROJECT, zone=ZONE, network_endpoint_group=n),
        "compute#networkEndpointGroup",
        f"zones/{ZONE}/networkEndpointGroups",
    ),
    Kind(
        "instances",
        lambda s: s.instance,
        lambda c, n: c.instances.get(project=PROJECT, zone=ZONE, instance=n),
        lambda c: c.instances.list(project=PROJECT, zone=ZONE),
        lambda c, n: c.instances.delete(project=PROJECT, zone=ZONE, instance=n),
        "compute#instance",
        f"zones/{ZONE}/instances",
    ),
]


def test_get_list_delete_every_kind_in_dependency_order(
    clients: Clients, stack: Stack, emulator: Any
) -> None:
    """Deleting top-down (rule first, instance last) succeeds for every kind; each then 404s."""
    for kind in KINDS:
        name = kind.name(stack)
        resource = kind.get(clients, name)
        assert resource.name == name, kind.id
        assert resource.kind == kind.kind
        assert (
            resource.self_link == f"{emulator.url}/compute/v1/projects/{PROJECT}/{kind.self_link_path}/{name}"
        )
        assert resource.id > 0 and resource.creation_timestamp
        assert [item.name for item in kind.list(clients)] == [name]
        operation = clients.wait(kind.delete(clients, name))
        assert operation.operation_type == "delete" and operation.target_link == resource.self_link
        with pytest.raises(exceptions.NotFound):
            kind.get(clients, name)
    assert emulator.inventory() == {}


def test_references_are_stored_as_full_urls(clients: Clients, stack: Stack, emulator: Any) -> None:
    base = f"{emulator.url}/compute/v1/projects/{PROJECT}"
    service = clients.backend_services.get(project=PROJECT, backend_service=stack.backend_service)
    assert list(service.health_checks) == [f"{base}/global/healthChecks/{stack.health_check}"]
    assert service.backends[0].group == f"{base}/zones/{ZONE}/instanceGroups/{stack.instance_group}"
    assert service.protocol == "HTTP" and service.port_name == "http" and service.timeout_sec == 30
    proxy = clients.https_proxies.get(project=PROJECT, target_https_proxy=stack.https_proxy)
    assert proxy.url_map == f"{base}/global/urlMaps/{stack.url_map}"
    assert list(proxy.ssl_certificates) == [f"{base}/global/sslCertificates/{stack.certificate}"]
    rule = clients.forwarding_rules.get(project=PROJECT, forwarding_rule=stack.forwarding_rule)
    assert rule.target == f"{base}/global/targetHttpProxies/{stack.http_proxy}"
    assert rule.port_range == "80-80" and rule.I_p_protocol == "TCP"


def test_private_key_is_never_returned(clients: Clients, stack: Stack) -> None:
    certificate = clients.ssl_certificates.get(project=PROJECT, ssl_certificate=stack.certificate)
    assert certificate.type_ == "SELF_MANAGED" and certificate.certificate
    assert certificate.private_key == ""


def test_managed_certificate_is_provisioning(clients: Clients) -> None:
    clients.wait(
        clients.ssl_certificates.insert(
            project=PROJECT,
            ssl_certificate_resource=compute_v1.SslCertificate(
                name="managed",
                managed=compute_v1.SslCertificateManagedSslCertificate(domains=["a.example.com"]),
            ),
        )
    )
    certificate = clients.ssl_certificates.get(project=PROJECT, ssl_certificate="managed")
    assert certificate.type_ == "MANAGED" and certificate.managed.status == "PROVISIONING"
    assert dict(certificate.managed.domain_status) == {"a.example.com": "PROVISIONING"}


def test_url_map_patch_merges_and_update_replaces(clients: Clients, stack: Stack) -> None:
    current = clients.url_maps.get(project=PROJECT, url_map=stack.url_map)
    matcher = compute_v1.PathMatcher(
        name="pm",
        default_service=f"global/backendServices/{stack.backend_service}",
        path_rules=[compute_v1.PathRule(paths=["/api", "/api/*"], service=current.default_service)],
    )
    clients.wait(
        clients.url_maps.patch(
            project=PROJECT,
            url_map=stack.url_map,
            url_map_resource=compute_v1.UrlMap(
                fingerprint=current.fingerprint,
                host_rules=[compute_v1.HostRule(hosts=["a.example.com"], path_matcher="pm")],
                path_matchers=[matcher],
            ),
        )
    )
    patched = clients.url_maps.get(project=PROJECT, url_map=stack.url_map)
    assert patched.default_service == current.default_service
    assert patched.path_matchers[0].path_rules[0].paths == ["/api", "/api/*"]
    assert patched.fingerprint != current.fingerprint and patched.id == current.id
    clients.wait(
        clients.url_maps.update(
            project=PROJECT,
            url_map=stack.url_map,
            url_map_resource=compute_v1.UrlMap(
                name=stack.url_map, fingerprint=patched.fingerprint, default_service=current.default_service
            ),
        )
    )
    updated = clients.url_maps.get(project=PROJECT, url_map=stack.url_map)
    assert not updated.host_rules and not updated.path_matchers
    assert updated.creation_timestamp == current.creation_timestamp


@pytest.mark.parametrize(
    "call, read",
    [
        (
            lambda c, s: c.health_checks.patch(
                project=PROJECT,
                health_check=s.health_check,
                health_check_resource=compute_v1.HealthCheck(check_interval_sec=30),
            ),
            lambda c, s: (
                c.health_checks.get(project=PROJECT, health_check=s.health_check).check_interval_sec == 30
            ),
        ),
        (
            lambda c, s: c.backend_services.patch(
                project=PROJECT,
                backend_service=s.backend_service,
                backend_service_resource=compute_v1.BackendService(timeout_sec=90),
            ),
            lambda c, s: (
                c.backend_services.get(project=PROJECT, backend_service=s.backend_service).timeout_sec == 90
            ),
        ),
        (
            lambda c, s: c.ssl_policies.patch(
                project=PROJECT,
                ssl_policy=s.ssl_policy,
                ssl_policy_resource=compute_v1.SslPolicy(profile="MODERN"),
            ),
            lambda c, s: c.ssl_policies.get(project=PROJECT, ssl_policy=s.ssl_policy).profile == "MODERN",
        ),
        (
            lambda c, s: c.http_proxies.patch(
                project=PROJECT,
                target_http_proxy=s.http_proxy,
                target_http_proxy_resource=compute_v1.TargetHttpProxy(description="patched"),
            ),
            lambda c, s: (
                c.http_proxies.get(project=PROJECT, target_http_proxy=s.http_proxy).description == "patched"
            ),
        ),
        (
            lambda c, s: c.http_proxies.set_url_map(
                project=PROJECT,
                target_http_proxy=s.http_proxy,
                url_map_reference_resource=compute_v1.UrlMapReference(url_map=f"global/urlMaps/{s.url_map}"),
            ),
            lambda c, s: c.http_proxies.get(project=PROJECT, target_http_proxy=s.http_proxy).url_map.endswith(
                f"/global/urlMaps/{s.url_map}"
            ),
        ),
        (
            lambda c, s: c.https_proxies.set_ssl_policy(
                project=PROJECT,
                target_https_proxy=s.https_proxy,
                ssl_policy_reference_resource=compute_v1.SslPolicyReference(),
            ),
            lambda c, s: (
                c.https_proxies.get(project=PROJECT, target_https_proxy=s.https_proxy).ssl_policy == ""
            ),
        ),
        (
            lambda c, s: c.forwarding_rules.set_target(
                project=PROJECT,
                forwarding_rule=s.forwarding_rule,
                target_reference_resource=compute_v1.TargetReference(
                    target=f"global/targetHttpsProxies/{s.https_proxy}"
                ),
            ),
            lambda c, s: c.forwarding_rules.get(
                project=PROJECT, forwarding_rule=s.forwarding_rule
            ).target.endswith(f"/targetHttpsProxies/{s.https_proxy}"),
        ),
        (
            lambda c, s: c.backend_services.set_security_policy(
                project=PROJECT,
                backend_service=s.backend_service,
                security_policy_reference_resource=compute_v1.SecurityPolicyReference(
                    security_policy="global/securityPolicies/waf"
                ),
            ),
            lambda c, s: c.backend_services.get(
                project=PROJECT, backend_service=s.backend_service
            ).security_policy.endswith("/global/securityPolicies/waf"),
        ),
        (
            lambda c, s: c.firewalls.insert(
                project=PROJECT,
                firewall_resource=compute_v1.Firewall(
                    name="fw",
                    allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["80"])],
                    source_ranges=["0.0.0.0/0"],
                ),
            ),
            lambda c, s: c.firewalls.get(project=PROJECT, firewall="fw").network.endswith(
                "/global/networks/default"
            ),
        ),
    ],
    ids=[
        "healthChecks.patch",
        "backendServices.patch",
        "sslPolicies.patch",
        "targetHttpProxies.patch",
        "targetHttpProxies.setUrlMap",
        "targetHttpsProxies.setSslPolicy-clear",
        "forwardingRules.setTarget",
        "backendServices.setSecurityPolicy",
        "firewalls.insert",
    ],
)
def test_mutation_is_visible(
    clients: Clients, stack: Stack, call: Callable[..., Any], read: Callable[..., bool]
) -> None:
    clients.wait(call(clients, stack))
    assert read(clients, stack)


def test_firewall_patch_and_update(clients: Clients) -> None:
    allowed = [compute_v1.Allowed(I_p_protocol="tcp", ports=["80"])]
    clients.wait(
        clients.firewalls.insert(
            project=PROJECT, firewall_resource=compute_v1.Firewall(name="fw", allowed=allowed)
        )
    )
    clients.wait(
        clients.firewalls.patch(
            project=PROJECT,
            firewall="fw",
            firewall_resource=compute_v1.Firewall(source_ranges=["130.211.0.0/22"]),
        )
    )
    firewall = clients.firewalls.get(project=PROJECT, firewall="fw")
    assert list(firewall.source_ranges) == ["130.211.0.0/22"] and firewall.allowed[0].ports == ["80"]
    clients.wait(
        clients.firewalls.update(
            project=PROJECT,
            firewall="fw",
            firewall_resource=compute_v1.Firewall(
                name="fw", allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["443"])]
            ),
        )
    )
    firewall = clients.firewalls.get(project=PROJECT, firewall="fw")
    assert list(firewall.source_ranges) == [] and firewall.allowed[0].ports == ["443"]
    clients.wait(clients.firewalls.delete(project=PROJECT, firewall="fw"))
    assert list(clients.firewalls.list(project=PROJECT)) == []


def test_zones_are_listed(clients: Clients) -> None:
    zones = [zone.name for zone in clients.zones.list(project=PROJECT)]
    assert zones == ["us-central1-a", "us-central1-b", "us-central1-c"]
    assert clients.zones.get(project=PROJECT, zone="us-central1-b").region.endswith("/regions/us-central1")
    with pytest.raises(exceptions.NotFound):
        clients.zones.get(project=PROJECT, zone="europe-west1-b")
