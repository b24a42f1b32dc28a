"""A throwaway test PKI served on 127.0.0.1, made with certomancer (what pyHanko's own tests use): a root, an
intermediate CA, an OCSP responder, a signer (and one whose certificate has expired), CRLs, and two
independent time-stamp authorities. Nothing here is a real identity.

Validity periods are fixed so that a signature made today can be judged twenty years on: the signer's
certificate ends in 2031, the first time-stamp authority's in 2036, the second's in 2080.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PASSPHRASE = "correct horse battery staple"
KEYS = ("root", "interm", "ocsp", "signer", "expired", "tsa1", "tsa2")
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"  # RFC 9336


@dataclass(frozen=True)
class TestPKI:
    folder: Path
    url: str  # where its services answer: <url>/testing-ca/{ocsp,crls,tsa}/...
    root_cert: Path  # the trust anchor
    signer_key: Path
    signer_cert: Path  # the signer's certificate, then the intermediate's and the root's (a chain)
    signer_p12: Path  # protected with PASSPHRASE
    expired_key: Path
    expired_cert: Path
    tsa_cert: Path  # the first authority's certificate
    tsa_urls: tuple[str, str]

    @property
    def tsa_url(self) -> str:
        return self.tsa_urls[0]


def _cert(issuer: str, start: str, end: str, extensions: list) -> dict:
    return {"issuer": issuer, "validity": {"valid-from": f"{start}T00:00:00+0000", "valid-to": f"{end}T00:00:00+0000"},
            "extensions": extensions}


def _key_usage(*usages: str) -> dict:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(usages)}}


def _crl_from(repository: str) -> dict:
    return {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                              "params": {"crl-repo-names": [repository]}}}


def _tsa(end: str) -> dict:
    return _cert("root", "2020-01-01", end, [
        _key_usage("digital_signature"),
        {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}, _crl_from("root")])


def certomancer_config(keys: Path, url: str) -> dict:
    """The PKI as certomancer describes it (see certomancer's example.yml)."""
    signer = _cert("interm", "2025-01-01", "2031-01-01", [
        _key_usage("digital_signature", "non_repudiation"),
        {"id": "extended_key_usage", "value": [DOCUMENT_SIGNING, "email_protection"]},
        _crl_from("interm"),
        {"id": "authority_information_access", "smart-value": {"schema": "aia-urls",
                                                                 "params": {"ocsp-responder-names": ["interm"]}}}])
    return {
        "external-url-prefix": url,
        "keysets": {"testing-ca": {"path-prefix": str(keys),
                                   "keys": {name: {"path": f"{name}.key.pem"} for name in KEYS}}},
        "pki-architectures": {"testing-ca": {
            "keyset": "testing-ca",
            "entity-defaults": {"country-name": "BE", "organization-name": "appeal-archive test PKI"},
            "entities": {"root": {"common-name": "Test Root CA"}, "interm": {"common-name": "Test Intermediate CA"},
                         "ocsp": {"common-name": "Test OCSP Responder"}, "signer": {"common-name": "Test Archivist"},
                         "expired": {"common-name": "Expired Archivist"},
                         "tsa1": {"common-name": "Test Time Stamp Authority 1"},
                         "tsa2": {"common-name": "Test Time Stamp Authority 2"}},
            "certs": {
                "root": {**_cert("root", "2000-01-01", "2100-01-01", [
                    {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                    _key_usage("digital_signature", "key_cert_sign", "crl_sign")]),
                    "subject": "root", "subject-key": "root", "authority-key": "root"},
                "interm": _cert("root", "2000-01-01", "2090-01-01", [
                    {"id": "basic_constraints", "critical": True, "value": {"ca": True, "path-len-constraint": 0}},
                    _key_usage("digital_signature", "key_cert_sign", "crl_sign"), _crl_from("root")]),
                "ocsp": _cert("interm", "2000-01-01", "2090-01-01", [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"}]),
                "signer": signer,
                "expired": {**signer, "validity": {"valid-from": "2020-01-01T00:00:00+0000",
                                                   "valid-to": "2022-01-01T00:00:00+0000"}},
                "tsa1": _tsa("2036-01-01"),
                "tsa2": _tsa("2080-01-01"),
            },
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                "crl-repo": {"root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                             "interm": {"for-issuer": "interm", "signing-key": "interm",
                                        "simulated-update-schedule": "P30D"}},
                "time-stamping": {"tsa1": {"signing-key": "tsa1", "signing-cert": "tsa1"},
                                  "tsa2": {"signing-key": "tsa2", "signing-cert": "tsa2"}},
            },
        }},
    }


@functools.cache
def _keys_parsed_once() -> None:
    """certomancer's crypto back end, keeping each key it has parsed: it parses the signing key again, with
    cryptography's full RSA check (50 ms), for every OCSP response, CRL, certificate and time stamp it signs,
    which cost a test run 5 s. What is signed, and how, is unchanged."""
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    @functools.cache
    def parsed(der: bytes):
        return serialization.load_der_private_key(der, password=None)

    class KeysParsedOnce(crypto_utils.PycaCryptographyBackend):
        @functools.cache  # noqa: B019 - one back end for the process, its keys are few
        def load_private_key(self, key_bytes: bytes, password):
            return super().load_private_key(key_bytes, password)

        def generic_sign(self, private_key, tbs_bytes: bytes, sd_algo) -> bytes:
            if sd_algo.signature_algo != "rsassa_pkcs1v15":
                return super().generic_sign(private_key, tbs_bytes, sd_algo)
            digest = getattr(hashes, sd_algo.hash_algo.upper())()
            return parsed(private_key.dump()).sign(tbs_bytes, padding.PKCS1v15(), digest)

    crypto_utils.CRYPTO_BACKEND = KeysParsedOnce()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_pki(folder: Path):
    """Make the test PKI in `folder` and serve its OCSP responder, CRLs and time-stamp authorities on
    127.0.0.1 for as long as the block runs."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
    from werkzeug.serving import make_server

    _keys_parsed_once()
    folder.mkdir(parents=True, exist_ok=True)
    keys = folder / "keys"
    keys.mkdir(exist_ok=True)
    private = {}
    for name in KEYS:
        private[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (keys / f"{name}.key.pem").write_bytes(private[name].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = CertomancerConfig(certomancer_config(keys, url), key_search_dir=str(keys))
    architecture = config.get_pki_arch(ArchLabel("testing-ca"))

    def pem(label: str) -> bytes:
        return x509.load_der_x509_certificate(architecture.get_cert(CertLabel(label)).dump()).public_bytes(
            serialization.Encoding.PEM)

    chain = pem("interm") + pem("root")
    files = {
        "root.pem": pem("root"),
        "signer.key": (keys / "signer.key.pem").read_bytes(),
        "signer.pem": pem("signer") + chain,
        "signer.p12": pkcs12.serialize_key_and_certificates(
            b"signer", private["signer"], x509.load_pem_x509_certificate(pem("signer")),
            [x509.load_pem_x509_certificate(pem("interm")), x509.load_pem_x509_certificate(pem("root"))],
            serialization.BestAvailableEncryption(PASSPHRASE.encode())),
        "expired.key": (keys / "expired.key.pem").read_bytes(),
        "expired.pem": pem("expired") + chain,
        "tsa.pem": pem("tsa1"),
        "certomancer.yml": yaml.safe_dump(certomancer_config(keys, url)).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in the test output
    server = make_server("127.0.0.1", port, Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TestPKI(folder, url, folder / "root.pem", folder / "signer.key", folder / "signer.pem",
                      folder / "signer.p12", folder / "expired.key", folder / "expired.pem", folder / "tsa.pem",
                      (f"{url}/testing-ca/tsa/tsa1", f"{url}/testing-ca/tsa/tsa2"))
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def local_tsa(pki: TestPKI):
    """The first time-stamp authority's URL (the PKI's server is already running)."""
    yield pki.tsa_url


def trusted_time_stamper(pki: TestPKI):
    """The first authority's own key and certificate, stamping in this process: what its server would answer,
    without a request (for tests that make many time stamps)."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificate = x509.load_pem_x509_certificate(pki.tsa_cert.read_bytes())
    key = serialization.load_pem_private_key((pki.folder / "keys" / "tsa1.key.pem").read_bytes(), None)
    der = serialization.Encoding.DER
    return DummyTimeStamper(asn1_x509.Certificate.load(certificate.public_bytes(der)),
                            keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                                       serialization.NoEncryption())),
                            SimpleCertificateStore.from_certs([]))


def rogue_time_stamper(fixed_dt: datetime | None = None):
    """A time-stamp authority made up on the spot: a self-signed certificate no one trusts, and pyHanko's test
    time stamper, which stamps whatever time it is told (what an attacker holds)."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trusted Time Stamping Authority")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=365))
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                   .sign(key, hashes.SHA256()))
    der = serialization.Encoding.DER
    return DummyTimeStamper(asn1_x509.Certificate.load(certificate.public_bytes(der)),
                            keys.PrivateKeyInfo.load(key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                                       serialization.NoEncryption())),
                            SimpleCertificateStore.from_certs([]), fixed_dt=fixed_dt)


def signer_without_revocation_sources(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a signer whose certificates name no CRL or OCSP server: no revocation data can be had for
    it. Returns the key, the certificate chain and the CA's certificate (PEM files)."""
    now = datetime.now(UTC)
    ca_key, key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA without revocation")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    signer = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Unchecked")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
              .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
              .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    (folder / "unchecked.key").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    (folder / "unchecked.pem").write_bytes(signer.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "unchecked-ca.pem").write_bytes(ca.public_bytes(pem))
    return folder / "unchecked.key", folder / "unchecked.pem", folder / "unchecked-ca.pem"
