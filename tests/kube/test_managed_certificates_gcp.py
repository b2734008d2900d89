"""An Ingress with `networking.gke.io/managed-certificates` under the real controller (Kubernetes API emulator +
Compute emulator): the ManagedCertificate's status goes Provisioning → Active as the certificate is issued, a
change of its domains keeps HTTPS on an ACTIVE certificate, and deleting the Ingress leaves nothing of ours."""

from __future__ import annotations

from typing import Any

import kubernetes
import pytest

from emulators.gce import ComputeEmulator
from emulators.gce.project import create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import ingress, node, service
from emulators.testing.waiting import address_of, gone, wait_for
from lbctl.model.annotations import MANAGED_CERTIFICATES

PROJECT = "mcrt-project"
WHERE = ("networking.gke.io", "v1", "default", "managedcertificates")


def _status(api: kubernetes.client.ApiClient) -> dict[str, Any]:
    found = kubernetes.client.CustomObjectsApi(api).get_namespaced_custom_object(*WHERE, "shop-cert")
    return dict(found.get("status") or {})


def _proxy_certificates(compute: ComputeEmulator) -> list[dict[str, Any]]:
    inventory = compute.inventory()
    (proxy,) = [v for k, v in inventory.items() if "/targetHttpsProxies/" in k]
    by_link = {v["selfLink"]: v for k, v in inventory.items() if "/sslCertificates/" in k}
    return [by_link[link] for link in proxy["sslCertificates"]]


@pytest.mark.usefixtures("kube_crds")  # ManagedCertificate is served once its CRD is applied
def test_status_goes_provisioning_to_active_and_domain_changes_keep_https(
    kube: KubeEmulator, api: kubernetes.client.ApiClient
) -> None:
    with ComputeEmulator(port=0) as compute:
        project = create_gcp_project(compute.url, PROJECT, {"gke-a": "us-central1-a"}, "shop-ip")
        core = kubernetes.client.CoreV1Api(api)
        core.create_node(node("gke-a", f"gce://{PROJECT}/us-central1-a/gke-a", "us-central1-a"))
        core.create_namespaced_service("default", service("users", 30080))
        objects = kubernetes.client.CustomObjectsApi(api)
        objects.create_namespaced_custom_object(
            *WHERE,
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "ManagedCertificate",
                "metadata": {"name": "shop-cert"},
                "spec": {"domains": ["shop.example.com"]},
            },
        )
        body = ingress(
            "shop",
            {"/users": "users"},
            {"kubernetes.io/ingress.global-static-ip-name": "shop-ip", MANAGED_CERTIFICATES: "shop-cert"},
            class_name="gce",
        )
        body["spec"]["defaultBackend"] = {"service": {"name": "users", "port": {"name": "http"}}}
        net = kubernetes.client.NetworkingV1Api(api)
        process = controller(
            kube,
            "gcp",
            compute.url,
            "e2e",
            project=PROJECT,
            zones=["us-central1-a"],
            certificate_poll_seconds=0.2,
        ).start()
        try:
            net.create_namespaced_ingress("default", body)
            address = wait_for(lambda: address_of(api, "shop"), what="status IP")
            assert address == project.static_ip
            provisioning = wait_for(
                lambda: _status(api).get("certificateStatus") == "Provisioning" and _status(api)
            )
            assert provisioning["domainStatus"] == [{"domain": "shop.example.com", "status": "Provisioning"}]
            assert provisioning["certificateName"].startswith("k8s2-mc-") and "expireTime" not in provisioning

            compute.set_dns({"shop.example.com": address, "www.example.com": address})
            compute.provision_certificates()  # the issuer runs; the controller sees it on its next look
            active = wait_for(lambda: _status(api).get("certificateStatus") == "Active" and _status(api))
            assert active["domainStatus"] == [{"domain": "shop.example.com", "status": "Active"}]
            assert active["expireTime"] and active["certificateName"] == provisioning["certificateName"]
            wait_for(lambda: process.controller.queue.idle, what="nothing left to do")
            writes = process.stats.total(mutating=True)
            process.controller.enqueue_all()
            wait_for(lambda: process.controller.queue.idle, what="resync done")
            assert process.stats.total(mutating=True) == writes, (
                "a resync of an unchanged Ingress must not write"
            )

            objects.patch_namespaced_custom_object(
                *WHERE, "shop-cert", {"spec": {"domains": ["shop.example.com", "www.example.com"]}}
            )
            replaced = wait_for(
                lambda: (
                    _status(api).get("certificateName") not in (None, active["certificateName"])
                    and _status(api)
                ),
                what="the new certificate reported",
            )
            assert replaced["certificateStatus"] == "Provisioning"
            attached = {c["name"]: c["managed"]["status"] for c in _proxy_certificates(compute)}
            assert attached == {
                replaced["certificateName"]: "PROVISIONING",
                active["certificateName"]: "ACTIVE",
            }

            compute.provision_certificates()
            wait_for(lambda: _status(api).get("certificateStatus") == "Active", what="the new one active")
            wait_for(
                lambda: [c["name"] for c in _proxy_certificates(compute)] == [replaced["certificateName"]],
                what="the old certificate detached",
            )
            wait_for(
                lambda: not any(active["certificateName"] in k for k in compute.inventory()),
                what="old one deleted",
            )

            net.delete_namespaced_ingress("shop", "default")
            wait_for(
                lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="Ingress deleted"
            )
            left = [k for k in compute.inventory() if k.rsplit("/", 1)[-1].startswith("k8s2-")]
            assert left == [], f"left behind: {left}"
        finally:
            process.stop()
