"""Executor of ACM certificate steps: import a TLS Secret's certificate (key material never in messages, logs
or exceptions), delete ours when no listener uses it any more."""

from __future__ import annotations

from botocore.exceptions import ClientError

from lbctl.provider import ProviderError, Step

from ..clients import classify_aws_error, error_code, sensitive
from ..translate import stack_error
from .context import Context, Outputs, Request

OPERATIONS = frozenset({"ImportCertificate", "RequestCertificate", "DeleteCertificate"})
BUSY = {"DeleteCertificate": ("ResourceInUseException",)}  # still on a listener being deleted
TLS_FIELD = "spec.tls"
GATEWAY_TLS_FIELD = "spec.listeners[].tls.certificateRefs"  # a Gateway's certificates


def _tls_field(context: Context) -> str:
    frontend = getattr(context.spec, "frontend", None)
    return GATEWAY_TLS_FIELD if frontend is not None and frontend.managed_routing else TLS_FIELD


def execute(context: Context, step: Step, body: Request) -> Outputs:
    if step.operation == "DeleteCertificate":
        context.clients.call("acm", "DeleteCertificate", **body)
        return {}
    if step.operation == "RequestCertificate":  # create-acm-cert: no key material in the request
        return {
            "CertificateArn": str(context.clients.call("acm", "RequestCertificate", **body)["CertificateArn"])
        }
    ref = step.name
    if "PrivateKey" not in body:
        raise stack_error(context.spec, _tls_field(context), f"TLS material of Secret {ref} was not provided")
    params = {
        k: v.encode() if k in ("Certificate", "PrivateKey", "CertificateChain") else v
        for k, v in body.items()
    }
    code, retryable = "", False
    try:
        with sensitive():
            return {
                "CertificateArn": str(
                    context.clients.call("acm", "ImportCertificate", **params)["CertificateArn"]
                )
            }
    except ClientError as exc:  # AWS's answer; its message never echoes the request
        code, retryable = error_code(exc), classify_aws_error(exc) is not None
    del params
    # Raised outside the except block: no chained exception or traceback frame keeps the request.
    if retryable:
        raise ProviderError(f"ImportCertificate for Secret {ref} kept failing ({code}); will retry")
    raise stack_error(
        context.spec,
        _tls_field(context),
        f"ACM rejected the certificate of Secret {ref} ({code}); check that "
        "tls.crt and tls.key are a matching PEM certificate and key",
    )
