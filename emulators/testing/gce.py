"""Shared helpers: clients bound to the emulator and a complete load balancer builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from providers.gcp.operations import wait_for_operation

PROJECT = "proj"
ZONE = "us-central1-a"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@dataclass
class Clients:
    """Every client the tests use, all bound to the emulator."""

    health_checks: compute_v1.HealthChecksClient
    backend_services: compute_v1.BackendServicesClient
    url_maps: compute_v1.UrlMapsClient
    http_proxies: compute_v1.TargetHttpProxiesClient
    https_proxies: compute_v1.TargetHttpsProxiesClient
    ssl_certificates: compute_v1.SslCertificatesClient
    ssl_policies: compute_v1.SslPoliciesClient
    forwarding_rules: compute_v1.GlobalForwardingRulesClient
    addresses: compute_v1.GlobalAddressesClient
    firewalls: compute_v1.FirewallsClient
    instance_groups: compute_v1.InstanceGroupsClient
    negs: compute_v1.NetworkEndpointGroupsClient
    instances: compute_v1.InstancesClient
    zones: compute_v1.ZonesClient
    global_ops: compute_v1.GlobalOperationsClient
    zone_ops: compute_v1.ZoneOperationsClient

    def wait(self, operation: Any, timeout: float = 10.0) -> compute_v1.Operation:
        """Wait for an operation through this emulator's operations clients."""
        return wait_for_operation(
            operation,
            project=PROJECT,
            global_ops_client=self.global_ops,
            zone_ops_client=self.zone_ops,
            timeout=timeout,
        )


def make_clients(url: str) -> Clients:
    """Clients for every field of `Clients`, on `url`."""
    options = {"credentials": AnonymousCredentials(), "client_options": {"api_endpoint": url}}
    return Clients(
        health_checks=compute_v1.HealthChecksClient(**options),
        backend_services=compute_v1.BackendServicesClient(**options),
        url_maps=compute_v1.UrlMapsClient(**options),
        http_proxies=compute_v1.TargetHttpProxiesClient(**options),
        https_proxies=compute_v1.TargetHttpsProxiesClient(**options),
        ssl_certificates=compute_v1.SslCertificatesClient(**options),
        ssl_policies=compute_v1.SslPoliciesClient(**options),
        forwarding_rules=compute_v1.GlobalForwardingRulesClient(**options),
        addresses=compute_v1.GlobalAddressesClient(**options),
        firewalls=compute_v1.FirewallsClient(**options),
        instance_groups=compute_v1.InstanceGroupsClient(**options),
        negs=compute_v1.NetworkEndpointGroupsClient(**options),
        instances=compute_v1.InstancesClient(**options),
        zones=compute_v1.ZonesClient(**options),
        global_ops=compute_v1.GlobalOperationsClient(**options),
        zone_ops=compute_v1.ZoneOperationsClient(**options),
    )


@dataclass
class Stack:
    """Names of a complete load balancer built by the `stack` fixture."""

    instance: str = "vm-1"
    instance_group: str = "ig-1"
    neg: str = "neg-1"
    health_check: str = "hc-1"
    backend_service: str = "bs-1"
    url_map: str = "um-1"
    http_proxy: str = "http-1"
    certificate: str = "cert-1"
    ssl_policy: str = "pol-1"
    https_proxy: str = "https-1"
    address: str = "addr-1"
    forwarding_rule: str = "fr-1"


def build_stack(c: Clients) -> Stack:
    """Create instance → group/NEG → health check → backend service → URL map → proxies → rule."""
    s = Stack()
    c.wait(
        c.instances.insert(project=PROJECT, zone=ZONE, instance_resource=compute_v1.Instance(name=s.instance))
    )
    c.wait(
        c.instance_groups.insert(
            project=PROJECT,
            zone=ZONE,
            instance_group_resource=compute_v1.InstanceGroup(
                name=s.instance_group, named_ports=[compute_v1.NamedPort(name="http", port=30080)]
            ),
        )
    )
    c.wait(
        c.instance_groups.add_instances(
            project=PROJECT,
            zone=ZONE,
            instance_group=s.instance_group,
            instance_groups_add_instances_request_resource=compute_v1.InstanceGroupsAddInstancesRequest(
                instances=[compute_v1.InstanceReference(instance=f"zones/{ZONE}/instances/{s.instance}")]
            ),
        )
    )
    c.wait(
        c.negs.insert(
            project=PROJECT,
            zone=ZONE,
            network_endpoint_group_resource=compute_v1.NetworkEndpointGroup(name=s.neg, default_port=8080),
        )
    )
    c.wait(
        c.health_checks.insert(
            project=PROJECT,
            health_check_resource=compute_v1.HealthCheck(
                name=s.health_check,
                http_health_check=compute_v1.HTTPHealthCheck(port=30080, request_path="/"),
            ),
        )
    )
    c.wait(
        c.backend_services.insert(
            project=PROJECT,
            backend_service_resource=compute_v1.BackendService(
                name=s.backend_service,
                health_checks=[f"global/healthChecks/{s.health_check}"],
                backends=[
                    compute_v1.Backend(
                        group=f"projects/{PROJECT}/zones/{ZONE}/instanceGroups/{s.instance_group}"
                    )
                ],
            ),
        )
    )
    c.wait(
        c.url_maps.insert(
            project=PROJECT,
            url_map_resource=compute_v1.UrlMap(
                name=s.url_map, default_service=f"global/backendServices/{s.backend_service}"
            ),
        )
    )
    c.wait(
        c.http_proxies.insert(
            project=PROJECT,
            target_http_proxy_resource=compute_v1.TargetHttpProxy(
                name=s.http_proxy, url_map=f"global/urlMaps/{s.url_map}"
            ),
        )
    )
    c.wait(
        c.ssl_certificates.insert(
            project=PROJECT,
            ssl_certificate_resource=compute_v1.SslCertificate(
                name=s.certificate, certificate=CERT_PEM, private_key=KEY_PEM
            ),
        )
    )
    c.wait(
        c.ssl_policies.insert(
            project=PROJECT,
            ssl_policy_resource=compute_v1.SslPolicy(name=s.ssl_policy, min_tls_version="TLS_1_2"),
        )
    )
    c.wait(
        c.https_proxies.insert(
            project=PROJECT,
            target_https_proxy_resource=compute_v1.TargetHttpsProxy(
                name=s.https_proxy,
                url_map=f"global/urlMaps/{s.url_map}",
                ssl_certificates=[f"global/sslCertificates/{s.certificate}"],
                ssl_policy=f"global/sslPolicies/{s.ssl_policy}",
            ),
        )
    )
    c.wait(c.addresses.insert(project=PROJECT, address_resource=compute_v1.Address(name=s.address)))
    c.wait(
        c.forwarding_rules.insert(
            project=PROJECT,
            forwarding_rule_resource=compute_v1.ForwardingRule(
                name=s.forwarding_rule,
                target=f"global/targetHttpProxies/{s.http_proxy}",
                I_p_address=s.address,
                port_range="80",
                labels={"owner": "lbctl"},
            ),
        )
    )
    return s
