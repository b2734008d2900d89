"""ManagedCertificates: Google-managed SSL certificates (`type: MANAGED`) for the domains of the
ManagedCertificates an Ingress names, and their provisioning state written back as gke-managed-certs writes it.

The domains of a managed certificate cannot change, so they are hashed into its name (translate): new domains
are a new certificate. HTTPS is never dropped on the way: the earlier certificate of the same
ManagedCertificate stays attached beside the new one while that one provisions, and goes (detached, then
deleted) on the first converge that finds the new one ACTIVE. Reads happen only while such an earlier
certificate exists (before planning) and for the status report (after a converge), one `get` per certificate.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions

from lbctl.model.kinds import MANAGED_CERTIFICATE
from lbctl.model.spec import LoadBalancerSpec, TLSCertificate
from lbctl.provider import ObjectStatus

from . import naming as n
from .clients import Compute, to_dict
from .discover import Inventory
from .translate import Desired, managed_cert_name, managed_role

ACTIVE = "ACTIVE"
# SslCertificate managed.status → ManagedCertificate status.certificateStatus (gke-managed-certs' table)
CERTIFICATE_STATUS = {
    "ACTIVE": "Active",
    "": "",
    "MANAGED_CERTIFICATE_STATUS_UNSPECIFIED": "",
    "PROVISIONING": "Provisioning",
    "PROVISIONING_FAILED": "ProvisioningFailed",
    "PROVISIONING_FAILED_PERMANENTLY": "ProvisioningFailedPermanently",
    "RENEWAL_FAILED": "RenewalFailed",
}
# SslCertificate managed.domainStatus values → ManagedCertificate status.domainStatus[].status
DOMAIN_STATUS = {
    "ACTIVE": "Active",
    "FAILED_CAA_CHECKING": "FailedCaaChecking",
    "FAILED_CAA_FORBIDDEN": "FailedCaaForbidden",
    "FAILED_NOT_VISIBLE": "FailedNotVisible",
    "FAILED_RATE_LIMITED": "FailedRateLimited",
    "PROVISIONING": "Provisioning",
}


def managed_of(spec: LoadBalancerSpec) -> list[TLSCertificate]:
    """The ManagedCertificates of a spec's HTTPS listeners."""
    if spec.empty:
        return []
    found = [c for lst in spec.frontend.listeners for c in lst.certificates if c.kind == "managed"]
    return list({c.ref: c for c in found}.values())


def _get(compute: Compute, name: str) -> dict[str, Any] | None:
    try:
        return to_dict(compute.call("sslCertificates", "get", ssl_certificate=name))
    except exceptions.NotFound:
        return None


def _status(body: dict[str, Any] | None) -> str:
    return str(((body or {}).get("managed") or {}).get("status") or "")


def earlier_certificates(
    compute: Compute, inventory: Inventory, cluster: str, spec: LoadBalancerSpec
) -> dict[str, list[str]]:
    """ManagedCertificate "ns/name" → its earlier certificates of this stack that keep serving: ACTIVE ones,
    while the certificate of its current domains is not ACTIVE yet."""
    certs = managed_of(spec)
    if not certs:
        return {}
    mine = inventory.of_stack(spec.stack)
    out: dict[str, list[str]] = {}
    for cert in certs:
        name = managed_cert_name(cluster, spec.stack, cert)
        role = managed_role(cert.ref)
        earlier = sorted(
            key[2]
            for key, existing in mine.items()
            if key[0] == "sslCertificates" and existing.owner.get("role") == role and key[2] != name
        )
        if not earlier or _status(_get(compute, name)) == ACTIVE:
            continue
        kept = [old for old in earlier if _status(_get(compute, old)) == ACTIVE]
        if kept:
            out[cert.ref] = kept
    return out


def certificate_status(body: dict[str, Any]) -> dict[str, Any]:
    """A ManagedCertificate's status from its SslCertificate, as gke-managed-certs translates it: statuses
    renamed, domains sorted, the expiry time once issued."""
    managed = body.get("managed") or {}
    raw = str(managed.get("status") or "")
    domains = managed.get("domainStatus") or {}
    status: dict[str, Any] = {
        "certificateStatus": CERTIFICATE_STATUS.get(raw, raw),
        "domainStatus": [
            {"domain": d, "status": DOMAIN_STATUS.get(str(domains[d]), str(domains[d]))}
            for d in sorted(domains)
        ],
        "certificateName": str(body.get("name", "")),
    }
    if body.get("expireTime"):
        status["expireTime"] = str(body["expireTime"])
    return status


def report(compute: Compute, desired: Desired) -> tuple[list[ObjectStatus], bool]:
    """The status of each ManagedCertificate of the stack, read afresh, and whether any is still changing (not
    ACTIVE, or an earlier certificate still attached beside it)."""
    out: list[ObjectStatus] = []
    changing = False
    for ref, name in sorted(desired.managed.items()):
        body = _get(compute, name)
        if body is None:
            changing = True
            continue
        namespace, _, object_name = ref.partition("/")
        out.append(ObjectStatus(MANAGED_CERTIFICATE, namespace, object_name, certificate_status(body)))
        role = managed_role(ref)
        earlier = any(
            w.collection == "sslCertificates"
            and w.name != name
            and (n.owner(w.body) or {}).get("role") == role
            for w in desired.resources
        )
        changing = changing or _status(body) != ACTIVE or earlier
    return out, changing
