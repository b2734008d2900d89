"""A controller on the emulators, configured for tests: fast retries, two workers, no metrics server."""

from __future__ import annotations

from typing import Any

from emulators.kube import KubeEmulator
from lbctl.kube.controller import ControllerConfig
from lbctl.kube.run import ControllerProcess, RunOptions
from lbctl.provider import ProviderConfig

FAST_AWS = {
    "rate_limits": {"": 1000.0},
    "retry_initial_wait": 0.01,
    "retry_max_wait": 0.05,
    "delete_retry_seconds": 0.5,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",
}


def controller(
    kube: KubeEmulator,
    provider: str,
    cloud_url: str,
    cluster: str = "e2e",
    *,
    leader_elect: bool = False,
    vpc_id: str | None = None,
    project: str | None = None,
    kube_url: str | None = None,
    lease_seconds: float = 1.5,
    **options: Any,
) -> ControllerProcess:
    """A controller on `kube` (through `kube_url` instead when given, e.g. a proxy in front of it). Tests that
    assert who leads use a long lease, so a loaded machine cannot expire it; they hand over by release."""
    return ControllerProcess(
        RunOptions(
            controller=ControllerConfig(
                provider=provider,
                cluster_name=cluster,
                workers=2,
                watch_timeout=5,
                base_retry_delay=0.05,
                max_retry_delay=1.0,
                sync_period=3600,
            ),
            provider=ProviderConfig(
                cluster_name=cluster,
                endpoint_url=cloud_url,
                options={
                    "region": "us-east-1",
                    "vpc_id": vpc_id,
                    "project": project,
                    **(FAST_AWS if provider == "aws" else {}),
                    **options,
                },
            ),
            kube_api_url=kube_url or kube.url,
            kube_api_token=kube.token,
            leader_elect=leader_elect,
            leader_lease_seconds=lease_seconds,
            metrics_addr=None,
            health_addr=None,
            drain_seconds=10,
        )
    )
