"""AWS provider: Application Load Balancers from LoadBalancerSpecs."""

from __future__ import annotations

from lbctl.provider import ProviderConfig

from .provider import AwsProvider


def create(config: ProviderConfig) -> AwsProvider:
    """Entry point `lbctl.providers:aws`."""
    return AwsProvider(config)


__all__ = ["AwsProvider", "create"]
