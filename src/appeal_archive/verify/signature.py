"""Judging signatures with pyHanko: a PDF's PAdES signature, a detached CMS signature, an RFC 3161 token.

Integrity (did the signed bytes change?), the signer (does its chain reach a trust anchor?) and time (who
says when, and is that authority trusted?) are separate questions, reported in separate parts. Trust
anchors given with --trust-root count for signers and time-stamp authorities alike. A time from an
authority that reaches no anchor is never reported as proven. Nothing here uses the network.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from .report import SignerEvidence, TimeEvidence, VerifyReport

# A time stamp may follow the signer's claimed time by any amount, but precede it only by clock skew.
CLOCK_SKEW = timedelta(minutes=10)


def quiet_pyhanko() -> None:
    # pyHanko logs a traceback for every certificate it cannot chain; verify reports that as data.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def validation_context(trust_roots: list[Path]):
    """pyHanko's validation context: the given roots only (never the system's), and never the network."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko_certvalidator import ValidationContext

    roots = [asn1_x509.Certificate.load(x509.load_pem_x509_certificate(root.read_bytes()).public_bytes(Encoding.DER))
             for root in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def plain_message(error: Exception) -> str:
    """An exception's message without object reprs (`<_io.BytesIO object at 0x...>`), which tell a user nothing."""
    text = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>", "the file", str(error))
    return text[:200] or "no details"


def _subject(certificate) -> str:
    """A certificate's holder, named as the cover names the signer."""
    from cryptography import x509

    from ..identity import identity_of

    return identity_of(x509.load_der_x509_certificate(certificate.dump())).name


def _chain(status) -> tuple[tuple[str, ...], str | None]:
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return (_subject(status.signing_cert),), None
    chain = tuple(_subject(certificate) for certificate in reversed(list(path.iter_certs(include_root=True))))
    return chain, chain[-1]


def signer_evidence(status) -> SignerEvidence:
    from cryptography import x509

    from ..identity import identity_of

    identity = identity_of(x509.load_der_x509_certificate(status.signing_cert.dump()))
    chain, anchor = _chain(status)
    return SignerEvidence(identity.name, identity.fingerprint, identity.self_signed, chain, bool(status.trusted),
                          anchor, identity.issuer)


def judge(report: VerifyReport, status, what: str, passed: str, trust_roots: list[Path],
          with_times: bool = True) -> None:
    """Report a pyHanko signature status: integrity, then the signer and its trust, then its times."""
    if not status.intact:
        report.fail("sig.digest-mismatch", f"{what} changed after it was signed (digest mismatch)",
                    f"{what} was altered; ask the sender for the original")
    elif not status.valid:
        report.fail("sig.invalid", f"the signature on {what} does not verify with the signer's certificate",
                    "the signature was altered or made with another key")
    else:
        report.passed("integrity", passed)
    signer = signer_evidence(status)
    report.signers.append(signer)
    if signer.trusted:
        report.passed("signer", f"the signer of {what} chains to the trust anchor {signer.anchor}")
    elif trust_roots:
        report.fail("sig.untrusted", f"the signer of {what} ({signer.name}) does not chain to a trust root given",
                    "check --trust-root, or the certificate the archive was signed with")
    else:
        report.fail("sig.trust-not-checked", f"the signer of {what} was not checked against a trusted root"
                    + (" (the certificate is self-signed)" if signer.self_signed else ""),
                    "give --trust-root CA.pem to require a chain to a root you trust; compare the certificate "
                    "fingerprint with one the custodian published", severity="warning")
    if not with_times:
        return
    claimed = getattr(status, "signer_reported_dt", None)
    if claimed is not None:
        report.times.append(TimeEvidence(f"the signing time the signer of {what} claims", claimed.isoformat()))
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is not None:
        judge_time_stamp(report, stamp, f"a time stamp on the signature of {what}", claimed, trust_roots)


def judge_time_stamp(report: VerifyReport, stamp, what: str, claimed: datetime | None,
                     trust_roots: list[Path]) -> None:
    """A time stamp counts as proof of time only when intact and from an authority that reaches an anchor."""
    if not (stamp.intact and stamp.valid):
        report.fail("sig.timestamp-invalid", f"{what} does not match what it stamps",
                    "the time stamp was altered or belongs to something else")
        return
    chain, anchor = _chain(stamp)
    evidence = TimeEvidence(what, stamp.timestamp.isoformat(), chain[0], bool(stamp.trusted), anchor)
    report.times.append(evidence)
    if claimed is not None and stamp.timestamp < claimed - CLOCK_SKEW:
        report.fail("time.inconsistent", f"{what} says {stamp.timestamp.isoformat()}, before the signing time "
                    f"the signer claims ({claimed.isoformat()})", "a time stamp cannot predate what it stamps: "
                    "it was made for something else, or forged")
    if evidence.trusted:
        report.passed("time", f"{what}: {evidence.time}, by {evidence.authority}, which chains to {anchor}")
    elif trust_roots:
        report.fail("time.untrusted", f"{what} comes from {evidence.authority}, which does not chain to a trust root "
                    "given; its time is not proven", "give --trust-root for the time-stamp authority too, or "
                    "treat the time as unknown")
    else:
        report.fail("time.not-checked", f"{what} comes from {evidence.authority}, which was not checked against a "
                    "trusted root; its time is not proven", "give --trust-root with the time-stamp authority's "
                    "root to prove the time", severity="warning")


@dataclass(frozen=True)
class SignatureFacts:
    """What `verify --rebuild` needs from a PDF signature: the signer's certificate and the signed revision."""

    certificate_der: bytes
    signed_revision: int


def check_pdf_signature(stream: IO[bytes], size: int, report: VerifyReport,
                        trust_roots: list[Path]) -> SignatureFacts | None:
    """The PDF's one signature: intact, valid, covering the whole file, with nothing in its unsigned gap but
    the signature value; its signer and its times."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(stream, strict=True)
        signatures = reader.embedded_signatures
    except Exception as error:  # noqa: BLE001 - any parse failure means the file is not what was signed
        report.fail("pdf.damaged", f"the PDF cannot be parsed ({type(error).__name__}: {plain_message(error)})",
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
    gap_holds_only_the_signature = check_gap(stream, size, signature, report)
    try:
        status = validate_pdf_signature(signature, validation_context(trust_roots))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.invalid", f"the signature cannot be validated ({type(error).__name__}: "
                    f"{plain_message(error)})", "the signature data is damaged")
        return None
    # A forged gap can hold a signing time (/M) that readers take for the signed one: then no time is reported.
    judge(report, status, "the file", "the signature is intact and cryptographically valid", trust_roots,
          with_times=gap_holds_only_the_signature)
    return SignatureFacts(signature.signer_cert.dump(), signature.signed_revision)


MAX_GAP = 4 << 20


def check_gap(stream: IO[bytes], size: int, signature, report: VerifyReport) -> bool:
    """The signed ranges are the whole file but one gap, and the gap is exactly `<hex>` of the CMS signature
    followed by zero padding. Anything else there (PDF syntax, a second dictionary) would be read by PDF
    readers without being signed."""
    from asn1crypto import cms

    first, first_length, second, second_length = signature.byte_range
    if first != 0 or second + second_length != size or first_length > second or second - first_length > MAX_GAP:
        report.fail("sig.not-whole-file", f"the signed ranges {signature.byte_range} do not cover the whole file "
                    f"of {size:,} bytes but for one signature value", "bytes were added or moved after signing; "
                    "only the signed revision is the archive's")
        return False
    stream.seek(first_length)
    gap = stream.read(second - first_length)
    problem = None
    if not re.fullmatch(rb"<[0-9A-Fa-f]*>", gap) or len(gap) % 2:
        problem = "holds something other than one hexadecimal string"
    else:
        value = bytes.fromhex(gap[1:-1].decode("ascii"))
        try:
            length = len(cms.ContentInfo.load(value, strict=False).dump())
        except (ValueError, TypeError, EOFError):
            length = None
        if length is None or value[length:].strip(b"\0"):
            problem = "holds more than the signature and its zero padding"
    if problem:
        report.fail("sig.gap-invalid", f"the unsigned part of the file (bytes {first_length:,} to {second:,}) "
                    f"{problem}", "the file was altered after signing: what a reader shows there is not signed")
        return False
    report.passed("integrity", "the signature covers the whole file except the signature value itself, and the "
                  "gap holds nothing else")
    return True


def check_detached_cms(data: IO[bytes], signature: bytes, name: str, report: VerifyReport,
                       trust_roots: list[Path]) -> None:
    """A detached CMS signature over `data` (the bundle's .p7s)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        data.seek(0)
        status = asyncio.run(async_validate_detached_cms(data, signed_data, validation_context(trust_roots)))
    except Exception as error:  # noqa: BLE001 - a damaged signature file is a failed check
        report.fail("sig.invalid", f"{name} cannot be read as a CMS signature ({type(error).__name__}: "
                    f"{plain_message(error)})", "the signature file was damaged or replaced")
        return
    judge(report, status, "the bundle", f"the detached signature {name} is intact and valid", trust_roots)


def check_timestamp_token(data: IO[bytes], token: bytes, name: str, report: VerifyReport,
                          trust_roots: list[Path]) -> None:
    """An RFC 3161 time-stamp token over `data` (the bundle's .tst)."""
    import hashlib

    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    def imprint(algorithm: str) -> bytes:
        digest = hashlib.new(algorithm)
        data.seek(0)
        while chunk := data.read(1 << 20):
            digest.update(chunk)
        return digest.digest()

    try:
        signed_data = cms.ContentInfo.load(token)["content"]
        stamp = TimestampSignatureStatus(**asyncio.run(validate_tst_signed_data(
            signed_data, validation_context(trust_roots), imprint)))
    except Exception as error:  # noqa: BLE001
        report.fail("sig.timestamp-invalid", f"{name} cannot be read as a time-stamp token "
                    f"({type(error).__name__}: {plain_message(error)})", "the token was damaged or replaced")
        return
    claimed = next((datetime.fromisoformat(evidence.time) for evidence in report.times if evidence.authority is None),
                   None)
    judge_time_stamp(report, stamp, f"the time stamp {name} on the bundle", claimed, trust_roots)
