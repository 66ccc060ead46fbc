"""`serve --tls-self-signed`: the studio's own certificate, made once, kept owner-only, reused, and
verifiable by its fingerprint; a browser that trusts it gets a fully verified HTTPS connection."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from studio.cli import main
from studio.web import Tokens, WebOptions, WebServer
from studio.web.selfsigned import ensure_self_signed, fingerprint_of
from tests.web.conftest import CONTROL, OVERLAY, WAIT_S
from tests.web.test_serve import _show


def _names(cert: Path) -> tuple[set[str], set[str]]:
    """(DNS names, IP addresses) a certificate file names."""
    names = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    return set(names.value.get_values_for_type(x509.DNSName)), {
        str(a) for a in names.value.get_values_for_type(x509.IPAddress)
    }


def test_made_once_owner_only_then_reused_and_made_again_for_a_new_address(tmp_path: Path) -> None:
    first = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
    assert first.made and stat.S_IMODE(first.key.stat().st_mode) == 0o600
    dns, ips = _names(first.cert)
    assert "localhost" in dns and {"127.0.0.1", "::1"} <= ips
    der = x509.load_pem_x509_certificate(first.cert.read_bytes()).public_bytes(Encoding.DER)
    assert first.fingerprint == fingerprint_of(der) and len(first.fingerprint.split(":")) == 32
    again = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
    assert not again.made and again.fingerprint == first.fingerprint
    lan = ensure_self_signed(tmp_path / "tls", "192.0.2.7")
    assert lan.made and lan.fingerprint != first.fingerprint and "192.0.2.7" in _names(lan.cert)[1]
    assert not list((tmp_path / "tls").glob("*.tmp")), "nothing written half"


def test_a_broken_certificate_file_is_made_again(tmp_path: Path) -> None:
    made = ensure_self_signed(tmp_path, "127.0.0.1")
    made.cert.write_text("not a certificate")
    assert ensure_self_signed(tmp_path, "127.0.0.1").made


def test_https_with_it_verifies_fully_and_presents_the_printed_fingerprint(tmp_path: Path) -> None:
    made = ensure_self_signed(tmp_path / "tls", "127.0.0.1")
    show, _ = _show(tmp_path)
    server = WebServer(
        show, WebOptions(tokens=Tokens(CONTROL, OVERLAY), port=0, tls_cert=made.cert, tls_key=made.key)
    )
    server.start()
    try:
        trusted = ssl.create_default_context(cafile=str(made.cert))  # what "trust this certificate" does
        with httpx.Client(verify=trusted, timeout=WAIT_S) as client:
            answer = client.get(f"{server.url}/api/status", headers={"Authorization": f"Bearer {CONTROL}"})
        port = int(server.url.rsplit(":", 1)[1])
        presented = ssl.get_server_certificate(("127.0.0.1", port))
    finally:
        server.stop()
    assert server.url.startswith("https://") and answer.status_code == 200
    assert fingerprint_of(ssl.PEM_cert_to_DER_cert(presented)) == made.fingerprint


def test_serve_refuses_a_certificate_of_ones_own_and_the_self_signed_one_together(capsys) -> None:
    argv = ["serve", "--tls-self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"]
    assert main(argv) == 2 and "not both" in capsys.readouterr().err


def test_binding_beyond_loopback_without_tls_names_the_self_signed_way(capsys) -> None:
    assert main(["serve", "--host", "0.0.0.0"]) == 2 and "--tls-self-signed" in capsys.readouterr().err
