"""The bad-input corpus (tests/faults/corpus/, expectations in corpus/expected.yaml): `lbctl validate` through
the console script gives each file the recorded exit code and a message naming the field and the expected form,
never a traceback; then every file goes to the Kubernetes API emulator next to valid Ingresses, with the real
controller running: what the API accepts gets a Warning Event naming the field, what it rejects (422, as a
real API server would) never reaches the controller, the valid Ingresses converge, the controller never dies."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import requests
import yaml

from emulators.testing.cli import lbctl_in_process
from emulators.testing.faults import World, create_raw
from emulators.testing.scripts import LBCTL
from emulators.testing.waiting import address_of, events_for, wait_for
from lbctl.cli.manifests import BoundedLoader

CORPUS = Path(__file__).parent / "corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
HUGE = "@@1MiB@@"
VALID = ("valid-a", "valid-b", "valid-c")
# cases about Kubernetes objects rather than one cloud: also sent, as GCE Ingresses, to the GCP controller
GENERIC = {
    "annotation-not-a-string.yaml",
    "bad-host-double-wildcard.yaml",
    "bad-host-ip-address.yaml",
    "bad-host-underscore.yaml",
    "huge-annotation-value.yaml",
    "missing-service.yaml",
    "non-utf8-bytes.yaml",
    "path-not-absolute.yaml",
    "service-port-out-of-range.yaml",
    "tls-secret-missing.yaml",
    "unknown-service-port-name.yaml",
    "unknown-service-port-number.yaml",
    "wrong-path-type.yaml",
    "path-with-nul.yaml",
    "path-with-esc.yaml",
    "path-dot-dot.yaml",
    "path-double-slash.yaml",
    "path-encoded-slash.yaml",
    "host-300-chars.yaml",
    "name-254-chars.yaml",
    "name-uppercase.yaml",
    "duplicate-path-different-backends.yaml",
}


def materialise(name: str, directory: Path) -> Path:
    """The corpus file, with the 1 MiB placeholder expanded (the repository keeps the small template)."""
    data = (CORPUS / name).read_bytes()
    if HUGE.encode() not in data:
        return CORPUS / name
    out = directory / name
    out.write_bytes(data.replace(HUGE.encode(), b"a" * (1 << 20)))
    return out


def test_corpus_is_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED), (
        f"files without expectations: {files - set(EXPECTED)}; "
        f"expectations without files: {set(EXPECTED) - files}"
    )
    assert len(files) >= 40
    for name, e in EXPECTED.items():
        assert e["field"] and e["form"], name
        vacuous = [part for part in e["form"] if not part.strip() or part in e["field"]]
        assert not vacuous, f"{name}: form parts {vacuous} say nothing beyond the field name"


def test_validate_each_file(tmp_path: Path) -> None:
    """Each file through the real command in this process (the whole directory below runs it as a process)."""

    def run(name: str) -> tuple[str, subprocess.CompletedProcess[str]]:
        path = materialise(name, tmp_path)
        return name, lbctl_in_process("validate", "-o", "json", "-f", str(path), cwd=tmp_path)

    results = dict(map(run, sorted(EXPECTED)))
    failures = []
    for name, result in sorted(results.items()):
        expected = EXPECTED[name]
        try:
            problems = json.loads(result.stdout)
        except ValueError:
            problems = [
                {"severity": "?", "field": "?", "message": f"unparseable output: {result.stdout[:300]}"}
            ]
        field = expected["field"].replace(
            "{file}", str(materialise(name, tmp_path))
        )  # a problem of the file itself
        on_field = [p for p in problems if p["field"] == field]
        missing = [m for m in expected["form"] if not any(m in p["message"] for p in on_field)]
        shown = [f"{p['severity']} {p['field']}: {p['message']}" for p in problems]
        print(f"{name}: exit {result.returncode}; {(shown or ['(no problem)'])[0][:200]}")
        if result.returncode != expected["exit"] or not on_field or missing or "Traceback" in result.stderr:
            failures.append(
                f"{name}: exit {result.returncode} (expected {expected['exit']}), no problem on "
                f"{expected['field']!r} stating {missing or expected['form']} in {shown}; "
                f"stderr {result.stderr[-300:]!r}"
            )
    # and the whole directory at once, as a user would, in the table form
    whole = subprocess.run(
        [LBCTL, "validate", "-f", str(CORPUS)], capture_output=True, text=True, timeout=120
    )
    print(
        f"validate: {len(results)} files one by one, {len(failures)} failures; the whole directory: exit "
        f"{whole.returncode}, {whole.stdout.count(chr(10))} lines"
    )
    # `lbctl route` on a spec the cloud cannot express reports it instead of a traceback
    route = subprocess.run(
        [
            LBCTL,
            "route",
            "--provider",
            "aws",
            "--host",
            "a",
            "--path",
            "/p1",
            "-f",
            str(CORPUS / "rules-101-on-one-listener.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    print(f"route on rules-101-on-one-listener.yaml: exit {route.returncode}")
    assert not failures, "\n".join(failures)
    assert (
        route.returncode == 2 and "Traceback" not in route.stderr and "100" in route.stdout + route.stderr
    ), route.stderr[-2000:]
    assert whole.returncode == 2 and "Traceback" not in whole.stderr + whole.stdout, whole.stderr[-2000:]


@pytest.mark.parametrize("world", ["aws", "gcp"], indirect=True)
def test_corpus_through_the_controller(world: World) -> None:
    core = kubernetes.client.CoreV1Api(world.api)
    files = sorted(
        n
        for n, e in EXPECTED.items()
        if e["provider"] == world.provider or (world.provider == "gcp" and n in GENERIC)
    )
    process = world.start()
    for i, name in enumerate(VALID):
        world.net.create_namespaced_ingress("default", world.ingress(name, {f"/ok-{i}": "users"}))

    sent: dict[str, list[tuple[str, str]]] = {}  # file → (namespace, Ingress name) the API accepted
    outcomes: dict[str, str] = {}
    api_mismatches: list[str] = []
    for index, name in enumerate(files):
        namespace = f"corpus-{index:02d}"
        core.create_namespace({"metadata": {"name": namespace}})
        data = (CORPUS / name).read_bytes().replace(HUGE.encode(), b"a" * (1 << 20))
        try:
            docs = [
                d for d in yaml.load_all(data.decode("utf-8"), Loader=BoundedLoader) if d
            ]  # as kubectl: no
            # alias bombs (a real API server never sees them)
        except UnicodeDecodeError:
            # what a client sends for such a file at best: the bytes as they are in a JSON body
            ingress = next(d for d in yaml.safe_load_all(data.decode("latin-1")) if d["kind"] == "Ingress")
            body = json.dumps(ingress, ensure_ascii=False).encode("latin-1")
            response = create_raw(
                world.api, body, f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses", check=False
            )
            outcomes[name] = f"API {response.status_code} {response.json().get('reason', '')}"
            assert 400 <= response.status_code < 500, (
                f"{name}: non-UTF-8 body answered {response.status_code}"
            )
            continue
        except yaml.YAMLError:
            outcomes[name] = "not sendable (malformed YAML)"
            continue
        if not all(isinstance(d, dict) and d.get("kind") for d in docs):
            outcomes[name] = "not sendable (not Kubernetes objects)"
            continue
        statuses = []
        for doc in sorted(docs, key=lambda d: d["kind"] == "Ingress"):  # Services first
            doc.setdefault("metadata", {})["namespace"] = namespace
            if world.provider == "gcp" and doc["kind"] == "Ingress" and EXPECTED[name]["provider"] == "aws":
                doc["spec"]["ingressClassName"] = "gce"  # a generic case, on a GCE Ingress
                doc["spec"].setdefault(
                    "defaultBackend", {"service": {"name": "products", "port": {"number": 80}}}
                )
            for port in doc.get("spec", {}).get("ports", []) if doc["kind"] == "Service" else []:
                if "nodePort" in port:  # node ports are cluster-wide: one pair per namespace
                    port["nodePort"] = 31000 + 2 * index + (port["nodePort"] - 30080)
            response = create_raw(world.api, doc, check=False)
            statuses.append(response.status_code)
            if doc["kind"] == "Ingress" and response.status_code == 201:
                sent.setdefault(name, []).append((namespace, doc["metadata"]["name"]))
            elif response.status_code != 201:
                reason = response.json().get("message", "")[:120]
                outcomes[name] = f"API {response.status_code} for {doc['kind']}: {reason}"
        outcomes.setdefault(name, "API accepted")
        api = "accepted" if name in sent else "rejected"
        expected_api = EXPECTED[name].get("emulator", EXPECTED[name]["api"])
        if api != expected_api:
            api_mismatches.append(f"{name}: the API emulator {api} it ({statuses}); expected {expected_api}")
        elif expected_api != EXPECTED[name]["api"]:
            outcomes[name] += f" (a real API server would have {EXPECTED[name]['api']} it)"

    def warnings(namespace: str, ingress: str) -> list[str]:
        events = kubernetes.client.CoreV1Api(world.api).list_namespaced_event(namespace).items
        return [e.message for e in events if e.involved_object.name == ingress and e.type == "Warning"]

    wait_for(
        lambda: all(address_of(world.api, n) for n in VALID), timeout=60, what="valid Ingresses converge"
    )

    def missing_warnings() -> list[str]:
        return [f"{f}: {ns}/{n}" for f, refs in sent.items() for ns, n in refs if not warnings(ns, n)]

    try:
        wait_for(lambda: not missing_warnings(), timeout=30, what="a Warning on every bad Ingress")
    except AssertionError as err:
        print(f"[{world.provider}] {err}: {missing_warnings()}")  # the per-file report below names them
    failures = []
    for name in files:
        for namespace, ingress in sent.get(name, []):
            found = warnings(namespace, ingress)
            form = EXPECTED[name].get("event", EXPECTED[name]["form"][-1])  # the controller knows the cluster
            ok = any(form in m for m in found)
            outcomes[name] += f"; Warning on {ingress}: {found[0][:140] if found else None}"
            if not ok:
                failures.append(f"{name}: no Warning stating {form!r} on {namespace}/{ingress}: {found}")
            raw = requests.get(
                f"{world.kube.url}/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{ingress}",
                headers=world.kube.auth_headers(),
                timeout=10,
            ).json()  # raw: the typed client rejects some of these objects
            # (in a group, a member converged before the conflicting one arrived keeps its address: the cloud is
            # left as it was, which still serves it)
            if (raw.get("status") or {}).get("loadBalancer", {}).get("ingress") and len(sent[name]) == 1:
                failures.append(f"{name}: {namespace}/{ingress} got an address although it is invalid")
        print(f"[{world.provider}] {name}: {outcomes[name]}")
    valid_warnings = {n: [e for e in events_for(world.api, n) if e[0] == "Warning"] for n in VALID}
    alive = [t.is_alive() for t in process.controller._workers]
    print(
        f"[{world.provider}] {len(files)} corpus files: {sum(len(v) for v in sent.values())} bad Ingresses reached "
        f"the controller, {sum(1 for o in outcomes.values() if o.startswith('API 4'))} refused by the API, "
        f"{sum(1 for o in outcomes.values() if o.startswith('not sendable'))} not sendable; valid Ingresses "
        f"converged with warnings {valid_warnings}; workers alive {alive}"
    )
    print("\n".join(api_mismatches))
    assert not failures, "\n".join(failures)
    assert not api_mismatches, "\n".join(api_mismatches)
    assert not any(valid_warnings.values()), valid_warnings
    assert all(alive) and not process.stopped.is_set(), "the controller died"
