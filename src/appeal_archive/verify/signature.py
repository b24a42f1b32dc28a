"""Judging signatures with pyHanko: a PDF's PAdES signature, a detached CMS signature, an RFC 3161 token.

Integrity (did the signed bytes change?) and trust (does the signer chain to a root the recipient
trusts?) are separate questions, reported separately. Nothing here fetches anything from the network.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from ..identity import identity_of
from .report import VerifyReport


def quiet_pyhanko() -> None:
    # pyHanko logs a traceback for every certificate it cannot chain; verify reports that as data.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def validation_context(trust_roots: list[Path]):
    """pyHanko's validation context: the given roots only, and never the network."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(x509.load_pem_x509_certificate(root.read_bytes()).public_bytes(Encoding.DER))
             for root in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


@dataclass(frozen=True)
class SignatureFacts:
    """What `verify --rebuild` needs from a PDF signature: the signer's certificate and the signed revision."""

    certificate_der: bytes
    signed_revision: int


def check_pdf_signature(data: bytes, report: VerifyReport, trust_roots: list[Path]) -> SignatureFacts | None:
    """The PDF's one signature: intact, valid, covering the whole file; its signer, time and time stamp."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # noqa: BLE001 - any parse failure means the file is not what was signed
        report.fail("pdf.damaged", f"the PDF cannot be parsed ({type(error).__name__}: {_plain_message(error)})",
                    "the file was damaged or altered after signing")
        return None
    if not signatures:
        report.fail("sig.missing", "the file carries no signature", "an unsigned build cannot be verified; "
                    "ask for the signed file")
        return None
    if len(signatures) > 1:
        report.fail("sig.several", f"the file carries {len(signatures)} signatures; appeal-archive signs once",
                    "someone added a signature after the archive's; compare with the file you received")
    signature = signatures[0]
    try:
        status = validate_pdf_signature(signature, validation_context(trust_roots))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.invalid", f"the signature cannot be validated ({type(error).__name__}: "
                    f"{_plain_message(error)})", "the signature data is damaged")
        return None
    report.signing_time = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    if status.timestamp_validity is not None:
        report.timestamp = status.timestamp_validity.timestamp.isoformat()
        if status.timestamp_validity.intact and status.timestamp_validity.valid:
            report.passed("the RFC 3161 time stamp on the signature is intact")
        else:
            report.fail("sig.timestamp-invalid", "the time stamp on the signature does not match it",
                        "the signature's time stamp was altered")
    judge_signature(report, status, signature.signer_cert.dump(), trust_roots, "the file",
                    "the signature is intact and cryptographically valid")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        report.fail("sig.not-whole-file", "bytes were added to the file after it was signed",
                    "someone appended an update; only the signed revision is the archive's")
    else:
        report.passed("the signature covers the whole file except the signature value itself")
    return SignatureFacts(signature.signer_cert.dump(), signature.signed_revision)


def _plain_message(error: Exception) -> str:
    """An exception's message without object reprs (`<_io.BytesIO object at 0x...>`), which tell a user nothing."""
    import re

    text = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>", "the file", str(error))
    return text[:200] or "no details"


def judge_signature(report: VerifyReport, status, certificate_der: bytes, trust_roots: list[Path], what: str,
                    passed: str) -> None:
    """Report a pyHanko signature status: integrity first, then who signed and whether they are trusted."""
    from cryptography import x509

    identity = identity_of(x509.load_der_x509_certificate(certificate_der))
    report.signer, report.fingerprint = identity.describe(), identity.fingerprint
    if not status.intact:
        report.fail("sig.digest-mismatch", f"{what} changed after it was signed (digest mismatch)",
                    f"{what} was altered; ask the sender for the original")
    elif not status.valid:
        report.fail("sig.invalid", f"the signature on {what} does not verify with the signer's certificate",
                    "the signature was altered or made with another key")
    else:
        report.passed(passed)
    judge_trust(report, bool(status.trusted), identity.self_signed, trust_roots)


def judge_trust(report: VerifyReport, trusted: bool, self_signed: bool, trust_roots: list[Path]) -> None:
    """Trust is a separate question from integrity: an error only when the caller named roots to trust."""
    report.trusted = trusted if report.trusted is None else report.trusted and trusted
    if trust_roots and not trusted:
        report.fail("sig.untrusted", "the signer's certificate does not chain to the trusted root given",
                    "check --trust-root, or the certificate the archive was signed with")
    elif not trust_roots:
        report.fail("sig.trust-not-checked", "the signer's identity was not checked against a trusted root"
                    + (" (the certificate is self-signed)" if self_signed else ""),
                    "give --trust-root CA.pem to require a chain to a root you trust; compare the certificate "
                    "fingerprint with one the custodian published", severity="warning")


def check_detached_cms(data: bytes, signature: bytes, name: str, report: VerifyReport,
                       trust_roots: list[Path]) -> None:
    """A detached CMS signature over `data` (the bundle's .p7s)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        status = asyncio.run(async_validate_detached_cms(data, signed_data, validation_context(trust_roots)))
    except Exception as error:  # noqa: BLE001 - a damaged signature file is a failed check
        report.fail("sig.invalid", f"{name} cannot be read as a CMS signature ({type(error).__name__}: "
                    f"{_plain_message(error)})", "the signature file was damaged or replaced")
        return
    judge_signature(report, status, status.signing_cert.dump(), trust_roots, "the bundle",
                    f"the detached signature {name} is intact and valid")


def check_timestamp_token(data: bytes, token: bytes, name: str, report: VerifyReport, trust_roots: list[Path]) -> None:
    """An RFC 3161 time-stamp token over `data` (the bundle's .tst)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        result = asyncio.run(validate_tst_signed_data(signed_data, validation_context(trust_roots),
                                                      lambda algorithm: hashlib.new(algorithm, data).digest()))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.timestamp-invalid", f"{name} cannot be read as a time-stamp token ({type(error).__name__}: "
                    f"{_plain_message(error)})", "the token was damaged or replaced")
        return
    report.timestamp = result["timestamp"].isoformat()
    if result["intact"] and result["valid"]:
        report.passed(f"the time stamp {name} covers the bundle")
    else:
        report.fail("sig.timestamp-invalid", "the time stamp does not match the bundle",
                    "the bundle or its time stamp was altered")
