"""AWS provider: Application Load Balancers from LoadBalancerSpecs.

`plugin` is the `lbctl.providers` entry point (calling it creates the provider); importing this package
imports no SDK."""

from __future__ import annotations

from typing import Any

from .plugin import plugin

create = plugin  # the factory, by the name the entry point had before it named the declaration


def __getattr__(name: str) -> Any:
    if name == "AwsProvider":
        from .provider import AwsProvider

        return AwsProvider
    raise AttributeError(name)


__all__ = ["AwsProvider", "create", "plugin"]
