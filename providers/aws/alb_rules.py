"""ALB listener-rule conditions: building them from Ingress rules, ALB's limits, and ALB's own matching.

ALB semantics (not Ingress semantics): `path-pattern` is case-sensitive, `*` matches any characters
including '/', `?` exactly one; `host-header` is case-insensitive and its `*` also crosses '.'.
Conditions of a rule are ANDed, the values of one condition ORed.
"""

from __future__ import annotations

import re
from typing import Any

from lbctl.model import limits
from lbctl.model.matching import (
    Request,
    normalise_host,
    query_matches,
    source_ip_matches,
    wildcard_matches,
)
from lbctl.model.spec import Condition, PathMatch, PathType, Rule

MAX_CONDITION_VALUES = 5  # per rule, all conditions together
MAX_RULES_PER_LISTENER = 100
HOST_PATH_FIELDS = ("host-header", "path-pattern")


def path_values(match: PathMatch | None) -> list[str]:
    """Path-pattern values giving the Ingress path semantics on ALB; [] = any path (or a regex path)."""
    if match is None or match.regex:
        return []
    if match.type == PathType.PREFIX:
        base = match.path.rstrip("/")
        # `/foo` and `/foo/*`: matches /foo, /foo/ and /foo/bar but never /foobar.
        return ["/*"] if not base else [base, base + "/*"]
    return [match.path]  # Exact, and ImplementationSpecific in ALB syntax


def host_regex(host: str) -> str:
    """A regex giving the one-label Ingress semantics of `*.example.com`."""
    return "^[^.]+" + re.escape(host[1:]) + "$"


def wildcard_regex(value: str) -> str:
    """The regex matching exactly what an ALB wildcard value (`*` any characters, `?` one) matches."""
    return "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in value) + "$"


def rule_conditions(
    rule: Rule, regex_hosts: bool = True, suffix_hosts: bool = False
) -> tuple[list[dict[str, Any]], list[str]]:
    """ALB conditions for a spec rule, and fidelity warnings naming the rule. The host-header and path-pattern
    values of `conditions.<name>` join the rule's own host and path in one condition each (any may match), as
    aws-load-balancer-controller builds them; when one side is a regex, wildcard values become the regexes
    matching the same requests (ALB takes values or regexValues in one condition, never both).
    `suffix_hosts`: the rule's `*.example.com` covers any deeper name (Gateway API), as ALB's own wildcard."""
    warnings: list[str] = []
    hosts: tuple[list[str], list[str]] = ([], [])  # (wildcard values, regexes)
    paths: tuple[list[str], list[str]] = ([], [])
    if rule.host:
        wildcard = rule.host.startswith("*.")
        if suffix_hosts:
            hosts[0].append(rule.host)
        elif wildcard and regex_hosts and len(host_regex(rule.host)) <= limits.ALB_MAX_CONDITION_VALUE:
            hosts[1].append(host_regex(rule.host))
        else:
            hosts[0].append(rule.host)
            if wildcard:
                warnings.append(
                    f"{rule.source}: host {rule.host!r} covers exactly one DNS label in Kubernetes, but an ALB "
                    f"host-header wildcard also matches deeper names (e.g. a.b{rule.host[1:]}); such requests "
                    "reach this rule on AWS"
                )
    if (
        rule.path is not None
        and not rule.path.regex
        and rule.path.type != PathType.IMPLEMENTATION_SPECIFIC
        and re.search(r"[*?]", rule.path.path)
    ):
        warnings.append(
            f"{rule.source}: path {rule.path.path!r} contains '*' or '?', which ALB treats as wildcards, "
            "not literal characters"
        )
    if rule.path is not None and rule.path.regex:
        paths[1].append(rule.path.path)
    paths[0].extend(path_values(rule.path))
    others = []
    for condition in rule.conditions:
        if condition.field in HOST_PATH_FIELDS:
            joined = hosts if condition.field == "host-header" else paths
            joined[1 if condition.regex else 0].extend(condition.values)
        else:
            others.append(extra_condition(condition))
    conditions: list[dict[str, Any]] = []
    for field, (values, regexes) in (("host-header", hosts), ("path-pattern", paths)):
        if regexes:
            config = {"RegexValues": regexes + [wildcard_regex(v) for v in values]}
        elif values:
            config = {"Values": values}
        else:
            continue
        conditions.append({"Field": field, _CONFIG_KEYS[field]: config})
    conditions.extend(others)
    if not conditions:  # ALB needs at least one condition: a rule for any host and any path
        conditions.append({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}})
    return conditions, warnings


