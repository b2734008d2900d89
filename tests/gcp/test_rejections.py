"""A request the cloud rejects is a user-fixable ProviderError naming the Ingress field its resource comes from
when one does (a TLS Secret's certificate: spec.tls), and no field when none does (the URL map as a whole)."""

from __future__ import annotations

import pytest

from emulators.gce import ComputeEmulator
from emulators.testing.gcp_stacks import example_objects, stack_from
from lbctl.provider import ProviderError
from providers.gcp.provider import GcpProvider


@pytest.mark.parametrize(
    ("collection", "field"),
    [("sslCertificates", "spec.tls"), ("urlMaps", None)],
    ids=["certificate", "url-map"],
)
def test_a_rejected_create_names_the_field_it_comes_from(
    emulator: ComputeEmulator, provider: GcpProvider, collection: str, field: str | None
) -> None:
    emulator.add_fault(
        method="POST",
        path=f"/global/{collection}$",
        status=400,
        reason="invalid",
        message="Invalid value for field 'resource'",
    )
    with pytest.raises(ProviderError) as raised:
        provider.converge(stack_from(example_objects()))
    assert raised.value.user_fixable and raised.value.field == field
    assert f"Google Cloud rejected {collection}.insert" in str(raised.value)
    assert "PRIVATE KEY" not in str(raised.value)
