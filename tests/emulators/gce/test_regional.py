"""The regional collections and subnetworks through the real google-cloud-compute regional clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import PROJECT, ZONE, Clients
from emulators.testing.gce_regional import (
    NETWORK,
    REGION,
    RegionalClients,
    RegionalStack,
    build_regional_stack,
    create_subnets,
    internal_rule,
    make_regional_clients,
    region_path,
)


@pytest.fixture
def rc(emulator: ComputeEmulator) -> RegionalClients:
    return make_regional_clients(emulator.url)


@pytest.fixture
def stack(rc: RegionalClients) -> RegionalStack:
    return build_regional_stack(rc)


def _bad_request(call: Callable[[], Any], rc: RegionalClients) -> str:
    """The 400's message, whether the call or its operation reports it."""
    with pytest.raises(exceptions.BadRequest) as caught:
        rc.wait(call())
    return str(caught.value.message)


def test_internal_application_load_balancer_is_regional(
    emulator: ComputeEmulator, rc: RegionalClients, stack: RegionalStack
) -> None:
    base = f"{emulator.url}/compute/v1/projects/{PROJECT}/regions/{REGION}"
    service = rc.backend_services.get(project=PROJECT, region=REGION, backend_service=stack.backend_service)
    assert service.self_link == f"{base}/backendServices/{stack.backend_service}"
    assert service.region == f"{emulator.url}/compute/v1/projects/{PROJECT}/regions/{REGION}"
    assert service.health_checks == [f"{base}/healthChecks/{stack.health_check}"]
    assert service.backends[0].balancing_mode == "RATE"
    http = rc.forwarding_rules.get(project=PROJECT, region=REGION, forwarding_rule=stack.http_rule)
    https = rc.forwarding_rules.get(project=PROJECT, region=REGION, forwarding_rule=stack.https_rule)
    assert http.I_p_address == https.I_p_address == "10.128.0.2"  # gateway .1 is the subnet's
    assert http.subnetwork == f"{base}/subnetworks/default"
    assert http.network.endswith("/global/networks/default") and http.port_range == "80-80"
    address = rc.addresses.get(project=PROJECT, region=REGION, address=stack.address)
    assert address.status == "IN_USE" and len(address.users) == 2
    calls = emulator.call_counts()
    assert calls["regionBackendServices.insert"] == 1 and calls["forwardingRules.insert"] == 2
    assert calls["regionOperations.wait"] >= 1 and calls["subnetworks.insert"] == 2


def test_regional_operations_are_listed_and_read_in_their_region(
    emulator: ComputeEmulator, rc: RegionalClients
) -> None:
    create_subnets(rc, proxy_only=False)
    (operation,) = rc.region_ops.list(project=PROJECT, region=REGION)
    assert operation.region.endswith(f"/regions/{REGION}") and operation.operation_type == "insert"
    got = rc.region_ops.get(project=PROJECT, region=REGION, operation=operation.name)
    assert got.status == compute_v1.Operation.Status.DONE
    with pytest.raises(exceptions.NotFound):
        rc.region_ops.get(project=PROJECT, region=REGION, operation="operation-0")
    with pytest.raises(exceptions.BadRequest, match="Unknown region"):
        rc.subnetworks.get(project=PROJECT, region="mars-north1", subnetwork="default")
    assert [r.name for r in rc.regions.list(project=PROJECT)] == [REGION]
    assert rc.regions.get(project=PROJECT, region=REGION).zones[0].endswith(f"/zones/{ZONE}")


def test_managed_rule_needs_an_active_proxy_only_subnet(rc: RegionalClients, stack: RegionalStack) -> None:
    rc.wait(rc.forwarding_rules.delete(project=PROJECT, region=REGION, forwarding_rule=stack.http_rule))
    rc.wait(rc.forwarding_rules.delete(project=PROJECT, region=REGION, forwarding_rule=stack.https_rule))
    rc.wait(rc.subnetworks.delete(project=PROJECT, region=REGION, subnetwork=stack.proxy_subnet))
    message = _bad_request(
        lambda: rc.forwarding_rules.insert(
            project=PROJECT,
            region=REGION,
            forwarding_rule_resource=internal_rule(
                "fr", region_path("targetHttpProxies", stack.http_proxy), "80"
            ),
        ),
        rc,
    )
    assert "An active proxy-only subnetwork is required in the same region and VPC" in message


