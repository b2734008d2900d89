"""Nothing silently dropped: every field of the BackendConfig, FrontendConfig and ManagedCertificate CRDs in
manifests/, set alone
on the documented example, changes the request bodies lbctl would send (the offline plan's translation), or
the model refuses it with an error naming it. The field list comes from the CRDs, so a field added there
without a case here fails; every bound the CRD declares is refused one past it, naming the field."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulators.testing.crd_schema import fields, structural
from emulators.testing.gcp_stacks import PROJECT, example_objects, find
from lbctl.model import annotations as a
from lbctl.model.builder import BuildConfig, build
from lbctl.model.gce import (
    BACKEND_CONFIG_SPEC,
    FRONTEND_CONFIG_SPEC,
    MANAGED_CERTIFICATE_SPEC,
    MANAGED_CERTIFICATE_STATUS,
)
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.provider import StackInput
from providers.gcp.translate import Context, translate

CRDS = Path(__file__).resolve().parents[2] / "manifests" / "gcp" / "crds.yaml"
Spec = dict[str, Any]


def _crd_spec(kind: str, part: str = "spec") -> Spec:
    for doc in yaml.safe_load_all(CRDS.read_text()):
        if doc and doc["spec"]["names"]["kind"] == kind:
            schema: Spec = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][part]
            return schema
    raise AssertionError(kind)


_CDN = {"cdn": {"enabled": True}}
_KEYED = {"cdn": {"enabled": True, "cachePolicy": {"includeQueryString": True}}}
# field → (the value set alone, the spec it is set on: the toggle that makes the field mean anything)
BACKEND_CASES: dict[str, tuple[Any, Spec]] = {
    "timeoutSec": (120, {}),
    "connectionDraining.drainingTimeoutSec": (45, {}),
    "sessionAffinity.affinityType": ("CLIENT_IP", {}),
    "sessionAffinity.affinityCookieTtlSec": (50, {"sessionAffinity": {"affinityType": "GENERATED_COOKIE"}}),
    "healthCheck.checkIntervalSec": (7, {}),
    "healthCheck.timeoutSec": (2, {}),
    "healthCheck.healthyThreshold": (3, {}),
    "healthCheck.unhealthyThreshold": (4, {}),
    "healthCheck.type": ("HTTPS", {}),
    "healthCheck.requestPath": ("/live", {}),
    "healthCheck.port": (9000, {}),
    "securityPolicy.name": ("armor", {}),
    "customRequestHeaders.headers": (["X-Client:lb"], {}),
    "customResponseHeaders.headers": (["X-Cache:{cdn_cache_status}"], {}),
    "logging.enable": (True, {}),
    "logging.sampleRate": (0.5, {"logging": {"enable": True}}),
    "cdn.enabled": (True, {}),
    "cdn.cachePolicy.includeHost": (False, _CDN),
    "cdn.cachePolicy.includeProtocol": (False, _CDN),
    "cdn.cachePolicy.includeQueryString": (False, _CDN),
    "cdn.cachePolicy.queryStringBlacklist": (["utm"], _KEYED),
    "cdn.cachePolicy.queryStringWhitelist": (["v"], _KEYED),
    "cdn.cacheMode": ("FORCE_CACHE_ALL", _CDN),
    "cdn.clientTtl": (60, _CDN),
    "cdn.defaultTtl": (60, _CDN),
    "cdn.maxTtl": (90000, _CDN),
    "cdn.negativeCaching": (False, _CDN),
    "cdn.negativeCachingPolicy[].code": (404, _CDN),
    "cdn.negativeCachingPolicy[].ttl": (30, _CDN),
    "cdn.requestCoalescing": (False, _CDN),
    "cdn.serveWhileStale": (0, _CDN),
    "cdn.signedUrlCacheMaxAgeSec": (60, _CDN),
    "cdn.signedUrlKeys[].keyName": ("key-1", _CDN),
    "cdn.signedUrlKeys[].keyValue": ("AAAAAAAAAAAAAAAAAAAAAA==", _CDN),
    "cdn.signedUrlKeys[].secretName": ("signing", _CDN),
    "cdn.bypassCacheOnRequestHeaders[].headerName": ("X-Bypass", _CDN),
    "iap.enabled": (True, {}),
    "iap.oauthclientCredentials.secretName": ("oauth", {"iap": {"enabled": True}}),
}
FRONTEND_CASES: dict[str, tuple[Any, Spec]] = {
    "redirectToHttps.enabled": (True, {}),
    "redirectToHttps.responseCodeName": ("FOUND", {"redirectToHttps": {"enabled": True}}),
    "sslPolicy": ("modern", {}),
}
# ManagedCertificate: the Ingress names it; each field changes the managed certificate's request
MANAGED_CASES: dict[str, tuple[Any, Spec]] = {
    "domains": (["shop.example.com", "www.example.com"], {"domains": ["shop.example.com"]}),
}


def _with(spec: Spec, path: str, value: Any) -> Spec:
    """`spec` with the field at `path` set; a `[]` step makes a one-item list (a negative-caching entry keeps
    the required code beside its ttl)."""
    out = copy.deepcopy(spec)
    node = out
    parts = path.split(".")
    for index, part in enumerate(parts[:-1]):
        if part.endswith("[]"):
            item: Spec = {"code": 404} if part == "negativeCachingPolicy[]" else {}
            node[part[:-2]] = [item]
            node = item
        else:
            node = node.setdefault(part, {})
        assert isinstance(node, dict), (path, index)
    node[parts[-1]] = value
    return out


KEY_VALUE = "nZtRohdNF9m3cKM24IcK4w=="  # 128 bits, base64url
CLIENT_SECRET = "oauth-client-secret-value"


def _secret(name: str, data: dict[str, str]) -> Spec:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "data": encoded,
    }


def _objects(
    backend: Spec | None = None, frontend: Spec | None = None, managed: Spec | None = None
) -> list[Spec]:
    objects = example_objects()
    objects.append(_secret("oauth", {"client_id": "client.apps.example", "client_secret": CLIENT_SECRET}))
    objects.append(_secret("signing", {"key_value": KEY_VALUE}))
    if backend is not None:
        objects.append(
            {
                "apiVersion": "cloud.google.com/v1",
                "kind": "BackendConfig",
                "metadata": {"name": "walk", "namespace": "default"},
                "spec": backend,
            }
        )
        annotations = find(objects, "Service", "users")["metadata"].setdefault("annotations", {})
        annotations[a.BACKEND_CONFIG] = json.dumps({"default": "walk"})
    if frontend is not None:
        objects.append(
            {
                "apiVersion": "networking.gke.io/v1beta1",
                "kind": "FrontendConfig",
                "metadata": {"name": "walk", "namespace": "default"},
                "spec": frontend,
            }
        )
        find(objects, "Ingress", "shop")["metadata"].setdefault("annotations", {})[a.FRONTEND_CONFIG] = "walk"
    if managed is not None:
        objects.append(
            {
                "apiVersion": "networking.gke.io/v1",
                "kind": "ManagedCertificate",
                "metadata": {"name": "walk", "namespace": "default"},
                "spec": managed,
            }
        )
        find(objects, "Ingress", "shop")["metadata"].setdefault("annotations", {})[a.MANAGED_CERTIFICATES] = (
            "walk"
        )
    return objects


def _outcome(objects: list[Spec]) -> tuple[list[str], str | None]:
    """The request bodies of the example's stack (with each backend's security policy), or the error."""
    snapshot = ClusterSnapshot.from_objects(objects)
    result = build(snapshot, BuildConfig.for_provider("gcp"))
    errors = [p for p in result.problems if p.severity.name == "ERROR"]
    if errors:
        return [], str(errors[0])
    (spec,) = result.specs
    desired = translate(StackInput.from_snapshot(spec, snapshot), Context("walk", PROJECT))
    bodies = [
        json.dumps([w.key, w.body, w.security_policy], sort_keys=True, default=str) for w in desired.resources
    ]
    return sorted(bodies), None


def test_the_crds_carry_the_schemas_the_model_checks() -> None:
    assert _crd_spec("BackendConfig") == structural(BACKEND_CONFIG_SPEC)
    assert _crd_spec("FrontendConfig") == structural(FRONTEND_CONFIG_SPEC)
    assert _crd_spec("ManagedCertificate") == structural(MANAGED_CERTIFICATE_SPEC)
    assert _crd_spec("ManagedCertificate", "status") == structural(MANAGED_CERTIFICATE_STATUS)


def test_every_crd_field_has_a_case() -> None:
    assert sorted(fields(_crd_spec("BackendConfig"))) == sorted(BACKEND_CASES)
    assert sorted(fields(_crd_spec("FrontendConfig"))) == sorted(FRONTEND_CASES)
    assert sorted(fields(_crd_spec("ManagedCertificate"))) == sorted(MANAGED_CASES)


def _check_field(kind: str, path: str, value: Any, base: Spec) -> None:
    def objects(spec: Spec) -> list[Spec]:
        if kind == "ManagedCertificate":
            return _objects(managed=spec)
        return _objects(backend=spec) if kind == "BackendConfig" else _objects(frontend=spec)

    before, error = _outcome(objects(base))
    assert error is None, (path, error)
    after, error = _outcome(objects(_with(base, path, value)))
    if error is not None:  # named: the field, or the block it is part of that lbctl refuses whole
        parts = path.replace("[]", "").split(".")
        named = [".".join(parts[: i + 1]) for i in range(len(parts))]
        assert any(f"{kind} default/walk spec.{n}" in error for n in named), error
        assert "Traceback" not in error
        return
    assert after != before, f"{kind} spec.{path} set alone changes nothing lbctl would send"


@pytest.mark.parametrize("path", sorted(BACKEND_CASES))
def test_each_backend_config_field_changes_the_plan_or_is_refused(path: str) -> None:
    _check_field("BackendConfig", path, *BACKEND_CASES[path])


@pytest.mark.parametrize("path", sorted(FRONTEND_CASES))
def test_each_frontend_config_field_changes_the_plan_or_is_refused(path: str) -> None:
    _check_field("FrontendConfig", path, *FRONTEND_CASES[path])


@pytest.mark.parametrize("path", sorted(MANAGED_CASES))
def test_each_managed_certificate_field_changes_the_plan_or_is_refused(path: str) -> None:
    _check_field("ManagedCertificate", path, *MANAGED_CASES[path])


@pytest.mark.parametrize(
    ("domains", "named"),
    [
        (["*.example.com"], "spec.domains[0]"),
        (["Shop.Example.com"], "spec.domains[0]"),
        ([f"{'a' * 60}.com"], "spec.domains[0]"),
        ([f"d{i}.example.com" for i in range(101)], "spec.domains"),
        ([], "spec.domains"),
    ],
    ids=["wildcard", "upper-case", "too-long", "101-domains", "empty"],
)
def test_what_the_managed_certificate_crd_refuses_is_an_error_naming_the_field(
    domains: list[str], named: str
) -> None:
    _, error = _outcome(_objects(managed={"domains": domains}))
    assert error is not None and f"ManagedCertificate default/walk {named}" in error, error


def test_a_missing_managed_certificate_refuses_the_ingress_naming_the_annotation() -> None:
    objects = _objects(managed={"domains": ["shop.example.com"]})
    find(objects, "Ingress", "shop")["metadata"]["annotations"][a.MANAGED_CERTIFICATES] = "walk, nope"
    _, error = _outcome(objects)
    assert error is not None and a.MANAGED_CERTIFICATES in error and "default/nope not found" in error, error


def test_a_managed_certificate_is_attached_beside_the_secret_one() -> None:
    snapshot = ClusterSnapshot.from_objects(
        _objects(managed={"domains": ["www.example.com", "shop.example.com"]})
    )
    (spec,) = build(snapshot, BuildConfig.for_provider("gcp")).specs
    desired = translate(StackInput.from_snapshot(spec, snapshot), Context("walk", PROJECT))
    (managed,) = [w for w in desired.resources if w.body.get("type") == "MANAGED"]
    assert managed.body["managed"] == {"domains": ["shop.example.com", "www.example.com"]}
    (proxy,) = [w for w in desired.resources if w.collection == "targetHttpsProxies"]
    assert len(proxy.body["sslCertificates"]) == 2 and proxy.body["sslCertificates"][0].endswith(managed.name)


def _bounds(schema: Spec, prefix: str = "") -> list[tuple[str, int | float]]:
    """Every (field, value one past a bound) the schema declares."""
    out: list[tuple[str, int | float]] = []
    for name, child in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        out.extend(_bounds(child, f"{path}."))
        if isinstance(child.get("items"), dict):
            out.extend(_bounds(child["items"], f"{path}[]."))
        step = 1 if child.get("type") == "integer" else 0.5
        if "maximum" in child:
            out.append((path, child["maximum"] + step))
        if "minimum" in child:
            out.append((path, child["minimum"] - step))
    return out


@pytest.mark.parametrize(("path", "value"), _bounds(_crd_spec("BackendConfig")))
def test_a_value_out_of_range_is_refused_naming_the_field(path: str, value: int | float) -> None:
    base = BACKEND_CASES[path][1]
    _, error = _outcome(_objects(backend=_with(base, path, value)))
    assert error is not None, path
    named = path.replace("[]", "[0]")
    assert f"BackendConfig default/walk spec.{named}" in error, error


@pytest.mark.parametrize(
    "key",
    [{"keyName": "inline", "keyValue": KEY_VALUE}, {"keyName": "from-secret", "secretName": "signing"}],
    ids=["keyValue", "secretName"],
)
def test_a_signing_key_is_planned_by_name_and_its_value_never_shown(key: Spec) -> None:
    snapshot = ClusterSnapshot.from_objects(
        _objects(backend={"cdn": {"enabled": True, "signedUrlKeys": [key]}})
    )
    (spec,) = build(snapshot, BuildConfig.for_provider("gcp")).specs
    desired = translate(StackInput.from_snapshot(spec, snapshot), Context("walk", PROJECT))
    (keys,) = [w.signed_url_keys for w in desired.resources if w.signed_url_keys]
    assert list(keys) == [key["keyName"]]
    assert keys[key["keyName"]].value == KEY_VALUE
    assert KEY_VALUE not in repr(spec) + repr(desired)


def test_iap_takes_the_oauth_client_from_the_secret_and_never_shows_it() -> None:
    spec_ = {"iap": {"enabled": True, "oauthclientCredentials": {"secretName": "oauth"}}}
    snapshot = ClusterSnapshot.from_objects(_objects(backend=spec_))
    (spec,) = build(snapshot, BuildConfig.for_provider("gcp")).specs
    desired = translate(StackInput.from_snapshot(spec, snapshot), Context("walk", PROJECT))
    (iap,) = [w.body["iap"] for w in desired.resources if w.body.get("iap", {}).get("enabled")]
    assert iap["enabled"] is True and iap["oauth2ClientId"] == "client.apps.example"
    assert iap["oauth2ClientSecret"].value == CLIENT_SECRET
    assert CLIENT_SECRET not in repr(spec) + repr(desired)


@pytest.mark.parametrize(
    ("backend", "named"),
    [
        (
            {"iap": {"enabled": True, "oauthclientCredentials": {"secretName": "nope"}}},
            "iap.oauthclientCredentials.secretName",
        ),
        ({"iap": {"enabled": True}, "cdn": {"enabled": True}}, "iap"),
        (
            {"cdn": {"enabled": True, "signedUrlKeys": [{"keyName": "k", "secretName": "oauth"}]}},
            "cdn.signedUrlKeys[0].secretName",
        ),
        ({"cdn": {"enabled": True, "signedUrlKeys": [{"keyName": "k"}]}}, "cdn.signedUrlKeys[0]"),
        (
            {"cdn": {"enabled": False, "signedUrlKeys": [{"keyName": "k", "keyValue": KEY_VALUE}]}},
            "cdn.signedUrlKeys",
        ),
        ({"cdn": {"enabled": True, "cacheMode": "USE_ORIGIN_HEADERS", "maxTtl": 5}}, "cdn.maxTtl"),
        ({"cdn": {"enabled": True, "defaultTtl": 90000}}, "cdn.defaultTtl"),
        ({"cdn": {"enabled": True, "unknown": 1}}, "cdn"),
    ],
)
def test_what_ingress_gce_or_the_api_refuses_is_an_error_naming_the_field(backend: Spec, named: str) -> None:
    _, error = _outcome(_objects(backend=backend))
    assert error is not None and f"BackendConfig default/walk spec.{named}" in error, error
