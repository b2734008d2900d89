"""Build LoadBalancerSpecs from a cluster snapshot: IngressClass filter → grouping → annotations → spec.

Pure. One Ingress with bad input is reported and left out of its group; the rest of the group still
builds. A group whose members conflict on a group-wide (Exclusive) setting fails as a whole, and a
failed group is never turned into an empty spec (which would delete its load balancer).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from lbctl.model import annotations as a
from lbctl.model import conflicts, kube_validation, limits
from lbctl.model.classes import ClassPolicy, is_ours
from lbctl.model.gce import (
    CLUSTER_DEFAULT_BACKEND,
    DEFAULT_BACKEND_HEALTH_PATH,
    DEFAULT_BACKEND_MANIFEST,
    apply_gce_backend_settings,
    gce_frontend,
    parse_backend_ref,
)
from lbctl.model.matching import precedence_key
from lbctl.model.objects import Ingress, IngressBackend, Service, ServicePort
from lbctl.model.problems import Problem, Severity, SpecError
from lbctl.model.registry import Merge, ParsedAnnotations
from lbctl.model.snapshot import ClusterSnapshot
from lbctl.model.spec import (
    ASSUMED_NODE_PORT,
    ASSUMED_SERVICE,
    Action,
    Authentication,
    Backend,
    Condition,
    FixedResponse,
    Frontend,
    HealthCheck,
    Listener,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Rule,
    SourceRef,
    Stickiness,
    TLSCertificate,
    WeightedTarget,
)

USE_ANNOTATION = "use-annotation"


@dataclass(frozen=True)
class BuildConfig:
    """What the model needs to know about the controller it builds for."""

    provider: str  # aws | gcp
    policy: ClassPolicy
    cluster_default_backend: str | None = None  # gcp: "ns/service:port" used when an Ingress has none
    # Offline, file-based commands: a Service not in the files becomes an assumed backend (with a warning),
    # a NodePort left to the cluster is planned as such. The controller reads the real cluster: both are errors
    assume_missing: bool = False

    @staticmethod
    def for_provider(provider: str, **kwargs: Any) -> BuildConfig:
        """The config for `provider`; on gcp the cluster default backend is GKE's unless one is given."""
        class_names = kwargs.pop("class_names", None)
        if provider == "gcp" and kwargs.get("cluster_default_backend") is None:
            kwargs["cluster_default_backend"] = CLUSTER_DEFAULT_BACKEND
        elif provider != "gcp":
            kwargs.pop("cluster_default_backend", None)
        return BuildConfig(provider, ClassPolicy.for_provider(provider, class_names), **kwargs)


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

    @property
    def problems(self) -> list[Problem]:
        return [p for g in self.groups.values() for p in g.problems]

    @property
    def specs(self) -> list[LoadBalancerSpec]:
        return [g.spec for g in self.groups.values() if g.spec is not None]


def group_key(ingress: Ingress, parsed: ParsedAnnotations, provider: str) -> str:
    """`ns/name` for a lone Ingress, the group name for an explicit IngressGroup (AWS only)."""
    if provider == "aws" and parsed.has(a.GROUP_NAME):
        return str(parsed.get(a.GROUP_NAME))
    return ingress.ref.key


def stack_of(ingress: Ingress, provider: str) -> str:
    """The group key of an Ingress, ignoring invalid annotations (used to route events to groups)."""
    parsed = a.REGISTRY.parse({k: v for k, v in ingress.annotations.items() if k == a.GROUP_NAME}, "Ingress", "")
    return group_key(ingress, parsed, provider)


def empty_spec(provider: str, stack: str) -> LoadBalancerSpec:
    """A spec with no members: converging it deletes the stack."""
    return LoadBalancerSpec(provider, stack, "/" not in stack, [], Frontend(), [], None, {})


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
        members.setdefault(group_key(ingress, parsed, config.provider), []).append((ingress, parsed))
    for key, group in members.items():
        result.groups[key] = _build_group(key, group, snapshot, config)
    return result


# --------------------------------------------------------------------------- one group


@dataclass
class _Member:
    """What one valid Ingress contributes to its group."""

    ingress: Ingress
    parsed: ParsedAnnotations
    order: int
    listen_ports: list[tuple[str, int]]
    rules: list[tuple[Rule, int]]  # rule, position in the manifest
    backends: dict[str, Backend]
    default_action: Action | None
    certificates: list[TLSCertificate]


