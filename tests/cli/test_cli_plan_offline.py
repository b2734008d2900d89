"""`lbctl plan --offline`: the cloud resources a converge would create in an empty account/project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

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
    done = subprocess.run(
        [
            LBCTL,
            "plan",
            "-f",
            str(ROOT / "docs" / "examples" / "two-services-gce.yaml"),
            "--provider",
            "gcp",
            "--offline",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
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
