"""The studio's own TLS certificate, for serving beyond loopback without a certificate of one's own.

Made once (an ECDSA P-256 key and a self-signed certificate naming this machine, its address and
localhost), kept owner-only in the data dir and reused, so a phone or tablet that trusted it once
keeps trusting it; made again only when it no longer names the address served on, or expires within
30 days. A browser cannot vouch for it: the studio prints its SHA-256 fingerprint to compare with
what the browser shows before accepting it.
Library: `cryptography` (Apache-2.0 / BSD-3-Clause). Threading: the caller's, before serving.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

CERT_FILE, KEY_FILE = "studio-cert.pem", "studio-key.pem"
VALID_DAYS = 825  # the longest validity browsers accept for a certificate they were told to trust
RENEW_WITHIN_DAYS = 30


@dataclass(frozen=True, slots=True)
class SelfSigned:
    """Where the certificate and key are, and the fingerprint to check in the browser."""

    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate (DER), colon-separated hex, as browsers show it
    made: bool  # False: an existing one was reused


def names_for(host: str) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the certificate must name to serve on `host`."""
    dns = ["localhost", socket.gethostname()]
    ips = ["127.0.0.1", "::1"]
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        dns.append(host)
    else:
        if not address.is_unspecified:  # 0.0.0.0 / ::: every address of this machine
            ips.append(str(address))
        else:
            ips.extend(_local_addresses())
    return sorted(set(dns)), sorted(set(ips))


def _local_addresses() -> list[str]:
    """This machine's addresses as other machines reach it (best effort, never the network)."""
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("fe80"))


def ensure_self_signed(directory: Path, host: str) -> SelfSigned:
    """The certificate in `directory` if it serves `host` and is not about to expire; else a new one."""
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    dns, ips = names_for(host)
    if cert_path.is_file() and key_path.is_file():
        existing = _usable(cert_path, dns, ips)
        if existing is not None:
            return SelfSigned(cert_path, key_path, existing, made=False)
    cert_pem, key_pem, fingerprint = _make(dns, ips)
    directory.mkdir(parents=True, exist_ok=True)
    _write_private(key_path, key_pem)
    _write_private(cert_path, cert_pem)
    return SelfSigned(cert_path, key_path, fingerprint, made=True)


def fingerprint_of(der: bytes) -> str:
    """SHA-256 of a DER certificate as browsers show it (AB:CD:...)."""
    import hashlib

    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def _usable(cert_path: Path, dns: list[str], ips: list[str]) -> str | None:
    """The fingerprint of the stored certificate, or None if it cannot serve these names any more."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound, OSError):
        return None  # unreadable or not ours: made again
    left = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    named_dns = set(names.get_values_for_type(x509.DNSName))
    named_ips = {str(a) for a in names.get_values_for_type(x509.IPAddress)}
    if left < datetime.timedelta(days=RENEW_WITHIN_DAYS):
        return None
    if not (set(dns) <= named_dns and set(ips) <= named_ips):
        return None
    return fingerprint_of(cert.public_bytes(Encoding.DER))


def _make(dns: list[str], ips: list[str]) -> tuple[bytes, bytes, str]:
    """A new key and a certificate naming `dns` and `ips`: (cert PEM, key PEM, fingerprint)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"AI Anchor Studio on {socket.gethostname()}")])
    now = datetime.datetime.now(datetime.UTC)
    alternative = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    return cert_pem, key_pem, fingerprint_of(cert.public_bytes(serialization.Encoding.DER))


def _write_private(path: Path, data: bytes) -> None:
    """Write owner-only, whole or not at all (a temporary file renamed over the old one)."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
