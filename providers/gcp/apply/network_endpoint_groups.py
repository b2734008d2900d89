"""Zonal NEGs of pod endpoints (container-native load balancing): created, only the difference of endpoints
attached or detached, deleted."""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from lbctl.provider import ProviderError, Step

from .. import naming as n
from ..clients import Compute, scope_args, target, to_dict, unknown


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        if compute.insert(step):
            return True
        _must_be_ours(compute, step)
        return False
    if method in ("attachNetworkEndpoints", "detachNetworkEndpoints"):
        endpoints = [
            compute_v1.NetworkEndpoint(instance=e.get("instance"), ip_address=e["ipAddress"], port=e["port"])
            for e in step.body["networkEndpoints"]
        ]
        kwargs: dict[str, Any]
        if method == "attachNetworkEndpoints":
            kwargs = {
                "network_endpoint_groups_attach_endpoints_request_resource": compute_v1.NetworkEndpointGroupsAttachEndpointsRequest(
                    network_endpoints=endpoints
                )
            }
        else:
            kwargs = {
                "network_endpoint_groups_detach_endpoints_request_resource": compute_v1.NetworkEndpointGroupsDetachEndpointsRequest(
                    network_endpoints=endpoints
                )
            }
        compute.mutate(
            "networkEndpointGroups", method, step.where, network_endpoint_group=step.name, **kwargs
        )
        return True
    if method == "delete":
        return compute.delete(step)
    raise unknown(step)


def _must_be_ours(compute: Compute, step: Step) -> None:
    """A NEG of the name exists already: an earlier attempt of ours (its record), or someone else's — as
    ingress-gce refuses a custom-named NEG it did not make, never adopted, attached to or deleted."""
    found = to_dict(
        compute.call(
            "networkEndpointGroups", "get", network_endpoint_group=step.name, **scope_args(step.where)
        )
    )
    if n.owner(found) != n.owner(dict(step.body)):
        raise ProviderError(
            f"NEG {step.name} in {step.where} already exists and is not this Service's: name another NEG in "
            "exposed_ports, or delete that one",
            user_fixable=True,
            field=step.field,
        )
