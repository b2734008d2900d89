"""google-cloud-compute clients whose every call goes through the shared CloudCaller, operation waits through
operations clients on the same endpoint (never `ExtendedOperation.result()`), and the calls a Step makes.

Tolerant of a previous crash or a lost response: an insert that finds the resource (409) and a delete that
finds nothing (404) count as done, but report that the cloud was not as planned (False), so a kept
discovery is dropped. Fingerprinted calls re-read the fingerprint and retry once on 412.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from lbctl.cloudcalls import CallStats, CloudCaller, CloudFault
from lbctl.provider import Secret, Step

from .operations import raise_for_operation_error

FINGERPRINTS = ("fingerprint", "labelFingerprint")
IN_USE = {"resourceInUseByAnotherResource", "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE"}
THROTTLE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
QUOTA_REASONS = {"quotaExceeded", "QUOTA_EXCEEDED"}


@dataclass(frozen=True)
class Collection:
    client: type
    name_arg: str  # e.g. "url_map"
    message: type  # e.g. compute_v1.UrlMap
    zonal: bool = False
    regional: type | None = None  # the client of the same collection under regions/R, if it has one
    regional_list: type | None = None  # its list request

    @property
    def resource_arg(self) -> str:
        return f"{self.name_arg}_resource"


REGION_PREFIX = "regions/"
# Regional collections whose API methods carry no `region` prefix (regionUrlMaps.insert, forwardingRules.insert)
_UNPREFIXED_REGIONAL = frozenset({"forwardingRules", "addresses", "subnetworks"})


def scope_args(where: str | None) -> dict[str, str]:
    """The request argument of a resource's scope: `zone=` for a zone, `region=` for `regions/R`."""
    if not where:
        return {}
    if where.startswith(REGION_PREFIX):
        return {"region": where[len(REGION_PREFIX) :]}
    return {"zone": where}


def api_name(collection: str, regional: bool) -> str:
    """The API's name of a collection in its scope: `regionUrlMaps` for regional URL maps."""
    if not regional or collection in _UNPREFIXED_REGIONAL:
        return collection
    return f"region{collection[:1].upper()}{collection[1:]}"


COLLECTIONS: dict[str, Collection] = {
    "healthChecks": Collection(
        compute_v1.HealthChecksClient,
        "health_check",
        compute_v1.HealthCheck,
        regional=compute_v1.RegionHealthChecksClient,
        regional_list=compute_v1.ListRegionHealthChecksRequest,
    ),
    "backendServices": Collection(
        compute_v1.BackendServicesClient,
        "backend_service",
        compute_v1.BackendService,
        regional=compute_v1.RegionBackendServicesClient,
        regional_list=compute_v1.ListRegionBackendServicesRequest,
    ),
    "urlMaps": Collection(
        compute_v1.UrlMapsClient,
        "url_map",
        compute_v1.UrlMap,
        regional=compute_v1.RegionUrlMapsClient,
        regional_list=compute_v1.ListRegionUrlMapsRequest,
    ),
    "targetHttpProxies": Collection(
        compute_v1.TargetHttpProxiesClient,
        "target_http_proxy",
        compute_v1.TargetHttpProxy,
        regional=compute_v1.RegionTargetHttpProxiesClient,
        regional_list=compute_v1.ListRegionTargetHttpProxiesRequest,
    ),
    "targetHttpsProxies": Collection(
        compute_v1.TargetHttpsProxiesClient,
        "target_https_proxy",
        compute_v1.TargetHttpsProxy,
        regional=compute_v1.RegionTargetHttpsProxiesClient,
        regional_list=compute_v1.ListRegionTargetHttpsProxiesRequest,
    ),
    "sslCertificates": Collection(
        compute_v1.SslCertificatesClient,
        "ssl_certificate",
        compute_v1.SslCertificate,
        regional=compute_v1.RegionSslCertificatesClient,
        regional_list=compute_v1.ListRegionSslCertificatesRequest,
    ),
    "forwardingRules": Collection(
        compute_v1.GlobalForwardingRulesClient,
        "forwarding_rule",
        compute_v1.ForwardingRule,
        regional=compute_v1.ForwardingRulesClient,
        regional_list=compute_v1.ListForwardingRulesRequest,
    ),
    "firewalls": Collection(compute_v1.FirewallsClient, "firewall", compute_v1.Firewall),
    "addresses": Collection(
        compute_v1.GlobalAddressesClient,
        "address",
        compute_v1.Address,
        regional=compute_v1.AddressesClient,
        regional_list=compute_v1.ListAddressesRequest,
    ),
    "subnetworks": Collection(
        compute_v1.SubnetworksClient,  # regional only: the global entry is never called
        "subnetwork",
        compute_v1.Subnetwork,
        regional=compute_v1.SubnetworksClient,
        regional_list=compute_v1.ListSubnetworksRequest,
    ),
    "sslPolicies": Collection(compute_v1.SslPoliciesClient, "ssl_policy", compute_v1.SslPolicy),
    "instanceGroups": Collection(
        compute_v1.InstanceGroupsClient, "instance_group", compute_v1.InstanceGroup, True
    ),
    "networkEndpointGroups": Collection(
        compute_v1.NetworkEndpointGroupsClient,
        "network_endpoint_group",
        compute_v1.NetworkEndpointGroup,
        True,
    ),
}


