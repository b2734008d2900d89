"""The narrow contract between the core and a cloud provider, and provider discovery.

A provider registers under the `lbctl.providers` entry-point group with a `ProviderPlugin`: its name, the
command-line options it adds to lbctl's commands, the Kubernetes kinds it watches beyond the core ones (and
so its RBAC needs), the embedded account `plan --offline` plans against, a `validate(spec)` for the limits
only its cloud has, and the factory of its `Provider`. The core names no cloud: a third one needs no change
in it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from lbctl.model.kinds import Kind
from lbctl.model.matching import Request, RouteResult
from lbctl.model.problems import Problem, Severity
from lbctl.model.secrets import TLSMaterial, backend_config_secrets, oidc_secrets, tls_materials
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import LoadBalancerSpec
from lbctl.model.targets import Target, spec_known_targets, spec_targets

if TYPE_CHECKING:  # only providers serving TargetGroupBindings / Services load them
    from lbctl.model.binding_spec import BindingSpec
    from lbctl.model.services import ServiceSpec

ENTRY_POINT_GROUP = "lbctl.providers"


@dataclass
class StackInput:
    """Everything a provider gets for one stack: the spec, targets per backend, and secret material
    for the Secrets the spec references (by "ns/name"). Providers never read Kubernetes themselves."""

    spec: LoadBalancerSpec
    targets: dict[str, list[Target]] = field(default_factory=dict)
    tls: dict[str, TLSMaterial] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(
        default_factory=dict, repr=False
    )  # OIDC client and BackendConfig (IAP, CDN signing key) Secrets, decoded
    # backend key → every target ID the cluster knows, for backends shared with other clusters
    known: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_snapshot(cls, spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> StackInput:
        """The targets and the referenced secret material of `spec`, from a snapshot."""
        return cls(
            spec,
            spec_targets(spec, snapshot),
            tls_materials(spec, snapshot),
            {**oidc_secrets(spec, snapshot), **backend_config_secrets(spec, snapshot)},
            spec_known_targets(spec, snapshot),
        )


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


@dataclass(frozen=True)
class ObjectStatus:
    """The `status` a provider reports for a custom object the stack reads (e.g. the provisioning state of a
    certificate the object asks for), written to that object's status subresource by the controller."""

    kind: Kind
    namespace: str
    name: str
    status: Mapping[str, Any]


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
    # status annotations (keys the registry marks `status`) → value, written onto every member Ingress; a
    # status key of this provider missing here is removed. None: the provider reports none (nothing is touched)
    annotations: dict[str, str] | None = None
    object_status: list[ObjectStatus] = field(default_factory=list)  # written after a converge
    # the cloud is still changing by itself (a certificate provisioning): converge again after this many seconds
    requeue_after: float | None = None
    # further addresses for the status, after `address` (AWS: the DNS name of the NLB in front of the ALB)
    extra_addresses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ProviderConfig:
    """How to reach a provider's cloud: the cluster name written into ownership tags, an API endpoint
    (emulators), and `options`, the provider's own settings: the values of its declared command-line
    options (`ProviderOption.key`, e.g. a region or project) and settings given in code (rate limits,
    credentials, zones)."""

    cluster_name: str
    endpoint_url: str | None = None
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

    def route(self, spec: LoadBalancerSpec, request: Request) -> RouteResult:
        """Evaluate a request against the *translated* cloud rules, the way the cloud does: the listener it
        arrives on, the rule it reaches, and a redirect's Location or what the targets receive."""
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


@dataclass
class BindingResult:
    """What converging (or planning) one TargetGroupBinding did: the target group it resolved to, its target
    type, the targets registered afterwards, and — for a multi-cluster target group — the targets this
    binding now answers for (`tracked`, what it may deregister later)."""

    key: str
    target_group: str | None = None  # the target group's ID (an ARN on AWS)
    target_type: str | None = None
    registered: list[str] = field(default_factory=list)  # "id:port", sorted
    tracked: frozenset[tuple[str, int]] | None = None
    changes: list[Change] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    deleted: bool = False  # deleting: our targets are gone (safe to drop the finalizer)


