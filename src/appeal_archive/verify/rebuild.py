"""`verify --rebuild`: re-render the PDF from its own attachments, build date and signer, and check that
the signed bytes are exactly that rendering, and that the signing update adds nothing but a signature.

This catches a document whose pages were edited before it was signed: its signature, attachments and
root all check out, and only its rendering differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from appeal_archive import layout
from appeal_archive.verify.pades import SignatureFacts
from appeal_archive.verify.report import VerifyReport

if TYPE_CHECKING:
    from cryptography import x509

WITHHELD_GAPS = ("ref.dangling", "signatory.missing-position")


def check_rebuild(stream: BinaryIO, size: int, records: Path, manifest: dict[str, Any],
                  signature: SignatureFacts, report: VerifyReport) -> None:
    """Re-render from the records the PDF carries (extracted into `records`) and compare the signed bytes
    (`stream` holds the file as signed, `size` bytes)."""
    from cryptography import x509

    from appeal_archive.identity import identity_of
    from appeal_archive.records.validate import check_records
    from appeal_archive.version import tool_name
    from appeal_archive.views.dossier import Dossier
    from appeal_archive.views.pdf import render_archival_pdf
    from appeal_archive.views.verifier import trust_anchor, verify_page

    facts = report.signed_facts
    try:
        made_with = facts["tool"]
        build_date = datetime.fromisoformat(facts["build_date"].replace("Z", "+00:00")).astimezone(UTC)
    except (KeyError, ValueError, TypeError) as error:
        report.fail("rebuild.metadata", f"the file's metadata gives no tool or build date: {error}",
                    "the metadata was altered; the file cannot be re-rendered")
        return
    if made_with != tool_name():
        report.fail("rebuild.version", f"the file was made with {made_with}; this is {tool_name()}",
                    "rebuild with the version that made the file (install that version or check out that commit)")
        return
    rebuilt_report, record_set = check_records(records, keep_data=True)
    # A public edition's records refer to what it withholds, and its list of signatories has gaps where it does.
    tolerated = WITHHELD_GAPS if manifest.get("edition") == "public" else ()
    errors = [issue for issue in rebuilt_report.errors if issue.code not in tolerated]
    if errors:
        report.fail("rebuild.invalid", f"the attached records do not validate ({len(errors)} errors; first: "
                    f"{errors[0].code})", "the attachments were altered")
        return
    attached = {record.path: record.digest for record in record_set.records}
    attached.update((document.path, document.sha256) for document in record_set.documents)
    if attached != {entry["path"]: entry["sha256"] for entry in manifest["records"] + manifest["source_documents"]}:
        report.fail("rebuild.manifest", "the attached records give a different manifest than the one attached",
                    "the attachments were altered")
        return
    certificate = x509.load_der_x509_certificate(signature.certificate_der)
    carried = tuple(_certificates(signature.carried_certificates_der))
    identity = identity_of(certificate, carried)
    # The page a build of this version attaches for this signer's CA: rendered with it, the comparison below also
    # proves that the attached page is exactly that.
    verifier = verify_page(trust_anchor(certificate, carried)) if layout.VERIFIER_PAGE in report.attachment_digests \
        else None
    unsigned, _ = render_archival_pdf(Dossier.from_record_set(record_set, manifest), build_date, identity,
                                      made_with, scratch=records.parent, verifier=verifier)
    stream.seek(0)
    if len(unsigned) > size or stream.read(len(unsigned)) != unsigned:
        report.fail("rebuild.mismatch", "the signed bytes are not what appeal-archive renders from this file's "
                    "own records, build date and signer", "the document was edited before it was signed")
        return
    differences = signing_update_changes(stream, signature.signed_revision)
    if differences:
        report.fail("rebuild.signing-update", "the signing update changes the document: " + "; ".join(differences),
                    "the signed revision adds more than a signature")
        return
    report.passed("integrity", "the signed bytes are exactly this version's rendering of the file's own attachments")


def _certificates(ders: tuple[bytes, ...]) -> Iterator[x509.Certificate]:
    """The certificates a signature carries that can be read (one that cannot issued nothing on the cover)."""
    from cryptography import x509

    for der in ders:
        try:
            yield x509.load_der_x509_certificate(der)
        except ValueError:
            continue


def signing_update_changes(signed: BinaryIO, signed_revision: int) -> list[str]:
    """What the signing update changes beyond adding a signature (updates.py's allow-list)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from appeal_archive.verify.updates import changes_between

    signed.seek(0)
    return [str(change) for change in
            changes_between(PdfFileReader(signed, strict=True), signed_revision - 1, signed_revision)]
