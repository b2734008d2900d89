"""CustomResourceDefinitions (apiextensions.k8s.io/v1): what the API server checks and defaults on a CRD, the
status it reports (`NamesAccepted`, `Established`, `storedVersions`), and the kinds a CRD serves.

What the emulator leaves out: conversion webhooks (every version is served from the same stored fields, the
`None` strategy), the `scale` subresource of custom resources, and CEL rules (`x-kubernetes-validations`).
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

import jsonschema

from . import schema as crd_schema
from .kinds import Kind

Cause = tuple[str, str, str]
CRD_GROUP = "apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_KIND_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def is_crd(kind: Kind) -> bool:
    return kind.group == CRD_GROUP and kind.plural == "customresourcedefinitions"


def apply_crd_defaults(crd: dict[str, Any]) -> None:
    """The API server's CRD defaults: singular and listKind from the kind, the `None` conversion."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and isinstance(names.get("kind"), str):
        names.setdefault("singular", names["kind"].lower())
        names.setdefault("listKind", f"{names['kind']}List")
    spec.setdefault("conversion", {"strategy": "None"})


def _schema_causes(version: dict[str, Any], field: str) -> list[Cause]:
    schema = (version.get("schema") or {}).get("openAPIV3Schema")
    where = f"{field}.schema.openAPIV3Schema"
    if not isinstance(schema, dict):
        return [("FieldValueRequired", where, "Required value: schemas are required")]
    if schema.get("type") != "object":
        return [("FieldValueRequired", f"{where}.type", "Required value: must not be empty at the root")]
    try:
        crd_schema.validator_for(schema)
    except jsonschema.SchemaError as error:
        path = crd_schema.field_path([where, *error.absolute_path])
        return [("FieldValueInvalid", path, f"Invalid value: {error.message}")]
    return []


