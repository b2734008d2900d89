"""A small, faithful Kubernetes API server emulator for the official `kubernetes` Python client and kubectl.

In process::

    with KubeEmulator() as emulator:                      # port 0: a free port
        api = emulator.api_client()                      # the official client, sending emulator.token
        emulator.faults.fail(method="GET", path="/ingresses$", status=503, times=2)
        emulator.faults.delay(0.5, verb="^patch$")
        emulator.drop_watches()                          # or drop_watches(abrupt=True): connection reset
        emulator.compact()                               # next watch from an old resourceVersion: 410
        emulator.requests                                # [RequestRecord(verb, api_group, resource, ...)]
        emulator.write_kubeconfig("/tmp/kubeconfig")      # HTTPS + token + CA, for kubectl / load_kube_config

Custom resources: apply a CustomResourceDefinition (`apiextensions.k8s.io/v1`, e.g. with `kubectl apply -f`) and
its kinds are served at every served version, with the CRD's schema pruning, defaults and validation and its
status subresource (see crds.py, schema.py); the emulator serves no custom kind without its CRD.

Blocking: `serve(host, port)` or `python -m emulators.kube --port N --kubeconfig PATH`.
Every request but /healthz, /readyz, /livez needs `Authorization: Bearer <emulator.token>` (see guard.py).
Over HTTP: POST `/_emulator/faults` with a fault rule in the vocabulary every emulator shares (`path`, `method`,
`verb`, `status`, `times`, `latency`, ...: see `emulators.core.faults`), or with `{"action": "drop_watches" |
"compact" | "clear"}`; GET/DELETE `/_emulator/faults`, GET/DELETE `/_emulator/requests`.
"""

from emulators.core import FaultRule, Faults

from .errors import ApiError
from .kinds import KINDS, Kind, KindTable
from .records import RequestRecord
from .server import DEFAULT_NAMESPACES, KubeEmulator, serve
from .store import Store

__all__ = [
    "DEFAULT_NAMESPACES",
    "KINDS",
    "ApiError",
    "FaultRule",
    "Faults",
    "Kind",
    "KindTable",
    "KubeEmulator",
    "RequestRecord",
    "Store",
    "serve",
]
