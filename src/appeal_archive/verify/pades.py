"""Judging a PDF's PAdES signatures: the archive's one signature, the document time stamps that renew it,
and every update in between.

What is reported for the signature: integrity, its signer's chain and trust, the level it reaches (B-B to
B-LTA), whether the validation data the file carries suffices to judge it at the time it was stamped (and
what that data says of revocation), and each time stamp, oldest first, with its authority and trust. With
`--at DATE`, pyHanko's long-term validation (ETSI EN 319 102-1) judges it as of that date, with only the
evidence the file carries. Each update after the signature may add only validation data and time stamps
(updates.py), the file must read one way in every reader (reading.py), and pyHanko's own difference analysis
runs under both as a floor (`pyhanko_floor`). Nothing here uses the network.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from appeal_archive.verify.report import VerifyReport

if TYPE_CHECKING:
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from appeal_archive.verify.signature import (
    Judging,
    judge,
    judge_time_stamp,
    plain_message,
)

MAX_GAP = 4 << 20


@dataclass(frozen=True)
class SignatureFacts:
    """What the content checks and `verify --rebuild` need: the signer's certificate, the signed revision,
    and how many bytes from the start the signature covers (what was signed, before any later update)."""

    certificate_der: bytes
    signed_revision: int
    signed_length: int
    carried_certificates_der: tuple[bytes, ...] = ()  # the others the signature carries (its chain)


def check_pdf_signature(stream: BinaryIO, size: int, report: VerifyReport,
                        judging: Judging) -> SignatureFacts | None:
    """The archive's signature and the document time stamps after it; see the module's description."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

    try:
        reader = PdfFileReader(stream, strict=True)
        signatures = reader.embedded_signatures
    except Exception as error:  # noqa: BLE001 - any parse failure means the file is not what was signed
        report.fail("pdf.damaged", f"the PDF cannot be parsed ({type(error).__name__}: {plain_message(error)})",
                    "the file was damaged or altered after signing")
        return None
    regular = [each for each in signatures if each.sig_object_type == "/Sig"]
    stamps = [each for each in signatures if each.sig_object_type == "/DocTimeStamp"]
    if not regular:
        report.fail("sig.missing", "the file carries no signature", "an unsigned build cannot be verified; "
                    "ask for the signed file")
        return None
    signature = regular[0]
    if len(regular) > 1 or any(stamp.signed_revision < signature.signed_revision for stamp in stamps):
        report.fail("sig.several", f"the file carries {len(regular)} signatures and {len(stamps)} document time "
                    "stamps, not the archive's one signature followed only by time stamps", "someone added a "
                    "signature after the archive's; compare with the file you received")
    gaps_hold_only_signatures = all([check_gap(stream, each, report) for each in signatures])
    if gaps_hold_only_signatures and not check_unsigned_tail(reader, stream, size, signatures[-1], report):
        return None
    try:
        status = validate_pdf_signature(signature, judging.context(), ts_validation_context=judging.context(),
                                        skip_diff=True)  # pyHanko's difference analysis: pyhanko_floor, below
        stamp_statuses = [validate_pdf_timestamp(stamp, judging.context(), skip_diff=True) for stamp in stamps]
    except Exception as error:  # noqa: BLE001
        report.fail("sig.invalid", f"the signature cannot be validated ({type(error).__name__}: "
                    f"{plain_message(error)})", "the signature data is damaged")
        return None
    if not (status.intact and status.valid and check_updates(reader, stream, signature.signed_revision, report)
            and pyhanko_floor(report, [("the signature", signature), *((f"document time stamp {number}", stamp)
                                                                       for number, stamp in enumerate(stamps, 1))])):
        # The signed bytes changed, or what the file shows is not what was signed: who signed is reported, and
        # nothing the signature would vouch for.
        judge(report, status, "the file", "the signature is intact and cryptographically valid", judging,
              with_times=False)
        return None
    long_term, revocation = validation_data(reader, signature, status, judging)
    level = pades_level(reader, status, long_term, list(zip(stamps, stamp_statuses, strict=True)))
    # A forged gap can hold a signing time (/M) that readers take for the signed one: then no time is reported.
    judge(report, status, "the file", "the signature is intact and cryptographically valid", judging,
          with_times=gaps_hold_only_signatures, level=level, revocation=revocation)
    _report_validation_data(report, level, long_term, revocation)
    if gaps_hold_only_signatures:
        _judge_document_time_stamps(report, status, stamp_statuses, judging)
    if judging.at is not None and report.ok:
        judge_at(report, signature, stamps, judging, _existed_by(status))
    first, first_length, second, second_length = signature.byte_range
    return SignatureFacts(signature.signer_cert.dump(), signature.signed_revision, second + second_length,
                          tuple(certificate.dump() for certificate in signature.other_embedded_certs))


