"""A small, faithful Kubernetes API server emulator for the official `kubernetes` Python client and kubectl.

    with KubeEmulator() as emulator:
        api = kubernetes.client.ApiClient(kubernetes.client.Configuration(host=emulator.url))
"""

from .errors import ApiError
from .faults import FaultRule, Faults, RequestRecord
from .kinds import KINDS, Kind, KindTable
from .server import DEFAULT_NAMESPACES, KubeEmulator, serve
from .store import Store

__all__ = [
    "DEFAULT_NAMESPACES", "KINDS", "ApiError", "FaultRule", "Faults", "Kind", "KindTable", "KubeEmulator",
    "RequestRecord", "Store", "serve",
]
