"""Limits and character sets the clouds enforce on values taken from Ingresses and annotations, checked in the
model so that `lbctl validate` refuses them and the controller reports them as a Warning on the Ingress
instead of looping on a cloud rejection.

Pure: no SDK. ALB figures are from the Elastic Load Balancing API reference and the ALB listener-rule
condition docs (path-pattern, host-header, http-header, query-string, fixed-response, redirect, tags).
Each check returns None when the value is fine, else the reason with the expected form.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from lbctl.model.problems import shorten

if TYPE_CHECKING:
    from lbctl.model.objects import Ingress

# --------------------------------------------------------------------------- any cloud


def control_character(value: str, allowed: str = "") -> str | None:
    """The first control character (C0, DEL, C1) in `value` not in `allowed`, as U+XXXX, else None."""
    for char in value:
        if char not in allowed and (ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F):
            return f"U+{ord(char):04X}"
    return None


def path_problem(path: str) -> str | None:
    """An Ingress path as any cloud sees it: no control characters (a request line cannot carry them)."""
    found = control_character(path)
    return f"contains the control character {found}; expected printable characters only" if found else None


def ingress_problems(ingress: Ingress, provider: str, regex_paths: bool = False) -> list[tuple[str, str]]:
    """(field, message) for each host or path of the Ingress the provider's cloud would refuse;
    `regex_paths`: ImplementationSpecific paths are regular expressions (ALB use-regex-path-match)."""
    found = [
        (f"spec.rules[{i}].http.paths[{j}].path", f"{shorten(path.path)} {reason}")
        for i, rule in enumerate(ingress.rules)
        for j, path in enumerate(rule.paths)
        if (reason := path_problem(path.path))
    ]
    return found + (alb_ingress_problems(ingress, regex_paths) if provider == "aws" else [])


# --------------------------------------------------------------------------- ALB

ALB_MAX_CONDITION_VALUE = 128  # path-pattern, host-header, http-header and query-string values
ALB_MAX_HEADER_NAME = 40
ALB_MAX_METHOD = 40
ALB_MAX_MESSAGE_BODY = 1024  # fixed-response MessageBody
ALB_MAX_REDIRECT_FIELD = 128  # redirect Host, Path and Query
ALB_MAX_HEALTH_CHECK_PATH = 1024
ALB_MAX_TAGS = 50  # per load balancer, target group or security group (TooManyTags)
ALB_MAX_TAG_KEY = 128
ALB_MAX_TAG_VALUE = 256
LBCTL_OWN_TAGS = 7  # ownership (cluster, stack, resource) and bookkeeping tags lbctl may add to one resource
MAX_USER_TAGS = ALB_MAX_TAGS - LBCTL_OWN_TAGS

ALB_PATH_CHARS = "A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & and the wildcards * ?"
ALB_HOST_CHARS = (
    "A-Z, a-z, 0-9, - _ . and the wildcards * ?, with at least one '.' and only letters after the last"
)
ALB_HEADER_NAME_CHARS = "A-Z, a-z, 0-9 and * ? - ! # $ % & ' + . ^ _ ` | ~"
ALB_HEADER_VALUE_CHARS = "printable ASCII characters and spaces, except '\\'"
ALB_QUERY_CHARS = "A-Z, a-z, 0-9, _ - . $ / ~ \" ' @ : + & ( ) ! , ; = and the wildcards * ?"
ALB_METHOD_CHARS = "A-Z, - and _"
TAG_CHARS = "letters, digits, spaces and _ . : / = + - @"

_ALB_PATH = re.compile(r"[A-Za-z0-9_\-.$/~\"'@:+&*?]*")
_ALB_HOST = re.compile(r"[A-Za-z0-9\-_.*?]*\.[A-Za-z*?]+")
_ALB_HEADER_NAME = re.compile(r"[A-Za-z0-9*?\-!#$%&'+.^_`|~]+")
_ALB_HEADER_VALUE = re.compile(r"[\x20-\x5b\x5d-\x7e]+")
_ALB_QUERY = re.compile(r"[A-Za-z0-9_\-.$/~\"'@:+&()!,;=*?]*")
_ALB_METHOD = re.compile(r"[A-Z_\-]+")
_TAG_SYMBOLS = set("_.:/=+-@")


def _length(value: str, limit: int, what: str) -> str | None:
    if len(value) > limit:
        return f"is {len(value)} characters; ALB {what} values hold at most {limit}"
    return None


def alb_path_pattern_problem(value: str, what: str = "path-pattern") -> str | None:
    """One ALB path-pattern value: at most 128 characters of ALB's path character set."""
    if len(value) > ALB_MAX_CONDITION_VALUE:
        return f"is {len(value)} characters; expected at most {ALB_MAX_CONDITION_VALUE} (ALB {what} values)"
    if not _ALB_PATH.fullmatch(value):
        bad = next(c for c in value if not _ALB_PATH.fullmatch(c))
        return f"contains {bad!r}; expected only {ALB_PATH_CHARS} (ALB {what} values)"
    return None


