"""URL map routeRules as the Compute API checks them, through google-cloud-compute: what any load balancer
refuses, and what the backend services' scheme does not offer, with the API's error body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import PROJECT, Clients

MANAGED, CLASSIC = "bs-managed", "bs-classic"


def _service(name: str) -> str:
    return f"projects/{PROJECT}/global/backendServices/{name}"


def _url_map(service: str, *matchers: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "um-routes",
        "defaultService": _service(service),
        "hostRules": [{"hosts": ["*"], "pathMatcher": m["name"]} for m in matchers[:1]],
        "pathMatchers": list(matchers),
    }


def _matcher(service: str, *route_rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "pm", "defaultService": _service(service), "routeRules": list(route_rules), **extra}


def _rule(priority: int, service: str = MANAGED, **fields: Any) -> dict[str, Any]:
    return {
        "priority": priority,
        "matchRules": [{"prefixMatch": "/"}],
        "service": _service(service),
        **fields,
    }


def _weighted(*weights: int, service: str = MANAGED) -> dict[str, Any]:
    return {"weightedBackendServices": [{"backendService": _service(service), "weight": w} for w in weights]}


@pytest.fixture
def services(clients: Clients) -> Clients:
    for name, scheme in ((MANAGED, "EXTERNAL_MANAGED"), (CLASSIC, "EXTERNAL")):
        clients.wait(
            clients.backend_services.insert(
                project=PROJECT,
                backend_service_resource=compute_v1.BackendService(
                    name=name, protocol="HTTP", load_balancing_scheme=scheme
                ),
            )
        )
    return clients


def _insert(clients: Clients, body: dict[str, Any]) -> None:
    clients.wait(
        clients.url_maps.insert(
            project=PROJECT, url_map_resource=compute_v1.UrlMap.from_json(json.dumps(body))
        )
    )


REFUSED = {
    "pathRules and routeRules in one matcher": (
        _url_map(
            MANAGED, _matcher(MANAGED, _rule(1), pathRules=[{"paths": ["/a"], "service": _service(MANAGED)}])
        ),
        "resource.pathMatchers[0]': only one of pathRules or routeRules",
    ),
    "two rules of one priority": (
        _url_map(MANAGED, _matcher(MANAGED, _rule(5), _rule(5))),
        "routeRules[1].priority': '5'. routeRules[0] of the path matcher has the same priority",
    ),
    "a negative priority": (
        _url_map(MANAGED, _matcher(MANAGED, _rule(-1))),
        "routeRules[0].priority': '-1'. Priority must be between 0 and 2147483647",
    ),
    "a weight past 1000": (
        _url_map(
            MANAGED, _matcher(MANAGED, {**_rule(1), "service": None, "routeAction": _weighted(1001, 1)})
        ),
        "weightedBackendServices[0].weight': '1001'. Weight must be between 0 and 1000",
    ),
    "a service and weighted services": (
        _url_map(MANAGED, _matcher(MANAGED, {**_rule(1), "routeAction": _weighted(1, 1)})),
        "exactly one of service, urlRedirect or routeAction.weightedBackendServices",
    ),
    "a pattern RE2 cannot compile": (
        _url_map(MANAGED, _matcher(MANAGED, {**_rule(1), "matchRules": [{"regexMatch": "/(?=a)"}]})),
        "matchRules[0].regexMatch': '/(?=a)'. Invalid regular expression: invalid perl operator: (?=",
    ),
    "a regular expression on the global external managed scheme": (
        _url_map(MANAGED, _matcher(MANAGED, {**_rule(1), "matchRules": [{"regexMatch": "/a.*"}]})),
        "Regular expressions can only be used when the loadBalancingScheme is",
    ),
    "weights on the classic load balancer": (
        _url_map(
            CLASSIC,
            _matcher(CLASSIC, {**_rule(1), "service": None, "routeAction": _weighted(1, 1, service=CLASSIC)}),
        ),
        "weightedBackendServices': ''. weightedBackendServices is not supported for load balancers with loadBalancingScheme EXTERNAL",
    ),
    "a header action on the classic load balancer": (
        _url_map(
            CLASSIC,
            _matcher(CLASSIC, _rule(1, CLASSIC, headerAction={"requestHeadersToRemove": ["x-a"]})),
        ),
        "routeRules[0].headerAction': ''. headerAction is not supported",
    ),
}


@pytest.mark.parametrize("body,message", REFUSED.values(), ids=list(REFUSED))
def test_what_the_api_refuses_is_a_bad_request(services: Clients, body: dict[str, Any], message: str) -> None:
    with pytest.raises(exceptions.BadRequest) as caught:
        _insert(services, body)
    assert message in caught.value.message
    assert caught.value.errors[0]["reason"] == "invalid"


def test_a_refusal_has_the_apis_error_body(emulator: ComputeEmulator, services: Clients) -> None:
    body, message = REFUSED["two rules of one priority"]
    request = urllib.request.Request(
        f"{emulator.url}/compute/v1/projects/{PROJECT}/global/urlMaps",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    error = json.loads(caught.value.read())["error"]
    assert caught.value.code == error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["errors"] == [{"message": error["message"], "domain": "global", "reason": "invalid"}]
    assert message in error["message"]


def test_route_rules_on_the_managed_scheme_are_kept_as_sent(services: Clients) -> None:
    rule = {
        "priority": 1,
        "matchRules": [
            {
                "fullPathMatch": "/users",
                "headerMatches": [{"headerName": ":method", "exactMatch": "GET"}],
                "queryParameterMatches": [{"name": "view", "exactMatch": "full"}],
            }
        ],
        "routeAction": {
            **_weighted(90, 10),
            "urlRewrite": {"pathPrefixRewrite": "/v2"},
            "timeout": {"seconds": "5"},
        },
        "headerAction": {"requestHeadersToAdd": [{"headerName": "x-a", "headerValue": "1", "replace": True}]},
    }
    redirect = {
        "priority": 2,
        "matchRules": [{"prefixMatch": "/old/"}],
        "urlRedirect": {"prefixRedirect": "/new/", "redirectResponseCode": "PERMANENT_REDIRECT"},
    }
    _insert(services, _url_map(MANAGED, _matcher(MANAGED, rule, redirect)))
    stored = json.loads(
        compute_v1.UrlMap.to_json(services.url_maps.get(project=PROJECT, url_map="um-routes"))
    )["pathMatchers"][0]["routeRules"]
    assert stored[0]["routeAction"]["weightedBackendServices"][1]["weight"] == 10
    assert {k: v for k, v in stored[0]["matchRules"][0].items() if v} == rule["matchRules"][0]
    assert stored[1]["urlRedirect"] == redirect["urlRedirect"]


def test_an_https_redirect_is_refused_on_a_target_https_proxy(services: Clients) -> None:
    redirect = {
        "priority": 1,
        "matchRules": [{"prefixMatch": "/"}],
        "urlRedirect": {"httpsRedirect": True, "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT"},
    }
    _insert(services, _url_map(MANAGED, _matcher(MANAGED, redirect)))
    pem = "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n"
    key = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n"
    services.wait(
        services.ssl_certificates.insert(
            project=PROJECT,
            ssl_certificate_resource=compute_v1.SslCertificate(name="cert", certificate=pem, private_key=key),
        )
    )
    with pytest.raises(exceptions.BadRequest) as caught:
        services.wait(
            services.https_proxies.insert(
                project=PROJECT,
                target_https_proxy_resource=compute_v1.TargetHttpsProxy(
                    name="https",
                    url_map="global/urlMaps/um-routes",
                    ssl_certificates=["global/sslCertificates/cert"],
                ),
            )
        )
    assert "httpsRedirect may only be set in URL maps used by target HTTP proxies" in caught.value.message