def crd_causes(crd: dict[str, Any], current: dict[str, Any] | None) -> list[Cause]:
    """Why the API server would refuse this CRD (create: `current` None; update: the stored one)."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [("FieldValueRequired", "spec", "Required value")]
    found: list[Cause] = []
    group = spec.get("group")
    names: dict[str, Any] = spec["names"] if isinstance(spec.get("names"), dict) else {}
    plural, kind = names.get("plural"), names.get("kind")
    if not group:
        found.append(("FieldValueRequired", "spec.group", "Required value"))
    elif "." not in str(group):
        found.append(
            (
                "FieldValueInvalid",
                "spec.group",
                f'Invalid value: "{group}": should be a domain with at least one dot',
            )
        )
    if not plural:
        found.append(("FieldValueRequired", "spec.names.plural", "Required value"))
    elif not _DNS_LABEL.match(str(plural)):
        found.append(
            (
                "FieldValueInvalid",
                "spec.names.plural",
                f'Invalid value: "{plural}": a lowercase RFC 1123 label',
            )
        )
    if not kind:
        found.append(("FieldValueRequired", "spec.names.kind", "Required value"))
    elif not _KIND_NAME.match(str(kind)):
        found.append(("FieldValueInvalid", "spec.names.kind", f'Invalid value: "{kind}": a valid kind name'))
    name = (crd.get("metadata") or {}).get("name", "")
    if group and plural and name != f"{plural}.{group}":
        found.append(
            (
                "FieldValueInvalid",
                "metadata.name",
                f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group',
            )
        )
    if spec.get("scope") not in ("Cluster", "Namespaced"):
        found.append(
            (
                "FieldValueNotSupported",
                "spec.scope",
                f'Unsupported value: "{spec.get("scope", "")}": supported values: "Cluster", "Namespaced"',
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        found.append(
            (
                "FieldValueInvalid",
                "spec.versions",
                "Invalid value: must have exactly one version marked as storage version",
            )
        )
        versions = []
    seen: set[str] = set()
    for index, version in enumerate(versions):
        field = f"spec.versions[{index}]"
        if not isinstance(version, dict):
            found.append(("FieldValueRequired", field, "Required value"))
            continue
        version_name = version.get("name")
        if not isinstance(version_name, str) or not _DNS_LABEL.match(version_name):
            found.append(
                ("FieldValueInvalid", f"{field}.name", f'Invalid value: "{version_name}": a DNS-1035 label')
            )
        elif version_name in seen:
            found.append(("FieldValueDuplicate", f"{field}.name", f'Duplicate value: "{version_name}"'))
        else:
            seen.add(version_name)
        found += _schema_causes(version, field)
    storage = [v for v in versions if isinstance(v, dict) and v.get("storage") is True]
    if versions and len(storage) != 1:
        found.append(
            (
                "FieldValueInvalid",
                "spec.versions",
                f"Invalid value: {len(storage)}: must have exactly one version marked as storage version",
            )
        )
    if versions and not any(isinstance(v, dict) and v.get("served") is True for v in versions):
        found.append(
            (
                "FieldValueInvalid",
                "spec.versions",
                "Invalid value: must have at least one version marked as served",
            )
        )
    if current is not None:
        old = current.get("spec") or {}
        for key in ("group", "scope"):
            if old.get(key) != spec.get(key):
                found.append(
                    (
                        "FieldValueInvalid",
                        f"spec.{key}",
                        f'Invalid value: "{spec.get(key)}": field is immutable',
                    )
                )
        stored = (current.get("status") or {}).get("storedVersions") or []
        names_now = {v.get("name") for v in versions if isinstance(v, dict)}
        for gone in stored:
            if gone not in names_now:
                found.append(
                    (
                        "FieldValueInvalid",
                        "status.storedVersions",
                        f'Invalid value: "{gone}": must appear in spec.versions',
                    )
                )
    return found


def crd_status(crd: dict[str, Any], current: dict[str, Any] | None, now: str) -> dict[str, Any]:
    """The status the API server's CRD controllers settle on: names accepted, Established, storedVersions."""
    spec = crd.get("spec") or {}
    names = copy.deepcopy(spec.get("names") or {})
    previous = copy.deepcopy((current or {}).get("status") or {})
    conditions = {c.get("type"): c for c in previous.get("conditions") or [] if isinstance(c, dict)}
    conditions.setdefault(
        "NamesAccepted",
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": now,
        },
    )
    conditions.setdefault(
        "Established",
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": now,
        },
    )
    stored = list(previous.get("storedVersions") or [])
    for version in spec.get("versions") or []:
        if version.get("storage") and version.get("name") not in stored:
            stored.append(version["name"])
    return {"acceptedNames": names, "conditions": list(conditions.values()), "storedVersions": stored}


def terminating_condition(now: str) -> dict[str, Any]:
    return {
        "type": "Terminating",
        "status": "True",
        "reason": "InstanceDeletionInProgress",
        "message": "CustomResource deletion is in progress",
        "lastTransitionTime": now,
    }


def kinds_of(crd: dict[str, Any]) -> list[Kind]:
    """One Kind per served version of the CRD."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served: list[Kind] = []
    for version in spec.get("versions") or []:
        if not version.get("served"):
            continue
        subresources = version.get("subresources") or {}
        served.append(
            Kind(
                spec["group"],
                version["name"],
                names["kind"],
                names["plural"],
                namespaced=spec.get("scope") == "Namespaced",
                status_subresource="status" in subresources,
                short_names=tuple(names.get("shortNames") or ()),
                custom=True,
                crd=crd["metadata"]["name"],
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                categories=tuple(names.get("categories") or ()),
                list_kind=names.get("listKind") or f"{names['kind']}List",
                extra_field_labels=tuple(
                    str(f.get("jsonPath", "")).lstrip(".") for f in version.get("selectableFields") or ()
                ),
            )
        )
    return served


@functools.lru_cache(maxsize=512)
def _validator(kind: Kind) -> jsonschema.protocols.Validator:
    assert kind.schema is not None
    return crd_schema.validator_for(kind.schema)


def admit_custom(kind: Kind, obj: dict[str, Any]) -> tuple[list[str], list[Cause]]:
    """Prune, default and validate a custom resource in place: (fields pruned, causes it is invalid)."""
    if kind.schema is None:
        return [], []
    dropped = crd_schema.prune(kind.schema, obj)
    crd_schema.apply_defaults(kind.schema, obj)
    return dropped, crd_schema.causes(kind.schema, obj, _validator(kind))
