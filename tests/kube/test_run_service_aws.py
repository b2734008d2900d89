"""Issue 16's done-when, as a process: the internal-NLB `loki` Service applied to the embedded cluster with
`lbctl run --provider aws` becomes an internal NLB with a TCP:3100 listener and the nodes registered on the
NodePort; `kubectl get svc` shows the NLB's DNS name as EXTERNAL-IP; deleting the Service removes it all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import kubernetes

from emulators.aws import DEMO_KEYS, AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.objects import node
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import free_port, gone, health_ready, wait_for

CLUSTER = "l4"
LOKI = {
    "metadata": {
        "name": "loki",
        "annotations": {
            "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
        },
    },
    "spec": {
        "type": "LoadBalancer",
        "ports": [{"name": "http", "port": 3100, "targetPort": 3100}],
        "selector": {"app": "loki"},
    },
}


def test_loki_service_becomes_an_internal_nlb(account: AwsAccount, tmp_path: Path) -> None:
    with KubeEmulator() as kube:
        api = kube.api_client()
        core = kubernetes.client.CoreV1Api(api)
        for name, instance in account.instances.items():
            zone = "us-east-1a" if name == "node-a" else "us-east-1b"
            core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
        health = free_port()
        env = {
            **os.environ,
            **{k.upper(): v for k, v in DEMO_KEYS.items()},
            "LBCTL_CLUSTER_NAME": CLUSTER,
            "LBCTL_KUBE_API_TOKEN": kube.token,
        }
        log = open(tmp_path / "run.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                LBCTL,
                "run",
                "--provider",
                "aws",
                "--endpoint-url",
                account.endpoint_url,
                "--aws-vpc-id",
                account.vpc_id,
                "--kube-api-url",
                kube.url,
                "--metrics-addr",
                "",
                "--health-addr",
                f"127.0.0.1:{health}",
                "--claim-unclassed-services",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        try:
            wait_for(lambda: health_ready(health), timeout=60, what="/readyz")
            core.create_namespaced_service("default", LOKI)

            def hostname() -> str | None:
                entries = core.read_namespaced_service("loki", "default").status.load_balancer.ingress or []
                return entries[0].hostname if entries else None

            dns = wait_for(hostname, timeout=60, what="NLB hostname in the Service status")
            elb = account.client("elbv2")
            (lb,) = elb.describe_load_balancers()["LoadBalancers"]
            assert (lb["DNSName"], lb["Type"], lb["Scheme"]) == (dns, "network", "internal")
            (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
            assert (listener["Protocol"], listener["Port"]) == ("TCP", 3100)
            node_port = core.read_namespaced_service("loki", "default").spec.ports[0].node_port
            tg = listener["DefaultActions"][0]["TargetGroupArn"]
            registered = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
            assert sorted((d["Target"]["Id"], d["Target"]["Port"]) for d in registered) == sorted(
                (i, node_port) for i in account.instances.values()
            )
            kubeconfig = kube.write_kubeconfig(tmp_path / "kubeconfig")
            shown = subprocess.run(
                ["kubectl", "--kubeconfig", str(kubeconfig), "get", "svc", "loki"],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            header, row = shown.splitlines()[:2]
            assert row.split()[header.split().index("EXTERNAL-IP")] == dns

            core.delete_namespaced_service("loki", "default")
            wait_for(
                lambda: gone(lambda: core.read_namespaced_service("loki", "default")), what="Service gone"
            )
            assert elb.describe_load_balancers()["LoadBalancers"] == []
            assert elb.describe_target_groups()["TargetGroups"] == []
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        assert code == 0, (tmp_path / "run.log").read_text()[-3000:]
