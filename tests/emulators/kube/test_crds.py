"""CustomResourceDefinitions: the emulator serves any CRD applied to it, as a real API server does — discovery,
CRUD/list/watch/patch of the custom resources, the status subresource, schema validation, defaults, pruning,
several versions, and deletion of the CRD with its resources."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from emulators.kube import KubeEmulator

GROUP = "stable.example.com"


def widget_crd(scope: str = "Namespaced", status: bool = True) -> dict[str, Any]:
    """A CRD with two served versions (v1 stored), a status subresource, defaults, bounds and list types."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                    "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
                    "name": {"type": "string", "maxLength": 8, "pattern": "^[a-z]+$"},
                    "port": {"x-kubernetes-int-or-string": True},
                    "ports": {
                        "type": "array",
                        "maxItems": 3,
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name"],
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "name": {"type": "string"},
                                "protocol": {"type": "string", "default": "TCP"},
                            },
                        },
                    },
                    "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
        },
    }
    version: dict[str, Any] = {
        "name": "v1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": schema},
        "additionalPrinterColumns": [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
    }
    if status:
        version["subresources"] = {"status": {}}
    beta = copy.deepcopy(version)
    beta.update(name="v1beta1", storage=False)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"], "categories": ["toys"]},
            "versions": [version, beta],
        },
    }


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name},
        "spec": {"size": 1, **spec},
    }


@pytest.fixture
def extensions(api: client.ApiClient) -> client.ApiextensionsV1Api:
    return client.ApiextensionsV1Api(api)


def test_a_crd_is_established_and_discovered(
    emulator: KubeEmulator, api: client.ApiClient, extensions: client.ApiextensionsV1Api
) -> None:
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    assert GROUP not in groups
    created = extensions.create_custom_resource_definition(widget_crd())
    conditions = {c.type: c.status for c in created.status.conditions}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert created.status.accepted_names.kind == "Widget" and created.status.stored_versions == ["v1"]
    assert created.spec.names.singular == "widget" and created.spec.names.list_kind == "WidgetList"

    group = next(g for g in client.ApisApi(api).get_api_versions().groups if g.name == GROUP)
    assert group.preferred_version.version == "v1"
    assert [v.version for v in group.versions] == ["v1", "v1beta1"]
    listed = requests.get(
        f"{emulator.url}/apis/{GROUP}/v1", headers=emulator.auth_headers(), timeout=10
    ).json()
    resources = {r["name"]: r for r in listed["resources"]}
    assert resources["widgets"]["namespaced"] and resources["widgets"]["shortNames"] == ["wd"]
    assert resources["widgets"]["categories"] == ["toys"] and resources["widgets"]["kind"] == "Widget"
    assert resources["widgets/status"]["verbs"] == ["get", "patch", "update"]
    assert [c.metadata.name for c in extensions.list_custom_resource_definition().items] == [
        f"widgets.{GROUP}"
    ]


