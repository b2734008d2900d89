"""`python -m emulators.kube` serves until stopped and writes a usable kubeconfig."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from kubernetes import client, config


def test_module_entry_point_serves(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [sys.executable, "-m", "emulators.kube", "--port", "0", "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Kubernetes API emulator on http://127.0.0.1:")
        deadline = time.monotonic() + 60
        while not kubeconfig.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
        assert configuration.host == banner.split(" on ")[1].strip().replace("http://", "https://")
        with client.ApiClient(configuration) as api:
            names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
        assert "default" in names
    finally:
        process.terminate()
        process.wait(timeout=10)
