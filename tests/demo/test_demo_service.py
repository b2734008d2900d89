"""`lbctl demo -f` with a Service of type LoadBalancer and no Ingress (the L4 issue's internal-NLB example):
the files are accepted, the cloud chosen from the Service's annotations, and the run converges the NLB, sets
the Service's address and deletes it all. The run is in this process (no console-script start-up)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulators.testing.cli import lbctl_in_process
from lbctl.demo.files import DemoInputError, plan_files

LOKI = """
apiVersion: v1
kind: Service
metadata:
  name: loki
  annotations:
    service.beta.kubernetes.io/aws-load-balancer-internal: "true"
    service.beta.kubernetes.io/aws-load-balancer-scheme: internal
    service.beta.kubernetes.io/aws-load-balancer-type: nlb
spec:
  type: LoadBalancer
  ports: [{name: http, port: 3100, targetPort: 3100}]
  selector: {app: loki}
"""


def test_a_service_alone_is_planned_on_the_cloud_its_annotations_name(tmp_path: Path) -> None:
    (tmp_path / "loki.yaml").write_text(LOKI)
    plan = plan_files((str(tmp_path / "loki.yaml"),), None, False)
    assert (plan.provider, plan.services, plan.served) == (
        "aws",
        {"default/loki": "Service:default/loki"},
        [],
    )
    assert any("--claim-unclassed-services" in note for note in plan.notes)  # type nlb: the in-tree name
    (tmp_path / "none.yaml").write_text(LOKI.replace("type: LoadBalancer", "type: ClusterIP"))
    with pytest.raises(DemoInputError, match="no Ingress, no Gateway and no Service of type LoadBalancer"):
        plan_files((str(tmp_path / "none.yaml"),), None, False)


def test_a_service_alone_converges_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "loki.yaml").write_text(LOKI)
    done = lbctl_in_process("demo", "-f", "loki.yaml", cwd=tmp_path)
    out = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "create LoadBalancer k8s-default-loki-" in out and "network, internal" in out
    assert "create Listener" in out and "TCP:3100" in out
    assert "status.loadBalancer.ingress set: k8s-default-loki-" in out and ".elb.amazonaws.com" in out
    assert "Service default/loki: cloud resources deleted, then the finalizer removed" in out
    assert "nothing of ours is left in aws" in out and "Demo finished" in out
