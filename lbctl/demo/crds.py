"""lbctl's CustomResourceDefinitions on the demo's clusters: applied through the API as a cluster admin installing
lbctl would (`kubectl apply -k manifests/<cloud>` creates them), so the emulated clusters serve
IngressClassParams and TargetGroupBindings on AWS, BackendConfigs and FrontendConfigs on Google Cloud."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFESTS = Path(__file__).resolve().parents[2] / "manifests"
CRD_FILES: dict[str, tuple[str, ...]] = {
    "aws": ("aws/ingressclassparams-crd.yaml", "aws/targetgroupbinding-crd.yaml"),
    "gcp": ("gcp/crds.yaml",),
}


def crd_documents(cloud: str, manifests: Path = MANIFESTS) -> list[dict[str, Any]]:
    """The CRDs lbctl's install manifests create on `cloud`; none when the manifests are not beside the package
    (an installed wheel carries no manifests: the demo then serves no custom kinds, and says so)."""
    found: list[dict[str, Any]] = []
    for relative in CRD_FILES.get(cloud, ()):
        path = manifests / relative
        if not path.is_file():
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                found.append(document)
    return found


# The upstream Gateway API CRDs (standard channel) the repository carries: lbctl does not ship them (users
# install upstream's), the demo installs them on its cluster when the files hold Gateway API objects.
GATEWAY_API_CRDS = MANIFESTS.parent / "tests" / "data" / "gateway-api"


def gateway_api_documents(directory: Path = GATEWAY_API_CRDS) -> list[dict[str, Any]]:
    """The Gateway API CRDs beside the package (none in an installed wheel: the demo then says so)."""
    found: list[dict[str, Any]] = []
    for path in sorted(directory.glob("gateway.networking.k8s.io_*.yaml")) if directory.is_dir() else []:
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                found.append(document)
    return found


def gateway_api_available(directory: Path = GATEWAY_API_CRDS) -> bool:
    """Whether the Gateway API CRDs are beside the package (without reading them: they are large)."""
    return directory.is_dir() and any(directory.glob("gateway.networking.k8s.io_*.yaml"))


def install_gateway_api_crds(api_client: Any) -> list[str]:
    """Create the upstream Gateway API CRDs through `api_client`, as a cluster admin installs Gateway API."""
    from kubernetes import client

    extensions = client.ApiextensionsV1Api(api_client)
    names = []
    for document in gateway_api_documents():
        extensions.create_custom_resource_definition(document)  # type: ignore[arg-type]
        names.append(document["metadata"]["name"])
    return names


# The anchors' Gateway policy CRDs the repository carries (aws-load-balancer-controller's, vendored; GKE's, as
# lbctl describes them), installed beside the Gateway API CRDs on that cloud's demo cluster.
_DATA = MANIFESTS.parent / "tests" / "data"
POLICY_CRDS: dict[str, tuple[Path, ...]] = {
    "aws": tuple(
        _DATA / "aws-load-balancer-controller" / f"gateway.k8s.aws_{plural}.yaml"
        for plural in (
            "loadbalancerconfigurations",
            "targetgroupconfigurations",
            "listenerruleconfigurations",
        )
    ),
    "gcp": (_DATA / "gke-gateway-policies.yaml",),
}


def install_policy_crds(api_client: Any, cloud: str) -> list[str]:
    """Create the policy CRDs of `cloud` the repository carries (none in an installed wheel)."""
    from kubernetes import client

    extensions = client.ApiextensionsV1Api(api_client)
    names = []
    for path in POLICY_CRDS.get(cloud, ()):
        if not path.is_file():
            continue
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for document in yaml.load_all(path.read_text(), Loader=loader):  # noqa: S506 (a safe loader)
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                extensions.create_custom_resource_definition(document)  # type: ignore[arg-type]
                names.append(document["metadata"]["name"])
    return names


def install_crds(api_client: Any, cloud: str) -> list[str]:
    """Create lbctl's CRDs of `cloud` through `api_client` (the official client); returns their names."""
    from kubernetes import client

    extensions = client.ApiextensionsV1Api(api_client)
    names = []
    for document in crd_documents(cloud):
        extensions.create_custom_resource_definition(document)  # type: ignore[arg-type]
        names.append(document["metadata"]["name"])
    return names
