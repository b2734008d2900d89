"""`lbctl doctor` for Google Cloud: project and zones reachable, static IPs visible, our resources listable.
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
