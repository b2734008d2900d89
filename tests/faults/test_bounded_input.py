"""Bounded parsing: deeply nested or huge JSON annotation values, YAML alias bombs, deep YAML and recursive aliases
are refused with an error naming the field and the limit — by `lbctl validate/plan/route` through the console
script (never a traceback, never minutes of work), by the model (a bad IngressGroup member is left out, the rest
builds) and by the controller (a Warning Event on the bad member, the valid member converges). The parsers are
fuzzed with hypothesis over nested, aliased and control-character input."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.testing.cli import lbctl_in_process
from emulators.testing.faults import World
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import address_of, wait_for
from lbctl.cli import manifests
from lbctl.model import annotations as a
from lbctl.model.builder import BuildConfig, build
from lbctl.model.parsers import MAX_JSON_BYTES, MAX_JSON_DEPTH

SERVICE = """---
apiVersion: v1
kind: Service
metadata: {name: users, namespace: default}
spec:
  type: NodePort
  selector: {app: users}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}]
"""
DEEP = "[" * 4096  # 4 KB of '[': about 1,000 levels past Python's recursion limit
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def ingress(
    name: str,
    annotations: dict[str, str],
    backend: str = "users",
    port: str = "number: 80",
    group: str | None = None,
) -> str:
    if group:
        annotations = {**annotations, a.GROUP_NAME: group}
    ann = "".join(f"    {json.dumps(k)}: {json.dumps(v)}\n" for k, v in annotations.items()) or "    {}\n"
    return (
        f"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: default\n"
        f"  annotations:\n{ann}spec:\n  ingressClassName: alb\n  rules:\n    - http:\n        paths:\n"
        f"          - path: /{name}\n            pathType: Prefix\n            backend:\n"
        f"              service: {{name: {backend}, port: {{{port}}}}}\n"
    )


DEEP_CASES = {
    "actions": (
        ingress("shop", {a.ACTIONS.replace("${name}", "blue"): DEEP}, "blue", "name: use-annotation"),
        a.ACTIONS.replace("${name}", "blue"),
    ),
    "conditions": (
        ingress("shop", {a.CONDITIONS.replace("${name}", "users"): DEEP}),
        a.CONDITIONS.replace("${name}", "users"),
    ),
    "listen-ports": (ingress("shop", {a.LISTEN_PORTS: DEEP}), a.LISTEN_PORTS),
    "actions-as-objects": (
        ingress(
            "shop", {a.ACTIONS.replace("${name}", "blue"): '{"a":' * 2000}, "blue", "name: use-annotation"
        ),
        a.ACTIONS.replace("${name}", "blue"),
    ),
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LBCTL, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def problems_of(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return json.loads(result.stdout)


@pytest.mark.parametrize("case", sorted(DEEP_CASES))
def test_deeply_nested_json_annotation_is_an_error_in_every_command(case: str, tmp_path: Path) -> None:
    text, field = DEEP_CASES[case]
    path = tmp_path / "deep.yaml"
    path.write_text(text + SERVICE)
    validate = run("validate", "-o", "json", "-f", str(path), cwd=tmp_path)
    assert validate.returncode == 2, validate.stderr[-2000:]
    errors = [p for p in problems_of(validate) if p["severity"] == "error"]
    assert any(
        field in p["field"] and f"nested more than {MAX_JSON_DEPTH} levels" in p["message"] for p in errors
    ), errors
    for command in (
        ["plan"],
        ["route", "--host", "a.example.com", "--path", "/shop"],
        ["route", "--provider", "aws", "--host", "a.example.com", "--path", "/shop"],
    ):
        result = run(*command, "-f", str(path), cwd=tmp_path)
        assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
        assert result.returncode == 2 and "nested" in result.stdout + result.stderr, (
            command,
            result,
        )  # a table


def test_huge_json_annotation_is_refused_by_size(tmp_path: Path) -> None:
    value = json.dumps(
        {"type": "fixed-response", "fixedResponseConfig": {"statusCode": "503"}, "pad": "x" * MAX_JSON_BYTES}
    )
    path = tmp_path / "huge.yaml"
    path.write_text(
        ingress("shop", {a.ACTIONS.replace("${name}", "blue"): value}, "blue", "name: use-annotation")
        + SERVICE
    )
    result = run("validate", "-o", "json", "-f", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert any(f"more than {MAX_JSON_BYTES} bytes" in p["message"] for p in problems_of(result)), (
        result.stdout
    )


def alias_bomb(entries: int = 1000, rules: int = 1000) -> str:
    """One `paths: &P [...]` list of `entries` paths, aliased by `rules - 1` more rules (about 150 KB)."""
    lines = [
        "---",
        "apiVersion: networking.k8s.io/v1",
        "kind: Ingress",
        "metadata: {name: shop, namespace: default}",
        "spec:",
        "  ingressClassName: alb",
        "  rules:",
        "    - host: h0.example.com",
        "      http:",
        "        paths: &P",
    ]
    lines += [
        f"          - {{path: /p{i}, pathType: Prefix, backend: {{service: {{name: users, port: {{number: 80}}}}}}}}"
        for i in range(entries)
    ]
    lines += [f"    - {{host: h{r}.example.com, http: {{paths: *P}}}}" for r in range(1, rules)]
    return "\n".join(lines) + "\n" + SERVICE


def test_alias_bomb_is_refused_as_excessive_aliasing(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    for command in (
        ["validate", "-o", "json"],
        ["plan"],
        ["route", "--host", "h1.example.com", "--path", "/p1"],
    ):
        result = run(*command, "-f", str(path), cwd=tmp_path)
        assert result.returncode == 2, (command, result.stdout[-2000:], result.stderr[-2000:])
        assert "Traceback" not in result.stdout + result.stderr
        assert "excessive" in result.stdout + result.stderr  # (a table cell may fold the message)


def test_modest_aliasing_is_still_accepted(tmp_path: Path) -> None:
    """Aliases that repeat no more than the document holds (here: one shared path list on 5 hosts) are fine."""
    path = tmp_path / "aliases.yaml"
    path.write_text(alias_bomb(entries=3, rules=5))
    result = run("validate", "-o", "json", "-f", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    loaded = manifests.load([str(path)])
    assert not loaded.problems and len(loaded.snapshot.ingresses["default/shop"].rules) == 5


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", f"nested more than {manifests.MAX_DEPTH} levels"),
        ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", f"nested more than {manifests.MAX_DEPTH} levels"),
        ("a: &x [1, *x]\n", "alias *x refers to the node that contains it"),
        ("a: &x {b: *x}\n", "alias *x refers to the node that contains it"),
    ],
)
def test_deep_yaml_and_recursive_aliases_are_refused(text: str, expected: str, tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    result = run("validate", "-o", "json", "-f", str(path), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert any(expected in p["message"] and p["field"] == "document #0" for p in problems_of(result)), (
        result.stdout
    )


def test_deep_backend_config_spec_is_an_error_naming_the_object(tmp_path: Path) -> None:
    spec: Any = 1
    for _ in range(90):  # within the manifest limit, past what the spec check accepts
        spec = {"x": spec}
    path = tmp_path / "bc.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "cloud.google.com/v1",
                "kind": "BackendConfig",
                "metadata": {"name": "deep", "namespace": "default"},
                "spec": spec,
            }
        )
    )
    result = run("validate", "-o", "json", "-f", str(path), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert any(
        p["field"] == "spec" and f"at most {MAX_JSON_DEPTH} levels" in p["message"]
        for p in problems_of(result)
    ), result.stdout


def test_a_bad_group_member_is_left_out_and_the_rest_builds(tmp_path: Path) -> None:
    path = tmp_path / "group.yaml"
    path.write_text(
        ingress("good", {}, group="shop")
        + ingress(
            "bad", {a.ACTIONS.replace("${name}", "blue"): DEEP}, "blue", "name: use-annotation", group="shop"
        )
        + SERVICE
    )
    loaded = manifests.load([str(path)])
    outcome = build(loaded.snapshot, BuildConfig.for_provider("aws")).groups["shop"]
    assert outcome.spec is not None and outcome.spec.members == ["default/good"]
    assert [(p.object, p.severity) for p in outcome.problems] == [("Ingress default/bad", "error")]


# --------------------------------------------------------------------------- through the controller


@pytest.mark.parametrize("world", ["aws"], indirect=True)
def test_controller_warns_the_deep_member_and_converges_the_valid_one(world: World) -> None:
    world.start()
    field = a.ACTIONS.replace("${name}", "blue")
    good = world.ingress("good", {"/good": "users"}, {a.GROUP_NAME: "deep"})
    bad = world.ingress("bad", {"/bad": "users"}, {a.GROUP_NAME: "deep", field: DEEP})
    bad["spec"]["rules"][0]["http"]["paths"][0]["backend"] = {
        "service": {"name": "blue", "port": {"name": "use-annotation"}}
    }
    world.net.create_namespaced_ingress("default", bad)
    world.net.create_namespaced_ingress("default", good)
    wait_for(lambda: address_of(world.api, "good"), timeout=60, what="the valid member converges")

    def warnings() -> list[str]:
        events = kubernetes.client.CoreV1Api(world.api).list_namespaced_event("default").items
        return [e.message for e in events if e.involved_object.name == "bad" and e.type == "Warning"]

    wait_for(
        lambda: any(field in m and "nested more than" in m for m in warnings()),
        timeout=30,
        what="a Warning Event naming the annotation on the bad member",
    )
    assert not address_of(world.api, "bad")


# --------------------------------------------------------------------------- fuzzing

_CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.sampled_from(
    "\x7f\u2028\ufeff\\\"'[]{}:,&*!|>%@`"
)
_TEXT = st.text(st.characters(codec="utf-8") | _CONTROL, max_size=20)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def annotation_values(draw: st.DrawFn) -> str:
    """Valid-ish JSON, JSON nested past the limit, cut JSON, bracket runs, or any text with control characters."""
    kind = draw(st.sampled_from(["json", "deep", "cut", "brackets", "text", "digits"]))
    if kind == "json":
        return json.dumps(draw(_JSON), ensure_ascii=draw(st.booleans()))
    if kind == "deep":
        depth = draw(st.integers(MAX_JSON_DEPTH - 2, 3 * MAX_JSON_DEPTH))
        opener = draw(st.sampled_from(["[", '{"a":', '[{"b":']))
        return (
            opener * depth + json.dumps(draw(_JSON)) + draw(st.sampled_from(["", "]" * depth, "}" * depth]))
        )
    if kind == "cut":
        text = json.dumps(draw(_JSON))
        return text[: draw(st.integers(0, len(text)))]
    if kind == "brackets":
        return draw(st.text(st.sampled_from('[]{}",:\\'), max_size=200))
    if kind == "digits":
        return "9" * draw(st.integers(4000, 6000))
    return draw(_TEXT)


_KEYS = [ann.name.replace("${name}", "users") for ann in a.REGISTRY]


@FUZZ
@given(st.dictionaries(st.sampled_from(_KEYS), annotation_values(), max_size=4))
def test_fuzz_annotation_parsers_never_raise(values: dict[str, str]) -> None:
    for kind in ("Ingress", "Service"):
        parsed = a.REGISTRY.parse(values, kind, "Ingress default/fuzz")
        for problem in parsed.problems:
            assert problem.field.startswith("metadata.annotations[") and len(problem.message) < 2000


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """An Ingress manifest with fuzzed annotations, nesting, aliases and control characters spliced in."""
    annotations = draw(st.dictionaries(st.sampled_from(_KEYS), annotation_values(), max_size=3))
    body = ingress("fuzz", annotations, group=draw(st.sampled_from([None, "g"]))) + SERVICE
    kind = draw(st.sampled_from(["plain", "nest", "alias", "bomb", "control", "recursive"]))
    if kind == "nest":
        depth = draw(st.integers(1, 3 * manifests.MAX_DEPTH))
        body += "---\nx: " + "[" * depth + "]" * depth + "\n"
    elif kind == "alias":
        body += "---\na: &A {b: [1, 2, 3]}\nc: [*A, *A, *A]\nd: {<<: *A}\n"
    elif kind == "bomb":
        width = draw(st.integers(2, 12))
        levels = draw(st.integers(2, 8))
        lines = ["---", "l0: &l0 [" + ", ".join(["x"] * width) + "]"]
        lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
        body += "\n".join(lines) + "\n"
    elif kind == "control":
        position = draw(st.integers(0, len(body)))
        body = body[:position] + draw(st.text(_CONTROL, min_size=1, max_size=5)) + body[position:]
    elif kind == "recursive":
        body += "---\na: &r [1, {b: *r}]\n"
    return body


@FUZZ
@given(yaml_documents())
def test_fuzz_manifest_loader_and_builder_never_raise(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        loaded = manifests.load([str(path)])
    for provider in ("aws", "gcp"):
        result = build(loaded.snapshot, BuildConfig.for_provider(provider))
        assert all(p.message for p in result.problems)


@pytest.mark.parametrize("world", ["aws"], indirect=True)
def test_controller_warns_the_group_member_whose_duplicate_route_loses(world: World) -> None:
    """Same path, different backends in two members: group.order decides, the loser gets a Warning Event and
    both still converge (its other paths are served)."""
    world.start()
    first = world.ingress("first", {"/api": "users"}, {a.GROUP_NAME: "dup", a.GROUP_ORDER: "1"})
    second = world.ingress(
        "second", {"/api": "products", "/shop": "products"}, {a.GROUP_NAME: "dup", a.GROUP_ORDER: "2"}
    )
    world.net.create_namespaced_ingress("default", second)
    world.net.create_namespaced_ingress("default", first)
    wait_for(
        lambda: address_of(world.api, "first") and address_of(world.api, "second"),
        timeout=60,
        what="both members converge",
    )

    def warnings(name: str) -> list[str]:
        events = kubernetes.client.CoreV1Api(world.api).list_namespaced_event("default").items
        return [e.message for e in events if e.involved_object.name == name and e.type == "Warning"]

    wait_for(
        lambda: any("default/first" in m and "never receives a request" in m for m in warnings("second")),
        timeout=30,
        what="a Warning on the member that loses the route",
    )
    assert not warnings("first")


CORPUS = Path(__file__).parent / "corpus"
NEW_CASES = sorted(
    p.name
    for pattern in (
        "*-nested-deep.yaml",
        "path-*.yaml",
        "host-*.yaml",
        "name-*.yaml",
        "healthcheck-path-*.yaml",
        "fixed-response-*.yaml",
        "tag*.yaml",
        "duplicate-*.yaml",
        "yaml-alias-bomb.yaml",
    )
    for p in CORPUS.glob(pattern)
)


def test_plan_and_route_never_print_a_traceback_on_the_new_corpus_cases(tmp_path: Path) -> None:
    assert len(NEW_CASES) >= 20
    failures = []
    for name in NEW_CASES:
        for command in (["plan"], ["route", "--host", "shop.example.com", "--path", "/users"]):
            result = lbctl_in_process(*command, "-f", str(CORPUS / name), cwd=tmp_path)
            if "Traceback" in result.stdout + result.stderr or result.returncode != 2:
                failures.append(f"{name} {command[0]}: exit {result.returncode} {result.stderr[-500:]}")
    assert not failures, "\n".join(failures)
