"""Certificates for SIP over TLS.

Production names its certificate (TLS_CERT_FILE, TLS_KEY_FILE: e.g. from Let's Encrypt).
Development and the test suite get a private CA and a certificate for this machine made here,
once, into <Asterisk config dir>/keys/: phones that should verify the server trust ca.crt.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pbx.files import replace_file


@dataclass(frozen=True)
class TlsFiles:
    cert: Path  # as Centrala (this host) sees them
    key: Path
    ca: Path | None = None  # the development CA, for phones to trust


def development_certificates(directory: Path) -> TlsFiles:
    """A CA and a server certificate (127.0.0.1, localhost and this host's name) in `directory`,
    made on first use and kept; a certificate close to expiry is made anew."""
    files = TlsFiles(directory / "asterisk.crt", directory / "asterisk.key", directory / "ca.crt")
    if files.cert.exists() and files.key.exists() and _valid_for_a_month(files.cert):
        return files
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Centrala development CA")])
    ca = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, days=3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    host = socket.gethostname()
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.DNSName(host),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    cert = (
        _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, key.public_key(), now, days=825)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.ca, ca.public_bytes(serialization.Encoding.PEM), 0o644)  # type: ignore[arg-type]
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(
        files.key,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        0o640,
    )
    return files


def _builder(subject: x509.Name, issuer: x509.Name, public_key, now: dt.datetime, days: int):  # type: ignore[no-untyped-def]
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _valid_for_a_month(path: Path) -> bool:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=30)


def _write(path: Path, data: bytes, mode: int) -> None:
    # The config folder's owner: in the sandbox, Asterisk's user, which must read the files.
    replace_file(path, data, mode=mode, owner_from=path.parent.parent)
