"""GKE's Gateway policies on the Compute emulator through google-cloud-compute: a HealthCheckPolicy and a
GCPBackendPolicy of the users Service and a GCPGatewayPolicy of the Gateway (built through the real model) reach
the health check, the backend service and the HTTPS proxy; a second converge makes no write; removing the
backend policy puts the backend service's defaults back."""

from __future__ import annotations

from typing import Any

from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import PROJECT, example_objects, of, wait
from emulators.testing.specs import gateway_stack
from lbctl.provider import StackInput
from providers.gcp.provider import GcpProvider

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl}
spec: {controllerName: lbctl.io/gce}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: store, namespace: default}
spec:
  gatewayClassName: lbctl
  listeners:
  - {name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: shop-tls}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: default}
spec:
  parentRefs: [{name: store}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /products}}]
    backendRefs: [{name: products, port: 80}]
  - backendRefs: [{name: users, port: 80}]
---
apiVersion: networking.gke.io/v1
kind: GCPGatewayPolicy
metadata: {name: store, namespace: default}
spec:
  default: {sslPolicy: modern}
  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: store}
---
apiVersion: networking.gke.io/v1
kind: HealthCheckPolicy
metadata: {name: users, namespace: default}
spec:
  default:
    checkIntervalSec: 7
    timeoutSec: 3
    healthyThreshold: 2
    unhealthyThreshold: 4
    config: {type: HTTP, httpHealthCheck: {requestPath: /healthz, port: 8081}}
  targetRef: {group: "", kind: Service, name: users}
"""
BACKEND_POLICY = """
apiVersion: networking.gke.io/v1
kind: GCPBackendPolicy
metadata: {name: users, namespace: default}
spec:
  default:
    timeoutSec: 45
    connectionDraining: {drainingTimeoutSec: 20}
    sessionAffinity: {type: GENERATED_COOKIE, cookieTtlSec: 60}
    securityPolicy: armor
    logging: {enabled: true, sampleRate: 500000}
  targetRef: {group: "", kind: Service, name: users}
"""


def stack(with_backend_policy: bool = True) -> StackInput:
    text = GATEWAY + ("---\n" + BACKEND_POLICY if with_backend_policy else "")
    return gateway_stack(text, "gcp", [o for o in example_objects() if o["kind"] != "Ingress"])


def _named(emulator: ComputeEmulator, collection: str, part: str) -> dict[str, Any]:
    return next(x for x in of(emulator, collection) if part in x["name"])


def test_gke_policies_reach_the_cloud_and_a_second_converge_writes_nothing(
    emulator: ComputeEmulator, clients: Clients, provider: GcpProvider
) -> None:
    policy = compute_v1.SslPolicy(name="modern", min_tls_version="TLS_1_2")
    wait(clients, clients.ssl_policies.insert(project=PROJECT, ssl_policy_resource=policy))
    assert provider.converge(stack()).changes
    users = _named(emulator, "backendServices", "-users-")
    assert users["timeoutSec"] == 45
    assert users["connectionDraining"]["drainingTimeoutSec"] == 20
    assert (users["sessionAffinity"], users["affinityCookieTtlSec"]) == ("GENERATED_COOKIE", 60)
    assert users["securityPolicy"].endswith("/global/securityPolicies/armor")
    assert users["logConfig"] == {"enable": True, "sampleRate": 0.5}
    check = _named(emulator, "healthChecks", "-users-")
    assert (check["checkIntervalSec"], check["timeoutSec"]) == (7, 3)
    assert (check["healthyThreshold"], check["unhealthyThreshold"]) == (2, 4)
    assert (check["httpHealthCheck"]["requestPath"], check["httpHealthCheck"]["port"]) == ("/healthz", 8081)
    products = _named(emulator, "backendServices", "-products-")
    assert products["timeoutSec"] == 30 and products.get("securityPolicy") is None  # no policy: defaults
    (proxy,) = of(emulator, "targetHttpsProxies")
    assert proxy["sslPolicy"].endswith("/global/sslPolicies/modern")

    provider.stats.reset()
    assert provider.converge(stack()).changes == [] and provider.stats.total(mutating=True) == 0

    # the backend policy removed: the backend service goes back to what it is without one
    assert provider.converge(stack(with_backend_policy=False)).changes
    users = _named(emulator, "backendServices", "-users-")
    assert users["timeoutSec"] == 30 and users["sessionAffinity"] == "NONE"
    assert users.get("securityPolicy") is None
