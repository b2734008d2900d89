"""What ALB accepts and moto does not yet: `RegexValues` in host-header, path-pattern and http-header
conditions (ALB, 2025). moto's validators read only `Values`, so a regex condition fails there with a
KeyError; these validators follow the ELBv2 API reference instead — `Values` or `RegexValues`, never
both, each value at most 128 characters. The conditions are stored and described as sent, as moto
already does for the rest of a rule.

Rule `Transforms` (url-rewrite, host-header-rewrite; ALB, 2025) moto drops: CreateRule keeps them and
DescribeRules/CreateRule/ModifyRule answer them, ModifyRule replaces them when it sends `Transforms`, clears
them with `ResetTransforms` and leaves them as they are otherwise, as the ELBv2 API reference says."""

from __future__ import annotations

from typing import Any

_LIMIT = 128


def _values(condition: dict[str, Any], config_key: str, field: str) -> list[str]:
    from moto.elbv2.exceptions import InvalidConditionValueError

    config = condition.get(config_key)
    if config is None:
        values = condition.get("Values")
        if values is not None and len(values) > 1:
            raise InvalidConditionValueError(
                f"The '{field}' field contains too many values; the limit is '1'"
            )
        if not values:
            raise InvalidConditionValueError("A condition value must be specified")
        return list(values)
    if condition.get("Values"):
        raise InvalidConditionValueError(
            f"You cannot provide both Values and '{config_key}' for a condition of type '{field}'"
        )
    plain, regex = config.get("Values") or [], config.get("RegexValues") or []
    if plain and regex:
        raise InvalidConditionValueError(f"You cannot provide both Values and RegexValues in '{config_key}'")
    if not plain and not regex:
        raise InvalidConditionValueError("A condition value must be specified")
    return list(plain or regex)


def _check_length(values: list[str], field: str) -> None:
    from moto.elbv2.exceptions import InvalidConditionValueError

    for value in values:
        if len(value) > _LIMIT:
            raise InvalidConditionValueError(f"The '{field}' value is too long; the limit is '{_LIMIT}'")


def _host_header(self: Any, condition: dict[str, Any]) -> None:
    _check_length(_values(condition, "HostHeaderConfig", "host-header"), "host-header")


def _path_pattern(self: Any, condition: dict[str, Any]) -> None:
    _check_length(_values(condition, "PathPatternConfig", "path-pattern"), "path-pattern")


def _http_header(self: Any, condition: dict[str, Any]) -> None:
    from moto.elbv2.exceptions import InvalidConditionValueError

    config = condition.get("HttpHeaderConfig")
    if config is None:
        raise InvalidConditionValueError("A 'HttpHeaderConfig' must be specified with 'http-header'")
    if len(config.get("HttpHeaderName") or "") > 40:
        raise InvalidConditionValueError("The 'HttpHeaderName' value is too long; the limit is '40'")
    plain, regex = config.get("Values") or [], config.get("RegexValues") or []
    if plain and regex:
        raise InvalidConditionValueError(
            "You cannot provide both Values and RegexValues in 'HttpHeaderConfig'"
        )
    _check_length(list(plain or regex), "http-header")


def accept_regex_conditions() -> None:
    """Teach moto's ELBv2 backend ALB's regex conditions (idempotent)."""
    from moto.elbv2.models import ELBv2Backend

    ELBv2Backend._validate_host_header_condition = _host_header
    ELBv2Backend._validate_path_pattern_condition = _path_pattern
    ELBv2Backend._validate_http_header_condition = _http_header


def _create_rule(original: Any) -> Any:
    def create_rule(self: Any) -> Any:
        result = original(self)
        params = self._get_params()
        for rule in result._result["Rules"]:
            rule.transforms = list(params.get("Transforms") or [])
        return result

    return create_rule


def _modify_rule(original: Any) -> Any:
    def modify_rule(self: Any) -> Any:
        params = self._get_params()
        result = original(self)
        for rule in result._result["Rules"]:
            if params.get("Transforms"):
                rule.transforms = list(params["Transforms"])
            elif str(params.get("ResetTransforms")).lower() == "true":
                rule.transforms = []
        return result

    return modify_rule


def keep_rule_transforms() -> None:
    """Teach moto's ELBv2 responses ALB's rule Transforms (idempotent)."""
    from moto.elbv2.responses import ELBV2Response

    if not getattr(ELBV2Response.create_rule, "keeps_transforms", False):
        ELBV2Response.create_rule = _create_rule(ELBV2Response.create_rule)
        ELBV2Response.modify_rule = _modify_rule(ELBV2Response.modify_rule)
        ELBV2Response.create_rule.keeps_transforms = True
