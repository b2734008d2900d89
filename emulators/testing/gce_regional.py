"""Regional clients on the Compute emulator and a complete regional internal Application Load Balancer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from emulators.gce.project import wait_operation

from .gce import CERT_PEM, KEY_PEM, PROJECT, ZONE

REGION = "us-central1"
NETWORK = "global/networks/default"


@dataclass
class RegionalClients:
    """The regional collections' clients (and the zonal ones regional backends use), on one endpoint."""

    health_checks: compute_v1.RegionHealthChecksClient
    backend_services: compute_v1.RegionBackendServicesClient
    url_maps: compute_v1.RegionUrlMapsClient
    http_proxies: compute_v1.RegionTargetHttpProxiesClient
    https_proxies: compute_v1.RegionTargetHttpsProxiesClient
    ssl_certificates: compute_v1.RegionSslCertificatesClient
    forwarding_rules: compute_v1.ForwardingRulesClient
    addresses: compute_v1.AddressesClient
    subnetworks: compute_v1.SubnetworksClient
    regions: compute_v1.RegionsClient
    negs: compute_v1.NetworkEndpointGroupsClient
    global_health_checks: compute_v1.HealthChecksClient
    global_backend_services: compute_v1.BackendServicesClient
    global_url_maps: compute_v1.UrlMapsClient
    region_ops: compute_v1.RegionOperationsClient
    url: str

    def wait(self, operation: Any, timeout: float = 10.0) -> None:
        """Wait for a global, regional or zonal operation on this emulator; raise the error it ended with."""
        wait_operation(self.url, PROJECT, operation, timeout)


def make_regional_clients(url: str) -> RegionalClients:
    """Clients for every field of `RegionalClients`, on `url`."""
    options: dict[str, Any] = {"credentials": AnonymousCredentials(), "client_options": {"api_endpoint": url}}
    return RegionalClients(
        health_checks=compute_v1.RegionHealthChecksClient(**options),
        backend_services=compute_v1.RegionBackendServicesClient(**options),
        url_maps=compute_v1.RegionUrlMapsClient(**options),
        http_proxies=compute_v1.RegionTargetHttpProxiesClient(**options),
        https_proxies=compute_v1.RegionTargetHttpsProxiesClient(**options),
        ssl_certificates=compute_v1.RegionSslCertificatesClient(**options),
        forwarding_rules=compute_v1.ForwardingRulesClient(**options),
        addresses=compute_v1.AddressesClient(**options),
        subnetworks=compute_v1.SubnetworksClient(**options),
        regions=compute_v1.RegionsClient(**options),
        negs=compute_v1.NetworkEndpointGroupsClient(**options),
        global_health_checks=compute_v1.HealthChecksClient(**options),
        global_backend_services=compute_v1.BackendServicesClient(**options),
        global_url_maps=compute_v1.UrlMapsClient(**options),
        region_ops=compute_v1.RegionOperationsClient(**options),
        url=url,
    )


@dataclass
class RegionalStack:
    """Names of the regional internal Application Load Balancer `build_regional_stack` makes."""

    subnet: str = "default"
    proxy_subnet: str = "proxy-only"
    neg: str = "neg-r"
    health_check: str = "hc-r"
    backend_service: str = "bs-r"
    url_map: str = "um-r"
    http_proxy: str = "http-r"
    https_proxy: str = "https-r"
    certificate: str = "cert-r"
    address: str = "vip-r"
    http_rule: str = "fr-http"
    https_rule: str = "fr-https"


def region_path(collection: str, name: str) -> str:
    """`regions/us-central1/<collection>/<name>`."""
    return f"regions/{REGION}/{collection}/{name}"


