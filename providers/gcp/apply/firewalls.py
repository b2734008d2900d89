"""Firewall rules letting the health checkers reach the nodes or pods: created, updated in place, deleted.

On a Shared VPC the rules live in the network's host project; when lbctl may not change them there, the
error carries the gcloud command the host project's admin runs instead (ingress-gce's FirewallXPNError)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from google.api_core import exceptions

from lbctl.provider import ProviderError, Step

from ..clients import Compute, error_reasons, target

METHODS = {"insert": Compute.insert, "update": Compute.update, "delete": Compute.delete}


class FirewallXpnError(ProviderError):
    """The network's host project refused a firewall change: `command` makes it there."""

    def __init__(self, message: str, command: str, field: str | None) -> None:
        super().__init__(message, user_fixable=True, field=field)
        self.command = command


def execute(compute: Compute, step: Step) -> bool:
    try:
        return compute.run(step, METHODS)
    except exceptions.Forbidden as exc:
        if compute.network_project == compute.project or "forbidden" not in error_reasons(exc):
            raise  # not a Shared VPC, or throttling: the usual handling
        command = gcloud_command(step, compute.network_project)
        # the command first: an Event's message is bounded, and the command is what the reader needs whole
        raise FirewallXpnError(
            f"Firewall change required by security admin: `{command}` (the network's host project answered "
            f"403 {exc.message})",
            command,
            step.field,
        ) from None


def gcloud_command(step: Step, project: str) -> str:
    """The gcloud command making the step's change, as ingress-gce prints it (allowed ports and source ranges
    sorted); the description is shell-quoted, and `--target-tags` left out (lbctl's rules have none)."""
    method = target(step)[1]
    if method == "delete":
        return f"gcloud compute firewall-rules delete {step.name} --project {project}"
    body: Mapping[str, Any] = step.body
    allow = ",".join(sorted(f"{a['IPProtocol']}:{p}" for a in body.get("allowed") or [] for p in a["ports"]))
    args = (
        f"--description {shlex.quote(str(body.get('description', '')))} --allow {allow} "
        f"--source-ranges {','.join(sorted(body.get('sourceRanges') or []))} --project {project}"
    )
    if method == "insert":
        network = str(body.get("network", "")).rsplit("/", 1)[-1]
        return f"gcloud compute firewall-rules create {step.name} --network {network} {args}"
    return f"gcloud compute firewall-rules update {step.name} {args}"
