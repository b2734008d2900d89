"""Offline checks of the install (`kubectl kustomize manifests/<cloud>`, what `kubectl apply -k` applies):
Kubernetes schemas (kubernetes-validate --strict) and what they miss."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from lbctl.model.classes import AWS_CONTROLLER, GCE_CONTROLLER

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
OVERLAYS = ("aws", "gcp")


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """The objects `kubectl apply -k manifests/<overlay>` creates (kubectl's built-in kustomize)."""
    assert shutil.which("kubectl"), "kubectl is needed to render the kustomize overlays (install it)"
    done = subprocess.run(
        ["kubectl", "kustomize", str(MANIFESTS / overlay)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def documents() -> list[tuple[str, dict[str, Any]]]:
    out = [(f"{o}/{d['kind']}/{d['metadata']['name']}", d) for o in OVERLAYS for d in rendered(o)]
    return out + [(f"base/{d['kind']}/{d['metadata']['name']}", d) for d in rendered("base")]


def one(kind: str, name: str | None = None, overlay: str = "aws") -> dict[str, Any]:
    found = [
        d for d in rendered(overlay) if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"expected one {kind} {name or ''} in {overlay}, found {len(found)}"
    return found[0]


@pytest.mark.parametrize(("where", "doc"), documents(), ids=[w for w, _ in documents()])
def test_schema_strict(where: str, doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployment_is_hardened_and_leader_elected(overlay: str) -> None:
    deployment = one("Deployment", "lbctl", overlay)
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
    assert pod["serviceAccountName"] == one("ServiceAccount", overlay=overlay)["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["LBCTL_PROVIDER"] == overlay and env["LBCTL_CLUSTER_NAME"]
    assert ("AWS_REGION" in env) == (overlay == "aws") and ("LBCTL_GCP_PROJECT" in env) == (overlay == "gcp")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_read_only_and_lease_rights_are_namespaced(overlay: str) -> None:
    for doc in rendered(overlay):
        for rule in doc.get("rules", []) if doc["kind"] == "ClusterRole" else []:
            if "secrets" in rule["resources"]:
                assert set(rule["verbs"]) <= {"list", "watch"}
            assert "leases" not in rule["resources"], "Lease rights belong in the namespaced Role"
    role = one("Role", overlay=overlay)
    assert role["metadata"]["namespace"] == one("Deployment", "lbctl", overlay)["metadata"]["namespace"]
    assert role["rules"] == [
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}
    ]


def test_every_cluster_role_is_bound_to_the_service_account() -> None:
    for overlay in OVERLAYS:
        roles = {d["metadata"]["name"] for d in rendered(overlay) if d["kind"] == "ClusterRole"}
        bound = {
            d["roleRef"]["name"]
            for d in rendered(overlay)
            if d["kind"] == "ClusterRoleBinding"
            and d["subjects"] == [{"kind": "ServiceAccount", "name": "lbctl", "namespace": "lbctl-system"}]
        }
        assert roles == bound, overlay


def test_ingress_classes_match_the_controllers() -> None:
    assert [d["metadata"]["name"] for d in rendered("aws") if d["kind"] == "IngressClass"] == ["alb"]
    assert [d["metadata"]["name"] for d in rendered("gcp") if d["kind"] == "IngressClass"] == ["gce"]
    assert one("IngressClass", "alb", "aws")["spec"]["controller"] == AWS_CONTROLLER
    assert one("IngressClass", "gce", "gcp")["spec"]["controller"] == GCE_CONTROLLER


def test_crds_match_what_the_controller_watches() -> None:
    import kubernetes

    from lbctl.kube.resources import watched_resources

    for overlay in OVERLAYS:
        crds = {
            (d["spec"]["group"], v["name"], d["spec"]["names"]["plural"], d["spec"]["names"]["kind"])
            for d in rendered(overlay)
            if d["kind"] == "CustomResourceDefinition"
            for v in d["spec"]["versions"]
        }
        watched = [r for r in watched_resources(kubernetes.client.ApiClient(), overlay) if r.optional]
        assert {(r.api_version, r.kind) for r in watched} == {(f"{g}/{v}", k) for g, v, _, k in crds}, overlay


def test_base_is_not_an_install_by_itself() -> None:
    """The base has no provider: applying it alone would start a controller that refuses to run."""
    deployment = one("Deployment", "lbctl", "base")
    env = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "LBCTL_PROVIDER" not in env


def test_gcp_default_backend_is_the_one_lbctl_uses() -> None:
    """The GCP overlay installs GKE's kube-system/default-http-backend: the Service lbctl's GCP default
    names, port 80 → 8080 on a Deployment that answers 404 and is probed on /healthz."""
    from lbctl.model.gce import CLUSTER_DEFAULT_BACKEND, DEFAULT_BACKEND_MANIFEST, parse_backend_ref

    assert (MANIFESTS.parent / DEFAULT_BACKEND_MANIFEST).exists()
    namespace, name, port = parse_backend_ref(CLUSTER_DEFAULT_BACKEND)
    svc = one("Service", name, "gcp")
    assert svc["metadata"]["namespace"] == namespace and svc["metadata"]["labels"]["k8s-app"] == "glbc"
    assert svc["spec"]["type"] == "NodePort"
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}]
    deployment = one("Deployment", "l7-default-backend", "gcp")
    assert deployment["metadata"]["namespace"] == namespace
    pod = deployment["spec"]["template"]
    assert all(pod["metadata"]["labels"].get(k) == v for k, v in svc["spec"]["selector"].items())
    (container,) = pod["spec"]["containers"]
    assert container["image"].startswith("registry.k8s.io/defaultbackend-")
    assert [p["containerPort"] for p in container["ports"]] == [8080]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 8080, "scheme": "HTTP"}
    assert "kube-system" not in {d["metadata"].get("namespace") for d in rendered("aws")}, (
        "the AWS install must not touch kube-system"
    )


def _grants(overlay: str) -> set[tuple[str, str, str]]:
    return {
        (g, r, v)
        for d in rendered(overlay)
        if d["kind"] in ("ClusterRole", "Role")
        for rule in d["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
        for v in rule["verbs"]
    }


def test_each_overlay_grants_what_its_provider_declares() -> None:
    """manifests/<provider> grants the core's access plus what that provider's plugin declares (its watched
    kinds), and the base only the core's: no provider's needs leak into another's install."""
    from lbctl.kube.access import CLUSTER_ACCESS, LEASE_ACCESS, required_access
    from lbctl.provider import available_providers

    assert set(available_providers()) == set(OVERLAYS)
    for overlay in OVERLAYS:
        assert _grants(overlay) == set(required_access(overlay)) | set(LEASE_ACCESS), overlay
    assert _grants("base") == set(CLUSTER_ACCESS) | set(LEASE_ACCESS)
