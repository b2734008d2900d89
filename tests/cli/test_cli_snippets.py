"""`validate`, `plan` and `route` on what Ingress tutorials print: Ingress-only snippets (their Services not in
the files), NodePort Services that leave `nodePort` to the cluster, and GKE Ingresses without defaultBackend
(served by the cluster default backend, kube-system/default-http-backend). Through the console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulators.testing.cli import lbctl_in_process
from emulators.testing.specs import ingress, path, rule, service

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BACKEND_MANIFEST = str(ROOT / "manifests" / "gcp" / "default-http-backend.yaml")
GKE_DEFAULT = "kube-system/default-http-backend:80"


def lbctl(*args: str) -> subprocess.CompletedProcess[str]:
    return lbctl_in_process(*args, cwd=ROOT)


def write(tmp_path: Path, name: str, *docs: dict[str, Any]) -> str:
    target = tmp_path / name
    target.write_text(yaml.safe_dump_all(docs))
    return str(target)


def two_paths(class_name: str) -> dict[str, Any]:
    """The tutorial Ingress: two paths to two Services, no defaultBackend."""
    return ingress(
        "web", rule(None, path("/app", "appsvc", 80), path("/api", "apisvc", "http")), class_name=class_name
    )


def node_port_services() -> list[dict[str, Any]]:
    """The tutorial's Services: NodePort, no nodePort (the API server assigns it)."""
    return [service("appsvc", [(80, None, None)]), service("apisvc", [(8080, "http", None)])]


@pytest.mark.parametrize("provider", ["aws", "gcp"])
def test_ingress_only_snippet_plans_with_a_warning_per_missing_service(tmp_path: Path, provider: str) -> None:
    name = write(tmp_path, "ingress.yaml", two_paths("alb" if provider == "aws" else "gce"))
    result = lbctl("plan", "-f", name, "--provider", provider)
    assert result.returncode == 0, result.stderr
    assert f"{provider.upper()} load balancer for Ingress default/web" in result.stdout
    assert "No Ingress served" not in result.stdout
    assert (
        "default/appsvc:80 (unresolved)" in result.stdout
        and "default/apisvc:http (unresolved)" in result.stdout
    )
    for svc in ("appsvc", "apisvc"):  # the Problems table (its message column may fold)
        assert f"Service default/{svc} is not in the" in result.stderr
    assert lbctl("plan", "-f", name, "--provider", provider, "--strict").returncode == 1
    assert lbctl("validate", "-f", name, "--provider", provider).returncode == 0
    assert lbctl("validate", "-f", name, "--provider", provider, "--strict").returncode == 1

    spec = json.loads(lbctl("plan", "-f", name, "--provider", provider, "-o", "json").stdout)[0]
    assert spec["backends"]["default/appsvc:80"]["assumed"] == ["service"]
    assert spec["backends"]["default/apisvc:http"]["port_name"] == "http"

    routed = lbctl(
        "route", "-f", name, "--provider", provider, "--host", "a.test", "--path", "/app/x", "-o", "json"
    )
    assert routed.returncode == 0, routed.stderr
    (answer,) = json.loads(routed.stdout)
    assert answer["backend"] == "forward default/appsvc:80" and answer["agrees"] is True
    assert (
        lbctl(
            "route", "-f", name, "--provider", provider, "--host", "a", "--path", "/", "--strict"
        ).returncode
        == 1
    )


def test_validate_names_each_missing_service(tmp_path: Path) -> None:
    name = write(tmp_path, "ingress.yaml", two_paths("alb"))
    problems = json.loads(lbctl("validate", "-f", name, "-o", "json").stdout)
    assert [(p["severity"], p["field"], p["message"]) for p in problems] == [
        (
            "warning",
            "spec.rules[0].http.paths[0].backend",
            "Service default/appsvc is not in the files: its port and targets are assumed",
        ),
        (
            "warning",
            "spec.rules[0].http.paths[1].backend",
            "Service default/apisvc is not in the files: its port and targets are assumed",
        ),
    ]


def test_node_port_left_to_the_cluster(tmp_path: Path) -> None:
    name = write(tmp_path, "app.yaml", two_paths("alb"), *node_port_services())
    result = lbctl("plan", "-f", name, "--strict")
    assert result.returncode == 0, result.stderr  # nothing is wrong: the API server assigns node ports
    assert result.stdout.count("node port (assigned by the cluster)") == 2
    assert "has no nodePort" not in result.stdout + result.stderr
    spec = json.loads(lbctl("plan", "-f", name, "-o", "json").stdout)[0]
    assert {k: b["assumed"] for k, b in spec["backends"].items()} == {
        "default/appsvc:80": ["nodePort"],
        "default/apisvc:8080": ["nodePort"],
    }


