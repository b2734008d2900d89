"""The narrow contract between the core and a cloud provider, and provider discovery.

Providers register under the `lbctl.providers` entry-point group with a factory
`create(config: ProviderConfig) -> Provider`, so a third cloud needs no change in the core.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from lbctl.model.matching import RouteResult
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.model.targets import Target, spec_targets

ENTRY_POINT_GROUP = "lbctl.providers"


@dataclass(frozen=True)
class TLSMaterial:
    """Certificate chain and private key of a TLS Secret. The key never appears in repr or logs."""

    certificate_pem: str
    private_key_pem: str = field(repr=False)
    chain_pem: str | None = None

    def __repr__(self) -> str:
        return f"TLSMaterial(certificate={len(self.certificate_pem)} chars, key=<redacted>)"


@dataclass
class StackInput:
    """Everything a provider gets for one stack: the spec, targets per backend, and secret material
    for the Secrets the spec references (by "ns/name"). Providers never read Kubernetes themselves."""

    spec: LoadBalancerSpec
    targets: dict[str, list[Target]] = field(default_factory=dict)
    tls: dict[str, TLSMaterial] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # OIDC client secrets, decoded


def stack_input(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> StackInput:
    """Collect targets and referenced secret material for a spec from a snapshot."""
    tls: dict[str, TLSMaterial] = {}
    for listener in spec.frontend.listeners:
        for cert in listener.certificates:
            if cert.kind == "secret" and cert.ref not in tls:
                namespace, name = cert.ref.split("/", 1)
                secret = snapshot.secret(namespace, name)
                if secret is not None:
                    crt = base64.b64decode(secret.data.get("tls.crt", "")).decode("utf-8", "replace")
                    key = base64.b64decode(secret.data.get("tls.key", "")).decode("utf-8", "replace")
                    tls[cert.ref] = _split_chain(crt, key)
    secrets: dict[str, dict[str, str]] = {}
    for rule in spec.rules:
        auth = rule.action.authentication
        if auth is not None and auth.type == "oidc":
            namespace = rule.source.ingress.split("/", 1)[0]
            ref = f"{namespace}/{auth.idp['secretName']}"
            secret = snapshot.secret(namespace, auth.idp["secretName"])
            if secret is not None and ref not in secrets:
                secrets[ref] = {
                    k: base64.b64decode(v).decode("utf-8", "replace").strip() for k, v in secret.data.items()
                }
    return StackInput(spec, spec_targets(spec, snapshot), tls, secrets)


def _split_chain(crt: str, key: str) -> TLSMaterial:
    marker = "-----END CERTIFICATE-----"
    parts = [p + marker for p in crt.split(marker) if p.strip()]
    leaf = parts[0].strip() + "\n" if parts else crt
    chain = "".join(p.strip() + "\n" for p in parts[1:]) or None
    return TLSMaterial(leaf, key, chain)


@dataclass(frozen=True)
class Change:
    """One planned or applied cloud change."""

    action: str  # create | update | delete | replace
    kind: str  # e.g. LoadBalancer, TargetGroup, UrlMap
    name: str
    detail: str = ""


@dataclass(frozen=True)
class Ref:
    """A value known only once an earlier step has run (an ARN, an ID, a selfLink): that step's key and
    the field of its result. `lbctl plan` shows it as `(known after step KEY)`."""

    step: str
    field: str

    def __str__(self) -> str:
        return f"(known after {self.step})"


@dataclass(frozen=True)
class Secret:
    """A secret value inside a Step body (an OIDC client secret, a private key): sent as it is by the executor,
    shown as `<redacted>` in every repr, str and rendered plan."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "<redacted>"

    __str__ = __repr__


