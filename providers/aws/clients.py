"""boto3 clients whose every call goes through the shared CloudCaller (retries, rate limits, counts)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from lbctl.cloudcalls import CallStats, CloudCaller, CloudFault
from lbctl.model import annotations as a
from lbctl.model.registry import annotation_field

THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequests",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
}

# Like the anchor's defaults (per operation, calls per second); override with options["rate_limits"].
DEFAULT_RATE_LIMITS: dict[str, float] = {
    "Describe": 50.0,
    "Get": 50.0,
    "List": 50.0,
    "Register": 4.0,
    "Deregister": 4.0,
    "Create": 3.0,
    "Modify": 3.0,
    "Delete": 3.0,
    "Set": 3.0,
    "Add": 3.0,
    "Remove": 3.0,
    "Import": 3.0,
    "Authorize": 3.0,
    "Revoke": 3.0,
    "Associate": 3.0,
    "Disassociate": 3.0,
}

SERVICES = ("elbv2", "ec2", "acm", "wafv2", "waf-regional", "shield", "route53", "resourcegroupstaggingapi")


# SDK loggers that can carry a request body at DEBUG level (botocore.endpoint logs every parameter).
SDK_LOGGER_PREFIXES = ("botocore", "boto3", "urllib3", "s3transfer")
_sensitive = threading.local()


class _RedactSensitiveCalls(logging.Filter):
    """Replaces SDK log records a thread emits while it makes a call carrying key material."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_sensitive, "depth", 0):
            record.msg = "<redacted: %s>"
            record.args = ("this call carries key material",)
        return True


_REDACT = _RedactSensitiveCalls()
_KNOWN_SDK_LOGGERS = (
    "botocore",
    "botocore.endpoint",
    "botocore.hooks",
    "botocore.parsers",
    "botocore.auth",
    "botocore.retryhandler",
    "botocore.httpsession",
    "botocore.client",
    "botocore.awsrequest",
    "botocore.utils",
    "botocore.regions",
    "botocore.context",
    "botocore.useragent",
    "botocore.httpchecksum",
    "botocore.endpoint_provider",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.util.retry",
)


def _install_redaction() -> None:
    """Attach the filter to every SDK logger (a logger filter sees only records of that exact logger)."""
    names = set(_KNOWN_SDK_LOGGERS) | {
        n for n in list(logging.root.manager.loggerDict) if n.split(".", 1)[0] in SDK_LOGGER_PREFIXES
    }
    for name in names:
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


@contextmanager
def sensitive() -> Iterator[None]:
    """Within this block, this thread's SDK log records are redacted (e.g. ImportCertificate's private key)."""
    _install_redaction()
    _sensitive.depth = getattr(_sensitive, "depth", 0) + 1
    try:
        yield
    finally:
        _sensitive.depth -= 1


def classify_aws_error(exc: BaseException) -> str | None:
    """'throttled' / 'server-error' for retryable AWS failures, None for final ones."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in THROTTLING_CODES:
            return "throttled"
        if status >= 500 or code in ("InternalError", "InternalFailure", "ServiceUnavailable"):
            return "server-error"
        return None
    if isinstance(exc, ConnectionError | HTTPClientError):
        return "server-error"
    return None


# 4xx codes that are not about the Ingress: credentials and permissions (the installation's), and our own
# resources vanishing under a converge (the next converge discovers afresh).
NOT_USER_FIXABLE_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthFailure",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "RequestExpired",
        "OptInRequired",
        "IncorrectState",
        "LoadBalancerNotFound",
        "TargetGroupNotFound",
        "ListenerNotFound",
        "RuleNotFound",
        "InvalidGroup.NotFound",
        "PriorityInUse",
    }
)
TAGS_FIELD = annotation_field(a.TAGS)
# Rejections whose field is known whatever the call (AWS names them so).
CODE_FIELDS = {
    "TooManyTags": TAGS_FIELD,
    "TagLimitExceeded": TAGS_FIELD,
    "DuplicateTagKeys": TAGS_FIELD,
    "InvalidTagKey": TAGS_FIELD,
    "InvalidTagValue": TAGS_FIELD,
    "CertificateNotFound": annotation_field(a.CERTIFICATE_ARN),
    "SSLPolicyNotFound": annotation_field(a.SSL_POLICY),
    "DuplicateLoadBalancerName": annotation_field(a.LOAD_BALANCER_NAME),
    "WAFUnavailableEntityException": annotation_field(a.WAFV2_ACL_ARN),
}


def describe_aws_error(exc: BaseException) -> CloudFault | None:
    """AWS's code, HTTP status and message of a failed call (never the request)."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return CloudFault(str(error.get("Code", "")) or str(status), status, str(error.get("Message", "")))
    if isinstance(exc, BotoCoreError):
        return CloudFault(type(exc).__name__, 0, str(exc))
    return None


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


