"""Backend service Cloud CDN and IAP fields through the real google-cloud-compute clients, as the Compute API
has them: signing keys added and removed by their custom methods (names only ever returned, three at most),
the IAP OAuth client secret input only (its SHA-256 returned instead), the CDN policy checked."""

from __future__ import annotations

import hashlib

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1

from emulators.testing.gce import PROJECT, Clients, Stack

KEY = "nZtRohdNF9m3cKM24IcK4w=="  # 128 bits, base64url


def _service(clients: Clients, stack: Stack) -> compute_v1.BackendService:
    return clients.backend_services.get(project=PROJECT, backend_service=stack.backend_service)


def _add(clients: Clients, stack: Stack, name: str, value: str = KEY) -> None:
    key = compute_v1.SignedUrlKey(key_name=name, key_value=value)
    clients.wait(
        clients.backend_services.add_signed_url_key(
            project=PROJECT, backend_service=stack.backend_service, signed_url_key_resource=key
        )
    )


def test_signing_keys_are_added_and_removed_by_name(clients: Clients, stack: Stack) -> None:
    _add(clients, stack, "first")
    _add(clients, stack, "second")
    service = _service(clients, stack)
    assert list(service.cdn_policy.signed_url_key_names) == ["first", "second"]
    assert KEY not in str(service)

    # an update keeps the keys: only the custom methods change them
    service.timeout_sec = 45
    clients.wait(
        clients.backend_services.update(
            project=PROJECT, backend_service=stack.backend_service, backend_service_resource=service
        )
    )
    assert list(_service(clients, stack).cdn_policy.signed_url_key_names) == ["first", "second"]

    clients.wait(
        clients.backend_services.delete_signed_url_key(
            project=PROJECT, backend_service=stack.backend_service, key_name="first"
        )
    )
    assert list(_service(clients, stack).cdn_policy.signed_url_key_names) == ["second"]


@pytest.mark.parametrize(
    ("names", "value", "message"),
    [
        (["Bad_Name"], KEY, "keyName"),
        (["short"], "c2hvcnQ", "keyValue"),
        (["a", "b", "c", "d"], KEY, "maximum"),
        (["twice", "twice"], KEY, "already exists"),
    ],
)
def test_bad_signing_keys_are_refused(
    clients: Clients, stack: Stack, names: list[str], value: str, message: str
) -> None:
    with pytest.raises(exceptions.BadRequest, match=message):
        for name in names:
            _add(clients, stack, name, value)


def test_deleting_a_missing_signing_key_is_refused(clients: Clients, stack: Stack) -> None:
    with pytest.raises(exceptions.BadRequest, match="does not exist"):
        clients.wait(
            clients.backend_services.delete_signed_url_key(
                project=PROJECT, backend_service=stack.backend_service, key_name="nope"
            )
        )


def test_the_iap_client_secret_is_never_returned_only_its_sha256(clients: Clients, stack: Stack) -> None:
    service = _service(clients, stack)
    service.iap = compute_v1.BackendServiceIAP(
        enabled=True, oauth2_client_id="client.apps", oauth2_client_secret="s3cret"
    )
    clients.wait(
        clients.backend_services.update(
            project=PROJECT, backend_service=stack.backend_service, backend_service_resource=service
        )
    )
    iap = _service(clients, stack).iap
    assert (iap.enabled, iap.oauth2_client_id, iap.oauth2_client_secret) == (True, "client.apps", "")
    assert iap.oauth2_client_secret_sha256 == hashlib.sha256(b"s3cret").hexdigest()


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (compute_v1.BackendServiceCdnPolicy(cache_mode="SOMETIMES"), "cacheMode"),
        (compute_v1.BackendServiceCdnPolicy(cache_mode="USE_ORIGIN_HEADERS", max_ttl=60), "maxTtl"),
        (compute_v1.BackendServiceCdnPolicy(default_ttl=600, max_ttl=60), "defaultTtl"),
    ],
)
def test_a_cdn_policy_the_api_refuses(
    clients: Clients, stack: Stack, policy: compute_v1.BackendServiceCdnPolicy, field: str
) -> None:
    service = _service(clients, stack)
    service.enable_c_d_n = True
    service.cdn_policy = policy
    with pytest.raises(exceptions.BadRequest, match=field):
        clients.wait(
            clients.backend_services.update(
                project=PROJECT, backend_service=stack.backend_service, backend_service_resource=service
            )
        )
