"""The L4 pipeline for Services of type LoadBalancer: translate → discover → plan → apply, beside the ALB
one and with the same executors (providers/aws/apply)."""

from __future__ import annotations

from lbctl.provider import ConvergeResult, ServiceInput

from .apply import Applier
from .clients import AwsClients
from .network import find_subnets
from .nlb_discover import discover_nlb
from .nlb_plan import plan_nlb
from .nlb_translate import service_error, translate_nlb


def run_service(
    clients: AwsClients,
    cluster: str,
    vpc_id: str | None,
    stack: ServiceInput,
    apply: bool,
    delete_retry_seconds: float = 30.0,
) -> ConvergeResult:
    """Plan (apply=False: reads only) or converge one Service's NLB; an empty spec deletes it."""
    spec = stack.spec
    desired = None if spec.empty else translate_nlb(spec, cluster, stack.targets)
    current = discover_nlb(clients, cluster, spec.stack, details=desired is not None)
    subnets: list[str] = []
    if desired is not None:
        found = find_subnets(
            clients,
            list(desired.subnets),
            desired.scheme == "internet-facing",
            cluster,
            vpc_id,
            lambda message: service_error(spec, "subnets", message),
            min_zones=1,
            what="an NLB",
        )
        subnets = [s["SubnetId"] for s in found]
        vpc_id = vpc_id or found[0]["VpcId"]
    planned = plan_nlb(desired, current, subnets, vpc_id)
    result = ConvergeResult(spec.stack, None, warnings=list(planned.warnings))
    if not apply:
        result.steps = list(planned.steps)
        result.changes = [s.change() for s in planned.steps]
        result.address = planned.address if isinstance(planned.address, str) else None
        result.deleted = desired is None and current.empty
        return result
    applier = Applier(clients, spec, cleanup=desired is None, delete_retry_seconds=delete_retry_seconds)
    applier.run(planned.steps)
    result.steps = list(applier.done)
    result.changes = applier.changes
    result.warnings.extend(applier.warnings)
    result.errors.extend(applier.failures)
    if desired is None:
        result.deleted = applier.complete or current.empty
    else:
        result.address = applier.resolve(planned.address)
    return result
