"""Offline checks of manifests/: Kubernetes schemas (kubernetes-validate --strict) and what they miss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lbctl.model.classes import AWS_CONTROLLER, GCE_CONTROLLER

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"


def documents(folder: str = "") -> list[tuple[str, dict[str, Any]]]:
    """The Kubernetes objects of manifests/ (the install) or of one cloud's folder (e.g. "gcp")."""
    out = []
    for path in sorted((MANIFESTS / folder).glob("*.yaml")):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if doc:
                out.append((f"{path.relative_to(MANIFESTS)}#{i}", doc))
    return out


def one(kind: str, name: str | None = None, folder: str = "") -> dict[str, Any]:
    found = [d for _, d in documents(folder) if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


ALL = documents() + documents("gcp")


@pytest.mark.parametrize(("where", "doc"), ALL, ids=[w for w, _ in ALL])
def test_schema_strict(where: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_deployment_is_hardened_and_leader_elected() -> None:
    deployment = one("Deployment", "lbctl")
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


def test_gcp_default_backend_is_the_one_lbctl_uses() -> None:
    """manifests/gcp/ ships GKE's kube-system/default-http-backend: the Service lbctl's GCP default names,
    port 80 → 8080 on a Deployment that answers 404 and is probed on /healthz."""
    from lbctl.model.gce import CLUSTER_DEFAULT_BACKEND, DEFAULT_BACKEND_MANIFEST, parse_backend_ref

    assert (MANIFESTS.parent / DEFAULT_BACKEND_MANIFEST).exists()
    namespace, name, port = parse_backend_ref(CLUSTER_DEFAULT_BACKEND)
    svc = one("Service", name, "gcp")
    assert svc["metadata"]["namespace"] == namespace and svc["metadata"]["labels"]["k8s-app"] == "glbc"
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}]
    deployment = one("Deployment", None, "gcp")
    assert deployment["metadata"]["namespace"] == namespace
    pod = deployment["spec"]["template"]
    assert all(pod["metadata"]["labels"].get(k) == v for k, v in svc["spec"]["selector"].items())
    (container,) = pod["spec"]["containers"]
    assert container["image"].startswith("registry.k8s.io/defaultbackend-")
    assert [p["containerPort"] for p in container["ports"]] == [8080]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 8080, "scheme": "HTTP"}
    top = {d["metadata"].get("namespace") for _, d in documents()}
    assert "kube-system" not in top, "the install in manifests/ must not touch kube-system on AWS"
