"""TLS for the emulator's port: a self-signed certificate made at start, and per-connection sniffing.

kubectl (client-go's clientcmd) sends the kubeconfig's credentials only to an `https` server, so the
token the emulator requires reaches it only over TLS. The same port serves both: a connection whose first
byte is a TLS handshake record (0x16) is wrapped, anything else is plain HTTP (the in-process Python clients).
The private key lives only in memory (the `SSLContext`); it is written to a private temporary file just long
enough for `load_cert_chain` to read it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import select
import socket
import ssl
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_TLS_HANDSHAKE = 0x16
_SNIFF_TIMEOUT_SECONDS = 30.0


class ServerCertificate:
    """A self-signed server certificate for `names` (IP addresses and DNS names) and its server context."""

    def __init__(self, names: Iterable[str]) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        alternative: list[x509.GeneralName] = []
        for name in dict.fromkeys(name.strip("[]") for name in names if name):
            try:
                alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alternative.append(x509.DNSName(name))
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lbctl-kube-emulator")])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with tempfile.TemporaryDirectory(prefix="lbctl-emulator-tls-") as folder:
            key_path = Path(folder) / "key.pem"
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(key_pem + self.pem)
            self.context.load_cert_chain(key_path)

    def wrap_if_tls(self, connection: socket.socket) -> socket.socket:
        """The connection itself when its client speaks plain HTTP, else it wrapped in TLS (handshake done).

        Raises OSError (ssl.SSLError included) when the client leaves or the handshake fails."""
        connection.settimeout(_SNIFF_TIMEOUT_SECONDS)
        try:
            first = connection.recv(1, socket.MSG_PEEK)
        finally:
            connection.settimeout(None)
        if not first or first[0] != _TLS_HANDSHAKE:
            return connection
        wrapped = self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        wrapped.settimeout(_SNIFF_TIMEOUT_SECONDS)
        wrapped.do_handshake()
        wrapped.settimeout(None)
        return wrapped


def client_gone(connection: socket.socket) -> bool:
    """True once the client of an idle streaming response (a watch) has closed its end."""
    try:
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        if not isinstance(connection, ssl.SSLSocket):
            return connection.recv(1, socket.MSG_PEEK) == b""
        connection.setblocking(False)
        try:
            return connection.recv(1) == b""  # a watch client sends nothing: this is its close_notify or EOF
        except ssl.SSLWantReadError:
            return False
        finally:
            connection.setblocking(True)
    except (OSError, ValueError):
        return True
