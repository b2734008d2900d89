"""Load Kubernetes manifests from files, directories and stdin into a ClusterSnapshot.

Every problem names the file, the document index, the object and the field.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.snapshot import SUPPORTED_KINDS, ClusterSnapshot

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100  # nesting levels in one document (real manifests, CRD schemas included, stay under 40)
_SURROGATE = re.compile("[\ud800-\udfff]")
ALIAS_ALLOWANCE = 10_000  # nodes aliases may repeat in any document, beyond the rule below


class ManifestLimitError(yaml.YAMLError):
    """A document nested too deeply or aliasing too much; `mark` is where it was noticed."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class BoundedLoader(yaml.SafeLoader):
    """The safe loader, composing each document within MAX_DEPTH levels and an alias budget.

    Aliases cost nothing to compose (the node is shared) but everything downstream walks the repeated
    content once per alias, so a small file can stand for billions of nodes. Each alias is charged the
    expanded size of the node it repeats, and a document whose aliases repeat more nodes than the document
    itself holds (and more than ALIAS_ALLOWANCE) is refused as it is composed, before anything is built —
    as kubectl refuses "excessive aliasing". A node that aliases itself is refused too.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._written = 0  # nodes as written in this document
        self._repeated = 0  # nodes repeated by its aliases (each alias counts the whole node it refers to)
        self._sizes: dict[int, int] = {}  # id(anchored node) → expanded size, once composed

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str) and _SURROGATE.search(value):  # "\\ud83d\\ude00" escapes decode one by one
            try:  # a pair stands for one character, as in JSON; a lone half stands for nothing
                value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
            except UnicodeDecodeError:
                raise ManifestLimitError(
                    "a string holds a lone UTF-16 surrogate escape (such as \\ud800); "
                    "expected valid Unicode text",
                    node.start_mark,
                ) from None
        return value

    def compose_document(self) -> Any:
        self._written = self._repeated = 0
        self._sizes = {}
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            node = self.anchors.get(event.anchor)
            if node is not None:
                size = self._sizes.get(id(node))
                if size is None:
                    raise ManifestLimitError(
                        f"alias *{event.anchor} refers to the node that contains it; "
                        "expected aliases of complete nodes only",
                        event.start_mark,
                    )
                self._repeated += size
                budget = max(ALIAS_ALLOWANCE, self._written)
                if self._repeated > budget:
                    raise ManifestLimitError(
                        f"excessive aliasing: aliases repeat more than {budget} nodes (alias *{event.anchor} alone "
                        f"stands for {size}); expected aliases to repeat at most as many nodes as the document "
                        f"holds (at least {ALIAS_ALLOWANCE})",
                        event.start_mark,
                    )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ManifestLimitError(
                f"nested more than {MAX_DEPTH} levels deep; expected at most {MAX_DEPTH} "
                "levels of lists and maps",
                event.start_mark,
            )
        before = self._written + self._repeated
        self._written += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        if event.anchor is not None:
            self._sizes[id(node)] = self._written + self._repeated - before
        return node


@dataclass
class LoadResult:
    snapshot: ClusterSnapshot = field(default_factory=ClusterSnapshot)
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == Severity.ERROR for p in self.problems)


def _expand(paths: Iterable[str]) -> list[tuple[str, Path | None]]:
    """(display name, path) per file; '-' is stdin (path None); directories are read recursively."""
    out: list[tuple[str, Path | None]] = []
    for raw in paths:
        if raw == "-":
            out.append(("<stdin>", None))
            continue
        path = Path(raw)
        if path.is_dir():
            out.extend(
                (str(p), p) for p in sorted(path.rglob("*")) if p.suffix in MANIFEST_SUFFIXES and p.is_file()
            )
        else:
            out.append((raw, path))
    return out


def _read(name: str, path: Path | None, result: LoadResult) -> str | None:
    def problem(message: str) -> None:
        result.problems.append(Problem(Severity.ERROR, "file", name, message, name))

    try:
        data = sys.stdin.buffer.read() if path is None else path.read_bytes()
    except FileNotFoundError:
        problem("no such file or directory")
        return None
    except OSError as err:
        problem(f"cannot read: {err.strerror}")
        return None
    if len(data) > MAX_FILE_BYTES:
        problem(f"is {len(data)} bytes; manifests over {MAX_FILE_BYTES} bytes are refused")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        problem(f"is not UTF-8 text (byte {err.start}: {data[err.start : err.start + 1]!r})")
        return None


def _documents(name: str, text: str, result: LoadResult) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    try:
        for index, doc in enumerate(yaml.load_all(text, Loader=BoundedLoader)):  # noqa: S506 - a safe loader
            docs.append((index, doc))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        reason = getattr(err, "problem", None) or str(err)
        what = "refused" if isinstance(err, ManifestLimitError) else "malformed YAML"
        result.problems.append(
            Problem(Severity.ERROR, "file", f"document #{len(docs)}", f"{what} at {where}: {reason}", name)
        )
    return docs


def _add_object(obj: Any, source: str, result: LoadResult) -> None:
    if obj is None:
        return
    if not isinstance(obj, dict):
        result.problems.append(
            Problem(
                Severity.ERROR,
                "document",
                "(root)",
                f"must be a Kubernetes object, got {type(obj).__name__}",
                source,
            )
        )
        return
    kind = obj.get("kind")
    if kind == "List" or (
        isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)
    ):
        for i, item in enumerate(obj["items"]):
            _add_object(item, f"{source}.items[{i}]", result)
        return
    for required in ("apiVersion", "kind"):
        if not isinstance(obj.get(required), str) or not obj.get(required):
            result.problems.append(
                Problem(Severity.ERROR, "object", required, "is required (a string)", source)
            )
            return
    if kind not in SUPPORTED_KINDS:
        metadata = obj.get("metadata")
        meta = metadata if isinstance(metadata, dict) else {}
        result.problems.append(
            Problem(
                Severity.WARNING,
                f"{kind} {meta.get('name', '')}".strip(),
                "kind",
                "not read by lbctl; ignored",
                source,
            )
        )
        return
    try:
        result.snapshot.add(obj, source)
    except SpecError as err:
        result.problems.append(err.problem)


def load(paths: Iterable[str]) -> LoadResult:
    """Read every manifest in `paths` (files, directories, '-' for stdin)."""
    result = LoadResult()
    for name, path in _expand(paths):
        text = _read(name, path, result)
        if text is None:
            continue
        for index, doc in _documents(name, text, result):
            _add_object(doc, f"{name}#{index}", result)
    return result
