"""Secrets are read only as needed: the controller watches just the Secrets its Ingress groups reference
(one `metadata.name` watch each), caches only the data keys it uses, follows a TLS rotation, and stops
watching a Secret no group references any more (controller + Kubernetes API emulator + moto)."""

from __future__ import annotations

import base64
import json
from typing import Any

import kubernetes
import requests

from emulators.aws import add_aws_instances, create_aws_account
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.controller import controller
from emulators.testing.objects import ingress, node, service
from emulators.testing.waiting import address_of, gone, wait_for
from lbctl.kube.resources import strip_secret
from lbctl.kube.secrets import SecretWatches

CLUSTER = "secrets"


def tls_secret(name: str, serial: int, **extra: str) -> dict:
    cert, key = self_signed("www.example.com", serial=serial)
    data = {"tls.crt": cert, "tls.key": key, **extra}
    last_applied = json.dumps(
        {"kind": "Secret", "data": {"tls.key": "…the whole key, as kubectl apply keeps it"}}
    )
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied},
        },
        "type": "kubernetes.io/tls",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def imported_serials(acm: Any) -> set[int]:
    """Serial numbers of the certificates lbctl imported (tagged by it) that still exist (one the
    controller deletes while this reads is skipped)."""
    from cryptography import x509

    out = set()
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        arn = summary["CertificateArn"]
        try:
            tags = {
                t["Key"]: t.get("Value") for t in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]
            }
            pem = acm.get_certificate(CertificateArn=arn)["Certificate"]
        except acm.exceptions.ResourceNotFoundException:
            continue
        if tags.get("lbctl.io/cluster") == CLUSTER:
            out.add(x509.load_pem_x509_certificate(pem.encode()).serial_number)
    return out


def test_only_referenced_secrets_are_watched_stripped_and_followed(moto_url: str) -> None:
    requests.post(f"{moto_url}/moto-api/reset", timeout=10)
    account = create_aws_account(moto_url, "us-east-1", CLUSTER, ("us-east-1a", "us-east-1b"))
    instances = add_aws_instances(account, {"node-a": "us-east-1a", "node-b": "us-east-1b"})
    acm = account.client("acm")
    with KubeEmulator() as kube:
        api = kube.api_client()
        core, net = kubernetes.client.CoreV1Api(api), kubernetes.client.NetworkingV1Api(api)
        for name, instance in instances.items():
            zone = "us-east-1a" if name == "node-a" else "us-east-1b"
            core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
        core.create_namespaced_service("default", service("users", 30080))
        core.create_namespaced_secret("default", tls_secret("web-tls", 51, **{"ca.crt": "not used"}))
        core.create_namespaced_secret("default", tls_secret("unrelated", 52))
        core.create_namespaced_secret(
            "default",
            {
                "metadata": {"name": "db-password", "namespace": "default"},
                "data": {"password": base64.b64encode(b"hunter2").decode()},
            },
        )
        process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
        watches = process.controller.informers["Secret"]
        assert isinstance(watches, SecretWatches)
        try:
            assert watches.items() == [], "no Secret is read before a group needs one"
            body = ingress(
                "shop", {"/": "users"}, {"alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]'}
            )
            body["spec"]["tls"] = [{"hosts": ["www.example.com"], "secretName": "web-tls"}]
            net.create_namespaced_ingress("default", body)
            wait_for(lambda: address_of(api, "shop"), what="converged with the certificate from the Secret")
            assert imported_serials(acm) == {51}
            cached = watches.items()
            assert [c.raw["metadata"]["name"] for c in cached] == ["web-tls"]
            assert sorted(cached[0].raw["data"]) == ["tls.crt", "tls.key"]  # ca.crt is never kept
            assert "annotations" not in cached[0].raw["metadata"]

            # A rotation reaches the load balancer through the Secret's own watch.
            core.replace_namespaced_secret("web-tls", "default", tls_secret("web-tls", 53))
            wait_for(
                lambda: imported_serials(acm) == {53},
                what="the rotated certificate imported, the old deleted",
            )

            # No group references it any more: its watch stops, nothing stays cached.
            net.delete_namespaced_ingress("shop", "default")
            wait_for(lambda: gone(lambda: net.read_namespaced_ingress("shop", "default")), what="deleted")
            wait_for(lambda: watches.watched() == set(), what="the Secret's watch stopped")
            assert watches.items() == []
        finally:
            process.stop()


def test_strip_secret_keeps_only_identity_type_and_used_keys() -> None:
    raw = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "a",
            "namespace": "b",
            "uid": "u",
            "resourceVersion": "7",
            "labels": {"x": "y"},
            "annotations": {"k": "v"},
            "managedFields": [{"manager": "kubectl"}],
        },
        "data": {"clientID": "aWQ=", "clientSecret": "c2U=", "other": "b3Q="},
        "stringData": {"tls.key": "k"},
    }
    assert strip_secret(raw) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "a", "namespace": "b", "uid": "u", "resourceVersion": "7"},
        "data": {"clientID": "aWQ=", "clientSecret": "c2U="},
        "stringData": {"tls.key": "k"},
    }


def test_secrets_needed_names_tls_oidc_and_service_level_oidc_and_survives_bad_json() -> None:
    from lbctl.kube.routing import secrets_needed
    from lbctl.model.snapshot import ClusterSnapshot, parse_object

    oidc = "alb.ingress.kubernetes.io/auth-idp-oidc"
    snapshot = ClusterSnapshot.from_objects(
        [
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "api",
                    "namespace": "shop",
                    "annotations": {oidc: '{"secretName": "svc-oidc"}'},
                },
                "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30001}]},
            },
        ]
    )

    def ingress(annotations: dict[str, str], tls: list[dict[str, str]]) -> object:
        (parsed,) = parse_object(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
                "spec": {"tls": tls, "defaultBackend": {"service": {"name": "api", "port": {"number": 80}}}},
            }
        )
        return parsed

    good = ingress({oidc: '{"secretName": "ing-oidc"}'}, [{"secretName": "web-tls"}])
    assert secrets_needed([good], snapshot) == {"shop/ing-oidc", "shop/web-tls", "shop/svc-oidc"}
    deep = "[" * 5000
    bad = ingress(
        {oidc: deep, "alb.ingress.kubernetes.io/actions.x": '{"forwardConfig": {"targetGroups": 5}}'}, []
    )
    assert secrets_needed([bad], snapshot) == {"shop/svc-oidc"}
