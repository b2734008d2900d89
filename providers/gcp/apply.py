"""Run planned steps against Compute, waiting on each operation through the same endpoint.

Tolerant of a previous crash or a lost response: an insert that finds the resource (409), a delete
that finds nothing (404), an add of a member already there, a remove of one already gone all count
as done. Fingerprinted updates re-read and retry once on 412.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions
from google.cloud import compute_v1

from .clients import COLLECTIONS, Compute, error_reasons, from_dict, to_dict
from .diff import Step


def instance_url(compute: Compute, zone: str, instance: str) -> str:
    return f"projects/{compute.project}/zones/{zone}/instances/{instance}"


def run(compute: Compute, step: Step) -> bool:
    """Apply one step. False when the cloud was not as planned (an insert found the resource, a delete
    found it gone or in use, a member change was already applied): a cached view is then in doubt."""
    spec = COLLECTIONS[step.collection]
    named = {spec.name_arg: step.name}
    if step.op == "insert":
        assert step.wanted is not None
        body = dict(step.wanted.body)
        if step.collection == "backendServices" and step.wanted.security_policy:
            body["securityPolicy"] = step.wanted.security_policy
        # 409: created by an earlier attempt whose response was lost; the next converge compares it
        try:
            compute.mutate(step.collection, "insert", step.zone,
                           **{spec.resource_arg: from_dict(spec.message, body)})  # fmt: skip
        except exceptions.Conflict:
            return False
    elif step.op == "delete":
        try:
            compute.mutate(step.collection, "delete", step.zone, **named)
        except exceptions.NotFound:
            return False
        except exceptions.BadRequest as exc:
            if step.collection == "instanceGroups" and error_reasons(exc) & IN_USE:
                return False  # another stack started using the shared group meanwhile
            raise
    elif step.op == "update":
        _with_fingerprint(compute, step, lambda fp: _update(compute, step, fp))
    elif step.op == "set":
        _set(compute, step)
    elif step.op == "policy":
        request = compute_v1.SecurityPolicyReference(security_policy=step.value or None)
        compute.mutate("backendServices", "setSecurityPolicy", backend_service=step.name,
                       security_policy_reference_resource=request)  # fmt: skip
    elif step.op in ("add", "remove"):
        try:
            _members(compute, step, step.items)
        except exceptions.BadRequest as exc:
            if not error_reasons(exc) & MEMBER_ERRORS:
                raise
            for item in step.items if len(step.items) > 1 else []:  # one by one: others may still be due
                try:
                    _members(compute, step, [item])
                except exceptions.BadRequest as inner:
                    if not error_reasons(inner) & MEMBER_ERRORS:
                        raise
            return False
    elif step.op in ("attach", "detach"):
        endpoints = [compute_v1.NetworkEndpoint(instance=e.get("instance"), ip_address=e["ipAddress"], port=e["port"])
                     for e in step.items]  # fmt: skip
        if step.op == "attach":
            kwargs = {"network_endpoint_groups_attach_endpoints_request_resource":
                      compute_v1.NetworkEndpointGroupsAttachEndpointsRequest(network_endpoints=endpoints)}  # fmt: skip
        else:
            kwargs = {"network_endpoint_groups_detach_endpoints_request_resource":
                      compute_v1.NetworkEndpointGroupsDetachEndpointsRequest(network_endpoints=endpoints)}  # fmt: skip
        method = "attachNetworkEndpoints" if step.op == "attach" else "detachNetworkEndpoints"
        compute.mutate("networkEndpointGroups", method, step.zone, **named, **kwargs)
    else:  # pragma: no cover - plan_steps only makes the ops above
        raise ValueError(f"unknown step {step.op}")
    return True


MEMBER_ERRORS = {"memberAlreadyExists", "memberNotFound", "MEMBER_ALREADY_EXISTS", "MEMBER_NOT_FOUND"}
IN_USE = {"resourceInUseByAnotherResource", "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"}


def _members(compute: Compute, step: Step, items: list[str]) -> None:
    refs = [compute_v1.InstanceReference(instance=instance_url(compute, step.zone or "", i)) for i in items]
    if step.op == "add":
        kwargs: dict[str, Any] = {"instance_groups_add_instances_request_resource":
                                  compute_v1.InstanceGroupsAddInstancesRequest(instances=refs)}  # fmt: skip
    else:
        kwargs = {"instance_groups_remove_instances_request_resource":
                  compute_v1.InstanceGroupsRemoveInstancesRequest(instances=refs)}  # fmt: skip
    compute.mutate("instanceGroups", f"{step.op}Instances", step.zone, instance_group=step.name, **kwargs)


def _update(compute: Compute, step: Step, fingerprint: str | None) -> None:
    assert step.wanted is not None
    spec = COLLECTIONS[step.collection]
    body = dict(step.wanted.body)
    if fingerprint:
        body["fingerprint"] = fingerprint
    if step.collection == "backendServices" and step.wanted.security_policy:
        body["securityPolicy"] = step.wanted.security_policy
    compute.mutate(step.collection, "update", step.zone,
                   **{spec.name_arg: step.name, spec.resource_arg: from_dict(spec.message, body)})  # fmt: skip


def _set(compute: Compute, step: Step) -> None:
    spec = COLLECTIONS[step.collection]
    named = {spec.name_arg: step.name}
    value = step.value
    if step.method == "setUrlMap":
        compute.mutate(step.collection, "setUrlMap", **named,
                       url_map_reference_resource=compute_v1.UrlMapReference(url_map=value))  # fmt: skip
    elif step.method == "setSslCertificates":
        request = compute_v1.TargetHttpsProxiesSetSslCertificatesRequest(ssl_certificates=list(value))
        compute.mutate(step.collection, "setSslCertificates", **named,
                       target_https_proxies_set_ssl_certificates_request_resource=request)  # fmt: skip
    elif step.method == "setSslPolicy":
        compute.mutate(step.collection, "setSslPolicy", **named,
                       ssl_policy_reference_resource=compute_v1.SslPolicyReference(ssl_policy=value or None))  # fmt: skip
    elif step.method == "setTarget":
        compute.mutate(step.collection, "setTarget", **named,
                       target_reference_resource=compute_v1.TargetReference(target=value))  # fmt: skip
    elif step.method == "setLabels":

        def set_labels(fp: str | None) -> None:
            request = compute_v1.GlobalSetLabelsRequest(labels=dict(value or {}), label_fingerprint=fp)
            compute.mutate(
                step.collection, "setLabels", resource=step.name, global_set_labels_request_resource=request
            )

        _with_fingerprint(compute, step, set_labels, "labelFingerprint")
    elif step.method == "setNamedPorts":

        def set_ports(fp: str | None) -> None:
            request = compute_v1.InstanceGroupsSetNamedPortsRequest(
                named_ports=[compute_v1.NamedPort(name=p["name"], port=p["port"]) for p in value],
                fingerprint=fp,
            )
            compute.mutate(step.collection, "setNamedPorts", step.zone, **named,
                           instance_groups_set_named_ports_request_resource=request)  # fmt: skip

        _with_fingerprint(compute, step, set_ports)
    else:  # pragma: no cover
        raise ValueError(f"unknown setter {step.method}")


def _with_fingerprint(compute: Compute, step: Step, action: Any, field_name: str = "fingerprint") -> None:
    """Call `action(fingerprint)` with the fingerprint read at discovery; on 412 re-read and retry once."""
    fingerprint = (step.existing.body.get(field_name) if step.existing else None) or None
    try:
        action(fingerprint)
    except exceptions.PreconditionFailed:
        action(_read(compute, step).get(field_name))


def _read(compute: Compute, step: Step) -> dict[str, Any]:
    spec = COLLECTIONS[step.collection]
    kwargs: dict[str, Any] = {spec.name_arg: step.name}
    if step.zone:
        kwargs["zone"] = step.zone
    return to_dict(compute.call(step.collection, "get", **kwargs))
