"""The default signing identity: the custodian's own small PKI, a CA and a signing certificate it issues.

A recipient makes the custodian CA a trust anchor (in NSS for pdfsig, in pyHanko, or with
`verify --trust-root`) once, and from then on every archive the custodian signs is trusted. The folder
(~/.config/appeal-archive/identity, or $APPEAL_ARCHIVE_IDENTITY_DIR) holds:

    ca/key.pem, ca/cert.pem          the custodian CA; its key only ever signs certificates and CRLs
    signer/key.pem, signer/cert.pem  the signing key, and its certificate followed by the CA's (the chain)

The CA issues a fresh CRL at each signing, embedded in the PDF, so that PAdES B-LT needs no server. An
identity made by earlier versions (key.pem and cert.pem, self-signed) keeps working and is reported as such.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from appeal_archive.errors import EXIT_OK, EXIT_USAGE, AppealArchiveError, fail

IDENTITY_ENV = "APPEAL_ARCHIVE_IDENTITY_DIR"
SIGNER_NAME_ENV = "APPEAL_ARCHIVE_SIGNER_NAME"
DEFAULT_NAME = "appeal-archive local custodian"

CA_KEY, CA_CERT = "ca/key.pem", "ca/cert.pem"
SIGNER_KEY, SIGNER_CERT = "signer/key.pem", "signer/cert.pem"
SELF_SIGNED_FILES = ("key.pem", "cert.pem")  # the identity earlier versions made

DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
CA_YEARS, SIGNER_YEARS = 30, 5
RENEW_BEFORE = timedelta(days=30)  # a signing certificate this close to its end is replaced
CRL_VALIDITY = timedelta(days=7)  # a CRL says the signer was not revoked; its next update is due then
KEY_BITS = 3072
NOT_VERIFIED = "identity not verified by any outside authority"


def default_identity_dir() -> Path:
    if os.environ.get(IDENTITY_ENV):
        return Path(os.environ[IDENTITY_ENV])
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "appeal-archive" / "identity"


def custodian_name() -> str:
    """The name a new identity is made with, unless one is given: $APPEAL_ARCHIVE_SIGNER_NAME, or a placeholder
    that says it was not chosen."""
    return os.environ.get(SIGNER_NAME_ENV) or DEFAULT_NAME


def _holder_of(ca_certificate: x509.Certificate) -> str:
    """The custodian's name, as its CA states it: each signing certificate it issues bears the same."""
    common_names = ca_certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(common_names[0].value).removesuffix(" CA") if common_names else DEFAULT_NAME


def _present(folder: Path, names: tuple[str, ...]) -> list[str]:
    return [name for name in names if (folder / name).exists()]


def identity_kind(folder: Path) -> str | None:
    """'custodian', 'self-signed' (made by earlier versions), or None when there is none yet. A half-made
    one is explained, never repaired by overwriting."""
    for pair in (SELF_SIGNED_FILES, (CA_KEY, CA_CERT), (SIGNER_KEY, SIGNER_CERT)):
        present = _present(folder, pair)
        if len(present) == 1:
            _incomplete(folder, present[0], next(name for name in pair if name not in present))
    if (folder / SELF_SIGNED_FILES[0]).exists():
        return "self-signed"
    if (folder / SIGNER_CERT).exists() and not (folder / CA_CERT).exists():
        _incomplete(folder, SIGNER_CERT, CA_CERT)
    return "custodian" if (folder / CA_CERT).exists() else None


def _incomplete(folder: Path, present: str, missing: str) -> None:
    raise fail("sign.identity-incomplete", f"the signing identity in {folder} has {present} but no {missing} "
               "(an interrupted first build, or a file removed by hand)",
               f"restore {folder / missing} from a backup; or, if nothing was ever signed with it, delete "
               f"{folder} and build again to make a new identity")


