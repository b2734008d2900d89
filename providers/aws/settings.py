"""The AWS provider's own settings, read from a ProviderConfig's options (declared by the plugin)."""

from __future__ import annotations

from dataclasses import dataclass

from lbctl.provider import ProviderConfig

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class AwsSettings:
    """The AWS settings of a ProviderConfig (its options `region` and `vpc_id`)."""

    region: str = DEFAULT_REGION
    vpc_id: str | None = None

    @classmethod
    def of(cls, config: ProviderConfig) -> AwsSettings:
        vpc_id = config.options.get("vpc_id")
        return cls(str(config.options.get("region") or DEFAULT_REGION), str(vpc_id) if vpc_id else None)
