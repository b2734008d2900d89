"""What a regional Application Load Balancer (gce-internal, gce-regional-external) needs of the project before
translation: the cluster's region, its network's ACTIVE proxy-only subnet there (the Envoy proxies' addresses,
which the firewall lets in), and for an internal one the subnet its address comes from. Read once per
discovery; each missing piece is the user's to fix, with the gcloud command that makes it."""

from __future__ import annotations

from typing import Any

from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ProviderError

from .discover import regions_of
from .translate import REGIONAL_FIELD, Context

GcpProvider = Any  # providers.gcp.provider.GcpProvider (not imported: it imports this module)

# Purposes of a proxy-only subnet: today's, and the one internal HTTP(S) load balancing used first
PROXY_PURPOSES = ("REGIONAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER")
SUGGESTED_RANGE = "10.129.0.0/23"


def proxy_subnet_command(region: str, network: str) -> str:
    """The gcloud command that creates the proxy-only subnet regional Application Load Balancers need."""
    return (
        f"gcloud compute networks subnets create proxy-only-subnet --purpose=REGIONAL_MANAGED_PROXY "
        f"--role=ACTIVE --region={region} --network={network} --range={SUGGESTED_RANGE}"
    )


def subnetworks(provider: GcpProvider, region: str) -> list[dict[str, Any]]:
    """The subnetworks of `region`, read once per discovery (kept with its other lookups)."""
    cache = provider.cache
    key = ("subnetworks", f"regions/{region}")
    fresh = cache.fresh()
    with cache.lock:
        known = cache.lookups.get(key) if fresh else None
    if known is not None:
        return list(known["items"])
    found = provider.compute.list("subnetworks", zone=f"regions/{region}")
    if fresh:
        with cache.lock:
            cache.lookups[key] = {"items": found}
    return found


def _in_network(subnet: dict[str, Any], network: str) -> bool:
    return str(subnet.get("network", "")).rstrip("/").endswith(f"/global/networks/{network}")


def proxy_only_subnet(provider: GcpProvider, region: str, network: str) -> dict[str, Any] | None:
    """The ACTIVE proxy-only subnet of `network` in `region`, if there is one."""
    for subnet in subnetworks(provider, region):
        if (
            _in_network(subnet, network)
            and subnet.get("purpose") in PROXY_PURPOSES
            and subnet.get("role") == "ACTIVE"
        ):
            return subnet
    return None


def cluster_region(provider: GcpProvider, field: str) -> str:
    """The one region of the cluster's zones."""
    regions = regions_of(provider.zones())
    if len(regions) != 1:
        raise ProviderError(
            f"a regional load balancer needs the cluster's zones in one region, not {', '.join(regions)}: "
            "set --gcp-zone to the zones of the cluster",
            user_fixable=True,
            field=field,
        )
    return regions[0]


def regional_context(provider: GcpProvider, ctx: Context, spec: LoadBalancerSpec) -> None:
    """Fill `ctx` for a regional spec: region, scheme, subnetwork, proxy-only range; or refuse naming the fix."""
    field = spec.field_of(REGIONAL_FIELD)
    internal = spec.frontend.scheme == "internal"
    ctx.region = cluster_region(provider, field)
    ctx.scheme = "INTERNAL_MANAGED" if internal else "EXTERNAL_MANAGED"
    ctx.subnetwork = str(provider.options.get("subnetwork") or ctx.network)
    proxy = proxy_only_subnet(provider, ctx.region, ctx.network)
    if proxy is None:
        raise ProviderError(
            f"a {'gce-internal' if internal else 'gce-regional-external'} Ingress needs an ACTIVE proxy-only "
            f"subnet (purpose REGIONAL_MANAGED_PROXY) in region {ctx.region} of network {ctx.network}; "
            f"create one: {proxy_subnet_command(ctx.region, ctx.network)}",
            user_fixable=True,
            field=field,
        )
    ctx.proxy_subnet_range = str(proxy["ipCidrRange"])
    if internal and not any(
        s.get("name") == ctx.subnetwork and _in_network(s, ctx.network)
        for s in subnetworks(provider, ctx.region)
    ):
        raise ProviderError(
            f"the cluster's subnetwork {ctx.subnetwork!r} is not in region {ctx.region} of network {ctx.network}: "
            "start lbctl with the subnetwork of the cluster's nodes (provider option subnetwork)",
            user_fixable=True,
            field=field,
        )