def error_reasons(exc: BaseException) -> set[str]:
    reasons: set[str] = set()
    for error in getattr(exc, "errors", None) or []:
        if isinstance(error, dict):
            reasons.add(str(error.get("reason", "")))
        else:
            reasons.add(str(getattr(error, "code", "")))
    reason = getattr(exc, "reason", None)
    if reason:
        reasons.add(str(reason))
    return reasons


def classify_gcp_error(exc: BaseException) -> str | None:
    """'throttled' (429, 403 rateLimitExceeded) / 'server-error' (5xx, connection) or None (final)."""
    if isinstance(exc, exceptions.TooManyRequests):
        return "throttled"
    if isinstance(exc, exceptions.Forbidden) and error_reasons(exc) & THROTTLE_REASONS:
        return "throttled"
    if isinstance(exc, exceptions.ServerError | exceptions.ServiceUnavailable):
        return "server-error"
    if isinstance(exc, requests.exceptions.ConnectionError | exceptions.RetryError | ConnectionError):
        return "server-error"
    return None


# 4xx reasons that are not about the Ingress: a resource still being changed by another operation.
NOT_USER_FIXABLE_REASONS = frozenset({"resourceNotReady", "RESOURCE_NOT_READY", "notFound"})


def describe_gcp_error(exc: BaseException) -> CloudFault | None:
    """Compute's reason, HTTP status and message of a failed call or operation (never the request)."""
    if isinstance(exc, exceptions.GoogleAPICallError):
        reasons = sorted(r for r in error_reasons(exc) if r)
        code = int(exc.code or 0) if isinstance(exc.code, int) else 0
        details = [
            e.get("message") if isinstance(e, dict) else getattr(e, "message", None) for e in exc.errors or []
        ]
        message = "; ".join(str(d) for d in details if d) or str(
            exc.message or ""
        )  # an operation's: no codes
        return CloudFault(reasons[0] if reasons else str(code or type(exc).__name__), code, message)
    if isinstance(exc, requests.exceptions.RequestException | ConnectionError):
        return CloudFault(type(exc).__name__, 0, str(exc))
    return None


def is_quota_error(exc: BaseException) -> bool:
    return bool(error_reasons(exc) & QUOTA_REASONS)


def to_dict(message: Any) -> dict[str, Any]:
    """A proto-plus message as its API JSON dict (camelCase names)."""
    return json.loads(type(message).to_json(message))


def from_dict(message_type: type[Any], body: dict[str, Any]) -> Any:
    return message_type.from_json(json.dumps({k: v for k, v in body.items() if v is not None}))


def target(step: Step) -> tuple[str, str]:
    """(collection, method) of the call a step makes, from its `operation` ("backendServices.insert")."""
    collection, _, method = step.operation.partition(".")
    return collection, method


def reveal(value: Any) -> Any:
    """A body as sent: every Secret replaced by its value (only here, right before the call)."""
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def unknown(step: Step) -> ValueError:
    return ValueError(f"no executor for {step.operation}")  # plan makes only the calls the executors know