def extra_condition(condition: Condition) -> dict[str, Any]:
    """An ALB condition from a `conditions.<name>` entry (host-header and path-pattern: see rule_conditions)."""
    field = condition.field
    key = "RegexValues" if condition.regex else "Values"
    if field == "host-header":
        return {"Field": field, "HostHeaderConfig": {key: list(condition.values)}}
    if field == "path-pattern":
        return {"Field": field, "PathPatternConfig": {key: list(condition.values)}}
    if field == "http-header":
        return {
            "Field": field,
            "HttpHeaderConfig": {"HttpHeaderName": condition.header_name, key: list(condition.values)},
        }
    if field == "http-request-method":
        return {"Field": field, "HttpRequestMethodConfig": {"Values": list(condition.values)}}
    if field == "query-string":
        pairs = [
            {"Key": q["key"], "Value": q["value"]} if q.get("key") else {"Value": q["value"]}
            for q in condition.query or []
        ]
        return {"Field": field, "QueryStringConfig": {"Values": pairs}}
    return {"Field": field, "SourceIpConfig": {"Values": list(condition.values)}}


def prefix_match_rewrite(prefix: str, replacement: str) -> dict[str, Any]:
    """The url-rewrite of Gateway API `ReplacePrefixMatch`: the matched path elements are replaced, the rest is
    kept (`/foo` → `/xyz`: `/foo` → `/xyz`, `/foo/bar` → `/xyz/bar`; → `/`: `/foo/bar` → `/bar`)."""
    base = re.escape(prefix.rstrip("/"))
    target = replacement.rstrip("/")
    if not target:  # to the root: drop the prefix and keep one '/'
        return {"Rewrites": [{"Regex": f"^{base}/?(.*)$", "Replace": "/$1"}]}
    if not base:  # from the root: everything goes below the replacement
        return {"Rewrites": [{"Regex": "^/(.*)$", "Replace": f"{target}/$1"}]}
    return {"Rewrites": [{"Regex": f"^{base}(/.*)?$", "Replace": f"{target}$1"}]}


def rule_transforms(rule: Rule, gateway: bool = False) -> list[dict[str, Any]]:
    """ALB transforms of a spec rule: `transforms.<name>`, and rewrite-target as the url-rewrite replacing the
    part of the path the rule matched (GCE's pathPrefixRewrite: the Exact path; a Prefix with its '/'; the
    literal part before an ImplementationSpecific trailing '*'). `gateway`: the rules are Gateway API routes,
    whose `rewrite_path_prefix` is ReplacePrefixMatch; their full-path and hostname rewrites too."""
    out = [
        {
            "Type": t.type,
            _TRANSFORM_KEYS[t.type]: {
                "Rewrites": [{"Regex": r.regex, "Replace": r.replace} for r in t.rewrites]
            },
        }
        for t in rule.transforms
    ]
    if rule.full_path_rewrite is not None:  # Gateway API URLRewrite ReplaceFullPath
        rewrite = {"Rewrites": [{"Regex": "^.*$", "Replace": rule.full_path_rewrite}]}
        out.append({"Type": "url-rewrite", "UrlRewriteConfig": rewrite})
    if rule.host_rewrite is not None:  # Gateway API URLRewrite hostname
        rewrite = {"Rewrites": [{"Regex": "^.*$", "Replace": rule.host_rewrite}]}
        out.append({"Type": "host-header-rewrite", "HostHeaderRewriteConfig": rewrite})
    target = rule.rewrite_path_prefix
    if target is not None and gateway and rule.path is not None and rule.path.type == PathType.PREFIX:
        out.append({"Type": "url-rewrite", "UrlRewriteConfig": prefix_match_rewrite(rule.path.path, target)})
    elif target is not None:
        match = rule.path
        if match is None:
            regex = "^/(.*)$"
        elif match.type == PathType.PREFIX:
            base = match.path.rstrip("/")
            regex = f"^{re.escape(base)}/?(.*)$" if base else "^/(.*)$"
        elif match.type == PathType.IMPLEMENTATION_SPECIFIC and match.path.endswith("*"):
            regex = f"^{re.escape(match.path[:-1])}(.*)$"
        else:
            regex = f"^{re.escape(match.path)}(.*)$"
        rewrite = {"Rewrites": [{"Regex": regex, "Replace": target + "$1"}]}
        out.append({"Type": "url-rewrite", "UrlRewriteConfig": rewrite})
    return out


