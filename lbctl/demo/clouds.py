"""The local clouds `lbctl demo` runs on: one emulated Kubernetes cluster per cloud, a moto server for AWS,
the Compute emulator for Google Cloud. The emulators (and their account/project set-up) live in the
`emulators` package, imported here only when the demo starts them."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.kube import KubeEmulator


class LocalClouds:
    """Start/stop the emulators the demo needs, as a context manager: one emulated Kubernetes cluster per
    cloud (a cluster runs on one cloud), a moto server for AWS, the Compute emulator for Google Cloud."""

    def __init__(self, aws: bool = True, gcp: bool = True, gateway_api: bool = False) -> None:
        from emulators.kube import KubeEmulator

        wanted = (("aws", aws), ("gcp", gcp))
        self.kubes: dict[str, KubeEmulator] = {name: KubeEmulator() for name, want in wanted if want}
        self.aws_url: str | None = None
        self.crds: dict[str, list[str]] = {}  # cloud → the CRDs its cluster serves
        self.compute: Any = None
        self._want_aws = aws
        self._want_gcp = gcp
        self._gateway_api = gateway_api  # also the upstream Gateway API CRDs
        self._stack = ExitStack()

    def __enter__(self) -> LocalClouds:
        from lbctl.demo.crds import install_crds, install_gateway_api_crds, install_policy_crds

        for cloud, kube in self.kubes.items():
            self._stack.enter_context(kube)
            with kube.api_client() as api_client:
                self.crds[cloud] = install_crds(api_client, cloud)
                if self._gateway_api:
                    self.crds[cloud] += install_gateway_api_crds(api_client)
                    self.crds[cloud] += install_policy_crds(api_client, cloud)
        if self._want_aws:
            from emulators.aws import moto_server

            self.aws_url = self._stack.enter_context(moto_server())
        if self._want_gcp:
            from emulators.gce import ComputeEmulator

            self.compute = self._stack.enter_context(ComputeEmulator(port=0))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
