"""Every annotation and CRD field changes what the emulator holds; each change is made in place
(or create-then-delete), a second converge is a no-op, and nothing is left behind."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from google.cloud import compute_v1

from emulators.gce import ComputeEmulator
from emulators.testing.gce import Clients
from emulators.testing.gcp_stacks import (
    PROJECT,
    example_objects,
    find,
    of,
    ours,
    stack_from,
    wait,
    with_endpoints,
)
from providers.gcp.provider import GcpProvider

Objects = list[dict[str, Any]]


def _ingress(objects: Objects) -> dict[str, Any]:
    return find(objects, "Ingress", "shop")


def _annotate(kind: str, name: str, key: str, value: str) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        find(objects, kind, name)["metadata"].setdefault("annotations", {})[key] = value

    return mutate


def _both(*mutations: Callable[[Objects], None]) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        for change in mutations:
            change(objects)

    return mutate


def _backend_config(spec: dict[str, Any]) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        objects.append(
            {
                "apiVersion": "cloud.google.com/v1",
                "kind": "BackendConfig",
                "metadata": {"name": "users-config", "namespace": "default"},
                "spec": spec,
            }
        )
        _annotate(
            "Service", "users", "cloud.google.com/backend-config", json.dumps({"default": "users-config"})
        )(objects)

    return mutate


def _frontend_config(spec: dict[str, Any]) -> Callable[[Objects], None]:
    def mutate(objects: Objects) -> None:
        objects.append(
            {
                "apiVersion": "networking.gke.io/v1beta1",
                "kind": "FrontendConfig",
                "metadata": {"name": "shop-frontend", "namespace": "default"},
                "spec": spec,
            }
        )
        _annotate("Ingress", "shop", "networking.gke.io/v1beta1.FrontendConfig", "shop-frontend")(objects)

    return mutate


KEY_VALUE = "nZtRohdNF9m3cKM24IcK4w=="  # 128 bits, base64url
CLIENT_SECRET = "oauth-client-secret-value"


def _with_secrets(mutate: Callable[[Objects], None]) -> Callable[[Objects], None]:
    """`mutate` plus the Secrets an IAP OAuth client and a CDN signing key are read from."""

    def with_secrets(objects: Objects) -> None:
        for name, data in (
            ("oauth", {"client_id": "client.apps.example", "client_secret": CLIENT_SECRET}),
            ("signing", {"key_value": KEY_VALUE}),
        ):
            encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
            meta = {"name": name, "namespace": "default"}
            objects.append({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "data": encoded})
        mutate(objects)

    return with_secrets


def _iap_held(emulator: ComputeEmulator) -> None:
    iap = _users_service(emulator)["iap"]
    assert iap == {
        "enabled": True,
        "oauth2ClientId": "client.apps.example",
        "oauth2ClientSecretSha256": hashlib.sha256(CLIENT_SECRET.encode()).hexdigest(),
    }
    assert CLIENT_SECRET not in json.dumps(emulator.inventory())


def _keys_held(emulator: ComputeEmulator) -> None:
    """The emulator holds both keys (its internal record; the API shows only their names)."""
    assert _users_service(emulator)["_signedUrlKeys"] == {"from-secret": KEY_VALUE, "inline": KEY_VALUE}


def _users_service(emulator: ComputeEmulator) -> dict[str, Any]:
    return next(b for b in of(emulator, "backendServices") if "-users-" in b["name"])


def _users_check(emulator: ComputeEmulator) -> dict[str, Any]:
    return next(h for h in of(emulator, "healthChecks") if "-users-" in h["name"])


def _rewrite(objects: Objects) -> None:
    _annotate("Ingress", "shop", "nginx.ingress.kubernetes.io/rewrite-target", "/")(objects)


def _path_rules(emulator: ComputeEmulator) -> list[dict[str, Any]]:
    (url_map,) = [u for u in of(emulator, "urlMaps") if "-um-" in u["name"]]
    return [r for m in url_map["pathMatchers"] for r in m["pathRules"]]


def _cdn_policy(changes: dict[str, Any]) -> Callable[[ComputeEmulator], None]:
    """The users backend has CDN on with ingress-gce's default policy changed by `changes`."""

    def check(emulator: ComputeEmulator) -> None:
        service = _users_service(emulator)
        expected = {
            "cacheKeyPolicy": {"includeHost": True, "includeProtocol": True, "includeQueryString": True},
            "cacheMode": "CACHE_ALL_STATIC",
            "clientTtl": 3600,
            "defaultTtl": 3600,
            "maxTtl": 86400,
            "negativeCaching": True,
            "requestCoalescing": True,
            "serveWhileStale": 86400,
            "signedUrlCacheMaxAgeSec": "0",  # int64: a string in the API's JSON
            **changes,
        }
        expected = {k: v for k, v in expected.items() if v is not None}  # None: not sent, not held
        assert service["enableCDN"] is True
        assert service["cdnPolicy"] == expected

    return check