def ensure_identity(folder: Path, now: datetime, name: str | None = None) -> list[str]:
    """Make the custodian identity in `folder` unless one is there, in `name` (by default custodian_name());
    give the custodian a new signing certificate when the last one has ended or is about to. Returns notices
    for the user. A name given for an identity that exists under another is refused: the name is part of the
    CA that recipients trust, so a new name is a new identity."""
    kind = identity_kind(folder)
    if name is not None and kind == "custodian":
        held = _holder_of(_load_certificates(folder / CA_CERT)[0])
        if held != name:
            raise fail("identity.exists", f"the identity in {folder} is {held!r}; its name cannot change",
                       f"a new name is a new identity: move {folder} aside (keep it, it proves what was signed "
                       f"with it), then run `appeal-archive identity --create --name {name!r}`")
    if kind == "self-signed":
        return [f"signing with the self-signed identity in {folder}, made by an earlier version: recipients "
                "cannot make it a trust anchor in pdfsig. To move to a custodian CA, move that folder aside "
                "and build again (keep it: it proves the archives signed with it)"]
    if kind is None:
        holder = name or custodian_name()
        _create_atomically(folder, lambda fresh: _make_custodian(fresh, now, holder))
        chosen = "" if holder != DEFAULT_NAME else (
            f" It is named {DEFAULT_NAME!r}: to sign in your institution's name, before you publish anything, "
            f"move {folder} aside and run `appeal-archive identity --create --name \"Your institution\"`.")
        return [f"created a custodian CA and a signing certificate for {holder!r} in {folder} (the keys never "
                "leave it); publish the CA certificate (`appeal-archive identity --export-ca custodian-ca.pem`) "
                f"so that recipients can trust your signatures.{chosen}"]
    if not (folder / SIGNER_CERT).exists():  # a renewal was interrupted between its two renames
        _write_signer(folder, now)
        return [f"issued a signing certificate in {folder / 'signer'}"]
    ends = _load_certificates(folder / SIGNER_CERT)[0].not_valid_after_utc
    if now + RENEW_BEFORE < ends:
        return []
    _write_signer(folder, now)
    return [f"issued a new signing certificate in {folder / 'signer'} (the last one ends {ends:%Y-%m-%d})"]


