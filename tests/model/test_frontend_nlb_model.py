"""The frontend NLB in the model (pure): LBC's defaults, the listener port mapping per Ingress, group
agreement, and the combinations the anchor would quietly get wrong refused by name."""

from __future__ import annotations

import pytest

from emulators.testing.specs import ingress, messages, only_group, only_spec, path, rule, service
from lbctl.cli.render import spec_tables
from lbctl.model import annotations as a
from lbctl.model.spec import FrontendNlbListener, HealthCheck

WEB = service("web", [(80, "http", 30080)])
ON = {a.FRONTEND_NLB_ENABLE: "true"}


def shop(name: str = "shop", **annotations: str) -> dict[str, object]:
    return ingress(name, rule(f"{name}.test", path("/", "web")), annotations=annotations)


def test_defaults_are_the_anchors() -> None:
    spec = only_spec(shop(**ON, **{a.LISTEN_PORTS: '[{"HTTP": 80}, {"HTTP": 8080}]'}), WEB)
    nlb = spec.frontend.frontend_nlb
    assert nlb is not None and nlb.scheme == "internal"  # not the ALB's scheme
    assert nlb.listeners == [FrontendNlbListener(80, 80), FrontendNlbListener(8080, 8080)]
    assert nlb.health_check == HealthCheck(
        "HTTP", "traffic-port", "/", None, 15, 5, 2, 2, "200", "annotation"
    )
    assert nlb.tags is None and nlb.security_groups == [] and nlb.subnets == []
    assert "frontend NLB internal (TCP:80→80, TCP:8080→8080)" in str(spec_tables(spec)[0])  # lbctl plan
    assert only_spec(shop(), WEB).frontend.frontend_nlb is None


def test_the_port_mapping_and_the_group_merge() -> None:
    group = {a.GROUP_NAME: "edge", **ON}
    mapped = shop("a", **group, **{a.FRONTEND_NLB_PORT_MAPPING: "8443=80"})
    plain = shop("b", **group, **{a.LISTEN_PORTS: '[{"HTTP": 81}]'})
    nlb = only_spec(mapped, plain, WEB).frontend.frontend_nlb
    assert nlb is not None and nlb.listeners == [FrontendNlbListener(81, 81), FrontendNlbListener(8443, 80)]


@pytest.mark.parametrize(
    ("annotations", "field", "text"),
    [
        ({a.FRONTEND_NLB_SCHEME: "internet-facing"}, a.FRONTEND_NLB_SCHEME, "takes effect only with"),
        ({**ON, a.FRONTEND_NLB_EIPS: "eipalloc-0a"}, a.FRONTEND_NLB_EIPS, "internet-facing"),
        (
            {
                **ON,
                a.FRONTEND_NLB_SCHEME: "internet-facing",
                a.FRONTEND_NLB_SUBNETS: "subnet-a,subnet-b",
                a.FRONTEND_NLB_EIPS: "eipalloc-0a",
            },
            a.FRONTEND_NLB_EIPS,
            "one per subnet",
        ),
        ({**ON, a.FRONTEND_NLB_PORT_MAPPING: "80=443"}, a.FRONTEND_NLB_PORT_MAPPING, "not a listen port"),
        ({**ON, a.FRONTEND_NLB_PORT_MAPPING: "80=http"}, a.FRONTEND_NLB_PORT_MAPPING, "not a port number"),
        (
            {**ON, a.FRONTEND_NLB_ATTRIBUTES: "dns_record.client_routing_policy=x"},
            a.FRONTEND_NLB_ATTRIBUTES,
            "one of",
        ),
        ({**ON, a.FRONTEND_NLB_HC_PROTOCOL: "TCP"}, a.FRONTEND_NLB_HC_PROTOCOL, "HTTP"),
    ],
)
def test_refused_naming_the_annotation(annotations: dict[str, str], field: str, text: str) -> None:
    group = only_group(shop(**annotations), WEB)
    assert any(field in m and text in m for m in messages(group)), messages(group)


def test_members_must_agree() -> None:
    group = {a.GROUP_NAME: "edge", **ON}
    left = shop("a", **group, **{a.FRONTEND_NLB_HC_PATH: "/a"})
    right = shop("b", **group, **{a.FRONTEND_NLB_HC_PATH: "/b"})
    outcome = only_group(left, right, WEB)
    assert outcome.spec is None or outcome.spec.empty
    assert any(a.FRONTEND_NLB_HC_PATH in m and "conflicting" in m for m in messages(outcome)), messages(
        outcome
    )
