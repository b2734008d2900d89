"""Create/read/list/replace/delete for every built-in kind, through the official typed APIs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from emulators.testing.kube_objects import backend_config, ingress, meta, service


@dataclass(frozen=True)
class KindCase:
    api: str  # class name in kubernetes.client
    suffix: str  # method suffix: create_<suffix>, read_<suffix>, ...
    namespaced: bool
    body: dict[str, Any]


CASES = [
    KindCase("CoreV1Api", "namespace", False, {"metadata": meta("team-a")}),
    KindCase(
        "CoreV1Api",
        "node",
        False,
        {
            "metadata": meta("node-1"),
            "spec": {"providerID": "aws:///eu-west-1a/i-1"},
            "status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]},
        },
    ),
    KindCase(
        "CoreV1Api",
        "namespaced_pod",
        True,
        {"metadata": meta("web-0"), "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
    ),
    KindCase("CoreV1Api", "namespaced_service", True, service("web")),
    KindCase(
        "CoreV1Api",
        "namespaced_endpoints",
        True,
        {"metadata": meta("web"), "subsets": [{"addresses": [{"ip": "10.1.0.5"}], "ports": [{"port": 80}]}]},
    ),
    KindCase(
        "CoreV1Api",
        "namespaced_secret",
        True,
        {
            "metadata": meta("tls"),
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"},
        },
    ),
    KindCase("CoreV1Api", "namespaced_config_map", True, {"metadata": meta("settings"), "data": {"a": "1"}}),
    KindCase(
        "CoreV1Api",
        "namespaced_event",
        True,
        {"metadata": meta("web.1"), "reason": "Synced", "involvedObject": {"kind": "Ingress", "name": "web"}},
    ),
    KindCase(
        "DiscoveryV1Api",
        "namespaced_endpoint_slice",
        True,
        {
            "metadata": meta("web-abc", {"kubernetes.io/service-name": "web"}),
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.1.0.5"], "conditions": {"ready": True}}],
            "ports": [{"port": 80}],
        },
    ),
    KindCase("NetworkingV1Api", "namespaced_ingress", True, ingress("web")),
    KindCase(
        "NetworkingV1Api",
        "ingress_class",
        False,
        {"metadata": meta("lbctl"), "spec": {"controller": "lbctl.io/ingress"}},
    ),
    KindCase(
        "CoordinationV1Api",
        "namespaced_lease",
        True,
        {"metadata": meta("lbctl-leader"), "spec": {"holderIdentity": "pod-a"}},
    ),
    KindCase(
        "EventsV1Api",
        "namespaced_event",
        True,
        {
            "metadata": meta("web.2"),
            "reason": "Synced",
            "eventTime": "2025-01-01T00:00:00.000000Z",
            "reportingController": "lbctl",
            "reportingInstance": "a",
            "action": "Sync",
            "regarding": {"kind": "Ingress"},
        },
    ),
]


def _call(api_object: Any, verb: str, case: KindCase, *args: Any, **kwargs: Any) -> Any:
    method = getattr(api_object, f"{verb}_{case.suffix}")
    if case.namespaced:
        return method(*args, "default", **kwargs) if args or verb != "list" else method("default", **kwargs)
    return method(*args, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.api}.{c.suffix}")
def test_crud_round_trip(api: client.ApiClient, case: KindCase) -> None:
    typed = getattr(client, case.api)(api)
    name = case.body["metadata"]["name"]

    created = _call(typed, "create", case, body=case.body)
    assert created.metadata.name == name
    assert created.metadata.uid and created.metadata.creation_timestamp is not None
    first_version = int(created.metadata.resource_version)

    read = _call(typed, "read", case, name)
    assert read.metadata.uid == created.metadata.uid
    assert read.metadata.resource_version == created.metadata.resource_version

    listed = _call(typed, "list", case)
    assert name in [item.metadata.name for item in listed.items]
    assert int(listed.metadata.resource_version) >= first_version

    with pytest.raises(ApiException) as duplicate:
        _call(typed, "create", case, body=case.body)
    assert duplicate.value.status == 409
    assert json.loads(duplicate.value.body)["reason"] == "AlreadyExists"

    read.metadata.labels = {"touched": "yes"}
    replaced = _call(typed, "replace", case, name, body=read)
    assert replaced.metadata.labels == {"touched": "yes"}
    assert int(replaced.metadata.resource_version) > first_version

    read.metadata.labels = {"touched": "again"}  # still carries the old resourceVersion
    with pytest.raises(ApiException) as stale:
        _call(typed, "replace", case, name, body=read)
    assert stale.value.status == 409
    assert json.loads(stale.value.body)["reason"] == "Conflict"

    _call(typed, "delete", case, name)
    with pytest.raises(ApiException) as gone:
        _call(typed, "read", case, name)
    assert gone.value.status == 404


def test_generate_name_and_global_resource_version(
    core: client.CoreV1Api, net: client.NetworkingV1Api
) -> None:
    first = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    second = net.create_namespaced_ingress("default", ingress("shop"))
    third = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cfg-"}})
    assert first.metadata.name.startswith("cfg-") and len(first.metadata.name) == len("cfg-") + 5
    assert first.metadata.name != third.metadata.name
    versions = [int(o.metadata.resource_version) for o in (first, second, third)]
    assert versions == sorted(versions) and len(set(versions)) == 3


@pytest.mark.usefixtures("lbctl_crds")
def test_custom_resources_crud(custom: client.CustomObjectsApi) -> None:
    created = custom.create_namespaced_custom_object(
        "cloud.google.com", "v1", "default", "backendconfigs", backend_config("bc")
    )
    assert created["metadata"]["resourceVersion"] and created["kind"] == "BackendConfig"
    frontend = {
        "apiVersion": "networking.gke.io/v1beta1",
        "kind": "FrontendConfig",
        "metadata": meta("fc"),
        "spec": {"redirectToHttps": {"enabled": True}},
    }
    custom.create_namespaced_custom_object(
        "networking.gke.io", "v1beta1", "default", "frontendconfigs", frontend
    )

    patched = custom.patch_namespaced_custom_object(
        "cloud.google.com", "v1", "default", "backendconfigs", "bc", {"spec": {"timeoutSec": 60}}
    )
    assert patched["spec"]["timeoutSec"] == 60
    listed = custom.list_cluster_custom_object("networking.gke.io", "v1beta1", "frontendconfigs")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["fc"]
    custom.delete_namespaced_custom_object("cloud.google.com", "v1", "default", "backendconfigs", "bc")
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object("cloud.google.com", "v1", "default", "backendconfigs", "bc")
    assert missing.value.status == 404


def test_self_subject_access_review_is_allowed(api: client.ApiClient) -> None:
    review = client.AuthorizationV1Api(api).create_self_subject_access_review(
        {
            "spec": {
                "resourceAttributes": {"verb": "list", "group": "networking.k8s.io", "resource": "ingresses"}
            }
        }
    )
    assert review.status.allowed is True


def test_create_in_missing_namespace_is_404(net: client.NetworkingV1Api) -> None:
    with pytest.raises(ApiException) as error:
        net.create_namespaced_ingress("nowhere", ingress("web"))
    assert error.value.status == 404
    assert json.loads(error.value.body)["details"]["kind"] == "namespaces"


def test_namespace_deletion_removes_its_content(core: client.CoreV1Api, net: client.NetworkingV1Api) -> None:
    core.create_namespace({"metadata": {"name": "shop"}})
    net.create_namespaced_ingress("shop", ingress("web"))
    net.create_namespaced_ingress("shop", ingress("held", finalizers=["lbctl.io/cleanup"]))
    core.delete_namespace("shop")
    assert core.read_namespace("shop").status.phase == "Terminating"
    assert [i.metadata.name for i in net.list_namespaced_ingress("shop").items] == ["held"]
    with pytest.raises(ApiException) as refused:
        core.create_namespaced_config_map("shop", {"metadata": {"name": "late"}})
    assert refused.value.status == 403
    net.patch_namespaced_ingress("held", "shop", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        core.read_namespace("shop")
    assert gone.value.status == 404
