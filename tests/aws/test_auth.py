"""auth-type oidc (client credentials from a Secret) and cognito: an authenticate action before forward on
HTTPS listeners, with the session options visible in moto's rules; a missing Secret is user-fixable."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from emulators.testing.aws_stacks import WEB_INGRESS as INGRESS
from emulators.testing.aws_stacks import Account, one_input, with_nodes
from emulators.testing.certs import opaque_secret, self_signed
from lbctl.model.problems import SpecError
from lbctl.provider import ProviderError

OIDC = {
    "issuer": "https://idp.example.com",
    "authorizationEndpoint": "https://idp.example.com/auth",
    "tokenEndpoint": "https://idp.example.com/token",
    "userInfoEndpoint": "https://idp.example.com/userinfo",
    "secretName": "oidc-client",
}
COGNITO = {
    "userPoolARN": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc",
    "userPoolClientID": "client-123",
    "userPoolDomain": "shop-auth",
}
CLIENT_SECRET = "s3cr3t-client-value-9f8e7d"


def certificate(account: Account) -> str:
    cert, key = self_signed("www.example.com", serial=41)
    return str(
        account.client("acm").import_certificate(Certificate=cert.encode(), PrivateKey=key.encode())[
            "CertificateArn"
        ]
    )


def manifest(account: Account, annotations: dict[str, str], extra: str = "") -> str:
    ann = json.dumps({"alb.ingress.kubernetes.io/" + k: v for k, v in annotations.items()})
    return with_nodes(INGRESS.format(annotations=ann, tls="") + extra, account)


def rule_actions(account: Account) -> dict[int, list[dict[str, Any]]]:
    """Listener port → actions of its one non-default rule, in order."""
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]
    out = {}
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        rules = [
            r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
        ]
        assert len(rules) == 1
        out[listener["Port"]] = sorted(rules[0]["Actions"], key=lambda a: a.get("Order", 0))
    return out


def test_oidc_before_forward_on_https_only(account: Account, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    arn = certificate(account)
    annotations = {
        "listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "certificate-arn": arn,
        "auth-type": "oidc",
        "auth-idp-oidc": json.dumps(OIDC),
        "auth-on-unauthenticated-request": "deny",
        "auth-scope": "openid email",
        "auth-session-cookie": "shop-session",
        "auth-session-timeout": "3600",
    }
    secret = opaque_secret("shop", "oidc-client", {"clientID": "shop-client", "clientSecret": CLIENT_SECRET})
    provider = account.provider()
    stack = one_input(manifest(account, annotations, secret))
    assert stack.secrets["shop/oidc-client"]["clientID"] == "shop-client"
    result = provider.converge(stack)
    actions = rule_actions(account)
    assert [a["Type"] for a in actions[443]] == ["authenticate-oidc", "forward"]
    assert [a["Type"] for a in actions[80]] == ["forward"]  # ALB authenticates only on HTTPS
    config = actions[443][0]["AuthenticateOidcConfig"]
    assert (
        config["Issuer"],
        config["AuthorizationEndpoint"],
        config["TokenEndpoint"],
        config["UserInfoEndpoint"],
        config["ClientId"],
    ) == (
        OIDC["issuer"],
        OIDC["authorizationEndpoint"],
        OIDC["tokenEndpoint"],
        OIDC["userInfoEndpoint"],
        "shop-client",
    )
    assert (
        config["OnUnauthenticatedRequest"],
        config["Scope"],
        config["SessionCookieName"],
        int(config["SessionTimeout"]),
    ) == ("deny", "openid email", "shop-session", 3600)
    assert provider.converge(stack).changes == []
    assert CLIENT_SECRET not in caplog.text + repr(result) + repr(stack)

    # A changed option updates the rule in place.
    changed = one_input(manifest(account, {**annotations, "auth-session-timeout": "7200"}, secret))
    assert any(c.kind == "Rule" and c.action == "update" for c in provider.converge(changed).changes)
    assert int(rule_actions(account)[443][0]["AuthenticateOidcConfig"]["SessionTimeout"]) == 7200
    assert provider.converge(changed).changes == []


def test_cognito_before_forward(account: Account) -> None:
    arn = certificate(account)
    annotations = {
        "certificate-arn": arn,
        "auth-type": "cognito",
        "auth-idp-cognito": json.dumps(COGNITO),
        "auth-on-unauthenticated-request": "allow",
        "auth-scope": "openid profile",
    }
    provider = account.provider()
    stack = one_input(manifest(account, annotations))
    provider.converge(stack)
    actions = rule_actions(account)[443]
    assert [a["Type"] for a in actions] == ["authenticate-cognito", "forward"]
    config = actions[0]["AuthenticateCognitoConfig"]
    assert (config["UserPoolArn"], config["UserPoolClientId"], config["UserPoolDomain"]) == (
        COGNITO["userPoolARN"],
        COGNITO["userPoolClientID"],
        COGNITO["userPoolDomain"],
    )
    assert (
        config["OnUnauthenticatedRequest"],
        config["Scope"],
        config["SessionCookieName"],
        int(config["SessionTimeout"]),
    ) == ("allow", "openid profile", "AWSELBAuthSessionCookie", 604800)
    assert provider.converge(stack).changes == []


def test_missing_oidc_secret_is_user_fixable(account: Account) -> None:
    arn = certificate(account)
    annotations = {"certificate-arn": arn, "auth-type": "oidc", "auth-idp-oidc": json.dumps(OIDC)}
    provider = account.provider()
    with pytest.raises((SpecError, ProviderError)) as caught:
        provider.converge(one_input(manifest(account, annotations)))
    assert "shop/oidc-client" in str(caught.value) and "clientSecret" in str(caught.value)
    assert account.client("elbv2").describe_load_balancers()["LoadBalancers"] == []


def test_rotated_oidc_client_secret_reaches_the_rule(
    account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    arn = certificate(account)
    annotations = {"certificate-arn": arn, "auth-type": "oidc", "auth-idp-oidc": json.dumps(OIDC)}
    sent: list[str] = []
    provider = account.provider()

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.extend(
            a["AuthenticateOidcConfig"]["ClientSecret"]
            for a in params.get("Actions", [])
            if "AuthenticateOidcConfig" in a
        )

    for operation in ("CreateRule", "ModifyRule"):
        provider.clients.clients["elbv2"].meta.events.register(
            f"before-parameter-build.elastic-load-balancing-v2.{operation}", record
        )
    first = one_input(
        manifest(
            account,
            annotations,
            opaque_secret("shop", "oidc-client", {"clientID": "shop-client", "clientSecret": CLIENT_SECRET}),
        )
    )
    provider.converge(first)
    assert sent == [CLIENT_SECRET]
    assert provider.converge(first).changes == [] and sent == [CLIENT_SECRET]

    rotated = one_input(
        manifest(
            account,
            annotations,
            opaque_secret(
                "shop", "oidc-client", {"clientID": "shop-client", "clientSecret": "rotated-value-123"}
            ),
        )
    )
    result = provider.converge(rotated)
    assert sent == [CLIENT_SECRET, "rotated-value-123"]
    assert provider.converge(rotated).changes == []
    elb = account.client("elbv2")
    lb = elb.describe_load_balancers()["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    rule = next(
        r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]
    )
    tags = elb.describe_tags(ResourceArns=[rule["RuleArn"]])["TagDescriptions"][0]["Tags"]
    assert not any("rotated-value-123" in t["Value"] or CLIENT_SECRET in t["Value"] for t in tags)
    assert "rotated-value-123" not in caplog.text + repr(result) + str(result)
