"""The status annotations ingress-gce writes onto an Ingress, from the resources one stack wants: what
`kubectl describe ingress` shows of the load balancer lbctl made for it."""

from __future__ import annotations

import json

from lbctl.model import annotations as a

from .translate import Desired


def status_annotations(desired: Desired) -> dict[str, str]:
    """Annotation key → value, as ingress-gce formats them (names, certificate names joined by commas, the
    backends as a JSON object of backend service → health state); an empty stack has none."""
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
    # health is not read on every converge (a getHealth per backend and group): ingress-gce's "Unknown"
    out[a.STATUS_BACKENDS] = json.dumps(
        dict.fromkeys(backends, "Unknown"), separators=(",", ":"), sort_keys=True
    )
    if desired.static_ip_name:
        out[a.STATUS_STATIC_IP] = desired.static_ip_name
    return out