def check_gap(stream: BinaryIO, signature, report: VerifyReport) -> bool:
    """The signed ranges run from the file's start to the end of the signature's revision but for one gap,
    and the gap is exactly `<hex>` of the CMS signature followed by zero padding. Anything else there (PDF
    syntax, a second dictionary) would be read by PDF readers without being signed."""
    from asn1crypto import cms
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    first, first_length, second, _ = signature.byte_range
    coverage = signature.evaluate_signature_coverage()
    if first != 0 or first_length > second or second - first_length > MAX_GAP \
            or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        report.fail("sig.not-whole-file", f"the signed ranges {signature.byte_range} do not cover the file up to "
                    "the end of the signature's revision but for one signature value", "bytes were added or moved "
                    "after signing; only the signed revision is the archive's")
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
    what = "the signature" if signature.sig_object_type == "/Sig" else "a document time stamp"
    report.passed("integrity", f"{what} covers the file up to the end of its revision but for its own value, "
                  "and the gap holds nothing else")
    return True


def check_unsigned_tail(reader, stream: BinaryIO, size: int, newest, report: VerifyReport) -> bool:
    """After the newest signature or document time stamp, only validation data may follow unsigned: a B-LT
    file's /DSS, or the validation data of the newest time stamp (what the next renewal time-stamps), each
    update whole, and nothing after the last one."""
    from pyhanko.pdf_utils.reader import process_data_at_eof
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    from appeal_archive.verify.judgement import MODIFIED, Change
    from appeal_archive.verify.updates import changes_since

    if newest.evaluate_signature_coverage() == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    last = reader.xrefs.total_revisions - 1
    tail = range(newest.signed_revision + 1, last + 1)
    changes = changes_since(reader, newest.signed_revision, validation_data_only=True)
    stream.seek(max(0, size - 1024))
    end = stream.read()
    marker = end.rfind(b"%%EOF")
    stream.seek(size - 1)
    try:
        ends_with_last_update = marker >= 0 and not end[marker + 5:].strip(b"\r\n") \
            and process_data_at_eof(stream) == reader.xrefs.get_startxref_for_revision(last)
    except Exception:  # noqa: BLE001 - no startxref at the end: bytes were appended
        ends_with_last_update = False
    if not tail or not ends_with_last_update:
        changes.append(Change(MODIFIED, "bytes follow the last update"))
    if changes:
        report_changes(report, changes, "sig.not-whole-file")
        return False
    report.passed("integrity", f"after the newest signature or time stamp come only {len(tail)} updates of "
                  "validation data, signed by the authorities that issued it (the next renewal time-stamps them)")
    return True


def report_changes(report: VerifyReport, changes: list, modified_code: str) -> None:
    """What updates changed beyond what they may, as one issue for each kind: changes to the document (under
    `modified_code`), and validation data taken away (sig.validation-data-removed)."""
    from appeal_archive.verify.judgement import MODIFIED

    for code in dict.fromkeys(change.code for change in changes):
        found = [change for change in changes if change.code == code]
        more = f"; {len(found) - 1} more" if len(found) > 1 else ""
        if code == MODIFIED and modified_code == "sig.not-whole-file":
            report.fail(modified_code, f"what follows the newest signature or time stamp is not only validation "
                        f"data ({found[0]}{more})", "bytes were added after signing; only the signed revision is "
                        "the archive's")
        elif code == MODIFIED:
            report.fail(modified_code, f"{len(found)} change{'s' * (len(found) != 1)} after the signature go beyond "
                        f"validation data and time stamps (first: {found[0]})", "the file was changed after it was "
                        "signed; only the signed revision is the archive's")
        else:
            report.fail(code, f"an update takes away validation data that the signature or a document time stamp "
                        f"relies on ({found[0]}{more})", "the file was downgraded after it was time-stamped; ask the "
                        "custodian for the file as they renewed it")


def _dss(reader):
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        return DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged store is no store; check_unsigned_tail names what is wrong
        return None


def _carried_roots(dss) -> list:
    """The self-signed certificates in the file's validation data: the roots its chains end in."""
    try:
        return [certificate for certificate in dss.load_certs() if certificate.self_signed != "no"] if dss else []
    except Exception:  # noqa: BLE001 - damaged certificates are no roots
        return []


