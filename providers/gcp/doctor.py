"""`lbctl doctor` for Google Cloud: project and zones reachable, static IPs visible, the proxy-only subnet regional
Ingresses need, our resources listable.
The Compute API has no dry run for load-balancing resources, so permissions are listed, not proven."""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions

from lbctl.provider import Check, ProviderError

from . import naming as n


def gcp_checks(provider: Any) -> list[Check]:
    checks: list[Check] = []
    try:
        zones = provider.compute.zones()
    except ProviderError as err:
        return [Check("Project", "fail", str(err), "set --gcp-project / LBCTL_GCP_PROJECT")]
    except exceptions.GoogleAPICallError as err:
        return [
            Check(
                "Project",
                "fail",
                f"{provider.project}: {err.message}"[:300],
                "check the project ID and the credentials (Workload Identity on GKE)",
            )
        ]
    checks.append(Check("Project", "ok", f"{provider.project}: {len(zones)} zones reachable"))
    configured = provider.options.get("zones")
    if configured:
        unknown = sorted(set(configured) - set(zones))
        checks.append(
            Check(
                "Zones",
                "fail" if unknown else "ok",
                f"unknown zones: {', '.join(unknown)}" if unknown else ", ".join(configured),
                "fix the zones option" if unknown else "",
            )
        )
    addresses = provider.compute.list("addresses")
    names = ", ".join(a["name"] for a in addresses) or "none reserved"
    checks.append(Check("Global static IPs", "ok", names))
    checks.append(_proxy_only_subnet(provider, zones))
    try:
        mine = provider.compute.list("urlMaps", filter=n.name_filter(provider.config.cluster_name))
        checks.append(
            Check(
                "Read access",
                "ok",
                f"listing works; {len(mine)} URL map(s) of cluster {provider.config.cluster_name}",
            )
        )
    except exceptions.GoogleAPICallError as err:
        checks.append(
            Check("Read access", "fail", err.message[:300], "grant the role in manifests/iam/gcp-role.yaml")
        )
    checks.append(
        Check(
            "Write permissions",
            "warn",
            "the Compute API offers no dry run for load balancer resources, so they are not proven here",
            "make sure lbctl's service account has the role in manifests/iam/gcp-role.yaml",
        )
    )
    return checks


def _proxy_only_subnet(provider: Any, zones: list[str]) -> Check:
    """The ACTIVE proxy-only subnet of the cluster's network in its region, which gce-internal and
    gce-regional-external Ingresses need (a warning: global Ingresses do not)."""
    from .discover import regions_of
    from .regional import proxy_only_subnet, proxy_subnet_command

    network = str(provider.options.get("network", "default"))
    regions = regions_of(list(provider.options.get("zones") or zones))
    missing = []
    found = []
    try:
        for region in regions:
            subnet = proxy_only_subnet(provider, region, network)
            if subnet is None:
                missing.append(region)
            else:
                found.append(f"{region}: {subnet['name']} ({subnet['ipCidrRange']})")
    except exceptions.GoogleAPICallError as err:
        return Check(
            "Proxy-only subnet", "fail", err.message[:300], "grant the role in manifests/iam/gcp-role.yaml"
        )
    if missing:
        return Check(
            "Proxy-only subnet",
            "warn",
            f"network {network} has no ACTIVE REGIONAL_MANAGED_PROXY subnet in {', '.join(missing)}: "
            "gce-internal and gce-regional-external Ingresses are refused there",
            "; ".join(proxy_subnet_command(region, network) for region in missing),
        )
    return Check("Proxy-only subnet", "ok", "; ".join(found))
