"""Gateway API through the controller, on the Kubernetes API emulator (the upstream CRDs applied after lbctl
started, as a cluster admin might) and moto: one controller run for the whole life of a Gateway — discovery
of the kinds, the ALB (HTTP and HTTPS listeners, the certificate from a Secret), statuses (GatewayClass,
Gateway, route parents next to another controller's entry), a cross-namespace backendRef refused until a
ReferenceGrant allows it, a TargetGroupConfiguration (its CRD installed later still) reaching the target group,
a start-up GC pass that keeps the live stack and deletes an orphan's, deletion, a
CRD removed; a Gateway of another controller's class is never touched."""

from __future__ import annotations

import base64
from typing import Any

import kubernetes
import pytest

from emulators.aws import AwsAccount
from emulators.kube import KubeEmulator
from emulators.testing.certs import self_signed
from emulators.testing.controller import controller
from emulators.testing.crds import install_gateway_api_crds, install_policy_crds
from emulators.testing.objects import node, service
from emulators.testing.waiting import events_for, gone, wait_for
from lbctl.kube.events import FINALIZER
from lbctl.kube.gateways import CLASS_FINALIZER
from providers.aws.naming import ROLE_TARGET_GROUP, ownership_tags

CLUSTER = "gw"
GROUP, VERSION = "gateway.networking.k8s.io", "v1"
OTHER = "example.com/other-controller"
STAMP = "2026-01-01T00:00:00Z"