def _create_atomically(folder: Path, make: Callable[[Path], None]) -> None:
    """Write a new identity in a fresh folder beside `folder`, then rename it into place: a build killed
    meanwhile leaves no half identity."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fresh = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
        make(fresh)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # an empty folder made by hand (or by $APPEAL_ARCHIVE_IDENTITY_DIR's owner)
        os.rename(fresh, folder)
    except OSError as error:
        raise _cannot_create(folder, error) from error


def _cannot_create(folder: Path, error: OSError) -> AppealArchiveError:
    return fail("sign.identity", f"cannot create the signing identity in {folder}: {error.strerror}",
                f"set {IDENTITY_ENV} to a writable folder outside the project")


def _make_custodian(folder: Path, now: datetime, holder: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    _write_key(folder / CA_KEY, key)
    (folder / CA_CERT).write_bytes(_pem(_ca_certificate(key, now, holder)))
    os.chmod(folder / CA_CERT, 0o644)  # a certificate is public: only the keys are kept to their owner
    _write_signer(folder, now)


def _write_signer(folder: Path, now: datetime) -> None:
    """A new signing key and certificate from the custodian CA, replacing signer/ as a whole."""
    ca_key, ca_certificate = load_ca(folder)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    certificate = _signer_certificate(key, ca_key, ca_certificate, now)
    try:
        fresh = Path(tempfile.mkdtemp(prefix=".signer.new-", dir=folder))
        _write_key(fresh / "key.pem", key)
        (fresh / "cert.pem").write_bytes(_pem(certificate) + _pem(ca_certificate))
        if (folder / "signer").exists():
            os.rename(folder / "signer", folder / f"signer.retired-{now:%Y%m%dT%H%M%S}")
        os.rename(fresh, folder / "signer")
    except OSError as error:
        raise _cannot_create(folder, error) from error


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.parent.mkdir(exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        os.fsync(handle.fileno())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, NOT_VERIFIED)])


def _key_usage(**granted: bool) -> x509.KeyUsage:
    usages = dict.fromkeys(("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                            "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    return x509.KeyUsage(**{**usages, **granted})


def _ca_certificate(key: rsa.RSAPrivateKey, now: datetime, holder: str) -> x509.Certificate:
    name = _name(f"{holder} CA")
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _signer_certificate(key: rsa.RSAPrivateKey, ca_key: rsa.RSAPrivateKey, ca_certificate: x509.Certificate,
                        now: datetime) -> x509.Certificate:
    # emailProtection beside documentSigning: poppler (with NSS) rejects a signer whose only extended key
    # usage is documentSigning ("Unknown issue with Certificate").
    ends = min(now + timedelta(days=365 * SIGNER_YEARS), ca_certificate.not_valid_after_utc)
    return (
        x509.CertificateBuilder().subject_name(_name(_holder_of(ca_certificate))).issuer_name(ca_certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(ends)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def load_ca(folder: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        # The custodian's own key, made here: the slow consistency check of an RSA key read from elsewhere is
        # not needed (the CRL it signs is checked against the CA's certificate by every validator).
        key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None,
                                                 unsafe_skip_rsa_key_validation=True)
    except (OSError, ValueError, TypeError) as error:
        raise fail("sign.key-invalid", f"cannot read the custodian CA's key {folder / CA_KEY}",
                   f"restore {folder / CA_KEY} from a backup") from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise fail("sign.key-type", f"{folder / CA_KEY} is not an RSA key", f"restore {folder / CA_KEY} from a backup")
    return key, _load_certificates(folder / CA_CERT)[0]


def _load_certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as error:
        raise fail("sign.cert-invalid", f"cannot read the certificate {path}",
                   f"restore {path} from a backup") from error


def issue_crl(folder: Path, now: datetime) -> x509.CertificateRevocationList:
    """The custodian CA's CRL as of `now` (it has revoked nothing), for the PDF's validation data. Numbered by
    the second, so that later CRLs have higher numbers without any state to keep."""
    key, certificate = load_ca(folder)
    return (
        x509.CertificateRevocationListBuilder().issuer_name(certificate.subject)
        .last_update(now).next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


# --- what `appeal-archive identity` shows ----------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    sha256: str
    valid_from: str
    valid_to: str
    extended_key_usages: tuple[str, ...]


def certificate_facts(certificate: x509.Certificate) -> CertificateFacts:
    try:
        usages = tuple(oid.dotted_string if oid._name == "Unknown OID" else oid._name
                       for oid in certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        usages = ()
    usages = tuple("documentSigning" if usage == DOCUMENT_SIGNING.dotted_string else usage for usage in usages)
    return CertificateFacts(certificate.subject.rfc4514_string(), certificate.issuer.rfc4514_string(),
                            certificate.fingerprint(hashes.SHA256()).hex(),
                            certificate.not_valid_before_utc.isoformat(), certificate.not_valid_after_utc.isoformat(),
                            usages)


@dataclass
class IdentityReport:
    """The default signing identity, as data: what `appeal-archive identity` prints."""

    folder: str
    kind: str | None  # 'custodian', 'self-signed', or None (no identity yet)
    signer: CertificateFacts | None = None
    ca: CertificateFacts | None = None
    exported: str | None = None
    notices: tuple[str, ...] = ()
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict:
        return {"ok": self.exit_code == EXIT_OK, **asdict(self), "issues": []}


def describe_identity(folder: Path, *, create: bool = False, name: str | None = None, export_ca: Path | None = None,
                      now: datetime | None = None) -> IdentityReport:
    """The identity in `folder` (made first with `create`, in `name`); with `export_ca`, its CA certificate
    written there."""
    notices: list[str] = []
    if name is not None and not create:
        raise fail("identity.usage", "--name names a new identity: give it with --create",
                   "run `appeal-archive identity --create --name \"Your institution\"`", exit_code=EXIT_USAGE)
    if name is not None and not name.strip():
        raise fail("identity.usage", "the name is empty", "give the custodian's name, e.g. --name \"Museum of "
                   "Free Belarus\"", exit_code=EXIT_USAGE)
    if create:
        notices = ensure_identity(folder, now or datetime.now(UTC).replace(microsecond=0),
                                  name.strip() if name is not None else None)
    kind = identity_kind(folder)
    report = IdentityReport(str(folder), kind, notices=tuple(notices))
    if kind is None:
        if export_ca:
            raise fail("identity.none", f"there is no signing identity in {folder} yet",
                       "run `appeal-archive identity --create` (or build once) first")
        return report
    signer_file = folder / (SIGNER_CERT if kind == "custodian" else "cert.pem")
    report.signer = certificate_facts(_load_certificates(signer_file)[0])
    if kind == "custodian":
        ca_certificate = _load_certificates(folder / CA_CERT)[0]
        report.ca = certificate_facts(ca_certificate)
        if export_ca:
            from appeal_archive.files import refuse_records_folder, write_atomically

            refuse_records_folder(export_ca)
            write_atomically(export_ca, _pem(ca_certificate), mode=0o644)
            report.exported = str(export_ca)
    elif export_ca:
        raise fail("identity.self-signed", f"the identity in {folder} is a self-signed certificate, made by an "
                   "earlier version: it has no CA to export", "publish its fingerprint instead; or move the folder "
                   "aside and build again to make a custodian CA")
    return report
