"""The status annotations ingress-gce writes onto an Ingress, from the resources one stack wants: what
`kubectl describe ingress` shows of the load balancer lbctl made for it."""

from __future__ import annotations

import json

from google.api_core import exceptions
from google.cloud import compute_v1

from lbctl.model import annotations as a

from .clients import Compute, scope_args
from .translate import Desired


def backend_health(compute: Compute, desired: Desired) -> dict[str, str]:
    """Backend service name → its health as ingress-gce computes it (backends.Pool.Health): HEALTHY as soon as
    one endpoint of any of its groups is, else the state of the last endpoint reported, "Unknown" without
    groups or statuses, or when getHealth fails."""
    out: dict[str, str] = {}
    for wanted in desired.resources:
        if wanted.collection != "backendServices":
            continue
        state = "Unknown"
        try:
            for backend in wanted.body.get("backends") or []:
                reply = compute.call(
                    "backendServices",
                    "getHealth",
                    backend_service=wanted.name,
                    **scope_args(wanted.zone),
                    resource_group_reference_resource=compute_v1.ResourceGroupReference(
                        group=backend["group"]
                    ),
                )
                states = [str(h.health_state) for h in reply.health_status]
                if "HEALTHY" in states:
                    state = "HEALTHY"
                    break
                if states:
                    state = states[-1]
        except exceptions.GoogleAPICallError:
            state = "Unknown"
        out[wanted.name] = state
    return out


def status_annotations(desired: Desired, health: dict[str, str] | None = None) -> dict[str, str]:
    """Annotation key → value, as ingress-gce formats them (names, certificate names joined by commas, the
    backends as a JSON object of backend service → health state, "Unknown" where `health` has none); an
    empty stack has none."""
    out: dict[str, str] = {}
    by_collection: dict[str, list[str]] = {}
    for wanted in desired.resources:
        by_collection.setdefault(wanted.collection, []).append(wanted.name)
        if wanted.collection == "urlMaps":
            key = a.STATUS_REDIRECT_URL_MAP if "defaultUrlRedirect" in wanted.body else a.STATUS_URL_MAP
            out[key] = wanted.name
        elif wanted.collection == "forwardingRules":
            https = "/targetHttpsProxies/" in str(wanted.body.get("target", ""))
            out[a.STATUS_HTTPS_FORWARDING_RULE if https else a.STATUS_FORWARDING_RULE] = wanted.name
        elif wanted.collection == "targetHttpProxies":
            out[a.STATUS_TARGET_PROXY] = wanted.name
        elif wanted.collection == "targetHttpsProxies":
            certs = [str(ref).rsplit("/", 1)[-1] for ref in wanted.body.get("sslCertificates") or []]
            out[a.STATUS_HTTPS_TARGET_PROXY] = wanted.name
            if certs:
                out[a.STATUS_SSL_CERT] = ",".join(certs)
    if a.STATUS_URL_MAP not in out:
        return {}  # nothing to serve: the stack is being deleted (or has no frontend)
    backends = sorted(by_collection.get("backendServices", []))
    health = health or {}
    out[a.STATUS_BACKENDS] = json.dumps(
        {b: health.get(b, "Unknown") for b in backends}, separators=(",", ":"), sort_keys=True
    )
    if desired.static_ip_name:
        out[a.STATUS_STATIC_IP] = desired.static_ip_name
    return out
