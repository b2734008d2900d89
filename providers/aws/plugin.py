"""What the AWS provider declares to lbctl's core (the `lbctl.providers` entry point): its command-line
options, its offline account, its offline validation and its factory. It watches no kind beyond the core's.
Importing this module imports no SDK."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lbctl.model.problems import Problem, SpecError
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import (
    CLOUD_COMMANDS,
    CONTROLLER_COMMANDS,
    OfflineRequest,
    Provider,
    ProviderConfig,
    ProviderError,
    ProviderOption,
    ProviderPlugin,
)

from .settings import DEFAULT_REGION

OPTIONS = (
    ProviderOption(
        "--aws-region",
        "region",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="AWS_REGION",
        default=DEFAULT_REGION,
        help="AWS region of the load balancers.",
    ),
    ProviderOption(
        "--aws-vpc-id",
        "vpc_id",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_AWS_VPC_ID",
        help="AWS: VPC of the cluster (else discovered).",
    ),
)


def make_provider(config: ProviderConfig) -> Provider:
    """The AWS provider for `config` (options: region, vpc_id and those of AwsProvider)."""
    from .provider import AwsProvider

    return AwsProvider(config)


def validate(spec: LoadBalancerSpec) -> list[Problem]:
    """What ALB refuses in a spec (rules per listener, conditions per rule, names), found by translating it
    with no cloud call."""
    from .translate import translate

    try:
        translate(spec, "lbctl", secrets=None, require_secrets=False)
    except SpecError as err:
        return [err.problem]
    except ProviderError as err:
        return [err.problem(spec.stack)]
    return []


@contextmanager
def offline_account(request: OfflineRequest) -> Iterator[ProviderConfig]:
    """An embedded, empty AWS account: a VPC with role-tagged subnets in two availability zones."""
    try:
        import moto.server  # noqa: F401 - the embedded AWS
    except ImportError:
        raise ProviderError("--offline needs the embedded clouds: pip install -e '.[demo]'") from None
    from emulators.aws import DEMO_KEYS, create_aws_account, moto_server

    region = str(request.options.get("region") or DEFAULT_REGION)
    cluster = request.cluster_name
    with moto_server() as url:
        account = create_aws_account(url, region, cluster, (f"{region}a", f"{region}b"))
        yield ProviderConfig(cluster, url, {"region": region, "vpc_id": account.vpc_id, **DEMO_KEYS})


plugin = ProviderPlugin(
    name="aws",
    title="AWS (Application Load Balancer)",
    factory=make_provider,
    options=OPTIONS,
    offline=offline_account,
    validate=validate,
)
