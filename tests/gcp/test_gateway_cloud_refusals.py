"""A route rule the URL map cannot express (found by the provider's own translation check) is dropped from its
route, which says why in its status, while the Gateway's other rules and routes are still served: one bad
rule never blocks the Gateway (built through the real model, checked by the GCP provider's `validate`)."""

from __future__ import annotations

from typing import Any

import yaml

from lbctl.model.builder import BuildConfig
from lbctl.model.gateway_build import build_gateways
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import spec_check

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
  listeners: [{name: http, protocol: HTTP, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: store, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: store}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /old}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
    backendRefs: [{name: users, port: 80}]
  - matches: [{path: {type: PathPrefix, value: /users}}]
    backendRefs: [{name: users, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: legacy, namespace: default, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: store}]
  hostnames: [legacy.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: new.example.com, port: 8443}}]
---
apiVersion: v1
kind: Service
metadata: {name: users, namespace: default}
spec: {type: NodePort, selector: {app: users}, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]}
"""


def _build(check: Any) -> Any:
    snapshot = ClusterSnapshot.from_objects([o for o in yaml.safe_load_all(GATEWAY) if o])
    config = BuildConfig.for_provider("gcp")
    return build_gateways(snapshot, config, config.gateway_controller_names, check)


def _conditions(result: Any, route: str) -> dict[str, dict[str, Any]]:
    (entry,) = result.route_parents[f"HTTPRoute:default/{route}"]
    return {c["type"]: c for c in entry["conditions"]}


def test_without_the_check_the_translator_refuses_the_whole_gateway() -> None:
    validate = spec_check("gcp")
    assert validate is not None
    (spec,) = _build(None).specs
    problems = validate(spec)  # the first rule it cannot express stops the translation of the whole map
    assert [p.object for p in problems] == ["HTTPRoute default/legacy"], problems
    assert "redirect port 8443" in problems[0].message


def test_refused_rules_are_dropped_and_reported_while_the_rest_is_served() -> None:
    validate = spec_check("gcp")
    assert validate is not None
    result = _build(validate)
    (spec,) = result.specs
    assert validate(spec) == [], "what is left translates"
    paths = sorted(r.path.path for r in spec.rules if r.path is not None and r.source.kind == "HTTPRoute")
    assert "/users" in paths and "/old" not in paths, paths
    store = _conditions(result, "store")
    assert store["Accepted"]["status"] == "True"
    partial = store["PartiallyInvalid"]
    assert partial["status"] == "True" and partial["reason"] == "UnsupportedValue"
    assert "Dropped Rule(s) 0" in partial["message"] and "ReplaceFullPath" in partial["message"]
    # a route whose only rule the cloud refuses is not accepted, naming what it cannot do
    legacy = _conditions(result, "legacy")
    assert legacy["Accepted"]["status"] == "False" and legacy["Accepted"]["reason"] == "UnsupportedValue"
    assert "redirect port 8443" in legacy["Accepted"]["message"]