def create_subnets(c: RegionalClients, *, proxy_only: bool = True, s: RegionalStack | None = None) -> None:
    """The default network's subnetwork in the region and (optionally) its ACTIVE proxy-only subnetwork."""
    s = s or RegionalStack()
    c.wait(
        c.subnetworks.insert(
            project=PROJECT,
            region=REGION,
            subnetwork_resource=compute_v1.Subnetwork(
                name=s.subnet, network=NETWORK, ip_cidr_range="10.128.0.0/20"
            ),
        )
    )
    if proxy_only:
        c.wait(
            c.subnetworks.insert(
                project=PROJECT,
                region=REGION,
                subnetwork_resource=compute_v1.Subnetwork(
                    name=s.proxy_subnet,
                    network=NETWORK,
                    ip_cidr_range="10.129.0.0/23",
                    purpose="REGIONAL_MANAGED_PROXY",
                    role="ACTIVE",
                ),
            )
        )


def build_regional_stack(c: RegionalClients) -> RegionalStack:
    """Subnets → NEG → region health check → INTERNAL_MANAGED backend service → region URL map → region
    HTTP and HTTPS proxies → a SHARED_LOADBALANCER_VIP address → two internal managed forwarding rules."""
    s = RegionalStack()
    create_subnets(c, s=s)
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
            region=REGION,
            health_check_resource=compute_v1.HealthCheck(
                name=s.health_check,
                http_health_check=compute_v1.HTTPHealthCheck(port_specification="USE_SERVING_PORT"),
            ),
        )
    )
    c.wait(
        c.backend_services.insert(
            project=PROJECT,
            region=REGION,
            backend_service_resource=compute_v1.BackendService(
                name=s.backend_service,
                load_balancing_scheme="INTERNAL_MANAGED",
                protocol="HTTP",
                health_checks=[region_path("healthChecks", s.health_check)],
                backends=[
                    compute_v1.Backend(
                        group=f"zones/{ZONE}/networkEndpointGroups/{s.neg}",
                        balancing_mode="RATE",
                        max_rate_per_endpoint=1.0,
                    )
                ],
            ),
        )
    )
    c.wait(
        c.url_maps.insert(
            project=PROJECT,
            region=REGION,
            url_map_resource=compute_v1.UrlMap(
                name=s.url_map, default_service=region_path("backendServices", s.backend_service)
            ),
        )
    )
    c.wait(
        c.http_proxies.insert(
            project=PROJECT,
            region=REGION,
            target_http_proxy_resource=compute_v1.TargetHttpProxy(
                name=s.http_proxy, url_map=region_path("urlMaps", s.url_map)
            ),
        )
    )
    c.wait(
        c.ssl_certificates.insert(
            project=PROJECT,
            region=REGION,
            ssl_certificate_resource=compute_v1.SslCertificate(
                name=s.certificate, certificate=CERT_PEM, private_key=KEY_PEM
            ),
        )
    )
    c.wait(
        c.https_proxies.insert(
            project=PROJECT,
            region=REGION,
            target_https_proxy_resource=compute_v1.TargetHttpsProxy(
                name=s.https_proxy,
                url_map=region_path("urlMaps", s.url_map),
                ssl_certificates=[region_path("sslCertificates", s.certificate)],
            ),
        )
    )
    c.wait(
        c.addresses.insert(
            project=PROJECT,
            region=REGION,
            address_resource=compute_v1.Address(
                name=s.address,
                address_type="INTERNAL",
                purpose="SHARED_LOADBALANCER_VIP",
                subnetwork=region_path("subnetworks", s.subnet),
            ),
        )
    )
    for name, proxy, port in (
        (s.http_rule, region_path("targetHttpProxies", s.http_proxy), "80"),
        (s.https_rule, region_path("targetHttpsProxies", s.https_proxy), "443"),
    ):
        c.wait(
            c.forwarding_rules.insert(
                project=PROJECT,
                region=REGION,
                forwarding_rule_resource=internal_rule(
                    name, proxy, port, address=region_path("addresses", s.address)
                ),
            )
        )
    return s


def internal_rule(name: str, target: str, port: str, address: str | None = None) -> compute_v1.ForwardingRule:
    """An INTERNAL_MANAGED forwarding rule on the default network's subnetwork."""
    rule = compute_v1.ForwardingRule(
        name=name,
        target=target,
        port_range=port,
        load_balancing_scheme="INTERNAL_MANAGED",
        network=NETWORK,
        subnetwork=region_path("subnetworks", "default"),
    )
    if address:
        rule.I_p_address = address
    return rule
