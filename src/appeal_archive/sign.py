"""Stage 10, signing: PDF bytes + key material -> a PAdES-signed PDF (pyHanko), as an incremental update.

PAdES baseline B-B always, B-T when a time-stamp authority is given. RSA with SHA-256 only: ECDSA and
Ed25519 would make pyHanko write PDF 2.0 (not PDF/A-3), and poppler's pdfsig cannot check Ed25519.
Key material comes from PEM files, a PKCS#12 file (passphrase from an environment variable), or a
self-signed identity created once in the user's configuration folder, never inside the project. Keys
are held in memory only; nothing here writes them anywhere else.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .errors import AppealArchiveError, Issue

DEFAULT_PASSPHRASE_ENV = "APPEAL_ARCHIVE_PASSPHRASE"
IDENTITY_ENV = "APPEAL_ARCHIVE_IDENTITY_DIR"
SIGNER_NAME_ENV = "APPEAL_ARCHIVE_SIGNER_NAME"
FIELD_NAME = "AppealArchiveSignature"


def _cannot(code: str, message: str, hint: str) -> AppealArchiveError:
    return AppealArchiveError(Issue(code, message, hint=hint))


@dataclass(frozen=True)
class SignerConfig:
    """Where the signing key comes from. With nothing set, a local self-signed identity is used."""

    key: Path | None = None
    cert: Path | None = None
    pkcs12: Path | None = None
    passphrase_env: str = DEFAULT_PASSPHRASE_ENV
    tsa_url: str | None = None
    identity_dir: Path | None = None


@dataclass(frozen=True)
class KeyMaterial:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    source: str


def default_identity_dir() -> Path:
    if os.environ.get(IDENTITY_ENV):
        return Path(os.environ[IDENTITY_ENV])
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "appeal-archive" / "identity"


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise _cannot("sign.key-unreadable", f"cannot read the {what} {path}: {error.strerror}",
                      f"check the path given for the {what}") from error


def _passphrase(env_name: str) -> bytes | None:
    value = os.environ.get(env_name)
    return value.encode("utf-8") if value else None


def load_key_material(config: SignerConfig, now: datetime) -> tuple[KeyMaterial, list[str]]:
    """The configured key and certificate, checked (RSA, in its validity period); plus notices for the user."""
    notices: list[str] = []
    if config.pkcs12:
        material = _from_pkcs12(config.pkcs12, config.passphrase_env)
    elif config.key or config.cert:
        if not (config.key and config.cert):
            raise AppealArchiveError(Issue("sign.usage", "--key and --cert must be given together",
                                           hint="give both PEM files, or --pkcs12"), exit_code=2)
        material = _from_pem(config.key, config.cert, config.passphrase_env)
    else:
        folder = config.identity_dir or default_identity_dir()
        created = ensure_self_signed_identity(folder, now)
        if created:
            notices.append(f"created a self-signed signing identity in {folder} (the key never leaves that folder); "
                           "give --key/--cert or --pkcs12 to sign with an institution's certificate")
        material = _from_pem(folder / "key.pem", folder / "cert.pem", config.passphrase_env)
        notices.append(f"signing with the self-signed identity in {folder}")
    _check_material(material, now)
    return material, notices


def _from_pem(key_path: Path, cert_path: Path, passphrase_env: str) -> KeyMaterial:
    key_data, cert_data = _read(key_path, "private key"), _read(cert_path, "certificate")
    passphrase = _passphrase(passphrase_env)
    try:
        try:
            key = serialization.load_pem_private_key(key_data, password=passphrase)
        except TypeError:
            if passphrase is None:
                raise
            key = serialization.load_pem_private_key(key_data, password=None)  # the key is not encrypted
    except TypeError as error:
        raise _cannot("sign.passphrase", f"the private key {key_path} is encrypted and no passphrase was given",
                      f"put the passphrase in the environment variable {passphrase_env}") from error
    except ValueError as error:
        raise _cannot("sign.key-invalid", f"{key_path} is not a private key this passphrase opens",
                      f"check the file, and the passphrase in {passphrase_env}") from error
    try:
        certificates = x509.load_pem_x509_certificates(cert_data)
    except ValueError as error:
        raise _cannot("sign.cert-invalid", f"{cert_path} holds no PEM certificate",
                      "give the signer's certificate (and its chain) in PEM form") from error
    return KeyMaterial(key, certificates[0], tuple(certificates[1:]), f"{key_path} and {cert_path}")


def _from_pkcs12(path: Path, passphrase_env: str) -> KeyMaterial:
    data = _read(path, "PKCS#12 file")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, _passphrase(passphrase_env))
    except ValueError as error:
        raise _cannot("sign.passphrase", f"cannot open {path}: wrong passphrase, or not a PKCS#12 file",
                      f"put the right passphrase in the environment variable {passphrase_env}") from error
    if key is None or certificate is None:
        raise _cannot("sign.key-invalid", f"{path} holds no private key with its certificate",
                      "export the signing key together with its certificate")
    return KeyMaterial(key, certificate, tuple(chain), str(path))


def _check_material(material: KeyMaterial, now: datetime) -> None:
    if not isinstance(material.private_key, rsa.RSAPrivateKey):
        raise _cannot("sign.key-type", "the signing key is not an RSA key",
                      "use an RSA key (2048 bits or more): other key types make the PDF 2.0, not PDF/A-3")
    if material.private_key.public_key().public_numbers() != material.certificate.public_key().public_numbers():
        raise _cannot("sign.key-mismatch", "the private key does not belong to the certificate",
                      "give the certificate issued for this key")
    certificate = material.certificate
    if now > certificate.not_valid_after_utc:
        raise _cannot("sign.certificate-expired", f"the signing certificate expired on "
                      f"{certificate.not_valid_after_utc:%Y-%m-%d}", "renew the certificate, or use another one")
    if now < certificate.not_valid_before_utc:
        raise _cannot("sign.certificate-not-yet-valid", f"the signing certificate is valid only from "
                      f"{certificate.not_valid_before_utc:%Y-%m-%d}", "check the machine's clock, or wait")


IDENTITY_FILES = ("key.pem", "cert.pem")


def ensure_self_signed_identity(folder: Path, now: datetime) -> bool:
    """Create an RSA key and a self-signed certificate in `folder` unless they exist. True if created.

    Both files are written into a fresh folder beside it, which is then renamed into place: a build killed
    meanwhile leaves no half identity. A half one made otherwise is explained, never overwritten.
    """
    present = [name for name in IDENTITY_FILES if (folder / name).exists()]
    if len(present) == len(IDENTITY_FILES):
        return False
    if present:
        missing = next(name for name in IDENTITY_FILES if name not in present)
        raise _cannot("sign.identity-incomplete", f"the signing identity in {folder} has {present[0]} but no "
                      f"{missing} (an interrupted first build)", f"restore {folder / missing} from a backup; or, if "
                      f"nothing was ever signed with it, delete {folder} and build again to make a new identity")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        certificate = _self_signed(key, now)
        descriptor = os.open(fresh / "key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
            os.fsync(handle.fileno())
        (fresh / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # an empty folder made by hand (or by $APPEAL_ARCHIVE_IDENTITY_DIR's owner)
        os.rename(fresh, folder)
    except OSError as error:
        raise _cannot("sign.identity", f"cannot create the signing identity in {folder}: {error.strerror}",
                      f"set {IDENTITY_ENV} to a writable folder outside the project") from error
    return True


def _self_signed(key: rsa.RSAPrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, os.environ.get(SIGNER_NAME_ENV) or "appeal-archive local signer"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "identity not verified by any authority"),
    ])
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )


def sign_pdf(pdf_bytes: bytes, material: KeyMaterial, *, reason: str, tsa_url: str | None = None) -> bytes:
    """PAdES-sign the PDF as an incremental update: the result starts with exactly `pdf_bytes`."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(material.certificate.public_bytes(der)),
        signing_key=asn1_keys.PrivateKeyInfo.load(material.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(certificate.public_bytes(der)) for certificate in material.chain]),
    )
    metadata = signers.PdfSignatureMetadata(field_name=FIELD_NAME, md_algorithm="sha256", reason=reason,
                                            subfilter=fields.SigSeedSubFilter.PADES)
    timestamper = HTTPTimeStamper(tsa_url, timeout=20) if tsa_url else None
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper)
    try:
        output = asyncio.run(pdf_signer.async_sign_pdf(writer, output=io.BytesIO()))
    except Exception as error:  # noqa: BLE001 - pyHanko raises many types for network and TSA failures
        if tsa_url:
            raise _cannot("sign.tsa", f"the time-stamp authority {tsa_url} did not answer usefully: "
                          f"{type(error).__name__}: {error}", "check the --tsa URL and the network, or build "
                          "without --tsa (PAdES B-B)") from error
        raise _cannot("sign.failed", f"signing failed: {type(error).__name__}: {error}",
                      "check the key and certificate") from error
    signed = output.getvalue()
    if not signed.startswith(pdf_bytes):  # pragma: no cover - pyHanko always appends
        raise _cannot("sign.not-incremental", "the signed file does not start with the unsigned bytes",
                      "this is a bug; please report it")
    return signed


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def sign_detached(data: bytes, material: KeyMaterial) -> bytes:
    """A detached CMS signature (DER, RSA with SHA-256) over `data`, with the certificate chain, made by
    the `cryptography` package; `openssl cms -verify -binary -content FILE` accepts it."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(
        material.certificate, material.private_key, hashes.SHA256())
    for certificate in material.chain:
        builder = builder.add_certificate(certificate)
    return builder.sign(serialization.Encoding.DER,
                        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def timestamp_token(data: bytes, tsa_url: str) -> bytes:
    """An RFC 3161 time-stamp token (DER) over SHA-256 of `data`, from the given authority."""
    import hashlib

    from pyhanko.sign.timestamps import HTTPTimeStamper

    try:
        token = asyncio.run(HTTPTimeStamper(tsa_url, timeout=20).async_timestamp(
            hashlib.sha256(data).digest(), "sha256"))
    except Exception as error:  # noqa: BLE001 - network and protocol failures of many kinds
        raise _cannot("sign.tsa", f"the time-stamp authority {tsa_url} did not answer usefully: "
                      f"{type(error).__name__}: {error}", "check the --tsa URL and the network") from error
    return token.dump()
