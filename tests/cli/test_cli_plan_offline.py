"""`lbctl plan --offline`: the cloud resources a converge would create in an empty account/project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from emulators.testing.cli import lbctl_in_process
from emulators.testing.scripts import LBCTL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("provider", "example", "expected"),
    [
        ("aws", "two-services.yaml", {"SecurityGroup", "TargetGroup", "LoadBalancer", "Listener", "Rule"}),
        (
            "gcp",
            "two-services-gce.yaml",
            {
                "HealthCheck",
                "BackendService",
                "InstanceGroup",
                "UrlMap",
                "TargetHttpProxy",
                "TargetHttpsProxy",
                "ForwardingRule",
                "SslCertificate",
            },
        ),
    ],
)
def test_offline_plan_lists_every_resource_to_create(provider: str, example: str, expected: set[str]) -> None:
    done = subprocess.run(
        [
            LBCTL,
            "plan",
            "-f",
            str(ROOT / "docs" / "examples" / example),
            "--provider",
            provider,
            "--offline",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "stderr shows only lbctl's own messages (no embedded server request log)"
    (doc,) = json.loads(done.stdout)
    kinds = {c["kind"] for c in doc["changes"] if c["action"] == "create"}
    assert expected <= kinds
    assert all(c["action"] in ("create", "update") for c in doc["changes"]), (
        "an empty account has nothing to delete"
    )


def test_offline_gcp_plan_shows_each_request_body_and_never_the_private_key() -> None:
    done = lbctl_in_process(
        "plan",
        "-f",
        str(ROOT / "docs" / "examples" / "two-services-gce.yaml"),
        "--provider",
        "gcp",
        "--offline",
        "-o",
        "json",
    )
    assert done.returncode == 0, done.stderr
    (doc,) = json.loads(done.stdout)
    creates = {s["kind"]: s for s in doc["steps"] if s["action"] == "create"}
    assert len(doc["steps"]) == len(doc["changes"])
    services = [s for s in doc["steps"] if s["kind"] == "BackendService"]
    assert len(services) == 2 and all(s["body"]["healthChecks"] and s["body"]["backends"] for s in services)
    checks = [s for s in doc["steps"] if s["kind"] == "HealthCheck"]
    assert len(checks) == 2 and all(s["body"]["httpHealthCheck"]["requestPath"] for s in checks)
    assert creates["UrlMap"]["operation"] == "urlMaps.insert" and creates["UrlMap"]["body"]["pathMatchers"]
    assert creates["SslCertificate"]["body"]["privateKey"] == "<redacted>"
    assert "PRIVATE KEY" not in done.stdout


def test_run_help_says_where_metrics_and_probes_listen() -> None:
    done = subprocess.run([LBCTL, "run", "--help"], capture_output=True, text=True, timeout=60)
    text = " ".join(done.stdout.split())
    assert done.returncode == 0 and "[default: :8080]" in text and "[default: :8081]" in text
    assert "every interface (0.0.0.0)" in text and "127.0.0.1:PORT" in text


def test_offline_and_endpoint_are_exclusive() -> None:
    done = subprocess.run(
        [
            LBCTL,
            "plan",
            "-f",
            str(ROOT / "docs" / "examples" / "two-services.yaml"),
            "--provider",
            "aws",
            "--offline",
            "--endpoint-url",
            "http://127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--offline" in done.stderr


def test_offline_gcp_plan_never_shows_an_iap_client_secret_or_a_signing_key(tmp_path: Path) -> None:
    """A BackendConfig with IAP on one Service and CDN signing keys on the other: the plan names the OAuth
    client and the keys, never their secret values (redacted, as a TLS key is)."""
    import base64

    import yaml

    client_secret, key_value = "oauth-client-secret-value", "nZtRohdNF9m3cKM24IcK4w=="
    docs = [
        d for d in yaml.safe_load_all((ROOT / "docs" / "examples" / "two-services-gce.yaml").read_text()) if d
    ]

    def encoded(data: dict[str, str]) -> dict[str, str]:
        return {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}

    meta = {"namespace": "default"}
    docs += [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {**meta, "name": "oauth"},
            "data": encoded({"client_id": "client.apps.example", "client_secret": client_secret}),
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {**meta, "name": "signing"},
            "data": encoded({"key_value": key_value}),
        },
        {
            "apiVersion": "cloud.google.com/v1",
            "kind": "BackendConfig",
            "metadata": {**meta, "name": "iap"},
            "spec": {"iap": {"enabled": True, "oauthclientCredentials": {"secretName": "oauth"}}},
        },
        {
            "apiVersion": "cloud.google.com/v1",
            "kind": "BackendConfig",
            "metadata": {**meta, "name": "cdn"},
            "spec": {
                "cdn": {
                    "enabled": True,
                    "signedUrlKeys": [
                        {"keyName": "k1", "secretName": "signing"},
                        {"keyName": "k2", "keyValue": key_value},
                    ],
                }
            },
        },
    ]
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert len(services) == 2
    for (_, service), config in zip(sorted(services.items()), ("cdn", "iap"), strict=True):
        annotations = service["metadata"].setdefault("annotations", {})
        annotations["cloud.google.com/backend-config"] = json.dumps({"default": config})
    path = tmp_path / "app.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    done = lbctl_in_process("plan", "-f", str(path), "--provider", "gcp", "--offline", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert client_secret not in done.stdout + done.stderr and key_value not in done.stdout + done.stderr
    (doc,) = json.loads(done.stdout)
    iap = [s["body"]["iap"] for s in doc["steps"] if s["body"].get("iap", {}).get("enabled")]
    assert iap == [
        {"enabled": True, "oauth2ClientId": "client.apps.example", "oauth2ClientSecret": "<redacted>"}
    ]
    keys = [s["body"] for s in doc["steps"] if s["operation"] == "backendServices.addSignedUrlKey"]
    assert keys == [{"keyName": "k1", "keyValue": "<redacted>"}, {"keyName": "k2", "keyValue": "<redacted>"}]