def test_custom_resources_crud_watch_and_patch(
    extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd())
    since = custom.list_namespaced_custom_object(GROUP, "v1", "default", "widgets")["metadata"][
        "resourceVersion"
    ]
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("a"))
    merged = custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "a", {"spec": {"size": 2}}
    )
    assert merged["spec"] == {"size": 2, "color": "red"}
    patched = custom.patch_namespaced_custom_object(
        GROUP,
        "v1",
        "default",
        "widgets",
        "a",
        [{"op": "replace", "path": "/spec/size", "value": 3}],
        _content_type="application/json-patch+json",
    )
    assert patched["spec"]["size"] == 3
    with pytest.raises(ApiException) as strategic:
        custom.patch_namespaced_custom_object(
            GROUP,
            "v1",
            "default",
            "widgets",
            "a",
            {"spec": {"size": 4}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert (
        strategic.value.status == 415 and json.loads(strategic.value.body)["reason"] == "UnsupportedMediaType"
    )
    custom.delete_namespaced_custom_object(GROUP, "v1", "default", "widgets", "a")
    stream = watch.Watch()
    events = stream.stream(
        custom.list_namespaced_custom_object,
        GROUP,
        "v1",
        "default",
        "widgets",
        resource_version=since,
        timeout_seconds=5,
    )
    seen = []
    for event in events:
        seen.append((event["type"], event["object"]["spec"]["size"]))
        if event["type"] == "DELETED":
            stream.stop()
    assert seen == [("ADDED", 1), ("MODIFIED", 2), ("MODIFIED", 3), ("DELETED", 3)]
    assert custom.list_namespaced_custom_object(GROUP, "v1", "default", "widgets")["items"] == []


def test_cluster_scoped_custom_resources(
    extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd(scope="Cluster"))
    created = custom.create_cluster_custom_object(GROUP, "v1", "widgets", widget("c"))
    assert "namespace" not in created["metadata"]
    assert custom.get_cluster_custom_object(GROUP, "v1", "widgets", "c")["spec"]["size"] == 1
    with pytest.raises(ApiException) as namespaced:
        custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("d"))
    assert namespaced.value.status == 404


def test_status_subresource_and_generation(
    extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd())
    body = widget("s")
    body["status"] = {"ready": True}
    created = custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", body)
    assert "status" not in created and created["metadata"]["generation"] == 1  # status only through /status
    status = custom.patch_namespaced_custom_object_status(
        GROUP, "v1", "default", "widgets", "s", {"status": {"ready": True}, "spec": {"size": 9}}
    )
    assert status["status"] == {"ready": True} and status["spec"]["size"] == 1
    assert status["metadata"]["generation"] == 1
    main = custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "s", {"spec": {"size": 5}, "status": {"ready": False}}
    )
    assert main["status"] == {"ready": True} and main["metadata"]["generation"] == 2
    labelled = custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "s", {"metadata": {"labels": {"a": "b"}}}
    )
    assert labelled["metadata"]["generation"] == 2


def test_without_a_status_subresource_status_is_part_of_the_object(
    extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd(status=False))
    body = widget("n")
    body["status"] = {"ready": True}
    assert custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", body)["status"] == {
        "ready": True
    }
    changed = custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "n", {"status": {"ready": False}}
    )
    assert changed["metadata"]["generation"] == 2
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object_status(GROUP, "v1", "default", "widgets", "n")
    assert missing.value.status == 404


def _causes(error: ApiException) -> list[tuple[str, str]]:
    body = json.loads(error.body)
    assert body["kind"] == "Status" and body["reason"] == "Invalid" and body["code"] == 422
    assert body["details"]["kind"] == "Widget" and body["details"]["group"] == GROUP
    return [(c["field"], c["reason"]) for c in body["details"]["causes"]]


@pytest.mark.parametrize(
    ("spec", "field", "reason", "message"),
    [
        (
            {"size": 0},
            "spec.size",
            "FieldValueInvalid",
            "spec.size in body should be greater than or equal to 1",
        ),
        (
            {"size": 11},
            "spec.size",
            "FieldValueInvalid",
            "spec.size in body should be less than or equal to 10",
        ),
        ({"size": "big"}, "spec.size", "FieldValueTypeInvalid", "spec.size in body must be of type integer"),
        (
            {"size": 1, "color": "green"},
            "spec.color",
            "FieldValueNotSupported",
            'supported values: "red", "blue"',
        ),
        (
            {"size": 1, "name": "Abc"},
            "spec.name",
            "FieldValueInvalid",
            "spec.name in body should match '^[a-z]+$'",
        ),
        ({"size": 1, "name": "abcdefghi"}, "spec.name", "FieldValueTooLong", "Too long"),
        ({"size": 1, "port": 1.5}, "spec.port", "FieldValueInvalid", "spec.port in body"),
        (
            {"size": 1, "ports": [{"name": "a"}, {"name": "a"}]},
            "spec.ports[1]",
            "FieldValueDuplicate",
            "Duplicate",
        ),
        ({"size": 1, "ports": [{}]}, "spec.ports[0].name", "FieldValueRequired", "Required value"),
        (
            {"size": 1, "ports": [{"name": n} for n in "abcd"]},
            "spec.ports",
            "FieldValueTooMany",
            "at most 3 items",
        ),
        ({"size": 1, "labels": {"a": 1}}, "spec.labels.a", "FieldValueTypeInvalid", "must be of type string"),
        ({"color": "red"}, "spec.size", "FieldValueRequired", "Required value"),
    ],
)
def test_schema_validation_names_the_field(
    extensions: client.ApiextensionsV1Api,
    custom: client.CustomObjectsApi,
    spec: dict[str, Any],
    field: str,
    reason: str,
    message: str,
) -> None:
    extensions.create_custom_resource_definition(widget_crd())
    body = widget("bad")
    body["spec"] = spec
    with pytest.raises(ApiException) as refused:
        custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", body)
    assert _causes(refused.value) == [(field, reason)]
    status = json.loads(refused.value.body)
    assert status["message"].startswith(f'Widget.{GROUP} "bad" is invalid: {field}: ')
    assert message in status["message"]