def test_proxy_only_subnet_and_subnet_in_use_cannot_be_deleted(
    rc: RegionalClients, stack: RegionalStack
) -> None:
    for subnet in (stack.proxy_subnet, stack.subnet):
        with pytest.raises(exceptions.BadRequest) as caught:
            rc.wait(rc.subnetworks.delete(project=PROJECT, region=REGION, subnetwork=subnet))
        assert "is already being used by" in str(caught.value.message)
    with pytest.raises(exceptions.BadRequest, match="already being used"):
        rc.wait(rc.health_checks.delete(project=PROJECT, region=REGION, health_check=stack.health_check))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (  # a regional URL map routes to regional backend services only
            lambda rc, s: rc.url_maps.insert(
                project=PROJECT,
                region=REGION,
                url_map_resource=compute_v1.UrlMap(name="um", default_service="global/backendServices/g"),
            ),
            "cannot use the global backend service",
        ),
        (  # an Envoy-based regional backend service takes a regional health check
            lambda rc, s: rc.backend_services.insert(
                project=PROJECT,
                region=REGION,
                backend_service_resource=compute_v1.BackendService(
                    name="bs",
                    load_balancing_scheme="INTERNAL_MANAGED",
                    health_checks=["global/healthChecks/g"],
                ),
            ),
            "cannot use the global health check",
        ),
        (  # a global URL map cannot route to a regional backend service
            lambda rc, s: rc.global_url_maps.insert(
                project=PROJECT,
                url_map_resource=compute_v1.UrlMap(
                    name="gum", default_service=region_path("backendServices", s.backend_service)
                ),
            ),
            "cannot use the regional backend service",
        ),
        (
            lambda rc, s: rc.backend_services.insert(
                project=PROJECT,
                region=REGION,
                backend_service_resource=compute_v1.BackendService(
                    name="ilb", load_balancing_scheme="INTERNAL", health_checks=["global/healthChecks/g"]
                ),
            ),
            "'resource.protocol': 'HTTP'",
        ),
        (
            lambda rc, s: rc.backend_services.insert(
                project=PROJECT,
                region=REGION,
                backend_service_resource=compute_v1.BackendService(
                    name="bs", load_balancing_scheme="INTERNAL_SELF_MANAGED"
                ),
            ),
            "'resource.loadBalancingScheme': 'INTERNAL_SELF_MANAGED'",
        ),
        (  # NEG backends are balanced by RATE or CONNECTION, never UTILIZATION
            lambda rc, s: rc.backend_services.insert(
                project=PROJECT,
                region=REGION,
                backend_service_resource=compute_v1.BackendService(
                    name="bs",
                    load_balancing_scheme="INTERNAL_MANAGED",
                    health_checks=[region_path("healthChecks", s.health_check)],
                    backends=[
                        compute_v1.Backend(
                            group=f"zones/{ZONE}/networkEndpointGroups/{s.neg}", balancing_mode="UTILIZATION"
                        )
                    ],
                ),
            ),
            "Backends of network endpoint groups take RATE or CONNECTION",
        ),
        (  # the rule's scheme is its backend services' scheme
            lambda rc, s: rc.forwarding_rules.insert(
                project=PROJECT,
                region=REGION,
                forwarding_rule_resource=compute_v1.ForwardingRule(
                    name="fr",
                    target=region_path("targetHttpProxies", s.http_proxy),
                    port_range="8080",
                    load_balancing_scheme="EXTERNAL_MANAGED",
                    network=NETWORK,
                ),
            ),
            "must match its backend services' (INTERNAL_MANAGED)",
        ),
        (
            lambda rc, s: rc.forwarding_rules.insert(
                project=PROJECT,
                region=REGION,
                forwarding_rule_resource=internal_rule(
                    "fr", region_path("targetHttpProxies", s.http_proxy), "80-81"
                ),
            ),
            "take a single port",
        ),
        (
            lambda rc, s: rc.http_proxies.insert(
                project=PROJECT,
                region=REGION,
                target_http_proxy_resource=compute_v1.TargetHttpProxy(name="p", url_map="global/urlMaps/g"),
            ),
            "cannot use the global URL map",
        ),
        (  # a GCE_ENDPOINT address belongs to one forwarding rule
            lambda rc, s: (
                [
                    rc.wait(
                        rc.addresses.insert(
                            project=PROJECT,
                            region=REGION,
                            address_resource=compute_v1.Address(
                                name="one",
                                address_type="INTERNAL",
                                subnetwork=region_path("subnetworks", s.subnet),
                            ),
                        )
                    ),
                    rc.wait(
                        rc.forwarding_rules.insert(
                            project=PROJECT,
                            region=REGION,
                            forwarding_rule_resource=internal_rule(
                                "fr1", region_path("targetHttpProxies", s.http_proxy), "80", address="one"
                            ),
                        )
                    ),
                ]
                and rc.forwarding_rules.insert(
                    project=PROJECT,
                    region=REGION,
                    forwarding_rule_resource=internal_rule(
                        "fr2", region_path("targetHttpProxies", s.http_proxy), "8080", address="one"
                    ),
                )
            ),
            "only an address of purpose SHARED_LOADBALANCER_VIP can be shared",
        ),
        (
            lambda rc, s: rc.forwarding_rules.insert(
                project=PROJECT,
                region=REGION,
                forwarding_rule_resource=internal_rule(
                    "fr", region_path("targetHttpProxies", s.http_proxy), "80", address="10.200.0.9"
                ),
            ),
            "not in the usable range of subnetwork 'default'",
        ),
    ],
    ids=[
        "urlmap-global-service",
        "managed-global-health-check",
        "global-urlmap-regional-service",
        "internal-http-protocol",
        "regional-self-managed",
        "neg-utilization",
        "scheme-mismatch",
        "port-range",
        "proxy-global-urlmap",
        "address-not-shared",
        "address-outside-subnet",
    ],
)
def test_the_api_refuses_what_regional_load_balancing_forbids(
    rc: RegionalClients,
    stack: RegionalStack,
    make: Callable[[RegionalClients, RegionalStack], Any],
    expected: str,
) -> None:
    rc.wait(
        rc.global_health_checks.insert(
            project=PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="g", tcp_health_check=compute_v1.TCPHealthCheck(port=80)
            ),
        )
    )
    rc.wait(
        rc.global_backend_services.insert(
            project=PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name="g", health_checks=["global/healthChecks/g"]
            ),
        )
    )
    rc.wait(
        rc.global_url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(name="g", default_service="global/backendServices/g"),
        )
    )
    assert expected in _bad_request(lambda: make(rc, stack), rc)


