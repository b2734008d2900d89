"""Write semantics: validation, status subresource isolation, finalizers, patch content types."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from emulators.testing.kube_objects import backend_config, ingress, service

FINALIZER = "lbctl.io/load-balancer"


def _status_body(error: ApiException) -> dict[str, Any]:
    body = json.loads(error.body)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1" and body["status"] == "Failure"
    assert body["code"] == error.status
    return body


def _without_path_backend() -> dict[str, Any]:
    body = ingress("web")
    del body["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    return body


def _without_path_type() -> dict[str, Any]:
    body = ingress("web")
    del body["spec"]["rules"][0]["http"]["paths"][0]["pathType"]
    return body


def _without_service_port() -> dict[str, Any]:
    body = ingress("web")
    del body["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metadata": {"name": "web"}}, "spec"),
        ({"metadata": {"name": "web"}, "spec": {"ingressClassName": "lbctl"}}, "spec"),
        (_without_path_backend(), "spec.rules[0].http.paths[0].backend"),
        (_without_path_type(), "spec.rules[0].http.paths[0].pathType"),
        (_without_service_port(), "spec.rules[0].http.paths[0].backend.service.port"),
        ({**ingress("Bad_Name")}, "metadata.name"),
    ],
    ids=["no-spec", "no-rules-or-default", "path-without-backend", "no-path-type", "no-port", "bad-name"],
)
def test_invalid_ingress_is_422(custom: client.CustomObjectsApi, body: dict[str, Any], field: str) -> None:
    # The typed API validates bodies client-side; the generic one sends them as they are, like kubectl does.
    with pytest.raises(ApiException) as error:
        custom.create_namespaced_custom_object("networking.k8s.io", "v1", "default", "ingresses", body)
    status = _status_body(error.value)
    assert (error.value.status, status["reason"]) == (422, "Invalid")
    assert field in [cause["field"] for cause in status["details"]["causes"]]


def test_update_of_invalid_ingress_is_422_and_leaves_it_unchanged(net: client.NetworkingV1Api) -> None:
    created = net.create_namespaced_ingress("default", ingress("web"))
    with pytest.raises(ApiException) as error:
        net.patch_namespaced_ingress(
            "web", "default", [{"op": "remove", "path": "/spec/rules/0/http/paths/0/backend"}]
        )
    assert error.value.status == 422
    assert (
        net.read_namespaced_ingress("web", "default").metadata.resource_version
        == created.metadata.resource_version
    )


@pytest.mark.parametrize(
    ("call", "code", "reason"),
    [
        (lambda net: net.read_namespaced_ingress("missing", "default"), 404, "NotFound"),
        (lambda net: net.delete_namespaced_ingress("missing", "default"), 404, "NotFound"),
        (
            lambda net: net.patch_namespaced_ingress(
                "missing", "default", {"metadata": {"labels": {"a": "b"}}}
            ),
            404,
            "NotFound",
        ),
        (
            lambda net: net.create_namespaced_ingress(
                "default", {**ingress("web"), "metadata": {"name": "web", "namespace": "other"}}
            ),
            400,
            "BadRequest",
        ),
        (lambda net: net.list_namespaced_ingress("default", label_selector="a in (b"), 400, "BadRequest"),
        (
            lambda net: net.list_namespaced_ingress("default", field_selector="spec.foo=bar"),
            400,
            "BadRequest",
        ),
        (
            lambda net: net.create_namespaced_ingress(
                "default", {**ingress("web"), "metadata": {"name": "web", "resourceVersion": "3"}}
            ),
            500,
            "InternalError",
        ),
    ],
    ids=[
        "get-missing",
        "delete-missing",
        "patch-missing",
        "namespace-mismatch",
        "bad-label-selector",
        "unsupported-field-selector",
        "create-with-resource-version",
    ],
)
def test_errors_are_status_objects(net: client.NetworkingV1Api, call: Any, code: int, reason: str) -> None:
    with pytest.raises(ApiException) as error:
        call(net)
    assert error.value.status == code
    assert _status_body(error.value)["reason"] == reason


def test_status_subresource_isolation(net: client.NetworkingV1Api) -> None:
    created = net.create_namespaced_ingress(
        "default", {**ingress("web"), "status": {"loadBalancer": {"ingress": [{"ip": "6.6.6.6"}]}}}
    )
    assert not created.status.load_balancer.ingress  # status from the client is dropped on create
    assert created.metadata.generation == 1

    address = {"loadBalancer": {"ingress": [{"hostname": "k8s-default-web.elb.amazonaws.com"}]}}
    body = net.read_namespaced_ingress("web", "default").to_dict(serialize=True)
    body["status"] = address
    body["spec"]["rules"][0]["host"] = "changed.example.com"
    after_status_write = net.replace_namespaced_ingress_status("web", "default", body)
    assert after_status_write.status.load_balancer.ingress[0].hostname == "k8s-default-web.elb.amazonaws.com"
    assert after_status_write.spec.rules[0].host == "shop.example.com"  # spec change ignored on /status
    assert after_status_write.metadata.generation == 1

    body = after_status_write.to_dict(serialize=True)
    body["status"] = {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}
    body["spec"]["rules"][0]["host"] = "changed.example.com"
    after_main_write = net.replace_namespaced_ingress("web", "default", body)
    assert after_main_write.spec.rules[0].host == "changed.example.com"
    assert after_main_write.status.load_balancer.ingress[0].hostname == "k8s-default-web.elb.amazonaws.com"
    assert after_main_write.metadata.generation == 2

    patched = net.patch_namespaced_ingress("web", "default", {"status": {"loadBalancer": {"ingress": []}}})
    assert patched.status.load_balancer.ingress[0].hostname == "k8s-default-web.elb.amazonaws.com"


def test_noop_update_keeps_resource_version(net: client.NetworkingV1Api) -> None:
    created = net.create_namespaced_ingress("default", ingress("web"))
    same = net.patch_namespaced_ingress_status("web", "default", {"status": {"loadBalancer": {}}})
    assert same.metadata.resource_version == created.metadata.resource_version
    again = net.replace_namespaced_ingress("web", "default", created)
    assert again.metadata.resource_version == created.metadata.resource_version


def test_finalizer_lifecycle(net: client.NetworkingV1Api) -> None:
    net.create_namespaced_ingress("default", ingress("web", finalizers=[FINALIZER]))
    net.delete_namespaced_ingress("web", "default")
    pending = net.read_namespaced_ingress("web", "default")
    assert pending.metadata.deletion_timestamp is not None
    assert pending.metadata.finalizers == [FINALIZER]

    net.delete_namespaced_ingress("web", "default")  # deleting again changes nothing
    assert (
        net.read_namespaced_ingress("web", "default").metadata.resource_version
        == pending.metadata.resource_version
    )

    with pytest.raises(ApiException) as no_new_finalizers:
        net.patch_namespaced_ingress("web", "default", {"metadata": {"finalizers": ["someone.else/hold"]}})
    assert no_new_finalizers.value.status == 422

    still = net.patch_namespaced_ingress("web", "default", {"metadata": {"labels": {"seen": "yes"}}})
    assert still.metadata.labels == {"seen": "yes"}

    net.patch_namespaced_ingress("web", "default", [{"op": "remove", "path": "/metadata/finalizers"}])
    with pytest.raises(ApiException) as gone:
        net.read_namespaced_ingress("web", "default")
    assert gone.value.status == 404


def test_delete_preconditions(net: client.NetworkingV1Api) -> None:
    created = net.create_namespaced_ingress("default", ingress("web"))
    with pytest.raises(ApiException) as stale:
        net.delete_namespaced_ingress("web", "default", body={"preconditions": {"resourceVersion": "1"}})
    assert stale.value.status == 409
    net.delete_namespaced_ingress("web", "default", body={"preconditions": {"uid": created.metadata.uid}})
    assert net.list_namespaced_ingress("default").items == []


def test_merge_patch_replaces_lists_and_null_deletes(net: client.NetworkingV1Api) -> None:
    net.create_namespaced_ingress(
        "default", ingress("web", labels={"app": "web", "tier": "edge"}, finalizers=["a.io/x", "b.io/y"])
    )
    patched = net.patch_namespaced_ingress(
        "web",
        "default",
        {"metadata": {"labels": {"tier": None}, "finalizers": ["b.io/y"]}},
        _content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels == {"app": "web"}
    assert patched.metadata.finalizers == ["b.io/y"]


def test_strategic_merge_patch_merges_finalizers_and_keyed_lists(
    core: client.CoreV1Api, net: client.NetworkingV1Api
) -> None:
    net.create_namespaced_ingress("default", ingress("web", finalizers=["a.io/x"]))
    added = net.patch_namespaced_ingress("web", "default", {"metadata": {"finalizers": ["b.io/y"]}})
    assert added.metadata.finalizers == ["a.io/x", "b.io/y"]  # union, like the real server
    removed = net.patch_namespaced_ingress(
        "web", "default", {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}
    )
    assert removed.metadata.finalizers == ["b.io/y"]
    cleared = net.patch_namespaced_ingress("web", "default", {"metadata": {"finalizers": None}})
    assert cleared.metadata.finalizers is None

    core.create_namespaced_service("default", service("web", ports=(80, 443)))
    merged = core.patch_namespaced_service(
        "web",
        "default",
        {"spec": {"ports": [{"port": 443, "targetPort": 8443}, {"port": 80, "$patch": "delete"}]}},
    )
    assert [(p.port, p.target_port) for p in merged.spec.ports] == [(443, 8443)]

    core.create_node(
        {
            "metadata": {"name": "n1"},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "False"},
                    {"type": "DiskPressure", "status": "False"},
                ]
            },
        }
    )
    node = core.patch_node_status("n1", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert {c.type: c.status for c in node.status.conditions} == {"Ready": "True", "DiskPressure": "False"}

    rules = net.patch_namespaced_ingress(
        "web",
        "default",
        {
            "spec": {
                "rules": [
                    {
                        "host": "only.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/a",
                                    "pathType": "Exact",
                                    "backend": {"service": {"name": "a", "port": {"number": 1}}},
                                }
                            ]
                        },
                    }
                ]
            }
        },
    )
    assert [r.host for r in rules.spec.rules] == ["only.example.com"]  # no merge key: replaced


def test_json_patch_operations(net: client.NetworkingV1Api) -> None:
    net.create_namespaced_ingress("default", ingress("web", labels={"app": "web"}))
    patched = net.patch_namespaced_ingress(
        "web",
        "default",
        [
            {"op": "test", "path": "/metadata/labels/app", "value": "web"},
            {"op": "add", "path": "/metadata/annotations", "value": {"lbctl.io/scheme": "internal"}},
            {"op": "replace", "path": "/spec/rules/0/host", "value": "new.example.com"},
            {
                "op": "add",
                "path": "/spec/rules/-",
                "value": {
                    "host": "two.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "b", "port": {"number": 8080}}},
                            }
                        ]
                    },
                },
            },
            {"op": "remove", "path": "/metadata/labels/app"},
        ],
    )
    assert patched.metadata.annotations == {"lbctl.io/scheme": "internal"}
    assert [r.host for r in patched.spec.rules] == ["new.example.com", "two.example.com"]
    assert not patched.metadata.labels

    with pytest.raises(ApiException) as failed_test:
        net.patch_namespaced_ingress(
            "web", "default", [{"op": "test", "path": "/spec/rules/0/host", "value": "x"}]
        )
    assert failed_test.value.status == 422


def test_patch_with_stale_resource_version_conflicts(net: client.NetworkingV1Api) -> None:
    created = net.create_namespaced_ingress("default", ingress("web"))
    net.patch_namespaced_ingress("web", "default", {"metadata": {"labels": {"a": "1"}}})
    with pytest.raises(ApiException) as error:
        net.patch_namespaced_ingress(
            "web",
            "default",
            {"metadata": {"resourceVersion": created.metadata.resource_version, "labels": {"a": "2"}}},
        )
    assert error.value.status == 409


@pytest.mark.usefixtures("lbctl_crds")
def test_custom_resources_refuse_strategic_merge_patch(custom: client.CustomObjectsApi) -> None:
    custom.create_namespaced_custom_object(
        "cloud.google.com", "v1", "default", "backendconfigs", backend_config("bc")
    )
    with pytest.raises(ApiException) as error:
        custom.patch_namespaced_custom_object(
            "cloud.google.com",
            "v1",
            "default",
            "backendconfigs",
            "bc",
            {"spec": {"timeoutSec": 5}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert error.value.status == 415
    patched = custom.patch_namespaced_custom_object(
        "cloud.google.com",
        "v1",
        "default",
        "backendconfigs",
        "bc",
        [{"op": "replace", "path": "/spec/timeoutSec", "value": 5}],
        _content_type="application/json-patch+json",
    )
    assert patched["spec"]["timeoutSec"] == 5


def test_dry_run_does_not_persist(net: client.NetworkingV1Api) -> None:
    result = net.create_namespaced_ingress("default", ingress("web"), dry_run="All")
    assert result.metadata.uid
    assert net.list_namespaced_ingress("default").items == []


def _token(api: client.ApiClient) -> dict[str, str]:
    """Only the Authorization header: `call_api` adds no other header (no Content-Type)."""
    return {"Authorization": api.configuration.get_api_key_with_prefix("authorization")}


def test_put_and_delete_without_content_type(api: client.ApiClient, net: client.NetworkingV1Api) -> None:
    created = api.sanitize_for_serialization(net.create_namespaced_ingress("default", ingress("web")))
    created["metadata"]["labels"] = {"via": "raw-put"}
    url = f"{api.configuration.host}/apis/networking.k8s.io/v1/namespaces/default/ingresses/web"
    put = api.call_api("PUT", url, header_params=_token(api), body=created)
    put.read()
    assert put.status == 200 and json.loads(put.data)["metadata"]["labels"] == {"via": "raw-put"}
    deleted = api.call_api("DELETE", url, header_params=_token(api))
    deleted.read()
    assert deleted.status == 200 and json.loads(deleted.data)["status"] == "Success"
    assert net.list_namespaced_ingress("default").items == []


def test_patch_without_content_type_is_415(api: client.ApiClient, net: client.NetworkingV1Api) -> None:
    net.create_namespaced_ingress("default", ingress("web"))
    url = f"{api.configuration.host}/apis/networking.k8s.io/v1/namespaces/default/ingresses/web"
    response = api.call_api(
        "PATCH", url, header_params=_token(api), body={"metadata": {"labels": {"a": "b"}}}
    )
    response.read()
    assert response.status == 415 and json.loads(response.data)["reason"] == "UnsupportedMediaType"


def test_delete_collection_by_label(core: client.CoreV1Api) -> None:
    for name, team in (("a", "x"), ("b", "x"), ("c", "y")):
        core.create_namespaced_secret("default", {"metadata": {"name": name, "labels": {"team": team}}})
    core.delete_collection_namespaced_secret("default", label_selector="team=x")
    assert [s.metadata.name for s in core.list_namespaced_secret("default").items] == ["c"]
