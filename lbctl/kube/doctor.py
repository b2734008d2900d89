"""`lbctl doctor`: checks a live set-up — the cluster side here, the cloud side in each provider."""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lbctl.kube.access import LEASE_ACCESS, required_access
from lbctl.model.classes import ClassPolicy
from lbctl.provider import Check


def _review(
    api: client.AuthorizationV1Api, group: str, resource: str, verb: str, namespace: str | None
) -> bool:
    plural, _, subresource = resource.partition("/")
    attributes: dict[str, Any] = {"group": group, "resource": plural, "verb": verb}
    if subresource:
        attributes["subresource"] = subresource
    if namespace:
        attributes["namespace"] = namespace
    # The client serializes a plain dict body as it is; its hint names only the model class.
    review = api.create_self_subject_access_review({"spec": {"resourceAttributes": attributes}})  # type: ignore[arg-type]
    return review.status is not None and bool(review.status.allowed)


def cluster_checks(
    api_client: client.ApiClient, provider: str, class_names: tuple[str, ...], lease_namespace: str
) -> list[Check]:
    """API reachable, our IngressClass present, every needed RBAC verb granted, Lease namespace present."""
    checks: list[Check] = []
    try:
        version = client.VersionApi(api_client).get_code()
        checks.append(Check("Kubernetes API", "ok", f"reachable, version {version.git_version}"))
    except Exception as err:  # connection refused, TLS, auth: nothing else can be checked
        return [
            Check(
                "Kubernetes API",
                "fail",
                f"not reachable: {err}".splitlines()[0][:300],
                "check KUBECONFIG / --kubeconfig, or run inside the cluster",
            )
        ]
    policy = ClassPolicy.for_provider(provider, class_names or None)
    classes = client.NetworkingV1Api(api_client).list_ingress_class().items
    ours = [
        c.metadata.name
        for c in classes
        if c.metadata and c.metadata.name and c.spec and c.spec.controller == policy.controller
    ]
    if ours:
        checks.append(Check("IngressClass", "ok", f"{', '.join(ours)} (controller {policy.controller})"))
    elif policy.claim_unclassed:
        checks.append(
            Check(
                "IngressClass",
                "warn",
                f"no IngressClass with controller {policy.controller}; "
                "only Ingresses without a class are served",
                f"kubectl apply -k manifests/{provider}",
            )
        )
    else:
        checks.append(
            Check(
                "IngressClass",
                "fail",
                f"no IngressClass with controller {policy.controller}; Ingresses "
                f"must name class {'/'.join(policy.class_names)} by annotation",
                f"kubectl apply -k manifests/{provider}",
            )
        )
    authorization = client.AuthorizationV1Api(api_client)
    denied = [
        f"{verb} {resource}" + (f".{group}" if group else "")
        for group, resource, verb in required_access(provider)
        if not _review(authorization, group, resource, verb, None)
    ]
    denied += [
        f"{verb} {resource}.{group} in {lease_namespace}"
        for group, resource, verb in LEASE_ACCESS
        if not _review(authorization, group, resource, verb, lease_namespace)
    ]
    if denied:
        checks.append(
            Check(
                "RBAC",
                "fail",
                "not allowed: " + ", ".join(denied),
                f"kubectl apply -k manifests/{provider} (and run lbctl as ServiceAccount lbctl-system/lbctl)",
            )
        )
    else:
        total = len(required_access(provider)) + len(LEASE_ACCESS)
        checks.append(Check("RBAC", "ok", f"all {total} verbs the controller uses are allowed"))
    try:
        client.CoreV1Api(api_client).read_namespace(lease_namespace)
        checks.append(Check("Leader election", "ok", f"namespace {lease_namespace} exists for the Lease"))
    except ApiException as err:
        if err.status != 404:
            raise
        checks.append(
            Check(
                "Leader election",
                "fail",
                f"namespace {lease_namespace} does not exist",
                f"kubectl apply -k manifests/{provider}",
            )
        )
    return checks


def exit_code(checks: list[Check], strict: bool = False) -> int:
    """As `lbctl validate`: 2 when something failed, 1 for warnings with `strict`, else 0."""
    if any(c.status == "fail" for c in checks):
        return 2
    return 1 if strict and any(c.status == "warn" for c in checks) else 0