def test_passthrough_internal_load_balancer(rc: RegionalClients) -> None:
    """INTERNAL backend service (TCP, CONNECTION by default, a global health check is allowed) and its rule
    with `ports`, `allowGlobalAccess` and an IP from the subnetwork."""
    create_subnets(rc, proxy_only=False)
    rc.wait(
        rc.global_health_checks.insert(
            project=PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name="g", tcp_health_check=compute_v1.TCPHealthCheck(port=80)
            ),
        )
    )
    rc.wait(
        rc.negs.insert(
            project=PROJECT,
            zone=ZONE,
            network_endpoint_group_resource=compute_v1.NetworkEndpointGroup(
                name="ip-neg", network_endpoint_type="GCE_VM_IP"
            ),
        )
    )
    rc.wait(
        rc.backend_services.insert(
            project=PROJECT,
            region=REGION,
            backend_service_resource=compute_v1.BackendService(
                name="ilb",
                load_balancing_scheme="INTERNAL",
                protocol="TCP",
                health_checks=["global/healthChecks/g"],
                backends=[compute_v1.Backend(group=f"zones/{ZONE}/networkEndpointGroups/ip-neg")],
            ),
        )
    )
    service = rc.backend_services.get(project=PROJECT, region=REGION, backend_service="ilb")
    assert service.backends[0].balancing_mode == "CONNECTION"
    rule = compute_v1.ForwardingRule(
        name="ilb",
        backend_service=region_path("backendServices", "ilb"),
        load_balancing_scheme="INTERNAL",
        ports=["80", "443"],
        allow_global_access=True,
        I_p_address="10.128.0.50",
    )
    rc.wait(rc.forwarding_rules.insert(project=PROJECT, region=REGION, forwarding_rule_resource=rule))
    got = rc.forwarding_rules.get(project=PROJECT, region=REGION, forwarding_rule="ilb")
    assert got.subnetwork.endswith(f"/regions/{REGION}/subnetworks/default") and got.allow_global_access
    assert got.I_p_address == "10.128.0.50" and list(got.ports) == ["80", "443"]
    for field, value, message in (
        ("port_range", "80", "mutually exclusive"),
        ("I_p_protocol", "UDP", "The backend service takes TCP"),
        ("load_balancing_scheme", "EXTERNAL", "must match its backend services' (INTERNAL)"),
    ):
        bad = compute_v1.ForwardingRule(rule, name="bad", I_p_address=None)
        setattr(bad, field, value)
        assert message in _bad_request(
            lambda bad=bad: rc.forwarding_rules.insert(
                project=PROJECT, region=REGION, forwarding_rule_resource=bad
            ),
            rc,
        )