def alb_ingress_path_problem(path: str, path_type: str) -> str | None:
    """An Ingress path as ALB path-pattern values: a Prefix `/p` becomes `/p` and `/p/*`, so it may hold at
    most 126 characters (without its trailing '/')."""
    if path_type == "Prefix":
        base = path.rstrip("/")
        if len(base) + 2 > ALB_MAX_CONDITION_VALUE:
            return (
                f"is {len(base)} characters; expected at most {ALB_MAX_CONDITION_VALUE - 2} for pathType Prefix "
                f"(ALB matches it as '{shorten(base, 12)[1:-1]}/*', and path-pattern values hold at most "
                f"{ALB_MAX_CONDITION_VALUE} characters)"
            )
    return alb_path_pattern_problem(path)


def alb_host_problem(host: str) -> str | None:
    """One ALB host-header value: at most 128 characters of ALB's host character set."""
    if len(host) > ALB_MAX_CONDITION_VALUE:
        return (
            f"is {len(host)} characters; expected at most {ALB_MAX_CONDITION_VALUE} (ALB host-header values)"
        )
    if not _ALB_HOST.fullmatch(host):
        return f"is not a host ALB accepts; expected {ALB_HOST_CHARS} (ALB host-header values)"
    return None


def alb_ingress_problems(ingress: Ingress, regex_paths: bool = False) -> list[tuple[str, str]]:
    """(field, message) for each host or path of the Ingress an ALB listener rule cannot hold."""
    found: list[tuple[str, str]] = []
    for i, rule in enumerate(ingress.rules):
        if rule.host is not None and (reason := alb_host_problem(rule.host)):
            found.append((f"spec.rules[{i}].host", f"{shorten(rule.host)} {reason}"))
        for j, path in enumerate(rule.paths):
            if regex_paths and path.path_type == "ImplementationSpecific":
                reason = alb_regex_problem(path.path[1:], "path-pattern") if path.path else None
            else:
                reason = alb_ingress_path_problem(path.path, path.path_type) if path.path else None
            if reason:
                found.append((f"spec.rules[{i}].http.paths[{j}].path", f"{shorten(path.path)} {reason}"))
    return found


# What ALB's regular expressions lack (listener rules docs): lookarounds, backreferences, atomic groups,
# possessive quantifiers, recursion/subroutines and Unicode classes.
_REGEX_UNSUPPORTED = re.compile(
    r"(\\[1-9]|\\k<|\\[pP])|\\.|(\(\?[=!>]|\(\?<[=!]|\(\?R\)|\(\?[0-9&+-]|[*+?}]\+)"
)


def alb_regex_problem(value: str, what: str) -> str | None:
    """One ALB regular expression (`RegexValues`, transform `Regex`): at most 128 characters, a valid regular
    expression without the features ALB lacks."""
    if not value:
        return f"is empty; expected a regular expression (ALB {what} regex values)"
    if len(value) > ALB_MAX_CONDITION_VALUE:
        return f"is {len(value)} characters; expected at most {ALB_MAX_CONDITION_VALUE} (ALB {what} regex values)"
    try:
        re.compile(value)
    except re.error as err:
        return f"is not a regular expression ({err})"
    for match in _REGEX_UNSUPPORTED.finditer(value):
        if match.group(1) or match.group(2):
            return (
                f"uses {match.group(1) or match.group(2)!r}; ALB regular expressions have no lookarounds, backreferences, "
                "atomic groups, possessive quantifiers, recursion or Unicode classes"
            )
    return None


def _values(values: list[str], where: str, check: Callable[[str], str | None]) -> None:
    for k, value in enumerate(values):
        _one(value, f"{where}[{k}]", check)


def _one(value: str, where: str, check: Callable[[str], str | None]) -> None:
    reason = check(value)
    if reason:
        raise ValueError(f"at ${where}: {shorten(value, 40)} {reason}")


