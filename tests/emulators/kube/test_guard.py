"""What a browser page, a rebound host name or a client without the token can do to the emulator: nothing.
Raw HTTP with the exact headers a browser sends, through `http.client`, so nothing adds a header of its own."""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any

import pytest
from kubernetes import client

from emulators.kube import KubeEmulator

SECRETS = "/api/v1/namespaces/default/secrets"
BODY = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "planted"}})


def send(
    emulator: KubeEmulator,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | bytes | None = None,
    host: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request; `host` replaces the Host header (the connection still goes to the emulator's loopback port)."""
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{emulator.port}")
        data = body.encode() if isinstance(body, str) else body
        for name, value in {
            **headers,
            **({"Content-Length": str(len(data))} if data is not None else {}),
        }.items():
            connection.putheader(name, value)
        connection.endheaders(data)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def planted(emulator: KubeEmulator) -> bool:
    return any(
        s["metadata"]["name"] == "planted"
        for s in emulator.store.list(emulator.kind("v1", "secrets"), "default")["items"]
    )


@pytest.mark.parametrize(
    "content_type",
    ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_browser_simple_post_from_another_origin_is_refused(
    emulator: KubeEmulator, content_type: str
) -> None:
    status, body = send(
        emulator, "POST", SECRETS, {"Origin": "https://evil.example", "Content-Type": content_type}, BODY
    )
    assert (status, body["reason"]) == (403, "Forbidden")
    assert "cross-origin request refused" in body["message"] and "evil.example" in body["message"]
    assert not planted(emulator)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_browser_body_types_are_415_even_with_the_token(emulator: KubeEmulator, content_type: str) -> None:
    status, body = send(
        emulator, "POST", SECRETS, {"Content-Type": content_type, **emulator.auth_headers()}, BODY
    )
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf",
        "reason": "UnsupportedMediaType",
        "code": 415,
    }
    assert status == 415 and not planted(emulator)


def test_same_origin_json_with_the_token_is_served(emulator: KubeEmulator) -> None:
    headers = {"Origin": emulator.url, "Content-Type": "application/json", **emulator.auth_headers()}
    assert send(emulator, "POST", SECRETS, headers, BODY)[0] == 201
    assert planted(emulator)


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "evil.example", "127.0.0.1:1", "", "localhost.evil:{port}"]
)
def test_foreign_host_header_is_refused(emulator: KubeEmulator, host: str) -> None:
    headers = {"Content-Type": "application/json", **emulator.auth_headers()}
    status, body = send(emulator, "POST", SECRETS, headers, BODY, host=host.format(port=emulator.port) or " ")
    assert (status, body["reason"]) == (403, "Forbidden") and "DNS rebinding" in body["message"]
    assert not planted(emulator)


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_names_of_the_port_are_served(emulator: KubeEmulator, host: str) -> None:
    assert (
        send(emulator, "GET", SECRETS, emulator.auth_headers(), host=host.format(port=emulator.port))[0]
        == 200
    )


def test_an_allowed_proxy_host_is_served(emulator: KubeEmulator) -> None:
    assert send(emulator, "GET", SECRETS, emulator.auth_headers(), host="127.0.0.1:1")[0] == 403
    emulator.allow_host("127.0.0.1:1")
    assert send(emulator, "GET", SECRETS, emulator.auth_headers(), host="127.0.0.1:1")[0] == 200


UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Bearer ", "Basic YTpi", "lbctl-emulator-token"]
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", SECRETS),
        ("POST", SECRETS),
        ("GET", "/api"),
        ("GET", "/version"),
        ("GET", "/_emulator/requests"),
        ("POST", "/_emulator/faults"),
    ],
)
def test_without_the_token_everything_but_health_is_401(
    emulator: KubeEmulator, authorization: str | None, method: str, path: str
) -> None:
    headers = {"Content-Type": "application/json"} | (
        {"Authorization": authorization} if authorization else {}
    )
    body = json.dumps({"action": "fail", "status": 500}) if path.startswith("/_emulator") else BODY
    assert send(emulator, method, path, headers, body if method == "POST" else None) == (401, UNAUTHORIZED)
    assert not planted(emulator) and emulator.faults.rules == []


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/livez"])
def test_health_needs_no_token(emulator: KubeEmulator, path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    assert (response.status, response.read()) == (200, b"ok")
    connection.close()


def test_two_emulators_have_different_tokens() -> None:
    with KubeEmulator() as first, KubeEmulator() as second:
        assert first.token != second.token and len(first.token) >= 32
        assert send(first, "GET", SECRETS, second.auth_headers())[0] == 401


def test_official_client_with_the_helper_configuration(emulator: KubeEmulator) -> None:
    with emulator.api_client() as api:
        client.CoreV1Api(api).create_namespaced_secret("default", {"metadata": {"name": "planted"}})
    with (
        client.ApiClient(client.Configuration(host=emulator.url)) as anonymous,
        pytest.raises(client.ApiException) as error,
    ):
        client.CoreV1Api(anonymous).list_namespaced_secret("default")
    assert error.value.status == 401 and json.loads(error.value.body) == UNAUTHORIZED


def test_tls_on_the_same_port_presents_the_kubeconfig_certificate(emulator: KubeEmulator) -> None:
    context = ssl.create_default_context(cadata=emulator.certificate_pem.decode())
    for name in ("127.0.0.1", "localhost"):
        connection = http.client.HTTPSConnection(name, emulator.port, context=context, timeout=10)
        connection.request("GET", SECRETS, headers=emulator.auth_headers())
        assert connection.getresponse().status == 200
        connection.close()
    untrusting = http.client.HTTPSConnection(
        "127.0.0.1", emulator.port, context=ssl.create_default_context(), timeout=10
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusting.request("GET", SECRETS)
    untrusting.close()
    assert (
        send(emulator, "GET", SECRETS, emulator.auth_headers())[0] == 200
    )  # the port still serves plain HTTP
