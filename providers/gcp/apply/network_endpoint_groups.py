"""Zonal NEGs of pod endpoints (container-native load balancing): created, only the difference of endpoints
attached or detached, deleted."""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import Compute, target, unknown


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return compute.insert(step)
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
