"""Server-side Table output: what `kubectl get` prints for each kind, with the real API server's columns."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import kubernetes
import pytest

from emulators.kube import KubeEmulator
from emulators.kube.printers import human_duration
from emulators.kube.tables import to_table

INGRESS = {
    "metadata": {"name": "shop"},
    "spec": {
        "ingressClassName": "alb",
        "tls": [{"hosts": ["shop.example.com"], "secretName": "tls"}],
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "s", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
    },
}


def _create_with_address(emulator: KubeEmulator, address: str) -> None:
    api = emulator.api_client()
    networking = kubernetes.client.NetworkingV1Api(api)
    networking.create_namespaced_ingress("default", INGRESS)
    networking.patch_namespaced_ingress_status(
        "shop", "default", {"status": {"loadBalancer": {"ingress": [{"hostname": address}]}}}
    )


def test_ingress_table_columns(emulator: KubeEmulator) -> None:
    _create_with_address(emulator, "lb.example.net")
    body = emulator.store.list(
        emulator.kind("networking.k8s.io/v1", "ingresses"), "default", None, None, None, None
    )
    table = to_table("Ingress", body)
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Class",
        "Hosts",
        "Address",
        "Ports",
        "Age",
    ]
    assert table["rows"][0]["cells"][:5] == ["shop", "alb", "shop.example.com", "lb.example.net", "80, 443"]


def test_kubectl_get_ingress_shows_address(emulator: KubeEmulator, tmp_path: Path) -> None:
    _create_with_address(emulator, "k8s-default-shop-0123456789.us-east-1.elb.amazonaws.com")
    kubeconfig = emulator.write_kubeconfig(tmp_path / "config")
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), "get", "ingress"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    header, row = out.splitlines()[:2]
    assert header.split() == ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    assert row.split()[:4] == [
        "shop",
        "alb",
        "shop.example.com",
        "k8s-default-shop-0123456789.us-east-1.elb.amazonaws.com",
    ]


def _cells(line: str) -> list[str]:
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]


def _blocks(out: str) -> dict[str, list[list[str]]]:
    """kubectl's output for several kinds: header (first cell) → rows, each split into cells."""
    blocks: dict[str, list[list[str]]] = {}
    for block in out.strip().split("\n\n"):
        lines = block.strip().splitlines()
        header = " | ".join(_cells(lines[0]))
        blocks[header] = [_cells(line) for line in lines[1:]]
    return blocks


NODE_INFO = {
    "architecture": "amd64",
    "bootID": "b",
    "containerRuntimeVersion": "containerd://2.0.0",
    "kernelVersion": "6.8.0",
    "kubeProxyVersion": "",
    "kubeletVersion": "v1.32.0",
    "machineID": "m",
    "operatingSystem": "linux",
    "osImage": "Ubuntu 24.04",
    "systemUUID": "u",
}


def _populate(emulator: KubeEmulator) -> None:
    api = emulator.api_client()
    core = kubernetes.client.CoreV1Api(api)
    kubernetes.client.AppsV1Api(api).create_namespaced_deployment(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": "web:1"}]},
                },
            },
        },
    )
    core.create_node(
        {
            "metadata": {"name": "node-a", "labels": {"node-role.kubernetes.io/worker": ""}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": NODE_INFO},
        }
    )
    core.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "type": "NodePort",
                "clusterIP": "10.96.0.50",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
            },
        },
    )
    core.create_namespaced_service(
        "default",
        {
            "metadata": {"name": "lb"},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": "web"},
                "ports": [{"port": 443, "nodePort": 30443}],
            },
        },
    )
    core.create_namespaced_event(
        "default",
        {
            "metadata": {"name": "shop.1"},
            "involvedObject": {"kind": "Ingress", "name": "shop", "namespace": "default"},
            "reason": "Synced",
            "type": "Normal",
            "message": "load balancer ready",
            "count": 1,
            "firstTimestamp": "2026-01-01T00:00:00Z",
            "lastTimestamp": "2026-01-01T00:00:00Z",
        },
    )
    core.create_namespaced_pod(
        "default",
        {
            "metadata": {"name": "web-1", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "example/web:1"}]},
        },
    )
    core.patch_namespaced_pod_status(
        "web-1",
        "default",
        {
            "status": {
                "phase": "Running",
                "podIP": "10.244.0.5",
                "containerStatuses": [
                    {
                        "name": "app",
                        "ready": True,
                        "restartCount": 0,
                        "image": "example/web:1",
                        "imageID": "",
                        "state": {"running": {}},
                    }
                ],
            }
        },
    )
    kubernetes.client.DiscoveryV1Api(api).create_namespaced_endpoint_slice(
        "default",
        {
            "metadata": {"name": "web-abc", "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "ports": [{"name": "", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": ["10.244.0.5"], "conditions": {"ready": True}}],
        },
    )


