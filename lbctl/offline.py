"""An embedded, empty cloud for `lbctl plan --offline`: what the cloud changes would be in a fresh account
(AWS: a VPC with role-tagged subnets in two AZs; GCP: a project with the nodes' VMs and the static IPs the
Ingresses name, since those must exist beforehand)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ProviderConfig


@contextmanager
def empty_cloud(provider: str, cluster: str, snapshot: ClusterSnapshot, specs: list[LoadBalancerSpec],
                region: str, project: str) -> Iterator[ProviderConfig]:  # fmt: skip
    """Start an emulator for `provider`, set up the account/project, yield the provider config for it."""
    if provider == "aws":
        try:
            import moto.server  # noqa: F401 - the embedded AWS
        except ImportError:
            raise click.ClickException("--offline needs the embedded clouds: pip install -e '.[demo]'") from None
        from emulators.aws import DEMO_KEYS, create_aws_account, moto_server

        with moto_server() as url:
            account = create_aws_account(url, region, cluster, (f"{region}a", f"{region}b"))
            yield ProviderConfig(cluster_name=cluster, region=region, endpoint_url=url, vpc_id=account.vpc_id,
                                 options=dict(DEMO_KEYS))  # fmt: skip
        return
    from emulators.gce import ComputeEmulator
    from emulators.gce.project import create_gcp_project

    nodes = {n.instance_id or n.name: n.zone or "us-central1-a" for n in snapshot.nodes.values()}
    with ComputeEmulator(port=0) as compute:
        static_ips = sorted({s.frontend.static_ip_name for s in specs if s.frontend.static_ip_name})
        create_gcp_project(compute.url, project, nodes, static_ips[0] if static_ips else None)
        for name in static_ips[1:]:
            create_gcp_project(compute.url, project, {}, name)
        zones = sorted(set(nodes.values())) or ["us-central1-a"]
        yield ProviderConfig(cluster_name=cluster, project=project, endpoint_url=compute.url,
                             options={"zones": zones})  # fmt: skip
