"""Service allocation and defaults, as a real API server does them: cluster IPs from the service CIDR,
node ports from 30000-32767, refused when taken or out of range, kept across updates, released on delete."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def _service(name: str, kind: str = "ClusterIP", node_port: int | None = None, **spec: Any) -> dict[str, Any]:
    port: dict[str, Any] = {"name": "http", "port": 80}
    if node_port is not None:
        port["nodePort"] = node_port
    return {
        "metadata": {"name": name},
        "spec": {"type": kind, "selector": {"app": name}, "ports": [port], **spec},
    }


def _error(call: Any) -> client.ApiException:
    """The refusal of `call`, with `body` replaced by the Status message for readable asserts."""
    with pytest.raises(client.ApiException) as raised:
        call()
    status = json.loads(raised.value.body)
    assert status["kind"] == "Status" and status["code"] == raised.value.status
    raised.value.body = f"{status['reason']}: {status['message']}"
    return raised.value


def test_cluster_ip_service_gets_an_ip_and_the_defaults(core: client.CoreV1Api) -> None:
    spec = core.create_namespaced_service("default", _service("web")).spec
    assert ipaddress.ip_address(spec.cluster_ip) in SERVICE_CIDR
    assert spec.cluster_ips == [spec.cluster_ip]
    assert (spec.ip_families, spec.ip_family_policy) == (["IPv4"], "SingleStack")
    assert (spec.session_affinity, spec.internal_traffic_policy) == ("None", "Cluster")
    assert spec.external_traffic_policy is None and spec.allocate_load_balancer_node_ports is None
    port = spec.ports[0]
    assert (port.protocol, port.target_port, port.node_port) == ("TCP", 80, None)
    stored = core.read_namespaced_service("web", "default").spec
    assert stored.cluster_ip == spec.cluster_ip


def test_type_defaults_to_cluster_ip(core: client.CoreV1Api) -> None:
    body = {"metadata": {"name": "plain"}, "spec": {"ports": [{"port": 8080, "targetPort": "http"}]}}
    spec = core.create_namespaced_service("default", body).spec
    assert spec.type == "ClusterIP" and spec.ports[0].target_port == "http"


def test_each_service_gets_its_own_ip(core: client.CoreV1Api) -> None:
    ips = {core.create_namespaced_service("default", _service(f"s{i}")).spec.cluster_ip for i in range(20)}
    assert len(ips) == 20


def test_headless_stays_headless(core: client.CoreV1Api) -> None:
    spec = core.create_namespaced_service("default", _service("db", cluster_ip="None")).spec
    assert (spec.cluster_ip, spec.cluster_ips, spec.ip_families) == ("None", ["None"], ["IPv4"])


def test_requested_ip_is_honoured_then_refused_to_others(core: client.CoreV1Api) -> None:
    assert (
        core.create_namespaced_service("default", _service("a", cluster_ip="10.96.0.10")).spec.cluster_ip
        == "10.96.0.10"
    )
    error = _error(lambda: core.create_namespaced_service("default", _service("b", cluster_ip="10.96.0.10")))
    assert error.status == 422
    assert (
        'spec.clusterIPs[0]: Invalid value: "10.96.0.10": failed to allocate IP 10.96.0.10: provided IP is '
        "already allocated" in error.body
    )
    outside = _error(
        lambda: core.create_namespaced_service("default", _service("c", cluster_ip="192.168.0.1"))
    )
    assert outside.status == 422
    assert (
        "the provided IP (192.168.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12"
        in outside.body
    )


def test_cluster_ip_may_not_change(core: client.CoreV1Api) -> None:
    core.create_namespaced_service("default", _service("a", cluster_ip="10.96.0.20"))
    error = _error(
        lambda: core.patch_namespaced_service("a", "default", {"spec": {"clusterIP": "10.96.0.21"}})
    )
    assert error.status == 422 and "may not change once set" in error.body


def test_service_cidr_is_configurable() -> None:
    with KubeEmulator(service_cidr="172.20.0.0/24") as emulator:
        core = client.CoreV1Api(emulator.api_client())
        ip = core.create_namespaced_service("default", _service("web")).spec.cluster_ip
        assert ipaddress.ip_address(ip) in ipaddress.ip_network("172.20.0.0/24")


def test_node_port_allocated_in_range_with_node_port_defaults(core: client.CoreV1Api) -> None:
    spec = core.create_namespaced_service("default", _service("web", "NodePort")).spec
    assert 30000 <= spec.ports[0].node_port <= 32767
    assert spec.external_traffic_policy == "Cluster" and spec.allocate_load_balancer_node_ports is None


def test_load_balancer_defaults_and_health_check_node_port(core: client.CoreV1Api) -> None:
    spec = core.create_namespaced_service("default", _service("lb", "LoadBalancer")).spec
    assert spec.allocate_load_balancer_node_ports is True and spec.external_traffic_policy == "Cluster"
    assert 30000 <= spec.ports[0].node_port <= 32767 and spec.health_check_node_port is None
    local = core.create_namespaced_service(
        "default", _service("local", "LoadBalancer", externalTrafficPolicy="Local")
    ).spec
    assert 30000 <= local.health_check_node_port <= 32767
    assert local.health_check_node_port != local.ports[0].node_port
    no_ports = core.create_namespaced_service(
        "default", _service("np", "LoadBalancer", allocateLoadBalancerNodePorts=False)
    ).spec
    assert no_ports.ports[0].node_port is None


def test_requested_node_port_honoured_and_conflict_is_invalid(core: client.CoreV1Api) -> None:
    assert (
        core.create_namespaced_service("default", _service("a", "NodePort", 30080)).spec.ports[0].node_port
        == 30080
    )
    error = _error(lambda: core.create_namespaced_service("default", _service("b", "NodePort", 30080)))
    assert error.status == 422
    assert (
        'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already '
        "allocated" in error.body
    )
    assert error.body.startswith("Invalid: ")


def test_node_port_out_of_range_and_on_cluster_ip_refused(core: client.CoreV1Api) -> None:
    error = _error(lambda: core.create_namespaced_service("default", _service("a", "NodePort", 8080)))
    assert (
        error.status == 422
        and "spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the "
        "valid range. The range of valid ports is 30000-32767"
        in error.body
    )
    forbidden = _error(lambda: core.create_namespaced_service("default", _service("b", "ClusterIP", 30001)))
    assert forbidden.status == 422 and "may not be used when `type` is 'ClusterIP'" in forbidden.body


def test_node_port_released_on_delete(core: client.CoreV1Api) -> None:
    core.create_namespaced_service("default", _service("a", "NodePort", 30080))
    core.delete_namespaced_service("a", "default")
    assert (
        core.create_namespaced_service("default", _service("b", "NodePort", 30080)).spec.ports[0].node_port
        == 30080
    )


def test_update_without_node_port_keeps_it(core: client.CoreV1Api, api: client.ApiClient) -> None:
    created = core.create_namespaced_service("default", _service("web", "NodePort"))
    allocated = created.spec.ports[0].node_port
    body = _service("web", "NodePort")  # PUT without clusterIP or nodePort, as a client writing its manifest
    body["metadata"]["resourceVersion"] = created.metadata.resource_version
    replaced = core.replace_namespaced_service("web", "default", body).spec
    assert replaced.ports[0].node_port == allocated and replaced.cluster_ip == created.spec.cluster_ip
    patched = core.patch_namespaced_service(
        "web", "default", {"spec": {"ports": [{"port": 80, "name": "http", "targetPort": 8080}]}}
    ).spec
    assert patched.ports[0].node_port == allocated and patched.ports[0].target_port == 8080


def test_changed_node_port_frees_the_old_one(core: client.CoreV1Api) -> None:
    core.create_namespaced_service("default", _service("a", "NodePort", 30100))
    core.patch_namespaced_service("a", "default", {"spec": {"ports": [{"port": 80, "nodePort": 30101}]}})
    assert (
        core.create_namespaced_service("default", _service("b", "NodePort", 30100)).spec.ports[0].node_port
        == 30100
    )


def test_moving_to_cluster_ip_drops_node_ports(core: client.CoreV1Api) -> None:
    core.create_namespaced_service("default", _service("a", "NodePort", 30200))
    spec = core.patch_namespaced_service("a", "default", {"spec": {"type": "ClusterIP"}}).spec
    assert (
        spec.ports[0].node_port is None and spec.external_traffic_policy is None or spec.type == "ClusterIP"
    )
    assert (
        core.create_namespaced_service("default", _service("b", "NodePort", 30200)).spec.ports[0].node_port
        == 30200
    )


def test_dry_run_allocates_nothing(core: client.CoreV1Api) -> None:
    core.create_namespaced_service("default", _service("a", "NodePort", 30300), dry_run="All")
    assert (
        core.create_namespaced_service("default", _service("b", "NodePort", 30300)).spec.ports[0].node_port
        == 30300
    )


def test_kubectl_apply_allocates_and_reports_conflicts(
    emulator: KubeEmulator, tmp_path: Path, core: client.CoreV1Api
) -> None:
    kubeconfig = str(emulator.write_kubeconfig(tmp_path / "config"))
    manifest = tmp_path / "web.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n"
        "  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080}]\n"
    )

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=60
        )

    assert kubectl("apply", "-f", str(manifest)).stdout.strip() == "service/web created"
    allocated = core.read_namespaced_service("web", "default").spec.ports[0].node_port
    assert 30000 <= allocated <= 32767
    assert kubectl("apply", "-f", str(manifest)).stdout.strip() == "service/web unchanged"
    assert core.read_namespaced_service("web", "default").spec.ports[0].node_port == allocated
    clash = tmp_path / "clash.yaml"
    clash.write_text(
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: clash}}\nspec:\n  type: NodePort\n"
        f"  ports: [{{port: 80, nodePort: {allocated}}}]\n"
    )
    refused = kubectl("apply", "-f", str(clash))
    assert refused.returncode == 1
    assert (
        f'The Service "clash" is invalid: spec.ports[0].nodePort: Invalid value: {allocated}: provided port '
        "is already allocated"
    ) in refused.stderr
