"""Ingress load balancers → Gateway API objects (`lbctl convert --to gateway`), with what could not be expressed.

Pure. The input is the model's spec of an Ingress group (one per load balancer: the rules in the order the
Ingress semantics and the cloud's annotations give them, resolved backends, listeners, conditions, actions and
rewrites), so the output routes what the Ingresses route:

- one Gateway per load balancer (a lone Ingress: its name; an IngressGroup: the group's), in the namespace of
  its first member, of the GatewayClass named by the caller; a listener per spec listener (`http-80`,
  `https-443`: Secrets as `certificateRefs`); an HTTP listener that redirects to HTTPS gets a redirect route;
- one HTTPRoute per (namespace, hostname, listeners) in the members' namespaces, its rules in spec order (the
  Gateway API breaks ties by rule order), the default backend last in the host-less route;
- paths: Exact → Exact, Prefix → PathPrefix, ImplementationSpecific by the cloud's meaning (no wildcard: the
  exact path; a final `/*`: a PathPrefix, with an Exact match of the bare prefix sent where the Ingress sends
  it; other wildcards and regex paths: RegularExpression); ALB conditions → header, query and method matches;
  weighted forwards → weighted backendRefs; ALB redirects → RequestRedirect; rewrite-target → URLRewrite;
- the load-balancer annotations lbctl's Gateway reads are copied to the Gateway; where an anchor has a policy
  kind (aws-load-balancer-controller's TargetGroupConfiguration, GKE's GCPGatewayPolicy) it is emitted too.

Whatever has no Gateway API form is listed per annotation (or Ingress field) with the reason, never dropped
silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lbctl.model import annotations as a
from lbctl.model.matching import Request, first_match
from lbctl.model.objects import Ingress
from lbctl.model.spec import (
    Action,
    Backend,
    Listener,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Rule,
)

GATEWAY_API = "gateway.networking.k8s.io/v1"
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
REDIRECT_CODES = {"HTTP_301": 301, "HTTP_302": 302, "MOVED_PERMANENTLY_DEFAULT": 301, "FOUND": 302}
REDIRECT_CODES |= {"SEE_OTHER": 303, "TEMPORARY_REDIRECT": 307, "PERMANENT_REDIRECT": 308}
ALB = a.ALB
_FAMILY = {
    name: key.split("${", 1)[0] for name, key in (("conditions", a.CONDITIONS), ("actions", a.ACTIONS))
}
_FAMILY["transforms"] = a.TRANSFORMS.split("${", 1)[0]


@dataclass(frozen=True)
class Unexpressed:
    """One annotation (or Ingress field) whose meaning the Gateway API objects do not carry, and why."""

    object: str  # "Ingress ns/name"
    what: str  # the annotation key, or the field
    why: str


@dataclass
class GatewayConversion:
    """The Gateway API objects for one Ingress load balancer, and what they leave out."""

    provider: str
    stack: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    unexpressed: list[Unexpressed] = field(default_factory=list)
    expressed: dict[tuple[str, str], str] = field(default_factory=dict)  # (object, annotation) → how

    def note(self, ingress: str, what: str, why: str) -> None:
        item = Unexpressed(f"Ingress {ingress}", what, why)
        if item not in self.unexpressed:
            self.unexpressed.append(item)


_CERTIFICATE_KINDS = {
    "arn": "an ACM certificate (by ARN)",
    "discover": "an ACM certificate found by host",
    "request": "an ACM certificate lbctl requests",
    "managed": "a ManagedCertificate",
}


def _dns_name(text: str, limit: int = 63) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "x"
    if len(name) > limit:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        name = name[: limit - 9].rstrip("-") + "-" + digest
    return name


def _listener_name(listener: Listener) -> str:
    return f"{listener.protocol.lower()}-{listener.port}"


def _glob_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class _Path:
    type: str  # Exact | PathPrefix | RegularExpression
    value: str
    bare_prefix: str | None = None  # a `/x/*` path: `/x` itself is not matched by the Ingress


def _path(match: PathMatch | None) -> tuple[_Path | None, str | None]:
    """The Gateway API path match of a spec path, or (None, why)."""
    if match is None:
        return _Path("PathPrefix", "/"), None
    if match.regex:  # ALB use-regex-path-match: found anywhere in the path unless anchored
        return _Path("RegularExpression", f".*(?:{match.path}).*"), None
    if match.type == PathType.EXACT:
        return _Path("Exact", match.path), None
    if match.type == PathType.PREFIX:
        return _Path("PathPrefix", match.path or "/"), None
    value = match.path or "/"
    if "*" not in value and "?" not in value:
        return _Path("Exact", value), None  # ImplementationSpecific without wildcards: the path itself
    if value == "/*":
        return _Path("PathPrefix", "/"), None
    if value.endswith("/*") and not re.search(r"[*?]", value[:-2]):
        return _Path("PathPrefix", value[:-2], bare_prefix=value[:-2]), None
    return _Path("RegularExpression", _glob_regex(value)), None  # ALB wildcards


# --------------------------------------------------------------------------- conditions


def _value_match(name: str, value: str, regex: bool) -> tuple[dict[str, Any] | None, str | None]:
    """A header match for one ALB http-header value (wildcards → RegularExpression)."""
    if regex:
        return {"type": "RegularExpression", "name": name, "value": f".*(?:{value}).*"}, None
    if "*" in value or "?" in value:
        return {"type": "RegularExpression", "name": name, "value": f"(?i){_glob_regex(value)}"}, None
    note = None
    if re.search(r"[A-Za-z]", value):
        note = f"header {name} value {value!r}: ALB compares it case-insensitively, Gateway API Exact matches case"
    return {"type": "Exact", "name": name, "value": value}, note


def _alternatives(rule: Rule) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The condition parts of the rule's matches (each a dict of method/headers/queryParams; the matches of a
    rule are ORed, so a condition with several values multiplies them), notes (kept, but compared differently)
    and refusals (the rule cannot be expressed)."""
    combos: list[dict[str, Any]] = [{}]
    notes: list[str] = []
    refusals: list[str] = []
    for condition in rule.conditions:
        options: list[dict[str, Any]] = []
        if condition.field == "http-request-method":
            for method in condition.values:
                if method not in METHODS:
                    refusals.append(
                        f"method {method!r} is not one the Gateway API matches ({', '.join(METHODS)})"
                    )
                options.append({"method": method})
        elif condition.field == "http-header":
            for value in condition.values:
                match, note = _value_match(condition.header_name or "", value, condition.regex)
                notes += [note] if note else []
                options.append({"headers": [match]})
        elif condition.field == "query-string":
            for pair in condition.query or []:
                if not pair.get("key"):
                    refusals.append(
                        f"query value {pair['value']!r} without a key: the Gateway API matches by name"
                    )
                    continue
                value = pair["value"]
                if condition.regex or re.search(r"(?<!\\)[*?]", value):
                    refusals.append(
                        f"query {pair['key']}={value!r}: wildcards need a RegularExpression query match, which "
                        "lbctl's Gateway does not serve"
                    )
                    continue
                literal = re.sub(r"\\([*?\\])", r"\1", value)
                if re.search(r"[A-Za-z]", pair["key"] + literal):
                    notes.append(
                        f"query {pair['key']}={literal!r}: ALB compares names and values case-insensitively, the "
                        "Gateway API case-sensitively"
                    )
                options.append({"queryParams": [{"type": "Exact", "name": pair["key"], "value": literal}]})
        elif condition.field == "source-ip":
            refusals.append(
                "source-ip conditions have no Gateway API match (an HTTPRoute matches requests only)"
            )
        elif condition.field == "host-header":
            refusals.append("host-header condition values: give the hosts as Ingress rules instead")
        elif condition.field == "path-pattern":
            continue  # joined into the rule's paths (_paths)
        if options:
            combos = [_merge(c, o) for c in combos for o in options]
    return combos, notes, refusals


