"""Nothing silently dropped, for annotations: every ingress-gce Ingress and Service annotation the registry
declares (lbctl/model/annotations.py) is set alone on a minimal Ingress and its Service and planned through
the functions `lbctl plan --offline -o json` runs, against the CLI's own embedded project. Each either
changes the planned requests (`steps`; for a setting that only takes effect on a cloud error, the spec
document) or is refused by `validate` with an error naming it. The cases are checked against the registry,
so an annotation added there without a case here fails."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project
from emulators.testing.cli import ROOT as ROOT_DIR
from emulators.testing.cli import lbctl_in_process
from lbctl.cli.common import all_problems, build_all, exit_code, plugins
from lbctl.cli.manifests import load
from lbctl.cli.offline import _plan_in_cloud, _translation_problems, plan
from lbctl.cli.render import step_documents
from lbctl.cli.services import service_document, service_specs
from lbctl.model import annotations as a
from lbctl.model.problems import Problem, Severity
from lbctl.provider import ProviderConfig, ServiceInput

CLUSTER = "lbctl"  # the CLI's default --cluster-name
PROJECT, ZONE = "every-annotation", "us-central1-a"
Doc = dict[str, Any]


def _objects() -> list[Doc]:
    ingress: Doc = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "shop", "namespace": "default", "annotations": {}},
        "spec": {
            "ingressClassName": "gce",
            "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/api",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ],
        },
    }
    service: Doc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "annotations": {}},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
    }
    node: Doc = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "gke-node-a", "labels": {"topology.kubernetes.io/zone": ZONE}},
        "spec": {"providerID": f"gce://{PROJECT}/{ZONE}/gke-node-a"},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }
    return [ingress, service, node]


@dataclass(frozen=True)
class Case:
    """`value` set on the Ingress or the Service (`on`); `also`: what must be set with it for it to mean
    anything (the NEG mode for Transparent Health Checks); `probe(document)` must differ with it; `refused`:
    validate refuses it instead, naming the annotation."""

    name: str
    on: str
    value: str
    probe: Callable[[Doc], Any] | None = None
    also: tuple[tuple[str, str], ...] = ()
    refused: bool = False
    extra: tuple[Doc, ...] = ()
    service_plan: bool = False  # probe the Service's own plan (its standalone NEGs), not the Ingress's


def _steps(kind: str) -> Callable[[Doc], Any]:
    return lambda doc: [s["body"] for s in doc["steps"] if s["kind"] == kind]


def _health_check(doc: Doc) -> Any:
    return _steps("HealthCheck")(doc)


def _backend_protocol(doc: Doc) -> Any:
    return [b["protocol"] for b in _steps("BackendService")(doc)]


_BACKEND_CONFIG = {
    "apiVersion": "cloud.google.com/v1",
    "kind": "BackendConfig",
    "metadata": {"name": "web-config", "namespace": "default"},
    "spec": {"timeoutSec": 77},
}
_FRONTEND_CONFIG = {
    "apiVersion": "networking.gke.io/v1beta1",
    "kind": "FrontendConfig",
    "metadata": {"name": "shop-frontend", "namespace": "default"},
    "spec": {"sslPolicy": "modern"},
}
_MANAGED_CERTIFICATE = {
    "apiVersion": "networking.gke.io/v1",
    "kind": "ManagedCertificate",
    "metadata": {"name": "shop-managed", "namespace": "default"},
    "spec": {"domains": ["shop.example.com"]},
}
_NEG = (a.NEG, '{"ingress": true}')

CASES = [
    Case(a.INGRESS_CLASS, "Ingress", "alb", lambda doc: doc.get("steps")),  # another class: no GCE plan
    Case(a.GLOBAL_STATIC_IP, "Ingress", "shop-ip", _steps("ForwardingRule")),
    Case(a.REGIONAL_STATIC_IP, "Ingress", "shop-vip", refused=True),  # class gce: a global load balancer
    Case(a.ALLOW_HTTP, "Ingress", "false", refused=True),  # no TLS: nothing would listen
    Case(a.PRE_SHARED_CERT, "Ingress", "shop-cert", _steps("TargetHttpsProxy")),
    Case(
        a.FRONTEND_CONFIG,
        "Ingress",
        "shop-frontend",
        _steps("TargetHttpsProxy"),
        also=((a.PRE_SHARED_CERT, "shop-cert"),),
        extra=(_FRONTEND_CONFIG,),
    ),
    Case(
        a.MANAGED_CERTIFICATES,
        "Ingress",
        "shop-managed",
        _steps("SslCertificate"),
        extra=(_MANAGED_CERTIFICATE,),
    ),
    Case(a.REWRITE_TARGET_NGINX, "Ingress", "/", _steps("UrlMap")),
    Case(a.REWRITE_TARGET, "Ingress", "/", _steps("UrlMap")),
    Case(
        a.SUPPRESS_FIREWALL_XPN_ERROR,
        "Ingress",
        "true",
        lambda doc: doc["frontend"]["firewall_error_as_warning"],
    ),
    Case(a.NEG, "Service", '{"ingress": true}', _steps("BackendService")),
    Case(
        a.NEG,
        "Service",
        '{"exposed_ports": {"80": {"name": "web-neg"}}}',
        _steps("NetworkEndpointGroup"),
        service_plan=True,
    ),
    Case(
        a.BACKEND_CONFIG,
        "Service",
        '{"default": "web-config"}',
        _steps("BackendService"),
        extra=(_BACKEND_CONFIG,),
    ),
    Case(
        a.BACKEND_CONFIG_BETA,
        "Service",
        '{"default": "web-config"}',
        _steps("BackendService"),
        extra=(_BACKEND_CONFIG,),
    ),
    Case(a.APP_PROTOCOLS, "Service", '{"http": "HTTPS"}', _backend_protocol),
    Case(a.APP_PROTOCOLS_LEGACY, "Service", '{"http": "HTTP2"}', _backend_protocol),
    Case(a.TRANSPARENT_HEALTH_CHECKER, "Service", '{"enabled": true}', _health_check, also=(_NEG,)),
]
REFUSED = [
    # pre-provisioned NEG zones are not made by lbctl: refused by name rather than accepted with no effect
    Case(a.NEG, "Service", '{"exposed_ports": {"80": {}}, "zones": ["*"]}', refused=True),
    Case(a.NEG, "Service", '{"ingress": true, "zones": ["*"]}', refused=True),
    # as ingress-gce: a port the Service does not have, a custom name beside ingress: true
    Case(a.NEG, "Service", '{"exposed_ports": {"81": {}}}', refused=True),
    Case(a.NEG, "Service", '{"ingress": true, "exposed_ports": {"80": {"name": "web-neg"}}}', refused=True),
    # Transparent Health Checks without NEGs, or beside a BackendConfig health check: refused by name
    Case(a.TRANSPARENT_HEALTH_CHECKER, "Service", '{"enabled": true}', refused=True),
    Case(
        a.TRANSPARENT_HEALTH_CHECKER,
        "Service",
        '{"enabled": true}',
        also=(_NEG, (a.BACKEND_CONFIG, '{"default": "hc-config"}')),
        refused=True,
        extra=(
            {
                **_BACKEND_CONFIG,
                "metadata": {"name": "hc-config", "namespace": "default"},
                "spec": {"healthCheck": {"requestPath": "/hc"}},
            },
        ),
    ),
]


def gcp_annotations() -> set[str]:
    """Every input annotation the registry declares for ingress-gce's Ingresses and Services."""
    return {
        ann.name
        for ann in a.REGISTRY
        if not ann.status
        and (ann.provider == "gcp" or ann.name in (a.INGRESS_CLASS, a.REWRITE_TARGET, a.REWRITE_TARGET_NGINX))
    }


