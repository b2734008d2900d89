"""Build LoadBalancerSpecs from a cluster snapshot: IngressClass filter → grouping → annotations → spec.

Cloud-neutral: each cloud's annotation semantics come from its profile (`alb.py`, `gce.py`), selected by the
BuildConfig's provider name. Pure. One Ingress with bad input is reported and left out of its group; the rest
of the group still builds. A group whose members conflict on a group-wide (Exclusive) setting fails as a
whole, and a failed group is never turned into an empty spec (which would delete its load balancer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model import annotations as a
from lbctl.model import class_params, conflicts, ingress_checks, limits
from lbctl.model.alb import AlbProfile
from lbctl.model.classes import ClassPolicy, is_ours
from lbctl.model.gce import GceProfile
from lbctl.model.matching import precedence_key
from lbctl.model.objects import Ingress, IngressBackend, Service, ServicePort
from lbctl.model.problems import Problem, Severity, SpecError, shorten
from lbctl.model.profile import CloudProfile, Member, MemberInput, exclusive, fail, group_fail
from lbctl.model.registry import Merge, ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import (
    ASSUMED_NODE_PORT,
    ASSUMED_SERVICE,
    Action,
    Authentication,
    Backend,
    Frontend,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Rule,
    SourceRef,
    TLSCertificate,
)

USE_ANNOTATION = "use-annotation"

PROFILES: dict[str, CloudProfile] = {profile.name: profile for profile in (AlbProfile(), GceProfile())}


def profile_of(provider: str) -> CloudProfile:
    """The annotation semantics of `provider`'s cloud (ValueError naming the known ones)."""
    try:
        return PROFILES[provider]
    except KeyError:
        raise ValueError(
            f"no Ingress semantics for provider {provider!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None


@dataclass(frozen=True)
class BuildConfig:
    """What the model needs to know about the controller it builds for."""

    provider: str  # the name of a profile (PROFILES)
    policy: ClassPolicy
    cluster_default_backend: str | None = (
        None  # "ns/service:port" used when an Ingress has none (if the cloud does)
    )
    # Offline, file-based commands: a Service not in the files becomes an assumed backend (with a warning),
    # a NodePort left to the cluster is planned as such. The controller reads the real cluster: both are errors
    assume_missing: bool = False
    # Tenant safety (docs/migration.md): an IngressGroup whose members come from several namespaces, and
    # forwarding to a target group named by ARN or name, only when the controller allows it (or, for a
    # group, when the class's parameters pin it).
    allow_cross_namespace_groups: bool = False
    allow_explicit_target_groups: bool = False
    # Gateway API drop-in: also serve GatewayClasses of the cloud's other implementation (LBC's
    # gateway.k8s.aws/alb, GKE's networking.gke.io/gateway), as if their controllerName were lbctl's
    gateway_drop_in: bool = False

    @staticmethod
    def for_provider(provider: str, **kwargs: Any) -> BuildConfig:
        """The config for `provider`; the cluster default backend is its cloud's unless one is given."""
        class_names = kwargs.pop("class_names", None)
        profile = PROFILES.get(provider)
        cloud_default = profile.cluster_default_backend if profile is not None else None
        if cloud_default is None:
            kwargs.pop("cluster_default_backend", None)
        elif kwargs.get("cluster_default_backend") is None:
            kwargs["cluster_default_backend"] = cloud_default
        return BuildConfig(provider, ClassPolicy.for_provider(provider, class_names), **kwargs)

    @property
    def profile(self) -> CloudProfile:
        return profile_of(self.provider)

    @property
    def gateway_controller_names(self) -> tuple[str, ...]:
        """The GatewayClass controllerNames served: lbctl's, and the other implementation's with the drop-in."""
        features = self.profile.gateway
        return (features.controller_name,) + (
            features.drop_in_controller_names if self.gateway_drop_in else ()
        )


@dataclass
class GroupOutcome:
    """The result for one Ingress group: a spec, or the problems that stopped it."""

    key: str
    members: list[str]  # every member Ingress, valid or not
    spec: LoadBalancerSpec | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.spec is None


@dataclass
class BuildResult:
    groups: dict[str, GroupOutcome] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # Ingresses of other classes
    # The Gateways of the controller's GatewayClasses (their outcomes are also in `groups`, by stack)
    # the Gateways built beside the groups (a gateway_build.GatewayBuild; typed loosely because that module
    # builds on this one)
    gateways: Any = None

    @property
    def problems(self) -> list[Problem]:
        return [p for g in self.groups.values() for p in g.problems]

    @property
    def specs(self) -> list[LoadBalancerSpec]:
        return [g.spec for g in self.groups.values() if g.spec is not None]


def group_key(
    ingress: Ingress, parsed: ParsedAnnotations, provider: str, pins: class_params.ClassPins | None = None
) -> str:
    """`ns/name` for a lone Ingress, the group name for an explicit IngressGroup (where the cloud has them):
    the one its class's parameters pin, else its annotation's. An annotation naming another group than the
    class pins is refused (class_params.apply) and keeps the annotation's key, where it is reported."""
    name = profile_of(provider).group_name(parsed) if provider in PROFILES else None
    pinned = pins.pin(a.GROUP_NAME) if pins is not None else None
    if pinned is not None and name in (None, pinned.value):
        return str(pinned.value)
    return name if name is not None else ingress.ref.key


def _pins(ingress: Ingress, snapshot: ClusterSnapshot | None, provider: str) -> class_params.ClassPins | None:
    """The class pins of an Ingress, None when it has none or they cannot be read (then it is refused)."""
    if snapshot is None or provider not in PROFILES:
        return None
    try:
        return profile_of(provider).class_pins(ingress, snapshot, False)
    except SpecError:
        return None


def _group_annotations(annotations: Mapping[str, Any]) -> ParsedAnnotations:
    """Only the annotations that decide the group, invalid ones ignored."""
    wanted = {a.GROUP_NAME}
    return a.REGISTRY.parse(
        {k: v for k, v in annotations.items() if k in wanted and isinstance(v, str)}, "Ingress", ""
    )


def stack_of(ingress: Ingress, provider: str, snapshot: ClusterSnapshot | None = None) -> str:
    """The group key of an Ingress, ignoring invalid annotations (used to route events to groups); with the
    snapshot, also the group its class's parameters pin."""
    return group_key(
        ingress, _group_annotations(ingress.annotations), provider, _pins(ingress, snapshot, provider)
    )


def stack_of_object(raw: Mapping[str, Any], provider: str) -> str:
    """The group key of an Ingress object as the API returns it (also one the model cannot read)."""
    meta = raw.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    annotations = meta.get("annotations")
    parsed = _group_annotations(annotations if isinstance(annotations, Mapping) else {})
    name = profile_of(provider).group_name(parsed) if provider in PROFILES else None
    return name if name is not None else f"{meta.get('namespace', 'default')}/{meta.get('name')}"


def empty_spec(provider: str, stack: str) -> LoadBalancerSpec:
    """A spec with no members: converging it deletes the stack."""
    fields = profile_of(provider).default_fields() if provider in PROFILES else {}
    return LoadBalancerSpec(provider, stack, "/" not in stack, [], Frontend(), [], None, {}, fields=fields)


def build(snapshot: ClusterSnapshot, config: BuildConfig) -> BuildResult:
    """Every group of our Ingresses in the snapshot, built into a spec or reported."""
    result = BuildResult()
    members: dict[str, list[tuple[Ingress, ParsedAnnotations]]] = {}
    for ingress in sorted(snapshot.ingresses.values(), key=lambda i: i.ref.key):
        if not is_ours(ingress, snapshot.ingress_classes, config.policy):
            result.ignored.append(ingress.ref.key)
            continue
        if ingress.deleting:
            continue
        parsed = a.REGISTRY.parse(ingress.annotations, "Ingress", str(ingress.ref), ingress.source)
        key = group_key(ingress, parsed, config.provider)
        if not parsed.errors:
            try:
                pins = config.profile.class_pins(ingress, snapshot, config.assume_missing)
                if pins is not None:
                    key = group_key(ingress, parsed, config.provider, pins)
                    parsed = class_params.apply(pins, parsed, ingress)
            except SpecError as err:
                parsed.problems.append(err.problem)  # refused: reported on it, nothing built for it
        members.setdefault(key, []).append((ingress, parsed))
    for key, group in members.items():
        result.groups[key] = _build_group(key, group, snapshot, config)
    return result


# --------------------------------------------------------------------------- one group


def _build_group(
    key: str, group: list[tuple[Ingress, ParsedAnnotations]], snapshot: ClusterSnapshot, config: BuildConfig
) -> GroupOutcome:
    outcome = GroupOutcome(key, [ing.ref.key for ing, _ in group], None)
    valid: list[Member] = []
    refused = {} if config.allow_cross_namespace_groups else _foreign_members(key, group)
    for ingress, parsed in group:
        outcome.problems.extend(parsed.problems)
        if parsed.errors:
            continue  # reported above; the member is left out, its neighbours still build
        if ingress.ref.key in refused:
            outcome.problems.append(refused[ingress.ref.key])
            continue
        try:
            valid.append(_build_member(ingress, parsed, snapshot, config))
        except SpecError as err:
            outcome.problems.append(err.problem)
    if not valid:
        return outcome
    valid.sort(key=lambda m: (m.order, m.ingress.ref.key))
    outcome.problems.extend(
        conflicts.across_members(valid)
    )  # the first by group order keeps a duplicate route
    try:
        outcome.spec = _merge(key, valid, config, snapshot)
    except SpecError as err:
        outcome.problems.append(err.problem)
    if outcome.spec is not None and config.assume_missing:
        outcome.problems.extend(_assumption_warnings(outcome.spec, snapshot))
    return outcome


def _build_member(
    ingress: Ingress, parsed: ParsedAnnotations, snapshot: ClusterSnapshot, config: BuildConfig
) -> Member:
    profile = config.profile
    backends: dict[str, Backend] = {}
    auths: dict[str, Authentication | None] = {}

    def resolve_backend(service_name: str, port: int | str, where: str, namespace: str | None) -> str:
        return service_backend(member, service_name, port, where, config, backends, auths, namespace)

    member = MemberInput(ingress, parsed, snapshot, resolve_backend)

    def resolve(backend: IngressBackend, where: str) -> Action:
        if backend.resource is not None:
            raise fail(
                ingress,
                where,
                f"resource backend {backend.resource} cannot be served by a cloud "
                "load balancer; use a Service backend",
            )
        assert backend.service is not None
        ref = backend.service
        if ref.port_name == USE_ANNOTATION:
            action = profile.annotation_action(member, ref.name, where)
            if not config.allow_explicit_target_groups:
                _no_explicit_target_groups(ingress, action, ref.name, where)
            return action
        key = resolve_backend(ref.name, ref.port, where, None)
        action = Action.to_backend(key)
        action.authentication = auths.get(key)
        return action

    regex_paths = profile.regex_paths(member)
    refused = ingress_checks.ingress_problems(ingress) + limits.ingress_problems(
        ingress, config.provider, regex_paths
    )
    if refused:  # what the API server or the cloud would refuse; the first one is enough to leave it out
        raise fail(ingress, *refused[0])

    rewrite = profile.rewrite(member)
    conditions = profile.conditions(member)
    transforms = profile.transforms(member)
    rules: list[tuple[Rule, int]] = []
    position = 0
    for i, ingress_rule in enumerate(ingress.rules):
        for j, path in enumerate(ingress_rule.paths):
            where = f"spec.rules[{i}].http.paths[{j}]"
            action = resolve(path.backend, f"{where}.backend")
            service_name = path.backend.service.name if path.backend.service else ""
            rule = Rule(
                source=SourceRef(ingress.ref.key, where),
                host=ingress_rule.host,
                path=_path_match(path.path_type, path.path, regex_paths),
                action=action,
                conditions=list(conditions.get(service_name, [])),
                rewrite_path_prefix=rewrite,
                transforms=list(transforms.get(service_name, [])),
            )
            rules.append((rule, position))
            position += 1

    default_action = None
    if ingress.default_backend is not None:
        default_action = resolve(ingress.default_backend, "spec.defaultBackend")

    certificates = profile.certificates(
        member, lambda discover: _tls_certificates(ingress, snapshot, discover)
    )
    listen_ports = profile.listen_ports(member, certificates)
    for rule, _ in rules:
        rule.listen_ports = [port for _, port in listen_ports]
    duplicate = conflicts.within_member(ingress, rules, backends)
    if duplicate is not None:
        raise fail(ingress, *duplicate)
    return Member(
        ingress, parsed, profile.order(parsed), listen_ports, rules, backends, default_action, certificates
    )


def _path_match(path_type: str, path: str, regex_paths: bool) -> PathMatch | None:
    """The rule's path; an ImplementationSpecific path is a regex without its leading '/' under `regex_paths`."""
    if not path:
        return None
    if regex_paths and path_type == PathType.IMPLEMENTATION_SPECIFIC:
        return PathMatch(PathType.IMPLEMENTATION_SPECIFIC, path[1:], regex=True)
    return PathMatch(PathType(path_type), path)


def _foreign_members(key: str, group: list[tuple[Ingress, ParsedAnnotations]]) -> dict[str, Problem]:
    """Tenant safety: the members that joined an explicit IngressGroup by their own annotation while the group
    already had members from another namespace, by creation time (then namespace/name). A member whose class's
    parameters pin the group may share it with any namespace: the cluster admin chose that."""
    if "/" in key:
        return {}  # one Ingress alone
    refused: dict[str, Problem] = {}
    accepted: list[Ingress] = []
    for ingress, parsed in sorted(group, key=lambda m: (m[0].created or "~", m[0].ref.key)):
        if parsed.errors:
            continue
        others = sorted({m.namespace for m in accepted if m.namespace != ingress.namespace})
        if a.GROUP_NAME in parsed.pinned or not others:
            accepted.append(ingress)
            continue
        refused[ingress.ref.key] = Problem(
            Severity.ERROR,
            str(ingress.ref),
            parsed.field_of(a.GROUP_NAME),
            f"IngressGroup {key} already has members in namespace {', '.join(others)}; an Ingress of "
            f"namespace {ingress.namespace} may not add rules to it. Allowed when the IngressClass's "
            "parameters pin the group, or when the controller runs with --allow-cross-namespace-groups; "
            "nothing is applied for this Ingress",
            ingress.source,
        )
    return refused


def _no_explicit_target_groups(ingress: Ingress, action: Action, name: str, where: str) -> None:
    """Tenant safety: a forward to a target group named by ARN or name could send traffic into one the
    cluster does not own (another team's, another cluster's); only when the controller allows it."""
    for target in action.forward:
        named = target.target_group_arn or target.target_group_name
        if named:
            raise fail(
                ingress,
                where,
                f"action {name!r} forwards to target group {shorten(named)} named by ARN or name; lbctl "
                "forwards only to Services of the Ingress's namespace unless the controller runs with "
                "--allow-explicit-target-groups",
            )


def _tls_certificates(ingress: Ingress, snapshot: ClusterSnapshot, discover: bool) -> list[TLSCertificate]:
    """The spec.tls Secrets as certificates (by content hash, never the key); `discover`: TLS hosts without
    a Secret become certificates to find by host."""
    certs: list[TLSCertificate] = []
    for i, tls in enumerate(ingress.tls):
        if tls.secret_name:
            secret = snapshot.secret(ingress.namespace, tls.secret_name)
            where = f"spec.tls[{i}].secretName"
            if secret is None:
                raise fail(ingress, where, f"Secret {ingress.namespace}/{tls.secret_name} not found")
            if "tls.crt" not in secret.data or "tls.key" not in secret.data:
                raise fail(
                    ingress,
                    where,
                    f"Secret {ingress.namespace}/{tls.secret_name} must hold tls.crt "
                    "and tls.key (type kubernetes.io/tls)",
                )
            digest = hashlib.sha256(
                (secret.data["tls.crt"] + "\0" + secret.data["tls.key"]).encode()
            ).hexdigest()
            certs.append(
                TLSCertificate(
                    "secret", f"{ingress.namespace}/{tls.secret_name}", list(tls.hosts), digest[:16]
                )
            )
        elif discover and tls.hosts:
            certs.append(TLSCertificate("discover", "", list(tls.hosts)))
    return certs


def _service_annotations(service: Service) -> ParsedAnnotations:
    return a.REGISTRY.parse(service.annotations, "Service", str(service.ref), service.source)


def service_backend(
    member: MemberInput,
    service_name: str,
    port: int | str,
    where: str,
    config: BuildConfig,
    backends: dict[str, Backend],
    auths: dict[str, Authentication | None],
    namespace: str | None = None,
) -> str:
    """Resolve a Service port (in the Ingress's namespace unless told otherwise) into a Backend of this
    member; returns its key. Also for Gateway API routes (the member then stands for the Gateway)."""
    ingress, snapshot = member.ingress, member.snapshot
    namespace = namespace or ingress.namespace
    service = snapshot.service(namespace, service_name)
    assumed: list[str] = []
    if service is None:
        if not config.assume_missing:
            raise member.fail(where, f"Service {namespace}/{service_name} not found")
        service, assumed = _assumed_service(namespace, service_name, port), [ASSUMED_SERVICE]
    service_port = service.find_port(port)
    if service_port is None:
        known = ", ".join(f"{p.port}" + (f" ({p.name})" if p.name else "") for p in service.ports) or "none"
        raise member.fail(
            where, f"Service {namespace}/{service_name} has no port {port!r} (its ports: {known})"
        )
    service_parsed = _service_annotations(service)
    if service_parsed.errors:
        first = service_parsed.errors[0]
        raise member.fail(where, f"{first.object} {first.field}: {first.message}")
    service_parsed = class_params.apply_to_service(member.parsed, service_parsed, service, ingress)
    if member.policies is not None:
        try:
            service_parsed = member.policies.annotations(service, service_parsed, member.fail)
        except SpecError as err:  # named at the backendRef, saying which policy field
            raise member.fail(where, f"{err.problem.field}: {err.problem.message}") from None

    backend = Backend(
        key="",
        namespace=namespace,
        service=service.name,
        port=service_port.port,
        port_name=service_port.name,
        target_port=service_port.target_port if service_port.target_port is not None else service_port.port,
        node_port=service_port.node_port,
        service_type=service.type,
        target_type="instance",
        assumed=assumed,
    )
    config.profile.backend_settings(member, backend, service, service_parsed, where)
    if backend.target_type == "instance":
        if service.type not in ("NodePort", "LoadBalancer"):
            raise member.fail(
                where,
                f"Service {service.ref.key} is type {service.type}; instance targets need "
                "type NodePort or LoadBalancer (or use ip targets)",
            )
        if backend.node_port is None and not assumed:
            if not config.assume_missing:
                message = f"Service {service.ref.key} port {service_port.port} has no nodePort yet"
                raise member.fail(where, message)
            backend.assumed.append(ASSUMED_NODE_PORT)  # the API server assigns one on create
    base = f"{namespace}/{service.name}:{backend.port_label}"
    backend.key = base
    existing = backends.get(base)
    if existing is not None and existing != backend:
        backend.key = f"{base}@{ingress.name}"
    backends[backend.key] = backend
    auths[backend.key] = config.profile.authentication(member, service, service_parsed, where)
    return backend.key


def cluster_default_backend(
    ingress: Ingress,
    parsed: ParsedAnnotations,
    snapshot: ClusterSnapshot,
    config: BuildConfig,
    backends: dict[str, Backend],
) -> str | None:
    """The cloud profile's default backend for a load balancer without one of its own (the cluster default
    backend on Google Cloud, built as `ingress` would build it, into `backends`); SpecError naming the fix."""

    def unused(*_: Any) -> str:
        raise AssertionError("the cluster default backend is a plain Service port")

    member = MemberInput(ingress, parsed, snapshot, unused)

    def resolve_one(namespace: str, name: str, port: int | str, where: str) -> Backend:
        own: dict[str, Backend] = {}
        backend_key = service_backend(member, name, port, where, config, own, {}, namespace)
        return own[backend_key]

    return config.profile.default_backend(
        member, config.cluster_default_backend, config.assume_missing, resolve_one, backends
    )


def _assumed_service(namespace: str, name: str, port: int | str) -> Service:
    """What a Service not in the files is taken to be: NodePort, the named port, targetPort = port (the API
    server's default), no selector (so no targets and no readinessProbe)."""
    number, port_name = (port, None) if isinstance(port, int) else (0, port)
    return Service(namespace, name, "NodePort", (ServicePort(number, port_name, target_port=port),), {}, {})


def _assumption_warnings(spec: LoadBalancerSpec, snapshot: ClusterSnapshot) -> list[Problem]:
    """One warning per backend Service that is not in the files, on the first rule that uses it."""
    out = []
    for key, backend in spec.backends.items():
        if ASSUMED_SERVICE not in backend.assumed or key == spec.cluster_default:
            continue  # the cluster default backend belongs to the cluster, not the files: the plan notes it
        rule = next((r for r in spec.rules if key in r.action.backend_keys()), None)
        ingress_key, where = (
            (rule.source.ingress, f"{rule.source.field}.backend")
            if rule
            else (spec.members[0], "spec.defaultBackend")
        )
        ingress = snapshot.ingresses.get(ingress_key)
        out.append(
            Problem(
                Severity.WARNING,
                f"Ingress {ingress_key}",
                where,
                f"Service {backend.namespace}/{backend.service} is not in the files: its port and "
                "targets are assumed",
                ingress.source if ingress else "",
            )
        )
    return out


# --------------------------------------------------------------------------- merging members


def _merge(
    key: str, members: list[Member], config: BuildConfig, snapshot: ClusterSnapshot
) -> LoadBalancerSpec:
    profile = config.profile
    for name in (
        ann.name for ann in a.REGISTRY if ann.merge == Merge.EXCLUSIVE and ann.provider == config.provider
    ):
        exclusive(members, name, key)

    backends: dict[str, Backend] = {}
    rules: list[tuple[tuple, Rule]] = []
    for index, member in enumerate(members):
        renames: dict[str, str] = {}
        for bkey, backend in member.backends.items():
            if bkey in backends and backends[bkey] != backend:
                renames[bkey] = f"{bkey}@{member.ingress.name}"
                backend.key = renames[bkey]
            backends[backend.key] = backend
        actions = [rule.action for rule, _ in member.rules]
        actions += [member.default_action] if member.default_action is not None else []
        for action in actions:  # every action of the member refers to its own backends
            for target in action.forward:
                if target.backend_key in renames:
                    target.backend_key = renames[target.backend_key]
        for rule, position in member.rules:
            rules.append((precedence_key(rule, member.order, index, position), rule))
    rules.sort(key=lambda item: item[0])
    tags, tags_source = profile.group_tags(members)

    defaults = [(m, m.default_action) for m in members if m.default_action is not None]
    distinct_defaults = {repr(d) for _, d in defaults}
    if len(distinct_defaults) > 1:
        names = ", ".join(m.ingress.ref.key for m, _ in defaults)
        raise group_fail(
            key,
            "spec.defaultBackend",
            f"several Ingresses set different default backends ({names}); keep one",
        )
    default_action = defaults[0][1] if defaults else None

    frontend, fields = profile.frontend(key, members, snapshot)
    if tags_source is not None:
        fields["tags"] = tags_source
    cluster_default = None
    if default_action is None:
        first = members[0]
        cluster_default = cluster_default_backend(first.ingress, first.parsed, snapshot, config, backends)
        if cluster_default is not None:
            default_action = Action.to_backend(cluster_default)
    return LoadBalancerSpec(
        provider=config.provider,
        stack=key,
        explicit_group="/" not in key,
        members=[m.ingress.ref.key for m in members],
        frontend=frontend,
        rules=[rule for _, rule in rules],
        default_action=default_action,
        backends=backends,
        tags=tags,
        cluster_default=cluster_default,
        fields=fields,
    )