def _merge(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    out = dict(left)
    for key, value in right.items():
        out[key] = out.get(key, []) + value if isinstance(value, list) else value
    return out


# --------------------------------------------------------------------------- the conversion


class _Converter:
    def __init__(self, spec: LoadBalancerSpec, ingresses: Mapping[str, Ingress], class_name: str) -> None:
        self.spec = spec
        self.ingresses = ingresses
        self.class_name = class_name
        self.out = GatewayConversion(spec.provider, spec.stack)
        first = spec.members[0]
        self.namespace = first.split("/", 1)[0]
        name = spec.stack.split("/", 1)[1] if "/" in spec.stack and not spec.explicit_group else spec.stack
        self.name = _dns_name(name)
        self.routes: dict[tuple[str, str | None, tuple[str, ...]], dict[str, Any]] = {}

    # ---- Gateway

    def gateway(self) -> dict[str, Any]:
        listeners = []
        served: list[str] = []
        for listener in self.spec.frontend.listeners:
            entry: dict[str, Any] = {"name": _listener_name(listener), "protocol": listener.protocol}
            entry["port"] = listener.port
            if listener.protocol == "HTTPS":
                entry["tls"] = self._tls(listener)
            namespaces = sorted({m.split("/", 1)[0] for m in self.spec.members} | {self.namespace})
            if namespaces != [self.namespace]:
                entry["allowedRoutes"] = {
                    "namespaces": {
                        "from": "Selector",
                        "selector": {
                            "matchExpressions": [
                                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": namespaces}
                            ]
                        },
                    }
                }
            listeners.append(entry)
            if listener.redirect_to_https_port is None:
                served.append(entry["name"])
            else:
                self._redirect_route(listener)
        self.served = served
        spec: dict[str, Any] = {"gatewayClassName": self.class_name, "listeners": listeners}
        if self.spec.frontend.static_ip_name:
            spec["addresses"] = [{"type": "NamedAddress", "value": self.spec.frontend.static_ip_name}]
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        carried = self._carried_annotations()
        if carried:
            meta["annotations"] = carried
        return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": meta, "spec": spec}

    def _tls(self, listener: Listener) -> dict[str, Any]:
        refs, options = [], {}
        pre_shared = []
        for cert in listener.certificates:
            if cert.kind == "secret":
                namespace, name = cert.ref.split("/", 1)
                ref: dict[str, Any] = {"kind": "Secret", "name": name}
                if namespace != self.namespace:
                    ref["namespace"] = namespace
                    self._grant(namespace, "Gateway", "", "Secret", name)
                refs.append(ref)
            elif cert.kind == "pre-shared":
                pre_shared.append(cert.ref)
            else:
                what = {"arn": a.CERTIFICATE_ARN, "discover": "spec.tls", "request": a.CREATE_ACM_CERT}
                for member in self.spec.members:
                    self.out.note(
                        member,
                        what.get(cert.kind, a.MANAGED_CERTIFICATES),
                        f"{_CERTIFICATE_KINDS.get(cert.kind, cert.kind)} has no Gateway API form: lbctl's Gateway takes Secrets in "
                        "tls.certificateRefs (aws-load-balancer-controller: LoadBalancerConfiguration "
                        "listenerConfigurations[].defaultCertificate; GKE: Certificate Manager)",
                    )
        if pre_shared:
            options["networking.gke.io/pre-shared-certs"] = ",".join(pre_shared)
            for member in self.spec.members:
                self.out.note(
                    member,
                    a.PRE_SHARED_CERT,
                    "kept as the GKE listener option networking.gke.io/pre-shared-certs, which lbctl's Gateway "
                    "does not read (it takes Secrets in tls.certificateRefs)",
                )
        tls: dict[str, Any] = {"mode": "Terminate"}
        if refs:
            tls["certificateRefs"] = refs
        if options:
            tls["options"] = options
        return tls

    def _carried_annotations(self) -> dict[str, str]:
        """The load-balancer annotations lbctl's Gateway reads (scheme, health checks …), from the members; two
        members disagreeing on one is reported."""
        from lbctl.model.builder import PROFILES

        allowed = PROFILES[self.spec.provider].gateway.annotations
        carried: dict[str, str] = {}
        for member in self.spec.members:
            for key, value in self.ingresses[member].annotations.items():
                if key in allowed:
                    if key in carried and carried[key] != value:
                        self.out.note(
                            member, key, "the group's members disagree; the Gateway takes one value"
                        )
                    carried.setdefault(key, value)
                    self.out.expressed[(member, key)] = "a Gateway annotation lbctl reads"
        return carried

    def _grant(self, namespace: str, from_kind: str, from_namespace: str, to_kind: str, name: str) -> None:
        grant = {
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": _dns_name(f"{self.name}-{to_kind}-{name}"), "namespace": namespace},
            "spec": {
                "from": [
                    {
                        "group": "gateway.networking.k8s.io",
                        "kind": from_kind,
                        "namespace": from_namespace or self.namespace,
                    }
                ],
                "to": [{"group": "", "kind": to_kind, "name": name}],
            },
        }
        if grant not in self.grants:
            self.grants.append(grant)

    grants: list[dict[str, Any]]

    # ---- routes

    def _route(self, namespace: str, host: str | None, sections: tuple[str, ...]) -> dict[str, Any]:
        key = (namespace, host, sections)
        if key not in self.routes:
            label = host.replace("*", "wildcard") if host else "any-host"
            name = _dns_name(f"{self.name}-{label}" + ("-" + "-".join(sections) if sections else ""))
            parent: list[dict[str, Any]] = [
                {"name": self.name, **({"namespace": self.namespace} if namespace != self.namespace else {})}
            ]
            parents = [{**parent[0], "sectionName": s} for s in sections] if sections else parent
            spec: dict[str, Any] = {"parentRefs": parents}
            if host:
                spec["hostnames"] = [host]
            spec["rules"] = []
            self.routes[key] = {
                "apiVersion": GATEWAY_API,
                "kind": "HTTPRoute",
                "metadata": {"name": name, "namespace": namespace},
                "spec": spec,
            }
        return self.routes[key]

    def _redirect_route(self, listener: Listener) -> None:
        code = REDIRECT_CODES.get(listener.redirect_code or "HTTP_301", 301)
        redirect: dict[str, Any] = {"scheme": "https", "statusCode": code}
        if listener.redirect_to_https_port not in (None, 443):
            redirect["port"] = listener.redirect_to_https_port
        route = self._route(self.namespace, None, (_listener_name(listener),))
        route["metadata"]["name"] = _dns_name(f"{self.name}-{_listener_name(listener)}-to-https")
        route["spec"]["rules"].append({"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]})

    def _sections(self, rule: Rule | None) -> tuple[str, ...]:
        """The listeners a rule's route attaches to: all serving ones ((): every listener when none redirects)."""
        listeners = self.spec.frontend.listeners
        ports = rule.listen_ports if rule is not None else []
        chosen = [
            _listener_name(x)
            for x in listeners
            if x.redirect_to_https_port is None and (not ports or x.port in ports)
        ]
        if len(chosen) == len(listeners):
            return ()
        return tuple(chosen)

    def rules(self) -> None:
        for rule in self.spec.rules:
            self._rule(rule)
        if self.spec.default_action is not None:
            member = self.spec.members[0]
            converted = self._action(self.spec.default_action, None, member, "spec.defaultBackend")
            if converted is not None:
                route = self._route(self.namespace, None, self._sections(None))
                route["spec"]["rules"].append(converted)

    def _rule(self, rule: Rule) -> None:
        member = rule.source.ingress
        where = rule.source.field
        path, why = _path(rule.path)
        refusals = [why] if why else []
        paths = [path] if path else []
        for condition in rule.conditions:
            if condition.field == "path-pattern":
                for value in condition.values:
                    extra = PathMatch(PathType.IMPLEMENTATION_SPECIFIC, value, regex=condition.regex)
                    more, more_why = _path(extra)
                    paths += [more] if more else []
                    refusals += [more_why] if more_why else []
        combos, notes, more_refusals = _alternatives(rule)
        refusals += more_refusals
        anchor = self._condition_annotation(rule) or where
        for note in notes:
            self.out.note(member, anchor, note)
        if refusals:
            for why in refusals:
                self.out.note(member, anchor, f"{why}; {where} is left out of the routes")
            return
        converted = self._action(rule.action, rule, member, where)
        if converted is None:
            return
        matches = []
        for p in paths:
            for combo in combos:
                matches.append({"path": {"type": p.type, "value": p.value}, **combo})
        namespace = member.split("/", 1)[0]
        route = self._route(namespace, rule.host, self._sections(rule))
        for p in paths:
            if p.bare_prefix is not None:
                self._bare_prefix(route, rule, p.bare_prefix, combos)
        self.origins[
            (route["metadata"]["namespace"], route["metadata"]["name"], len(route["spec"]["rules"]))
        ] = rule
        route["spec"]["rules"].append({"matches": matches, **converted})
        if any(p.type == "RegularExpression" for p in paths) and self._later_non_regex(rule):
            self.out.note(
                member,
                where,
                "a RegularExpression path comes after every Exact and PathPrefix match in the Gateway API's "
                "precedence: a request that a later rule's path also matches goes to that rule instead",
            )
        if rule.host and rule.host.startswith("*."):
            self.out.note(
                member,
                f"{where} host",
                f"{rule.host} covers exactly one DNS label as an Ingress host; a Gateway API hostname "
                f"{rule.host} also covers deeper names (a.b{rule.host[1:]})",
            )

    def _later_non_regex(self, rule: Rule) -> bool:
        later = self.spec.rules[self.spec.rules.index(rule) + 1 :]
        return any(
            (other.host is None or other.host == rule.host)
            and (other.path is None or (not other.path.regex and not re.search(r"[*?]", other.path.path)))
            for other in later
        ) or (self.spec.default_action is not None)

    def _bare_prefix(
        self, route: dict[str, Any], rule: Rule, bare: str, combos: list[dict[str, Any]]
    ) -> None:
        """A `/x/*` path does not match `/x`, a PathPrefix `/x` does: an Exact `/x` match (which the Gateway API
        tries before any prefix) sends it where the Ingress sends it."""
        found = first_match(
            self.spec, Request(rule.host.replace("*", "a") if rule.host else "unmatched.invalid", bare)
        )
        if found.rule is rule:
            return
        member = rule.source.ingress
        if found.action is None:
            self.out.note(
                member,
                rule.source.field,
                f"path {bare}/* does not match {bare} itself, which gets 404 as an Ingress; on the Gateway the "
                f"PathPrefix {bare} takes it",
            )
            return
        converted = self._action(found.action, found.rule, member, rule.source.field)
        if converted is not None:
            matches = [{"path": {"type": "Exact", "value": bare}, **combo} for combo in combos]
            route["spec"]["rules"].append({"matches": matches, **converted})

    def _service_name(self, member: str, where: str) -> str | None:
        """The Service name of the Ingress backend at `where` (`spec.rules[i].http.paths[j]`): the `<name>` of
        its `conditions.<name>` and `actions.<name>` annotations."""
        ingress = self.ingresses.get(member)
        found = re.fullmatch(r"spec\.rules\[(\d+)\]\.http\.paths\[(\d+)\]", where)
        if ingress is None or found is None:
            return None
        path = ingress.rules[int(found.group(1))].paths[int(found.group(2))]
        return path.backend.service.name if path.backend.service else None

    def _annotation(self, member: str, where: str, family: str) -> str:
        """The `conditions.<name>` / `actions.<name>` annotation of a rule's backend, else the field."""
        name = self._service_name(member, where)
        key = f"{_FAMILY[family]}{name}"
        ingress = self.ingresses.get(member)
        return key if name and ingress is not None and key in ingress.annotations else where

    def _condition_annotation(self, rule: Rule) -> str | None:
        if not rule.conditions:
            return None
        return self._annotation(rule.source.ingress, rule.source.field, "conditions")

    # ---- actions

    def _action(self, action: Action, rule: Rule | None, member: str, where: str) -> dict[str, Any] | None:
        """The backendRefs and filters of an action (None: it cannot be expressed, noted)."""
        anchor = self._annotation(member, where, "actions")
        if action.authentication is not None or action.jwt_validation is not None:
            self.out.note(
                member,
                anchor if anchor != where else a.AUTH_TYPE,
                f"authentication has no Gateway API filter; {where} is left out rather than served without it",
            )
            return None
        if action.type == "fixed-response":
            self.out.note(member, anchor, f"a fixed response has no Gateway API filter; {where} is left out")
            return None
        filters: list[dict[str, Any]] = []
        if action.type == "redirect" and action.redirect is not None:
            redirect = self._redirect(action.redirect, member, anchor)
            if redirect is None:
                return None
            return {"filters": [{"type": "RequestRedirect", "requestRedirect": redirect}]}
        refs = []
        for target in action.forward:
            backend = self.spec.backends.get(target.backend_key or "")
            if backend is None:
                self.out.note(
                    member,
                    anchor,
                    f"a forward to target group {target.target_group_arn or target.target_group_name} has no "
                    f"Gateway API backendRef; {where} is left out",
                )
                return None
            ref = self._backend_ref(backend, member, anchor)
            if ref is None:
                return None
            if len(action.forward) > 1 or target.weight is not None:
                ref["weight"] = target.weight if target.weight is not None else 1
            refs.append(ref)
        if action.stickiness is not None and action.stickiness.enabled:
            self.out.note(
                member, anchor, "target group stickiness of a weighted forward has no Gateway API field"
            )
        if rule is not None:
            filters += self._rewrites(rule, member)
        out: dict[str, Any] = {"backendRefs": refs}
        if filters:
            out["filters"] = filters
        return out

    def _backend_ref(self, backend: Backend, member: str, anchor: str) -> dict[str, Any] | None:
        if not backend.port:
            self.out.note(
                member,
                anchor,
                f"Service {backend.namespace}/{backend.service} port {backend.port_name!r} is a name the files do "
                "not resolve; a backendRef takes the port number",
            )
            return None
        ref: dict[str, Any] = {"name": backend.service, "port": backend.port}
        if backend.namespace != member.split("/", 1)[0]:
            ref["namespace"] = backend.namespace
            self._grant(backend.namespace, "HTTPRoute", member.split("/", 1)[0], "Service", backend.service)
        return ref

    def _redirect(self, redirect: Redirect, member: str, anchor: str) -> dict[str, Any] | None:
        out: dict[str, Any] = {"statusCode": REDIRECT_CODES.get(redirect.status_code, 302)}
        problems = []
        if redirect.protocol not in (None, "#{protocol}"):
            out["scheme"] = redirect.protocol.lower()
        if redirect.host not in (None, "#{host}"):
            if "#{" in redirect.host:
                problems.append(f"host {redirect.host!r} reuses parts of the request")
            out["hostname"] = redirect.host
        if redirect.port not in (None, "#{port}"):
            if not redirect.port.isdigit():
                problems.append(f"port {redirect.port!r}")
            else:
                out["port"] = int(redirect.port)
        elif "scheme" in out:
            ports = {x.port for x in self.spec.frontend.listeners if x.redirect_to_https_port is None}
            if len(ports) == 1:
                out["port"] = ports.pop()  # ALB keeps the request's port; the Gateway API takes the scheme's
            else:
                problems.append(
                    "a new scheme keeping the request's port (the Gateway API takes the scheme's)"
                )
        if redirect.path not in (None, "/#{path}"):
            if "#{" in redirect.path:
                problems.append(f"path {redirect.path!r} reuses parts of the request")
            out["path"] = {"type": "ReplaceFullPath", "replaceFullPath": redirect.path}
        if redirect.query not in (None, "#{query}"):
            problems.append(f"query {redirect.query!r}: a RequestRedirect keeps the query")
        if problems:
            for problem in problems:
                self.out.note(
                    member, anchor, f"redirect {problem} has no RequestRedirect form; the rule is left out"
                )
            return None
        return out

    def _rewrites(self, rule: Rule, member: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if rule.transforms:
            key = self._annotation(member, rule.source.field, "transforms")
            self.out.note(member, key, "regular-expression rewrites have no URLRewrite form; not rewritten")
        target = rule.rewrite_path_prefix
        if target is None:
            return out
        key = next(
            (
                k
                for k in (a.REWRITE_TARGET_NGINX, a.REWRITE_TARGET)
                if k in self.ingresses[member].annotations
            ),
            a.REWRITE_TARGET,
        )
        match = rule.path
        if (
            match is None
            or (match.type == PathType.PREFIX)
            or (match.path.endswith("/*") and not match.regex)
        ):
            if not target.endswith("/") and match is not None and (match.path.rstrip("/*") or "/") != "/":
                self.out.note(
                    member,
                    key,
                    f"rewrite-target {target!r} without a final '/' joins the rest of the path without a '/'; "
                    "a URLRewrite ReplacePrefixMatch keeps it",
                )
            path = {"type": "ReplacePrefixMatch", "replacePrefixMatch": target}
        elif match.type == PathType.EXACT or not re.search(r"[*?]", match.path):
            path = {"type": "ReplaceFullPath", "replaceFullPath": target}
        else:
            self.out.note(member, key, f"rewrite of the wildcard path {match.path!r} has no URLRewrite form")
            return out
        self.out.expressed[(member, key)] = "URLRewrite"
        return [{"type": "URLRewrite", "urlRewrite": {"path": path}}]

    # ---- policies

    def policies(self) -> list[dict[str, Any]]:
        from lbctl.model.builder import PROFILES

        kinds = PROFILES[self.spec.provider].gateway.conversion_policies
        out: list[dict[str, Any]] = []
        if "TargetGroupConfiguration" in kinds:
            out += self._target_group_configurations()
        if kinds & {"HealthCheckPolicy", "GCPBackendPolicy"}:
            out += self._gke_backend_policies()
        if "GCPGatewayPolicy" in kinds:
            policy = next((x.ssl_policy for x in self.spec.frontend.listeners if x.ssl_policy), None)
            if policy:
                out.append(
                    {
                        "apiVersion": "networking.gke.io/v1",
                        "kind": "GCPGatewayPolicy",
                        "metadata": {"name": self.name, "namespace": self.namespace},
                        "spec": {
                            "default": {"sslPolicy": policy},
                            "targetRef": {
                                "group": "gateway.networking.k8s.io",
                                "kind": "Gateway",
                                "name": self.name,
                            },
                        },
                    }
                )
        return out

    def _gke_backend_policies(self) -> list[dict[str, Any]]:
        """GKE's HealthCheckPolicy (a health check from a BackendConfig or a readinessProbe: GKE's Gateway infers
        none) and GCPBackendPolicy (a BackendConfig's timeout, draining, affinity, Cloud Armor, logging) per
        Service; BackendConfig settings without a policy field are reported on the Service."""
        out: list[dict[str, Any]] = []
        seen: set[tuple[str, str]] = set()
        for backend in self.spec.backends.values():
            if (backend.namespace, backend.service) in seen:
                continue
            seen.add((backend.namespace, backend.service))
            target = {"group": "", "kind": "Service", "name": backend.service}
            meta = {"name": _dns_name(backend.service), "namespace": backend.namespace}
            check = backend.health_check
            if check.source in ("BackendConfig", "readinessProbe"):
                protocol = (check.protocol or "HTTP").upper()
                kind = {"HTTP": "httpHealthCheck", "HTTPS": "httpsHealthCheck", "HTTP2": "http2HealthCheck"}
                probe: dict[str, Any] = {"requestPath": check.path or "/"}
                explicit = check.source == "BackendConfig"  # a readinessProbe gives the path; GKE the rest
                if explicit and isinstance(check.port, int):
                    probe["port"] = check.port
                default: dict[str, Any] = {
                    "config": {"type": protocol, kind.get(protocol, "httpHealthCheck"): probe}
                }
                for name, value in (
                    ()
                    if not explicit
                    else (
                        ("checkIntervalSec", check.interval_seconds),
                        ("timeoutSec", check.timeout_seconds),
                        ("healthyThreshold", check.healthy_threshold),
                        ("unhealthyThreshold", check.unhealthy_threshold),
                    )
                ):
                    if value is not None:
                        default[name] = value
                out.append(
                    {
                        "apiVersion": "networking.gke.io/v1",
                        "kind": "HealthCheckPolicy",
                        "metadata": meta,
                        "spec": {"default": default, "targetRef": target},
                    }
                )
            if "backend_config" not in backend.fields:
                continue
            config = backend.backend_config
            policy: dict[str, Any] = {}
            if config.get("timeoutSec") is not None:
                policy["timeoutSec"] = config["timeoutSec"]
            draining = (config.get("connectionDraining") or {}).get("drainingTimeoutSec")
            if draining is not None:
                policy["connectionDraining"] = {"drainingTimeoutSec": draining}
            affinity = config.get("sessionAffinity") or {}
            if affinity.get("affinityType") not in (None, "NONE"):
                policy["sessionAffinity"] = {"type": affinity["affinityType"]}
                if affinity.get("affinityCookieTtlSec") is not None:
                    policy["sessionAffinity"]["cookieTtlSec"] = affinity["affinityCookieTtlSec"]
            armor = (config.get("securityPolicy") or {}).get("name")
            if armor:
                policy["securityPolicy"] = armor
            logging = config.get("logging") or {}
            if logging.get("enable"):
                rate = logging.get("sampleRate")
                policy["logging"] = {
                    "enabled": True,
                    **({"sampleRate": int(rate * 1_000_000)} if rate else {}),
                }
            if policy:
                out.append(
                    {
                        "apiVersion": "networking.gke.io/v1",
                        "kind": "GCPBackendPolicy",
                        "metadata": meta,
                        "spec": {"default": policy, "targetRef": target},
                    }
                )
            for key in ("cdn", "iap", "customRequestHeaders", "customResponseHeaders"):
                value = config.get(key)
                if isinstance(value, dict):
                    value = value.get("enabled") if "enabled" in value else value.get("headers")
                if value:
                    item = Unexpressed(
                        f"Service {backend.namespace}/{backend.service}",
                        f"BackendConfig {key}",
                        "not carried by the conversion (GKE's Gateway: GCPBackendPolicy for IAP; no CDN or header "
                        "fields)",
                    )
                    if item not in self.out.unexpressed:
                        self.out.unexpressed.append(item)
        return out

    def _target_group_configurations(self) -> list[dict[str, Any]]:
        """aws-load-balancer-controller's TargetGroupConfiguration for each Service, where the members set the
        target type or health check by annotation."""
        keys = {a.TARGET_TYPE, a.HEALTHCHECK_PATH, a.HEALTHCHECK_PORT, a.HEALTHCHECK_PROTOCOL}
        keys |= {a.HEALTHCHECK_INTERVAL, a.HEALTHCHECK_TIMEOUT, a.HEALTHY_THRESHOLD, a.UNHEALTHY_THRESHOLD}
        keys |= {a.SUCCESS_CODES}
        if not any(k in self.ingresses[m].annotations for m in self.spec.members for k in keys):
            return []
        out = []
        seen: set[tuple[str, str]] = set()
        for backend in self.spec.backends.values():
            if (backend.namespace, backend.service) in seen:
                continue
            seen.add((backend.namespace, backend.service))
            check = backend.health_check
            config: dict[str, Any] = {}
            for name, value in (
                ("healthCheckPath", check.path),
                ("healthCheckPort", str(check.port) if check.port is not None else None),
                ("healthCheckProtocol", check.protocol),
                ("healthCheckInterval", check.interval_seconds),
                ("healthCheckTimeout", check.timeout_seconds),
                ("healthyThresholdCount", check.healthy_threshold),
                ("unhealthyThresholdCount", check.unhealthy_threshold),
            ):
                if value is not None:
                    config[name] = value
            if check.success_codes:
                config["matcher"] = {"httpCode": check.success_codes}
            props: dict[str, Any] = {"targetType": backend.target_type}
            if config:
                props["healthCheckConfig"] = config
            out.append(
                {
                    "apiVersion": "gateway.k8s.aws/v1",
                    "kind": "TargetGroupConfiguration",
                    "metadata": {"name": _dns_name(backend.service), "namespace": backend.namespace},
                    "spec": {"targetReference": {"name": backend.service}, "defaultConfiguration": props},
                }
            )
        for member in self.spec.members:
            for key in keys & set(self.ingresses[member].annotations):
                self.out.expressed[(member, key)] = (
                    "a Gateway annotation lbctl reads, and TargetGroupConfiguration"
                )
        return out

    # ---- the annotation report

    def report(self) -> None:
        handled = {
            a.LISTEN_PORTS: "the Gateway's listeners",
            a.SSL_REDIRECT: "a RequestRedirect route on the HTTP listeners",
            a.GROUP_NAME: "one Gateway for the group",
            a.INGRESS_CLASS: "gatewayClassName",
            a.GLOBAL_STATIC_IP: "spec.addresses (NamedAddress)",
            a.GROUP_ORDER: "the Gateway API precedence orders the group's rules",
            a.ALLOW_HTTP: "the Gateway's listeners",
            a.FRONTEND_CONFIG: "the redirect route and GCPGatewayPolicy",
        }
        for member in self.spec.members:
            ingress = self.ingresses[member]
            noted = {u.what for u in self.out.unexpressed if u.object == f"Ingress {member}"}
            for key in ingress.annotations:
                if a.REGISTRY.lookup(key) is None or key in noted:
                    continue
                if key in handled or (member, key) in self.out.expressed:
                    continue
                if key.startswith(tuple(_FAMILY.values())):
                    continue  # expressed in the rules (what is not is noted there)
                if key == a.CERTIFICATE_ARN:
                    continue
                self.out.note(
                    member,
                    key,
                    "no Gateway API field or policy kind carries it, and lbctl's Gateway does not read it",
                )

    def _check_precedence(self, gateway: dict[str, Any], routes: list[dict[str, Any]]) -> None:
        """Where the Gateway API's precedence (method, then more headers, then more query parameters) would try
        a later Ingress rule before an earlier one that a request can match as well, say so."""
        from lbctl.model.gateway import HTTPMatch, parse_gateway, parse_http_route
        from lbctl.model.gateway_attach import attach
        from lbctl.model.gateway_routing import path_matches, route_table

        parsed = parse_gateway(gateway)
        attached = []
        for obj in routes:
            route = parse_http_route(obj)
            labels = {route.namespace: {"kubernetes.io/metadata.name": route.namespace}}
            attached += [(route, attach(route, parent, parsed, labels)) for parent in route.parent_refs]
        order = {id(rule): index for index, rule in enumerate(self.spec.rules)}
        for listener in parsed.listeners:
            seen: list[tuple[Any, Rule]] = []
            for entry in route_table(attached, listener):
                rule = self.origins.get((entry.route.namespace, entry.route.name, entry.rule.index))
                if rule is None:
                    continue
                match = entry.match
                for other_entry, other in seen:
                    earlier = other_entry.match
                    if order[id(other)] <= order[id(rule)] or other_entry.hostname != entry.hostname:
                        continue
                    if not isinstance(match, HTTPMatch) or not isinstance(earlier, HTTPMatch):
                        continue
                    samples = [m.path.value for m in (match, earlier) if m.path is not None]
                    samples += [x.rstrip("/") + "/x" for x in samples]
                    if any(path_matches(match, x) and path_matches(earlier, x) for x in samples):
                        self.out.note(
                            other.source.ingress,
                            self._condition_annotation(other) or other.source.field,
                            f"the Gateway API tries {other.source.field} before {rule.source.field} (a method "
                            "match, then more header matches, then more query matches come first): a request "
                            f"both match goes to {other.source.field}, not to {rule.source.field} as for the Ingress",
                        )
                seen.append((entry, rule))

    def run(self) -> GatewayConversion:
        self.grants = []
        self.origins: dict[tuple[str, str, int], Rule] = {}
        gateway = self.gateway()
        self.rules()
        self.report()
        routes = [r for r in self.routes.values() if r["spec"]["rules"]]
        self._check_precedence(gateway, routes)
        self.out.objects = [gateway, *routes, *self.grants, *self.policies()]
        return self.out


def convert_spec(
    spec: LoadBalancerSpec, ingresses: Mapping[str, Ingress], class_name: str | None = None
) -> GatewayConversion:
    """The Gateway API objects for the load balancer of one Ingress group (see the module docstring)."""
    return _Converter(spec, ingresses, class_name or default_class(spec.provider)).run()


def default_class(provider: str) -> str:
    """The GatewayClass name a conversion uses by default: `lbctl-alb` for controllerName `lbctl.io/alb` …"""
    from lbctl.model.builder import PROFILES

    return "lbctl-" + PROFILES[provider].gateway.controller_name.rsplit("/", 1)[-1]


def failed_members(members: Iterable[str], why: str) -> list[Unexpressed]:
    """Ingresses the model refused (their problems say why): nothing of them is converted."""
    return [Unexpressed(f"Ingress {m}", "(whole Ingress)", why) for m in members]
