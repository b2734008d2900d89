"""Issue repro: `lbctl emulator kube` was writable from any web page (a `text/plain` cross-origin POST created
an object), answered any Host (DNS rebinding), needed no token and bound 0.0.0.0 without a word. Against the
real command, as a user runs it."""

from __future__ import annotations

import http.client
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config

from emulators.testing.scripts import LBCTL

CONFIGMAPS = "/api/v1/namespaces/default/configmaps"
PAGE_BODY = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-a-web-page"},"data":{"a":"b"}}'


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`lbctl emulator kube --port 0 --kubeconfig ...`: its port and kubeconfig."""
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [LBCTL, "emulator", "kube", "--port", "0", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("kubeconfig written (it holds the token): ")
        banner = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in banner, banner
        yield int(banner.split("127.0.0.1:")[1].split()[0]), kubeconfig
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.stderr is not None and "WARNING" not in process.stderr.read()  # loopback: no warning


def raw(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body.encode() if body is not None else None)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def config_map_names(kubeconfig: Path) -> list[str]:
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        return [
            item.metadata.name for item in client.CoreV1Api(api).list_namespaced_config_map("default").items
        ]


def token_of(kubeconfig: Path) -> str:
    return yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]


def test_web_page_text_plain_post_is_refused_and_creates_nothing(served: tuple[int, Path]) -> None:
    port, kubeconfig = served
    # what `fetch(url, {method: "POST", mode: "no-cors", body: "..."})` on https://evil.example sends
    browser = {
        "Host": f"127.0.0.1:{port}",
        "Origin": "https://evil.example",
        "Content-Type": "text/plain;charset=UTF-8",
    }
    status, body = raw(port, "POST", CONFIGMAPS, browser, PAGE_BODY)
    assert (status, body["reason"], body["kind"]) == (403, "Forbidden", "Status")
    assert "cross-origin request refused" in body["message"]
    assert config_map_names(kubeconfig) == []


def test_dns_rebinding_host_is_refused(served: tuple[int, Path]) -> None:
    port, kubeconfig = served
    # a page on rebind.example:PORT whose name now resolves to 127.0.0.1 is same-origin for the browser
    rebound = {
        "Host": f"rebind.example:{port}",
        "Origin": f"http://rebind.example:{port}",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token_of(kubeconfig)}",
    }
    status, body = raw(port, "POST", CONFIGMAPS, rebound, PAGE_BODY)
    assert (status, body["reason"]) == (403, "Forbidden") and "DNS rebinding" in body["message"]
    assert config_map_names(kubeconfig) == []


def test_no_token_is_401(served: tuple[int, Path]) -> None:
    port, kubeconfig = served
    status, body = raw(
        port, "POST", CONFIGMAPS, {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"}, PAGE_BODY
    )
    assert (status, body) == (
        401,
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        },
    )
    assert config_map_names(kubeconfig) == []
    assert raw(port, "GET", "/_emulator/requests", {"Host": f"127.0.0.1:{port}"})[0] == 401


def test_binding_beyond_loopback_warns_on_stderr(tmp_path: Path) -> None:
    """Only started and stopped: no request goes to a non-loopback address."""
    process = subprocess.Popen(
        [
            LBCTL,
            "emulator",
            "kube",
            "--host",
            "0.0.0.0",
            "--port",
            "0",  # noqa: S104
            "--kubeconfig",
            str(tmp_path / "kubeconfig"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        lines = [process.stderr.readline() for _ in range(2)]
        warning = "".join(lines).strip()
        assert warning.startswith("WARNING: the Kubernetes API emulator listens on 0.0.0.0:")
        assert "anyone on the network who has its token" in warning and "can read and write" in warning
        assert "listening on http://127.0.0.1:" in process.stdout.readline() + process.stdout.readline()
        written = (tmp_path / "kubeconfig").read_text()
        assert "server: https://127.0.0.1:" in written  # the local user reaches it through loopback
    finally:
        process.terminate()
        process.wait(timeout=20)