def _redirects_with(code: str) -> Callable[[ComputeEmulator], None]:
    def check(emulator: ComputeEmulator) -> None:
        redirects = [u["defaultUrlRedirect"] for u in of(emulator, "urlMaps") if "-rm-" in u["name"]]
        assert redirects == [{"httpsRedirect": True, "redirectResponseCode": code}]

    return check


CASES: list[tuple[str, Callable[[Objects], None], Callable[[ComputeEmulator], None]]] = [
    (
        "allow-http false",
        _annotate("Ingress", "shop", "kubernetes.io/ingress.allow-http", "false"),
        lambda e: (
            (
                not of(e, "targetHttpProxies")
                and [r["portRange"] for r in of(e, "forwardingRules")] == ["443-443"]
            )
            or pytest.fail("HTTP still served")
        ),
    ),
    (
        "pre-shared-cert",
        _annotate("Ingress", "shop", "ingress.gcp.kubernetes.io/pre-shared-cert", "shared-cert"),
        lambda e: (
            [c.rsplit("/", 1)[-1] for c in of(e, "targetHttpsProxies")[0]["sslCertificates"]][0]
            == "shared-cert"
            or pytest.fail("pre-shared cert not attached")
        ),
    ),
    (
        "app-protocols HTTPS",
        _annotate("Service", "users", "cloud.google.com/app-protocols", '{"http": "HTTPS"}'),
        lambda e: _users_service(e)["protocol"] == "HTTPS" or pytest.fail(str(_users_service(e))),
    ),
    (
        "legacy app-protocols, over the cloud.google.com one as in ingress-gce",
        _both(
            _annotate("Service", "users", "service.alpha.kubernetes.io/app-protocols", '{"http": "HTTP2"}'),
            _annotate("Service", "users", "cloud.google.com/app-protocols", '{"http": "HTTPS"}'),
        ),
        lambda e: _users_service(e)["protocol"] == "HTTP2" or pytest.fail(str(_users_service(e))),
    ),
    (
        "transparent-health-checker",
        _both(
            _annotate("Service", "users", "cloud.google.com/neg", '{"ingress": true}'),
            _annotate(
                "Service", "users", "networking.gke.io/transparent-health-checker", '{"enabled": true}'
            ),
        ),
        lambda e: (
            (
                {k: _users_check(e)[k] for k in ("type", "httpHealthCheck", "checkIntervalSec", "timeoutSec")}
                == {
                    "type": "HTTP",
                    "httpHealthCheck": {"port": 7877, "requestPath": "/api/podhealth"},
                    "checkIntervalSec": 5,
                    "timeoutSec": 5,
                }
                and (_users_check(e)["healthyThreshold"], _users_check(e)["unhealthyThreshold"]) == (1, 10)
                and any("7877" in a["ports"] for f in of(e, "firewalls") for a in f["allowed"])
            )
            or pytest.fail(str(_users_check(e)))
        ),
    ),
    (
        "BackendConfig healthCheck type",
        _backend_config({"healthCheck": {"type": "HTTPS"}}),
        lambda e: (
            (
                _users_check(e)["type"] == "HTTPS"
                and "httpHealthCheck" not in _users_check(e)
                and _users_check(e)["httpsHealthCheck"]["requestPath"] == "/healthz"
            )
            or pytest.fail("https hc")
        ),
    ),
    (
        "BackendConfig timeoutSec",
        _backend_config({"timeoutSec": 120}),
        lambda e: _users_service(e)["timeoutSec"] == 120 or pytest.fail("timeout"),
    ),
    (
        "BackendConfig connectionDraining",
        _backend_config({"connectionDraining": {"drainingTimeoutSec": 45}}),
        lambda e: (
            _users_service(e)["connectionDraining"] == {"drainingTimeoutSec": 45} or pytest.fail("draining")
        ),
    ),
    (
        "BackendConfig sessionAffinity",
        _backend_config(
            {"sessionAffinity": {"affinityType": "GENERATED_COOKIE", "affinityCookieTtlSec": 50}}
        ),
        lambda e: (
            (_users_service(e)["sessionAffinity"], _users_service(e)["affinityCookieTtlSec"])
            == ("GENERATED_COOKIE", 50)
            or pytest.fail("affinity")
        ),
    ),
    (
        "BackendConfig securityPolicy",
        _backend_config({"securityPolicy": {"name": "armor"}}),
        lambda e: (
            _users_service(e)["securityPolicy"].endswith("/global/securityPolicies/armor")
            or pytest.fail("policy")
        ),
    ),
    (
        "BackendConfig customRequestHeaders",
        _backend_config({"customRequestHeaders": {"headers": ["X-Client:lb"]}}),
        lambda e: _users_service(e)["customRequestHeaders"] == ["X-Client:lb"] or pytest.fail("headers"),
    ),
    (
        "BackendConfig logging",
        _backend_config({"logging": {"enable": True, "sampleRate": 0.5}}),
        lambda e: (
            _users_service(e)["logConfig"] == {"enable": True, "sampleRate": 0.5} or pytest.fail("logging")
        ),
    ),
    (
        "BackendConfig customResponseHeaders",
        _backend_config({"customResponseHeaders": {"headers": ["X-Cache:{cdn_cache_status}"]}}),
        lambda e: (
            _users_service(e)["customResponseHeaders"] == ["X-Cache:{cdn_cache_status}"]
            or pytest.fail("response headers")
        ),
    ),
    (
        "BackendConfig cdn enabled: ingress-gce's defaults",
        _backend_config({"cdn": {"enabled": True}}),
        _cdn_policy({}),
    ),
    (
        "BackendConfig cdn cachePolicy",
        _backend_config(
            {
                "cdn": {
                    "enabled": True,
                    "cachePolicy": {"includeQueryString": True, "queryStringWhitelist": ["v"]},
                }
            }
        ),
        _cdn_policy(
            {
                "cacheKeyPolicy": {
                    "includeHost": False,
                    "includeProtocol": False,
                    "includeQueryString": True,
                    "queryStringWhitelist": ["v"],
                }
            }
        ),
    ),
    (
        "BackendConfig cdn USE_ORIGIN_HEADERS",
        _backend_config({"cdn": {"enabled": True, "cacheMode": "USE_ORIGIN_HEADERS"}}),
        _cdn_policy(
            {"cacheMode": "USE_ORIGIN_HEADERS", "clientTtl": None, "defaultTtl": None, "maxTtl": None}
        ),
    ),
    (
        "BackendConfig cdn TTLs and the rest",
        _backend_config(
            {
                "cdn": {
                    "enabled": True,
                    "clientTtl": 60,
                    "defaultTtl": 120,
                    "maxTtl": 600,
                    "negativeCachingPolicy": [{"code": 404, "ttl": 30}],
                    "requestCoalescing": False,
                    "serveWhileStale": 10,
                    "signedUrlCacheMaxAgeSec": 300,
                    "bypassCacheOnRequestHeaders": [{"headerName": "X-Bypass"}],
                }
            }
        ),
        _cdn_policy(
            {
                "clientTtl": 60,
                "defaultTtl": 120,
                "maxTtl": 600,
                "negativeCachingPolicy": [{"code": 404, "ttl": 30}],
                "requestCoalescing": False,
                "serveWhileStale": 10,
                "signedUrlCacheMaxAgeSec": "300",
                "bypassCacheOnRequestHeaders": [{"headerName": "X-Bypass"}],
            }
        ),
    ),
    (
        "BackendConfig iap with the OAuth client from a Secret",
        _with_secrets(
            _backend_config({"iap": {"enabled": True, "oauthclientCredentials": {"secretName": "oauth"}}})
        ),
        _iap_held,
    ),
    (
        "BackendConfig cdn signedUrlKeys",
        _with_secrets(
            _backend_config(
                {
                    "cdn": {
                        "enabled": True,
                        "signedUrlKeys": [
                            {"keyName": "from-secret", "secretName": "signing"},
                            {"keyName": "inline", "keyValue": KEY_VALUE},
                        ],
                    }
                }
            )
        ),
        _keys_held,
    ),
    (
        "BackendConfig cdn negativeCaching false",
        _backend_config({"cdn": {"enabled": True, "negativeCaching": False}}),
        _cdn_policy({"negativeCaching": False}),
    ),
    (
        "BackendConfig healthCheck",
        _backend_config(
            {
                "healthCheck": {
                    "checkIntervalSec": 7,
                    "timeoutSec": 2,
                    "healthyThreshold": 3,
                    "unhealthyThreshold": 4,
                    "type": "HTTP",
                    "requestPath": "/live",
                    "port": 9000,
                }
            }
        ),
        lambda e: (
            (
                _users_check(e)["checkIntervalSec"],
                _users_check(e)["timeoutSec"],
                _users_check(e)["healthyThreshold"],
                _users_check(e)["unhealthyThreshold"],
                _users_check(e)["httpHealthCheck"]["requestPath"],
                _users_check(e)["httpHealthCheck"]["port"],
            )
            == (7, 2, 3, 4, "/live", 9000)
            or pytest.fail("hc")
        ),
    ),
    (
        "FrontendConfig redirectToHttps",
        _frontend_config({"redirectToHttps": {"enabled": True}}),
        lambda e: (
            (
                of(e, "targetHttpProxies")[0]["urlMap"].rsplit("/", 1)[-1].startswith("k8s2-rm-")
                and [
                    u["defaultUrlRedirect"]["httpsRedirect"] for u in of(e, "urlMaps") if "-rm-" in u["name"]
                ]
                == [True]
            )
            or pytest.fail("redirect")
        ),
    ),
    *[
        (
            f"FrontendConfig redirectToHttps.responseCodeName {code}",
            _frontend_config({"redirectToHttps": {"enabled": True, "responseCodeName": code}}),
            _redirects_with(code),
        )
        for code in (
            "MOVED_PERMANENTLY_DEFAULT",
            "FOUND",
            "SEE_OTHER",
            "TEMPORARY_REDIRECT",
            "PERMANENT_REDIRECT",
        )
    ],
    (
        "FrontendConfig sslPolicy",
        _frontend_config({"sslPolicy": "modern"}),
        lambda e: (
            of(e, "targetHttpsProxies")[0]["sslPolicy"].endswith("/global/sslPolicies/modern")
            or pytest.fail("ssl")
        ),
    ),
    (
        "rewrite-target",
        _rewrite,
        lambda e: (
            {r["routeAction"]["urlRewrite"]["pathPrefixRewrite"] for r in _path_rules(e)} == {"/"}
            or pytest.fail("rewrite")
        ),
    ),
    (
        "neg",
        _annotate("Service", "users", "cloud.google.com/neg", '{"ingress": true}'),
        lambda e: (
            (
                of(e, "networkEndpointGroups")
                and all("networkEndpointGroups" in b["group"] for b in _users_service(e)["backends"])
            )
            or pytest.fail("neg")
        ),
    ),
]


