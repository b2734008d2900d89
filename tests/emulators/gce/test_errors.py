"""Error semantics: 404, 409, 400 (names, required fields, in use, missing references), 412."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.testing.gce import PROJECT, ZONE, Clients, Stack


def _reason(error: exceptions.GoogleAPICallError) -> str:
    return error.errors[0]["reason"]


def test_missing_resource_is_not_found(clients: Clients) -> None:
    with pytest.raises(exceptions.NotFound) as caught:
        clients.url_maps.get(project=PROJECT, url_map="nope")
    assert _reason(caught.value) == "notFound"
    with pytest.raises(exceptions.NotFound):
        clients.url_maps.delete(project=PROJECT, url_map="nope")
    with pytest.raises(exceptions.NotFound):
        clients.http_proxies.set_url_map(
            project=PROJECT,
            target_http_proxy="nope",
            url_map_reference_resource=compute_v1.UrlMapReference(url_map="global/urlMaps/x"),
        )


def test_duplicate_insert_conflicts(clients: Clients, stack: Stack) -> None:
    with pytest.raises(exceptions.Conflict) as caught:
        clients.health_checks.insert(
            project=PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name=stack.health_check, tcp_health_check=compute_v1.TCPHealthCheck(port=1)
            ),
        )
    assert _reason(caught.value) == "alreadyExists"


@pytest.mark.parametrize(
    "name",
    ["Upper", "1starts-with-digit", "ends-with-dash-", "under_score", "a" * 64, "dot.ted"],
)
def test_invalid_names_are_rejected(clients: Clients, name: str) -> None:
    with pytest.raises(exceptions.BadRequest):
        clients.ssl_policies.insert(project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name=name))


def test_longest_valid_name_is_accepted(clients: Clients) -> None:
    name = "a" + "b" * 61 + "c"
    clients.wait(
        clients.ssl_policies.insert(project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name=name))
    )
    assert clients.ssl_policies.get(project=PROJECT, ssl_policy=name).name == name


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.url_maps.insert(project=PROJECT, url_map_resource=compute_v1.UrlMap(name="um")),
        lambda c: c.http_proxies.insert(
            project=PROJECT, target_http_proxy_resource=compute_v1.TargetHttpProxy(name="p")
        ),
        lambda c: c.health_checks.insert(
            project=PROJECT, health_check_resource=compute_v1.HealthCheck(name="hc")
        ),
        lambda c: c.firewalls.insert(project=PROJECT, firewall_resource=compute_v1.Firewall(name="fw")),
        lambda c: c.ssl_certificates.insert(
            project=PROJECT, ssl_certificate_resource=compute_v1.SslCertificate(name="cert")
        ),
        lambda c: c.ssl_policies.insert(project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy()),
        lambda c: c.instance_groups.insert(
            project=PROJECT, zone="mars-north1-a", instance_group_resource=compute_v1.InstanceGroup(name="ig")
        ),
    ],
    ids=[
        "urlMap-default",
        "proxy-urlMap",
        "healthCheck-type",
        "firewall-allowed",
        "cert-pem",
        "name",
        "unknown-zone",
    ],
)
def test_missing_required_fields_are_bad_requests(clients: Clients, call: Callable[[Clients], Any]) -> None:
    with pytest.raises(exceptions.BadRequest):
        call(clients)


def test_url_map_host_rule_must_name_a_path_matcher(clients: Clients, stack: Stack) -> None:
    with pytest.raises(exceptions.BadRequest, match="path matcher"):
        clients.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(
                name="um-2",
                default_service=f"global/backendServices/{stack.backend_service}",
                host_rules=[compute_v1.HostRule(hosts=["a.example.com"], path_matcher="missing")],
            ),
        )


@pytest.mark.parametrize(
    "call",
    [
        lambda c, s: c.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(name="x", default_service="global/backendServices/gone"),
        ),
        lambda c, s: c.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(
                name="x",
                default_service=f"global/backendServices/{s.backend_service}",
                path_matchers=[
                    compute_v1.PathMatcher(
                        name="pm",
                        default_service=f"global/backendServices/{s.backend_service}",
                        path_rules=[
                            compute_v1.PathRule(
                                paths=["/a"], service=f"projects/{PROJECT}/global/backendServices/gone"
                            )
                        ],
                    )
                ],
            ),
        ),
        lambda c, s: c.backend_services.insert(
            project=PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name="x", health_checks=["global/healthChecks/gone"]
            ),
        ),
        lambda c, s: c.backend_services.insert(
            project=PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name="x", backends=[compute_v1.Backend(group=f"zones/{ZONE}/instanceGroups/gone")]
            ),
        ),
        lambda c, s: c.https_proxies.insert(
            project=PROJECT,
            target_https_proxy_resource=compute_v1.TargetHttpsProxy(
                name="x",
                url_map=f"global/urlMaps/{s.url_map}",
                ssl_certificates=["global/sslCertificates/gone"],
            ),
        ),
        lambda c, s: c.forwarding_rules.insert(
            project=PROJECT,
            forwarding_rule_resource=compute_v1.ForwardingRule(
                name="x", target="global/targetHttpProxies/gone"
            ),
        ),
        lambda c, s: c.forwarding_rules.insert(
            project=PROJECT,
            forwarding_rule_resource=compute_v1.ForwardingRule(
                name="x", target=f"global/targetHttpProxies/{s.http_proxy}", I_p_address="no-such-address"
            ),
        ),
        lambda c, s: c.http_proxies.set_url_map(
            project=PROJECT,
            target_http_proxy=s.http_proxy,
            url_map_reference_resource=compute_v1.UrlMapReference(url_map="global/urlMaps/gone"),
        ),
        lambda c, s: c.url_maps.insert(
            project=PROJECT, url_map_resource=compute_v1.UrlMap(name="x", default_service="not a url")
        ),
        lambda c, s: c.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(
                name="x", default_service=f"global/healthChecks/{s.health_check}"
            ),
        ),
    ],
    ids=[
        "urlMap-default",
        "urlMap-pathRule",
        "bs-healthCheck",
        "bs-group",
        "https-cert",
        "fr-target",
        "fr-address",
        "setUrlMap",
        "malformed",
        "wrong-collection",
    ],
)
def test_references_to_missing_or_wrong_resources_are_bad_requests(
    clients: Clients, stack: Stack, call: Callable[[Clients, Stack], Any], emulator: Any
) -> None:
    before = emulator.inventory()
    with pytest.raises(exceptions.BadRequest):
        call(clients, stack)
    assert emulator.inventory() == before


@pytest.mark.parametrize(
    "delete, user",
    [
        (
            lambda c, s: c.health_checks.delete(project=PROJECT, health_check=s.health_check),
            "backendServices",
        ),
        (
            lambda c, s: c.backend_services.delete(project=PROJECT, backend_service=s.backend_service),
            "urlMaps",
        ),
        (lambda c, s: c.url_maps.delete(project=PROJECT, url_map=s.url_map), "target"),
        (
            lambda c, s: c.http_proxies.delete(project=PROJECT, target_http_proxy=s.http_proxy),
            "forwardingRules",
        ),
        (
            lambda c, s: c.ssl_certificates.delete(project=PROJECT, ssl_certificate=s.certificate),
            "targetHttpsProxies",
        ),
        (lambda c, s: c.ssl_policies.delete(project=PROJECT, ssl_policy=s.ssl_policy), "targetHttpsProxies"),
        (
            lambda c, s: c.instance_groups.delete(
                project=PROJECT, zone=ZONE, instance_group=s.instance_group
            ),
            "backendServices",
        ),
        (lambda c, s: c.addresses.delete(project=PROJECT, address=s.address), "forwardingRules"),
    ],
    ids=[
        "healthCheck",
        "backendService",
        "urlMap",
        "httpProxy",
        "sslCertificate",
        "sslPolicy",
        "instanceGroup",
        "address",
    ],
)
def test_deleting_a_referenced_resource_is_refused(
    clients: Clients, stack: Stack, delete: Callable[[Clients, Stack], Any], user: str
) -> None:
    with pytest.raises(exceptions.BadRequest) as caught:
        delete(clients, stack)
    assert _reason(caught.value) == "resourceInUseByAnotherResource"
    assert f"/{user}" in caught.value.message


def test_neg_in_use_by_backend_service(clients: Clients, stack: Stack) -> None:
    clients.wait(
        clients.backend_services.insert(
            project=PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name="bs-neg",
                backends=[compute_v1.Backend(group=f"zones/{ZONE}/networkEndpointGroups/{stack.neg}")],
                health_checks=[f"global/healthChecks/{stack.health_check}"],
            ),
        )
    )
    with pytest.raises(exceptions.BadRequest, match="bs-neg"):
        clients.negs.delete(project=PROJECT, zone=ZONE, network_endpoint_group=stack.neg)
    clients.wait(clients.backend_services.delete(project=PROJECT, backend_service="bs-neg"))
    clients.wait(clients.negs.delete(project=PROJECT, zone=ZONE, network_endpoint_group=stack.neg))


@pytest.mark.parametrize(
    "read_fingerprint, write",
    [
        (
            lambda c, s: c.url_maps.get(project=PROJECT, url_map=s.url_map).fingerprint,
            lambda c, s, fp: c.url_maps.patch(
                project=PROJECT,
                url_map=s.url_map,
                url_map_resource=compute_v1.UrlMap(fingerprint=fp, description="d"),
            ),
        ),
        (
            lambda c, s: c.url_maps.get(project=PROJECT, url_map=s.url_map).fingerprint,
            lambda c, s, fp: c.url_maps.update(
                project=PROJECT,
                url_map=s.url_map,
                url_map_resource=compute_v1.UrlMap(
                    name=s.url_map,
                    fingerprint=fp,
                    default_service=f"global/backendServices/{s.backend_service}",
                ),
            ),
        ),
        (
            lambda c, s: (
                c.backend_services.get(project=PROJECT, backend_service=s.backend_service).fingerprint
            ),
            lambda c, s, fp: c.backend_services.patch(
                project=PROJECT,
                backend_service=s.backend_service,
                backend_service_resource=compute_v1.BackendService(fingerprint=fp, timeout_sec=5),
            ),
        ),
        (
            lambda c, s: c.http_proxies.get(project=PROJECT, target_http_proxy=s.http_proxy).fingerprint,
            lambda c, s, fp: c.http_proxies.patch(
                project=PROJECT,
                target_http_proxy=s.http_proxy,
                target_http_proxy_resource=compute_v1.TargetHttpProxy(fingerprint=fp, description="d"),
            ),
        ),
        (
            lambda c, s: (
                c.forwarding_rules.get(project=PROJECT, forwarding_rule=s.forwarding_rule).label_fingerprint
            ),
            lambda c, s, fp: c.forwarding_rules.set_labels(
                project=PROJECT,
                resource=s.forwarding_rule,
                global_set_labels_request_resource=compute_v1.GlobalSetLabelsRequest(
                    label_fingerprint=fp, labels={"owner": "lbctl", "stack": "s1"}
                ),
            ),
        ),
        (
            lambda c, s: c.addresses.get(project=PROJECT, address=s.address).label_fingerprint,
            lambda c, s, fp: c.addresses.set_labels(
                project=PROJECT,
                resource=s.address,
                global_set_labels_request_resource=compute_v1.GlobalSetLabelsRequest(
                    label_fingerprint=fp, labels={"owner": "lbctl"}
                ),
            ),
        ),
        (
            lambda c, s: (
                c.instance_groups.get(project=PROJECT, zone=ZONE, instance_group=s.instance_group).fingerprint
            ),
            lambda c, s, fp: c.instance_groups.set_named_ports(
                project=PROJECT,
                zone=ZONE,
                instance_group=s.instance_group,
                instance_groups_set_named_ports_request_resource=compute_v1.InstanceGroupsSetNamedPortsRequest(
                    fingerprint=fp, named_ports=[compute_v1.NamedPort(name="http", port=30081)]
                ),
            ),
        ),
    ],
    ids=[
        "urlMaps.patch",
        "urlMaps.update",
        "backendServices.patch",
        "targetHttpProxies.patch",
        "forwardingRules.setLabels",
        "addresses.setLabels",
        "instanceGroups.setNamedPorts",
    ],
)
def test_fingerprint_is_a_precondition(
    clients: Clients, stack: Stack, read_fingerprint: Callable[..., str], write: Callable[..., Any]
) -> None:
    """A current fingerprint succeeds and changes the fingerprint; replaying the old one gets 412."""
    fingerprint = read_fingerprint(clients, stack)
    assert fingerprint
    clients.wait(write(clients, stack, fingerprint))
    assert read_fingerprint(clients, stack) != fingerprint
    with pytest.raises(exceptions.PreconditionFailed) as caught:
        write(clients, stack, fingerprint)
    assert _reason(caught.value) == "conditionNotMet"


def test_set_labels_without_fingerprint_is_refused(clients: Clients, stack: Stack) -> None:
    with pytest.raises(exceptions.PreconditionFailed):
        clients.forwarding_rules.set_labels(
            project=PROJECT,
            resource=stack.forwarding_rule,
            global_set_labels_request_resource=compute_v1.GlobalSetLabelsRequest(labels={"a": "b"}),
        )


def test_invalid_labels_are_rejected(clients: Clients) -> None:
    with pytest.raises(exceptions.BadRequest):
        clients.addresses.insert(
            project=PROJECT, address_resource=compute_v1.Address(name="a", labels={"Bad Key": "v"})
        )
