"""What every executor gets: the clients (every call through the one CloudCaller) and the spec (to name fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import Step

from ..clients import AwsClients


@dataclass
class Context:
    clients: AwsClients
    spec: LoadBalancerSpec


def send(context: Context, service: str, step: Step, body: dict[str, Any]) -> Any:
    """Make the step's call with its resolved body (Refs replaced by values, Secrets by what they hold)."""
    return context.clients.call(service, step.operation, **body)
