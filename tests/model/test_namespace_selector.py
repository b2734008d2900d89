"""The namespaceSelector of an IngressClassParams: Kubernetes label selector semantics (matchLabels and the
four matchExpressions operators, all ANDed; empty selects every namespace)."""

from __future__ import annotations

from typing import Any

import pytest

from lbctl.model.alb_params import selects

LABELS = {"team": "shop", "env": "prod", "kubernetes.io/metadata.name": "shop"}


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        ({}, True),
        ({"matchLabels": {"team": "shop"}}, True),
        ({"matchLabels": {"team": "pay"}}, False),
        ({"matchLabels": {"team": "shop", "env": "dev"}}, False),
        ({"matchExpressions": [{"key": "team", "operator": "In", "values": ["pay", "shop"]}]}, True),
        ({"matchExpressions": [{"key": "team", "operator": "In", "values": ["pay"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]}, False),
        ({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["shop"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, False),
        (
            {
                "matchLabels": {"team": "shop"},
                "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}],
            },
            False,
        ),
        ({"matchLabels": {"kubernetes.io/metadata.name": "shop"}}, True),
    ],
)
def test_label_selector_semantics(selector: dict[str, Any], selected: bool) -> None:
    assert selects(selector, LABELS) is selected
