"""`lbctl doctor` for AWS: credentials, region, subnet discovery, VPC, and permissions (EC2 dry run plus
an IAM policy simulation of every action lbctl needs)."""

from __future__ import annotations

from typing import Any

import boto3

from lbctl.model.annotations import SUBNETS
from lbctl.model.builder import empty_spec
from lbctl.provider import Check, ProviderConfig, ProviderError

from .clients import AwsClients, error_code
from .naming import CLUSTER_TAG
from .network import resolve_subnets
from .permissions import POLICY_TEMPLATE, REQUIRED_ACTIONS, simulation_contexts
from .settings import AwsSettings


def _extra_client(config: ProviderConfig, service: str) -> Any:
    options = dict(config.options)
    session = boto3.session.Session(
        aws_access_key_id=options.get("aws_access_key_id"),
        aws_secret_access_key=options.get("aws_secret_access_key"),
        region_name=AwsSettings.of(config).region,
    )
    return session.client(service, endpoint_url=config.endpoint_url)


def _principal(arn: str) -> str:
    """An assumed-role session ARN → its role ARN (what the policy simulator takes)."""
    if ":assumed-role/" in arn:
        account = arn.split(":")[4]
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return f"arn:aws:iam::{account}:role/{role}"
    return arn


def aws_checks(clients: AwsClients, config: ProviderConfig) -> list[Check]:
    checks: list[Check] = []
    sts = _extra_client(config, "sts")
    try:
        identity = clients.caller.call("sts", "GetCallerIdentity", sts.get_caller_identity)
        checks.append(Check("AWS credentials", "ok", f"{identity['Arn']} (account {identity['Account']})"))
    except Exception as err:
        return [
            Check(
                "AWS credentials",
                "fail",
                f"{error_code(err) or type(err).__name__}: {err}"[:300],
                "provide credentials (IRSA on EKS, or AWS_ACCESS_KEY_ID/AWS_PROFILE) and a region",
            )
        ]
    try:
        zones = clients.call("ec2", "DescribeAvailabilityZones")["AvailabilityZones"]
        checks.append(Check("Region", "ok", f"{clients.region}: {len(zones)} Availability Zones"))
    except Exception as err:
        checks.append(
            Check("Region", "fail", f"{clients.region}: {err}"[:300], "set --aws-region / AWS_REGION")
        )
    vpcs: set[str] = set()
    for scheme in ("internet-facing", "internal"):
        spec = empty_spec("aws", "doctor/check")
        spec.frontend.scheme = scheme
        try:
            subnets = resolve_subnets(clients, spec, config.cluster_name, AwsSettings.of(config).vpc_id)
            vpcs |= {s["VpcId"] for s in subnets}
            listing = ", ".join(f"{s['SubnetId']} ({s['AvailabilityZone']})" for s in subnets)
            checks.append(Check(f"Subnets ({scheme})", "ok", listing))
        except ProviderError as err:
            role = (
                "kubernetes.io/role/elb" if scheme == "internet-facing" else "kubernetes.io/role/internal-elb"
            )
            checks.append(
                Check(
                    f"Subnets ({scheme})",
                    "warn" if scheme == "internal" else "fail",
                    str(err),
                    f"tag subnets in ≥ 2 AZs with {role}=1 and kubernetes.io/cluster/{config.cluster_name}"
                    f"=owned, or set {SUBNETS} on each Ingress",
                )
            )
    vpc = AwsSettings.of(config).vpc_id or (next(iter(vpcs)) if len(vpcs) == 1 else None)
    if vpc is None:
        checks.append(
            Check(
                "VPC",
                "warn",
                "not configured and not inferable from subnets",
                "pass --aws-vpc-id / LBCTL_AWS_VPC_ID",
            )
        )
        return checks
    checks.append(Check("VPC", "ok", vpc))
    try:
        clients.call(
            "ec2",
            "CreateSecurityGroup",
            GroupName="lbctl-doctor-dry-run",
            Description="lbctl doctor",
            VpcId=vpc,
            DryRun=True,
            TagSpecifications=[
                {
                    "ResourceType": "security-group",
                    "Tags": [{"Key": CLUSTER_TAG, "Value": config.cluster_name}],
                }
            ],
        )
        checks.append(Check("EC2 permissions (dry run)", "warn", "the dry run was not rejected as a dry run"))
    except Exception as err:
        code = error_code(err)
        if code == "DryRunOperation":
            checks.append(
                Check("EC2 permissions (dry run)", "ok", "CreateSecurityGroup with our tag is allowed")
            )
        else:
            checks.append(
                Check(
                    "EC2 permissions (dry run)",
                    "fail",
                    f"CreateSecurityGroup: {code or err}",
                    f"attach {POLICY_TEMPLATE}, rendered for this cluster name, to lbctl's role",
                )
            )
    checks.append(_simulate(clients, config, _principal(identity["Arn"])))
    return checks


def _simulate(clients: AwsClients, config: ProviderConfig, principal: str) -> Check:
    iam = _extra_client(config, "iam")
    denied: list[str] = []
    try:
        account = principal.split(":")[4]
        for actions, resource, context in simulation_contexts(config.cluster_name, clients.region, account):
            where = {"ResourceArns": [resource]} if resource != "*" else {}  # "*": the simulator's default
            entries = [
                {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
                for k, v in context.items()
            ]
            for start in range(0, len(actions), 50):
                result = clients.caller.call(
                    "iam",
                    "SimulatePrincipalPolicy",
                    iam.simulate_principal_policy,
                    PolicySourceArn=principal,
                    ActionNames=list(actions[start : start + 50]),
                    ContextEntries=entries,
                    **where,
                )
                denied += [
                    r["EvalActionName"] for r in result["EvaluationResults"] if r["EvalDecision"] != "allowed"
                ]
    except Exception as err:
        reason = error_code(err) or str(err).splitlines()[0][:120]
        return Check(
            "IAM permissions",
            "warn",
            f"could not simulate the policy of {principal}: {reason}",
            "allow iam:SimulatePrincipalPolicy for lbctl's role to let doctor verify, or compare the role "
            f"with {POLICY_TEMPLATE}",
        )
    if denied:
        return Check(
            "IAM permissions",
            "fail",
            f"{len(denied)} action(s) denied: {', '.join(sorted(denied))}"[:600],
            f"attach {POLICY_TEMPLATE}, rendered for this cluster name, to lbctl's role",
        )
    return Check("IAM permissions", "ok", f"all {len(REQUIRED_ACTIONS)} actions allowed for {principal}")
