"""Ingress host and path semantics (Kubernetes API docs), and the precedence between rules.

Pure functions; the model orders rules with `precedence_key` and `lbctl route` evaluates a spec
with `first_match` for a `Request` (host, path, method, headers, query, port, scheme, source IP).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from lbctl.model.spec import (
    Action,
    Condition,
    Listener,
    LoadBalancerSpec,
    PathMatch,
    PathType,
    Redirect,
    Rule,
)


def normalise_host(host: str) -> str:
    """Lower-case, without a port or a trailing dot."""
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.split(":", 1)[0]


def host_matches(rule_host: str | None, request_host: str, deeper: bool = False) -> bool:
    """No host: any. `*.example.com`: exactly one more DNS label (`deeper`: one or more, as the Gateway API
    says). Otherwise equal (case-insensitive)."""
    if rule_host is None:
        return True
    request = normalise_host(request_host)
    rule = rule_host.lower()
    if rule.startswith("*."):
        suffix = rule[1:]  # ".example.com"
        if not request.endswith(suffix):
            return False
        label = request[: -len(suffix)]
        return bool(label) and (deeper or "." not in label)
    return request == rule


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def prefix_matches(rule_path: str, request_path: str) -> bool:
    """Element-wise prefix match on '/'-split segments; a trailing slash on either side is ignored."""
    rule = _segments(rule_path)
    request = _segments(request_path)
    return request[: len(rule)] == rule


def glob_matches(pattern: str, request_path: str) -> bool:
    """ImplementationSpecific paths use the cloud syntax: `*` any characters (also '/'), `?` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, request_path, flags=re.DOTALL) is not None


def path_matches(match: PathMatch | None, request_path: str) -> bool:
    if match is None:
        return True
    if match.regex:  # use-regex-path-match: the cloud's regex, found anywhere in the path unless anchored
        return re.search(match.path, request_path) is not None
    if match.type == PathType.EXACT:
        return request_path == match.path
    if match.type == PathType.PREFIX:
        return prefix_matches(match.path, request_path)
    if "*" in match.path or "?" in match.path:
        return glob_matches(match.path, request_path)
    return request_path == match.path


def specificity(match: PathMatch | None) -> tuple[int, int]:
    """(length, type rank): longer paths first; at equal length Exact, then Prefix, then ImplementationSpecific."""
    if match is None:
        return (0, 3)
    if match.type == PathType.EXACT:
        return (len(match.path), 0)
    if match.type == PathType.PREFIX:
        return (len("/".join(_segments(match.path))) + 1, 1)
    if match.regex:
        return (0, 2)
    literal = re.split(r"[*?]", match.path, maxsplit=1)[0]
    return (len(literal), 2)


def host_rank(host: str | None) -> int:
    """Exact hosts before wildcard hosts before rules for any host."""
    if host is None:
        return 2
    return 1 if host.startswith("*.") else 0


def precedence_key(rule: Rule, group_order: int, member_index: int, position: int) -> tuple:
    """Sort key giving Ingress semantics to first-match evaluation: host, longest path, Exact over Prefix,
    more extra conditions first; then group order, member, manifest position as tie-breakers."""
    length, type_rank = specificity(rule.path)
    return (
        host_rank(rule.host),
        -length,
        type_rank,
        -len(rule.conditions),
        group_order,
        member_index,
        position,
    )


# ---- requests ---------------------------------------------------------------------------------------------

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Request:
    """One HTTP request as the load balancer receives it. `path` may carry a `?query` (joined to `query`);
    header names compare case-insensitively. `port` None: the scheme's port (80/443); with neither `port`
    nor `scheme`, the first listener that serves requests. `source_ip` None: no source-ip condition holds."""

    host: str
    path: str = "/"
    method: str = "GET"
    headers: Mapping[str, str] | None = None
    query: Mapping[str, str] | None = None
    port: int | None = None
    scheme: str | None = None  # http | https
    source_ip: str | None = None

    @property
    def bare_path(self) -> str:
        """The path without its query string."""
        return self.path.split("?", 1)[0] or "/"

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query parameters: those in the path's `?…` first, then `query`."""
        raw = self.path.split("?", 1)[1] if "?" in self.path else ""
        return parse_qsl(raw, keep_blank_values=True) + list((self.query or {}).items())

    def query_string(self) -> str:
        """The query string as sent (no leading '?'); '' when there is none."""
        raw = self.path.split("?", 1)[1] if "?" in self.path else ""
        extra = "&".join(f"{k}={v}" if v != "" else k for k, v in (self.query or {}).items())
        return "&".join(part for part in (raw, extra) if part)

    def header(self, name: str) -> str | None:
        """The value of a header (name case-insensitive); the Host header is the request's host."""
        wanted = name.lower()
        if wanted == "host":
            return self.host
        return next((v for k, v in (self.headers or {}).items() if k.lower() == wanted), None)


