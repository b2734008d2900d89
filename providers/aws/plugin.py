"""What the AWS provider declares to lbctl's core (the `lbctl.providers` entry point): its command-line
options, the kinds it watches beyond the core's (TargetGroupBindings, which it also writes; IngressClassParams
and the Namespaces whose labels their namespaceSelector reads), its offline account, its offline validation
and its factory. Importing this module imports no SDK."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lbctl.model.kinds import INGRESS_CLASS_PARAMS, NAMESPACE, SERVICE, TARGET_GROUP_BINDING
from lbctl.model.problems import Problem, SpecError
from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import (
    CLOUD_COMMANDS,
    CONTROLLER_COMMANDS,
    FILE_COMMANDS,
    OfflineRequest,
    Provider,
    ProviderConfig,
    ProviderError,
    ProviderOption,
    ProviderPlugin,
)

from .settings import DEFAULT_REGION, parse_flag


def _check_scope(value: str) -> str:
    if value not in ("tagged", "any"):
        raise ValueError(f"must be tagged or any, got {value!r}")
    return value


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
        "--aws-target-group-binding-scope",
        "binding_scope",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_AWS_TARGET_GROUP_BINDING_SCOPE",
        default="tagged",
        metavar="tagged|any",
        help="AWS: which target groups a TargetGroupBinding may register into: 'tagged' (the group's tag "
        "lbctl.io/target-group-binding lists the binding's namespace, or @all) or 'any' (every group the "
        "IAM role reaches, as aws-load-balancer-controller).",
        check=_check_scope,
    ),
    ProviderOption(
        "--aws-vpc-id",
        "vpc_id",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_AWS_VPC_ID",
        help="AWS: VPC of the cluster (else discovered).",
    ),
    ProviderOption(
        "--aws-enable-backend-security-group",
        "enable_backend_sg",
        CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_AWS_ENABLE_BACKEND_SG",
        default="true",
        metavar="true|false",
        check=parse_flag,
        help="AWS: attach one shared backend security group to every managed ALB and open the node/pod "
        "security groups to it (false: neither; open them yourself).",
    ),
    # Tenant safety (docs/migration.md): off by default, unlike aws-load-balancer-controller.
    ProviderOption(
        "--allow-cross-namespace-groups",
        "allow_cross_namespace_groups",
        FILE_COMMANDS | CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_ALLOW_CROSS_NAMESPACE_GROUPS",
        model=True,
        is_flag=True,
        help="AWS: let Ingresses of several namespaces share an IngressGroup by its group.name annotation "
        "(otherwise only when the class's IngressClassParams pins the group).",
    ),
    ProviderOption(
        "--allow-explicit-target-groups",
        "allow_explicit_target_groups",
        FILE_COMMANDS | CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_ALLOW_EXPLICIT_TARGET_GROUPS",
        model=True,
        is_flag=True,
        help="AWS: let actions.${name} forward to a target group named by targetGroupARN/targetGroupName "
        "(one the cluster may not own).",
    ),
    ProviderOption(
        "--gateway-drop-in",
        "gateway_drop_in",
        FILE_COMMANDS | CLOUD_COMMANDS | CONTROLLER_COMMANDS,
        envvar="LBCTL_GATEWAY_DROP_IN",
        model=True,
        is_flag=True,
        help="Gateway API: also serve the GatewayClasses of the cloud's own Gateway controller "
        "(aws-load-balancer-controller's gateway.k8s.aws/alb, GKE's networking.gke.io/gateway), as a drop-in.",
    ),
)


# Beyond list+watch (declared by `watched`): the finalizer, and the status subresource (observedGeneration
# and, for multi-cluster target groups, the targets the binding registered).
BINDING_ACCESS = (
    (TARGET_GROUP_BINDING.group, TARGET_GROUP_BINDING.plural, "patch"),
    (TARGET_GROUP_BINDING.group, f"{TARGET_GROUP_BINDING.plural}/status", "patch"),
)
# Services of type LoadBalancer it serves as NLBs: the finalizer and status.loadBalancer.
SERVICE_ACCESS = (
    (SERVICE.group, SERVICE.plural, "patch"),
    (SERVICE.group, f"{SERVICE.plural}/status", "patch"),
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
    watched=(TARGET_GROUP_BINDING, NAMESPACE, INGRESS_CLASS_PARAMS),
    access=BINDING_ACCESS + SERVICE_ACCESS,
    offline=offline_account,
    validate=validate,
)
