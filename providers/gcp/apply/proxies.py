"""Target HTTP and HTTPS proxies, global or regional (`regions/R` in the step's `where`): created, their URL
map, certificates and SSL policy set, deleted."""

from __future__ import annotations

from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import COLLECTIONS, Compute, target, unknown


def execute(compute: Compute, step: Step) -> bool:
    collection, method = target(step)
    named = {COLLECTIONS[collection].name_arg: step.name}
    if method == "insert":
        return compute.insert(step)
    if method == "setUrlMap":
        compute.mutate(
            collection,
            "setUrlMap",
            step.where,
            **named,
            url_map_reference_resource=compute_v1.UrlMapReference(url_map=step.body["urlMap"]),
        )
    elif method == "setSslCertificates":
        certificates = list(step.body["sslCertificates"])
        if step.where:  # regional: the request has its own message and argument
            compute.mutate(
                collection,
                "setSslCertificates",
                step.where,
                **named,
                region_target_https_proxies_set_ssl_certificates_request_resource=(
                    compute_v1.RegionTargetHttpsProxiesSetSslCertificatesRequest(
                        ssl_certificates=certificates
                    )
                ),
            )
            return True
        request = compute_v1.TargetHttpsProxiesSetSslCertificatesRequest(ssl_certificates=certificates)
        compute.mutate(
            collection,
            "setSslCertificates",
            **named,
            target_https_proxies_set_ssl_certificates_request_resource=request,
        )
    elif method == "setSslPolicy":
        request = compute_v1.SslPolicyReference(ssl_policy=step.body.get("sslPolicy") or None)
        compute.mutate(collection, "setSslPolicy", **named, ssl_policy_reference_resource=request)
    elif method == "delete":
        return compute.delete(step)
    else:
        raise unknown(step)
    return True
