"""Compute API semantics on top of the store: CRUD, references, fingerprints, operations, lists."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .errors import (
    ApiError,
    OperationFailure,
    already_exists,
    condition_not_met,
    in_use,
    invalid,
    missing_reference,
    not_found,
    required,
)
from .filters import compile_filter
from .networking import active_proxy_subnet
from .references import ResourceKey, is_ip_literal, is_valid_name, parse_reference
from .resources import KINDS, KindSpec, Resource, iter_slots
from .routes import AGGREGATED, Route, scope_kind
from .schemes import PASSTHROUGH_OMITS, is_passthrough
from .scopes import check_reference_scope
from .store import OperationRecord, Store, timestamp

Payload = dict[str, Any]
Response = tuple[int, Payload]

MAX_PAGE_SIZE = 500
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")


# A non-CRUD method (`setUrlMap`, `addInstances`, ...): (api, route, key, body, query, injected) -> operation.
CustomMethod = Callable[["ComputeApi", Route, ResourceKey, Payload, dict[str, str], ApiError | None], Payload]
# Per-kind checks and derived fields before a resource is stored: (api, key, resource, previous).
PrepareHook = Callable[["ComputeApi", ResourceKey, Resource, Resource | None], None]


class ComputeApi:
    """Answers parsed Compute requests. All state changes happen under `store.lock`.

    The custom methods and per-kind hooks are given by the caller (`server` wires `custom_methods` and
    `kind_hooks`), so those modules build on this one without this one importing them back."""

    def __init__(
        self,
        store: Store,
        custom_methods: Mapping[tuple[str, str], CustomMethod],
        prepare_hooks: Mapping[str, PrepareHook],
        global_only_methods: frozenset[tuple[str, str]] = frozenset(),
    ) -> None:
        self.store = store
        self.custom_methods = custom_methods
        self.prepare_hooks = prepare_hooks
        self.global_only_methods = global_only_methods

    # --- entry point -----------------------------------------------------------------------------

    def handle(
        self, route: Route, query: dict[str, str], body: Payload, injected: ApiError | None = None
    ) -> Response:
        """Answer one request; raises ApiError for HTTP errors.

        `injected` is an operation error programmed by fault injection: a mutation then returns an
        operation that ends DONE with that error, without being applied.
        """
        if route.collection == "operations" and route.verb == "wait":
            return 200, self._wait_operation(route)
        with self.store.lock:
            if route.collection in ("zones", "regions"):
                return 200, self._locations(route, query)
            if route.scope == AGGREGATED:
                return 200, self._aggregated(route, query)
            self._check_scope(route)
            if route.collection == "operations":
                return self._operations(route, query)
            spec = KINDS.get(route.collection)
            if spec is None or scope_kind(route.scope) not in spec.scopes:
                raise not_found(f"projects/{route.project}/{route.scope}/{route.collection}")
            if route.name is None:
                if route.method == "GET":
                    return 200, self.list_collection(route, query)
                if route.method == "POST":
                    return 200, self._insert(route, spec, body, injected)
                raise _method_not_allowed(route)
            key = ResourceKey(route.project, route.scope, route.collection, route.name)
            if route.verb is not None:
                handler = self.custom_methods.get((route.collection, route.verb))
                regional = scope_kind(route.scope) == "regional"
                if handler is None or (
                    regional and (route.collection, route.verb) in self.global_only_methods
                ):
                    raise not_found(f"{key.path}/{route.verb}")
                return 200, handler(self, route, key, body, query, injected)
            if route.method == "GET":
                return 200, self.render(key, self.store.get(key))
            if route.method == "DELETE":
                return 200, self._delete(route, key, spec, injected)
            if route.method == "PATCH" and spec.patchable:
                return 200, self._write(route, key, spec, body, injected, merge=True)
            if route.method == "PUT" and spec.updatable:
                return 200, self._write(route, key, spec, body, injected, merge=False)
            raise _method_not_allowed(route)

    def _check_scope(self, route: Route) -> None:
        if route.scope.startswith("zones/") and route.scope.split("/", 1)[1] not in self.store.zones:
            zone = route.scope.split("/", 1)[1]
            raise invalid(f"Invalid value for field 'zone': '{zone}'. Unknown zone.")
        if route.scope.startswith("regions/") and route.scope.split("/", 1)[1] not in self.store.regions:
            region = route.scope.split("/", 1)[1]
            raise invalid(f"Invalid value for field 'region': '{region}'. Unknown region.")

    # --- mutations -------------------------------------------------------------------------------

    def mutate(
        self,
        route: Route,
        key: ResourceKey,
        apply: Callable[[], str | None],
        injected: ApiError | None,
    ) -> Payload:
        """Run `apply` (returns the target id) and answer the operation recording it."""
        error = injected
        target_id: str | None = None
        if error is None:
            try:
                target_id = apply()
            except OperationFailure as failure:
                error = failure
            except ApiError as failure:
                if not (self.store.settings.deferred_errors and failure.deferrable):
                    raise
                error = failure
        if target_id is None and key in self.store.resources:
            target_id = self.store.resources[key].get("id")
        return self.store.render_operation(self._new_operation(route, key, target_id, error))

    def _new_operation(
        self, route: Route, key: ResourceKey, target_id: str | None, error: ApiError | None
    ) -> OperationRecord:
        name = f"operation-{int(time.time() * 1000)}-{uuid.uuid4().hex[:13]}"
        op_key = ResourceKey(key.project, key.scope, "operations", name)
        body: Payload = {
            "kind": "compute#operation",
            "id": self.store.new_id(),
            "name": name,
            "operationType": route.api_method.split(".", 1)[1],
            "targetLink": self.store.self_link(key),
            "insertTime": timestamp(),
            "user": "lbctl-emulator@example.com",
            "selfLink": self.store.self_link(op_key),
        }
        if target_id:
            body["targetId"] = target_id
        if key.zone:
            body["zone"] = self.store.scope_link(key.project, key.scope)
        if key.region:
            body["region"] = self.store.scope_link(key.project, key.scope)
        return self.store.add_operation(OperationRecord(op_key, body, error))

    def _insert(self, route: Route, spec: KindSpec, body: Payload, injected: ApiError | None) -> Payload:
        resource = self._input(spec, body)
        name = resource.get("name")
        if not name:
            raise required("resource.name")
        if not isinstance(name, str) or not is_valid_name(name):
            raise invalid(
                f"Invalid value for field 'resource.name': '{name}'. "
                "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'"
            )
        key = ResourceKey(route.project, route.scope, route.collection, name)

        def apply() -> str:
            if key in self.store.resources:
                raise already_exists(key.path)
            return self.complete(key, resource, previous=None)["id"]

        return self.mutate(route, key, apply, injected)

    def _write(
        self,
        route: Route,
        key: ResourceKey,
        spec: KindSpec,
        body: Payload,
        injected: ApiError | None,
        *,
        merge: bool,
    ) -> Payload:
        current = self.store.get(key)
        check_fingerprint(spec, current, body.get("fingerprint"))
        changes = self._input(spec, body)
        if changes.get("name", key.name) != key.name:
            raise invalid(f"Invalid value for field 'resource.name': '{changes['name']}'. Cannot be changed.")
        base = {k: v for k, v in copy.deepcopy(current).items() if k not in spec.output_only}
        resource = merge_patch(base, changes) if merge else changes
        return self.replace(route, key, resource, injected)

    def replace(
        self, route: Route, key: ResourceKey, resource: Resource, injected: ApiError | None
    ) -> Payload:
        """Store `resource` as the new content of `key` (internal fields kept); answer the operation."""
        current = self.store.get(key)
        resource["name"] = key.name
        for internal in (k for k in current if k.startswith("_")):
            resource.setdefault(internal, copy.deepcopy(current[internal]))
        return self.mutate(route, key, lambda: self.complete(key, resource, previous=current)["id"], injected)

    def set_fields(
        self, route: Route, key: ResourceKey, fields: dict[str, Any], injected: ApiError | None
    ) -> Payload:
        """Replace top-level fields (None removes one), as the `setX` methods do."""
        spec = KINDS[key.collection]
        current = self.store.get(key)
        resource = {k: copy.deepcopy(v) for k, v in current.items() if k not in spec.output_only}
        for field_name, value in fields.items():
            if value is None:
                resource.pop(field_name, None)
            else:
                resource[field_name] = copy.deepcopy(value)
        return self.replace(route, key, resource, injected)

    def _delete(self, route: Route, key: ResourceKey, spec: KindSpec, injected: ApiError | None) -> Payload:
        resource = self.store.get(key)

        def apply() -> str:
            users = self.store.referrers(key) or self._proxy_subnet_users(key, resource)
            if users:
                raise in_use(key.path, spec.label, users[0].path)
            if key.collection == "instances":
                self._forget_instance(key)
            del self.store.resources[key]
            return str(resource["id"])

        return self.mutate(route, key, apply, injected)

    def _proxy_subnet_users(self, key: ResourceKey, resource: Resource) -> list[ResourceKey]:
        """The managed forwarding rules a proxy-only subnetwork serves (they need it while they exist)."""
        if key.collection != "subnetworks" or key.region is None:
            return []
        if active_proxy_subnet(self.store, key.project, key.region, resource["network"]) != key:
            return []
        return sorted(
            other_key
            for other_key, other in self.store.resources.items()
            if other_key.collection == "forwardingRules"
            and other_key.scope == key.scope
            and other.get("network") == resource["network"]
            and other.get("loadBalancingScheme") in ("INTERNAL_MANAGED", "EXTERNAL_MANAGED")
        )

    def _forget_instance(self, instance: ResourceKey) -> None:
        link = self.store.self_link(instance)
        for group_key, group in self.store.resources.items():
            if group_key.collection == "instanceGroups" and link in group.get("_instances", []):
                group["_instances"].remove(link)

    def _input(self, spec: KindSpec, body: Payload) -> Resource:
        if not isinstance(body, dict):
            raise invalid("Invalid JSON payload received.")
        return {
            k: copy.deepcopy(v)
            for k, v in body.items()
            if k not in spec.output_only and not k.startswith("_") and v is not None
        }

    def complete(self, key: ResourceKey, resource: Resource, previous: Resource | None) -> Resource:
        """Validate, default, resolve references, stamp output fields and store `resource`."""
        spec = KINDS[key.collection]
        given = set(resource)
        for field_name, default in spec.defaults.items():
            resource.setdefault(field_name, copy.deepcopy(default))
        if key.collection == "backendServices" and is_passthrough(key, resource):
            for field_name in PASSTHROUGH_OMITS - given:  # the reference: passthrough services omit them
                resource.pop(field_name, None)
        if spec.validate is not None:
            spec.validate(resource)
        validate_labels(resource.get("labels"))
        hook = self.prepare_hooks.get(key.collection)
        if hook is not None:
            hook(self, key, resource, previous)
        self.resolve_references(key, spec, resource)
        if isinstance(resource.get("network"), str):
            network = parse_reference(resource["network"], key.project)
            if network is None:
                raise invalid(f"Invalid value for field 'resource.network': '{resource['network']}'.")
            resource["network"] = self.store.self_link(network)
        resource["kind"] = spec.kind
        resource["id"] = previous["id"] if previous else self.store.new_id()
        resource["creationTimestamp"] = previous["creationTimestamp"] if previous else timestamp()
        resource["selfLink"] = self.store.self_link(key)
        if key.zone:
            resource["zone"] = self.store.scope_link(key.project, key.scope)
        if key.region:
            resource["region"] = self.store.scope_link(key.project, key.scope)
        if spec.fingerprint:
            resource["fingerprint"] = self.store.new_fingerprint(resource)
        if spec.label_fingerprint:
            unchanged = previous is not None and previous.get("labels") == resource.get("labels")
            resource["labelFingerprint"] = (
                previous["labelFingerprint"]
                if unchanged and previous
                else self.store.new_fingerprint(resource)
            )
        self.store.resources[key] = resource
        return resource

    def resolve_references(self, key: ResourceKey, spec: KindSpec, resource: Resource) -> None:
        """Check every reference exists and rewrite it to a full URL; 400 if malformed or missing."""
        for reference_field in spec.references:
            if reference_field.path.startswith("_"):
                continue
            for slot in iter_slots(resource, reference_field.path):
                value = slot.value
                target = parse_reference(value, key.project) if isinstance(value, str) else None
                if target is None or target.collection not in reference_field.targets:
                    raise invalid(
                        f"Invalid value for field 'resource.{slot.field_path}': '{value}'. The URL is malformed."
                    )
                if target.collection in KINDS and target not in self.store.resources:
                    raise missing_reference(f"resource.{slot.field_path}", value)
                check_reference_scope(key, resource, slot.field_path, value, target)
                slot.set(self.store.self_link(target))

    def reference_key(
        self, field_name: str, value: Any, project: str, collections: tuple[str, ...]
    ) -> ResourceKey:
        """Parse and check one reference of a request body; 400 if malformed or missing."""
        target = parse_reference(value, project) if isinstance(value, str) else None
        if target is None or target.collection not in collections:
            raise invalid(f"Invalid value for field '{field_name}': '{value}'. The URL is malformed.")
        if target not in self.store.resources:
            raise missing_reference(field_name, value)
        return target

    # --- reads -----------------------------------------------------------------------------------

    def render(self, key: ResourceKey, resource: Resource) -> Payload:
        """The resource as the API returns it (hidden fields removed, computed fields added)."""
        spec = KINDS[key.collection]
        out = {
            k: copy.deepcopy(v) for k, v in resource.items() if not k.startswith("_") and k not in spec.hidden
        }
        if key.collection == "addresses":
            users = [self.store.self_link(user) for user in self.store.referrers(key)]
            out["status"] = "IN_USE" if users else "RESERVED"
            if users:
                out["users"] = users
        elif key.collection == "instanceGroups":
            out["size"] = len(resource.get("_instances", []))
        elif key.collection == "networkEndpointGroups":
            out["size"] = len(resource.get("_endpoints", []))
        elif key.collection == "instances":
            out["status"] = "RUNNING"
        elif key.collection == "backendServices" and resource.get("_signedUrlKeys"):
            out.setdefault("cdnPolicy", {})["signedUrlKeyNames"] = list(resource["_signedUrlKeys"])
        return out

    def list_collection(self, route: Route, query: dict[str, str]) -> Payload:
        """A filtered, paged list of one collection."""
        spec = KINDS[route.collection]
        items = []
        for resource in self.store.list(route.project, route.scope, route.collection):
            key = ResourceKey(route.project, route.scope, route.collection, resource["name"])
            items.append(self.render(key, resource))
        scope_path = f"projects/{route.project}/{route.scope}/{route.collection}"
        return paged_list(
            f"{spec.kind}List", scope_path, self.store.self_link_of_path(scope_path), items, query
        )

    def _aggregated(self, route: Route, query: dict[str, str]) -> Payload:
        """`aggregatedList`: the collection in every scope it is served in (global, then each region and zone),
        filtered and paged as one list, grouped by scope; a scope with nothing on the page carries the API's
        NO_RESULTS_ON_PAGE warning instead."""
        spec = KINDS.get(route.collection)
        if spec is None or route.method != "GET":
            raise not_found(f"projects/{route.project}/aggregated/{route.collection}")
        scopes = ["global"] if "global" in spec.scopes else []
        scopes += [f"regions/{r}" for r in self.store.regions] if "regional" in spec.scopes else []
        scopes += [f"zones/{z}" for z in self.store.zones] if "zonal" in spec.scopes else []
        predicate = compile_filter(query.get("filter"))
        found: list[tuple[str, Payload]] = []
        for scope in scopes:
            for resource in self.store.list(route.project, scope, route.collection):
                item = self.render(
                    ResourceKey(route.project, scope, route.collection, resource["name"]), resource
                )
                if predicate(item):
                    found.append((scope, item))
        page, next_token = paginate(found, query)
        grouped: dict[str, Payload] = {}
        for scope in scopes:
            on_page = [item for where, item in page if where == scope]
            grouped[scope] = (
                {route.collection: on_page}
                if on_page
                else {
                    "warning": {
                        "code": "NO_RESULTS_ON_PAGE",
                        "message": f"There are no results for scope '{scope}' on this page.",
                        "data": [{"key": "scope", "value": scope}],
                    }
                }
            )
        path = f"projects/{route.project}/aggregated/{route.collection}"
        out: Payload = {
            "kind": f"{spec.kind}AggregatedList",
            "id": path,
            "items": grouped,
            "selfLink": self.store.self_link_of_path(path),
        }
        if next_token:
            out["nextPageToken"] = next_token
        return out

    def _locations(self, route: Route, query: dict[str, str]) -> Payload:
        """The `zones` and `regions` resources (get and list)."""
        if route.method != "GET":
            raise _method_not_allowed(route)
        if route.collection == "zones":
            items = [self._zone(route.project, zone) for zone in self.store.zones]
        else:
            items = [self._region(route.project, region) for region in self.store.regions]
        if route.name is not None:
            for item in items:
                if item["name"] == route.name:
                    return item
            raise not_found(f"projects/{route.project}/{route.collection}/{route.name}")
        path = f"projects/{route.project}/{route.collection}"
        kind = "compute#zoneList" if route.collection == "zones" else "compute#regionList"
        return paged_list(kind, path, self.store.self_link_of_path(path), items, query)

    def _region(self, project: str, region: str) -> Payload:
        return {
            "kind": "compute#region",
            "id": str(1000 + self.store.regions.index(region)),
            "name": region,
            "description": region,
            "status": "UP",
            "zones": [self.store.scope_link(project, f"zones/{z}") for z in self.store.zones_of(region)],
            "selfLink": self.store.scope_link(project, f"regions/{region}"),
        }

    def _zone(self, project: str, zone: str) -> Payload:
        region = zone.rsplit("-", 1)[0]
        return {
            "kind": "compute#zone",
            "id": str(2000 + self.store.zones.index(zone)),
            "name": zone,
            "description": zone,
            "status": "UP",
            "region": self.store.scope_link(project, f"regions/{region}"),
            "selfLink": self.store.scope_link(project, f"zones/{zone}"),
        }

    # --- operations ------------------------------------------------------------------------------

    def _operations(self, route: Route, query: dict[str, str]) -> Response:
        if route.name is None:
            if route.method != "GET":
                raise _method_not_allowed(route)
            records = [
                r
                for k, r in sorted(self.store.operations.items())
                if (k.project, k.scope) == (route.project, route.scope)
            ]
            items = [self.store.render_operation(record) for record in records]
            path = f"projects/{route.project}/{route.scope}/operations"
            return 200, paged_list(
                "compute#operationList", path, self.store.self_link_of_path(path), items, query
            )
        key = ResourceKey(route.project, route.scope, "operations", route.name)
        record = self.store.operations.get(key)
        if record is None:
            raise not_found(key.path)
        if route.method == "DELETE":
            del self.store.operations[key]
            return 200, {}
        if route.method != "GET" or route.verb is not None:
            raise _method_not_allowed(route)
        record.polls += 1
        return 200, self.store.render_operation(record)

    def _wait_operation(self, route: Route) -> Payload:
        """`operations.wait`: block until DONE (at most `max_wait_seconds`), then answer."""
        key = ResourceKey(route.project, route.scope, "operations", route.name or "")
        with self.store.lock:
            self._check_scope(route)
            record = self.store.operations.get(key)
            if record is None:
                raise not_found(key.path)
            delay = self.store.settings.delay_seconds
            settings = self.store.settings
            remaining = 0.0 if delay is None else max(0.0, record.created + delay - settings.clock())
        if remaining:
            settings.sleep(min(remaining, settings.max_wait_seconds))
        with self.store.lock:
            record.forced_done = record.forced_done or delay is None
            record.polls += 1
            return self.store.render_operation(record)


def _method_not_allowed(route: Route) -> ApiError:
    return ApiError(405, "httpMethodNotAllowed", f"Method {route.method} is not allowed here")


def check_fingerprint(
    spec: KindSpec, current: Resource, supplied: Any, field_name: str = "fingerprint"
) -> None:
    """412 when a fingerprint is supplied and stale (only for kinds that carry one)."""
    carries = spec.fingerprint if field_name == "fingerprint" else spec.label_fingerprint
    if carries and supplied and supplied != current.get(field_name):
        raise condition_not_met(field_name)


def validate_labels(labels: Any) -> None:
    """Compute label rules: lowercase keys starting with a letter, values of [-_a-z0-9], ≤63 chars."""
    if labels is None:
        return
    if not isinstance(labels, dict) or len(labels) > 64:
        raise invalid("Invalid value for field 'resource.labels'.")
    for label_key, value in labels.items():
        if not _LABEL_KEY.match(label_key) or not isinstance(value, str) or not _LABEL_VALUE.match(value):
            raise invalid(f"Invalid value for field 'resource.labels': '{label_key}={value}'.")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch (what Compute PATCH applies)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for field_name, value in patch.items():
        if value is None:
            result.pop(field_name, None)
        else:
            result[field_name] = merge_patch(result.get(field_name), value)
    return result


def paged_list(kind: str, path: str, self_link: str, items: list[Payload], query: dict[str, str]) -> Payload:
    """Apply `filter`, `maxResults` and `pageToken` to `items` and build the list response."""
    predicate = compile_filter(query.get("filter"))
    matching = [item for item in items if predicate(item)]
    page, next_token = paginate(matching, query)
    out: Payload = {"kind": kind, "id": path, "selfLink": self_link}
    if page:
        out["items"] = page
    if next_token:
        out["nextPageToken"] = next_token
    return out


def paginate(items: list[Any], query: dict[str, str]) -> tuple[list[Any], str | None]:
    """Slice a page per `maxResults` (≤500) and an opaque `pageToken`."""
    try:
        size = int(query.get("maxResults") or MAX_PAGE_SIZE)
    except ValueError as error:
        raise invalid("Invalid value for field 'maxResults'.") from error
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise invalid(f"Invalid value for field 'maxResults': {size}. Must be in the range [0, 500].")
    size = size or MAX_PAGE_SIZE
    offset = 0
    if token := query.get("pageToken"):
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
        except (ValueError, KeyError, TypeError, binascii.Error) as error:
            raise invalid(f"Invalid value for field 'pageToken': '{token}'.") from error
    page = items[offset : offset + size]
    if offset + size >= len(items):
        return page, None
    return page, base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode()


def is_ip(value: Any) -> bool:
    """True for an IP literal string."""
    return isinstance(value, str) and is_ip_literal(value)
