"""manifests/iam/gcp-role.yaml grants every call lbctl makes over a lifecycle on the Compute emulator (each
recorded call's IAM permission, as Compute's reference names it), and nothing else beyond the permissions
that are not calls (`use`: referencing a resource from another) and those of calls this lifecycle does not
make, listed here with the reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_subnetworks, reserve_regional_address
from emulators.gce.routes import parse_route
from emulators.gce.server import permission_of
from emulators.testing.gcp_stacks import (
    INTERNAL,
    PROJECT,
    example_objects,
    find,
    gke_service,
    l4_input,
    regional_objects,
    stack_from,
    with_endpoints,
)
from lbctl.model import annotations as a
from lbctl.model.builder import empty_spec
from lbctl.model.services import empty_service_spec
from lbctl.provider import ServiceInput, StackInput
from providers.gcp.provider import GcpProvider

ROLE = Path(__file__).resolve().parents[2] / "manifests" / "iam" / "gcp-role.yaml"

# calls whose permission is not compute.<collection>.<method> (Compute IAM reference)
PERMISSION_OF_CALL = {
    "instanceGroups.addInstances": "compute.instanceGroups.update",
    "instanceGroups.removeInstances": "compute.instanceGroups.update",
    "instanceGroups.setNamedPorts": "compute.instanceGroups.update",
    "instanceGroups.listInstances": "compute.instanceGroups.list",
    "networkEndpointGroups.listNetworkEndpoints": "compute.networkEndpointGroups.get",
    "backendServices.getHealth": "compute.backendServices.get",
    "regionBackendServices.getHealth": "compute.regionBackendServices.get",
}
NOT_CALLS = {
    # referencing one resource from another (a backend service names a health check, …)
    "compute.globalAddresses.use",
    "compute.healthChecks.useReadOnly",
    "compute.backendServices.use",
    "compute.urlMaps.use",
    "compute.targetHttpProxies.use",
    "compute.targetHttpsProxies.use",
    "compute.sslPolicies.use",
    "compute.securityPolicies.use",
    "compute.instanceGroups.use",
    "compute.instances.use",
    "compute.networkEndpointGroups.use",
    "compute.networks.updatePolicy",  # creating a firewall rule on the network
    # the regional load balancer's references: its address, subnet, health checks, services, maps, proxies
    "compute.addresses.use",
    "compute.subnetworks.use",
    "compute.regionHealthChecks.useReadOnly",
    "compute.regionBackendServices.use",
    "compute.regionUrlMaps.use",
    "compute.regionTargetHttpProxies.use",
    "compute.regionTargetHttpsProxies.use",
    "compute.forwardingRules.use",
}
NOT_IN_THIS_LIFECYCLE = {
    # Cloud Armor, Cloud CDN signing keys: tests/gcp/test_annotations.py makes these calls
    "compute.backendServices.setSecurityPolicy",
    "compute.backendServices.addSignedUrlKey",
    "compute.backendServices.deleteSignedUrlKey",
    # an SSL policy named by a FrontendConfig, and changing it
    "compute.sslPolicies.list",
    "compute.targetHttpsProxies.setSslPolicy",
    # changing what a target proxy or forwarding rule points at, labels, updates of a changed resource
    "compute.targetHttpProxies.setUrlMap",
    "compute.targetHttpsProxies.setUrlMap",
    "compute.globalForwardingRules.setTarget",
    "compute.globalForwardingRules.setLabels",
    "compute.urlMaps.update",
    "compute.globalAddresses.list",  # lbctl doctor
    "compute.instances.get",  # lbctl doctor
    "compute.globalForwardingRules.get",  # the address of a rule made without a static IP
    "compute.targetHttpsProxies.setSslCertificates",  # a rotated certificate (tests/gcp/test_lifecycle.py)
    # a resource read again for its fingerprint after a 412, `lbctl describe`, a pre-shared certificate or
    # SSL policy looked up by name
    "compute.firewalls.get",
    "compute.healthChecks.get",
    "compute.instanceGroups.get",
    "compute.sslCertificates.get",
    "compute.sslPolicies.get",
    "compute.targetHttpProxies.get",
    "compute.targetHttpsProxies.get",
    "compute.urlMaps.get",
    "compute.instances.list",  # lbctl doctor
    # the same for a regional load balancer
    "compute.regionTargetHttpProxies.setUrlMap",
    "compute.regionTargetHttpsProxies.setUrlMap",
    "compute.regionTargetHttpsProxies.setSslCertificates",
    "compute.forwardingRules.setTarget",
    "compute.forwardingRules.setLabels",
    "compute.forwardingRules.get",
    "compute.regionUrlMaps.update",
    "compute.regionHealthChecks.update",
    "compute.regionBackendServices.update",
    "compute.regionHealthChecks.get",
    "compute.regionUrlMaps.get",
    "compute.regionTargetHttpProxies.get",
    "compute.regionTargetHttpsProxies.get",
    "compute.regionSslCertificates.get",
}


def granted() -> set[str]:
    return set(yaml.safe_load(ROLE.read_text())["includedPermissions"])


def _lifecycle(emulator: ComputeEmulator, provider: GcpProvider) -> set[str]:
    """Create (TLS, static IP, instance groups), switch to NEGs and change endpoints, delete; the same
    Ingress as gce-internal (regional), deleted; a Service's internal passthrough load balancer, deleted; the permissions of the calls served, as Compute's IAM
    reference names them."""
    host = provider.options["network_project"]  # the Shared VPC's host project holds the subnets
    create_subnetworks(emulator.url, host, "us-central1")
    subnet = f"projects/{host}/regions/us-central1/subnetworks/default"
    reserve_regional_address(
        emulator.url, PROJECT, "us-central1", "shop-vip", internal=True, subnetwork=subnet
    )
    emulator.clear_requests()
    provider.converge(stack_from(example_objects()))
    negs = example_objects()
    with_endpoints(negs)
    find(negs, "Service", "users")["metadata"].setdefault("annotations", {})[a.NEG] = '{"ingress": true}'
    provider.converge(stack_from(negs))
    fewer = example_objects()
    with_endpoints(fewer)
    find(fewer, "Service", "users")["metadata"].setdefault("annotations", {})[a.NEG] = '{"ingress": true}'
    (endpoints,) = [o for o in fewer if o["kind"] == "EndpointSlice"]
    endpoints["endpoints"][0]["addresses"] = ["10.8.0.6"]  # a pod replaced: one attach, one detach
    provider.converge(stack_from(fewer))
    provider.invalidate_cache()
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    provider.converge(stack_from(regional_objects()))
    provider.converge(StackInput(empty_spec("gcp", "default/shop")))
    # an internal passthrough load balancer of a Service on the reserved address, deleted
    vip = next(v["address"] for k, v in emulator.inventory().items() if k.endswith("/addresses/shop-vip"))
    service = l4_input(gke_service(INTERNAL, loadBalancerIP=vip))
    provider.converge_service(service)
    provider.converge_service(ServiceInput(empty_service_spec(service.spec.stack)))
    provider.list_stacks()
    out = set()
    for record in emulator.requests:
        route = parse_route(record.method, record.path)
        out.add(PERMISSION_OF_CALL.get(record.api_method) or permission_of(route))
    return out


def test_the_role_grants_exactly_the_calls_made(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    needed = _lifecycle(emulator, make_provider(network_project="host-network-project"))
    role = granted()
    assert needed - role == set(), "calls the role does not grant"
    assert sorted(role - needed - NOT_CALLS - NOT_IN_THIS_LIFECYCLE) == [], "grants no call needs"
    assert not (NOT_IN_THIS_LIFECYCLE & needed), "made after all: drop it from NOT_IN_THIS_LIFECYCLE"