@pytest.mark.parametrize("provider", ["aws", "gcp"])
def test_offline_cloud_plan_of_snippets(tmp_path: Path, provider: str) -> None:
    """The providers plan assumed backends too: target groups / backend services with no targets."""
    cls = "alb" if provider == "aws" else "gce"
    only = write(tmp_path, "only.yaml", two_paths(cls))
    with_services = write(tmp_path, "services.yaml", two_paths(cls), *node_port_services())
    for name in (only, with_services):
        done = lbctl("plan", "-f", name, "--provider", provider, "--offline", "-o", "json")
        assert done.returncode == 0, done.stderr
        (doc,) = json.loads(done.stdout)
        created = [c["kind"] for c in doc["changes"] if c["action"] == "create"]
        if provider == "aws":
            assert created.count("TargetGroup") == 2 and "LoadBalancer" in created and "Rule" in created
            assert all(b["health_check"]["port"] == "traffic-port" for b in doc["backends"].values())
        else:  # two paths + the cluster default backend
            assert (
                created.count("BackendService") == 3 and "UrlMap" in created and "ForwardingRule" in created
            )
            assert "InstanceGroup" not in created, "no node port known: no instance group members yet"


def test_gke_ingress_without_default_backend_uses_the_cluster_default(tmp_path: Path) -> None:
    files = [
        "-f",
        write(tmp_path, "app.yaml", two_paths("gce"), *node_port_services()),
        "-f",
        DEFAULT_BACKEND_MANIFEST,
    ]
    result = lbctl("plan", *files, "--provider", "gcp")
    assert result.returncode == 0, result.stderr
    assert f"default backend: {GKE_DEFAULT} (the cluster default backend)" in result.stdout
    spec = json.loads(lbctl("plan", *files, "--provider", "gcp", "-o", "json").stdout)[0]
    assert spec["cluster_default"] == GKE_DEFAULT
    assert sorted(spec["backends"]) == ["default/apisvc:8080", "default/appsvc:80", GKE_DEFAULT]
    default = spec["backends"][GKE_DEFAULT]
    assert (default["assumed"], default["health_check"]["path"]) == (["nodePort"], "/healthz")
    offline = json.loads(lbctl("plan", *files, "--provider", "gcp", "--offline", "-o", "json").stdout)[0]
    assert [c["kind"] for c in offline["changes"]].count("BackendService") == 3
    routed = lbctl(
        "route", *files, "--provider", "gcp", "--host", "a.test", "--path", "/elsewhere", "-o", "json"
    )
    (answer,) = json.loads(routed.stdout)
    assert answer["backend"] == f"forward {GKE_DEFAULT}" and answer["agrees"] is True


def test_gke_cluster_default_not_in_the_files_is_shown_as_assumed(tmp_path: Path) -> None:
    name = write(tmp_path, "app.yaml", two_paths("gce"), *node_port_services())
    result = lbctl("plan", "-f", name, "--provider", "gcp", "--strict")
    # the cluster's own default backend is not the files' business: no warning
    assert result.returncode == 0, result.stderr
    assert (
        f"default backend: {GKE_DEFAULT} (the cluster default backend; not in the files: assumed"
        in result.stdout
    )
    spec = json.loads(lbctl("plan", "-f", name, "--provider", "gcp", "-o", "json").stdout)[0]
    assert spec["backends"][GKE_DEFAULT]["assumed"] == ["service"]
    # another cluster default backend, by flag
    other = json.loads(
        lbctl(
            "plan",
            "-f",
            name,
            "--provider",
            "gcp",
            "-o",
            "json",
            "--default-backend-service",
            "default/appsvc:80",
        ).stdout
    )[0]
    assert other["cluster_default"] == "default/appsvc:80" and len(other["backends"]) == 2


def test_aws_has_no_cluster_default_backend(tmp_path: Path) -> None:
    name = write(tmp_path, "app.yaml", two_paths("alb"), *node_port_services())
    spec = json.loads(lbctl("plan", "-f", name, "--provider", "aws", "-o", "json").stdout)[0]
    assert "cluster_default" not in spec and "default_action" not in spec  # the ALB's fixed 404
    assert "default backend:" not in lbctl("plan", "-f", name, "--provider", "aws").stdout


def test_bad_default_backend_service_is_refused(tmp_path: Path) -> None:
    name = write(tmp_path, "app.yaml", two_paths("gce"))
    for command in (["plan"], ["validate"], ["route", "--host", "a", "--path", "/"]):
        result = lbctl(*command, "-f", name, "--default-backend-service", "default-http-backend")
        assert result.returncode == 2 and "expected NAMESPACE/NAME:PORT" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_no_ingress_served_only_when_none_is(tmp_path: Path) -> None:
    other = write(tmp_path, "nginx.yaml", ingress("web", rule(None, path("/", "appsvc")), class_name="nginx"))
    assert "No Ingress served by lbctl in these files." in lbctl("plan", "-f", other).stdout
    assert (
        "No Ingress served by lbctl in these files: 404"
        in lbctl("route", "-f", other, "--host", "a", "--path", "/").stdout
    )
    served = write(tmp_path, "served.yaml", two_paths("alb"))
    assert "No Ingress served" not in lbctl("plan", "-f", served).stdout