def _build_group(
    key: str, group: list[tuple[Ingress, ParsedAnnotations]], snapshot: ClusterSnapshot, config: BuildConfig
) -> GroupOutcome:
    outcome = GroupOutcome(key, [ing.ref.key for ing, _ in group], None)
    valid: list[_Member] = []
    for ingress, parsed in group:
        outcome.problems.extend(parsed.problems)
        if parsed.errors:
            continue  # reported above; the member is left out, its neighbours still build
        try:
            valid.append(_build_member(ingress, parsed, snapshot, config))
        except SpecError as err:
            outcome.problems.append(err.problem)
    if not valid:
        return outcome
    valid.sort(key=lambda m: (m.order, m.ingress.ref.key))
    outcome.problems.extend(conflicts.across_members(valid))  # the first by group order keeps a duplicate route
    try:
        outcome.spec = _merge(key, valid, config, snapshot)
    except SpecError as err:
        outcome.problems.append(err.problem)
    if outcome.spec is not None and config.assume_missing:
        outcome.problems.extend(_assumption_warnings(outcome.spec, snapshot))
    return outcome


def _fail(ingress: Ingress, field_path: str, message: str) -> SpecError:
    return SpecError(Problem(Severity.ERROR, str(ingress.ref), field_path, message, ingress.source))


def _build_member(
    ingress: Ingress, parsed: ParsedAnnotations, snapshot: ClusterSnapshot, config: BuildConfig
) -> _Member:
    aws = config.provider == "aws"
    backends: dict[str, Backend] = {}
    auths: dict[str, Authentication | None] = {}

    def resolve(backend: IngressBackend, where: str) -> Action:
        if backend.resource is not None:
            raise _fail(ingress, where, f"resource backend {backend.resource} cannot be served by a cloud "
                        "load balancer; use a Service backend")  # fmt: skip
        assert backend.service is not None
        ref = backend.service
        if ref.port_name == USE_ANNOTATION:
            if not aws:
                raise _fail(ingress, where, "port 'use-annotation' is an ALB feature (actions.<name>)")
            return _annotation_action(ingress, parsed, ref.name, where, snapshot, config, backends, auths)
        key = _backend(ingress, parsed, ref.name, ref.port, where, snapshot, config, backends, auths)
        action = Action.to_backend(key)
        action.authentication = auths.get(key)
        return action

    refused = kube_validation.ingress_problems(ingress) + limits.ingress_problems(ingress, config.provider)
    if refused:  # what the API server or the cloud would refuse; the first one is enough to leave it out
        raise _fail(ingress, *refused[0])

    rewrite = parsed.get(a.REWRITE_TARGET_NGINX) or parsed.get(a.REWRITE_TARGET)
    if rewrite and aws:
        name = a.REWRITE_TARGET_NGINX if parsed.has(a.REWRITE_TARGET_NGINX) else a.REWRITE_TARGET
        raise _fail(ingress, f"metadata.annotations[{name}]",
                    "ALB cannot rewrite request paths; remove the annotation or rewrite in the application")  # fmt: skip

    conditions = {name: _conditions(value) for name, value in parsed.family(a.CONDITIONS).items()}
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
                path=PathMatch(PathType(path.path_type), path.path) if path.path else None,
                action=action,
                conditions=list(conditions.get(service_name, [])),
                rewrite_path_prefix=rewrite if not aws else None,
            )
            rules.append((rule, position))
            position += 1

    default_action = None
    if ingress.default_backend is not None:
        default_action = resolve(ingress.default_backend, "spec.defaultBackend")

    certificates = _certificates(ingress, parsed, snapshot, config)
    listen_ports: list[tuple[str, int]] = []
    if aws:
        listen_ports = parsed.get(a.LISTEN_PORTS) or (
            [("HTTPS", 443)] if certificates else [("HTTP", 80)]
        )
    for rule, _ in rules:
        rule.listen_ports = [port for _, port in listen_ports]
    duplicate = conflicts.within_member(ingress, rules, backends)
    if duplicate is not None:
        raise _fail(ingress, *duplicate)
    return _Member(ingress, parsed, int(parsed.get(a.GROUP_ORDER) or 0), listen_ports, rules, backends,
                   default_action, certificates)  # fmt: skip