@dataclass
class Planned:
    documents: list[Doc]
    problems: list[Problem]
    services: list[Doc]  # the Services' own plans (lbctl/cli/services.py)

    def errors_naming(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.severity == Severity.ERROR and name in f"{p.field} {p.message}"]


class OfflinePlanner:
    """`lbctl plan -f FILE --provider gcp --offline -o json`, through the command's own functions, in one
    embedded project."""

    def __init__(self, config: ProviderConfig, work: Path) -> None:
        self.config, self.work = config, work

    def __call__(self, objects: list[Doc]) -> Planned:
        path = self.work / "manifest.yaml"
        path.write_text(yaml.safe_dump_all(objects))
        ctx = plan.make_context("plan", ["-f", str(path), "--provider", "gcp", "--offline", "-o", "json"])
        opts = {
            k: v
            for k, v in ctx.params.items()
            if k not in {"files", "provider", "class_names", "output", "offline", "live", "strict"}
        }
        result = load((str(path),))
        builds = build_all(result, "gcp", (), "plan", opts, assume_missing=True)
        problems = all_problems(result, builds) + _translation_problems(builds)
        cloud = plugins()["gcp"](self.config)
        documents = []
        for spec in builds["gcp"].specs:
            planned = _plan_in_cloud(cloud, spec, result, problems)
            doc = spec.to_dict()
            if planned is not None:
                doc["steps"] = step_documents(planned.steps)
            documents.append(json.loads(json.dumps(doc, default=str)))
        specs, service_problems = service_specs(result, "gcp", False)
        problems += service_problems
        services = []
        for _, service in specs:
            done = cloud.plan_service(ServiceInput.from_snapshot(service, result.snapshot))
            services.append({**service_document(service), "steps": step_documents(done.steps)})
        return Planned(documents, problems, json.loads(json.dumps(services, default=str)))


