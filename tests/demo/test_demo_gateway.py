"""`lbctl demo -f` with Gateway API files: what the demo plans before any emulator starts (the cloud from the
GatewayClass, the Gateways it serves and the routes their listeners take). The run itself is the controller's
Gateway path, tested in tests/kube/test_gateway_aws.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbctl.demo.crds import gateway_api_available
from lbctl.demo.files import DemoInputError, plan_files

FILES = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: CONTROLLER}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  gatewayClassName: lbctl
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, ports: [{port: 80}]}
"""


@pytest.mark.parametrize(("controller", "cloud"), [("lbctl.io/alb", "aws"), ("lbctl.io/gce", "gcp")])
def test_gateway_files_pick_the_cloud_of_their_class(tmp_path: Path, controller: str, cloud: str) -> None:
    (tmp_path / "gw.yaml").write_text(FILES.replace("CONTROLLER", controller))
    plan = plan_files((str(tmp_path / "gw.yaml"),), None, False)
    assert (plan.provider, plan.served) == (cloud, [])
    assert plan.gateways == {"default/edge": "Gateway:default/edge"}
    assert plan.attached == {"default/edge": {"http": 1}}
    assert gateway_api_available()  # the CRDs the demo installs


def test_a_gateway_class_lbctl_does_not_serve_is_named(tmp_path: Path) -> None:
    (tmp_path / "gw.yaml").write_text(FILES.replace("CONTROLLER", "example.com/other"))
    with pytest.raises(DemoInputError, match="lbctl.io/alb"):
        plan_files((str(tmp_path / "gw.yaml"),), None, False)


POLICIES = {
    "aws": """
---
apiVersion: gateway.k8s.aws/v1
kind: TargetGroupConfiguration
metadata: {name: web}
spec:
  targetReference: {name: web}
  defaultConfiguration: {healthCheckConfig: {healthCheckPath: /healthz}}
""",
    "gcp": """
---
apiVersion: networking.gke.io/v1
kind: GCPBackendPolicy
metadata: {name: web}
spec:
  default: {timeoutSec: 45}
  targetRef: {group: "", kind: Service, name: web}
""",
}


@pytest.mark.parametrize(("controller", "cloud"), [("lbctl.io/alb", "aws"), ("lbctl.io/gce", "gcp")])
def test_the_clouds_policies_in_the_files_are_applied_with_their_crds(
    tmp_path: Path, controller: str, cloud: str
) -> None:
    """A policy of the files is one of the objects the demo applies, and the CRDs it installs for the cloud's
    policy kinds are beside the package."""
    from lbctl.demo.crds import POLICY_CRDS

    (tmp_path / "gw.yaml").write_text(FILES.replace("CONTROLLER", controller) + POLICIES[cloud])
    plan = plan_files((str(tmp_path / "gw.yaml"),), None, False)
    assert plan.gateways == {"default/edge": "Gateway:default/edge"}
    kind = "TargetGroupConfiguration" if cloud == "aws" else "GCPBackendPolicy"
    assert [m.name for m in plan.manifests if m.kind == kind] == ["web"]
    assert POLICY_CRDS[cloud] and all(path.is_file() for path in POLICY_CRDS[cloud])