_MODEL_LOADER: botocore.loaders.Loader | None = None


def _botocore_session() -> botocore.session.Session:
    """A botocore session sharing the process's one service-model loader: the loader caches the parsed
    JSON models, so a second provider (a restart, a plan, each test) does not parse them again."""
    global _MODEL_LOADER
    session = botocore.session.Session()
    if _MODEL_LOADER is None:
        _MODEL_LOADER = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _MODEL_LOADER)
    return session


class AwsClients:
    """One boto3 client per service plus the CloudCaller every call goes through."""

    def __init__(
        self, region: str, endpoint_url: str | None, options: dict[str, Any], stats: CallStats | None = None
    ) -> None:
        session = boto3.session.Session(
            aws_access_key_id=options.get("aws_access_key_id"),
            aws_secret_access_key=options.get("aws_secret_access_key"),
            region_name=region,
            botocore_session=_botocore_session(),
        )
        # Our CloudCaller owns retries; botocore's own retries would hide throttling from the counts.
        config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30)
        self.region = region
        self.clients: dict[str, Any] = {
            service: session.client(service, endpoint_url=endpoint_url, config=config) for service in SERVICES
        }
        self.caller = CloudCaller(
            classify_aws_error,
            rate_limits=dict(options.get("rate_limits") or DEFAULT_RATE_LIMITS),
            attempts=int(options.get("retry_attempts", 8)),
            initial_wait=float(options.get("retry_initial_wait", 0.2)),
            max_wait=float(options.get("retry_max_wait", 20.0)),
            stats=stats,
            describe=describe_aws_error,
            cloud="AWS",
            not_user_fixable=NOT_USER_FIXABLE_CODES,
            fields=CODE_FIELDS,
        )

    @property
    def stats(self) -> CallStats:
        return self.caller.stats

    def call(self, service: str, operation: str, **kwargs: Any) -> Any:
        """Call `operation` (API name, e.g. "DescribeLoadBalancers") through the CloudCaller."""
        client = self.clients[service]
        method: Callable[..., Any] = getattr(client, xform_name(operation))
        return self.caller.call(service, operation, method, **kwargs)

    def ec2_pages(self, operation: str, result_key: str, **kwargs: Any) -> list[Any]:
        """All items of a paginated EC2 Describe call (EC2 pages with NextToken both ways)."""
        return self.pages("ec2", operation, result_key, token_in="NextToken", token_out="NextToken", **kwargs)

    def pages(
        self,
        service: str,
        operation: str,
        result_key: str,
        token_in: str = "Marker",
        token_out: str = "NextMarker",
        **kwargs: Any,
    ) -> list[Any]:
        """All items of a paginated Describe/List call, each page through the CloudCaller."""
        items: list[Any] = []
        while True:
            page = self.call(service, operation, **kwargs)
            items.extend(page.get(result_key, []))
            token = page.get(token_out)
            if not token:
                return items
            kwargs[token_in] = token