_TRANSFORM_KEYS = {"url-rewrite": "UrlRewriteConfig", "host-header-rewrite": "HostHeaderRewriteConfig"}


def needless(
    conditions: list[dict[str, Any]], actions: list[dict[str, Any]], kept: list[Any], port: int, protocol: str
) -> bool:
    """A rule aws-load-balancer-controller leaves off a listener: a redirect to the very URL it matched on
    this listener (it would loop forever, e.g. a redirect-to-HTTPS action on the HTTPS listener), or a rule
    every request of which an earlier redirect rule already takes (`kept`: the listener's rules so far)."""
    if _redirects_to_itself(conditions, actions, port, protocol):
        return True
    return any(_redirect(r.actions) is not None and _covers(r.conditions, conditions) for r in kept)


def _redirect(actions: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((a["RedirectConfig"] for a in actions if a["Type"] == "redirect"), None)


def _host_path_values(conditions: list[dict[str, Any]]) -> tuple[set[str], set[str], bool]:
    """(host patterns, path patterns, whether there is a condition on anything else); a regex is kept as
    `~regex`, so that a regex and a wildcard value of the same text never count as one pattern."""
    hosts: set[str] = set()
    paths: set[str] = set()
    other = False
    for condition in conditions:
        if condition["Field"] in HOST_PATH_FIELDS:
            config, key = _values_key(condition)
            found = {("~" + v if key == "RegexValues" else v) for v in config[key]}
            (hosts if condition["Field"] == "host-header" else paths).update(found)
        else:
            other = True
    return hosts, paths, other


def _redirects_to_itself(
    conditions: list[dict[str, Any]], actions: list[dict[str, Any]], port: int, protocol: str
) -> bool:
    redirect = _redirect(actions)
    if redirect is None:
        return False
    if any(c["Field"] == "path-pattern" and c["PathPatternConfig"].get("RegexValues") for c in conditions):
        return False
    hosts, paths, _ = _host_path_values(conditions)  # a literal redirect host or path never equals a `~regex`
    host, path = redirect.get("Host"), redirect.get("Path")
    return (
        (host is None or host == "#{host}" or host in hosts)
        and (path is None or path == "/#{path}" or path in paths)
        and (redirect.get("Port") in (None, "#{port}", str(port)))
        and (redirect.get("Protocol") in (None, "#{protocol}", protocol))
        and (redirect.get("Query") in (None, "#{query}"))
    )


def _covers(earlier: list[dict[str, Any]], later: list[dict[str, Any]]) -> bool:
    """Every request `later` matches, `earlier` matches first (host and path conditions compared as sets)."""
    hosts, paths, other = _host_path_values(earlier)
    if other:
        return False
    later_hosts, later_paths, _ = _host_path_values(later)
    host_covered = not hosts or (bool(later_hosts) and later_hosts <= hosts)
    path_covered = not paths or "/*" in paths or (bool(later_paths) and later_paths <= paths)
    return host_covered and path_covered


_CONFIG_KEYS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-header": "HttpHeaderConfig",
    "http-request-method": "HttpRequestMethodConfig",
    "query-string": "QueryStringConfig",
    "source-ip": "SourceIpConfig",
}


def _values_key(condition: dict[str, Any]) -> tuple[dict[str, Any], str]:
    config = condition[_CONFIG_KEYS[condition["Field"]]]
    return config, "RegexValues" if "RegexValues" in config else "Values"


def value_count(conditions: list[dict[str, Any]]) -> int:
    total = 0
    for condition in conditions:
        config, key = _values_key(condition)
        total += len(config[key])
    return total


def split_conditions(conditions: list[dict[str, Any]]) -> list[list[dict[str, Any]]] | None:
    """Split a rule whose conditions hold more than 5 values into rules with ≤ 5 each (values of one
    condition are ORed, so spreading them over several rules keeps the meaning). None: impossible."""
    if value_count(conditions) <= MAX_CONDITION_VALUES:
        return [conditions]
    widest = max(
        range(len(conditions)),
        key=lambda i: len(_values_key(conditions[i])[0][_values_key(conditions[i])[1]]),
    )
    config, key = _values_key(conditions[widest])
    values = config[key]
    if len(values) < 2:
        return None
    out: list[list[dict[str, Any]]] = []
    for half in (values[: len(values) // 2], values[len(values) // 2 :]):
        copy = [dict(c) for c in conditions]
        config_key = _CONFIG_KEYS[copy[widest]["Field"]]
        copy[widest][config_key] = {**config, key: half}
        parts = split_conditions(copy)
        if parts is None:
            return None
        out.extend(parts)
    return out


# --------------------------------------------------------------------------- ALB matching


def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), flags | re.DOTALL
    )


