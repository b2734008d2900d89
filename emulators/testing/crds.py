"""CustomResourceDefinitions installed the way a cluster admin does: lbctl's own CRD manifests (and the
vendored Gateway API ones), created through the API with the official client and waited on until the API
server reports them `Established`."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from emulators.kube import KubeEmulator

ROOT = Path(__file__).resolve().parents[2]
# lbctl's CRD manifests per cloud (what `kubectl apply -k manifests/aws|gcp` installs besides RBAC).
LBCTL_CRDS: dict[str, tuple[Path, ...]] = {
    "aws": (
        ROOT / "manifests" / "aws" / "ingressclassparams-crd.yaml",
        ROOT / "manifests" / "aws" / "targetgroupbinding-crd.yaml",
    ),
    "gcp": (ROOT / "manifests" / "gcp" / "crds.yaml",),
}
# The upstream Gateway API standard-channel CRDs, vendored unchanged (tests/data/gateway-api/README.md).
GATEWAY_API_CRDS: tuple[Path, ...] = tuple(
    sorted((ROOT / "tests" / "data" / "gateway-api").glob("gateway.networking.k8s.io_*.yaml"))
)


@functools.cache
def _parsed(path: Path) -> tuple[dict[str, Any], ...]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the Gateway API CRDs are 800 kB of YAML
    documents = yaml.load_all(path.read_text(), Loader=loader)  # noqa: S506 (a safe loader)
    return tuple(d for d in documents if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition")


def crd_documents(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """The CustomResourceDefinitions in these YAML files (other documents are left out)."""
    return [copy.deepcopy(document) for path in paths for document in _parsed(Path(path))]


def apply_crds(emulator: KubeEmulator, documents: Iterable[dict[str, Any]]) -> list[str]:
    """Create (or replace) each CRD through the API and check it is `Established`; returns their names."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    names: list[str] = []
    with emulator.api_client() as api_client:
        extensions = client.ApiextensionsV1Api(api_client)
        for document in documents:
            name = document["metadata"]["name"]
            try:
                extensions.create_custom_resource_definition(document)  # type: ignore[arg-type]
            except ApiException as error:
                if error.status != 409:
                    raise
                current = extensions.read_custom_resource_definition(name).to_dict()
                replaced = {**document, "metadata": {**document["metadata"]}}
                replaced["metadata"]["resourceVersion"] = current["metadata"]["resource_version"]
                extensions.replace_custom_resource_definition(name, replaced)  # type: ignore[arg-type]
            status = extensions.read_custom_resource_definition(name).to_dict().get("status") or {}
            established = [c for c in status.get("conditions") or [] if c["type"] == "Established"]
            if not established or established[0]["status"] != "True":
                raise AssertionError(f"CRD {name} is not Established: {status}")
            names.append(name)
    return names


def install_lbctl_crds(emulator: KubeEmulator, clouds: Iterable[str] = ("aws", "gcp")) -> list[str]:
    """lbctl's CRDs of these clouds (IngressClassParams and TargetGroupBinding; BackendConfig and
    FrontendConfig), applied to the emulator as a cluster admin installing lbctl would."""
    return apply_crds(emulator, crd_documents(p for cloud in clouds for p in LBCTL_CRDS[cloud]))


def install_gateway_api_crds(emulator: KubeEmulator) -> list[str]:
    """The upstream Gateway API CRDs (GatewayClass, Gateway, HTTPRoute, GRPCRoute, ReferenceGrant), applied."""
    return apply_crds(emulator, crd_documents(GATEWAY_API_CRDS))


def install_policy_crds(emulator: KubeEmulator, clouds: Iterable[str] = ("aws", "gcp")) -> list[str]:
    """The CRDs of the anchors' Gateway policy kinds of these clouds (those the demo installs), applied."""
    from lbctl.demo.crds import POLICY_CRDS

    return apply_crds(emulator, crd_documents(p for cloud in clouds for p in POLICY_CRDS[cloud]))
