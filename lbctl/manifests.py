"""Load Kubernetes manifests from files, directories and stdin into a ClusterSnapshot.

Every problem names the file, the document index, the object and the field.
"""

from __future__ import annotations

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
            out.extend((str(p), p) for p in sorted(path.rglob("*")) if p.suffix in MANIFEST_SUFFIXES and p.is_file())
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
        problem(f"is not UTF-8 text (byte {err.start}: {data[err.start:err.start + 1]!r})")
        return None


def _documents(name: str, text: str, result: LoadResult) -> list[tuple[int, Any]]:
    docs: list[tuple[int, Any]] = []
    try:
        for index, doc in enumerate(yaml.safe_load_all(text)):
            docs.append((index, doc))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        reason = getattr(err, "problem", None) or str(err)
        result.problems.append(
            Problem(Severity.ERROR, "file", f"document #{len(docs)}", f"malformed YAML at {where}: {reason}", name)
        )
    return docs


def _add_object(obj: Any, source: str, result: LoadResult) -> None:
    if obj is None:
        return
    if not isinstance(obj, dict):
        result.problems.append(
            Problem(Severity.ERROR, "document", "(root)", f"must be a Kubernetes object, got {type(obj).__name__}", source)
        )
        return
    kind = obj.get("kind")
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and isinstance(obj.get("items"), list)):
        for i, item in enumerate(obj["items"]):
            _add_object(item, f"{source}.items[{i}]", result)
        return
    for required in ("apiVersion", "kind"):
        if not isinstance(obj.get(required), str) or not obj.get(required):
            result.problems.append(Problem(Severity.ERROR, "object", required, "is required (a string)", source))
            return
    if kind not in SUPPORTED_KINDS:
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        result.problems.append(
            Problem(Severity.WARNING, f"{kind} {meta.get('name', '')}".strip(), "kind", "not read by lbctl; ignored",
                    source)  # fmt: skip
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
