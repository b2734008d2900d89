"""The shape of the import graph: no cycles anywhere, the emulators a leaf the product reaches only lazily, and
the tests a set of leaves: no test module imports another, and their shared helpers live in `emulators.testing`.

Read from the source with `ast`, so an import inside a function or under `if TYPE_CHECKING:` counts: such an
import hides a cycle from the interpreter but not from a reader (or a type checker).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lbctl", "providers", "emulators")
# The test helpers; the ones listed after it build specs through the real model or run the real controller on
# purpose. Every other module under emulators/ imports nothing of the product.
TEST_HELPERS = "emulators.testing"
TEST_HELPERS_ON_THE_PRODUCT = frozenset(
    f"{TEST_HELPERS}.{name}"
    for name in ("aws_stacks", "cli", "controller", "crds", "faults", "gce", "gcp_stacks", "specs")
)
# Where the product may start an emulator (module prefix, function; "" for any function): the demo, the
# `lbctl emulator` commands, and each provider's offline account (the sandbox behind `plan --offline`).
MAY_START_EMULATORS = (
    ("lbctl.demo", ""),
    ("lbctl.cli.emulator", ""),
    ("providers.", "offline_account"),
    ("providers.", "offline_project"),
)
# Cycles that exist on main through `if TYPE_CHECKING:` imports, left to the steps that own those modules (the
# registry's model modules, the GCP pipeline). Listed so no new cycle can join them; an entry that is no longer
# a cycle fails `test_known_cycles_are_still_there`, so the list only shrinks.
KNOWN_CYCLES: list[list[str]] = []


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    top_level: bool  # False: inside a function (a lazy import)
    function: str = ""  # the outermost function it is in


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    return {
        _module_name(path): path for package in packages for path in sorted((ROOT / package).rglob("*.py"))
    }


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(name: str, path: Path, known: set[str]) -> list[Import]:
    tree = ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if function is None and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            elif function is None and isinstance(child, ast.Lambda):
                inner = "<lambda>"
            top = function is None
            if isinstance(child, ast.Import):
                found.extend(
                    Import(name, alias.name, child.lineno, top, function or "") for alias in child.names
                )
            elif isinstance(child, ast.ImportFrom):
                module = _resolve(name, is_package, child)
                for alias in child.names:  # `from pkg import module` imports the submodule
                    target = f"{module}.{alias.name}"
                    imported = target if target in known else module
                    found.append(Import(name, imported, child.lineno, top, function or ""))
            visit(child, inner)

    visit(tree, None)
    return found


def _owner(imported: str, known: set[str]) -> str | None:
    """The module of ours an import names (`a.b.c` may be a name inside module `a.b`)."""
    parts = imported.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _graph() -> tuple[dict[str, set[str]], list[Import]]:
    modules = _modules()
    known = set(modules)
    edges: dict[str, set[str]] = {name: set() for name in modules}
    every: list[Import] = []
    for name, path in modules.items():
        for imp in _imports(name, path, known):
            every.append(imp)
            target = _owner(imp.imported, known)
            # A package's own __init__ is run by importing any submodule: not an edge worth a cycle.
            if target is not None and target != name and not name.startswith(f"{target}."):
                edges[name].add(target)
    return edges, every


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


def test_the_checker_finds_a_cycle_hidden_in_a_function() -> None:
    tree = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(tree) == [["a", "b", "c"]]
    module = "emulators.kube.handler"
    imports = _imports(module, ROOT / "emulators" / "kube" / "handler.py", set(_modules()))
    assert any(imp.imported.startswith("emulators.kube.") for imp in imports), "relative imports resolved"


def test_no_import_cycle() -> None:
    edges, _ = _graph()
    assert [cycle for cycle in _cycles(edges) if cycle not in KNOWN_CYCLES] == []


def test_known_cycles_are_still_there() -> None:
    edges, _ = _graph()
    assert [cycle for cycle in KNOWN_CYCLES if cycle not in _cycles(edges)] == []


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def test_the_emulators_import_nothing_from_the_product() -> None:
    _, imports = _graph()
    leaks = [
        imp
        for imp in imports
        if _in(imp.importer, "emulators")
        and imp.importer not in TEST_HELPERS_ON_THE_PRODUCT
        and imp.imported.split(".")[0] in ("lbctl", "providers")
    ]
    assert leaks == []


def test_the_emulators_proper_never_reach_the_test_helpers() -> None:
    """`emulators.testing` sits on top of the emulators (and the product); nothing below it imports it."""
    _, imports = _graph()
    users = [
        imp for imp in imports if not _in(imp.importer, TEST_HELPERS) and _in(imp.imported, TEST_HELPERS)
    ]
    assert users == []


def _test_imports() -> list[Import]:
    """Every import in tests/ of a module of tests/ (absolute, relative or lazy)."""
    modules = _modules(("tests",))
    known = set(modules)
    return [
        imp
        for name, path in modules.items()
        for imp in _imports(name, path, known)
        if _in(imp.imported, "tests") and _owner(imp.imported, known) is not None
    ]


def test_no_test_module_imports_another() -> None:
    """Shared helpers and fixtures come from `emulators.testing` (its pytest plugin for fixtures), so each test
    file stands alone and a test folder can move without breaking another."""
    assert [f"{imp.importer}:{imp.line} imports {imp.imported}" for imp in _test_imports()] == []


def test_the_checker_finds_a_test_importing_a_test(tmp_path: Path) -> None:
    source = tmp_path / "test_x.py"
    source.write_text("from .conftest import helper\n\ndef f():\n    from tests.tools import LBCTL\n")
    known = {"tests.aws.conftest", "tests.tools", "tests.aws.test_x"}
    found = [imp.imported for imp in _imports("tests.aws.test_x", source, known)]
    assert found == ["tests.aws.conftest", "tests.tools"]


def test_the_emulators_import_nothing_from_tests() -> None:
    _, imports = _graph()
    assert [imp for imp in imports if _in(imp.imported, "tests")] == []


@pytest.mark.parametrize("package", ["lbctl", "providers"])
def test_the_product_reaches_the_emulators_only_lazily_from_the_commands_that_start_them(
    package: str,
) -> None:
    _, imports = _graph()
    uses = [
        imp
        for imp in imports
        if imp.importer.split(".")[0] == package and imp.imported.split(".")[0] == "emulators"
    ]
    eager = [imp for imp in uses if imp.top_level and not _type_only(imp)]
    elsewhere = [
        imp
        for imp in uses
        if not any(
            imp.importer.startswith(prefix) and function in ("", imp.function)
            for prefix, function in MAY_START_EMULATORS
        )
    ]
    assert (eager, elsewhere) == ([], [])


def _type_only(imp: Import) -> bool:
    """An import under `if TYPE_CHECKING:` (never run)."""
    tree = ast.parse(_modules()[imp.importer].read_text())
    guards = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
    ]
    return any(getattr(child, "lineno", None) == imp.line for node in guards for child in ast.walk(node))
