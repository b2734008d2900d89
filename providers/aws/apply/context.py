"""What every executor gets: the clients (every call through the one CloudCaller) and the spec (to name fields)."""

from __future__ import annotations

from dataclasses import dataclass

from lbctl.model.spec import LoadBalancerSpec

from ..clients import AwsClients


@dataclass
class Context:
    clients: AwsClients
    spec: LoadBalancerSpec
