"""Every reconcile failure is a Warning Event on every Ingress of its group, and one bad group never blocks the
others: a request the cloud rejects (an injected 4xx, which lbctl cannot know beforehand) is `FailedDeployModel`
naming the field or the cloud resource; throttling and 5xx beyond the retries are `FailedReconcile` with the retry
time; a delete the cloud refuses for one resource removes everything else and says which resource keeps the
finalizer (`FailedCleanup`), and the finalizer goes once the fault is cleared. Repeats count up on one Event.

Faults are injected in front of our code only: botocore event hooks on the provider's clients (AWS) and the
Compute emulator's fault rules (Google Cloud)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import kubernetes
import pytest
from botocore.exceptions import ClientError

from emulators.gce import ComputeEmulator
from emulators.kube import KubeEmulator
from emulators.testing.faults import GCP_PROJECT, World, aws_world, gcp_world
from emulators.testing.waiting import address_of, gone, wait_for
from lbctl.kube.events import FINALIZER
from lbctl.kube.run import ControllerProcess

GROUP = "alb.ingress.kubernetes.io/group.name"


@pytest.fixture
def aws(kube: KubeEmulator, moto_url: str) -> Iterator[World]:
    world = aws_world(kube, moto_url)
    try:
        yield world
    finally:
        world.stop_all()


@pytest.fixture
def gcp(kube: KubeEmulator, compute: ComputeEmulator) -> Iterator[World]:
    world = gcp_world(kube, compute)
    try:
        yield world
    finally:
        world.stop_all()
        compute.faults.clear()


@dataclass
class Reject:
    """A botocore hook: each call of an `operation` (space-separated names) whose request mentions `marker`
    fails with `code` / `status`."""

    operation: str
    marker: str
    code: str
    status: int
    message: str
    enabled: bool = True
    fired: int = 0

    def install(self, process: ControllerProcess) -> Reject:
        for client in process.provider.clients.clients.values():  # type: ignore[attr-defined]
            client.meta.events.register("before-call", self._before)
        return self

    def _before(self, model: Any, params: Any = None, **_: Any) -> None:
        if (
            not self.enabled
            or model.name not in self.operation.split()
            or self.marker not in json.dumps(params, default=str)
        ):
            return
        self.fired += 1
        raise ClientError(
            {
                "Error": {"Code": self.code, "Message": self.message},
                "ResponseMetadata": {"HTTPStatusCode": self.status},
            },
            model.name,
        )


def warnings(world: World, name: str, reason: str) -> list[Any]:
    events = kubernetes.client.CoreV1Api(world.api).list_namespaced_event("default").items
    return [
        e for e in events if e.involved_object.name == name and e.reason == reason and e.type == "Warning"
    ]


def one_event(world: World, name: str, reason: str) -> Any:
    found = warnings(world, name, reason)
    return found[0] if len(found) == 1 else None


def counted(world: World, name: str, reason: str, at_least: int) -> bool:
    """An Event of this reason on the Ingress repeated at least `at_least` times; a repeat (the same message but
    for the retry time) counts up on its Event instead of making another."""
    found = warnings(world, name, reason)
    same = [re.sub(r" \(will retry in [^)]*\)$", "", e.message) for e in found]
    assert len(same) == len(set(same)), f"repeats must count up on one Event: {same}"
    return any((e.count or 0) >= at_least for e in found)


def aws_rule_paths(world: World) -> set[str]:
    assert world.aws is not None
    elb = world.aws.client("elbv2")
    paths: set[str] = set()
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                for condition in rule["Conditions"]:
                    paths.update(condition.get("PathPatternConfig", {}).get("Values") or [])
    return paths


# --------------------------------------------------------------------------- AWS


def test_aws_rejections_are_events_on_every_member_and_others_converge(aws: World) -> None:
    process = aws.start()
    rejected = Reject(
        "CreateRule ModifyRule",
        "/reject-me",
        "ValidationError",
        400,
        "Condition value '/reject-me' contains a character that is not valid",
    ).install(process)
    unavailable = Reject(
        "CreateLoadBalancer", "flaky", "ServiceUnavailable", 503, "Service is unavailable"
    ).install(process)
    throttled = Reject("CreateLoadBalancer", "busy", "Throttling", 400, "Rate exceeded").install(process)
    net = aws.net
    net.create_namespaced_ingress("default", aws.ingress("good", {"/users": "users"}, {GROUP: "shop"}))
    net.create_namespaced_ingress("default", aws.ingress("bad", {"/reject-me": "products"}, {GROUP: "shop"}))
    net.create_namespaced_ingress("default", aws.ingress("flaky", {"/orders": "orders"}, {GROUP: "flaky"}))
    net.create_namespaced_ingress("default", aws.ingress("busy", {"/orders": "orders"}, {GROUP: "busy"}))
    net.create_namespaced_ingress("default", aws.ingress("other", {"/orders": "orders"}))

    # the rejected rule: FailedDeployModel on both members of the group, naming the Ingress field it comes from
    wait_for(
        lambda: all(warnings(aws, n, "FailedDeployModel") for n in ("good", "bad")),
        timeout=90,
        what="FailedDeployModel on every member of the group",
    )
    for name in ("good", "bad"):  # (CreateRule, or ModifyRule of a rule the valid member made first)
        for message in [e.message for e in warnings(aws, name, "FailedDeployModel")]:
            assert re.match(
                r"Ingress default/bad spec.rules\[0\].http.paths\[0\]: AWS rejected (Create|Modify)Rule "
                r"for Rule HTTP:80 #\d \(ValidationError\): Condition value '/reject-me'",
                message,
            ), message
            assert "will retry in" in message
    # the rest of the group converged meanwhile: the valid member's rule exists, the group has its address
    wait_for(
        lambda: address_of(aws.api, "good") and "/users" in aws_rule_paths(aws),
        timeout=60,
        what="the valid member of the group converges",
    )
    # 503s and throttling beyond the retries: FailedReconcile with the retry time, never FailedDeployModel
    wait_for(
        lambda: one_event(aws, "flaky", "FailedReconcile") and one_event(aws, "busy", "FailedReconcile"),
        timeout=90,
        what="FailedReconcile",
    )
    flaky = one_event(aws, "flaky", "FailedReconcile").message
    assert (
        "CreateLoadBalancer for LoadBalancer k8s-flaky" in flaky and "still failing after 8 attempts" in flaky
    )
    assert "(ServiceUnavailable): Service is unavailable" in flaky and "will retry in" in flaky
    assert "(Throttling)" in one_event(aws, "busy", "FailedReconcile").message
    assert not warnings(aws, "busy", "FailedDeployModel") and not warnings(aws, "flaky", "FailedDeployModel")
    # another group converges while these keep failing
    wait_for(lambda: address_of(aws.api, "other"), timeout=60, what="an unrelated Ingress converges")
    # retries back off and keep going; each repeat counts up on the same Event
    wait_for(
        lambda: counted(aws, "bad", "FailedDeployModel", 3) and counted(aws, "flaky", "FailedReconcile", 3),
        timeout=90,
        what="repeats counted on one Event",
    )
    assert rejected.fired >= 3 and unavailable.fired >= 3 * 8 and throttled.fired >= 8

    # fixed in the cloud (or by the user): the next retry converges
    rejected.enabled = unavailable.enabled = throttled.enabled = False
    fired_before = rejected.fired
    wait_for(lambda: "/reject-me" in aws_rule_paths(aws), timeout=60, what="the rejected rule once accepted")
    wait_for(
        lambda: address_of(aws.api, "flaky") and address_of(aws.api, "busy"), timeout=60, what="recovered"
    )
    wait_for(lambda: process.controller.queue.failures("shop") == 0, timeout=60, what="backoff reset")
    # and deleting the group's Ingresses while a rejection is still pending leaves nothing Terminating
    rejected.enabled = True
    aws.net.patch_namespaced_ingress(
        "bad", "default", aws.ingress("bad", {"/reject-me-too": "products"}, {GROUP: "shop"})
    )
    wait_for(
        lambda: counted(aws, "good", "FailedDeployModel", 1) and rejected.fired > fired_before,
        timeout=60,
        what="rejected again",
    )
    for name in ("good", "bad"):
        aws.net.delete_namespaced_ingress(name, "default")
    wait_for(
        lambda: all(gone(lambda n=n: aws.net.read_namespaced_ingress(n, "default")) for n in ("good", "bad")),
        timeout=60,
        what="both Ingresses of the group deleted",
    )
    assert not aws.inventory().owned(stack="shop")


def test_aws_delete_blocked_on_one_resource_removes_the_rest_and_keeps_the_finalizer(aws: World) -> None:
    process = aws.start()
    aws.net.create_namespaced_ingress(
        "default", aws.ingress("shop", {"/users": "users", "/products": "products"})
    )
    wait_for(lambda: address_of(aws.api, "shop"), timeout=60, what="converged")
    assert aws.aws is not None
    groups = aws.aws.client("elbv2").describe_target_groups()["TargetGroups"]
    (held,) = [g for g in groups if "products" in g["TargetGroupName"]]
    blocker = Reject(
        "DeleteTargetGroup",
        held["TargetGroupArn"],
        "ResourceInUse",
        400,
        f"Target group '{held['TargetGroupArn']}' is currently in use by a listener or a rule",
    ).install(process)

    aws.net.delete_namespaced_ingress("shop", "default")
    wait_for(lambda: one_event(aws, "shop", "FailedCleanup"), timeout=90, what="FailedCleanup")
    message = one_event(aws, "shop", "FailedCleanup").message
    assert message.startswith(f"TargetGroup {held['TargetGroupName']} could not be deleted: "), message
    assert "(ResourceInUse)" in message and "remove what still uses it" in message and "finalizer" in message
    # everything else of the stack is gone; the Ingress waits, Terminating, with our finalizer
    left = aws.inventory().owned()  # the held group, with the targets still registered in it
    assert {k for k in left if not k.startswith(f"target:{held['TargetGroupName']}:")} == {
        f"tg:{held['TargetGroupName']}"
    }, sorted(left)
    ingress = aws.net.read_namespaced_ingress("shop", "default")
    assert ingress.metadata.deletion_timestamp is not None and FINALIZER in (
        ingress.metadata.finalizers or []
    )
    wait_for(lambda: counted(aws, "shop", "FailedCleanup", 2), timeout=60, what="cleanup retried")

    blocker.enabled = False
    wait_for(
        lambda: gone(lambda: aws.net.read_namespaced_ingress("shop", "default")),
        timeout=60,
        what="the finalizer goes once the fault is cleared",
    )
    assert aws.inventory().owned() == {}


# --------------------------------------------------------------------------- Google Cloud


def gcp_names(world: World, collection: str) -> list[str]:
    assert world.compute is not None
    return sorted(path.rsplit("/", 1)[-1] for path in world.compute.inventory() if f"/{collection}/" in path)


def url_map_paths(world: World, name: str) -> set[str]:
    assert world.compute is not None
    (body,) = [b for p, b in world.compute.inventory().items() if p.endswith(f"/urlMaps/{name}")]
    return {
        path
        for matcher in body.get("pathMatchers", [])
        for rule in matcher.get("pathRules", [])
        for path in rule.get("paths", [])
    }


def test_gcp_rejections_are_events_and_others_converge(gcp: World) -> None:
    assert gcp.compute is not None
    gcp.start()
    gcp.net.create_namespaced_ingress("default", gcp.ingress("shop", {"/users": "users"}))
    wait_for(lambda: address_of(gcp.api, "shop"), timeout=60, what="converged")
    (url_map,) = [n for n in gcp_names(gcp, "urlMaps") if "shop" in n]
    edit = {
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": p,
                                "pathType": "Prefix",
                                "backend": {"service": {"name": s, "port": {"name": "http"}}},
                            }
                            for p, s in (("/users", "users"), ("/products", "products"))
                        ]
                    }
                }
            ]
        }
    }

    # 503 on every update of this URL map: FailedReconcile once the retries are spent
    unavailable = gcp.compute.add_fault(method="PUT", path=f"/urlMaps/{url_map}$", status=503)
    gcp.net.patch_namespaced_ingress("shop", "default", edit)
    wait_for(lambda: one_event(gcp, "shop", "FailedReconcile"), timeout=90, what="FailedReconcile")
    message = one_event(gcp, "shop", "FailedReconcile").message
    assert f"urlMaps.update for UrlMap {url_map} still failing after 8 attempts" in message, message
    assert "will retry in" in message and not warnings(gcp, "shop", "FailedDeployModel")

    # the operation ends DONE with a 400 inside: FailedDeployModel naming the resource and the cloud's message
    unavailable.times = unavailable.hits  # spent: the next updates go through
    gcp.compute.add_fault(
        method="PUT",
        path=f"/urlMaps/{url_map}$",
        operation_error={
            "code": 400,
            "reason": "invalid",
            "message": "Invalid value for field 'resource.pathMatchers[0]'",
        },
    )
    wait_for(lambda: one_event(gcp, "shop", "FailedDeployModel"), timeout=90, what="FailedDeployModel")
    message = one_event(gcp, "shop", "FailedDeployModel").message
    # (an operation's error carries the code in capitals, as Compute's do)
    assert message.startswith(
        f"Google Cloud rejected urlMaps.update for UrlMap {url_map} (INVALID): Invalid value"
    ), message
    assert "Invalid value for field 'resource.pathMatchers[0]'" in message and "will retry in" in message
    # another Ingress converges meanwhile; the failing one keeps retrying, counted on one Event
    gcp.net.create_namespaced_ingress("default", gcp.ingress("other", {"/orders": "orders"}))
    wait_for(lambda: address_of(gcp.api, "other"), timeout=60, what="an unrelated Ingress converges")
    wait_for(lambda: counted(gcp, "shop", "FailedDeployModel", 3), timeout=90, what="repeats counted")

    gcp.compute.faults.clear()
    wait_for(lambda: "/products" in url_map_paths(gcp, url_map), timeout=60, what="the update once accepted")


def test_gcp_delete_blocked_on_one_resource_removes_the_rest_and_keeps_the_finalizer(gcp: World) -> None:
    assert gcp.compute is not None
    gcp.start()
    gcp.net.create_namespaced_ingress(
        "default", gcp.ingress("shop", {"/users": "users", "/products": "products"})
    )
    wait_for(lambda: address_of(gcp.api, "shop"), timeout=60, what="converged")
    (held,) = [n for n in gcp_names(gcp, "backendServices") if "products" in n]
    user = f"projects/{GCP_PROJECT}/global/urlMaps/hand-made"
    gcp.compute.add_fault(
        method="DELETE",
        path=f"/backendServices/{held}$",
        operation_error={
            "code": 400,
            "reason": "resourceInUseByAnotherResource",
            "message": f"The backend_service resource '{held}' is already being used by '{user}'",
        },
    )

    gcp.net.delete_namespaced_ingress("shop", "default")
    wait_for(lambda: one_event(gcp, "shop", "FailedCleanup"), timeout=90, what="FailedCleanup")
    message = one_event(gcp, "shop", "FailedCleanup").message
    assert message.startswith(f"BackendService {held} could not be deleted: "), message
    assert "(RESOURCE_IN_USE_BY_ANOTHER_RESOURCE)" in message and user in message and "finalizer" in message
    # the frontend and the other backend are gone; what the held backend service uses waits for it
    left = gcp.inventory().owned(stack="default/shop")
    assert not [k for k in left if k.split(":")[0] in ("forwardingRules", "targetHttpProxies", "urlMaps")], (
        left
    )
    assert (
        f"backendServices:{held}" in left and len([k for k in left if k.startswith("backendServices:")]) == 1
    )
    ingress = gcp.net.read_namespaced_ingress("shop", "default")
    assert ingress.metadata.deletion_timestamp is not None and FINALIZER in (
        ingress.metadata.finalizers or []
    )

    gcp.compute.faults.clear()
    wait_for(
        lambda: gone(lambda: gcp.net.read_namespaced_ingress("shop", "default")),
        timeout=60,
        what="the finalizer goes once the fault is cleared",
    )
    assert gcp.inventory().owned(stack="default/shop") == {}


def test_aws_rejection_echoing_a_client_secret_is_redacted(
    aws: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A cloud message may quote the request: the OIDC client secret never reaches an Event or the log."""
    import base64
    import logging

    from emulators.testing.certs import self_signed

    caplog.set_level(logging.INFO)
    assert aws.aws is not None
    cert, key = self_signed("www.example.com", serial=77)
    arn = aws.aws.client("acm").import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
        "CertificateArn"
    ]
    secret = "s3cr3t-client-value-4a5b6c"
    data = {"clientID": "shop-client", "clientSecret": secret}
    kubernetes.client.CoreV1Api(aws.api).create_namespaced_secret(
        "default",
        {
            "metadata": {"name": "oidc-client", "namespace": "default"},
            "type": "Opaque",
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
        },
    )
    oidc = {
        "issuer": "https://idp.example.com",
        "authorizationEndpoint": "https://idp.example.com/auth",
        "tokenEndpoint": "https://idp.example.com/token",
        "userInfoEndpoint": "https://idp.example.com/userinfo",
        "secretName": "oidc-client",
    }
    process = aws.start()
    Reject("CreateRule", secret, "ValidationError", 400, f"ClientSecret '{secret}' is not valid").install(
        process
    )
    aws.net.create_namespaced_ingress(
        "default",
        aws.ingress(
            "login",
            {"/users": "users"},
            {
                "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
                "alb.ingress.kubernetes.io/certificate-arn": arn,
                "alb.ingress.kubernetes.io/auth-type": "oidc",
                "alb.ingress.kubernetes.io/auth-idp-oidc": json.dumps(oidc),
            },
        ),
    )
    wait_for(lambda: one_event(aws, "login", "FailedDeployModel"), timeout=90, what="FailedDeployModel")
    message = one_event(aws, "login", "FailedDeployModel").message
    assert "ClientSecret '<redacted>' is not valid" in message and secret not in message, message
    assert secret not in caplog.text