class Compute:
    """Clients for one project and endpoint, the CloudCaller, operation waiting, and a Step's calls."""

    def __init__(
        self,
        project: str,
        endpoint_url: str | None,
        caller: CloudCaller,
        credentials: Any = None,
        op_timeout: float = 300.0,
        network_project: str | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if endpoint_url:
            options["client_options"] = {"api_endpoint": endpoint_url}
            options["credentials"] = credentials or AnonymousCredentials()
        elif credentials is not None:
            options["credentials"] = credentials
        if endpoint_url and endpoint_url.startswith("http://"):
            options["transport"] = "rest"
        self.project = project
        # Shared VPC: the host project holds the network and its firewall rules (ingress-gce's NetworkProjectID)
        self.network_project = network_project or project
        self.caller = caller
        self.op_timeout = op_timeout
        self.clients = {name: c.client(**options) for name, c in COLLECTIONS.items() if name != "subnetworks"}
        self.regional_clients = {name: c.regional(**options) for name, c in COLLECTIONS.items() if c.regional}
        self.zones_client = compute_v1.ZonesClient(**options)
        self.global_ops = compute_v1.GlobalOperationsClient(**options)
        self.zone_ops = compute_v1.ZoneOperationsClient(**options)
        self.region_ops = compute_v1.RegionOperationsClient(**options)

    @property
    def stats(self) -> CallStats:
        return self.caller.stats

    def call(self, collection: str, method: str, **kwargs: Any) -> Any:
        """`<collection>.<method>` through the CloudCaller (`project` added); with `region=`, on the regional
        collection (counted under the API's name, e.g. `regionUrlMaps.insert`)."""
        regional = "region" in kwargs
        client = (self.regional_clients if regional else self.clients)[collection]
        fn = getattr(client, _snake(method))
        name = f"{api_name(collection, regional)}.{method}"
        return self.caller.call("compute", name, fn, project=self.project_of(collection), **kwargs)

    def project_of(self, collection: str) -> str:
        """The project a collection's resources live in: firewall rules (and subnetworks) in the network's."""
        return self.network_project if collection in ("firewalls", "subnetworks") else self.project

    def list(
        self, collection: str, zone: str | None = None, filter: str | None = None
    ) -> list[dict[str, Any]]:  # noqa: A002
        """Every item of a list call (each page through the CloudCaller), as API dicts; `zone` is a zone or
        `regions/R`."""
        kwargs: dict[str, Any] = {"filter": filter} if filter else {}
        kwargs.update(scope_args(zone))
        regional = "region" in kwargs
        spec = COLLECTIONS[collection]
        request_type = spec.regional_list if regional else _list_request(collection)
        client = (self.regional_clients if regional else self.clients)[collection]
        items: list[dict[str, Any]] = []
        token = None
        while True:
            request_kwargs = dict(kwargs, page_token=token) if token else kwargs
            message_type = spec.message
            list_request = request_type(project=self.project_of(collection), **request_kwargs)  # type: ignore[misc]
            pager = self.caller.call(
                "compute", f"{api_name(collection, regional)}.list", client.list, request=list_request
            )
            page = next(iter(pager.pages))
            items.extend(
                to_dict(message_type(item) if not isinstance(item, message_type) else item)
                for item in page.items
            )
            token = page.next_page_token
            if not token:
                return items

    def zones(self) -> builtins.list[str]:  # `list` in this class is the method
        pager = self.caller.call("compute", "zones.list", self.zones_client.list, project=self.project)
        return sorted(zone.name for zone in pager)

    def mutate(
        self, collection: str, method: str, zone: str | None = None, **kwargs: Any
    ) -> compute_v1.Operation:
        """A mutating call and the wait for its operation; raises the operation's error. `zone`: the
        resource's zone, or `regions/R`."""
        kwargs.update(scope_args(zone))
        operation = self.call(collection, method, **kwargs)
        return self.wait(operation)

    def wait(self, operation: Any) -> compute_v1.Operation:
        current = getattr(operation, "_extended_operation", operation)
        zone = current.zone.rsplit("/", 1)[-1] if current.zone else None
        region = current.region.rsplit("/", 1)[-1] if current.region else None
        deadline = time.monotonic() + self.op_timeout
        # an operation on the network's project (firewall rules on a Shared VPC) is polled there
        link = str(current.self_link or "")
        project = link.split("/projects/", 1)[1].split("/", 1)[0] if "/projects/" in link else self.project
        while current.status != compute_v1.Operation.Status.DONE:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"operation {current.name} not DONE after {self.op_timeout:.0f}s")
            name = current.name
            if zone:
                current = self.caller.call(
                    "compute",
                    "zoneOperations.wait",
                    lambda name=name: self.zone_ops.wait(project=project, zone=zone, operation=name),
                )
            elif region:
                current = self.caller.call(
                    "compute",
                    "regionOperations.wait",
                    lambda name=name: self.region_ops.wait(project=project, region=region, operation=name),
                )
            else:
                current = self.caller.call(
                    "compute",
                    "globalOperations.wait",
                    lambda name=name: self.global_ops.wait(project=project, operation=name),
                )
        raise_for_operation_error(current)
        return current

    def run(self, step: Step, methods: Mapping[str, Method]) -> bool:
        """Execute `step` with the method its operation names (`insert`, `update`, `delete`, `setX`, …)."""
        method = methods.get(target(step)[1])
        if method is None:
            raise unknown(step)
        return method(self, step)

    def insert(self, step: Step) -> bool:
        """Create the resource with the step's body; 409 (an earlier attempt's lost response) counts as done."""
        collection, _ = target(step)
        spec = COLLECTIONS[collection]
        try:
            self.mutate(
                collection,
                "insert",
                step.where,
                **{spec.resource_arg: from_dict(spec.message, reveal(dict(step.body)))},
            )
        except exceptions.Conflict:
            return False  # the next converge compares it
        return True

    def delete(self, step: Step) -> bool:
        """Delete the resource; 404 (already gone) counts as done."""
        collection, _ = target(step)
        try:
            self.mutate(collection, "delete", step.where, **{COLLECTIONS[collection].name_arg: step.name})
        except exceptions.NotFound:
            return False
        return True

    def update(self, step: Step) -> bool:
        """Replace the resource with the step's body (a PUT), under the fingerprint read at discovery."""
        collection, _ = target(step)
        spec = COLLECTIONS[collection]

        def put(fingerprint: str | None) -> None:
            body = {k: reveal(v) for k, v in step.body.items() if k != "fingerprint"}
            if fingerprint:
                body["fingerprint"] = fingerprint
            self.mutate(
                collection,
                "update",
                step.where,
                **{spec.name_arg: step.name, spec.resource_arg: from_dict(spec.message, body)},
            )

        self.with_fingerprint(step, put)
        return True

    def with_fingerprint(
        self, step: Step, action: Callable[[str | None], None], field_name: str = "fingerprint"
    ) -> None:
        """Call `action(fingerprint)` with the fingerprint in the step's body (read at discovery); on 412
        (changed meanwhile) read it again and retry once."""
        try:
            action(step.body.get(field_name) or None)
        except exceptions.PreconditionFailed:
            action(self.read(step).get(field_name))

    def read(self, step: Step) -> dict[str, Any]:
        collection, _ = target(step)
        kwargs: dict[str, Any] = {COLLECTIONS[collection].name_arg: step.name, **scope_args(step.where)}
        return to_dict(self.call(collection, "get", **kwargs))


Method = Callable[[Compute, Step], bool]


def _list_request(collection: str) -> type:
    return {
        "healthChecks": compute_v1.ListHealthChecksRequest,
        "backendServices": compute_v1.ListBackendServicesRequest,
        "urlMaps": compute_v1.ListUrlMapsRequest,
        "targetHttpProxies": compute_v1.ListTargetHttpProxiesRequest,
        "targetHttpsProxies": compute_v1.ListTargetHttpsProxiesRequest,
        "sslCertificates": compute_v1.ListSslCertificatesRequest,
        "forwardingRules": compute_v1.ListGlobalForwardingRulesRequest,
        "firewalls": compute_v1.ListFirewallsRequest,
        "addresses": compute_v1.ListGlobalAddressesRequest,
        "sslPolicies": compute_v1.ListSslPoliciesRequest,
        "instanceGroups": compute_v1.ListInstanceGroupsRequest,
        "networkEndpointGroups": compute_v1.ListNetworkEndpointGroupsRequest,
    }[collection]


def _snake(method: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in method)