def status_number(code: str) -> int | None:
    """An HTTP status code from the spec's spelling (`HTTP_301`, `503`, GCP's `FOUND` …); None: unknown."""
    if code.removeprefix("HTTP_").isdigit():
        return int(code.removeprefix("HTTP_"))
    return _GCP_REDIRECT_CODES.get(code)


_GCP_REDIRECT_CODES = {
    "MOVED_PERMANENTLY_DEFAULT": 301,
    "FOUND": 302,
    "SEE_OTHER": 303,
    "TEMPORARY_REDIRECT": 307,
    "PERMANENT_REDIRECT": 308,
}


# ---- conditions (ALB semantics: `conditions.<name>` is ALB's annotation) -----------------------------------


def wildcard_matches(pattern: str, value: str, ignore_case: bool, escapes: bool = False) -> bool:
    """ALB's value syntax: `*` any characters, `?` exactly one; the whole value must match. `escapes`:
    `\\*`, `\\?` and `\\\\` stand for the literal character (query-string values)."""
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if escapes and char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
        index += 1
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(parts), value, flags) is not None


def source_ip_matches(cidrs: list[str], source_ip: str | None) -> bool:
    """Whether the client address is in one of the CIDR blocks (IPv4 or IPv6)."""
    if source_ip is None:
        return False
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    for cidr in cidrs:
        try:
            if address in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


def query_matches(wanted: list[dict[str, str]], pairs: list[tuple[str, str]], regex: bool = False) -> bool:
    """ALB query-string: some parameter equals one of the key/value pairs (case-insensitive, wildcards, `\\`
    escapes; a pair without a key matches any parameter's value). `regex`: the values are regular expressions
    (the key compares exactly)."""
    for want in wanted:
        for key, value in pairs:
            if regex:
                if (not want.get("key") or want["key"] == key) and re.search(want["value"], value):
                    return True
                continue
            key_ok = not want.get("key") or wildcard_matches(want["key"], key, True, escapes=True)
            if key_ok and wildcard_matches(want["value"], value, True, escapes=True):
                return True
    return False


def condition_matches(condition: Condition, request: Request) -> bool:
    """Whether an extra `conditions.<name>` condition holds for a request (ALB syntax: `*` any characters,
    `?` one; `regex`: a regular expression found in the value). host-header and http-header values and
    query strings compare case-insensitively, paths and methods case-sensitively."""
    field = condition.field
    if field == "http-request-method":
        return request.method in condition.values
    if field == "source-ip":
        return source_ip_matches(condition.values, request.source_ip)
    if field == "query-string":
        return query_matches(condition.query or [], request.query_pairs(), condition.regex)
    if field == "host-header":
        subject: str | None = normalise_host(request.host)
    elif field == "path-pattern":
        subject = request.bare_path
    else:  # http-header
        subject = request.header(condition.header_name or "")
    if subject is None:
        return False
    ignore_case = field != "path-pattern"
    if condition.regex:
        flags = re.IGNORECASE if field == "host-header" else 0
        return any(re.search(value, subject, flags) is not None for value in condition.values)
    return any(wildcard_matches(value, subject, ignore_case) for value in condition.values)


def _joined(own: bool | None, extra: list[bool]) -> bool:
    """One ALB condition made of the rule's own host (path) and the annotation's values: any may match."""
    candidates = ([own] if own is not None else []) + extra
    if not candidates:
        return True
    return any(candidates)


def rule_matches(rule: Rule, request: Request, deeper_hosts: bool = False) -> bool:
    """A rule for a request: its host-header (path-pattern) conditions join its host (path), as
    aws-load-balancer-controller builds them; every other condition must hold too. `deeper_hosts`: a
    `*.example.com` host also covers deeper names (Gateway API hostnames)."""
    by_field: dict[str, list[bool]] = {}
    for condition in rule.conditions:
        by_field.setdefault(condition.field, []).append(condition_matches(condition, request))
    if not all(all(v) for field, v in by_field.items() if field not in ("host-header", "path-pattern")):
        return False
    own_host = host_matches(rule.host, request.host, deeper_hosts) if rule.host is not None else None
    own_path = path_matches(rule.path, request.bare_path) if rule.path is not None else None
    return _joined(own_host, by_field.get("host-header", [])) and _joined(
        own_path, by_field.get("path-pattern", [])
    )