@runtime_checkable
class BindingProvider(Protocol):
    """A provider that also serves TargetGroupBindings (targets registered into a target group it does not
    own). `on_register(tracked)` is called before any target is registered, with what the binding will then
    answer for, so the controller records it first and a crash in between leaks nothing."""

    def plan_binding(self, binding: BindingSpec) -> BindingResult: ...

    def converge_binding(
        self, binding: BindingSpec, on_register: Callable[[frozenset[tuple[str, int]]], None] | None = None
    ) -> BindingResult: ...


@dataclass
class ServiceInput:
    """Everything a provider gets for one Service's stack: its L4 spec and the targets of each port (by
    `L4Port.key`) and standalone NEG (by `StandaloneNeg.key`), and the zones of the nodes (where standalone
    NEGs go). An empty spec deletes the stack."""

    spec: ServiceSpec
    targets: dict[str, list[Target]] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # every target ID the cluster knows (shared target groups)
    zones: list[str] = field(default_factory=list)

    @classmethod
    def from_snapshot(cls, spec: ServiceSpec, snapshot: ClusterSnapshot) -> ServiceInput:
        from lbctl.model.services import known_target_ids, node_zones, service_targets

        targets = service_targets(spec, snapshot)
        return cls(spec, targets, known_target_ids(spec, snapshot), node_zones(spec, snapshot))


@runtime_checkable
class ServiceProvider(Protocol):
    """A provider that also serves Services of type LoadBalancer (an L4 pipeline beside the L7 one). The
    result's `address` is the hostname (or IP) for `status.loadBalancer.ingress`; `list_stacks` also lists
    the Service stacks (`Service:ns/name`), for garbage collection."""

    def plan_service(self, stack: ServiceInput) -> ConvergeResult: ...

    def converge_service(self, stack: ServiceInput) -> ConvergeResult: ...


class ProviderNotFound(LookupError):
    pass


class ProviderError(Exception):
    """A converge that could not finish. `user_fixable` errors (certificate not found, too few subnets,
    quota, invalid reference, a request the cloud rejected) become Warning Events naming `field`; others are
    retried with backoff. `cleanup`: a resource of ours the cloud would not delete (it keeps the finalizer).
    `subject`: the object it is about, e.g. "Ingress shop/web" or "IngressGroup shop" (None: the stack)."""

    def __init__(
        self,
        message: str,
        *,
        user_fixable: bool = False,
        field: str | None = None,
        cleanup: bool = False,
        subject: str | None = None,
    ) -> None:
        super().__init__(message)
        self.user_fixable = user_fixable
        self.field = field
        self.cleanup = cleanup
        self.subject = subject

    def problem(self, stack: str) -> Problem:
        """This error as a Problem: on its object (else the stack), naming its field (else "cloud")."""
        return Problem(Severity.ERROR, self.subject or f"stack {stack}", self.field or "cloud", str(self))


# --------------------------------------------------------------------------- provider declarations

# The commands a provider option can belong to.
FILE_COMMANDS = frozenset({"validate", "plan", "route"})  # build the model from manifest files
CLOUD_COMMANDS = frozenset({"plan", "apply", "delete", "describe", "doctor"})  # reach a cloud account
CONTROLLER_COMMANDS = frozenset({"run"})

Access = tuple[str, str, str]  # (api group, resource[/subresource], verb)


@dataclass(frozen=True)
class ProviderOption:
    """A command-line option a provider adds to the lbctl commands named in `commands`. Its value goes
    into `ProviderConfig.options[key]`, or with `model=True` into the model's `BuildConfig` field `key`
    (the model also runs for the file commands). `check` raises ValueError saying the expected form; the
    value is kept as given. A value left unset (None, or nothing for `multiple`) is not passed at all."""

    flag: str  # e.g. "--example-region"
    key: str
    commands: frozenset[str]
    help: str = ""
    envvar: str | None = None
    default: Any = None
    metavar: str | None = None
    multiple: bool = False
    check: Callable[[str], object] | None = None
    model: bool = False
    is_flag: bool = False  # a switch (`--flag` sets True; the environment variable takes true/false)

    @property
    def dest(self) -> str:
        """The keyword the command receives the value as."""
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class OfflineRequest:
    """What a provider's offline account is set up for (`lbctl plan --offline`): the cluster, the objects
    and specs of the files, and the provider's option values (`ProviderOption.key` → value)."""

    cluster_name: str
    snapshot: ClusterSnapshot
    specs: list[LoadBalancerSpec]
    options: Mapping[str, Any] = field(default_factory=dict)


