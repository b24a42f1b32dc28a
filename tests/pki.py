"""A throwaway test PKI (root, signer, expired signer, time-stamp authority) and a local RFC 3161 server.

Made with the `cryptography` package, in a temporary folder; nothing here is a real identity.
"""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = "correct horse battery staple"


@dataclass(frozen=True)
class TestPKI:
    folder: Path
    root_cert: Path
    signer_key: Path
    signer_cert: Path        # signer certificate followed by the root (a chain)
    signer_p12: Path         # protected with PASSPHRASE
    expired_key: Path
    expired_cert: Path
    tsa_key: Path
    tsa_cert: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "appeal-archive test PKI")])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(subject_key, subject: str, issuer_key, issuer: x509.Name | None, *, ca: bool = False,
                 not_before: datetime, not_after: datetime, usage: list | None = None) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer or _name(subject))
               .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                                        critical=True)
    if usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_pki(folder: Path) -> TestPKI:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    root_key = _key()
    root = _certificate(root_key, "Test Root CA", root_key, None, ca=True, not_before=now - timedelta(days=1),
                        not_after=now + timedelta(days=3650))
    signer_key = _key()
    signer = _certificate(signer_key, "Test Archivist", root_key, root.subject, not_before=now - timedelta(days=1),
                          not_after=now + timedelta(days=365))
    expired_key = _key()
    expired = _certificate(expired_key, "Expired Archivist", root_key, root.subject,
                           not_before=now - timedelta(days=400), not_after=now - timedelta(days=30))
    tsa_key = _key()
    tsa = _certificate(tsa_key, "Test Time Stamp Authority", root_key, root.subject,
                       not_before=now - timedelta(days=1), not_after=now + timedelta(days=3650),
                       usage=[ExtendedKeyUsageOID.TIME_STAMPING])
    pem = serialization.Encoding.PEM
    files = {
        "root.pem": root.public_bytes(pem),
        "signer.key": _pem_key(signer_key),
        "signer.pem": signer.public_bytes(pem) + root.public_bytes(pem),
        "signer.p12": pkcs12.serialize_key_and_certificates(
            b"signer", signer_key, signer, [root],
            serialization.BestAvailableEncryption(PASSPHRASE.encode())),
        "expired.key": _pem_key(expired_key),
        "expired.pem": expired.public_bytes(pem),
        "tsa.key": _pem_key(tsa_key),
        "tsa.pem": tsa.public_bytes(pem),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return TestPKI(folder, folder / "root.pem", folder / "signer.key", folder / "signer.pem", folder / "signer.p12",
                   folder / "expired.key", folder / "expired.pem", folder / "tsa.key", folder / "tsa.pem")


def rogue_time_stamper(fixed_dt: datetime | None = None):
    """A time-stamp authority made up on the spot: a self-signed certificate no one trusts, and pyHanko's test
    time stamper, which stamps whatever time it is told (what an attacker holds)."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = _key()
    now = datetime.now(UTC)
    certificate = _certificate(key, "Trusted Time Stamping Authority", key, None, not_before=now - timedelta(days=1),
                               not_after=now + timedelta(days=365), usage=[ExtendedKeyUsageOID.TIME_STAMPING])
    der = serialization.Encoding.DER
    return DummyTimeStamper(asn1_x509.Certificate.load(certificate.public_bytes(der)),
                            keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                                       serialization.NoEncryption())),
                            SimpleCertificateStore.from_certs([]), fixed_dt=fixed_dt)


@contextmanager
def local_tsa(pki: TestPKI):
    """An RFC 3161 time-stamp server on 127.0.0.1 only (pyHanko's test time stamper behind http.server)."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    tsa_cert = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pki.tsa_cert.read_bytes()).public_bytes(
        serialization.Encoding.DER))
    root_cert = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pki.root_cert.read_bytes()).public_bytes(
        serialization.Encoding.DER))
    tsa_key = keys.PrivateKeyInfo.load(serialization.load_pem_private_key(pki.tsa_key.read_bytes(), None)
                                       .private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    stamper = DummyTimeStamper(tsa_cert, tsa_key, SimpleCertificateStore.from_certs([root_cert]))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            response = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
