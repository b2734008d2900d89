"""What every executor gets: the clients (every call through the one CloudCaller) and the spec (to name fields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lbctl.model.services import ServiceSpec
from lbctl.model.spec import LoadBalancerSpec

from ..clients import AwsClients

# A step's request as sent: the keyword arguments of the boto3 call (Refs resolved, Secrets revealed).
Request = Mapping[str, Any]
# What an executor gives back for the Refs of later steps: field (TargetGroupArn, DNSName …) → value.
Outputs = dict[str, str]


@dataclass
class Context:
    clients: AwsClients
    spec: LoadBalancerSpec | ServiceSpec