def _no_problems(spec: LoadBalancerSpec) -> list[Problem]:
    return []


@dataclass(frozen=True)
class ProviderPlugin:
    """A provider as the core sees it; the object its `lbctl.providers` entry point names. Calling it
    creates the provider (`plugin(config)`). Declarations are plain data: loading one imports no SDK.

    - `options`: its command-line options (and environment variables).
    - `watched`: the kinds its controller watches beyond `lbctl.model.kinds.CORE_WATCHED`; list and watch
      on each is part of its RBAC needs, with `access` for anything else.
    - `offline`: a context manager yielding the ProviderConfig of an embedded, empty account set up for
      the files (`plan --offline`); None when the provider has none.
    - `validate(spec)`: the problems only this cloud has with a spec (its limits, names), no cloud call.
    """

    name: str
    title: str  # for help and docs, e.g. "Example Cloud (HTTP load balancer)"
    factory: Callable[[ProviderConfig], Provider]
    options: tuple[ProviderOption, ...] = ()
    watched: tuple[Kind, ...] = ()
    access: tuple[Access, ...] = ()
    offline: Callable[[OfflineRequest], AbstractContextManager[ProviderConfig]] | None = None
    validate: Callable[[LoadBalancerSpec], list[Problem]] = _no_problems

    def __call__(self, config: ProviderConfig) -> Provider:
        return self.factory(config)

    def options_for(self, command: str) -> tuple[ProviderOption, ...]:
        return tuple(o for o in self.options if command in o.commands)

    def values(self, command: str, given: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(provider options, model options): the values of this provider's options for `command`, from
        the keyword arguments a command received."""
        provider: dict[str, Any] = {}
        model: dict[str, Any] = {}
        for option in self.options_for(command):
            value = given.get(option.dest)
            if value is None or (option.multiple and not value):
                continue
            (model if option.model else provider)[option.key] = list(value) if option.multiple else value
        return provider, model

    def cluster_access(self) -> tuple[Access, ...]:
        """The cluster-wide access this provider needs beyond the core's."""
        return (
            tuple((k.group, k.plural, verb) for k in self.watched for verb in ("list", "watch")) + self.access
        )


def _entry_points() -> list[Any]:
    from importlib.metadata import entry_points  # only when providers are looked up (start-up time)

    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def available_providers() -> list[str]:
    """The names of the installed providers, sorted."""
    return [ep.name for ep in _entry_points()]


def _load(ep: Any) -> ProviderPlugin:
    plugin = ep.load()
    if not isinstance(plugin, ProviderPlugin) or plugin.name != ep.name:
        raise ProviderNotFound(
            f"entry point {ep.name} = {ep.value} is not the ProviderPlugin named {ep.name!r}"
        )
    return plugin


def load_plugins() -> list[ProviderPlugin]:
    """Every installed provider's declaration, sorted by name."""
    return [_load(ep) for ep in _entry_points()]


def load_plugin(name: str) -> ProviderPlugin:
    """The declaration of the provider `name`."""
    for ep in _entry_points():
        if ep.name == name:
            return _load(ep)
    raise ProviderNotFound(
        f"no provider named {name!r}; installed: {', '.join(available_providers()) or 'none'}"
    )


def spec_check(name: str) -> Callable[[LoadBalancerSpec], list[Problem]] | None:
    """The provider `name`'s own check of a spec (its `validate`: translation, no cloud call), if installed."""
    try:
        return load_plugin(name).validate
    except ProviderNotFound:
        return None


def create_provider(name: str, config: ProviderConfig) -> Provider:
    return load_plugin(name)(config)
