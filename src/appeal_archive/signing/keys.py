"""Where the signing key comes from: PEM files, a PKCS#12 file (passphrase from an environment variable), or
the custodian identity in the user's configuration folder (custodian.py), never inside the project.

RSA only: ECDSA and Ed25519 would make pyHanko write PDF 2.0 (not PDF/A-3), and poppler's pdfsig cannot check
Ed25519. Keys are held in memory only; nothing here writes them anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from appeal_archive.errors import EXIT_USAGE, fail

DEFAULT_PASSPHRASE_ENV = "APPEAL_ARCHIVE_PASSPHRASE"


@dataclass(frozen=True)
class SignerConfig:
    """How to sign: the key (nothing set: the custodian identity), the time-stamp authorities, the PAdES
    level (None: the highest the authorities allow), and extra roots under which the signer's and the
    authorities' certificates are checked when their validation data is collected."""

    key: Path | None = None
    cert: Path | None = None
    pkcs12: Path | None = None
    passphrase_env: str = DEFAULT_PASSPHRASE_ENV
    tsa_urls: tuple[str, ...] = ()
    level: str | None = None
    trust_roots: tuple[Path, ...] = ()
    identity_dir: Path | None = None


@dataclass(frozen=True)
class KeyMaterial:
    private_key: PrivateKeyTypes  # an RSA key, which _check_material requires
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # the issuers, up to the root when the holder has it
    source: str
    crls: tuple[x509.CertificateRevocationList, ...] = ()  # issued now by the custodian CA, for offline B-LT


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise fail("sign.key-unreadable", f"cannot read the {what} {path}: {error.strerror}",
                   f"check the path given for the {what}") from error


def _passphrase(env_name: str) -> bytes | None:
    value = os.environ.get(env_name)
    return value.encode("utf-8") if value else None


def load_key_material(config: SignerConfig, now: datetime) -> tuple[KeyMaterial, list[str]]:
    """The configured key and certificate, checked (RSA, in its validity period); plus notices for the user."""
    from appeal_archive.signing import custodian

    notices: list[str] = []
    if config.pkcs12:
        material = _from_pkcs12(config.pkcs12, config.passphrase_env)
    elif config.key or config.cert:
        if not (config.key and config.cert):
            raise fail("sign.usage", "--key and --cert must be given together", "give both PEM files, or --pkcs12",
                       exit_code=EXIT_USAGE)
        material = _from_pem(config.key, config.cert, config.passphrase_env)
    else:
        folder = config.identity_dir or custodian.default_identity_dir()
        notices = custodian.ensure_identity(folder, now)
        if custodian.identity_kind(folder) == "self-signed":
            material = _from_pem(folder / "key.pem", folder / "cert.pem", config.passphrase_env, made_here=True)
        else:
            material = _from_pem(folder / custodian.SIGNER_KEY, folder / custodian.SIGNER_CERT, config.passphrase_env,
                                 made_here=True)
            material = KeyMaterial(material.private_key, material.certificate, material.chain, material.source,
                                   (custodian.issue_crl(folder, now),))
            notices.append(f"signing with the custodian identity in {folder}")
    _check_material(material, now)
    return material, notices


def _from_pem(key_path: Path, cert_path: Path, passphrase_env: str, made_here: bool = False) -> KeyMaterial:
    """`made_here`: the custodian's own key, which this tool generated; the slow consistency check of an RSA key
    from elsewhere (0.1 s) is skipped, as for the CA's key, and the key is still matched to its certificate."""
    key_data, cert_data = _read(key_path, "private key"), _read(cert_path, "certificate")
    passphrase = _passphrase(passphrase_env)

    def load(password: bytes | None):
        return serialization.load_pem_private_key(key_data, password=password,
                                                  unsafe_skip_rsa_key_validation=made_here)

    try:
        try:
            key = load(passphrase)
        except TypeError:
            if passphrase is None:
                raise
            key = load(None)  # the key is not encrypted
    except TypeError as error:
        raise fail("sign.passphrase", f"the private key {key_path} is encrypted and no passphrase was given",
                   f"put the passphrase in the environment variable {passphrase_env}") from error
    except ValueError as error:
        raise fail("sign.key-invalid", f"{key_path} is not a private key this passphrase opens",
                   f"check the file, and the passphrase in {passphrase_env}") from error
    try:
        certificates = x509.load_pem_x509_certificates(cert_data)
    except ValueError as error:
        raise fail("sign.cert-invalid", f"{cert_path} holds no PEM certificate",
                   "give the signer's certificate (and its chain) in PEM form") from error
    return KeyMaterial(key, certificates[0], tuple(certificates[1:]), f"{key_path} and {cert_path}")


def _from_pkcs12(path: Path, passphrase_env: str) -> KeyMaterial:
    data = _read(path, "PKCS#12 file")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, _passphrase(passphrase_env))
    except ValueError as error:
        raise fail("sign.passphrase", f"cannot open {path}: wrong passphrase, or not a PKCS#12 file",
                   f"put the right passphrase in the environment variable {passphrase_env}") from error
    if key is None or certificate is None:
        raise fail("sign.key-invalid", f"{path} holds no private key with its certificate",
                   "export the signing key together with its certificate")
    return KeyMaterial(key, certificate, tuple(chain), str(path))


def _check_material(material: KeyMaterial, now: datetime) -> None:
    if not isinstance(material.private_key, rsa.RSAPrivateKey):
        raise fail("sign.key-type", "the signing key is not an RSA key",
                   "use an RSA key (2048 bits or more): other key types make the PDF 2.0, not PDF/A-3")
    if material.private_key.public_key() != material.certificate.public_key():
        raise fail("sign.key-mismatch", "the private key does not belong to the certificate",
                   "give the certificate issued for this key")
    certificate = material.certificate
    if now > certificate.not_valid_after_utc:
        raise fail("sign.certificate-expired", f"the signing certificate expired on "
                   f"{certificate.not_valid_after_utc:%Y-%m-%d}", "renew the certificate, or use another one")
    if now < certificate.not_valid_before_utc:
        raise fail("sign.certificate-not-yet-valid", f"the signing certificate is valid only from "
                   f"{certificate.not_valid_before_utc:%Y-%m-%d}", "check the machine's clock, or wait")