def alb_path_matches(pattern: str, path: str) -> bool:
    """ALB path-pattern: case-sensitive, `*` any characters (also '/'), `?` one character."""
    return _glob(pattern).fullmatch(path) is not None


def alb_host_matches(pattern: str, host: str) -> bool:
    """ALB host-header: case-insensitive, `*` any characters (also '.'), `?` one character."""
    return _glob(pattern.lower(), re.IGNORECASE).fullmatch(normalise_host(host)) is not None


def condition_matches(condition: dict[str, Any], request: Request) -> bool:
    """Whether an ALB condition holds for the request. RegexValues are found anywhere in the value unless
    anchored (host-header ones case-insensitively); wildcard values compare case-insensitively except paths;
    methods exactly; source-ip against the client address."""
    field = condition["Field"]
    config, key = _values_key(condition)
    values = config[key]
    if field == "http-request-method":
        return request.method in values
    if field == "source-ip":
        return source_ip_matches(values, request.source_ip)
    if field == "query-string":
        wanted = [{"key": v.get("Key", ""), "value": v["Value"]} for v in values]
        return query_matches(wanted, request.query_pairs())
    if field == "host-header":
        subject: str | None = normalise_host(request.host)
    elif field == "path-pattern":
        subject = request.bare_path
    else:
        subject = request.header(config["HttpHeaderName"])
    if subject is None:
        return False
    if key == "RegexValues":
        flags = re.IGNORECASE if field == "host-header" else 0
        return any(re.search(v, subject, flags) for v in values)
    if field == "host-header":
        return any(alb_host_matches(v, subject) for v in values)
    if field == "path-pattern":
        return any(alb_path_matches(v, subject) for v in values)
    return any(wildcard_matches(v, subject, True) for v in values)


def rule_matches(conditions: list[dict[str, Any]], request: Request) -> bool:
    """Every condition of the rule holds (ALB ANDs conditions and ORs the values of one)."""
    return all(condition_matches(c, request) for c in conditions)


def redirect_location(config: dict[str, Any], request: Request, protocol: str, port: int) -> str:
    """The Location an ALB redirect action answers with: protocol://host:port/path?query, each component the
    request's unless the action sets it (`#{protocol}`, `#{host}`, `#{port}`, `#{path}`, `#{query}` reuse
    the request's; `#{path}` without its leading '/')."""
    values = {
        "#{protocol}": protocol,
        "#{host}": normalise_host(request.host),
        "#{port}": str(port),
        "#{path}": request.bare_path.lstrip("/"),
        "#{query}": request.query_string(),
    }

    def component(name: str, default: str) -> str:
        text = config.get(name) or default
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    query = component("Query", "#{query}")
    return (
        f"{component('Protocol', '#{protocol}').lower()}://{component('Host', '#{host}')}"
        f":{component('Port', '#{port}')}{component('Path', '/#{path}')}" + (f"?{query}" if query else "")
    )


def rewritten(transforms: list[dict[str, Any]], host: str, path: str) -> tuple[str, str]:
    """(host, path) as the targets receive them after the rule's transforms: the first rewrite whose regex
    matches replaces what it matched (`$1` … its groups); no match leaves the value as it was."""
    for transform in transforms:
        config = transform[_TRANSFORM_KEYS[transform["Type"]]]
        for rewrite in config["Rewrites"]:
            pattern = re.compile(rewrite["Regex"], re.IGNORECASE if transform["Type"] != "url-rewrite" else 0)
            subject = path if transform["Type"] == "url-rewrite" else normalise_host(host)
            if pattern.search(subject) is None:
                continue
            replace = re.sub(r"\$(\d+)", r"\\g<\1>", rewrite["Replace"].replace("\\", "\\\\"))
            result = pattern.sub(replace, subject, count=1)
            if transform["Type"] == "url-rewrite":
                path = result
            else:
                host = result
            break
    return host, path
