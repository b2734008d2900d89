"""The provider contract: what each installed provider declares (options, watched kinds, RBAC needs,
offline account, validate) and how the core uses the declarations."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from emulators.testing.cli import ROOT as ROOT_DIR
from emulators.testing.cli import lbctl_in_process
from lbctl.cli.manifests import LoadResult, load
from lbctl.kube.access import CLUSTER_ACCESS, required_access
from lbctl.model.builder import BuildConfig, build
from lbctl.model.kinds import (
    BACKEND_CONFIG,
    CORE_WATCHED,
    FRONTEND_CONFIG,
    INGRESS_CLASS_PARAMS,
    KNOWN_KINDS,
    MANAGED_CERTIFICATE,
    NAMESPACE,
    POD,
    TARGET_GROUP_BINDING,
)
from lbctl.model.snapshot import SUPPORTED_KINDS
from lbctl.provider import (
    CONTROLLER_COMMANDS,
    ProviderConfig,
    ProviderPlugin,
    available_providers,
    load_plugin,
    load_plugins,
)


def test_every_entry_point_names_its_plugin() -> None:
    plugins = load_plugins()
    assert [p.name for p in plugins] == available_providers() == ["aws", "gcp"]
    for plugin in plugins:
        assert isinstance(plugin, ProviderPlugin)
        assert plugin.offline is not None
        provider = plugin(ProviderConfig(cluster_name="c"))
        assert provider.name == plugin.name


def test_loading_the_declarations_imports_no_sdk() -> None:
    code = (
        "import sys; from lbctl.provider import load_plugins; load_plugins(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'kubernetes', 'jsonschema')"
        " or m.startswith('google.cloud')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_one_list_of_kinds() -> None:
    """Manifest files may hold every known kind; a provider watches core kinds plus its own."""
    assert {k.kind for k in KNOWN_KINDS} <= set(SUPPORTED_KINDS)
    assert load_plugin("aws").watched == (TARGET_GROUP_BINDING, NAMESPACE, INGRESS_CLASS_PARAMS)
    assert load_plugin("gcp").watched == (POD, BACKEND_CONFIG, FRONTEND_CONFIG, MANAGED_CERTIFICATE)
    assert {k.kind for k in CORE_WATCHED} == {
        "Ingress",
        "IngressClass",
        "Service",
        "EndpointSlice",
        "Node",
        "Secret",
    }


def test_rbac_needs_follow_the_watched_kinds() -> None:
    aws_extra = set(required_access("aws")) - set(CLUSTER_ACCESS)
    assert aws_extra == {
        ("elbv2.k8s.aws", "targetgroupbindings", "list"),
        ("elbv2.k8s.aws", "targetgroupbindings", "watch"),
        ("elbv2.k8s.aws", "targetgroupbindings", "patch"),  # the finalizer
        ("elbv2.k8s.aws", "targetgroupbindings/status", "patch"),
        ("", "services", "patch"),  # the finalizer of a Service served as an NLB
        ("", "services/status", "patch"),  # its status.loadBalancer
        ("", "namespaces", "list"),
        ("", "namespaces", "watch"),
        ("elbv2.k8s.aws", "ingressclassparams", "list"),
        ("elbv2.k8s.aws", "ingressclassparams", "watch"),
        # the Gateway policy kinds its profile reads (aws-load-balancer-controller's)
        ("gateway.k8s.aws", "loadbalancerconfigurations", "list"),
        ("gateway.k8s.aws", "loadbalancerconfigurations", "watch"),
        ("gateway.k8s.aws", "targetgroupconfigurations", "list"),
        ("gateway.k8s.aws", "targetgroupconfigurations", "watch"),
        ("gateway.k8s.aws", "listenerruleconfigurations", "list"),
        ("gateway.k8s.aws", "listenerruleconfigurations", "watch"),
    }
    gcp_extra = set(required_access("gcp")) - set(CLUSTER_ACCESS)
    assert gcp_extra == {
        ("", "pods", "list"),
        ("", "pods", "watch"),
        ("cloud.google.com", "backendconfigs", "list"),
        ("cloud.google.com", "backendconfigs", "watch"),
        ("networking.gke.io", "frontendconfigs", "list"),
        ("networking.gke.io", "frontendconfigs", "watch"),
        ("networking.gke.io", "managedcertificates", "list"),
        ("networking.gke.io", "managedcertificates", "watch"),
        ("networking.gke.io", "managedcertificates/status", "patch"),  # the provisioning state
        # GKE's Gateway policies, and their status.ancestors
        *(
            ("networking.gke.io", plural, verb)
            for plural in ("healthcheckpolicies", "gcpbackendpolicies", "gcpgatewaypolicies")
            for verb in ("list", "watch")
        ),
        *(
            ("networking.gke.io", f"{plural}/status", "patch")
            for plural in ("healthcheckpolicies", "gcpbackendpolicies", "gcpgatewaypolicies")
        ),
    }
    for kind in CORE_WATCHED:
        assert {(kind.group, kind.plural, "list"), (kind.group, kind.plural, "watch")} <= set(CLUSTER_ACCESS)


def test_option_values_go_to_the_provider_or_the_model() -> None:
    gcp = load_plugin("gcp")
    given = {
        "gcp_project": "p",
        "gcp_zone": ("z1", "z2"),
        "default_backend_service": "ns/svc:80",
        "aws_region": "r",
    }
    assert gcp.values("run", given) == (
        {"project": "p", "zones": ["z1", "z2"]},
        {"cluster_default_backend": "ns/svc:80"},
    )
    assert gcp.values("doctor", {**given, "gcp_zone": ()}) == ({"project": "p"}, {})  # doctor builds no spec
    assert load_plugin("aws").values("apply", given) == ({"region": "r"}, {})


def test_a_declared_option_is_a_flag_of_its_commands() -> None:
    """Each option a provider declares for a command appears in that command's help, with its env var."""
    for plugin in load_plugins():
        for command in ("validate", "plan", "route", "apply", "delete", "describe", "run", "doctor"):
            declared = plugin.options_for(command)
            args = ["describe", "ingress"] if command == "describe" else [command]
            text = lbctl_in_process(*args, "--help", cwd=ROOT_DIR).stdout
            for option in declared:
                assert option.flag in text, f"lbctl {command} lacks {option.flag} ({plugin.name})"