def _foreign(clients: Clients) -> None:
    for name in ("shared-cert",):
        op = clients.ssl_certificates.insert(
            project=PROJECT,
            ssl_certificate_resource=compute_v1.SslCertificate(
                name=name,
                certificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                private_key="-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
            ),
        )
        wait(clients, op)
    wait(
        clients,
        clients.ssl_policies.insert(project=PROJECT, ssl_policy_resource=compute_v1.SslPolicy(name="modern")),
    )


@pytest.mark.parametrize("label, mutate, check", CASES, ids=[c[0] for c in CASES])
def test_field_changes_what_the_cloud_holds(
    emulator: ComputeEmulator,
    clients: Clients,
    provider: GcpProvider,
    label: str,
    mutate: Callable[[Objects], None],
    check: Callable[[ComputeEmulator], None],
) -> None:
    _foreign(clients)
    base = example_objects()
    with_endpoints(base)
    provider.converge(stack_from(base))
    original = ours(emulator)

    changed = example_objects()
    with_endpoints(changed)
    mutate(changed)
    result = provider.converge(stack_from(changed))
    assert result.changes, label
    check(emulator)
    provider.stats.reset()
    assert provider.converge(stack_from(changed)).changes == []
    assert provider.stats.total(mutating=True) == 0

    # and back: the cloud returns to exactly what it held (no orphans, no leftovers)
    provider.converge(stack_from(base))
    assert _comparable(ours(emulator)) == _comparable(original)


