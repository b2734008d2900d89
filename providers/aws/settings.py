"""The AWS provider's own settings, read from a ProviderConfig's options (declared by the plugin)."""

from __future__ import annotations

from dataclasses import dataclass

from lbctl.provider import ProviderConfig

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class AwsSettings:
    """The AWS settings of a ProviderConfig (its options `region`, `vpc_id` and `enable_backend_sg`)."""

    region: str = DEFAULT_REGION
    vpc_id: str | None = None
    enable_backend_sg: bool = True  # the shared backend security group and node/pod SG rules

    @classmethod
    def of(cls, config: ProviderConfig) -> AwsSettings:
        vpc_id = config.options.get("vpc_id")
        return cls(
            str(config.options.get("region") or DEFAULT_REGION),
            str(vpc_id) if vpc_id else None,
            parse_flag(config.options.get("enable_backend_sg", True)),
        )


def parse_flag(value: object) -> bool:
    """A true/false option value (a bool given in code, or the text of a flag or environment variable)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"