# ---- listeners, redirects, rewrites -----------------------------------------------------------------------


@dataclass(frozen=True)
class RouteResult:
    """What a request reaches: a rule, the default action, or nothing (404). `refused`: the request reaches
    no listener at all (say why). A redirect carries its `status` and the `location` the client gets; a
    forwarded request the `backend_host`/`backend_path` its targets receive; a fixed response its `status`."""

    rule: Rule | None
    action: Action | None
    reason: str
    status: int | None = None
    location: str | None = None
    backend_host: str | None = None
    backend_path: str | None = None
    refused: str | None = None


def select_listener(listeners: list[Listener], request: Request) -> tuple[Listener | None, str | None]:
    """(the listener a request arrives on, why none does). No port nor scheme: the first listener that
    serves requests; otherwise the one on the port (the scheme's by default), which must speak the scheme."""
    if not listeners:
        return None, None
    if request.port is None and request.scheme is None:
        serving = [listener for listener in listeners if listener.redirect_to_https_port is None]
        return (serving or listeners)[0], None
    port = request.port or DEFAULT_PORTS.get(request.scheme or "http", 80)
    listener = next((listener for listener in listeners if listener.port == port), None)
    if listener is None:
        ports = ", ".join(f"{x.protocol}:{x.port}" for x in listeners)
        return None, f"no listener on port {port} (listeners: {ports}): the connection is refused"
    if request.scheme is not None and listener.protocol.lower() != request.scheme.lower():
        return None, (
            f"the listener on port {port} speaks {listener.protocol}, not {request.scheme.upper()}: "
            "the request gets no HTTP answer"
        )
    return listener, None


def _authority(host: str, port: int | None, scheme: str, default_port_omitted: bool) -> str:
    if port is None or (default_port_omitted and DEFAULT_PORTS.get(scheme) == port):
        return host
    return f"{host}:{port}"


def redirect_location(
    redirect: Redirect,
    request: Request,
    protocol: str,
    port: int | None,
    rule: Rule | None = None,
    gateway: bool = False,
) -> str:
    """The Location of a redirect action: ALB's URI components (protocol://host:port/path?query, each kept
    unless given; `#{protocol}`, `#{host}`, `#{port}`, `#{path}` (no leading '/'), `#{query}` reuse the
    request's), or a Gateway API prefix replacement of the path the rule matched. `gateway`: the Gateway API
    RequestRedirect rules: a new scheme without a port takes the scheme's well-known port, and a default port
    (80 for http, 443 for https) is left out."""
    host = normalise_host(request.host)
    path = request.bare_path
    query = request.query_string()
    values = {
        "#{protocol}": protocol.upper(),
        "#{host}": host,
        "#{port}": str(port) if port is not None else "",
        "#{path}": path.lstrip("/"),
        "#{query}": query,
    }

    def fill(text: str | None, default: str) -> str:
        out = default if text is None else text
        for key, value in values.items():
            out = out.replace(key, value)
        return out

    new_protocol = fill(redirect.protocol, "#{protocol}").lower()
    new_host = fill(redirect.host, "#{host}")
    new_port = fill(redirect.port, "#{port}")
    if gateway and redirect.port is None and redirect.protocol is not None:
        new_port = str(DEFAULT_PORTS.get(new_protocol, port or 80))
    if redirect.prefix_path is not None and rule is not None:
        new_path = replace_prefix(rule.path, path, redirect.prefix_path, gateway)
    else:
        new_path = fill(redirect.path, "/#{path}")
    new_query = fill(redirect.query, "#{query}")
    authority = _authority(new_host, int(new_port) if new_port.isdigit() else None, new_protocol, gateway)
    return f"{new_protocol}://{authority}{new_path}" + (f"?{new_query}" if new_query else "")