def _cidr(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "is not a CIDR like 10.0.0.0/16 or ::/0"
    return None


def _pattern(regex: re.Pattern[str], limit: int, chars: str, what: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        if len(value) > limit:
            return f"is {len(value)} characters; expected at most {limit} (ALB {what})"
        if not regex.fullmatch(value):
            return f"has a character ALB refuses; expected only {chars} (ALB {what})"
        return None

    return check


def check_alb_conditions(conditions: list[dict[str, Any]]) -> None:
    """Values of a `conditions.<name>` annotation ALB would refuse (raises ValueError naming the JSON path)."""
    header_value = _pattern(
        _ALB_HEADER_VALUE, ALB_MAX_CONDITION_VALUE, ALB_HEADER_VALUE_CHARS, "http-header values"
    )
    query = _pattern(_ALB_QUERY, ALB_MAX_CONDITION_VALUE, ALB_QUERY_CHARS, "query-string keys and values")
    method = _pattern(_ALB_METHOD, ALB_MAX_METHOD, ALB_METHOD_CHARS, "http-request-method values")
    header_name = _pattern(_ALB_HEADER_NAME, ALB_MAX_HEADER_NAME, ALB_HEADER_NAME_CHARS, "http-header names")
    for i, item in enumerate(conditions):
        field = item["field"]
        if field in ("host-header", "path-pattern", "http-header") and "regexValues" in item.get(
            _MATCHER_CONFIG[field], {}
        ):
            key = _MATCHER_CONFIG[field]
            if field == "http-header":
                _one(item[key]["httpHeaderName"], f"[{i}].{key}.httpHeaderName", header_name)
            _values(
                item[key]["regexValues"],
                f"[{i}].{key}.regexValues",
                partial(alb_regex_problem, what=field),
            )
        elif field == "host-header":
            _values(item["hostHeaderConfig"]["values"], f"[{i}].hostHeaderConfig.values", alb_host_problem)
        elif field == "path-pattern":
            _values(
                item["pathPatternConfig"]["values"],
                f"[{i}].pathPatternConfig.values",
                alb_path_pattern_problem,
            )
        elif field == "http-header":
            config = item["httpHeaderConfig"]
            _one(config["httpHeaderName"], f"[{i}].httpHeaderConfig.httpHeaderName", header_name)
            _values(config["values"], f"[{i}].httpHeaderConfig.values", header_value)
        elif field == "http-request-method":
            config = item["httpRequestMethodConfig"]
            key = "values" if "values" in config else "Values"
            _values(config[key], f"[{i}].httpRequestMethodConfig.{key}", method)
        elif field == "query-string":
            for k, pair in enumerate(item["queryStringConfig"]["values"]):
                where = f"[{i}].queryStringConfig.values[{k}]"
                _one(pair.get("key", ""), f"{where}.key", query)
                _one(pair["value"], f"{where}.value", query)
        elif field == "source-ip":
            _values(item["sourceIpConfig"]["values"], f"[{i}].sourceIpConfig.values", _cidr)


_MATCHER_CONFIG = {
    "host-header": "hostHeaderConfig",
    "path-pattern": "pathPatternConfig",
    "http-header": "httpHeaderConfig",
}


def check_alb_transforms(transforms: list[dict[str, Any]]) -> None:
    """A `transforms.<name>` annotation ALB would refuse: one transform of each type, valid regexes and
    printable replacements (raises ValueError naming the JSON path)."""
    seen: set[str] = set()
    for i, item in enumerate(transforms):
        kind = item["type"]
        if kind in seen:
            raise ValueError(
                f"at $[{i}].type: a second {kind}; ALB takes one of each transform type per rule"
            )
        seen.add(kind)
        key = "urlRewriteConfig" if kind == "url-rewrite" else "hostHeaderRewriteConfig"
        for k, rewrite in enumerate(item[key]["rewrites"]):
            where = f"[{i}].{key}.rewrites[{k}]"
            _one(rewrite["regex"], f"{where}.regex", partial(alb_regex_problem, what=kind))
            _one(rewrite["replace"], f"{where}.replace", _replacement)


def _replacement(value: str) -> str | None:
    if len(value) > ALB_MAX_CONDITION_VALUE:
        return f"is {len(value)} characters; expected at most {ALB_MAX_CONDITION_VALUE} (ALB rewrite replacements)"
    found = control_character(value)
    return f"contains the control character {found}; expected printable characters" if found else None


def _message_body(body: str) -> str | None:
    size = len(body.encode("utf-8", "surrogatepass"))
    if size > ALB_MAX_MESSAGE_BODY:
        return f"is {size} bytes; expected at most {ALB_MAX_MESSAGE_BODY} bytes (ALB fixed-response body)"
    found = control_character(body, allowed="\t\n\r")
    if found:
        return f"contains the control character {found}; expected text (tabs and line breaks allowed)"
    return None


def _redirect_field(value: str) -> str | None:
    if len(value) > ALB_MAX_REDIRECT_FIELD:
        return f"is {len(value)} characters; expected at most {ALB_MAX_REDIRECT_FIELD} (ALB redirect fields)"
    found = control_character(value)
    return f"contains the control character {found}; expected printable characters" if found else None


def check_alb_action(action: dict[str, Any]) -> None:
    """Values of an `actions.<name>` annotation ALB would refuse (raises ValueError naming the JSON path)."""
    fixed = action.get("fixedResponseConfig")
    if fixed is not None and "messageBody" in fixed:
        _one(fixed["messageBody"], ".fixedResponseConfig.messageBody", _message_body)
    redirect = action.get("redirectConfig")
    for key in ("host", "path", "query"):
        if redirect is not None and key in redirect:
            _one(redirect[key], f".redirectConfig.{key}", _redirect_field)


def health_check_path_problem(path: str) -> str | None:
    """A health check path: '/' then printable ASCII, at most 1024 characters (ALB and Google Cloud)."""
    if len(path) > ALB_MAX_HEALTH_CHECK_PATH:
        return f"is {len(path)} characters; expected at most {ALB_MAX_HEALTH_CHECK_PATH}"
    if not re.fullmatch(r"/[\x21-\x7e]*", path):
        return "is not a path; expected '/' followed by printable ASCII characters (no spaces or control characters)"
    return None


def _tag_text_ok(text: str) -> bool:
    return all(c in _TAG_SYMBOLS or unicodedata.category(c)[0] in "LNZ" for c in text)


def tag_problem(key: str, value: str) -> str | None:
    """An AWS tag: key 1-128 characters not starting with 'aws:' (nor lbctl's own 'lbctl.io/'), value 0-256,
    both of letters, digits, spaces and _ . : / = + - @."""
    if not 1 <= len(key) <= ALB_MAX_TAG_KEY:
        return f"key {shorten(key, 40)} is {len(key)} characters; expected 1 to {ALB_MAX_TAG_KEY}"
    if key.lower().startswith("aws:"):
        return f"key {shorten(key, 40)} starts with 'aws:', which AWS reserves; expected another key"
    if key.startswith("lbctl.io/"):
        return f"key {shorten(key, 40)} starts with 'lbctl.io/', which lbctl reserves for its ownership tags"
    if len(value) > ALB_MAX_TAG_VALUE:
        return f"value of {shorten(key, 40)} is {len(value)} characters; expected at most {ALB_MAX_TAG_VALUE}"
    for what, text in (("key", key), ("value of " + shorten(key, 40), value)):
        if not _tag_text_ok(text):
            bad = next(c for c in text if not _tag_text_ok(c))
            return f"{what if what != 'key' else 'key ' + shorten(key, 40)} contains {bad!r}; expected {TAG_CHARS}"
    return None


def check_tags(tags: dict[str, str]) -> None:
    """The `tags` annotation: each tag valid, and room left for lbctl's own tags (raises ValueError)."""
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(
            f"{len(tags)} tags; expected at most {MAX_USER_TAGS} (AWS allows {ALB_MAX_TAGS} per "
            f"resource and lbctl adds up to {LBCTL_OWN_TAGS} of its own)"
        )
    for key, value in tags.items():
        reason = tag_problem(key, value)
        if reason:
            raise ValueError(reason)


def check_capacity_reservation(value: dict[str, str]) -> None:
    """`minimum-load-balancer-capacity`: exactly CapacityUnits, an int32 (as the anchor reads it)."""
    if set(value) != {"CapacityUnits"}:
        extra = sorted(set(value) - {"CapacityUnits"})
        raise ValueError(f"invalid key {extra[0]!r}" if extra else "CapacityUnits is missing")
    units = value["CapacityUnits"]
    if not (units.isascii() and units.isdigit()) or int(units) > 2**31 - 1:
        raise ValueError(f"CapacityUnits {units!r} is not a whole number from 0 to 2147483647")


def check_mutual_authentication(value: list[dict[str, Any]]) -> None:
    """`mutual-authentication`: one entry per port, at most two trust stores per load balancer (ALB's quota)."""
    ports = [entry["port"] for entry in value]
    duplicate = next((port for port in ports if ports.count(port) > 1), None)
    if duplicate is not None:
        raise ValueError(f"port {duplicate} is configured twice")
    stores = {entry["trustStore"] for entry in value if "trustStore" in entry}
    if len(stores) > 2:
        raise ValueError(f"{len(stores)} trust stores; an ALB takes at most 2")


NLB_ROUTING_POLICIES = (
    "availability_zone_affinity",
    "partial_availability_zone_affinity",
    "any_availability_zone",
)


def check_nlb_routing_policy(attributes: dict[str, str]) -> None:
    """NLB attributes: `dns_record.client_routing_policy` is one AWS knows (raises ValueError)."""
    policy = attributes.get("dns_record.client_routing_policy")
    if policy is not None and policy not in NLB_ROUTING_POLICIES:
        raise ValueError(
            f"dns_record.client_routing_policy {policy!r} is not one of {', '.join(NLB_ROUTING_POLICIES)}"
        )
