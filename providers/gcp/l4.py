"""What a Service's passthrough load balancer needs of the project before translation (read once per
discovery, each missing piece the user's to fix, named by field): the cluster's region; for an internal one
its subnetwork (the annotation's, else the cluster's) in that region of the network; the address of
`spec.loadBalancerIP` — a reserved regional address (left alone on delete), or for an internal load balancer
any free IP of the subnetwork, as Compute allows."""

from __future__ import annotations

from typing import Any

from lbctl.provider import ProviderError, ServiceInput

from .l4_translate import L4Context, settings_of
from .regional import _in_network, cluster_region, subnetworks
from .translate import Context

GcpProvider = Any  # providers.gcp.provider.GcpProvider (not imported: it imports this module)


def l4_context(provider: GcpProvider, base: Context, stack: ServiceInput) -> L4Context:
    service = stack.spec
    if service.empty:
        return L4Context(base)
    settings = settings_of(service)
    base.region = cluster_region(provider, service.field_of("internal"))
    base.scheme = "INTERNAL" if settings.internal else "EXTERNAL"
    if settings.internal:
        base.subnetwork = settings.subnet or str(provider.options.get("subnetwork") or base.network)
        if not any(
            s.get("name") == base.subnetwork and _in_network(s, base.network)
            for s in subnetworks(provider, base.region)
        ):
            field = service.field_of("cloud.subnet") if settings.subnet else service.field_of("internal")
            raise ProviderError(
                f"subnetwork {base.subnetwork!r} is not in region {base.region} of network {base.network}: name "
                "a subnetwork of the cluster's region",
                user_fixable=True,
                field=field,
            )
    address = service.load_balancer_ip
    if address:
        _check_address(provider, base, address, settings.internal, service.field_of("load_balancer_ip"))
    return L4Context(base, address)


def _check_address(provider: GcpProvider, ctx: Context, ip: str, internal: bool, field: str) -> None:
    """A reserved regional address of the right type, or (internal) none: Compute takes any free IP of the
    subnetwork then."""
    region = str(ctx.region)
    cache = provider.cache
    key = ("addresses", f"regions/{region}")
    fresh = cache.fresh()
    with cache.lock:
        known = cache.lookups.get(key) if fresh else None
    found = list(known["items"]) if known is not None else provider.compute.list("addresses", zone=key[1])
    if fresh and known is None:
        with cache.lock:
            cache.lookups[key] = {"items": found}
    reserved = next((a for a in found if a.get("address") == ip), None)
    wanted = "INTERNAL" if internal else "EXTERNAL"
    if reserved is None and not internal:
        raise ProviderError(
            f"{ip} is not a reserved regional address in {region}: reserve it with 'gcloud compute addresses "
            f"create NAME --region={region} --addresses={ip}'",
            user_fixable=True,
            field=field,
        )
    if reserved is not None and reserved.get("addressType", "EXTERNAL") != wanted:
        raise ProviderError(
            f"the reserved address {reserved.get('name')} ({ip}) is {reserved.get('addressType', 'EXTERNAL')}; "
            f"this load balancer needs an {wanted} one",
            user_fixable=True,
            field=field,
        )