def test_defaults_pruning_and_unknown_fields(
    emulator: KubeEmulator, extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd())
    body = widget("p", ports=[{"name": "http"}], extra={"anything": {"goes": 1}}, bogus=True)
    body["topLevel"] = "dropped"
    created = custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", body)
    assert created["spec"] == {
        "size": 1,
        "color": "red",
        "ports": [{"name": "http", "protocol": "TCP"}],
        "extra": {"anything": {"goes": 1}},
    }
    assert "topLevel" not in created and created["metadata"]["name"] == "p"

    url = f"{emulator.url}/apis/{GROUP}/v1/namespaces/default/widgets"
    headers = {**emulator.auth_headers(), "Content-Type": "application/json"}
    warned = requests.post(url, json=widget("w", bogus=1), headers=headers, timeout=10)
    assert warned.status_code == 201 and 'unknown field \\"spec.bogus\\"' in warned.headers["Warning"]
    strict = requests.post(
        url + "?fieldValidation=Strict", json=widget("x", bogus=1), headers=headers, timeout=10
    )
    assert strict.status_code == 400
    assert 'strict decoding error: unknown field "spec.bogus"' in strict.json()["message"]
    ignored = requests.post(
        url + "?fieldValidation=Ignore", json=widget("y", bogus=1), headers=headers, timeout=10
    )
    assert ignored.status_code == 201 and "Warning" not in ignored.headers


def test_every_served_version_reads_the_same_objects(
    extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    crd = widget_crd()
    extensions.create_custom_resource_definition(crd)
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("m", size=4))
    old = custom.get_namespaced_custom_object(GROUP, "v1beta1", "default", "widgets", "m")
    assert old["apiVersion"] == f"{GROUP}/v1beta1" and old["spec"]["size"] == 4
    listed = custom.list_namespaced_custom_object(GROUP, "v1beta1", "default", "widgets")
    assert listed["kind"] == "WidgetList" and listed["items"][0]["apiVersion"] == f"{GROUP}/v1beta1"
    custom.patch_namespaced_custom_object(GROUP, "v1beta1", "default", "widgets", "m", {"spec": {"size": 6}})
    assert custom.get_namespaced_custom_object(GROUP, "v1", "default", "widgets", "m")["spec"]["size"] == 6

    current = extensions.read_custom_resource_definition(f"widgets.{GROUP}")
    crd["metadata"]["resourceVersion"] = current.metadata.resource_version
    crd["spec"]["versions"][1]["served"] = False
    extensions.replace_custom_resource_definition(f"widgets.{GROUP}", crd)
    with pytest.raises(ApiException) as unserved:
        custom.get_namespaced_custom_object(GROUP, "v1beta1", "default", "widgets", "m")
    assert unserved.value.status == 404

    crd["metadata"]["resourceVersion"] = extensions.read_custom_resource_definition(
        f"widgets.{GROUP}"
    ).metadata.resource_version
    crd["spec"]["versions"][0]["storage"] = False
    with pytest.raises(ApiException) as no_storage:
        extensions.replace_custom_resource_definition(f"widgets.{GROUP}", crd)
    assert no_storage.value.status == 422 and "spec.versions" in no_storage.value.body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda crd: crd["metadata"].update(name="widgets.other.example.com"), "metadata.name"),
        (lambda crd: crd["spec"].update(scope="Global"), "spec.scope"),
        (lambda crd: crd["spec"]["versions"][0].pop("schema"), "spec.versions[0].schema.openAPIV3Schema"),
        (lambda crd: crd["spec"]["versions"][1].update(storage=True), "spec.versions"),
    ],
)
def test_invalid_crds_are_refused(extensions: client.ApiextensionsV1Api, change: Any, field: str) -> None:
    crd = widget_crd()
    change(crd)
    with pytest.raises(ApiException) as refused:
        extensions.create_custom_resource_definition(crd)
    body = json.loads(refused.value.body)
    assert refused.value.status == 422 and field in [c["field"] for c in body["details"]["causes"]]


