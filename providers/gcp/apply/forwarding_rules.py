"""Forwarding rules, global or regional (`regions/R` in the step's `where`): created (the address is hashed into the name, so a new address is a new rule),
their target and labels set (labels under the label fingerprint), deleted."""

from __future__ import annotations

from google.cloud import compute_v1

from lbctl.provider import Step

from ..clients import Compute, target, unknown


def execute(compute: Compute, step: Step) -> bool:
    method = target(step)[1]
    if method == "insert":
        return compute.insert(step)
    if method == "setTarget":
        compute.mutate(
            "forwardingRules",
            "setTarget",
            step.where,
            forwarding_rule=step.name,
            target_reference_resource=compute_v1.TargetReference(target=step.body["target"]),
        )
        return True
    if method == "setLabels":

        def set_labels(fingerprint: str | None) -> None:
            labels = dict(step.body.get("labels") or {})
            if step.where:  # regional
                regional = compute_v1.RegionSetLabelsRequest(labels=labels, label_fingerprint=fingerprint)
                compute.mutate(
                    "forwardingRules",
                    "setLabels",
                    step.where,
                    resource=step.name,
                    region_set_labels_request_resource=regional,
                )
                return
            request = compute_v1.GlobalSetLabelsRequest(labels=labels, label_fingerprint=fingerprint)
            compute.mutate(
                "forwardingRules", "setLabels", resource=step.name, global_set_labels_request_resource=request
            )

        compute.with_fingerprint(step, set_labels, "labelFingerprint")
        return True
    if method == "delete":
        return compute.delete(step)
    raise unknown(step)
