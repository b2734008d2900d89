"""Event routing: a change to a Service named only in an `actions.*` forward config, or to the OIDC client
Secret named in `auth-idp-oidc`, reaches the Ingress group that uses it (controller + emulator + moto)."""

from __future__ import annotations

import base64
import json
from typing import Any

import kubernetes
import pytest

from emulators.aws import AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.controller import controller
from emulators.testing.objects import endpoint_slice, node, service
from emulators.testing.waiting import address_of, events_for, wait_for

CLUSTER = "routing"
PREFIX = "alb.ingress.kubernetes.io/"
OIDC = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/auth",
    "tokenEndpoint": "https://idp.example.com/token",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "secretName": "oidc-client",
}


@pytest.fixture
def cluster(
    kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount
) -> kubernetes.client.ApiClient:
    core = kubernetes.client.CoreV1Api(api)
    for name, instance in account.instances.items():
        zone = "us-east-1a" if name == "node-a" else "us-east-1b"
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    core.create_namespaced_service("default", service("users", 30080))
    return api


def _ingress(name: str, annotations: dict[str, str], backend: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "annotations": {PREFIX + k: v for k, v in annotations.items()},
        },
        "spec": {
            "ingressClassName": "alb",
            "rules": [
                {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": backend}}]}}
            ],
        },
    }


def _target_ips(account: AwsAccount, service_name: str) -> set[str] | None:
    """IPs registered in the target group of `service_name`, or None while it has none."""
    elbv2 = account.client("elbv2")
    for group in elbv2.describe_target_groups()["TargetGroups"]:
        tags = elbv2.describe_tags(ResourceArns=[group["TargetGroupArn"]])["TagDescriptions"][0]["Tags"]
        if any(service_name in t["Value"] for t in tags if t["Key"] == "lbctl.io/resource"):
            health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            return {t["Target"]["Id"] for t in health["TargetHealthDescriptions"]}
    return None


def _client_secret_fingerprints(account: AwsAccount) -> set[str]:
    """The `lbctl.io/client-secret` tag of every rule: it changes when the OIDC client secret does."""
    elbv2 = account.client("elbv2")
    out = set()
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            arns = [r["RuleArn"] for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]]
            for description in elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]:
                out.update(t["Value"] for t in description["Tags"] if t["Key"] == "lbctl.io/client-secret")
    return out


def _rule_action_types(account: AwsAccount) -> list[list[str]]:
    elbv2 = account.client("elbv2")
    out = []
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                if not rule["IsDefault"]:
                    out.append([a["Type"] for a in sorted(rule["Actions"], key=lambda a: a.get("Order", 0))])
    return out


def test_service_named_only_in_a_forward_action(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    core = kubernetes.client.CoreV1Api(cluster)
    discovery = kubernetes.client.DiscoveryV1Api(cluster)
    net = kubernetes.client.NetworkingV1Api(cluster)
    weighted = {
        "type": "forward",
        "forwardConfig": {
            "targetGroups": [
                {"serviceName": "users", "servicePort": "80", "weight": 80},
                {"serviceName": "billing", "servicePort": "80", "weight": 20},
            ]
        },
    }
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        net.create_namespaced_ingress(
            "default",
            _ingress(
                "shop",
                {"target-type": "ip", "actions.weighted": json.dumps(weighted)},
                {"name": "weighted", "port": {"name": "use-annotation"}},
            ),
        )
        warning = wait_for(
            lambda: [m for t, _, m in events_for(cluster, "shop") if t == "Warning" and "billing" in m],
            what="Warning naming the missing Service billing",
        )
        assert warning
        # The Service appears, then its endpoints: each change reaches the group although no rule names it.
        core.create_namespaced_service("default", service("billing", 30090))
        discovery.create_namespaced_endpoint_slice("default", endpoint_slice("billing", ["10.0.0.31"]))
        wait_for(lambda: address_of(cluster, "shop"), what="the Ingress converges once billing exists")
        wait_for(lambda: _target_ips(account, "billing") == {"10.0.0.31"}, what="billing's pod registered")
        discovery.replace_namespaced_endpoint_slice(
            "billing-abc", "default", endpoint_slice("billing", ["10.0.0.31", "10.0.0.32"])
        )
        wait_for(
            lambda: _target_ips(account, "billing") == {"10.0.0.31", "10.0.0.32"}, what="billing scaled up"
        )
    finally:
        process.stop()


def test_oidc_client_secret_created_after_the_ingress(
    kube: KubeEmulator, cluster: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    core = kubernetes.client.CoreV1Api(cluster)
    net = kubernetes.client.NetworkingV1Api(cluster)
    cert, key = self_signed("www.example.com", serial=77)
    arn = account.client("acm").import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
        "CertificateArn"
    ]
    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        net.create_namespaced_ingress(
            "default",
            _ingress(
                "login",
                {"certificate-arn": arn, "auth-type": "oidc", "auth-idp-oidc": json.dumps(OIDC)},
                {"name": "users", "port": {"name": "http"}},
            ),
        )
        wait_for(
            lambda: [m for t, _, m in events_for(cluster, "login") if t == "Warning" and "oidc-client" in m],
            what="Warning naming the missing OIDC Secret",
        )
        assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
        data = {"clientID": "login-client", "clientSecret": "created-later-7c1d"}
        core.create_namespaced_secret(
            "default",
            {
                "metadata": {"name": "oidc-client", "namespace": "default"},
                "type": "Opaque",
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
            },
        )
        wait_for(lambda: address_of(cluster, "login"), what="the Ingress converges once its Secret exists")
        assert ["authenticate-oidc", "forward"] in _rule_action_types(account)
        # A rotation after the converge: only the Secret's watch event can bring it to the rule.
        before = _client_secret_fingerprints(account)
        assert len(before) == 1
        rotated = base64.b64encode(b"rotated-9e2a").decode()
        core.patch_namespaced_secret("oidc-client", "default", {"data": {"clientSecret": rotated}})
        wait_for(
            lambda: _client_secret_fingerprints(account) not in (set(), before),
            what="rotated secret on the rule",
        )
    finally:
        process.stop()
