"""`lbctl route` with a whole request on AWS: the translated ALB rules of the listener the request arrives
on, evaluated with ALB's own matching (header, method, query-string and source-ip conditions, redirects with
their Location, fixed responses, rewrites), answer every request as the model's first match does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lbctl.model.builder import BuildConfig, build
from lbctl.model.matching import Request, RouteResult, first_match
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ProviderConfig
from providers.aws import create

MANIFEST = Path(__file__).resolve().parents[1] / "data" / "route-conditions.yaml"

REQUESTS: list[tuple[Request, str]] = [
    (Request("shop.example.com", "/api/x", scheme="https"), "api"),
    (Request("shop.example.com", "/api/x", "POST", {"x-tier": "Gold-1"}, scheme="https"), "beta"),
    (Request("shop.example.com", "/api/x", "GET", {"x-tier": "gold"}, scheme="https"), "api"),
    (Request("shop.example.com", "/api", query={"preview": "ON"}, scheme="https"), "preview"),
    (Request("shop.example.com", "/api?preview=on", port=443), "preview"),
    (Request("shop.example.com", "/admin", scheme="https", source_ip="10.1.1.1"), "office"),
    (Request("shop.example.com", "/admin", scheme="https", source_ip="192.0.2.1"), "web"),
    (Request("shop.example.com", "/old/a?b=1", scheme="https"), "302 https://new.example.com:443/old/a?b=1"),
    (Request("shop.example.com", "/gone", scheme="https"), "410"),
    (Request("shop.example.com", "/api/x", scheme="http"), "301 https://shop.example.com:443/api/x"),
    (Request("shop.example.com", "/api/x?q=1", port=8080), "301 https://shop.example.com:443/api/x?q=1"),
    (Request("shop.example.com", "/api/x", port=9000), "refused"),
    (Request("shop.example.com", "/api/x", port=443, scheme="http"), "refused"),
    (Request("other.example.com", "/api", scheme="https"), "web"),
    (Request("shop.example.com", "/api/x"), "api"),  # no port nor scheme: the first serving listener (HTTPS)
]


def _spec() -> LoadBalancerSpec:
    snapshot = ClusterSnapshot.from_objects(d for d in yaml.safe_load_all(MANIFEST.read_text()) if d)
    result = build(snapshot, BuildConfig.for_provider("aws"))
    assert [p for p in result.problems if p.severity == "error"] == []
    (spec,) = result.specs
    return spec


def _summary(found: RouteResult, spec: LoadBalancerSpec) -> str:
    if found.refused is not None:
        return "refused"
    if found.location is not None:
        return f"{found.status} {found.location}"
    if found.action is not None and found.action.type == "forward":
        return spec.backends[found.action.backend_keys()[0]].service
    return str(found.status)


@pytest.fixture(scope="module")
def spec_and_cloud() -> tuple[LoadBalancerSpec, Any]:
    return _spec(), create(ProviderConfig("c1", "http://127.0.0.1:9", options={"region": "us-east-1"}))


def test_alb_and_model_answer_every_request_alike(spec_and_cloud: tuple[LoadBalancerSpec, Any]) -> None:
    spec, cloud = spec_and_cloud
    for request, expected in REQUESTS:
        model, alb = first_match(spec, request), cloud.route(spec, request)
        assert _summary(model, spec) == expected, (request, model.reason)
        assert _summary(alb, spec) == expected, (request, alb.reason)
        assert (alb.rule, alb.backend_host, alb.backend_path) == (
            model.rule,
            model.backend_host,
            model.backend_path,
        )