def replace_prefix(match: PathMatch | None, path: str, replacement: str, gateway: bool = False) -> str:
    """The path with the part the rule matched replaced (rewrite-target and prefix redirects): the Exact
    path; a Prefix with its '/'; the literal part before an ImplementationSpecific trailing '*'; any path:
    the leading '/'. `gateway`: the Gateway API's ReplacePrefixMatch, element-wise with trailing '/'s of the
    prefix and the replacement ignored (`/foo` → `/xyz`: `/foo/bar` → `/xyz/bar`, `/foo` → `/xyz`, and a
    replacement `/` gives `/bar`)."""
    if gateway and (match is None or match.type == PathType.PREFIX):
        base = "" if match is None else match.path.rstrip("/")
        if path != base and not path.startswith(base + "/"):
            return path
        return replacement.rstrip("/") + path[len(base) :] or "/"
    if match is None:
        matched = "/"
    elif match.type == PathType.PREFIX:
        base = match.path.rstrip("/")
        matched = base + "/" if path.startswith(base + "/") else base
        if not base:
            matched = "/"
    elif match.type == PathType.IMPLEMENTATION_SPECIFIC and match.path.endswith("*"):
        matched = match.path[:-1]
    else:
        matched = match.path
    if not path.startswith(matched):
        return path
    return replacement + path[len(matched) :]


def transformed(rule: Rule, host: str, path: str, gateway: bool = False) -> tuple[str, str]:
    """(host, path) as the backend receives them after the rule's rewrites: `transforms.<name>` (the first
    rewrite whose regex matches replaces what it matched, `$1` … its groups), rewrite-target, and the Gateway
    API full-path and hostname rewrites."""
    for transform in rule.transforms:
        url = transform.type == "url-rewrite"
        for rewrite in transform.rewrites:
            pattern = re.compile(rewrite.regex, 0 if url else re.IGNORECASE)
            subject = path if url else host
            if pattern.search(subject) is None:
                continue
            replace = re.sub(r"\$(\d+)", r"\\g<\1>", rewrite.replace.replace("\\", "\\\\"))
            result = pattern.sub(replace, subject, count=1)
            path, host = (result, host) if url else (path, result)
            break
    if rule.rewrite_path_prefix is not None:
        path = replace_prefix(rule.path, path, rule.rewrite_path_prefix, gateway)
    if rule.full_path_rewrite is not None:
        path = rule.full_path_rewrite
    if rule.host_rewrite is not None:
        host = rule.host_rewrite
    return host, path


def outcome(
    rule: Rule | None,
    action: Action | None,
    reason: str,
    request: Request,
    listener: Listener | None,
    gateway: bool = False,
) -> RouteResult:
    """The answer of an action for a request: a redirect's status and Location, a fixed response's status,
    or the host and path a forwarded request reaches its targets with."""
    if action is None:
        return RouteResult(rule, None, reason, status=404)
    if action.type == "redirect" and action.redirect is not None:
        protocol = listener.protocol if listener else (request.scheme or "http")
        port = listener.port if listener else request.port or DEFAULT_PORTS.get(protocol.lower())
        location = redirect_location(action.redirect, request, protocol, port, rule, gateway)
        return RouteResult(rule, action, reason, status_number(action.redirect.status_code), location)
    if action.type == "fixed-response" and action.fixed_response is not None:
        return RouteResult(rule, action, reason, status_number(action.fixed_response.status_code))
    host, path = normalise_host(request.host), request.bare_path
    if rule is not None:
        host, path = transformed(rule, host, path, gateway)
    return RouteResult(rule, action, reason, backend_host=host, backend_path=path)


def first_match(spec: LoadBalancerSpec, request: Request) -> RouteResult:
    """Evaluate the ordered rules of a spec for a request on the listener it arrives at: an HTTP listener
    redirecting to HTTPS answers with that redirect; rules limited to other listeners are skipped."""
    gateway = spec.frontend.managed_routing
    listener, refused = select_listener(spec.frontend.listeners, request)
    if refused is not None:
        return RouteResult(None, None, refused, refused=refused)
    if listener is not None and listener.redirect_to_https_port is not None:
        gcp = listener.redirect_code is not None  # GCLB's httpsRedirect: the default port is left out
        code = status_number(listener.redirect_code or "HTTP_301")
        port = listener.redirect_to_https_port
        query = request.query_string()
        location = (
            f"https://{_authority(normalise_host(request.host), port, 'https', gcp)}{request.bare_path}"
            + (f"?{query}" if query else "")
        )
        reason = f"{listener.protocol}:{listener.port} redirects to HTTPS:{port}"
        return RouteResult(None, None, reason, status=code, location=location)
    for rule in spec.rules:
        if listener is not None and rule.listen_ports and listener.port not in rule.listen_ports:
            continue
        if rule_matches(rule, request, gateway):
            return outcome(rule, rule.action, f"matched {rule.source}", request, listener, gateway)
    if spec.default_action is not None:
        reason = "no rule matched: default backend"
        return outcome(None, spec.default_action, reason, request, listener, gateway)
    return RouteResult(None, None, "no rule matched and no default backend: 404", status=404)
