"""What the ALB and the NLB plans write their steps with: unique step keys, and tag changes in the calls
ELBv2 takes (RemoveTags, then AddTags in batches of ten)."""

from __future__ import annotations

from typing import Any

from lbctl.provider import Step

from .diff import attribute_changes, attributes_to_restore, tag_changes
from .naming import tag_list

TAGS_PER_CALL = 10  # AddTags takes at most 10 tags per call (moto enforces it too)


class StepRecorder:
    """Appends steps to `self.steps`, each under a key unique in the plan ("#2" on a repeat)."""

    def __init__(self, steps: list[Step], warnings: list[str]) -> None:
        self.steps = steps
        self.warnings = warnings
        self._keys: set[str] = set()

    def step(
        self,
        action: str,
        kind: str,
        name: str,
        operation: str,
        body: dict[str, Any],
        detail: str = "",
        changes: dict[str, tuple[Any, Any]] | None = None,
        field: str | None = None,
    ) -> Step:
        key = base = f"{kind} {name}: {operation}"
        count = 1
        while key in self._keys:
            count += 1
            key = f"{base} #{count}"
        self._keys.add(key)
        made = Step(key, action, kind, name, operation, body, changes or {}, field=field, detail=detail)
        self.steps.append(made)
        return made

    def delete_load_balancer(self, lb: dict[str, Any], detail: str = "", action: str = "delete") -> None:
        """Delete a described load balancer (`action` "replace" when a new one takes its place)."""
        self.step(
            action,
            "LoadBalancer",
            lb["LoadBalancerName"],
            "DeleteLoadBalancer",
            {"LoadBalancerArn": lb["LoadBalancerArn"]},
            detail,
        )

    def delete_target_group(self, tg: dict[str, Any], detail: str = "") -> None:
        """Delete a described target group."""
        self.step(
            "delete",
            "TargetGroup",
            tg["TargetGroupName"],
            "DeleteTargetGroup",
            {"TargetGroupArn": tg["TargetGroupArn"]},
            detail,
        )

    def tags(self, kind: str, name: str, arn: Any, desired: dict[str, str], current: dict[str, str]) -> None:
        """The RemoveTags and AddTags steps that make `current` tags `desired` (a changed value is only
        re-added)."""
        add, remove = tag_changes(desired, current)
        if remove:
            self.step(
                "update",
                kind,
                name,
                "RemoveTags",
                {"ResourceArns": [arn], "TagKeys": remove},
                f"remove tags {', '.join(remove)}",
                {k: (current[k], None) for k in remove},
            )
        items = tag_list(add)
        for start in range(0, len(items), TAGS_PER_CALL):
            batch = items[start : start + TAGS_PER_CALL]
            self.step(
                "update",
                kind,
                name,
                "AddTags",
                {"ResourceArns": [arn], "Tags": batch},
                f"tags {', '.join(t['Key'] for t in batch)}",
                {t["Key"]: (current.get(t["Key"]), t["Value"]) for t in batch},
            )

    def initial_attributes(self, kind: str, name: str, arn: Any, attributes: dict[str, str]) -> None:
        """The attributes of a load balancer or target group just created, if any are wanted."""
        if attributes:
            self.step(
                "update",
                kind,
                name,
                f"Modify{kind}Attributes",
                {f"{kind}Arn": arn, "Attributes": attribute_list(attributes)},
                f"attributes {attributes}",
                {k: (None, v) for k, v in sorted(attributes.items())},
            )

    def attributes(
        self,
        kind: str,
        name: str,
        arn: Any,
        wanted: dict[str, str],
        tags: dict[str, str],
        have: list[dict[str, str]],
        defaults: dict[str, str],
    ) -> None:
        """Set the wanted attributes of a TargetGroup or LoadBalancer, and restore the AWS default of those
        we set before but are no longer wanted (recorded in our tags)."""
        restore, unknown = attributes_to_restore(wanted, tags, defaults)
        if unknown:
            self.warnings.append(
                f"{kind} {name}: attributes {', '.join(unknown)} are no longer set, but their "
                "AWS default is not known to lbctl; they keep their current value"
            )
        diff = attribute_changes({**restore, **wanted}, have)
        if diff:
            before = {a["Key"]: a.get("Value") for a in have}
            self.step(
                "update",
                kind,
                name,
                f"Modify{kind}Attributes",
                {f"{kind}Arn": arn, "Attributes": attribute_list(diff)},
                f"attributes {diff}",
                {k: (before.get(k), v) for k, v in sorted(diff.items())},
            )

    def capacity(
        self, name: str, arn: Any, have: int | None, units: int | None, field: str | None = None
    ) -> None:
        """The capacity unit reservation of a load balancer: `units` reserved, or reset by 0 (None: not
        managed); `have` is what is reserved now (None: nothing)."""
        if units is None:
            return
        wanted = units or None
        if have == wanted:
            return
        body: dict[str, Any] = {"LoadBalancerArn": arn}
        if wanted is None:
            body["ResetCapacityReservation"] = True
        else:
            body["MinimumLoadBalancerCapacity"] = {"CapacityUnits": wanted}
        self.step(
            "update",
            "LoadBalancer",
            name,
            "ModifyCapacityReservation",
            body,
            "reset the capacity reservation" if wanted is None else f"reserve {wanted} capacity units",
            {"CapacityUnits": (have, wanted)},
            field=field,
        )

    def sni_certificates(
        self,
        name: str,
        arn: Any,
        listed: list[dict[str, Any]],
        default: Any,
        wanted: list[Any],
        reassert: bool = False,
    ) -> None:
        """Add the wanted certificates the listener's certificate list lacks and remove the others besides
        the `default` one (`listed`: DescribeListenerCertificates; `reassert`: add every wanted one again,
        as after a new default certificate, which not every ELB keeps the list through)."""
        have = {c["CertificateArn"] for c in listed if not c.get("IsDefault")}
        want = set(wanted)
        add = want if reassert else want - have
        if add:
            self.step(
                "update",
                "Listener",
                name,
                "AddListenerCertificates",
                {"ListenerArn": arn, "Certificates": [{"CertificateArn": c} for c in sorted(add, key=str)]},
                "add SNI certificates",
                {"Certificates": (sorted(have), sorted(want, key=str))},
            )
        stale = have - want - {default}
        if stale:
            self.step(
                "update",
                "Listener",
                name,
                "RemoveListenerCertificates",
                {"ListenerArn": arn, "Certificates": [{"CertificateArn": c} for c in sorted(stale)]},
                "remove SNI certificates",
                {"Certificates": (sorted(have), sorted(want, key=str))},
            )


def attribute_list(attributes: dict[str, str]) -> list[dict[str, str]]:
    """ELBv2's Key/Value list of attributes, by key."""
    return [{"Key": k, "Value": str(v)} for k, v in sorted(attributes.items())]
