"""ACM certificates: import from Kubernetes TLS Secrets (tagged ours, with a content hash) and discovery of
issued certificates covering TLS hosts. Key material never appears in messages, logs or results."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lbctl.model.spec import LoadBalancerSpec
from lbctl.provider import ProviderError, TLSMaterial

from . import naming
from .clients import AwsClients, classify_aws_error, error_code, sensitive
from .stack import DesiredCertificate
from .translate import stack_error

TLS_FIELD = "spec.tls"


def secret_ref(cert: DesiredCertificate) -> str:
    return cert.ref.split(":", 1)[1]


def find_imported(cert: DesiredCertificate, current: list[dict[str, Any]]) -> str | None:
    """ARN of our imported certificate for this Secret with this content hash, if any."""
    role = naming.ROLE_CERTIFICATE + secret_ref(cert)
    for item in current:
        tags = item["Tags"]
        if tags.get(naming.RESOURCE_TAG) == role and tags.get(naming.CONTENT_HASH_TAG) == (cert.content_hash or ""):
            return str(item["CertificateArn"])
    return None


def import_certificate(clients: AwsClients, spec: LoadBalancerSpec, cluster: str, cert: DesiredCertificate,
                       material: TLSMaterial | None) -> str:  # fmt: skip
    """Import a Secret's certificate into ACM, tagged at creation; returns its ARN."""
    ref = secret_ref(cert)
    if material is None:
        raise stack_error(spec, TLS_FIELD, f"TLS material of Secret {ref} was not provided")
    tags = {**naming.ownership_tags(cluster, spec.stack, naming.ROLE_CERTIFICATE + ref),
            naming.CONTENT_HASH_TAG: cert.content_hash or ""}  # fmt: skip
    code, retryable = "", False
    try:
        with sensitive():
            return str(clients.call("acm", "ImportCertificate", **_import_params(material, tags))["CertificateArn"])
    except ClientError as exc:  # AWS's answer; its message never echoes the request
        code, retryable = error_code(exc), classify_aws_error(exc) is not None
    # Raised outside the except block: no chained exception or traceback frame keeps the request.
    if retryable:
        raise ProviderError(f"ImportCertificate for Secret {ref} kept failing ({code}); will retry")
    raise stack_error(spec, TLS_FIELD, f"ACM rejected the certificate of Secret {ref} ({code}); check that "
                      "tls.crt and tls.key are a matching PEM certificate and key")  # fmt: skip


def _import_params(material: TLSMaterial, tags: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "Certificate": material.certificate_pem.encode(),
        "PrivateKey": material.private_key_pem.encode(),
        "Tags": naming.tag_list(tags),
    }
    if material.chain_pem:
        params["CertificateChain"] = material.chain_pem.encode()
    return params


def covers(domain: str, host: str) -> bool:
    """Whether a certificate name covers a host (a `*.` name covers exactly one label)."""
    domain, host = domain.lower(), host.lower()
    if domain == host:
        return True
    if domain.startswith("*.") and host.endswith(domain[1:]):
        return "." not in host[: -len(domain) + 1] and len(host) > len(domain) - 1
    return host.startswith("*.") and domain == host  # a wildcard TLS host needs a wildcard certificate


class CertificateFinder:
    """Finds ISSUED ACM certificates covering hosts; describes each certificate once per converge."""

    def __init__(self, clients: AwsClients) -> None:
        self.clients = clients
        self._names: dict[str, list[str]] | None = None

    def _all(self) -> dict[str, list[str]]:
        if self._names is None:
            self._names = {}
            summaries = self.clients.pages("acm", "ListCertificates", "CertificateSummaryList", token_in="NextToken",
                                           token_out="NextToken", CertificateStatuses=["ISSUED"])  # fmt: skip
            for summary in sorted(summaries, key=lambda s: s["CertificateArn"]):
                arn = summary["CertificateArn"]
                detail = self.clients.call("acm", "DescribeCertificate", CertificateArn=arn)["Certificate"]
                self._names[arn] = [detail.get("DomainName", ""), *detail.get("SubjectAlternativeNames", [])]
        return self._names

    def find(self, spec: LoadBalancerSpec, hosts: list[str]) -> list[str]:
        chosen: list[str] = []
        missing = []
        for host in hosts:
            arn = next((a for a, names in self._all().items() if any(covers(n, host) for n in names)), None)
            if arn is None:
                missing.append(host)
            elif arn not in chosen:
                chosen.append(arn)
        if missing:
            raise stack_error(spec, TLS_FIELD, f"no ISSUED ACM certificate covers {', '.join(missing)}; request or "
                              "import one, or set alb.ingress.kubernetes.io/certificate-arn")  # fmt: skip
        return chosen
