"""The one classification of failed cloud calls (`CloudCaller.provider_error`): 4xx rejections of what was
asked are user-fixable and quote the cloud; throttling, 5xx, timeouts and permissions are not; the field is
named when the cloud's code says which it is. Real SDK exception objects, real CloudCallers of each provider."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from google.api_core import exceptions

from lbctl.cloudcalls import CloudCaller, Fenced, note
from lbctl.provider import ProviderConfig
from providers.aws.clients import AwsClients
from providers.gcp.provider import GcpProvider


@cache
def aws_caller() -> CloudCaller:
    options = {
        "retry_attempts": 3,
        "retry_initial_wait": 0.001,
        "retry_max_wait": 0.002,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }
    return AwsClients("us-east-1", "http://127.0.0.1:1", options).caller


@cache
def gcp_caller() -> CloudCaller:
    provider = GcpProvider(
        ProviderConfig(
            cluster_name="c",
            options={
                "project": "p",
                "retry_attempts": 3,
                "retry_initial_wait": 0.001,
                "retry_max_wait": 0.002,
            },
        )
    )
    return provider.caller


def client_error(code: str, status: int, message: str = "the cloud says no") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "CreateRule",
    )


def fail_through(caller: CloudCaller, operation: str, exc: BaseException) -> BaseException:
    """Make one call through the caller that fails with `exc` every time; return what it raised."""

    def call() -> Any:
        raise exc

    with pytest.raises(type(exc)) as caught:
        caller.call("svc", operation, call)
    return caught.value


@pytest.mark.parametrize(
    ("code", "status", "fixable"),
    [
        ("ValidationError", 400, True),
        ("TooManyTags", 400, True),
        ("ResourceInUse", 400, True),
        ("Throttling", 400, False),
        ("AccessDenied", 403, False),
        ("ServiceUnavailable", 503, False),
        ("InternalFailure", 500, False),
        ("LoadBalancerNotFound", 400, False),
    ],
)
def test_aws_errors(code: str, status: int, fixable: bool) -> None:
    caller = aws_caller()
    raised = fail_through(caller, "CreateRule", client_error(code, status))
    note(raised, resource="Rule HTTP:80 #2")
    error = caller.provider_error(raised)
    assert error is not None and error.user_fixable is fixable
    if fixable:
        assert str(error) == f"AWS rejected CreateRule for Rule HTTP:80 #2 ({code}): the cloud says no"
    else:
        assert "CreateRule for Rule HTTP:80 #2 " in str(error) and f"({code}): the cloud says no" in str(
            error
        )
    retried = status >= 500 or code == "Throttling"
    assert ("still failing after 3 attempts" in str(error)) is retried


def test_aws_field_from_the_code_and_from_the_executor() -> None:
    caller = aws_caller()
    tags = caller.provider_error(fail_through(caller, "AddTags", client_error("TooManyTags", 400)))
    assert tags is not None and tags.field == "metadata.annotations[alb.ingress.kubernetes.io/tags]"
    raised = fail_through(caller, "CreateRule", client_error("ValidationError", 400))
    note(raised, field="Ingress default/a spec.rules[0].http.paths[0]")
    rule = caller.provider_error(raised)
    assert rule is not None and rule.field == "Ingress default/a spec.rules[0].http.paths[0]"


def test_timeouts_and_unknown_exceptions() -> None:
    caller = aws_caller()
    timeout = caller.provider_error(fail_through(caller, "DescribeRules", ReadTimeoutError(endpoint_url="x")))
    assert timeout is not None and not timeout.user_fixable and "(ReadTimeoutError)" in str(timeout)
    assert (
        caller.provider_error(fail_through(caller, "CreateRule", KeyError("bug"))) is None
    )  # a bug stays a bug
    assert caller.provider_error(Fenced("lost the lease")) is None


@pytest.mark.parametrize(
    ("exc", "fixable"),
    [
        (
            exceptions.BadRequest(
                "Invalid value", errors=[{"reason": "invalid", "message": "Invalid value"}]
            ),
            True,
        ),
        (
            exceptions.BadRequest(
                "in use", errors=[{"reason": "resourceInUseByAnotherResource", "message": "in use"}]
            ),
            True,
        ),
        (exceptions.Forbidden("quota", errors=[{"reason": "quotaExceeded", "message": "quota"}]), True),
        (exceptions.Forbidden("denied", errors=[{"reason": "forbidden", "message": "denied"}]), False),
        (exceptions.TooManyRequests("slow down"), False),
        (exceptions.ServiceUnavailable("down"), False),
        (
            exceptions.BadRequest(
                "not ready", errors=[{"reason": "resourceNotReady", "message": "not ready"}]
            ),
            False,
        ),
        (exceptions.Conflict("exists"), False),
    ],
)
def test_gcp_errors(exc: exceptions.GoogleAPICallError, fixable: bool) -> None:
    caller = gcp_caller()
    raised = fail_through(caller, "urlMaps.insert", exc)
    note(raised, resource="UrlMap um")
    error = caller.provider_error(raised)
    assert error is not None and error.user_fixable is fixable
    assert "urlMaps.insert for UrlMap um" in str(error) and str(exc.message) in str(error)
    assert str(error).startswith("Google Cloud rejected") is fixable
