"""`lbctl convert`: legacy Ingresses → networking.k8s.io/v1 as `kubectl convert` does, comments and order kept;
the table below is (input, exact expected output); the CLI is run through the console script."""

from __future__ import annotations

import json
import re
import subprocess
import textwrap
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from emulators.testing.cli import lbctl_in_process
from lbctl.cli.convert import convert_text, to_yaml
from lbctl.model.objects import parse_ingress

ROOT = Path(__file__).resolve().parents[2]


def _text(block: str) -> str:
    return textwrap.dedent(block).lstrip("\n")


# name → (input, expected output)
CASES: dict[str, tuple[str, str]] = {
    "port number, missing pathType, comments kept": (
        """
        # from the tutorial
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata:
          name: web  # the name
        spec:
          rules:
          - http:
              paths:
              - path: /*  # every path
                backend:
                  serviceName: web  # the Service
                  servicePort: 8080  # its port
        """,
        """
        # from the tutorial
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web  # the name
        spec:
          rules:
          - http:
              paths:
              - path: /*  # every path
                pathType: ImplementationSpecific
                backend:
                  service:
                    name: web  # the Service
                    port:
                      number: 8080  # its port
        """,
    ),
    "port name; explicit pathType kept; v1beta1 of networking.k8s.io": (
        """
        apiVersion: networking.k8s.io/v1beta1
        kind: Ingress
        metadata:
          name: web
          namespace: shop
        spec:
          rules:
            - host: shop.example.com
              http:
                paths:
                  - path: /users
                    pathType: Prefix
                    backend:
                      serviceName: users
                      servicePort: http
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
          namespace: shop
        spec:
          rules:
            - host: shop.example.com
              http:
                paths:
                  - path: /users
                    pathType: Prefix
                    backend:
                      service:
                        name: users
                        port:
                          name: http
        """,
    ),
    "spec.backend → defaultBackend, port of digits → number, no path": (
        """
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata:
          name: web
        spec:
          backend:
            serviceName: fallback
            servicePort: "80"
          rules:
          - host: a.example.com
            http:
              paths:
              - backend:
                  serviceName: a
                  servicePort: 80
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: web
        spec:
          defaultBackend:
            service:
              name: fallback
              port:
                number: 80
          rules:
          - host: a.example.com
            http:
              paths:
              - pathType: ImplementationSpecific
                backend:
                  service:
                    name: a
                    port:
                      number: 80
        """,
    ),
    "resource backends stay resource backends": (
        """
        apiVersion: networking.k8s.io/v1beta1
        kind: Ingress
        metadata:
          name: assets
        spec:
          backend:
            resource:
              apiGroup: k8s.example.com
              kind: StorageBucket
              name: static-assets
          rules:
          - http:
              paths:
              - path: /icons
                pathType: Exact
                backend:
                  resource:
                    apiGroup: k8s.example.com
                    kind: StorageBucket
                    name: icons
        """,
        """
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: assets
        spec:
          defaultBackend:
            resource:
              apiGroup: k8s.example.com
              kind: StorageBucket
              name: static-assets
          rules:
          - http:
              paths:
              - path: /icons
                pathType: Exact
                backend:
                  resource:
                    apiGroup: k8s.example.com
                    kind: StorageBucket
                    name: icons
        """,
    ),
    "other objects and v1 Ingresses unchanged, documents in order, each keeps its layout": (
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web   # odd spacing kept
          annotations: {cloud.google.com/neg: '{"ingress": true}'}
        spec:
          type: NodePort
          ports:
            - port: 8080
              targetPort: "http"
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: new
        spec:
          defaultBackend:
            service: {name: web, port: {number: 8080}}
        ---
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata:
          name: old
        spec:
          backend:
            serviceName: web
            servicePort: 8080
        """,
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web   # odd spacing kept
          annotations: {cloud.google.com/neg: '{"ingress": true}'}
        spec:
          type: NodePort
          ports:
            - port: 8080
              targetPort: "http"
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: new
        spec:
          defaultBackend:
            service: {name: web, port: {number: 8080}}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata:
          name: old
        spec:
          defaultBackend:
            service:
              name: web
              port:
                number: 8080
        """,
    ),
    "Ingresses inside a List": (
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: extensions/v1beta1
          kind: Ingress
          metadata:
            name: web
          spec:
            backend:
              serviceName: web
              servicePort: http
        """,
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: networking.k8s.io/v1
          kind: Ingress
          metadata:
            name: web
          spec:
            defaultBackend:
              service:
                name: web
                port:
                  name: http
        """,
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_conversion_table(case: str) -> None:
    source, expected = (_text(x) for x in CASES[case])
    converted = convert_text("in.yaml", source)
    assert not converted.problems
    assert to_yaml([converted]) == expected


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_converted_ingresses_are_valid_v1_and_mean_the_same(case: str) -> None:
    """What the API server's v1 schema accepts, and the same Ingress for lbctl's model as the legacy form."""
    source, _ = (_text(x) for x in CASES[case])
    before = [d for d in yaml.safe_load_all(source) if d]
    after = [d for d in yaml.safe_load_all(to_yaml([convert_text("in.yaml", source)])) if d]
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        pairs = zip(old.get("items", [old]), new.get("items", [new]), strict=True)
        for old_obj, new_obj in pairs:
            if old_obj["kind"] != "Ingress":
                assert old_obj == new_obj
                continue
            assert new_obj["apiVersion"] == "networking.k8s.io/v1"
            kubernetes_validate.validate(new_obj, kubernetes_validate.latest_version(), strict=True)
            assert parse_ingress(old_obj) == parse_ingress(new_obj)


# ----------------------------------------------------------------------------- the command


def lbctl(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return lbctl_in_process(*args, cwd=ROOT, input=stdin)


def test_cli_converts_files_dirs_and_stdin_in_order(tmp_path: Path) -> None:
    first, second = CASES["port number, missing pathType, comments kept"], CASES["Ingresses inside a List"]
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "a.yaml").write_text(_text(first[0]))
    (folder / "notes.txt").write_text("not a manifest")  # skipped: not a manifest suffix
    done = lbctl("convert", "-f", str(folder), "-f", "-", stdin=_text(second[0]))
    assert done.returncode == 0, done.stderr
    assert done.stdout == _text(first[1]) + "---\n" + _text(second[1])
    assert "converted Ingress default/web: extensions/v1beta1 → networking.k8s.io/v1" in done.stderr


def test_cli_json_output(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_text(_text(CASES["spec.backend → defaultBackend, port of digits → number, no path"][0]))
    done = lbctl("convert", "-f", str(source), "-o", "json")
    assert done.returncode == 0, done.stderr
    obj = json.loads(done.stdout)
    assert obj["apiVersion"] == "networking.k8s.io/v1"
    assert obj["spec"]["defaultBackend"] == {"service": {"name": "fallback", "port": {"number": 80}}}
    two = lbctl("convert", "-f", str(source), "-f", str(source), "-o", "json")
    assert [i["kind"] for i in json.loads(two.stdout)["items"]] == ["Ingress", "Ingress"]


def test_cli_nothing_legacy_is_printed_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "svc.yaml"
    source.write_text("kind: Service  # just a Service\napiVersion: v1\nmetadata: {name: web}\n")
    done = lbctl("convert", "-f", str(source))
    assert done.returncode == 0, done.stderr
    assert done.stdout == source.read_text()
    assert "no legacy Ingress" in done.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("apiVersion: v1\nkind: [Service\n", "malformed YAML at line 3"),
        (
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}\nspec:\n  backend: {serviceName: web}\n",
            "spec.backend.servicePort",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True)
            ),
            "excessive aliasing",
        ),
    ],
    ids=["not YAML", "legacy Ingress without servicePort", "alias bomb"],
)
def test_cli_bad_input_exits_2_naming_file_and_field(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    done = lbctl("convert", "-f", str(tmp_path / "bad.yaml"))
    assert done.returncode == 2
    assert done.stdout == ""
    assert expected in done.stderr and "bad.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    missing = lbctl("convert", "-f", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 2 and "no such file or directory" in missing.stderr


def test_validate_does_not_load_the_round_trip_library() -> None:
    """`convert` is loaded lazily: the other file-based commands keep their start-up time."""
    import sys

    code = (
        "import sys; from lbctl.cli import main; sys.argv = ['lbctl', 'validate', '-f', 'docs/examples/shop.yaml']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\nprint('ruamel' in ' '.join(sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout + done.stderr


# ----------------------------------------------------------------------------- --to gateway

GATEWAY_CLASSES = """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl-alb}
spec: {controllerName: lbctl.io/alb}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: lbctl-gce}
spec: {controllerName: lbctl.io/gce}
"""


@pytest.mark.parametrize(
    ("source", "provider", "request_args"),
    [
        ("docs/examples/two-services.yaml", "aws", ["--host", "shop.example.com", "--path", "/users/4"]),
        (
            "docs/examples/two-services-gce.yaml",
            "gcp",
            ["--host", "x.org", "--path", "/users", "--scheme", "https"],
        ),
        (
            "tests/data/convert-features.yaml",
            "aws",
            [
                "--host",
                "shop.example.com",
                "--path",
                "/api/v",
                "--method",
                "PUT",
                "--header",
                "X-Tier: silver",
            ],
        ),
    ],
)
def test_lbctl_route_answers_the_converted_gateway_as_the_ingresses(
    tmp_path: Path, source: str, provider: str | None, request_args: list[str]
) -> None:
    """`lbctl convert --to gateway` output (with the files' other objects and the GatewayClasses a cluster admin
    installs) through `lbctl route --provider`: the same backend as the original Ingresses, and the cloud's
    evaluation of the Gateway's rules agrees with the model's (in-process: the console script is run above)."""
    from click.testing import CliRunner

    from lbctl.cli import main

    runner = CliRunner()
    converted = runner.invoke(main, ["convert", "--to", "gateway", "-f", str(ROOT / source)])
    assert converted.exit_code == 0, converted.output
    others = [d for d in yaml.safe_load_all((ROOT / source).read_text()) if d and d["kind"] != "Ingress"]
    gateway_files = tmp_path / "gateway.yaml"
    gateway_files.write_text(converted.stdout + "---\n" + yaml.safe_dump_all(others) + GATEWAY_CLASSES)
    answers = []
    for files in (str(ROOT / source), str(gateway_files)):
        result = runner.invoke(
            main, ["route", "-f", files, "--provider", provider, "-o", "json", *request_args]
        )
        assert result.exit_code in (0, 1), result.output
        (answer,) = json.loads(result.stdout)
        assert answer["agrees"] is True, answer
        answers.append(re.sub(r" \(weight 1\)$", "", answer["backend"]))
    assert answers[0] == answers[1] and answers[0].startswith("forward "), answers