def test_deleting_a_crd_deletes_its_resources_then_stops_serving(
    api: client.ApiClient, extensions: client.ApiextensionsV1Api, custom: client.CustomObjectsApi
) -> None:
    extensions.create_custom_resource_definition(widget_crd())
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("plain"))
    held = widget("held")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", held)

    extensions.delete_custom_resource_definition(f"widgets.{GROUP}")
    terminating = extensions.read_custom_resource_definition(f"widgets.{GROUP}")
    assert terminating.metadata.deletion_timestamp is not None
    assert {c.type: c.status for c in terminating.status.conditions}["Terminating"] == "True"
    remaining = custom.list_namespaced_custom_object(GROUP, "v1", "default", "widgets")["items"]
    assert [(w["metadata"]["name"], bool(w["metadata"].get("deletionTimestamp"))) for w in remaining] == [
        ("held", True)
    ]
    with pytest.raises(ApiException) as refused:
        custom.create_namespaced_custom_object(GROUP, "v1", "default", "widgets", widget("late"))
    assert refused.value.status == 405

    custom.patch_namespaced_custom_object(
        GROUP, "v1", "default", "widgets", "held", {"metadata": {"finalizers": None}}
    )
    with pytest.raises(ApiException) as gone:
        extensions.read_custom_resource_definition(f"widgets.{GROUP}")
    assert gone.value.status == 404
    assert GROUP not in {g.name for g in client.ApisApi(api).get_api_versions().groups}
    with pytest.raises(ApiException) as unserved:
        custom.list_namespaced_custom_object(GROUP, "v1", "default", "widgets")
    assert unserved.value.status == 404


def test_kubectl_applies_a_crd_then_its_resources(emulator: KubeEmulator, tmp_path: Path) -> None:
    kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")

    def kubectl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    applied = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget_crd()))
    assert applied.returncode == 0, applied.stderr
    waited = kubectl("wait", "--for=condition=Established", f"crd/widgets.{GROUP}", "--timeout=20s")
    assert waited.returncode == 0, waited.stderr
    made = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget("k", size=7)))
    assert made.returncode == 0 and "widget.stable.example.com/k created" in made.stdout, made.stderr
    again = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget("k", size=8)))
    assert again.returncode == 0 and "configured" in again.stdout, again.stderr
    table = kubectl("get", "wd")
    assert table.returncode == 0 and table.stdout.split() == ["NAME", "SIZE", "k", "8"], table.stdout
    invalid = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget("bad", size=0)))
    assert invalid.returncode != 0 and "spec.size" in invalid.stderr
    unknown = kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget("u", bogus=1)))
    assert unknown.returncode != 0 and 'unknown field "spec.bogus"' in unknown.stderr
