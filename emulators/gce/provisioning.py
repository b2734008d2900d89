"""Google-managed certificates: how a `type: MANAGED` SSL certificate goes from PROVISIONING to ACTIVE.

The real API issues the certificate once every domain's DNS record points at the address of a load balancer
the certificate is attached to (a forwarding rule → target HTTPS proxy → the certificate); a domain that does
not is FAILED_NOT_VISIBLE and the certificate stays PROVISIONING while Google retries. The emulator has no
clock-driven issuer: a provisioning pass (`POST /_emulator/sslCertificates:provision`) does what the issuer
would do now, against the DNS records set with `POST /_emulator/dns`, so tests decide when it happens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .store import Store

ACTIVE = "ACTIVE"
NOT_VISIBLE = "FAILED_NOT_VISIBLE"
DOMAIN_STATUSES = (
    "PROVISIONING",
    "ACTIVE",
    "FAILED_NOT_VISIBLE",
    "FAILED_CAA_CHECKING",
    "FAILED_CAA_FORBIDDEN",
    "FAILED_RATE_LIMITED",
)
LIFETIME = timedelta(days=90)  # Google-managed certificates are issued for 90 days


def set_dns(store: Store, records: Any) -> dict[str, str]:
    """Merge A records (domain → IPv4 address; null removes one); returns them all."""
    if not isinstance(records, dict) or not all(isinstance(k, str) for k in records):
        raise ValueError('expected {"records": {"domain": "address" or null}}')
    with store.lock:
        for domain, address in records.items():
            if address is None:
                store.dns.pop(domain.lower(), None)
            elif isinstance(address, str):
                store.dns[domain.lower()] = address
            else:
                raise ValueError(f"records[{domain!r}]: expected an address or null")
        return dict(store.dns)


def _addresses_serving(store: Store, certificate: str) -> set[str]:
    """The IP addresses of the forwarding rules whose HTTPS proxy lists `certificate` (a self link)."""
    proxies = {
        store.self_link(key)
        for key, proxy in store.resources.items()
        if key.collection == "targetHttpsProxies" and certificate in (proxy.get("sslCertificates") or [])
    }
    return {
        str(rule.get("IPAddress"))
        for key, rule in store.resources.items()
        if key.collection == "forwardingRules" and rule.get("target") in proxies
    }


def provision(store: Store, body: Any) -> dict[str, Any]:
    """One pass of the issuer over every managed certificate not yet ACTIVE (or those `names` lists): each
    domain is ACTIVE when its DNS record points at an address serving the certificate, else
    FAILED_NOT_VISIBLE (or what `domainStatus` forces for it); all ACTIVE → the certificate is ACTIVE with
    its `expireTime`. Returns each certificate's `managed` block, by path."""
    body = body or {}
    if not isinstance(body, dict):
        raise ValueError('expected {"names": [...], "domainStatus": {"domain": "STATUS"}}')
    forced = body.get("domainStatus") or {}
    names = body.get("names")
    if not isinstance(forced, dict) or any(v not in DOMAIN_STATUSES for v in forced.values()):
        raise ValueError(f"domainStatus: expected domain → one of {', '.join(DOMAIN_STATUSES)}")
    if names is not None and not isinstance(names, list):
        raise ValueError("names: expected a list of certificate names")
    out: dict[str, Any] = {}
    with store.lock:
        for key, cert in store.resources.items():
            managed = cert.get("managed")
            if key.collection != "sslCertificates" or cert.get("type") != "MANAGED" or not managed:
                continue
            if (names is not None and key.name not in names) or managed.get("status") == ACTIVE:
                continue
            serving = _addresses_serving(store, store.self_link(key))
            statuses = {}
            for domain in managed["domains"]:
                visible = store.dns.get(domain.lower()) in serving
                statuses[domain] = forced.get(domain, ACTIVE if visible else NOT_VISIBLE)
            managed["domainStatus"] = statuses
            if all(s == ACTIVE for s in statuses.values()):
                managed["status"] = ACTIVE
                cert["expireTime"] = (
                    (datetime.now(UTC) + LIFETIME).astimezone().isoformat(timespec="milliseconds")
                )
            out[key.path] = dict(managed)
    return out
