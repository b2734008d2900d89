"""List filters and paging, IP allocation, instance groups, NEGs and backend health."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.testing.gce import PROJECT, ZONE, Clients, Stack


@pytest.fixture
def labelled_addresses(clients: Clients) -> None:
    for name, team, description in [
        ("k8s-a-web", "web", "lbctl: default/web"),
        ("k8s-b-api", "api", "lbctl: default/api"),
        ("other-lb", "web", "hand made"),
    ]:
        clients.wait(
            clients.addresses.insert(
                project=PROJECT,
                address_resource=compute_v1.Address(
                    name=name, labels={"team": team}, description=description
                ),
            )
        )


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('name = "k8s-a-web"', ["k8s-a-web"]),
        ("name != k8s-a-web", ["k8s-b-api", "other-lb"]),
        ("name eq k8s-.*", ["k8s-a-web", "k8s-b-api"]),
        ("name ne k8s-.*", ["other-lb"]),
        ("name eq k8s", []),
        ('description : "lbctl"', ["k8s-a-web", "k8s-b-api"]),
        ('labels.team = "web"', ["k8s-a-web", "other-lb"]),
        ('(labels.team = "web") (name eq k8s-.*)', ["k8s-a-web"]),
        ('labels.team = "api" OR name = "other-lb"', ["k8s-b-api", "other-lb"]),
        ('status = "RESERVED"', ["k8s-a-web", "k8s-b-api", "other-lb"]),
    ],
)
def test_list_filter(
    clients: Clients, labelled_addresses: None, expression: str, expected: list[str]
) -> None:
    request = compute_v1.ListGlobalAddressesRequest(project=PROJECT, filter=expression)
    assert [address.name for address in clients.addresses.list(request=request)] == expected


def test_malformed_filter_is_a_bad_request(clients: Clients) -> None:
    with pytest.raises(exceptions.BadRequest):
        list(
            clients.addresses.list(
                request=compute_v1.ListGlobalAddressesRequest(project=PROJECT, filter="name = ")
            )
        )


def test_paging_walks_every_item_once(clients: Clients, emulator: Any) -> None:
    for index in range(7):
        clients.wait(
            clients.ssl_policies.insert(
                project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name=f"p{index}")
            )
        )
    emulator.clear_requests()
    pager = clients.ssl_policies.list(
        request=compute_v1.ListSslPoliciesRequest(project=PROJECT, max_results=3)
    )
    assert [policy.name for policy in pager] == [f"p{index}" for index in range(7)]
    assert emulator.call_counts() == {"sslPolicies.list": 3}
    first_page = clients.ssl_policies.list(
        request=compute_v1.ListSslPoliciesRequest(project=PROJECT, max_results=3)
    )
    assert first_page.next_page_token
    with pytest.raises(exceptions.BadRequest):
        list(
            clients.ssl_policies.list(
                request=compute_v1.ListSslPoliciesRequest(project=PROJECT, page_token="garbage")
            )
        )


def test_addresses_and_forwarding_rules_get_ips(clients: Clients, stack: Stack) -> None:
    pool = ipaddress.ip_network("34.120.0.0/16")
    address = clients.addresses.get(project=PROJECT, address=stack.address)
    assert ipaddress.ip_address(address.address) in pool
    assert address.status == "IN_USE" and address.users[0].endswith(
        f"/forwardingRules/{stack.forwarding_rule}"
    )
    rule = clients.forwarding_rules.get(project=PROJECT, forwarding_rule=stack.forwarding_rule)
    assert rule.I_p_address == address.address
    target = f"global/targetHttpsProxies/{stack.https_proxy}"
    for name, reference in [("by-link", address.self_link), ("by-ip", address.address)]:
        clients.wait(
            clients.forwarding_rules.insert(
                project=PROJECT,
                forwarding_rule_resource=compute_v1.ForwardingRule(
                    name=name, target=target, I_p_address=reference, port_range="443"
                ),
            )
        )
        assert (
            clients.forwarding_rules.get(project=PROJECT, forwarding_rule=name).I_p_address == address.address
        )
    clients.wait(
        clients.forwarding_rules.insert(
            project=PROJECT,
            forwarding_rule_resource=compute_v1.ForwardingRule(name="ephemeral", target=target),
        )
    )
    ephemeral = clients.forwarding_rules.get(project=PROJECT, forwarding_rule="ephemeral").I_p_address
    assert ipaddress.ip_address(ephemeral) in pool and ephemeral != address.address
    assert len(clients.addresses.get(project=PROJECT, address=stack.address).users) == 3


def test_reserving_a_taken_ip_is_refused(clients: Clients, stack: Stack) -> None:
    taken = clients.addresses.get(project=PROJECT, address=stack.address).address
    with pytest.raises(exceptions.BadRequest):
        clients.addresses.insert(
            project=PROJECT, address_resource=compute_v1.Address(name="again", address=taken)
        )


def _members(clients: Clients, group: str) -> list[str]:
    request = compute_v1.InstanceGroupsListInstancesRequest(instance_state="ALL")
    return [
        item.instance.rsplit("/", 1)[-1]
        for item in clients.instance_groups.list_instances(
            project=PROJECT,
            zone=ZONE,
            instance_group=group,
            instance_groups_list_instances_request_resource=request,
        )
    ]


def test_instance_group_membership_and_health(clients: Clients, stack: Stack) -> None:
    clients.wait(
        clients.instances.insert(
            project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(name="vm-2")
        )
    )
    clients.wait(
        clients.instance_groups.add_instances(
            project=PROJECT,
            zone=ZONE,
            instance_group=stack.instance_group,
            instance_groups_add_instances_request_resource=compute_v1.InstanceGroupsAddInstancesRequest(
                instances=[
                    compute_v1.InstanceReference(instance=f"projects/{PROJECT}/zones/{ZONE}/instances/vm-2")
                ]
            ),
        )
    )
    assert _members(clients, stack.instance_group) == ["vm-1", "vm-2"]
    assert (
        clients.instance_groups.get(project=PROJECT, zone=ZONE, instance_group=stack.instance_group).size == 2
    )
    health = clients.backend_services.get_health(
        project=PROJECT,
        backend_service=stack.backend_service,
        resource_group_reference_resource=compute_v1.ResourceGroupReference(
            group=f"zones/{ZONE}/instanceGroups/{stack.instance_group}"
        ),
    )
    assert [(s.instance.rsplit("/", 1)[-1], s.port, s.health_state) for s in health.health_status] == [
        ("vm-1", 30080, "HEALTHY"),
        ("vm-2", 30080, "HEALTHY"),
    ]
    assert all(
        ipaddress.ip_address(s.ip_address) in ipaddress.ip_network("10.128.0.0/16")
        for s in health.health_status
    )
    clients.wait(
        clients.instance_groups.remove_instances(
            project=PROJECT,
            zone=ZONE,
            instance_group=stack.instance_group,
            instance_groups_remove_instances_request_resource=compute_v1.InstanceGroupsRemoveInstancesRequest(
                instances=[compute_v1.InstanceReference(instance=f"zones/{ZONE}/instances/vm-1")]
            ),
        )
    )
    clients.wait(clients.instances.delete(project=PROJECT, zone=ZONE, instance="vm-2"))
    assert _members(clients, stack.instance_group) == []


def test_adding_an_instance_of_another_zone_is_refused(clients: Clients, stack: Stack) -> None:
    other = "us-central1-b"
    clients.wait(
        clients.instances.insert(
            project=PROJECT, zone=other, instance_resource=compute_v1.Instance(name="vm-b")
        )
    )
    with pytest.raises(exceptions.BadRequest):
        clients.instance_groups.add_instances(
            project=PROJECT,
            zone=ZONE,
            instance_group=stack.instance_group,
            instance_groups_add_instances_request_resource=compute_v1.InstanceGroupsAddInstancesRequest(
                instances=[compute_v1.InstanceReference(instance=f"zones/{other}/instances/vm-b")]
            ),
        )


def test_health_of_a_group_that_is_not_a_backend_is_refused(clients: Clients, stack: Stack) -> None:
    with pytest.raises(exceptions.BadRequest):
        clients.backend_services.get_health(
            project=PROJECT,
            backend_service=stack.backend_service,
            resource_group_reference_resource=compute_v1.ResourceGroupReference(
                group=f"zones/{ZONE}/networkEndpointGroups/{stack.neg}"
            ),
        )


def test_network_endpoints_attach_list_detach(clients: Clients, stack: Stack) -> None:
    def endpoints() -> list[tuple[str, str, int]]:
        return [
            (item.network_endpoint.instance, item.network_endpoint.ip_address, item.network_endpoint.port)
            for item in clients.negs.list_network_endpoints(
                project=PROJECT,
                zone=ZONE,
                network_endpoint_group=stack.neg,
                network_endpoint_groups_list_endpoints_request_resource=compute_v1.NetworkEndpointGroupsListEndpointsRequest(),
            )
        ]

    vm_ip = (
        clients.instances.get(project=PROJECT, zone=ZONE, instance=stack.instance)
        .network_interfaces[0]
        .network_i_p
    )
    attach = compute_v1.NetworkEndpointGroupsAttachEndpointsRequest(
        network_endpoints=[
            compute_v1.NetworkEndpoint(instance=stack.instance, ip_address="10.4.0.7", port=9376),
            compute_v1.NetworkEndpoint(instance=stack.instance),
        ]
    )
    clients.wait(
        clients.negs.attach_network_endpoints(
            project=PROJECT,
            zone=ZONE,
            network_endpoint_group=stack.neg,
            network_endpoint_groups_attach_endpoints_request_resource=attach,
        )
    )
    assert endpoints() == [(stack.instance, "10.4.0.7", 9376), (stack.instance, vm_ip, 8080)]
    assert clients.negs.get(project=PROJECT, zone=ZONE, network_endpoint_group=stack.neg).size == 2
    detach = compute_v1.NetworkEndpointGroupsDetachEndpointsRequest(
        network_endpoints=[
            compute_v1.NetworkEndpoint(instance=stack.instance, ip_address="10.4.0.7", port=9376)
        ]
    )
    clients.wait(
        clients.negs.detach_network_endpoints(
            project=PROJECT,
            zone=ZONE,
            network_endpoint_group=stack.neg,
            network_endpoint_groups_detach_endpoints_request_resource=detach,
        )
    )
    assert endpoints() == [(stack.instance, vm_ip, 8080)]
    with pytest.raises(exceptions.BadRequest):
        clients.negs.attach_network_endpoints(
            project=PROJECT,
            zone=ZONE,
            network_endpoint_group=stack.neg,
            network_endpoint_groups_attach_endpoints_request_resource=compute_v1.NetworkEndpointGroupsAttachEndpointsRequest(
                network_endpoints=[compute_v1.NetworkEndpoint(instance="no-such-vm", port=1)]
            ),
        )


def test_health_set_through_the_admin_api_is_what_get_health_reports(
    clients: Clients, stack: Stack, emulator: Any
) -> None:
    group = compute_v1.ResourceGroupReference(group=f"zones/{ZONE}/instanceGroups/{stack.instance_group}")

    def states() -> list[str]:
        health = clients.backend_services.get_health(
            project=PROJECT, backend_service=stack.backend_service, resource_group_reference_resource=group
        )
        return [s.health_state for s in health.health_status]

    assert states() == ["HEALTHY"]
    (status,) = clients.backend_services.get_health(
        project=PROJECT, backend_service=stack.backend_service, resource_group_reference_resource=group
    ).health_status
    admin = f"{emulator.url}/_emulator/health-states"
    answer = requests.post(
        admin, json={"ipAddress": status.ip_address, "healthState": "UNHEALTHY"}, timeout=5
    )
    assert answer.json() == {
        "healthStates": [{"ipAddress": status.ip_address, "port": 0, "healthState": "UNHEALTHY"}]
    }
    assert states() == ["UNHEALTHY"]
    wrong = requests.post(admin, json={"ipAddress": status.ip_address, "healthState": "SICK"}, timeout=5)
    assert wrong.status_code == 400 and "healthState must be one of" in wrong.json()["error"]
    requests.delete(admin, timeout=5)
    assert states() == ["HEALTHY"]


def test_aggregated_list_groups_every_zone_with_a_warning_where_none(clients: Clients, stack: Stack) -> None:
    """`networkEndpointGroups.aggregatedList` through the real client: the NEGs of every zone keyed by scope,
    filtered as a list is, and the API's NO_RESULTS_ON_PAGE warning for a zone without any."""
    clients.wait(
        clients.negs.insert(
            project=PROJECT,
            zone="us-central1-b",
            network_endpoint_group_resource=compute_v1.NetworkEndpointGroup(name="neg-b", default_port=80),
        )
    )
    pager = clients.negs.aggregated_list(project=PROJECT)
    found = {scope: sorted(n.name for n in scoped.network_endpoint_groups) for scope, scoped in pager}
    assert found[f"zones/{ZONE}"] == [stack.neg] and found["zones/us-central1-b"] == ["neg-b"]
    (page,) = list(clients.negs.aggregated_list(project=PROJECT).pages)
    assert page.kind == "compute#networkEndpointGroupAggregatedList"
    empty = page.items["zones/us-central1-c"]
    assert empty.warning.code == "NO_RESULTS_ON_PAGE" and not empty.network_endpoint_groups
    filtered = clients.negs.aggregated_list(
        request=compute_v1.AggregatedListNetworkEndpointGroupsRequest(project=PROJECT, filter="name = neg-b")
    )
    assert {
        scope: [n.name for n in s.network_endpoint_groups]
        for scope, s in filtered
        if s.network_endpoint_groups
    } == {"zones/us-central1-b": ["neg-b"]}
