"""HTTPS listeners against moto: certificate-arn (default + SNI), ssl-policy, ssl-redirect, listen-ports;
certificates imported from TLS Secrets (rotation, cleanup, no key material anywhere) and discovered in ACM."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from emulators.testing.aws_stacks import WEB_INGRESS as INGRESS
from emulators.testing.aws_stacks import Account, deletion, one_input, with_nodes
from emulators.testing.certs import leaks, self_signed, tls_secret
from lbctl.model.problems import SpecError
from lbctl.provider import ProviderError

BOTH_PORTS = '[{"HTTP": 80}, {"HTTPS": 443}]'


def manifest(account: Account, annotations: dict[str, str], tls: str = "", extra: str = "") -> str:
    ann = json.dumps({"alb.ingress.kubernetes.io/" + k: v for k, v in annotations.items()})
    return with_nodes(INGRESS.format(annotations=ann, tls=tls) + extra, account)


def import_cert(account: Account, *hosts: str) -> str:
    cert, key = self_signed(*hosts)
    return str(
        account.client("acm").import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
            "CertificateArn"
        ]
    )


class Listeners:
    """The listeners of the one load balancer, by port."""

    def __init__(self, account: Account) -> None:
        self.elb = account.client("elbv2")
        lbs = self.elb.describe_load_balancers()["LoadBalancers"]
        assert len(lbs) == 1, lbs
        self.by_port = {
            x["Port"]: x
            for x in self.elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])["Listeners"]
        }

    def rules(self, port: int) -> list[dict[str, Any]]:
        rules = self.elb.describe_rules(ListenerArn=self.by_port[port]["ListenerArn"])["Rules"]
        return [r for r in rules if not r["IsDefault"]]

    def certificates(self, port: int) -> tuple[str, set[str]]:
        """(default certificate, SNI certificates) as AWS lists them."""
        listed = self.elb.describe_listener_certificates(ListenerArn=self.by_port[port]["ListenerArn"])[
            "Certificates"
        ]
        default = self.by_port[port]["Certificates"][0]["CertificateArn"]
        return default, {c["CertificateArn"] for c in listed if not c.get("IsDefault")} - {default}


def assert_noop(provider: Any, stack: Any) -> None:
    before = provider.stats.total(mutating=True)
    assert provider.converge(stack).changes == []
    assert provider.stats.total(mutating=True) == before


def test_https_with_certificate_arns_policy_and_redirect(account: Account) -> None:
    default = import_cert(account, "www.example.com")
    sni = import_cert(account, "api.example.com")
    provider = account.provider()
    stack = one_input(
        manifest(
            account,
            {
                "listen-ports": BOTH_PORTS,
                "certificate-arn": f"{default},{sni}",
                "ssl-policy": "ELBSecurityPolicy-TLS-1-2-2017-01",
                "ssl-redirect": "443",
            },
        )
    )
    provider.converge(stack)
    state = Listeners(account)
    assert sorted((x["Protocol"], p) for p, x in state.by_port.items()) == [("HTTP", 80), ("HTTPS", 443)]
    https = state.by_port[443]
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS-1-2-2017-01"
    assert state.certificates(443) == (default, {sni})
    redirect = state.by_port[80]["DefaultActions"]
    assert [a["Type"] for a in redirect] == ["redirect"]
    assert (redirect[0]["RedirectConfig"]["Protocol"], redirect[0]["RedirectConfig"]["Port"]) == (
        "HTTPS",
        "443",
    )
    assert state.rules(80) == []
    assert len(state.rules(443)) == 1 and state.rules(443)[0]["Actions"][0]["Type"] == "forward"
    assert_noop(provider, stack)

    # Drop the SNI certificate, change the policy, stop redirecting: all updated in place.
    plain = one_input(
        manifest(
            account,
            {"listen-ports": BOTH_PORTS, "certificate-arn": sni, "ssl-policy": "ELBSecurityPolicy-2016-08"},
        )
    )
    provider.converge(plain)
    state = Listeners(account)
    assert state.certificates(443) == (sni, set())
    assert state.by_port[443]["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    assert state.by_port[80]["DefaultActions"][0]["Type"] == "fixed-response"
    assert len(state.rules(80)) == 1 and len(state.rules(443)) == 1
    assert_noop(provider, plain)


def test_default_ssl_policy_and_https_only(account: Account) -> None:
    arn = import_cert(account, "www.example.com")
    provider = account.provider()
    stack = one_input(manifest(account, {"certificate-arn": arn}))
    provider.converge(stack)
    state = Listeners(account)
    assert list(state.by_port) == [443]
    assert (
        state.by_port[443]["Protocol"] == "HTTPS"
        and state.by_port[443]["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    )
    assert_noop(provider, stack)


TLS = "  tls: [{{hosts: [www.example.com], secretName: {secret}}}]"


def our_certs(account: Account) -> dict[str, dict[str, str]]:
    """ARN → tags of our certificates in ACM."""
    tagging = account.client("resourcegroupstaggingapi")
    found = tagging.get_resources(
        TagFilters=[{"Key": "lbctl.io/cluster", "Values": ["test-cluster"]}], ResourceTypeFilters=["acm"]
    )["ResourceTagMappingList"]
    return {r["ResourceARN"]: {t["Key"]: t["Value"] for t in r["Tags"]} for r in found}


def test_certificate_from_secret_rotation_and_cleanup(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cert1, key1 = self_signed("www.example.com", serial=11)
    cert2, key2 = self_signed("www.example.com", serial=12)
    provider = account.provider()
    first = one_input(
        manifest(account, {}, TLS.format(secret="web-tls"), tls_secret("shop", "web-tls", cert1, key1))
    )
    result = provider.converge(first)
    certs = our_certs(account)
    assert len(certs) == 1
    ((arn1, tags1),) = certs.items()
    assert tags1["lbctl.io/resource"] == "Certificate:shop/web-tls" and tags1["lbctl.io/content-hash"]
    assert Listeners(account).certificates(443) == (arn1, set())
    assert "BEGIN CERTIFICATE" in account.client("acm").get_certificate(CertificateArn=arn1)["Certificate"]
    assert_noop(provider, first)

    # Watch the listener's certificate at every mutating call: HTTPS is never left without one.
    elb = account.client("elbv2")
    listener_arn = Listeners(account).by_port[443]["ListenerArn"]
    seen: list[str] = []

    def watch(**kwargs: Any) -> None:
        certificates = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["Certificates"]
        seen.append(certificates[0]["CertificateArn"])
        arns = {
            c["CertificateArn"] for c in account.client("acm").list_certificates()["CertificateSummaryList"]
        }
        assert certificates[0]["CertificateArn"] in arns, "listener points at a deleted certificate"

    provider.clients.clients["acm"].meta.events.register("before-call.acm.DeleteCertificate", watch)
    rotated = one_input(
        manifest(account, {}, TLS.format(secret="web-tls"), tls_secret("shop", "web-tls", cert2, key2))
    )
    result = provider.converge(rotated)
    provider.clients.clients["acm"].meta.events.unregister("before-call.acm.DeleteCertificate", watch)
    certs = our_certs(account)
    assert len(certs) == 1 and arn1 not in certs
    ((arn2, tags2),) = certs.items()
    assert tags2["lbctl.io/content-hash"] != tags1["lbctl.io/content-hash"]
    assert Listeners(account).certificates(443) == (arn2, set())
    assert seen == [arn2]  # the old certificate is deleted only after the new one is attached
    assert_noop(provider, rotated)

    # The Ingress stops using TLS: the certificate is deleted.
    plain = one_input(manifest(account, {}))
    provider.converge(plain)
    assert our_certs(account) == {}
    assert list(Listeners(account).by_port) == [80]

    text = caplog.text + repr(result) + str(result) + repr(rotated) + str(rotated)
    assert not leaks(key1, text) and not leaks(key2, text)


def test_rejected_secret_certificate_error_holds_no_key(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, other_key = self_signed("other.example.com", serial=22)
    cert = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"  # ACM rejects it
    provider = account.provider()
    stack = one_input(
        manifest(account, {}, TLS.format(secret="bad"), tls_secret("shop", "bad", cert, other_key))
    )
    with pytest.raises((SpecError, ProviderError)) as caught:
        provider.converge(stack)
    text = (
        caplog.text
        + str(caught.value)
        + repr(caught.value)
        + repr(caught.value.__cause__)
        + repr(caught.value.__context__)
    )
    assert "shop/bad" in str(caught.value)
    assert (
        caught.value.__context__ is None and caught.value.__cause__ is None
    )  # nothing chained holds the request
    assert not leaks(other_key, text)
    assert our_certs(account) == {}


def test_secret_certificate_deleted_with_the_stack(account: Account) -> None:
    cert, key = self_signed("www.example.com", serial=31)
    provider = account.provider()
    provider.converge(
        one_input(
            manifest(account, {}, TLS.format(secret="web-tls"), tls_secret("shop", "web-tls", cert, key))
        )
    )
    assert len(our_certs(account)) == 1
    assert provider.converge(deletion("shop/web")).deleted
    assert our_certs(account) == {}
    assert account.client("acm").list_certificates()["CertificateSummaryList"] == []


DISCOVER = "  tls: [{hosts: [www.example.com]}]"


def test_certificate_discovery_exact_and_wildcard(account: Account) -> None:
    import_cert(account, "other.example.org")
    wildcard = import_cert(account, "*.example.com")
    import_cert(account, "*.www.example.com")  # covers a.www.example.com, not www.example.com
    provider = account.provider()
    stack = one_input(manifest(account, {}, DISCOVER))
    provider.converge(stack)
    assert Listeners(account).certificates(443) == (wildcard, set())
    assert_noop(provider, stack)

    exact = import_cert(account, "www.example.com")
    provider.converge(stack)
    assert Listeners(account).certificates(443)[0] in (exact, wildcard)
    assert our_certs(account) == {}  # discovered certificates are not ours: never tagged, never deleted
    provider.converge(deletion("shop/web"))
    arns = {c["CertificateArn"] for c in account.client("acm").list_certificates()["CertificateSummaryList"]}
    assert {wildcard, exact} <= arns


def test_certificate_discovery_none_is_user_fixable(account: Account) -> None:
    import_cert(account, "*.example.org")
    import_cert(account, "*.www.example.com")
    provider = account.provider()
    with pytest.raises((SpecError, ProviderError)) as caught:
        provider.converge(one_input(manifest(account, {}, DISCOVER)))
    assert "www.example.com" in str(caught.value)
    assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
