"""Issue 16's done-when for Google Cloud, as a process: a GKE Service with `networking.gke.io/load-balancer-type:
Internal` applied to the embedded cluster with `lbctl run --provider gcp` becomes an internal passthrough load
balancer on the Compute emulator (regional backend service, health check, forwarding rule, firewall rules);
`kubectl get svc` shows the forwarding rule's IP as EXTERNAL-IP; deleting the Service removes it all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import kubernetes

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project, create_subnetworks
from emulators.kube import KubeEmulator
from emulators.testing.gcp_stacks import PROJECT, of, ours
from emulators.testing.objects import node
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import free_port, gone, health_ready, wait_for

CLUSTER = "l4"
NODES = {"gke-l4-a": "us-central1-a", "gke-l4-b": "us-central1-b"}
LOKI = {
    "metadata": {"name": "loki", "annotations": {"networking.gke.io/load-balancer-type": "Internal"}},
    "spec": {
        "type": "LoadBalancer",
        "ports": [{"name": "http", "port": 3100, "targetPort": 3100}],
        "selector": {"app": "loki"},
    },
}


def test_internal_gke_service_becomes_a_passthrough_load_balancer(tmp_path: Path) -> None:
    with KubeEmulator() as kube, ComputeEmulator(port=0) as compute:
        create_gcp_project(compute.url, PROJECT, NODES, None)
        create_subnetworks(compute.url, PROJECT, "us-central1")
        core = kubernetes.client.CoreV1Api(kube.api_client())
        for name, zone in NODES.items():
            core.create_node(node(name, f"gce://{PROJECT}/{zone}/{name}", zone))
        health = free_port()
        env = {**os.environ, "LBCTL_CLUSTER_NAME": CLUSTER, "LBCTL_KUBE_API_TOKEN": kube.token}
        log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                LBCTL,
                "run",
                "--provider",
                "gcp",
                "--endpoint-url",
                compute.url,
                "--gcp-project",
                PROJECT,
                "--gcp-zone",
                "us-central1-a",
                "--gcp-zone",
                "us-central1-b",
                "--kube-api-url",
                kube.url,
                "--metrics-addr",
                "",
                "--health-addr",
                f"127.0.0.1:{health}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            wait_for(lambda: health_ready(health), timeout=60, what="/readyz")
            core.create_namespaced_service("default", LOKI)

            def ip() -> str | None:
                entries = core.read_namespaced_service("loki", "default").status.load_balancer.ingress or []
                return entries[0].ip if entries else None

            address = wait_for(ip, timeout=60, what="the forwarding rule's IP in the Service status")
            (rule,) = of(compute, "forwardingRules")
            assert (rule["IPAddress"], rule["loadBalancingScheme"], rule["ports"]) == (
                address,
                "INTERNAL",
                ["3100"],
            )
            (bs,) = of(compute, "backendServices")
            assert bs["loadBalancingScheme"] == "INTERNAL" and len(bs["backends"]) == 2
            (hc,) = of(compute, "healthChecks")
            assert hc["httpHealthCheck"]["port"] == 10256
            assert len(of(compute, "firewalls")) == 2
            kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
            shown = subprocess.run(
                ["kubectl", "--kubeconfig", str(kubeconfig), "get", "svc", "loki"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            header, row = shown.splitlines()[:2]
            assert row.split()[header.split().index("EXTERNAL-IP")] == address

            core.delete_namespaced_service("loki", "default")
            wait_for(
                lambda: gone(lambda: core.read_namespaced_service("loki", "default")), what="Service gone"
            )
            assert ours(compute) == {}  # the instance groups too: no Ingress shares them
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