def validation_data(reader, signature, status, judging: Judging) -> tuple[bool, str | None]:
    """Whether the validation data in the /DSS suffices to judge the signature and its time stamp at the time
    stamped, with revocation data required for every certificate below a root and nothing fetched; and what
    that data says of the signer's revocation. Completeness is a matter of evidence, not of trust: the roots
    the file carries count beside the ones given."""
    from pyhanko.sign.validation import validate_pdf_signature

    stamp = getattr(status, "timestamp_validity", None)
    dss = _dss(reader)
    if stamp is None or dss is None:
        return False, None
    settings = {"trust_roots": [*judging.roots, *_carried_roots(dss)], "allow_fetching": False,
                "revocation_mode": "require", "moment": stamp.timestamp}
    try:
        checked = validate_pdf_signature(signature, dss.as_validation_context(settings), skip_diff=True,
                                         ts_validation_context=dss.as_validation_context(settings))
    except Exception:  # noqa: BLE001 - damaged validation data is incomplete validation data
        return False, None
    revoked = checked.revocation_details
    if revoked is not None:
        whose = "a certificate above the signer's" if revoked.ca_revoked else "the signer's certificate"
        return False, f"revoked: {whose}, on {revoked.revocation_date:%Y-%m-%d} ({revoked.revocation_reason.native})"
    complete = bool(checked.trusted and checked.timestamp_validity and checked.timestamp_validity.trusted)
    when = stamp.timestamp.isoformat(timespec="seconds")
    return complete, f"not revoked at {when}, by the revocation data the file carries" if complete else None


def pades_level(reader, status, long_term: bool, stamps: list[tuple]) -> str | None:
    """The PAdES baseline level the signature reaches: B-B (a valid PAdES signature naming its certificate),
    B-T (and a valid time stamp on it), B-LT (and the validation data to judge both), B-LTA (and a valid
    document time stamp over that data)."""
    if not (status.intact and status.valid):
        return None
    level = "PAdES B-B"
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is None or not (stamp.intact and stamp.valid):
        return level
    if not long_term:
        return "PAdES B-T"
    over_the_data = [each for each, checked in stamps if checked.intact and checked.valid
                     and "/DSS" in reader.get_historical_root(each.signed_revision)]
    return "PAdES B-LTA" if over_the_data else "PAdES B-LT"


def _report_validation_data(report: VerifyReport, level: str | None, long_term: bool, revocation: str | None) -> None:
    if revocation and revocation.startswith("revoked"):
        report.fail("sig.revoked", f"{revocation}, by the file's own validation data",
                    "a signature made with a revoked certificate proves nothing")
    elif long_term:
        report.passed("signer", f"{level}: the file carries the certificates and revocation data to judge the "
                      f"signature and its time stamp without a network; the signer's certificate was {revocation}")
    elif level:
        report.passed("signer", f"{level}: the file carries no validation data; its signature can be judged only "
                      "while its certificates are valid and their authorities answer")


def _judge_document_time_stamps(report: VerifyReport, status, stamp_statuses: list, judging: Judging) -> None:
    """The document time stamps, oldest first: each intact, and none earlier than what it stamps."""
    previous = getattr(status, "timestamp_validity", None)
    not_before = previous.timestamp if previous is not None else getattr(status, "signer_reported_dt", None)
    for number, stamp in enumerate(stamp_statuses, start=1):
        judge_time_stamp(report, stamp, f"document time stamp {number} of {len(stamp_statuses)}", not_before,
                         judging, "document")
        not_before = stamp.timestamp


def check_updates(reader, stream: BinaryIO, signed_revision: int, report: VerifyReport) -> bool:
    """Every update after the signature adds only validation data and time stamps, and takes none away
    (updates.py), and every reader reads what the updates wrote as pyHanko does (reading.py). Whether that
    holds."""
    from appeal_archive.verify.reading import reading_changes
    from appeal_archive.verify.updates import changes_since

    changes = reading_changes(stream, reader, signed_revision) or changes_since(reader, signed_revision)
    report_changes(report, changes, "sig.modified-after-signing")
    later = reader.xrefs.total_revisions - 1 - signed_revision
    if not changes and later:
        report.passed("integrity", f"the {later} updates after the signature add only validation data and time "
                      "stamps, and take none away")
    return not changes


