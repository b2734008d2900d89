"""Manifest loading: files, directories, lists, and errors that name file, document, object and field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emulators.testing.specs import ingress, path, rule, service
from lbctl.cli.manifests import load
from lbctl.model.problems import Problem, Severity

GOOD = yaml.safe_dump_all([ingress("web", rule(None, path("/", "web"))), service("web")])


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)
    return str(target)


def only_problem(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_multi_document_file(tmp_path: Path) -> None:
    result = load([write(tmp_path, "app.yaml", "---\n---\n" + GOOD + "---\n")])
    assert result.problems == []
    assert list(result.snapshot.ingresses) == ["default/web"]
    assert list(result.snapshot.services) == ["default/web"]
    assert result.snapshot.ingresses["default/web"].source.endswith("app.yaml#1")  # document 0 is empty
    assert result.snapshot.services["default/web"].source.endswith("app.yaml#2")


def test_malformed_yaml_names_file_document_and_line(tmp_path: Path) -> None:
    text = GOOD + "---\napiVersion: v1\nkind: Service\nmetadata: {name: broken\n  namespace: x\n"
    name = write(tmp_path, "bad.yaml", text)
    result = load([name])
    problem = only_problem(result.problems)
    assert problem.severity == Severity.ERROR
    assert problem.source == name
    assert problem.field == "document #2"
    bad_line = text.splitlines().index("metadata: {name: broken") + 1
    assert "malformed YAML at line" in problem.message
    line = int(problem.message.split("line ")[1].split(",")[0])
    assert bad_line <= line <= bad_line + 2
    assert result.has_errors
    # the documents before the broken one are still read
    assert "default/web" in result.snapshot.ingresses


@pytest.mark.parametrize(
    ("doc", "obj", "field"),
    [
        ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}, "Service default/s", "spec"),
        (
            {"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "x"}, "spec": {}},
            "Service x/<unnamed>",
            "metadata.name",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s"},
                "spec": {"ports": [{"name": "a"}]},
            },
            "Service default/s",
            "spec.ports[0].port",
        ),
        (
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "s"},
                "spec": {"ports": [{"port": "80"}]},
            },
            "Service default/s",
            "spec.ports[0].port",
        ),
        ({"kind": "Service", "metadata": {"name": "s"}, "spec": {}}, "object", "apiVersion"),
        ({"apiVersion": "v1", "metadata": {"name": "s"}}, "object", "kind"),
        (
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}},
            "Ingress default/i",
            "spec",
        ),
        (
            ingress(
                "i", rule(None, {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s"}}})
            ),
            "Ingress default/i",
            "spec.rules[0].http.paths[0].backend.service.port",
        ),
        (
            ingress(
                "i",
                rule(
                    None,
                    {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {}}}},
                ),
            ),
            "Ingress default/i",
            "spec.rules[0].http.paths[0].backend.service.port",
        ),
        (
            ingress("i", rule(None, {"path": "/", "pathType": "Prefix"})),
            "Ingress default/i",
            "spec.rules[0].http.paths[0].backend",
        ),
        (ingress("i", {"host": "x", "http": {"paths": []}}), "Ingress default/i", "spec.rules[0].http.paths"),
        (
            ingress("i", rule(None, path("/", "s")), annotations={"a": 5}),  # type: ignore[dict-item]
            "Ingress default/i",
            "metadata.annotations[a]",
        ),
        (
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": "c"},
                "spec": {},
            },
            "IngressClass c",
            "spec.controller",
        ),
        (
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "e"}},
            "EndpointSlice default/e",
            "metadata.labels[kubernetes.io/service-name]",
        ),
    ],
)
def test_missing_required_fields_name_file_doc_object_field(
    tmp_path: Path, doc: dict, obj: str, field: str
) -> None:
    name = write(tmp_path, "objs.yaml", yaml.safe_dump_all([service("ok"), doc]))
    result = load([name])
    problem = only_problem(result.problems)
    assert (problem.severity, problem.source, problem.object, problem.field) == (
        Severity.ERROR,
        f"{name}#1",
        obj,
        field,
    )
    assert name in str(problem) and field in str(problem)


def test_non_utf8_bytes(tmp_path: Path) -> None:
    name = write(tmp_path, "latin1.yaml", "apiVersion: v1\nkind: Service\n# caf\xe9\n".encode("latin-1"))
    problem = only_problem(load([name]).problems)
    assert problem.severity == Severity.ERROR
    assert problem.source == name
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize(
    ("content", "type_name"), [("- a\n- b\n", "list"), ("just text\n", "str"), ("42\n", "int")]
)
def test_non_object_documents(tmp_path: Path, content: str, type_name: str) -> None:
    name = write(tmp_path, "odd.yaml", content)
    problem = only_problem(load([name]).problems)
    assert problem.severity == Severity.ERROR
    assert problem.source == f"{name}#0"
    assert type_name in problem.message


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    result = load([write(tmp_path, "e.yaml", "---\n---\n# only a comment\n")])
    assert result.problems == [] and result.snapshot.ingresses == {}


def test_list_kinds(tmp_path: Path) -> None:
    doc = {"apiVersion": "v1", "kind": "List", "items": [service("a"), service("b"), {"kind": "Service"}]}
    typed = {"apiVersion": "v1", "kind": "ServiceList", "items": [service("c")]}
    name = write(tmp_path, "list.yaml", yaml.safe_dump_all([doc, typed]))
    result = load([name])
    assert sorted(result.snapshot.services) == ["default/a", "default/b", "default/c"]
    problem = only_problem(result.problems)
    assert problem.source == f"{name}#0.items[2]"
    assert problem.field == "apiVersion"


def test_directories_recursive_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, "b/svc.yml", yaml.safe_dump(service("b")))
    write(
        tmp_path,
        "a/svc.json",
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {}}',
    )
    write(tmp_path, "a/readme.md", "not a manifest: {")
    write(tmp_path, "c.yaml", GOOD)
    result = load([str(tmp_path)])
    assert result.problems == []
    assert sorted(result.snapshot.services) == ["default/a", "default/b", "default/web"]


def test_missing_file(tmp_path: Path) -> None:
    name = str(tmp_path / "nope.yaml")
    problem = only_problem(load([name]).problems)
    assert problem.severity == Severity.ERROR and problem.source == name


def test_unsupported_kind_is_a_warning(tmp_path: Path) -> None:
    doc = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "web"}}
    name = write(tmp_path, "d.yaml", yaml.safe_dump(doc))
    result = load([name])
    problem = only_problem(result.problems)
    assert problem.severity == Severity.WARNING
    assert problem.source == f"{name}#0"
    assert problem.object == "CronJob web"
    assert not result.has_errors


def test_several_files_keep_their_own_names(tmp_path: Path) -> None:
    one = write(tmp_path, "one.yaml", yaml.safe_dump(service("one")))
    two = write(tmp_path, "two.yaml", "kind: [\n")
    result = load([one, two])
    assert list(result.snapshot.services) == ["default/one"]
    assert only_problem(result.problems).source == two