@dataclass(frozen=True)
class Step:
    """One cloud request a plan makes, the same shape for every provider: what (`action` on the `kind` named
    `name`, optionally in `where`: a zone or region), how (`operation` with its full request `body`, in which
    values produced by earlier steps are `Ref`s), why (`changes`: for an update, field → (current, wanted)),
    and from which spec field it comes (`field`, to name it in errors). Plans are ordered; executors run
    steps one by one."""

    key: str  # unique in its plan, e.g. "TargetGroup/k8s-default-users-1a2b3c"
    action: str  # create | update | delete | replace
    kind: str  # LoadBalancer, Listener, Rule, TargetGroup, UrlMap, BackendService, ...
    name: str
    operation: str  # the API call: "CreateTargetGroup", "backendServices.insert"
    body: Mapping[str, Any] = field(default_factory=dict)
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    where: str | None = None
    field: str | None = None
    detail: str = ""

    def change(self) -> Change:
        """The one-line summary of this step for tables and results."""
        where = f" ({self.where})" if self.where else ""
        detail = self.detail or ", ".join(sorted(self.changes))
        return Change(self.action, self.kind, self.name + where, detail)


@dataclass(frozen=True)
class Check:
    """One `lbctl doctor` finding: what was checked, ok | warn | fail, what was seen, and how to fix it."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass
class ConvergeResult:
    stack: str
    address: str | None  # DNS name (AWS) or IP (GCP) for the Ingress status
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # fidelity warnings naming the rule
    deleted: bool = False  # the stack is gone from the cloud (safe to drop finalizers)
    calls: dict[str, int] = field(default_factory=dict)  # "service:Operation:outcome" → count
    # user-fixable failures the converge stepped past (the rest was applied): reported, and retried with backoff
    errors: list[ProviderError] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)  # plan: every step; converge: the steps that took effect


@dataclass(frozen=True)
class ProviderConfig:
    cluster_name: str
    region: str | None = None
    endpoint_url: str | None = None
    project: str | None = None
    vpc_id: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    call_stats: Any = None  # a lbctl.cloudcalls.CallStats shared with the controller's metrics; None = own


@runtime_checkable
class Provider(Protocol):
    """What the core asks of a cloud."""

    name: str

    def plan(self, stack: StackInput) -> ConvergeResult:
        """Translate + discover + diff, without applying; `changes` lists what converge would do."""
        ...

    def converge(self, stack: StackInput) -> ConvergeResult:
        """Make the cloud match the spec (an empty spec deletes the stack). Idempotent."""
        ...

    def list_stacks(self) -> list[str]:
        """Stack keys of every stack of ours (this cluster) in the cloud, for garbage collection."""
        ...

    def route(self, spec: LoadBalancerSpec, host: str, path: str) -> RouteResult:
        """Evaluate a request against the *translated* cloud rules, the way the cloud does."""
        ...

    def doctor(self) -> list[Check]:
        """Check the account/project before users file issues: credentials, reachability, prerequisites,
        permissions (dry runs where the API offers them)."""
        ...

    def describe(self, stack: str) -> dict[str, Any]:
        """What the cloud holds for a stack, as a user checks it in the console: `load_balancers`, `listeners`,
        `rules` (evaluation order), `backends` (health check and per-target health), `others`; each resource
        with its ownership tags and a `console` deep link."""
        ...


class ProviderNotFound(LookupError):
    pass


class ProviderError(Exception):
    """A converge that could not finish. `user_fixable` errors (certificate not found, too few subnets,
    quota, invalid reference, a request the cloud rejected) become Warning Events naming `field`; others are
    retried with backoff. `cleanup`: a resource of ours the cloud would not delete (it keeps the finalizer).
    `subject`: the object it is about, e.g. "Ingress shop/web" or "IngressGroup shop" (None: the stack)."""

    def __init__(self, message: str, *, user_fixable: bool = False, field: str | None = None,
                 cleanup: bool = False, subject: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.user_fixable = user_fixable
        self.field = field
        self.cleanup = cleanup
        self.subject = subject


def available_providers() -> list[str]:
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def create_provider(name: str, config: ProviderConfig) -> Provider:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return ep.load()(config)
    raise ProviderNotFound(f"no provider named {name!r}; installed: {', '.join(available_providers()) or 'none'}")