def _certificates(
    ingress: Ingress, parsed: ParsedAnnotations, snapshot: ClusterSnapshot, config: BuildConfig
) -> list[TLSCertificate]:
    certs: list[TLSCertificate] = []
    if config.provider == "aws" and parsed.has(a.CERTIFICATE_ARN):
        return [TLSCertificate("arn", arn) for arn in parsed.get(a.CERTIFICATE_ARN)]
    if config.provider == "gcp":
        certs += [TLSCertificate("pre-shared", name) for name in parsed.get(a.PRE_SHARED_CERT) or []]
    for i, tls in enumerate(ingress.tls):
        if tls.secret_name:
            secret = snapshot.secret(ingress.namespace, tls.secret_name)
            where = f"spec.tls[{i}].secretName"
            if secret is None:
                raise _fail(ingress, where, f"Secret {ingress.namespace}/{tls.secret_name} not found")
            if "tls.crt" not in secret.data or "tls.key" not in secret.data:
                raise _fail(ingress, where, f"Secret {ingress.namespace}/{tls.secret_name} must hold tls.crt "
                            "and tls.key (type kubernetes.io/tls)")  # fmt: skip
            digest = hashlib.sha256((secret.data["tls.crt"] + "\0" + secret.data["tls.key"]).encode()).hexdigest()
            certs.append(TLSCertificate("secret", f"{ingress.namespace}/{tls.secret_name}", list(tls.hosts),
                                        digest[:16]))  # fmt: skip
        elif config.provider == "aws" and tls.hosts:
            certs.append(TLSCertificate("discover", "", list(tls.hosts)))
    return certs


def _service_annotations(service: Service) -> ParsedAnnotations:
    return a.REGISTRY.parse(service.annotations, "Service", str(service.ref), service.source)


def _backend(
    ingress: Ingress,
    parsed: ParsedAnnotations,
    service_name: str,
    port: int | str,
    where: str,
    snapshot: ClusterSnapshot,
    config: BuildConfig,
    backends: dict[str, Backend],
    auths: dict[str, Authentication | None],
    namespace: str | None = None,
) -> str:
    """Resolve a Service port (in the Ingress's namespace unless told otherwise) into a Backend of this
    member; returns its key."""
    namespace = namespace or ingress.namespace
    service = snapshot.service(namespace, service_name)
    assumed: list[str] = []
    if service is None:
        if not config.assume_missing:
            raise _fail(ingress, where, f"Service {namespace}/{service_name} not found")
        service, assumed = _assumed_service(namespace, service_name, port), [ASSUMED_SERVICE]
    service_port = service.find_port(port)
    if service_port is None:
        known = ", ".join(f"{p.port}" + (f" ({p.name})" if p.name else "") for p in service.ports) or "none"
        raise _fail(ingress, where, f"Service {namespace}/{service_name} has no port {port!r} "
                    f"(its ports: {known})")  # fmt: skip
    service_parsed = _service_annotations(service)
    if service_parsed.errors:
        first = service_parsed.errors[0]
        raise _fail(ingress, where, f"{first.object} {first.field}: {first.message}")

    def value(name: str) -> Any:  # Service-level values override Ingress-level ones
        return service_parsed.get(name) if service_parsed.has(name) else parsed.get(name)

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
    if config.provider == "aws":
        _apply_aws_backend_settings(backend, value, ingress, where)
    else:
        apply_gce_backend_settings(backend, service, service_parsed, snapshot, lambda f, m: _fail(ingress, f, m))
    if backend.target_type == "instance":
        if service.type not in ("NodePort", "LoadBalancer"):
            raise _fail(ingress, where, f"Service {service.ref.key} is type {service.type}; instance targets need "
                        "type NodePort or LoadBalancer (or use ip targets)")  # fmt: skip
        if backend.node_port is None and not assumed:
            if not config.assume_missing:
                message = f"Service {service.ref.key} port {service_port.port} has no nodePort yet"
                raise _fail(ingress, where, message)
            backend.assumed.append(ASSUMED_NODE_PORT)  # the API server assigns one on create
    base = f"{namespace}/{service.name}:{backend.port_label}"
    backend.key = base
    existing = backends.get(base)
    if existing is not None and existing != backend:
        backend.key = f"{base}@{ingress.name}"
    backends[backend.key] = backend
    if config.provider == "aws":
        auths[backend.key] = _auth(value, ingress, where)
    return backend.key


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
        ingress_key, where = (rule.source.ingress, f"{rule.source.field}.backend") if rule else (
            spec.members[0], "spec.defaultBackend")  # fmt: skip
        ingress = snapshot.ingresses.get(ingress_key)
        out.append(Problem(Severity.WARNING, f"Ingress {ingress_key}", where,
                           f"Service {backend.namespace}/{backend.service} is not in the files: its port and "
                           "targets are assumed", ingress.source if ingress else ""))  # fmt: skip
    return out


