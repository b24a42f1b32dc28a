"""Judging signatures with pyHanko: what PDF signatures (pades.py) and the bundle's detached CAdES signature
share.

Integrity (did the signed bytes change?), the signer (does its chain reach a trust anchor?) and time (who
says when, and is that authority trusted?) are separate questions, reported in separate parts. Trust
anchors given with --trust-root count for signers and time-stamp authorities alike. A time from an
authority that reaches no anchor is never reported as proven. Nothing here uses the network.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from appeal_archive.verify.report import SignerEvidence, TimeEvidence, VerifyReport

# A time stamp may follow the signer's claimed time by any amount, but precede it only by clock skew.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Judging:
    """How signatures are judged: the trust anchors the recipient names (for signers and time-stamp
    authorities alike), and the date to judge at (None: now)."""

    trust_roots: tuple[Path, ...] = ()
    at: datetime | None = None

    @cached_property
    def roots(self) -> list:
        from asn1crypto import x509 as asn1_x509
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        return [asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER)) for root in self.trust_roots
                for certificate in x509.load_pem_x509_certificates(root.read_bytes())]

    def context(self, **settings):
        """pyHanko's validation context: the given roots only (never the system's), and never the network."""
        from pyhanko_certvalidator import ValidationContext

        return ValidationContext(trust_roots=self.roots, allow_fetching=False, **settings)


def plain_message(error: Exception) -> str:
    """An exception's message without object reprs (`<_io.BytesIO object at 0x...>`), which tell a user nothing."""
    text = re.sub(r"<[^<>]* object at 0x[0-9a-f]+>", "the file", str(error))
    return text[:200] or "no details"


def _subject(certificate) -> str:
    """A certificate's holder, named as the cover names the signer."""
    from cryptography import x509

    from appeal_archive.identity import identity_of

    return identity_of(x509.load_der_x509_certificate(certificate.dump())).name


def _chain(status) -> tuple[tuple[str, ...], str | None]:
    path = getattr(status, "validation_path", None)
    if path is None or not status.trusted:
        return (_subject(status.signing_cert),), None
    chain = tuple(_subject(certificate) for certificate in reversed(list(path.iter_certs(include_root=True))))
    return chain, chain[-1]


def signer_evidence(status, level: str | None = None, revocation: str | None = None) -> SignerEvidence:
    from cryptography import x509

    from appeal_archive.identity import identity_of

    identity = identity_of(x509.load_der_x509_certificate(status.signing_cert.dump()))
    chain, anchor = _chain(status)
    return SignerEvidence(identity.name, identity.fingerprint, identity.self_signed, chain, bool(status.trusted),
                          anchor, identity.issuer, level, revocation)


def judge(report: VerifyReport, status, what: str, passed: str, judging: Judging, with_times: bool = True,
          level: str | None = None, revocation: str | None = None) -> None:
    """Report a pyHanko signature status: integrity, then the signer and its trust, then its times."""
    if not status.intact:
        report.fail("sig.digest-mismatch", f"{what} changed after it was signed (digest mismatch)",
                    f"{what} was altered; ask the sender for the original")
    elif not status.valid:
        report.fail("sig.invalid", f"the signature on {what} does not verify with the signer's certificate",
                    "the signature was altered or made with another key")
    else:
        report.passed("integrity", passed)
    try:
        signer = signer_evidence(status, level, revocation)
    except Exception as error:  # noqa: BLE001 - a certificate `cryptography` cannot read (an X.509 "v4") is refused
        report.fail("sig.invalid", f"the certificate that signed {what} cannot be read ({type(error).__name__})",
                    "the signature was made with a malformed certificate, which appeal-archive never makes")
        return
    report.signers.append(signer)
    if signer.trusted:
        report.passed("signer", f"the signer of {what} chains to the trust anchor {signer.anchor}")
    elif judging.trust_roots:
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
        judge_time_stamp(report, stamp, f"the time stamp on the signature of {what}", claimed, judging, "signature")


def judge_time_stamp(report: VerifyReport, stamp, what: str, not_before: datetime | None, judging: Judging,
                     kind: str) -> None:
    """A time stamp counts as proof of time only when intact and from an authority that reaches an anchor.
    It may follow `not_before` (the time claimed, or the time stamp before it) by any amount, but precede it
    only by clock skew."""
    if not (stamp.intact and stamp.valid):
        report.fail("sig.timestamp-invalid", f"{what} does not match what it stamps",
                    "the time stamp was altered or belongs to something else")
        return
    chain, anchor = _chain(stamp)
    evidence = TimeEvidence(what, stamp.timestamp.isoformat(), chain[0], bool(stamp.trusted), anchor, kind)
    report.times.append(evidence)
    if not_before is not None and stamp.timestamp < not_before - CLOCK_SKEW:
        report.fail("time.inconsistent", f"{what} says {stamp.timestamp.isoformat()}, before the time of what it "
                    f"stamps ({not_before.isoformat()})", "a time stamp cannot predate what it stamps: it was made "
                    "for something else, or forged")
    if evidence.trusted:
        report.passed("time", f"{what}: {evidence.time}, by {evidence.authority}, which chains to {anchor}")
    elif judging.trust_roots:
        report.fail("time.untrusted", f"{what} comes from {evidence.authority}, which does not chain to a trust root "
                    "given; its time is not proven", "give --trust-root for the time-stamp authority too, or "
                    "treat the time as unknown")
    else:
        report.fail("time.not-checked", f"{what} comes from {evidence.authority}, which was not checked against a "
                    "trusted root; its time is not proven", "give --trust-root with the time-stamp authority's "
                    "root to prove the time", severity="warning")


def check_detached_cms(data: BinaryIO, signature: bytes, name: str, report: VerifyReport,
                       judging: Judging) -> None:
    """A detached CAdES signature over `data` (the bundle's .p7s), and the signature time stamp it carries."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    try:
        signed_data = cms.ContentInfo.load(signature, strict=True)["content"]
        data.seek(0)
        status = asyncio.run(async_validate_detached_cms(data, signed_data, judging.context(),
                                                         ts_validation_context=judging.context()))
        attributes = {attribute["type"].native for attribute in signed_data["signer_infos"][0]["signed_attrs"]}
    except Exception as error:  # noqa: BLE001 - a damaged signature file is a failed check
        report.fail("sig.invalid", f"{name} cannot be read as a CMS signature ({type(error).__name__}: "
                    f"{plain_message(error)})", "the signature file was damaged or replaced")
        return
    if "signing_certificate_v2" not in attributes:
        report.fail("sig.not-cades", f"{name} does not name its signer's certificate among its signed attributes "
                    "(signing-certificate-v2): it is not CAdES", "the signature was replaced by one appeal-archive "
                    "did not make")
    level = "CAdES B-T" if getattr(status, "timestamp_validity", None) is not None else "CAdES B-B"
    judge(report, status, "the bundle", f"the detached signature {name} is intact and valid", judging, level=level)
