"""What the Kubernetes API server refuses in the objects lbctl reads (names, Ingress hosts, paths and backends),
so that file-based commands refuse the same input a cluster would, with the field and the expected form.

Pure. Each check returns None when the value is valid, else the reason, written to follow "must be …" / "is …"
after the quoted value. The rules are those of the API server's own validation (apimachinery's DNS-1123 and
DNS-1035 checks, networking's Ingress validation).
"""

from __future__ import annotations

import ipaddress
import re

DNS1123_SUBDOMAIN_MAX = 253
DNS1123_LABEL_MAX = 63
DNS1035_LABEL_MAX = 63
PORT_NAME_MAX = 15

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_DNS1123_LABEL = re.compile(_LABEL)
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SLOPPY_IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")  # the API server also reads 010.0.0.1 as an IP

# Ingress paths of type Exact and Prefix (directory traversal and encoded slashes); ImplementationSpecific
# paths are the controller's own syntax and only need to be absolute.
INVALID_PATH_SEQUENCES = ("//", "/./", "/../", "%2f", "%2F")
INVALID_PATH_SUFFIXES = ("/..", "/.")

SUBDOMAIN_FORM = (
    f"a lowercase RFC 1123 subdomain of at most {DNS1123_SUBDOMAIN_MAX} characters: lower-case letters, digits, "
    "'-' and '.', starting and ending with a letter or digit (e.g. 'my-name' or 'shop.example.com')"
)
LABEL_FORM = (
    f"a lowercase RFC 1123 label of at most {DNS1123_LABEL_MAX} characters: lower-case letters, digits and '-', "
    "starting and ending with a letter or digit"
)
HOST_FORM = (
    f"a DNS name of at most {DNS1123_SUBDOMAIN_MAX} characters: lower-case letters, digits, '-' and '.', "
    "optionally starting with '*.' (a wildcard for the first label only), not an IP address"
)
SERVICE_NAME_FORM = (
    f"an RFC 1035 label of at most {DNS1035_LABEL_MAX} characters: lower-case letters, digits and '-', starting "
    "with a letter and ending with a letter or digit"
)
PORT_NAME_FORM = (
    f"an IANA service name of at most {PORT_NAME_MAX} characters: lower-case letters, digits and '-', with at "
    "least one letter, no '--', not starting or ending with '-'"
)


def subdomain_problem(name: str) -> str | None:
    """Object names (and TLS Secret, IngressClass names): a DNS-1123 subdomain."""
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        return f"is {len(name)} characters; expected {SUBDOMAIN_FORM}"
    if not _SUBDOMAIN.fullmatch(name):
        return f"is not valid; expected {SUBDOMAIN_FORM}"
    return None


def label_problem(name: str) -> str | None:
    """Namespace names: a DNS-1123 label."""
    if len(name) > DNS1123_LABEL_MAX or not _DNS1123_LABEL.fullmatch(name):
        return f"is not valid; expected {LABEL_FORM}"
    return None


def is_ip(host: str) -> bool:
    """An IPv4 (also with leading zeros, as the API server parses it) or IPv6 address."""
    if _SLOPPY_IPV4.fullmatch(host):
        return all(int(part) <= 255 for part in host.split("."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_problem(host: str) -> str | None:
    """An Ingress rule or TLS host: a DNS-1123 subdomain, or `*.` + one, never an IP address."""
    if is_ip(host):
        return f"is an IP address; expected {HOST_FORM} (requests by IP match a rule without host)"
    if len(host) > DNS1123_SUBDOMAIN_MAX:
        return f"is {len(host)} characters; expected {HOST_FORM}"
    name = host[2:] if host.startswith("*.") else host
    if not _SUBDOMAIN.fullmatch(name):
        return f"is not a valid host; expected {HOST_FORM}"
    return None


def path_problem(path: str, path_type: str) -> str | None:
    """An Exact or Prefix path: no '//', '/./', '/../', encoded '/', and no '/.' or '/..' at the end."""
    if path_type not in ("Exact", "Prefix"):
        return None
    for sequence in INVALID_PATH_SEQUENCES:
        if sequence in path:
            return (
                f"contains {sequence!r}; expected a clean absolute path for pathType {path_type} (none of "
                f"{', '.join(repr(s) for s in INVALID_PATH_SEQUENCES)}, not ending in '/.' or '/..')"
            )
    for suffix in INVALID_PATH_SUFFIXES:
        if path.endswith(suffix):
            return (
                f"ends with {suffix!r}; expected a clean absolute path for pathType {path_type} (not ending "
                "in '/.' or '/..')"
            )
    return None


def service_name_problem(name: str) -> str | None:
    """A backend's Service name: a DNS-1035 label (Service names are)."""
    if len(name) > DNS1035_LABEL_MAX or not _DNS1035_LABEL.fullmatch(name):
        return f"is not a valid Service name; expected {SERVICE_NAME_FORM}"
    return None


def port_name_problem(name: str) -> str | None:
    """A backend's Service port name: an IANA service name."""
    valid = (
        len(name) <= PORT_NAME_MAX
        and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) is not None
        and "--" not in name
        and re.search(r"[a-z]", name) is not None
    )
    return None if valid else f"is not a valid port name; expected {PORT_NAME_FORM}"