def pyhanko_floor(report: VerifyReport, signatures: list[tuple[str, EmbeddedPdfSignature]]) -> bool:
    """pyHanko's own difference analysis of what follows each signature and document time stamp, under the
    allow-list: anything beyond signature maintenance (new validation data and time stamps), or that it finds
    suspicious, is a change after signing whatever check_updates found. Whether nothing is."""
    from pyhanko.sign.diff_analysis import (
        DEFAULT_DIFF_POLICY,
        ModificationLevel,
        SuspiciousModification,
    )
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    for what, signature in signatures:
        if signature.evaluate_signature_coverage() == SignatureCoverageLevel.ENTIRE_FILE:
            continue  # nothing follows it
        result = signature.evaluate_modifications(DEFAULT_DIFF_POLICY)
        if isinstance(result, SuspiciousModification) or result.modification_level > ModificationLevel.LTA_UPDATES:
            found = plain_message(result) if isinstance(result, SuspiciousModification) else \
                f"modification level {result.modification_level.name}"
            report.fail("sig.modified-after-signing", f"pyHanko's difference analysis finds the updates after "
                        f"{what} go beyond signature maintenance ({found})", "the file was changed after it was "
                        "signed; only the signed revision is the archive's")
            return False
    return True


def _existed_by(status):
    """The earliest time the signature is known to have existed: its time stamp's, else the signer's claim."""
    stamp = getattr(status, "timestamp_validity", None)
    return stamp.timestamp if stamp is not None else getattr(status, "signer_reported_dt", None)


def judge_at(report: VerifyReport, signature, stamps: list, judging: Judging, existed_by) -> None:
    """pyHanko's long-term validation (ETSI EN 319 102-1, 5.6.3) as of `judging.at`, offline. The proofs of
    existence are the document time stamps; the newest one's authority is taken as not revoked at that date,
    which no file can prove of itself (a recipient online can check it). Before the signature existed there
    is nothing to judge."""
    from pyhanko.sign.ades.report import AdESStatus
    from pyhanko.sign.validation.ades import ades_lta_validation
    from pyhanko.sign.validation.policy_decl import (
        CertificateFetchingRule,
        LocalKnowledge,
        PdfSignatureValidationSpec,
        RevinfoOnlineFetchingRule,
        RevocationInfoGatheringSpec,
        SignatureValidationSpec,
    )
    from pyhanko_certvalidator.context import CertValidationPolicySpec
    from pyhanko_certvalidator.fetchers.api import FetcherBackend
    from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
    from pyhanko_certvalidator.policy_decl import (
        REQUIRE_REVINFO,
        CertRevTrustPolicy,
        FreshnessReqType,
        NonRevokedStatusAssertion,
    )
    from pyhanko_certvalidator.registry import SimpleTrustManager

    class NoNetwork(FetcherBackend):
        """Refuses: verify judges with what the file carries and nothing else."""

        def get_fetchers(self):
            raise RuntimeError("verify does not use the network")

    at = judging.at
    if at is None:  # pragma: no cover - only asked with --at
        return
    day = at.isoformat(timespec="seconds")
    if existed_by is None or at < existed_by:
        report.fail("sig.invalid-at", f"as of {day}, the signature did not yet exist (the file shows it from "
                    f"{existed_by.isoformat(timespec='seconds') if existed_by else 'no known time'})",
                    "ask as of a date after the signature's time stamp")
        return
    # The recipient's anchors when given; otherwise the file's own roots, and the signer part says trust was not
    # checked.
    roots = judging.roots or _carried_roots(_dss(signature.reader))
    assertions = [NonRevokedStatusAssertion(stamps[-1].signer_cert.sha256, at)] if stamps else []
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=roots),
            revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO, freshness=None,
                                              freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION)),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY, fetcher_backend=NoNetwork(),
            certificate_fetching_rule=CertificateFetchingRule.NEVER_FETCH),
        local_knowledge=LocalKnowledge(nonrevoked_assertions=assertions)), diff_policy=None)  # see check_updates
    try:
        result = asyncio.run(ades_lta_validation(signature, spec, timing_info=ValidationTimingInfo(at, at, True)))
    except Exception as error:  # noqa: BLE001 - a validation that cannot run is a failed judgement
        report.fail("sig.invalid-at", f"as of {day}, the signature cannot be judged ({type(error).__name__}: "
                    f"{plain_message(error)})", "the file's validation data is damaged")
        return
    indication = result.ades_subindic
    if indication.status == AdESStatus.PASSED:
        caveat = ("; the newest time stamp's authority is taken as not revoked then, which an online check of "
                  "its status can confirm") if stamps else ""
        report.passed("signer", f"as of {day}, the signature stands by pyHanko's long-term validation (ETSI EN "
                      f"319 102-1) with only the evidence the file carries{caveat}")
        return
    why = f"{indication.status.name}/{getattr(indication, 'name', indication)}"
    report.fail("sig.invalid-at", f"as of {day}, the evidence the file carries does not show the signature valid "
                f"({why}: {plain_message(Exception(result.failure_msg or ''))})",
                "a signature without a document time stamp cannot outlive its certificates: ask the custodian for "
                "a B-LTA file, renewed with `appeal-archive extend` before its newest time stamp's certificate ends")
