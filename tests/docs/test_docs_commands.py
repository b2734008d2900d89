"""Every command in a ```sh block of README.md and docs/*.md is run here, so the docs stay true.

Pages marked `<!-- docs-test: aws -->` or `<!-- docs-test: gcp -->` run against a fresh emulated cluster
(the Kubernetes API emulator, with nodes) and cloud (moto / the Compute emulator), with `kubectl`,
`aws` and `gcloud` pointed at them through their usual environment variables. The emulator stores the
Deployment that `kubectl apply -k manifests/<cloud>` creates but runs no Pods, so the test runs the controller
itself, exactly as that Deployment would (`lbctl run` code, cluster name `my-cluster`).
A trailing `# exit N` on a command states its expected exit code (default 0).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import kubernetes
import pytest
import requests

from emulators.aws import DEMO_KEYS, add_aws_instances, create_aws_account, moto_server
from emulators.gce.project import create_gcp_project
from emulators.kube import KubeEmulator
from emulators.testing.controller import controller
from emulators.testing.objects import node
from emulators.testing.scripts import env_with_scripts, script

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CLUSTER = "my-cluster"
# README's two set-up commands install the package (this environment is that install) and then run
# `lbctl demo` (run by tests/demo/test_demo.py) and `pytest` (this suite).
SETUP = {"pip install -e '.[demo]' && lbctl demo", "pip install -e '.[test]' && pytest"}


def commands(page: Path) -> list[tuple[str, int, list[str]]]:
    """(command, expected exit code, output lines the page shows) for each line of the page's ```sh blocks.

    A ```text block right after a ```sh block shows the output of that block's last command: each of its
    lines must appear in that command's output, `<...>` standing for one word (a name's hash, an age)."""
    out: list[tuple[str, int, list[str]]] = []
    for block, shown in re.findall(
        r"```sh\n(.*?)```(?:\s*```text\n(.*?)```)?", page.read_text(), flags=re.DOTALL
    ):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            expected = re.search(r"\s+#\s*exit\s+(\d+)\s*$", line)
            out.append(
                (
                    line[: expected.start()] if expected else line,
                    int(expected.group(1)) if expected else 0,
                    [],
                )
            )
        if shown and out:
            out[-1] = (*out[-1][:2], [s for s in shown.splitlines() if s.strip()])
    return out


def shown_line_pattern(line: str) -> re.Pattern[str]:
    """A shown output line as a whole-line pattern: `<...>` is any run of non-blanks (a hash, an age), runs of
    spaces are any whitespace."""
    words = []
    for word in line.split():
        pieces = re.split(r"(<[^>\s]+>)", word)
        words.append("".join(r"\S+" if re.fullmatch(r"<[^>\s]+>", p) else re.escape(p) for p in pieces))
    return re.compile(r"\s+".join(words))


def printed(line: str, output: str) -> bool:
    """Whether `output` has a line that is the shown `line`."""
    pattern = shown_line_pattern(line)
    return any(pattern.fullmatch(o.strip()) for o in output.splitlines())


def flavour(page: Path) -> str:
    marker = re.match(r"<!--\s*docs-test:\s*(\w+)\s*-->", page.read_text())
    return marker.group(1) if marker else "offline"


@contextmanager
def aws_environment(folder: Path) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        kube = stack.enter_context(KubeEmulator())
        url = stack.enter_context(moto_server())
        # moto keeps one account per process, shared by every server in it: start from an empty one, so the
        # page's counts are this page's resources only
        requests.post(f"{url}/moto-api/reset", timeout=10)
        account = create_aws_account(url, "us-east-1", CLUSTER, ("us-east-1a", "us-east-1b"))
        instances = add_aws_instances(account, {"ip-10-0-0-10": "us-east-1a", "ip-10-0-1-10": "us-east-1b"})
        core = kubernetes.client.CoreV1Api(kube.api_client())
        for name, instance in instances.items():
            zone = "us-east-1a" if name == "ip-10-0-0-10" else "us-east-1b"
            core.create_node(node(name, f"aws:///{zone}/{instance}", zone))
        process = controller(kube, "aws", url, CLUSTER, vpc_id=account.vpc_id, **DEMO_KEYS).start()
        stack.callback(process.stop)
        yield {
            "KUBECONFIG": str(kube.write_kubeconfig(folder / "kubeconfig")),
            "AWS_ENDPOINT_URL": url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "LBCTL_ENDPOINT_URL": url,
            "LBCTL_AWS_VPC_ID": account.vpc_id,
        }


@contextmanager
def gcp_environment(folder: Path) -> Iterator[dict[str, str]]:
    from emulators.gce import ComputeEmulator

    project, zones = "my-project", ("us-central1-a", "us-central1-b")
    with ExitStack() as stack:
        kube = stack.enter_context(KubeEmulator())
        compute = stack.enter_context(ComputeEmulator(port=0))
        nodes = {"gke-pool-a": zones[0], "gke-pool-b": zones[1]}
        create_gcp_project(compute.url, project, nodes, static_ip_name=None)
        core = kubernetes.client.CoreV1Api(kube.api_client())
        for name, zone in nodes.items():
            core.create_node(node(name, f"gce://{project}/{zone}/{name}", zone))
        process = controller(kube, "gcp", compute.url, CLUSTER, project=project, zones=list(zones)).start()
        stack.callback(process.stop)
        yield {
            "KUBECONFIG": str(kube.write_kubeconfig(folder / "kubeconfig")),
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE": f"{compute.url}/compute/v1/",
            "CLOUDSDK_AUTH_ACCESS_TOKEN": "emulator",
            "CLOUDSDK_CORE_PROJECT": project,
            "CLOUDSDK_CORE_DISABLE_PROMPTS": "1",
            "CLOUDSDK_CONFIG": str(folder / "gcloud"),
            "LBCTL_ENDPOINT_URL": compute.url,
            "LBCTL_GCP_PROJECT": project,
        }


@contextmanager
def offline_environment(folder: Path) -> Iterator[dict[str, str]]:
    yield {}


ENVIRONMENTS = {"aws": aws_environment, "gcp": gcp_environment, "offline": offline_environment}
TOOLS = {"aws": ("kubectl", "aws"), "gcp": ("kubectl", "gcloud"), "offline": ()}


def test_every_page_has_a_known_flavour() -> None:
    assert {flavour(p) for p in PAGES} <= set(ENVIRONMENTS)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_commands_of_page_run(page: Path) -> None:
    kind = flavour(page)
    for tool in TOOLS[kind]:
        script(tool)  # a missing tool fails the test with how to install it
    steps = [(c, code, shown) for c, code, shown in commands(page) if c not in SETUP]
    assert not [c for c, _, _ in commands(page) if c.startswith("pip ") and c not in SETUP], (
        "undocumented install step"
    )
    with tempfile.TemporaryDirectory() as tmp, ENVIRONMENTS[kind](Path(tmp)) as extra:
        env = env_with_scripts({**extra, "COLUMNS": "200"})
        for command, expected, shown in steps:
            done = subprocess.run(
                ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == expected, (
                f"{page.name}: `{command}` exited {done.returncode}, expected {expected}\n"
                f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
            )
            for line in shown:
                assert printed(line, done.stdout), (
                    f"{page.name}: `{command}` did not print the shown line {line!r}\nstdout:\n{done.stdout[-3000:]}"
                )


@pytest.mark.parametrize(
    ("shown", "output", "matches"),
    [
        ("0", "0\n", True),
        ("0", "1\n", False),
        ("0", "10\n", False),
        (
            "shop   alb   *   k8s-default-shop-<hash>.elb.amazonaws.com   80   <age>",
            "NAME CLASS HOSTS ADDRESS PORTS AGE\nshop alb * k8s-default-shop-0a1b-12.us-east-1.elb.amazonaws.com 80 5s\n",
            True,
        ),
        ("shop   alb   *   k8s-default-shop-<hash>.elb.amazonaws.com   80   <age>", "shop alb * \n", False),
    ],
)
def test_shown_output_must_be_printed(shown: str, output: str, matches: bool) -> None:
    assert printed(shown, output) is matches


def test_a_text_block_after_a_sh_block_is_the_last_commands_output(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\nfirst\nsecond  # exit 1\n```\n\n```text\nline one\n\nline <two>\n```\n```sh\nthird\n```\n"
    )
    assert commands(page) == [("first", 0, []), ("second", 1, ["line one", "line <two>"]), ("third", 0, [])]