def _apply_aws_backend_settings(backend: Backend, value: Any, ingress: Ingress, where: str) -> None:
    backend.target_type = value(a.TARGET_TYPE)
    backend.protocol = value(a.BACKEND_PROTOCOL)
    backend.protocol_version = value(a.BACKEND_PROTOCOL_VERSION)
    grpc = backend.protocol_version == "GRPC"
    backend.health_check = HealthCheck(
        protocol=value(a.HEALTHCHECK_PROTOCOL),
        port=value(a.HEALTHCHECK_PORT),
        path=value(a.HEALTHCHECK_PATH) or ("/AWS.ALB/healthcheck" if grpc else "/"),
        interval_seconds=value(a.HEALTHCHECK_INTERVAL),
        timeout_seconds=value(a.HEALTHCHECK_TIMEOUT),
        healthy_threshold=value(a.HEALTHY_THRESHOLD),
        unhealthy_threshold=value(a.UNHEALTHY_THRESHOLD),
        success_codes=value(a.SUCCESS_CODES) or ("12" if grpc else "200"),
        source="annotation",
    )
    if backend.health_check.timeout_seconds >= backend.health_check.interval_seconds:  # type: ignore[operator]
        raise _fail(ingress, where, f"healthcheck-timeout-seconds ({backend.health_check.timeout_seconds}) must "
                    f"be less than healthcheck-interval-seconds ({backend.health_check.interval_seconds})")  # fmt: skip
    backend.attributes = dict(value(a.TARGET_GROUP_ATTRIBUTES) or {})
    backend.node_selector = dict(value(a.TARGET_NODE_LABELS) or {})
    backend.tags = dict(value(a.TAGS) or {})


def _auth(value: Any, ingress: Ingress, where: str) -> Authentication | None:
    auth_type = value(a.AUTH_TYPE)
    if auth_type in (None, "none"):
        return None
    idp_name = a.AUTH_IDP_OIDC if auth_type == "oidc" else a.AUTH_IDP_COGNITO
    idp = value(idp_name)
    if idp is None:
        raise _fail(ingress, f"metadata.annotations[{idp_name}]", f"is required when auth-type is {auth_type}")
    return Authentication(
        type=auth_type,
        idp=dict(idp),
        on_unauthenticated_request=value(a.AUTH_ON_UNAUTHENTICATED),
        scope=value(a.AUTH_SCOPE),
        session_cookie=value(a.AUTH_SESSION_COOKIE),
        session_timeout=value(a.AUTH_SESSION_TIMEOUT),
    )


def _annotation_action(
    ingress: Ingress,
    parsed: ParsedAnnotations,
    name: str,
    where: str,
    snapshot: ClusterSnapshot,
    config: BuildConfig,
    backends: dict[str, Backend],
    auths: dict[str, Authentication | None],
) -> Action:
    raw = parsed.family(a.ACTIONS).get(name)
    if raw is None:
        raise _fail(ingress, where, f"port 'use-annotation' needs annotation {a.ACTIONS.replace('${name}', name)}")
    kind = raw["type"]
    if kind == "fixed-response":
        cfg = raw["fixedResponseConfig"]
        return Action(kind, fixed_response=FixedResponse(cfg["statusCode"], cfg.get("contentType"),
                                                         cfg.get("messageBody")))  # fmt: skip
    if kind == "redirect":
        cfg = raw["redirectConfig"]
        return Action(kind, redirect=Redirect(cfg["statusCode"], cfg.get("protocol"), cfg.get("port"),
                                              cfg.get("host"), cfg.get("path"), cfg.get("query")))  # fmt: skip
    if "targetGroupARN" in raw:
        return Action(kind, forward=[WeightedTarget(target_group_arn=raw["targetGroupARN"])])
    forward = raw["forwardConfig"]
    targets = []
    for k, item in enumerate(forward["targetGroups"]):
        if "serviceName" in item:
            port = item["servicePort"]
            port = int(port) if isinstance(port, str) and port.isascii() and port.isdigit() else port
            key = _backend(ingress, parsed, item["serviceName"], port,
                           f"{where} (actions.{name} targetGroups[{k}])", snapshot, config, backends, auths)  # fmt: skip
            targets.append(WeightedTarget(backend_key=key, weight=item.get("weight")))
        else:
            targets.append(WeightedTarget(target_group_arn=item.get("targetGroupARN"),
                                          target_group_name=item.get("targetGroupName"), weight=item.get("weight")))  # fmt: skip
    sticky = forward.get("targetGroupStickinessConfig")
    stickiness = Stickiness(bool(sticky.get("enabled")), sticky.get("durationSeconds")) if sticky else None
    return Action(kind, forward=targets, stickiness=stickiness)


