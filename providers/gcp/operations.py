"""Waiting on Compute operations through operations clients bound to the same endpoint.

`ExtendedOperation.result()` in google-cloud-compute polls through an operations client the
library builds itself, on the default (real Google) endpoint, whatever `api_endpoint` the resource
client uses. Wait with `wait_for_operation` and clients built on the right endpoint instead.
"""

from __future__ import annotations

import time
from typing import Any

from google.api_core import exceptions
from google.cloud import compute_v1

DEFAULT_TIMEOUT_SECONDS = 300.0


def wait_for_operation(
    operation: Any,
    *,
    project: str,
    global_ops_client: compute_v1.GlobalOperationsClient,
    zone_ops_client: compute_v1.ZoneOperationsClient | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll_interval: float = 0.5,
    region_ops_client: compute_v1.RegionOperationsClient | None = None,
) -> compute_v1.Operation:
    """Block until `operation` is DONE and return it; raise the API error it ended with.

    `operation` is a `compute_v1.Operation` (from a `*_unary` call) or an `ExtendedOperation`.
    Uses the server-side `wait` method (long poll), re-issued until DONE or `timeout` passes
    (then `TimeoutError`). A failed operation raises the matching `google.api_core.exceptions`
    class (e.g. `BadRequest`), carrying the operation's `error.errors` in `.errors`.
    """
    current = _as_operation(operation)
    deadline = time.monotonic() + timeout
    zone = current.zone.rsplit("/", 1)[-1] if current.zone else None
    region = current.region.rsplit("/", 1)[-1] if current.region else None
    if zone and zone_ops_client is None:
        raise ValueError(f"operation {current.name} is zonal ({zone}): a zone_ops_client is required")
    if region and region_ops_client is None:
        raise ValueError(f"operation {current.name} is regional ({region}): a region_ops_client is required")
    while current.status != compute_v1.Operation.Status.DONE:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"operation {current.name} not DONE after {timeout:.0f}s")
        if zone and zone_ops_client is not None:
            current = zone_ops_client.wait(
                project=project, zone=zone, operation=current.name, timeout=remaining
            )
        elif region and region_ops_client is not None:
            current = region_ops_client.wait(
                project=project, region=region, operation=current.name, timeout=remaining
            )
        else:
            current = global_ops_client.wait(project=project, operation=current.name, timeout=remaining)
        if current.status != compute_v1.Operation.Status.DONE:
            time.sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))
    raise_for_operation_error(current)
    return current


def raise_for_operation_error(operation: compute_v1.Operation) -> None:
    """Raise the `google.api_core` exception for a DONE operation that carries an error."""
    errors = list(operation.error.errors) if operation.error else []
    if not errors and not operation.http_error_status_code:
        return
    message = "; ".join(f"{error.code}: {error.message}" for error in errors) or operation.http_error_message
    raise exceptions.from_http_status(
        operation.http_error_status_code or 400, message, errors=errors, response=operation
    )


def bind_operation_clients(
    client: Any,
    *,
    global_ops_client: compute_v1.GlobalOperationsClient | None = None,
    zone_ops_client: compute_v1.ZoneOperationsClient | None = None,
) -> Any:
    """Make `client.insert(...).result()` poll through the given operations clients.

    Seeds the transport's cache of extended-operation clients (a private attribute of
    google-cloud-compute, present in 1.x); returns `client`. Prefer `wait_for_operation`.
    """
    services = client._transport._extended_operations_services
    if global_ops_client is not None:
        services["global_operations"] = global_ops_client
    if zone_ops_client is not None:
        services["zone_operations"] = zone_ops_client
    return client


def _as_operation(operation: Any) -> compute_v1.Operation:
    inner = getattr(operation, "_extended_operation", None)
    return inner if isinstance(inner, compute_v1.Operation) else operation
