"""Offline checks of manifests/: Kubernetes schemas (kubernetes-validate --strict) and what they miss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lbctl.model.classes import AWS_CONTROLLER, GCE_CONTROLLER

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


def documents() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc:
                out.append((f"{path.name}#{i}", doc))
    return out


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for _, d in documents() if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(("where", "doc"), documents(), ids=[w for w, _ in documents()])
def test_schema_strict(where: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_deployment_is_hardened_and_leader_elected() -> None:
    deployment = one("Deployment")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert spec["replicas"] == 2 and "--leader-elect" in container["args"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"metrics": 8080, "health": 8081}
    assert pod["serviceAccountName"] == one("ServiceAccount")["metadata"]["name"]


def test_secrets_are_read_only_and_lease_rights_are_namespaced() -> None:
    for rule in one("ClusterRole")["rules"]:
        if "secrets" in rule["resources"]:
            assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert "leases" not in rule["resources"], "Lease rights belong in the namespaced Role"
    role = one("Role")
    assert role["metadata"]["namespace"] == one("Deployment")["metadata"]["namespace"]
    assert role["rules"] == [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                              "verbs": ["get", "create", "update"]}]  # fmt: skip


def test_ingress_classes_match_the_controllers() -> None:
    assert one("IngressClass", "alb")["spec"]["controller"] == AWS_CONTROLLER
    assert one("IngressClass", "gce")["spec"]["controller"] == GCE_CONTROLLER


def test_crds_match_what_the_controller_watches() -> None:
    from lbctl.kube.resources import watched_resources

    crds = {(d["spec"]["group"], v["name"], d["spec"]["names"]["plural"], d["spec"]["names"]["kind"])
            for _, d in documents() if d["kind"] == "CustomResourceDefinition" for v in d["spec"]["versions"]}  # fmt: skip
    import kubernetes

    watched = [r for r in watched_resources(kubernetes.client.ApiClient(), "gcp") if r.optional]
    assert {(r.api_version, r.kind) for r in watched} == {(f"{g}/{v}", k) for g, v, _, k in crds}