def _comparable(resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    volatile = {"fingerprint", "id", "creationTimestamp", "labelFingerprint", "selfLink"}
    return {k: {f: v for f, v in r.items() if f not in volatile} for k, r in resources.items()}


def test_iap_and_signing_keys_read_afresh_need_no_write(
    emulator: ComputeEmulator, make_provider: Callable[..., GcpProvider]
) -> None:
    """A new provider (nothing kept from the writes) compares IAP on the secret's SHA-256 the API returns and
    the signing keys by name: it writes nothing; a rotated client secret is written once."""
    objects = example_objects()
    with_endpoints(objects)
    spec = {
        "iap": {"enabled": True, "oauthclientCredentials": {"secretName": "oauth"}},
        "customResponseHeaders": {"headers": ["X-Served-By:lb"]},
    }
    _with_secrets(_backend_config(spec))(objects)
    make_provider().converge(stack_from(objects))
    fresh = make_provider()
    assert fresh.converge(stack_from(objects)).changes == []
    assert fresh.stats.total(mutating=True) == 0

    oauth = find(objects, "Secret", "oauth")
    oauth["data"]["client_secret"] = base64.b64encode(b"rotated-secret").decode()
    rotated = make_provider()
    assert rotated.converge(stack_from(objects)).changes
    assert rotated.stats.total(mutating=True) == 1
    sha = _users_service(emulator)["iap"]["oauth2ClientSecretSha256"]
    assert sha == hashlib.sha256(b"rotated-secret").hexdigest()
    assert make_provider().converge(stack_from(objects)).changes == []