def test_environment_variables_users_set_today_still_work() -> None:
    envvars = {o.envvar for p in load_plugins() for o in p.options if CONTROLLER_COMMANDS & o.commands}
    assert {"AWS_REGION", "LBCTL_AWS_VPC_ID", "LBCTL_GCP_PROJECT", "LBCTL_DEFAULT_BACKEND"} <= envvars


def test_a_checked_option_refuses_a_bad_value_with_the_expected_form() -> None:
    done = lbctl_in_process(
        "validate",
        "-f",
        "docs/examples/two-services-gce.yaml",
        "--default-backend-service",
        "nope",
        cwd=ROOT_DIR,
    )
    assert (
        done.returncode == 2
        and "--default-backend-service" in done.stderr
        and "NAMESPACE" in done.stderr.upper()
    )
    assert "Traceback" not in done.stderr


def test_validate_reports_what_only_the_cloud_refuses() -> None:
    """ALB allows 100 rules per listener: a 101-path Ingress is valid Kubernetes but not translatable."""
    paths = "\n".join(
        f"          - {{path: /p{i}, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}"
        for i in range(101)
    )
    manifest = f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: big, namespace: default}}
spec:
  ingressClassName: alb
  rules:
    - http:
        paths:
{paths}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: default}}
spec: {{type: NodePort, ports: [{{port: 80, nodePort: 30080}}]}}
"""
    loaded = load_text(manifest)
    built = build(loaded.snapshot, BuildConfig.for_provider("aws", assume_missing=True))
    (spec,) = built.specs
    problems = load_plugin("aws").validate(spec)
    assert problems and problems[0].severity.value == "error"
    assert "100" in problems[0].message


def load_text(text: str) -> LoadResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.yaml"
        path.write_text(text)
        return load([str(path)])
