"""The cluster's unmanaged instance groups (one per zone, shared by every stack): created, their named ports
set (fingerprinted), only the difference of members added or removed, deleted once no stack uses them.

A member change the API says was already applied counts as done (one by one, so the others still happen);
a delete refused because another stack started using the group meanwhile counts as done too."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions
from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import IN_USE, Compute, error_reasons, target, unknown

MEMBER_ERRORS = {"memberAlreadyExists", "memberNotFound", "MEMBER_ALREADY_EXISTS", "MEMBER_NOT_FOUND"}


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return compute.insert(step)
    if method == "setNamedPorts":

        def set_ports(fingerprint: str | None) -> None:
            request = compute_v1.InstanceGroupsSetNamedPortsRequest(
                named_ports=[
                    compute_v1.NamedPort(name=p["name"], port=p["port"]) for p in step.body["namedPorts"]
                ],
                fingerprint=fingerprint,
            )
            compute.mutate(
                "instanceGroups",
                "setNamedPorts",
                step.where,
                instance_group=step.name,
                instance_groups_set_named_ports_request_resource=request,
            )

        compute.with_fingerprint(step, set_ports)
        return True
    if method in ("addInstances", "removeInstances"):
        return _members(compute, step, method)
    if method == "delete":
        try:
            return compute.delete(step)
        except exceptions.BadRequest as exc:
            if error_reasons(exc) & IN_USE:
                return False  # another stack started using the shared group meanwhile
            raise
    raise unknown(step)


def _members(compute: Compute, step: Step, method: str) -> bool:
    instances = [str(i["instance"]) for i in step.body["instances"]]
    try:
        _call(compute, step, method, instances)
    except exceptions.BadRequest as exc:
        if not error_reasons(exc) & MEMBER_ERRORS:
            raise
        for instance in instances if len(instances) > 1 else []:  # one by one: others may still be due
            try:
                _call(compute, step, method, [instance])
            except exceptions.BadRequest as inner:
                if not error_reasons(inner) & MEMBER_ERRORS:
                    raise
        return False
    return True


def _call(compute: Compute, step: Step, method: str, instances: list[str]) -> None:
    refs = [compute_v1.InstanceReference(instance=i) for i in instances]
    if method == "addInstances":
        kwargs: dict[str, Any] = {
            "instance_groups_add_instances_request_resource": compute_v1.InstanceGroupsAddInstancesRequest(
                instances=refs
            )
        }
    else:
        kwargs = {
            "instance_groups_remove_instances_request_resource": compute_v1.InstanceGroupsRemoveInstancesRequest(
                instances=refs
            )
        }
    compute.mutate("instanceGroups", method, step.where, instance_group=step.name, **kwargs)
