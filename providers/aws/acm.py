"""ACM certificates: discovery of issued certificates covering TLS hosts (imports from TLS Secrets are steps:
see apply/certificates.py)."""

from __future__ import annotations

from lbctl.model.annotations import CERTIFICATE_ARN
from lbctl.model.spec import LoadBalancerSpec

from .clients import AwsClients
from .translate import stack_error

TLS_FIELD = "spec.tls"


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
            summaries = self.clients.pages(
                "acm",
                "ListCertificates",
                "CertificateSummaryList",
                token_in="NextToken",
                token_out="NextToken",
                CertificateStatuses=["ISSUED"],
            )
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
            raise stack_error(
                spec,
                TLS_FIELD,
                f"no ISSUED ACM certificate covers {', '.join(missing)}; request or "
                f"import one, or set {CERTIFICATE_ARN}",
            )
        return chosen