def _conditions(raw: list[dict[str, Any]]) -> list[Condition]:
    out = []
    for item in raw:
        field_name = item["field"]
        if field_name == "host-header":
            out.append(Condition(field_name, list(item["hostHeaderConfig"]["values"])))
        elif field_name == "path-pattern":
            out.append(Condition(field_name, list(item["pathPatternConfig"]["values"])))
        elif field_name == "http-header":
            cfg = item["httpHeaderConfig"]
            out.append(Condition(field_name, list(cfg["values"]), header_name=cfg["httpHeaderName"]))
        elif field_name == "http-request-method":
            cfg = item["httpRequestMethodConfig"]
            out.append(Condition(field_name, list(cfg.get("values") or cfg.get("Values"))))
        elif field_name == "query-string":
            values = [{"key": v.get("key", ""), "value": v["value"]} for v in item["queryStringConfig"]["values"]]
            out.append(Condition(field_name, [f"{v['key']}={v['value']}" for v in values], query=values))
        else:
            out.append(Condition(field_name, list(item["sourceIpConfig"]["values"])))
    return out


# --------------------------------------------------------------------------- merging members


def _exclusive(members: list[_Member], name: str, group: str) -> Any:
    """The one value of a group-wide annotation; members that set different values are an error."""
    seen: dict[str, Any] = {}
    for member in members:
        if member.parsed.has(name):
            seen[member.ingress.ref.key] = member.parsed.get(name)
    distinct = {repr(v) for v in seen.values()}
    if len(distinct) > 1:
        listing = "; ".join(f"{k}: {v!r}" for k, v in seen.items())
        raise SpecError(Problem(Severity.ERROR, f"IngressGroup {group}", f"metadata.annotations[{name}]",
                                f"conflicting values across the group ({listing}); set it on one Ingress or "
                                "give every Ingress the same value"))  # fmt: skip
    return next(iter(seen.values())) if seen else members[0].parsed.get(name)


def _merge(key: str, members: list[_Member], config: BuildConfig, snapshot: ClusterSnapshot) -> LoadBalancerSpec:
    aws = config.provider == "aws"
    for name in (ann.name for ann in a.REGISTRY if ann.merge == Merge.EXCLUSIVE and ann.provider == config.provider):
        _exclusive(members, name, key)

    backends: dict[str, Backend] = {}
    rules: list[tuple[tuple, Rule]] = []
    tags: dict[str, str] = {}
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
        tags.update({k: v for k, v in (member.parsed.get(a.TAGS) or {}).items() if k not in tags})
    rules.sort(key=lambda item: item[0])

    defaults = [(m, m.default_action) for m in members if m.default_action is not None]
    distinct_defaults = {repr(d) for _, d in defaults}
    if len(distinct_defaults) > 1:
        names = ", ".join(m.ingress.ref.key for m, _ in defaults)
        raise SpecError(Problem(Severity.ERROR, f"IngressGroup {key}", "spec.defaultBackend",
                                f"several Ingresses set different default backends ({names}); keep one"))  # fmt: skip
    default_action = defaults[0][1] if defaults else None

    cluster_default = None
    if aws:
        frontend = _aws_frontend(key, members)
    else:
        frontend = gce_frontend(members[0].ingress, members[0].parsed, members[0].certificates, snapshot,
                                lambda f, m: _fail(members[0].ingress, f, m))  # fmt: skip
        if default_action is None:
            if config.cluster_default_backend is None:
                ing = members[0].ingress
                raise _fail(ing, "spec.defaultBackend", "a Google Cloud URL map needs a default service: set "
                            "spec.defaultBackend, or start lbctl with --default-backend-service ns/name:port")  # fmt: skip
            default_action = _cluster_default(config.cluster_default_backend, members[0], snapshot, config, backends)
            cluster_default = default_action.backend_keys()[0]
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
    )


