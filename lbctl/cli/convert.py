"""`lbctl convert`: rewrite legacy Ingresses (`extensions/v1beta1`, `networking.k8s.io/v1beta1`) as `networking.k8s.io/v1`,
field for field as the API server's conversion (and so `kubectl convert`) does:

- `serviceName` + `servicePort` → `service.name` + `service.port.number` (an integer, or a string of digits)
  or `service.port.name` (any other string); `resource` backends stay as they are;
- `spec.backend` → `spec.defaultBackend`;
- a path without `pathType` gets `ImplementationSpecific` (the v1beta1 default).

The rewrite is done in place on the parsed document, so a round-trip YAML document (ruamel.yaml) keeps its
comments and key order; plain dicts (PyYAML, JSON) work too. Every other object is left untouched.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from io import StringIO
from typing import Any

import click

from lbctl.cli.manifests import LoadResult, _documents, _expand, _read
from lbctl.cli.render import console, problems_table
from lbctl.model.objects import LEGACY_INGRESS_VERSIONS, parse_ingress
from lbctl.model.problems import Problem, Severity, SpecError

TARGET_VERSION = "networking.k8s.io/v1"


@dataclass
class Converted:
    """One input file after conversion: its documents (in order), what was rewritten, what went wrong."""

    name: str
    documents: list[Any] = field(default_factory=list)
    notes: list[str] = field(
        default_factory=list
    )  # "Ingress default/web: extensions/v1beta1 → networking.k8s.io/v1"
    problems: list[Problem] = field(default_factory=list)
    indents: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # per document: (mapping, sequence, offset)


def is_legacy_ingress(obj: Any) -> bool:
    return (
        isinstance(obj, MutableMapping)
        and obj.get("kind") == "Ingress"
        and (obj.get("apiVersion") in LEGACY_INGRESS_VERSIONS)
    )


def _comment(container: Any, key: str, shift: int = 0) -> Any:
    """Take the round-trip comment attached to `key` of a ruamel mapping (None for plain dicts); `shift` moves
    its end-of-line part by that many columns, so it keeps its distance from the value when the key moves."""
    ca = getattr(container, "ca", None)
    item = ca.items.pop(key, None) if ca is not None else None
    if item is None or not shift or len(item) < 3 or item[2] is None:
        return item
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    token = item[2]
    column = getattr(token.start_mark, "column", 0) or 0
    return [*item[:2], CommentToken(token.value, CommentMark(max(0, column + shift))), *item[3:]]


def _set_comment(container: Any, key: str, comment: Any) -> None:
    ca = getattr(container, "ca", None)
    if ca is not None and comment is not None:
        ca.items[key] = comment


def _new_map(like: Any) -> Any:
    """An empty mapping of the same family as `like` (a commented map for round-trip documents)."""
    return type(like)() if hasattr(like, "ca") else {}


def _replace_key(container: Any, old: str, new: str, value: Any) -> None:
    """Put `new: value` where `old` was (same position, same comment) and drop `old`."""
    position = list(container).index(old)
    comment = _comment(container, old, len(new) - len(old))
    del container[old]
    if hasattr(container, "insert"):
        container.insert(position, new, value)
    else:  # a plain dict: rebuild to keep the order
        items = list(container.items())
        items.insert(position, (new, value))
        container.clear()
        container.update(items)
    _set_comment(container, new, comment)


def _convert_backend(backend: Any, indent: int) -> None:
    """serviceName/servicePort → service.name/service.port.{number|name}; `indent` is the document's mapping
    indent (end-of-line comments move with their values)."""
    if not isinstance(backend, MutableMapping) or "serviceName" not in backend:
        return  # a resource backend (or nothing): the same in v1
    name, port = backend.get("serviceName"), backend.get("servicePort")
    by_number = isinstance(port, int) or (isinstance(port, str) and port.isascii() and port.isdigit())
    port_key = "number" if by_number else "name"
    name_comment = _comment(backend, "serviceName", indent + len("name") - len("serviceName"))
    port_comment = _comment(backend, "servicePort", 2 * indent + len(port_key) - len("servicePort"))
    service, port_map = _new_map(backend), _new_map(backend)
    service["name"] = name
    _set_comment(service, "name", name_comment)
    port_map[port_key] = int(port) if by_number and isinstance(port, int | str) else port
    _set_comment(port_map, port_key, port_comment)
    service["port"] = port_map
    _replace_key(backend, "serviceName", "service", service)
    backend.pop("servicePort", None)


def _add_path_type(item: Any) -> None:
    if not isinstance(item, MutableMapping) or item.get("pathType") is not None:
        return
    keys = list(item)
    if "pathType" in item:  # an explicit null
        item["pathType"] = "ImplementationSpecific"
        return
    position = keys.index("path") + 1 if "path" in keys else 0
    if hasattr(item, "insert"):
        item.insert(position, "pathType", "ImplementationSpecific")
    else:
        items = list(item.items())
        items.insert(position, ("pathType", "ImplementationSpecific"))
        item.clear()
        item.update(items)


def convert_ingress(obj: MutableMapping[str, Any], source: str = "", indent: int = 2) -> None:
    """Rewrite one legacy Ingress in place as networking.k8s.io/v1. A SpecError names the field when the
    Ingress is not valid in its own version (the same checks lbctl's model makes)."""
    parse_ingress(obj, source)  # refuse what cannot be converted faithfully, naming the field
    obj["apiVersion"] = TARGET_VERSION
    spec = obj["spec"]
    if "backend" in spec:
        _convert_backend(spec["backend"], indent)
        _replace_key(spec, "backend", "defaultBackend", spec["backend"])
    for rule in spec.get("rules") or []:
        http = rule.get("http") if isinstance(rule, MutableMapping) else None
        for item in (http or {}).get("paths") or []:
            _add_path_type(item)
            _convert_backend(item.get("backend"), indent)


def ingress_name(obj: MutableMapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"


def convert_document(doc: Any, source: str, notes: list[str], indent: int = 2) -> None:
    """Convert `doc` in place if it is a legacy Ingress (or a List holding some); note each conversion."""
    if (
        isinstance(doc, MutableMapping)
        and isinstance(doc.get("items"), list)
        and str(doc.get("kind", "")).endswith("List")
    ):
        for i, item in enumerate(doc["items"]):
            convert_document(item, f"{source}.items[{i}]", notes, indent)
        return
    if is_legacy_ingress(doc):
        version = doc["apiVersion"]
        convert_ingress(doc, source, indent)
        notes.append(f"Ingress {ingress_name(doc)}: {version} → {TARGET_VERSION}")


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long annotation value
    return yaml


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) the file uses, so its layout is kept in the output: the
    first nested key and the first block sequence item under a `key:` line decide."""
    mapping, sequence, offset = 0, 0, -1
    parent: int | None = None  # indent of the last line that was only `key:`
    for line in text.splitlines():
        body = line.lstrip(" ")
        if not body or body.startswith("#") or body.startswith("---"):
            continue
        column = len(line) - len(body)
        if parent is not None and column > parent:
            if body.startswith("- ") and offset < 0:
                content = column + 2 + len(body[2:]) - len(body[2:].lstrip(" "))
                offset, sequence = column - parent, content - parent
            elif not body.startswith("-") and not mapping:
                mapping = column - parent
        if mapping and offset >= 0:
            break
        parent = column if body.rstrip().endswith(":") and not body.startswith("- ") else None
    mapping = mapping or 2
    if offset < 0:
        return mapping, mapping, 0
    return mapping, max(sequence, offset + 2), offset


def convert_text(name: str, text: str) -> Converted:
    """Parse `text` (every document, comments kept) and convert its legacy Ingresses."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    result = Converted(name)
    checked = LoadResult()
    _documents(name, text, checked)  # the manifest loader's bounds (depth, aliases) before the round trip
    if checked.problems:
        result.problems.extend(checked.problems)
        return result
    try:
        documents = list(_round_trip().load_all(text))
    except MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        result.problems.append(
            Problem(Severity.ERROR, "file", name, f"malformed YAML at {where}: {err.problem}", name)
        )
        return result
    except YAMLError as err:
        result.problems.append(Problem(Severity.ERROR, "file", name, f"malformed YAML: {err}", name))
        return result
    # Each document keeps its own layout: guess it from its own text when the '---' lines split the file
    # into as many parts as there are documents, else from the whole file.
    parts = [p for p in re.split(r"^---[ \t]*(?:#.*)?$", text, flags=re.MULTILINE) if p.strip(" \t\r\n")]
    whole = _guess_indent(text)
    exact = len(parts) == len(documents)
    for index, doc in enumerate(documents):
        if doc is None:
            continue  # an empty document (e.g. a trailing '---')
        indent = _guess_indent(parts[index]) if exact else whole
        try:
            convert_document(doc, f"{name}#{index}", result.notes, indent[0])
        except SpecError as err:
            result.problems.append(err.problem)
        result.documents.append(doc)
        result.indents.append(indent)
    return result


def to_yaml(files: list[Converted]) -> str:
    """Every document of every file, in order, as one YAML stream (comments and layout kept)."""
    chunks = []
    for converted in files:
        for doc, (mapping, sequence, offset) in zip(converted.documents, converted.indents, strict=True):
            yaml = _round_trip()
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            buffer = StringIO()
            yaml.dump(doc, buffer)
            chunks.append(buffer.getvalue())
    return "---\n".join(chunks)


def to_json(files: list[Converted]) -> str:
    """One object as itself; several as a `v1` List, as kubectl prints them."""
    items = [doc for converted in files for doc in converted.documents]
    data: Any = items[0] if len(items) == 1 else {"apiVersion": "v1", "kind": "List", "items": items}
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def plain(doc: Any) -> Any:
    """A converted round-trip document as plain dicts/lists/scalars (for API clients)."""
    return json.loads(json.dumps(doc, default=str))


def convert_files(files: tuple[str, ...]) -> tuple[list[Converted], list]:
    """Every input (files, directories, '-') converted; the problems of all of them (unreadable, malformed
    YAML, an invalid legacy Ingress)."""
    loaded = LoadResult()
    converted = []
    for name, path in _expand(files):
        text = _read(name, path, loaded)
        if text is not None:
            converted.append(convert_text(name, text))
    problems = list(loaded.problems) + [p for c in converted for p in c.problems]
    return converted, problems


@click.command()
@click.option(
    "-f",
    "--filename",
    "files",
    multiple=True,
    required=True,
    metavar="PATH",
    help="Manifest file or directory (repeatable); '-' reads stdin.",
)
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@click.option(
    "--to",
    "target",
    type=click.Choice(["v1", "gateway"]),
    default="v1",
    show_default=True,
    help="v1: legacy Ingresses as networking.k8s.io/v1; gateway: Ingresses as Gateway API objects.",
)
@click.option(
    "--gateway-class",
    metavar="NAME",
    help="With --to gateway: the GatewayClass the Gateways name [default: lbctl-alb on AWS, lbctl-gce on GCP].",
)
def convert(files: tuple[str, ...], output: str, target: str, gateway_class: str | None) -> None:
    """Rewrite legacy Ingresses (extensions/v1beta1, networking.k8s.io/v1beta1) as networking.k8s.io/v1,
    as `kubectl convert` does; every other object is printed unchanged, comments and order kept.

    With --to gateway, the Ingresses lbctl serves become a Gateway per load balancer, HTTPRoutes (and
    ReferenceGrants, policies) that route the same requests; what cannot be expressed is listed on stderr,
    per annotation, with the reason. Only the Gateway API objects are printed.

    The converted manifests go to stdout, a note per converted Ingress to stderr. Exit 2 (and no output)
    when an input cannot be read or parsed, or a legacy Ingress is invalid.
    """
    if target == "gateway":
        from lbctl.cli.convert_gateway import convert_to_gateway

        convert_to_gateway(files, output, gateway_class)
        return
    if gateway_class is not None:
        raise click.UsageError("--gateway-class goes with --to gateway")
    converted, problems = convert_files(files)
    if problems:
        console(err=True).print(problems_table(problems))
        sys.exit(2)
    click.echo(to_json(converted) if output == "json" else to_yaml(converted), nl=output == "json")
    notes = [note for c in converted for note in c.notes]
    for note in notes:
        click.echo(f"converted {note}", err=True)
    if not notes:
        click.echo("no legacy Ingress in these files: printed unchanged", err=True)