def gateway_api(kind: str, namespace: str | None, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": kind, "metadata": meta, "spec": spec}


def route(namespace: str, name: str, path: str, backend: dict[str, Any]) -> dict[str, Any]:
    return gateway_api(
        "HTTPRoute",
        namespace,
        name,
        {
            "parentRefs": [{"name": "web", "namespace": "default"}],
            "rules": [
                {"matches": [{"path": {"type": "PathPrefix", "value": path}}], "backendRefs": [backend]}
            ],
        },
    )


def condition(conditions: list[dict[str, Any]], kind: str) -> tuple[str, str] | None:
    found = [(c["status"], c["reason"]) for c in conditions if c["type"] == kind]
    return found[0] if found else None


def ours(route_status: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in route_status.get("parents") or [] if p["controllerName"] == "lbctl.io/alb"]


def rule_actions(account: AwsAccount) -> dict[str, str]:
    """Path pattern → the action type (forward / fixed-response:500) of the one ALB's port-80 rules."""
    elbv2 = account.client("elbv2")
    (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    (listener,) = [x for x in listeners if x["Port"] == 80]
    out = {}
    for rule in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
        action = rule["Actions"][0]
        kind = action["Type"]
        if kind == "fixed-response":
            kind += ":" + action["FixedResponseConfig"]["StatusCode"]
        for c in rule["Conditions"]:
            for value in c.get("PathPatternConfig", {}).get("Values") or c.get("Values") or []:
                out[value] = kind
    return out


@pytest.mark.usefixtures("kube_crds")
def test_gateway_life_on_alb(
    kube: KubeEmulator, api: kubernetes.client.ApiClient, account: AwsAccount
) -> None:
    core = kubernetes.client.CoreV1Api(api)
    objects = kubernetes.client.CustomObjectsApi(api)
    for name in ("lbctl-system", "team", "shop"):
        core.create_namespace({"metadata": {"name": name}})
    for name, instance in account.instances.items():
        zone = "us-east-1a" if name == "node-a" else "us-east-1b"
        core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
    core.create_namespaced_service("default", service("users", 30080))
    orders = service("orders", 30082)
    orders["metadata"]["namespace"] = "shop"
    core.create_namespaced_service("shop", orders)

    def read(plural: str, namespace: str | None, name: str) -> dict[str, Any]:
        if namespace is None:
            return objects.get_cluster_custom_object(GROUP, VERSION, plural, name)
        return objects.get_namespaced_custom_object(GROUP, VERSION, namespace, plural, name)

    def create(plural: str, namespace: str | None, body: dict[str, Any]) -> None:
        if namespace is None:
            objects.create_cluster_custom_object(GROUP, VERSION, plural, body)
        else:
            objects.create_namespaced_custom_object(GROUP, VERSION, namespace, plural, body)

    process = controller(kube, "aws", account.endpoint_url, CLUSTER, vpc_id=account.vpc_id).start()
    try:
        assert not process.controller.informers["Gateway"].served  # no CRDs yet: nothing listed
        install_gateway_api_crds(kube)  # discovered by the CRD watches
        create(
            "gatewayclasses",
            None,
            gateway_api("GatewayClass", None, "lbctl", {"controllerName": "lbctl.io/alb"}),
        )
        create("gatewayclasses", None, gateway_api("GatewayClass", None, "other", {"controllerName": OTHER}))
        listener = {
            "name": "http",
            "port": 80,
            "protocol": "HTTP",
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }
        # an HTTPS listener too: its certificate Secret is watched (by name) and imported into ACM
        cert, key = self_signed("shop.example.com", serial=71)
        tls_data = {"tls.crt": cert, "tls.key": key}
        core.create_namespaced_secret(
            "default",
            {
                "metadata": {"name": "web-tls"},
                "type": "kubernetes.io/tls",
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in tls_data.items()},
            },
        )
        https = {
            **listener,
            "name": "https",
            "port": 443,
            "protocol": "HTTPS",
            "tls": {"mode": "Terminate", "certificateRefs": [{"name": "web-tls"}]},
        }
        create(
            "gateways",
            "default",
            gateway_api(
                "Gateway", "default", "web", {"gatewayClassName": "lbctl", "listeners": [listener, https]}
            ),
        )
        create(
            "gateways",
            "default",
            gateway_api(
                "Gateway", "default", "foreign", {"gatewayClassName": "other", "listeners": [listener]}
            ),
        )
        create("httproutes", "default", route("default", "users", "/users", {"name": "users", "port": 80}))
        # a route an ALB cannot serve (it cannot mirror): refused in its own status, the others are served
        mirror = route("default", "mirror", "/mirror", {"name": "users", "port": 80})
        mirror["spec"]["rules"][0]["filters"] = [
            {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "users", "port": 80}}}
        ]
        create("httproutes", "default", mirror)
        # another controller's entry in the route's status: kept as it is through every write of ours
        theirs = {
            "parentRef": {"group": GROUP, "kind": "Gateway", "namespace": "default", "name": "foreign"},
            "controllerName": OTHER,
            "conditions": [
                {
                    "type": "Accepted",
                    "status": "True",
                    "reason": "Accepted",
                    "message": "",
                    "lastTransitionTime": STAMP,
                    "observedGeneration": 1,
                }
            ],
        }
        objects.patch_namespaced_custom_object_status(
            GROUP, VERSION, "default", "httproutes", "users", {"status": {"parents": [theirs]}}
        )
        create(
            "httproutes",
            "team",
            route("team", "orders", "/orders", {"name": "orders", "namespace": "shop", "port": 80}),
        )

        def programmed() -> dict[str, Any] | None:
            status = read("gateways", "default", "web").get("status") or {}
            done = condition(status.get("conditions") or [], "Programmed") == ("True", "Programmed")
            attached = [entry["attachedRoutes"] for entry in status.get("listeners") or []]
            return status if done and attached == [3, 3] else None

        status = wait_for(programmed, timeout=60, what="Gateway Programmed")
        elbv2 = account.client("elbv2")
        (lb,) = elbv2.describe_load_balancers()["LoadBalancers"]
        assert status["addresses"] == [{"type": "Hostname", "value": lb["DNSName"]}]
        assert condition(status["conditions"], "Accepted") == ("True", "Accepted")
        for entry in status["listeners"]:
            assert condition(entry["conditions"], "Programmed") == ("True", "Programmed")
            assert condition(entry["conditions"], "ResolvedRefs") == ("True", "ResolvedRefs")
        listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        assert {x["Port"]: x["Protocol"] for x in listeners} == {80: "HTTP", 443: "HTTPS"}
        assert len(account.client("acm").list_certificates()["CertificateSummaryList"]) == 1
        assert FINALIZER in read("gateways", "default", "web")["metadata"]["finalizers"]
        wait_for(
            lambda: (
                CLASS_FINALIZER in (read("gatewayclasses", None, "lbctl")["metadata"].get("finalizers") or [])
            ),
            what="the class's gateway-exists finalizer",
        )
        assert "finalizers" not in read("gatewayclasses", None, "other")["metadata"]  # not ours: untouched
        class_status = read("gatewayclasses", None, "lbctl").get("status") or {}
        assert condition(class_status["conditions"], "Accepted") == ("True", "Accepted")

        users = wait_for(
            lambda: ours(read("httproutes", "default", "users").get("status") or {}), what="route status"
        )
        assert [condition(users[0]["conditions"], t) for t in ("Accepted", "ResolvedRefs")] == [
            ("True", "Accepted"),
            ("True", "ResolvedRefs"),
        ]
        assert theirs in read("httproutes", "default", "users")["status"]["parents"]
        (refused,) = wait_for(
            lambda: ours(read("httproutes", "team", "orders").get("status") or {}), what="route status"
        )
        assert condition(refused["conditions"], "ResolvedRefs") == ("False", "RefNotPermitted")
        assert rule_actions(account)["/orders/*"] == "fixed-response:500"  # routes nothing
        assert rule_actions(account)["/users/*"] == "forward"
        (mirrored,) = ours(read("httproutes", "default", "mirror")["status"])
        assert condition(mirrored["conditions"], "Accepted") == ("False", "UnsupportedValue")
        assert "spec.rules[0].filters[0]" in mirrored["conditions"][0]["message"]
        assert not [path for path in rule_actions(account) if path.startswith("/mirror")]

        # the grant: the route's status and its rule change, nothing else is written
        before = {
            "gateway": read("gateways", "default", "web")["metadata"]["resourceVersion"],
            "users": read("httproutes", "default", "users")["metadata"]["resourceVersion"],
            "lb": lb["LoadBalancerArn"],
        }
        grant = {
            "from": [{"group": GROUP, "kind": "HTTPRoute", "namespace": "team"}],
            "to": [{"group": "", "kind": "Service", "name": "orders"}],
        }
        create("referencegrants", "shop", gateway_api("ReferenceGrant", "shop", "orders", grant))

        def resolved() -> bool:
            (entry,) = ours(read("httproutes", "team", "orders")["status"])
            return condition(entry["conditions"], "ResolvedRefs") == ("True", "ResolvedRefs")

        wait_for(resolved, what="ResolvedRefs after the grant")
        wait_for(lambda: rule_actions(account).get("/orders/*") == "forward", what="/orders forwarded")
        assert {
            "gateway": read("gateways", "default", "web")["metadata"]["resourceVersion"],
            "users": read("httproutes", "default", "users")["metadata"]["resourceVersion"],
            "lb": account.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"],
        } == before

        # aws-load-balancer-controller's configuration CRDs installed, then a TargetGroupConfiguration of the
        # users Service: discovered, and the change reaches its target group
        install_policy_crds(kube, ("aws",))
        tgc = {
            "apiVersion": "gateway.k8s.aws/v1",
            "kind": "TargetGroupConfiguration",
            "metadata": {"name": "users"},
            "spec": {
                "targetReference": {"name": "users"},
                "defaultConfiguration": {"healthCheckConfig": {"healthCheckPath": "/healthz"}},
            },
        }
        wait_for(lambda: process.controller.informers["TargetGroupConfiguration"].served, what="TGC watched")
        objects.create_namespaced_custom_object(
            "gateway.k8s.aws", "v1", "default", "targetgroupconfigurations", tgc
        )

        def users_check() -> str:
            groups = account.client("elbv2").describe_target_groups()["TargetGroups"]
            return next(g["HealthCheckPath"] for g in groups if g["Port"] == 30080)

        wait_for(lambda: users_check() == "/healthz", what="the TGC's health check path")

        # a start-up GC pass keeps the live Gateway stack (converged with no write) and deletes an orphan's
        orphan = "Gateway:default/ghost"
        elbv2.create_target_group(
            Name="ghost",
            Protocol="HTTP",
            Port=80,
            VpcId=account.vpc_id,
            Tags=[
                {"Key": k, "Value": v}
                for k, v in ownership_tags(CLUSTER, orphan, ROLE_TARGET_GROUP + "default/ghost:80").items()
            ],
        )
        seen: list[Any] = []
        process.controller.on_converged.append(lambda stack, result: seen.append((stack, result.changes)))
        process.controller.enqueue_all(include_cloud=True)
        wait_for(lambda: ("Gateway:default/web", []) in seen and orphan in dict(seen), what="GC pass")
        assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1
        assert "ghost" not in {t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]}

        # deletion: the stack goes, then the finalizer and the Gateway; our route entries go, theirs stay
        objects.delete_namespaced_custom_object(GROUP, VERSION, "default", "gateways", "web")
        wait_for(lambda: gone(lambda: read("gateways", "default", "web")), timeout=60, what="Gateway deleted")
        assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
        assert account.client("elbv2").describe_target_groups()["TargetGroups"] == []
        wait_for(
            lambda: read("httproutes", "default", "users")["status"]["parents"] == [theirs],
            what="our entry gone",
        )
        assert ("Normal", "SuccessfullyReconciled") in {(t, r) for t, r, _ in events_for(api, "web")}
        wait_for(  # no Gateway uses the class any more
            lambda: not read("gatewayclasses", None, "lbctl")["metadata"].get("finalizers"),
            what="the class's finalizer gone",
        )

        foreign = read("gateways", "default", "foreign")
        assert "finalizers" not in foreign["metadata"] and not foreign.get("status", {}).get("addresses")
        assert events_for(api, "foreign") == []

        # a CRD removed: its kind is no longer watched
        kubernetes.client.ApiextensionsV1Api(api).delete_custom_resource_definition(
            "grpcroutes.gateway.networking.k8s.io"
        )
        wait_for(lambda: not process.controller.informers["GRPCRoute"].served, what="GRPCRoute unwatched")
    finally:
        process.stop()