@pytest.fixture(scope="module")
def planner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflinePlanner]:
    """An embedded project as `--offline` makes one, holding what the cases name: the node's VM, the static
    IP, a pre-shared certificate and an SSL policy."""
    with ComputeEmulator(port=0) as compute:
        create_gcp_project(compute.url, PROJECT, {"gke-node-a": ZONE}, "shop-ip")
        base = f"{compute.url}/compute/v1/projects/{PROJECT}/global"
        pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
        for path, body in (
            ("sslCertificates", {"name": "shop-cert", "certificate": pem, "privateKey": key}),
            ("sslPolicies", {"name": "modern"}),
        ):
            assert requests.post(f"{base}/{path}", json=body, timeout=10).ok
        config = ProviderConfig(CLUSTER, compute.url, {"project": PROJECT, "zones": [ZONE]})
        yield OfflinePlanner(config, tmp_path_factory.mktemp("every-gcp-annotation"))


def _annotate(objects: list[Doc], name: str, value: str) -> None:
    holder = objects[0] if a.REGISTRY.get(name).scope.name == "INGRESS" else objects[1]
    holder["metadata"]["annotations"][name] = value


def _with(c: Case) -> list[Doc]:
    objects = _without(c)
    _annotate(objects, c.name, c.value)
    return objects


def _without(c: Case) -> list[Doc]:
    objects = _objects()
    for name, value in c.also:
        _annotate(objects, name, value)
    return objects + [dict(e) for e in c.extra]


def test_every_gcp_annotation_has_a_case() -> None:
    assert {c.name for c in CASES} == gcp_annotations()


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_annotation_changes_the_planned_requests_or_is_refused(planner: OfflinePlanner, c: Case) -> None:
    with_it = planner(_with(c))
    if c.refused:
        assert exit_code(with_it.problems) == 2 and with_it.errors_naming(c.name), with_it.problems
        return
    without = planner(_without(c))
    for planned in (with_it, without):
        assert exit_code(planned.problems) == 0, [f"{p.field}: {p.message}" for p in planned.problems]
    assert c.probe is not None
    if c.name == a.INGRESS_CLASS:  # another controller's class: lbctl's GCE plan has nothing of it
        assert without.documents and not with_it.documents
        return
    if c.service_plan:
        probe = c.probe
        assert [probe(d) for d in with_it.services] != [probe(d) for d in without.services], c.name
        return
    (doc,), (base,) = with_it.documents, without.documents
    assert c.probe(doc) != c.probe(base), f"{c.name} does not change the plan"


@pytest.mark.parametrize("c", REFUSED, ids=[f"{c.name}={c.value}" for c in REFUSED])
def test_what_lbctl_cannot_honour_is_refused_naming_it(planner: OfflinePlanner, c: Case) -> None:
    planned = planner(_with(c))
    assert exit_code(planned.problems) == 2
    assert planned.errors_naming(c.name), planned.problems


def test_validate_refuses_preprovisioned_neg_zones_naming_the_annotation(tmp_path: Path) -> None:
    """The real command, as a user runs it."""
    objects = _with(REFUSED[0])
    path = tmp_path / "svc.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    done = lbctl_in_process("validate", "-f", str(path), "--provider", "gcp", "-o", "json", cwd=ROOT_DIR)
    assert done.returncode == 2, done.stdout + done.stderr
    named = [p for p in json.loads(done.stdout) if a.NEG in p["field"] + p["message"]]
    assert named and all(p["severity"] == "error" for p in named), done.stdout
    assert any("zones" in p["message"] for p in named), done.stdout