def _cluster_default(
    ref: str, member: _Member, snapshot: ClusterSnapshot, config: BuildConfig, backends: dict[str, Backend]
) -> Action:
    """The cluster default backend ("ns/name:port") as a Backend of the spec, health-checked on /healthz as
    ingress-gce does unless its Pods' readinessProbe or a BackendConfig says otherwise. Missing from the
    cluster, the group fails naming it and the fix; missing from the files (offline commands), it is assumed.
    """
    try:
        namespace, name, port = parse_backend_ref(ref)
    except ValueError as err:
        raise _fail(member.ingress, "spec.defaultBackend", f"the cluster default backend {err}") from None
    if snapshot.service(namespace, name) is None and not config.assume_missing:
        install = "create it"
        if ref == CLUSTER_DEFAULT_BACKEND:
            install = f"kubectl apply -f {DEFAULT_BACKEND_MANIFEST}"
        raise _fail(member.ingress, "spec.defaultBackend", f"the cluster default backend {ref} is missing "
                    f"(Service {namespace}/{name} not found): {install}, set spec.defaultBackend on the "
                    "Ingress, or start lbctl with --default-backend-service ns/name:port")  # fmt: skip
    own: dict[str, Backend] = {}
    key = _backend(member.ingress, member.parsed, name, port, f"cluster default backend {ref}", snapshot, config,
                   own, {}, namespace=namespace)  # fmt: skip
    default = own[key]
    if key in backends:  # also a backend of a rule: one backend, as the rule has it
        if backends[key] != default:
            raise _fail(member.ingress, "spec.defaultBackend", f"the cluster default backend {ref} is also a "
                        "backend of this Ingress with other settings; set spec.defaultBackend")  # fmt: skip
        return Action.to_backend(key)
    if default.health_check.source == "default":
        default.health_check.path = DEFAULT_BACKEND_HEALTH_PATH
    backends[key] = default
    return Action.to_backend(key)


def _aws_frontend(key: str, members: list[_Member]) -> Frontend:
    first = members[0].parsed

    def exclusive(name: str) -> Any:
        return _exclusive(members, name, key)

    ip_type = exclusive(a.IP_ADDRESS_TYPE)
    cidrs = exclusive(a.INBOUND_CIDRS) or (["0.0.0.0/0", "::/0"] if ip_type != "ipv4" else ["0.0.0.0/0"])
    certificates: list[TLSCertificate] = []
    ports: dict[int, str] = {}
    for member in members:
        for protocol, port in member.listen_ports:
            if ports.get(port, protocol) != protocol:
                raise SpecError(Problem(Severity.ERROR, f"IngressGroup {key}", f"metadata.annotations[{a.LISTEN_PORTS}]",
                                        f"port {port} is HTTP on one Ingress and HTTPS on another"))  # fmt: skip
            ports[port] = protocol
        for cert in member.certificates:
            if cert not in certificates:
                certificates.append(cert)
    ssl_redirect = exclusive(a.SSL_REDIRECT)
    listeners = []
    for port, protocol in sorted(ports.items()):
        listener = Listener(protocol, port, inbound_cidrs=list(cidrs))
        if protocol == "HTTPS":
            if not certificates:
                raise SpecError(Problem(Severity.ERROR, f"IngressGroup {key}", f"metadata.annotations[{a.LISTEN_PORTS}]",
                                        f"HTTPS listener {port} has no certificate: set {a.CERTIFICATE_ARN} or "
                                        "spec.tls"))  # fmt: skip
            listener.certificates = list(certificates)
            listener.ssl_policy = exclusive(a.SSL_POLICY)
        elif ssl_redirect is not None:
            listener.redirect_to_https_port = ssl_redirect
        listeners.append(listener)
    if ssl_redirect is not None and ports.get(ssl_redirect) != "HTTPS":
        raise SpecError(Problem(Severity.ERROR, f"IngressGroup {key}", f"metadata.annotations[{a.SSL_REDIRECT}]",
                                f"redirects to port {ssl_redirect}, which is not an HTTPS listen port"))  # fmt: skip
    return Frontend(
        scheme=exclusive(a.SCHEME),
        ip_address_type=ip_type,
        listeners=listeners,
        subnets=list(exclusive(a.SUBNETS) or []),
        security_groups=list(exclusive(a.SECURITY_GROUPS) or []),
        inbound_cidrs=list(cidrs),
        attributes=dict(exclusive(a.LOAD_BALANCER_ATTRIBUTES) or {}),
        waf_acl_arn=exclusive(a.WAFV2_ACL_ARN),
        name=first.get(a.LOAD_BALANCER_NAME) and exclusive(a.LOAD_BALANCER_NAME),
    )
