"""Register and deregister only the difference between wanted and registered targets, in batches."""

from __future__ import annotations

from lbctl.model.targets import Target

from .clients import AwsClients

BATCH = 100
GONE_STATES = ("draining", "unused")


def wanted(targets: list[Target]) -> set[tuple[str, int]]:
    return {(t.id, t.port) for t in targets}


def registered(clients: AwsClients, target_group_arn: str) -> set[tuple[str, int]]:
    health = clients.call("elbv2", "DescribeTargetHealth", TargetGroupArn=target_group_arn)
    return {
        (d["Target"]["Id"], int(d["Target"]["Port"]))
        for d in health.get("TargetHealthDescriptions", [])
        if d.get("TargetHealth", {}).get("State") not in GONE_STATES
    }


def batches(items: list[tuple[str, int]]) -> list[list[dict[str, object]]]:
    ordered = sorted(items)
    return [[{"Id": i, "Port": p} for i, p in ordered[s : s + BATCH]] for s in range(0, len(ordered), BATCH)]
