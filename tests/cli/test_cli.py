"""The CLI through the installed console script, as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from emulators.testing.cli import lbctl_in_process
from emulators.testing.scripts import LBCTL
from emulators.testing.specs import ingress, path, rule, service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "docs" / "examples" / "two-services.yaml")
LISTEN_PORTS = "alb.ingress.kubernetes.io/listen-ports"


def lbctl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return lbctl_in_process(*args, cwd=ROOT, input=stdin)


def entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `lbctl` script itself."""
    return subprocess.run([LBCTL, *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def write(tmp_path: Path, name: str, *docs: dict) -> str:
    target = tmp_path / name
    target.write_text(yaml.safe_dump_all(docs))
    return str(target)


def test_version() -> None:
    from lbctl import __version__

    result = entry_point("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize(
    "command", [[], ["validate"], ["plan"], ["route"], ["docs", "annotations"], ["apply"]]
)
def test_help(command: list[str]) -> None:
    result = entry_point(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    if command in (["validate"], ["plan"], ["route"]):
        assert "-f, --filename" in result.stdout


# ----------------------------------------------------------------------------- validate


def test_validate_clean_example() -> None:
    result = lbctl("validate", "-f", EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_validate_warnings_exit_0_or_1_with_strict(tmp_path: Path) -> None:
    name = write(
        tmp_path,
        "warn.yaml",
        ingress("shop", rule(None, path("/", "web")), annotations={"networking.gke.io/typo": "x"}),
        service("web"),
    )
    relaxed = lbctl("validate", "-f", name, "-o", "json")
    assert relaxed.returncode == 0, relaxed.stdout
    (problem,) = json.loads(relaxed.stdout)
    assert "typo" in problem["field"] and problem["severity"] == "warning"
    assert "unknown annotation" in problem["message"]
    strict = lbctl("validate", "--strict", "-f", name)
    assert strict.returncode == 1, strict.stdout


@pytest.mark.parametrize(
    "key", ["alb.ingress.kubernetes.io/typo", "alb.ingress.kubernetes.io/frontend-nlb-colour"]
)
def test_validate_unsupported_alb_annotation_exit_2(tmp_path: Path, key: str) -> None:
    name = write(
        tmp_path,
        "bad.yaml",
        ingress("shop", rule(None, path("/", "web")), annotations={key: "true"}),
        service("web"),
    )
    result = lbctl("validate", "-f", name, "-o", "json")
    assert result.returncode == 2, result.stdout
    (problem,) = json.loads(result.stdout)
    assert problem["field"] == f"metadata.annotations[{key}]" and problem["severity"] == "error"
    assert "not supported by lbctl" in problem["message"]


def test_validate_malformed_listen_ports_exit_2(tmp_path: Path) -> None:
    name = write(
        tmp_path,
        "lp.yaml",
        ingress("shop", rule(None, path("/", "web")), annotations={LISTEN_PORTS: '[{"HTTP": 80}'}),
        service("web"),
    )
    table = lbctl("validate", "-f", name)
    assert table.returncode == 2
    assert "error" in table.stdout and "listen-" in table.stdout  # the table may fold the name
    assert "expected" in table.stdout
    problems = json.loads(lbctl("validate", "-f", name, "-o", "json").stdout)
    (problem,) = problems
    assert problem["severity"] == "error"
    assert problem["field"] == f"metadata.annotations[{LISTEN_PORTS}]"
    assert problem["source"] == f"{name}#0"
    assert '[{"HTTP": 80}, {"HTTPS": 443}]' in problem["message"]
    assert "'[{\"HTTP\": 80}'" in problem["message"]


def test_validate_malformed_yaml_exit_2(tmp_path: Path) -> None:
    name = tmp_path / "broken.yaml"
    name.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: [x\n")
    result = lbctl("validate", "-f", str(name), "-o", "yaml")
    assert result.returncode == 2
    (problem,) = yaml.safe_load(result.stdout)
    assert problem["source"] == str(name)
    assert problem["field"] == "document #0"
    assert "line" in problem["message"]


def test_validate_stdin() -> None:
    bad = yaml.safe_dump(ingress("shop", rule(None, path("/", "web")), annotations={LISTEN_PORTS: "80"}))
    result = lbctl("validate", "-f", "-", "-o", "json", stdin=bad)
    assert result.returncode == 2
    sources = {p["source"] for p in json.loads(result.stdout)}
    assert sources == {"<stdin>#0"}


def test_validate_directory(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ingress("shop", rule(None, path("/", "web"))))
    write(tmp_path, "b.yaml", service("web"))
    assert lbctl("validate", "-f", str(tmp_path)).returncode == 0


# ----------------------------------------------------------------------------- plan


def test_plan_table() -> None:
    result = lbctl("plan", "-f", EXAMPLE)
    assert result.returncode == 0, result.stderr
    for text in (
        "/users",
        "/products",
        "default/users:80",
        "default/products:80",
        "HTTP",
        "Listeners",
        "Rules",
        "Backends",
        "30080",
        "/healthz",
    ):
        assert text in result.stdout, text
    assert max(len(line) for line in result.stdout.splitlines()) <= 160


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_plan_yaml_json(fmt: str) -> None:
    result = lbctl("plan", "-f", EXAMPLE, "-o", fmt)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout) if fmt == "json" else yaml.safe_load(result.stdout)
    (spec,) = docs
    assert spec["provider"] == "aws" and spec["stack"] == "default/shop"
    assert sorted(r["path"]["path"] for r in spec["rules"]) == ["/products", "/users"]
    assert sorted(spec["backends"]) == ["default/products:80", "default/users:80"]
    assert spec["frontend"]["scheme"] == "internet-facing"


def test_plan_with_errors_exits_2(tmp_path: Path) -> None:
    name = write(
        tmp_path,
        "bad-port.yaml",
        ingress("shop", rule(None, path("/", "web", 8080))),
        service("web", [(80, "http", 30080)]),
    )
    result = lbctl("plan", "-f", name)
    assert result.returncode == 2
    assert "Service default/web has no port 8080" in result.stderr
    assert "No Ingress served" not in result.stdout and "have errors" in result.stdout


# ----------------------------------------------------------------------------- route

ROUTES = [
    ingress(
        "shop",
        rule(
            "shop.example.com",
            path("/exact", "exact", path_type="Exact"),
            path("/api", "api"),
            path("/api/v2", "apiv2"),
            path("/docs/", "docs"),
        ),
        rule("*.example.com", path("/", "wild")),
    ),
    *[service(n, [(80, "http", 30000 + i)]) for i, n in enumerate(("exact", "api", "apiv2", "docs", "wild"))],
]


@pytest.mark.parametrize(
    ("host", "request_path", "backend"),
    [
        ("shop.example.com", "/exact", "default/exact:80"),  # exact
        ("shop.example.com", "/exact/", "default/wild:80"),  # exact is exact: falls to the wildcard host
        ("shop.example.com", "/api/users", "default/api:80"),  # prefix
        ("shop.example.com", "/api/v2/users", "default/apiv2:80"),  # longest prefix
        ("shop.example.com", "/apiv2", "default/wild:80"),  # element-wise
        ("shop.example.com", "/docs", "default/docs:80"),  # trailing slash in the rule
        ("SHOP.Example.com:443", "/api", "default/api:80"),  # host case and port
        ("shop.example.com", "/API", "default/wild:80"),  # paths are case-sensitive
        ("blog.example.com", "/api", "default/wild:80"),  # wildcard host
        ("a.blog.example.com", "/", "404 (no default backend)"),  # one label only
    ],
)
def test_route(tmp_path: Path, host: str, request_path: str, backend: str) -> None:
    name = write(tmp_path, "routes.yaml", *ROUTES)
    result = lbctl("route", "-f", name, "--host", host, "--path", request_path, "-o", "json")
    assert result.returncode == 0, result.stderr
    (answer,) = json.loads(result.stdout)
    assert answer["backend"].removeprefix("forward ") == backend


def test_route_table_on_the_example() -> None:
    result = lbctl("route", "-f", EXAMPLE, "--host", "shop.example.com", "--path", "/users/42")
    assert result.returncode == 0
    assert "forward default/users:80" in result.stdout
    result = lbctl("route", "-f", EXAMPLE, "--host", "shop.example.com", "--path", "/usersx")
    assert "404" in result.stdout


# ----------------------------------------------------------------------------- docs


def test_committed_annotation_docs_are_not_stale() -> None:
    result = lbctl("docs", "annotations", "--check")
    assert result.returncode == 0, result.stderr + " — run 'lbctl docs annotations'"


def test_docs_check_fails_when_stale(tmp_path: Path) -> None:
    target = tmp_path / "annotations.md"
    target.write_text(
        (ROOT / "docs" / "annotations.md").read_text().replace("listen-ports", "listen-port", 1)
    )
    stale = lbctl("docs", "annotations", "--check", "--path", str(target))
    assert stale.returncode == 1
    assert "stale" in stale.stderr
    assert lbctl("docs", "annotations", "--path", str(target)).returncode == 0
    assert target.read_text() == (ROOT / "docs" / "annotations.md").read_text()
    assert lbctl("docs", "annotations", "--check", "--path", str(target)).returncode == 0


def test_route_with_a_whole_request() -> None:
    """--method/--header/--query/--scheme/--port reach ALB conditions; JSON shows a redirect's status and
    Location; the ALB evaluation agrees with the model; a malformed header is refused by name. In-process
    (click's runner): the console script itself is covered by the tests above."""
    from click.testing import CliRunner

    from lbctl.cli import main

    name = ROOT / "tests" / "data" / "route-conditions.yaml"
    shop = ["route", "-f", str(name), "--provider", "aws", "--host", "shop.example.com", "-o", "json"]
    runner = CliRunner()
    post = ["--path", "/api/x", "--method", "POST", "--header", "X-Tier: gold", "--scheme", "https"]
    result = runner.invoke(main, [*shop, *post])
    (answer,) = json.loads(result.stdout)
    assert (result.exit_code, answer["backend"], answer["agrees"]) == (0, "forward shop/beta:80", True), (
        answer
    )
    result = runner.invoke(main, [*shop, "--path", "/old/a", "--query", "b=1", "--port", "443"])
    (answer,) = json.loads(result.stdout)
    assert answer["redirect"] == {"status": 302, "location": "https://new.example.com:443/old/a?b=1"}, answer
    assert answer["agrees"] is True
    result = runner.invoke(main, [*shop, "--path", "/", "--header", "X-Tier gold"])
    assert result.exit_code == 2 and "expected 'Name: value'" in result.output, result.output