def test_kubectl_get_prints_the_real_columns(tmp_path: Path) -> None:
    with KubeEmulator(controllers=False) as emulator:  # the pod and slice are written here, not by a kubelet
        _populate(emulator)
        kubeconfig = emulator.write_kubeconfig(tmp_path / "config")
        out = subprocess.run(
            [
                "kubectl",
                "--kubeconfig",
                str(kubeconfig),
                "get",
                "svc,events,pods,deploy,nodes,endpointslices",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    blocks = _blocks(out)
    services = blocks["NAME | TYPE | CLUSTER-IP | EXTERNAL-IP | PORT(S) | AGE"]
    assert services[1][:5] == ["service/web", "NodePort", "10.96.0.50", "<none>", "80:30080/TCP"]
    assert services[0][:2] == ["service/lb", "LoadBalancer"] and services[0][3:5] == [
        "<pending>",
        "443:30443/TCP",
    ]
    events = blocks["LAST SEEN | TYPE | REASON | OBJECT | MESSAGE"]
    assert events[0][1:] == ["Normal", "Synced", "ingress/shop", "load balancer ready"]
    assert blocks["NAME | READY | STATUS | RESTARTS | AGE"][0][:4] == ["pod/web-1", "1/1", "Running", "0"]
    assert blocks["NAME | READY | UP-TO-DATE | AVAILABLE | AGE"][0][:4] == [
        "deployment.apps/web",
        "0/2",
        "0",
        "0",
    ]
    assert blocks["NAME | STATUS | ROLES | AGE | VERSION"][0][:3] == ["node/node-a", "Ready", "worker"]
    assert blocks["NAME | STATUS | ROLES | AGE | VERSION"][0][-1] == "v1.32.0"
    slices = blocks["NAME | ADDRESSTYPE | PORTS | ENDPOINTS | AGE"]
    assert slices[0][:4] == ["endpointslice.discovery.k8s.io/web-abc", "IPv4", "8080", "10.244.0.5"]


def test_kubectl_get_workloads(tmp_path: Path) -> None:
    with KubeEmulator(controllers=False) as emulator:
        api = emulator.api_client()
        template = {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "example/web:1"}]},
        }
        kubernetes.client.AppsV1Api(api).create_namespaced_deployment(
            "default",
            {
                "metadata": {"name": "web"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template},
            },
        )
        kubernetes.client.AppsV1Api(api).create_namespaced_replica_set(
            "default",
            {
                "metadata": {"name": "web-5d4f"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template},
            },
        )
        kubeconfig = emulator.write_kubeconfig(tmp_path / "config")
        out = subprocess.run(
            ["kubectl", "--kubeconfig", str(kubeconfig), "get", "deploy,rs", "-o", "wide"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    blocks = _blocks(out)
    deploy = blocks["NAME | READY | UP-TO-DATE | AVAILABLE | AGE | CONTAINERS | IMAGES | SELECTOR"]
    assert deploy[0][:4] == ["deployment.apps/web", "0/2", "0", "0"] and deploy[0][5:] == [
        "app",
        "example/web:1",
        "app=web",
    ]
    replica_sets = blocks["NAME | DESIRED | CURRENT | READY | AGE | CONTAINERS | IMAGES | SELECTOR"]
    assert replica_sets[0][:4] == ["replicaset.apps/web-5d4f", "2", "0", "0"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (4 * 3600 + 60, "4h1m"),
        (30 * 3600, "30h"),
        (3 * 86400, "3d"),
    ],
)
def test_ages_read_as_kubectl_prints_them(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text