def test_subnetworks_keep_their_ranges_apart(rc: RegionalClients) -> None:
    create_subnets(rc)
    subnet = rc.subnetworks.get(project=PROJECT, region=REGION, subnetwork="default")
    assert subnet.gateway_address == "10.128.0.1" and subnet.purpose == "PRIVATE"
    proxy = rc.subnetworks.get(project=PROJECT, region=REGION, subnetwork="proxy-only")
    assert proxy.role == "ACTIVE" and not proxy.gateway_address
    for resource, message in (
        (compute_v1.Subnetwork(name="x", network=NETWORK, ip_cidr_range="10.128.4.0/24"), "conflicts with"),
        (
            compute_v1.Subnetwork(
                name="x",
                network=NETWORK,
                ip_cidr_range="10.130.0.0/23",
                purpose="REGIONAL_MANAGED_PROXY",
                role="ACTIVE",
            ),
            "already has the ACTIVE REGIONAL_MANAGED_PROXY subnetwork 'proxy-only'",
        ),
        (
            compute_v1.Subnetwork(name="x", network=NETWORK, ip_cidr_range="10.131.0.0/24", role="ACTIVE"),
            "take a role",
        ),
        (compute_v1.Subnetwork(name="x", network=NETWORK, ip_cidr_range="10.131.0.0/30"), "at most /29"),
    ):
        assert message in _bad_request(
            lambda resource=resource: rc.subnetworks.insert(
                project=PROJECT, region=REGION, subnetwork_resource=resource
            ),
            rc,
        )
    with pytest.raises(exceptions.PreconditionFailed):
        rc.subnetworks.patch(
            project=PROJECT,
            region=REGION,
            subnetwork="default",
            subnetwork_resource=compute_v1.Subnetwork(private_ip_google_access=True, fingerprint="c3RhbGU="),
        )
    rc.wait(
        rc.subnetworks.patch(
            project=PROJECT,
            region=REGION,
            subnetwork="default",
            subnetwork_resource=compute_v1.Subnetwork(
                private_ip_google_access=True, fingerprint=subnet.fingerprint
            ),
        )
    )
    assert rc.subnetworks.get(project=PROJECT, region=REGION, subnetwork="default").private_ip_google_access


def test_regional_lists_filter_and_custom_methods(
    emulator: ComputeEmulator, rc: RegionalClients, stack: RegionalStack, clients: Clients
) -> None:
    request = compute_v1.ListForwardingRulesRequest(
        project=PROJECT, region=REGION, filter='name = "fr-https"'
    )
    assert [r.name for r in rc.forwarding_rules.list(request=request)] == [stack.https_rule]
    assert list(clients.forwarding_rules.list(project=PROJECT)) == []  # the global collection is apart
    rc.wait(
        rc.url_maps.insert(
            project=PROJECT,
            region=REGION,
            url_map_resource=compute_v1.UrlMap(
                name="um2", default_service=region_path("backendServices", stack.backend_service)
            ),
        )
    )
    rc.wait(
        rc.http_proxies.set_url_map(
            project=PROJECT,
            region=REGION,
            target_http_proxy=stack.http_proxy,
            url_map_reference_resource=compute_v1.UrlMapReference(url_map=region_path("urlMaps", "um2")),
        )
    )
    proxy = rc.http_proxies.get(project=PROJECT, region=REGION, target_http_proxy=stack.http_proxy)
    assert proxy.url_map.endswith(f"/regions/{REGION}/urlMaps/um2")
    signed = requests.post(
        f"{emulator.url}/compute/v1/projects/{PROJECT}/regions/{REGION}/backendServices/"
        f"{stack.backend_service}/addSignedUrlKey",
        json={"keyName": "k", "keyValue": "AAAAAAAAAAAAAAAAAAAAAA"},
        timeout=5,
    )
    assert signed.status_code == 404  # Cloud CDN keys exist on global backend services only
    emulator.add_fault(verb=r"regionUrlMaps\.insert", status=503, times=1)
    with pytest.raises(exceptions.ServiceUnavailable):
        rc.url_maps.insert(
            project=PROJECT,
            region=REGION,
            url_map_resource=compute_v1.UrlMap(
                name="um3", default_service=region_path("backendServices", stack.backend_service)
            ),
        )
