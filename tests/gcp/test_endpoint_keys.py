"""NEG endpoint keys (what a plan and the kept discovery compare endpoints by) match exactly when the
normalised endpoints do: plain items for plain endpoints, JSON otherwise, and the two never equal."""

from __future__ import annotations

from providers.gcp.plan import endpoint_key, normalise


def test_endpoint_keys_match_exactly_when_normalised_endpoints_do() -> None:
    plain = {"instance": "node-a", "ipAddress": "10.0.0.1", "port": 8080}
    as_read = {"ipAddress": "10.0.0.1", "port": 8080.0, "instance": "node-a", "annotations": {}}
    assert endpoint_key(plain) == endpoint_key(as_read)
    assert normalise(plain) == normalise(as_read)
    assert endpoint_key(plain) != endpoint_key({**plain, "port": 8081})
    assert endpoint_key(plain) != endpoint_key({**plain, "instance": "node-b"})
    assert endpoint_key({**plain, "port": True}) != endpoint_key(
        {**plain, "port": 1}
    )  # JSON tells them apart
    assert endpoint_key({**plain, "port": 1.5}) == endpoint_key({**plain, "port": 1.5})
    nested = {**plain, "extra": {"a": 1}}
    assert endpoint_key(nested) == endpoint_key({**plain, "extra": {"a": 1.0}})
    assert endpoint_key(nested) != endpoint_key(plain)
