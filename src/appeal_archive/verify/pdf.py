"""Verifying a signed archival PDF: its signature, its attachments against the attached manifest, and the
root it states in its metadata and prints on its cover.

The file is never read into memory whole: pyHanko and pikepdf read what they need from the open file,
and attachments are checked one at a time (attachments.py). What the PDF must carry is declared in
layout.py; this module only reads and compares.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import warnings
from pathlib import Path
from typing import Any, BinaryIO, cast

from appeal_archive import layout
from appeal_archive.files import FileRefused
from appeal_archive.quiet import quiet_pyhanko
from appeal_archive.records import loader
from appeal_archive.verify.attachments import check_attachments, stream_chunks
from appeal_archive.verify.crate import check_copies_beside, check_crate_beside
from appeal_archive.verify.inputs import Prefix, open_input
from appeal_archive.verify.pades import check_pdf_signature
from appeal_archive.verify.records import compare_records
from appeal_archive.verify.report import VerifyReport
from appeal_archive.verify.signature import Judging, plain_message

_TAIL = 2048
MAX_METADATA_BYTES = 1 << 20
# When one of these holds, the file as it is is not what was signed: nothing more of it is read.
UNSIGNED_CONTENT = ("pdf.damaged", "sig.missing", "sig.invalid", "sig.digest-mismatch", "sig.not-whole-file",
                    "sig.gap-invalid", "sig.several", "sig.modified-after-signing",
                    "sig.validation-data-removed")


def verify_pdf(path: Path, records_dir: Path | None = None, rebuild: bool = False,
               judging: Judging | None = None) -> VerifyReport:
    """Verify a signed archival PDF: signatures, attachments, manifest, root; optionally records and rebuild."""
    judging = judging or Judging()
    report = VerifyReport(str(path))
    try:
        with open_input(path, layout.MAX_PDF_BYTES) as (stream, size):
            _verify_open_pdf(path, stream, size, report, records_dir, rebuild, judging)
    except FileRefused as refused:
        report.fail("file.too-large", f"{path.name} {refused.issue.message}; no archive appeal-archive makes is "
                    "this large", "this is not an appeal-archive file")
    return report


def _verify_open_pdf(path: Path, whole: BinaryIO, size: int, report: VerifyReport, records_dir: Path | None,
                     rebuild: bool, judging: Judging) -> None:
    problem = _shape_problem(whole, size)
    if problem:
        report.fail("pdf.damaged", f"the file {problem}", "the file is damaged, truncated, or not a PDF")
        return
    quiet_pyhanko()
    report.cover(path.name)
    signature = check_pdf_signature(whole, size, report, judging)
    if signature is None or any(report.failed(code) for code in UNSIGNED_CONTENT):
        return  # what no signature covers is not read: it proves nothing, and it may be made to hurt the reader
    import pikepdf

    # From here on, what is read is what the archive's signature covers: the file as it was signed.
    stream = cast(BinaryIO, Prefix(whole, signature.signed_length))  # a file object to every reader
    if signature.signed_length < size and not check_metadata_kept(whole, stream, report):
        return
    size = signature.signed_length
    try:
        pdf = pikepdf.open(stream)
    except Exception as error:  # noqa: BLE001 - a damaged file is a failed verification, not a crash
        report.fail("pdf.damaged", f"the PDF cannot be opened ({type(error).__name__}: {plain_message(error)})",
                    "the file was damaged or altered after signing")
        return
    with pdf, _records_folder(rebuild) as records:
        if not _metadata_within_limits(pdf, report):
            return
        attached = check_attachments(pdf, report, path.name, records)
        if attached is None:
            return
        manifest = report.manifest = attached.manifest
        report.signed_facts = signed_facts(pdf, attached.config)
        check_stated_root(pdf, stream, manifest, report, attached.verifier)
        check_crate_beside(report, path, manifest)
        check_copies_beside(report, path)
        if records_dir is not None:
            compare_records(manifest, Path(records_dir), report, report.signed_facts.get("config"))
        if rebuild and signature is not None and records is not None:
            from appeal_archive.verify.rebuild import check_rebuild

            check_rebuild(stream, size, records, manifest, signature, report)


def _shape_problem(stream: BinaryIO, size: int) -> str | None:
    """What, at a glance, keeps the file from being a PDF: cheap to ask before any parser reads it all."""
    stream.seek(0)
    if stream.read(5) != b"%PDF-":
        return "does not start with a PDF header"
    stream.seek(max(0, size - _TAIL))
    tail = stream.read(_TAIL)
    if b"%%EOF" not in tail or b"startxref" not in tail:
        return "does not end like a PDF (no startxref and %%EOF at its end): it is truncated or not a PDF"
    return None


class _records_folder:  # noqa: N801 - a context manager named for what it gives
    """A scratch folder to rebuild the records in, when --rebuild asks for one."""

    def __init__(self, wanted: bool):
        self.wanted = wanted
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path | None:
        if not self.wanted:
            return None
        self.folder = tempfile.TemporaryDirectory(prefix="appeal-archive-rebuild-")
        return Path(self.folder.name) / "records"

    def __exit__(self, *exc) -> None:
        if self.folder is not None:
            self.folder.cleanup()


# --- what the PDF states about itself --------------------------------------------------------------------


def _metadata_within_limits(pdf, report: VerifyReport) -> bool:
    """The XMP metadata is read whole by the XML parser: it must be of a metadata's size first."""
    import pikepdf

    try:
        stream = pdf.Root.get(pikepdf.Name.Metadata)
        if stream is not None:
            for _ in stream_chunks(stream, MAX_METADATA_BYTES):
                pass
    except Exception as error:  # noqa: BLE001 - damaged or oversized metadata is a failed check
        report.fail("pdf.damaged", f"the XMP metadata cannot be read: {plain_message(error)}",
                    "the file was made or altered to mislead its reader")
        return False
    return True


def check_metadata_kept(whole: BinaryIO, signed: BinaryIO, report: VerifyReport) -> bool:
    """The XMP metadata a reader shows (the last update's) says what the signed revision's says, but for the
    producer and the dates that signing and time-stamp updates rewrite."""
    import pikepdf

    from appeal_archive.verify.xmp import xmp_changes

    try:
        whole.seek(0)
        with pikepdf.open(whole) as final, pikepdf.open(signed) as original:
            if not (_metadata_within_limits(final, report) and _metadata_within_limits(original, report)):
                return False
            changed = xmp_changes(original.Root.Metadata.read_bytes(), final.Root.Metadata.read_bytes())
    except Exception as error:  # noqa: BLE001 - damaged metadata is a failed check
        report.fail("pdf.damaged", f"the metadata cannot be read ({type(error).__name__}: {plain_message(error)})",
                    "the file was damaged or altered after signing")
        return False
    if changed:
        report.fail("sig.modified-after-signing", f"an update after the signature changes the metadata readers "
                    f"show: {', '.join(changed[:5])}", "the file was changed after it was signed; only the signed "
                    "revision is the archive's")
        return False
    return True


def signed_facts(pdf, config: bytes | None) -> dict[str, Any]:
    """The tool, build date and settings the signed PDF states (`config`: archive.yaml as attached, wherever it
    travels): what a bag's metadata must agree with."""
    meta = pdf.open_metadata()
    facts: dict[str, Any] = {"tool": str(meta.get(layout.TOOL_PROPERTY, "")),
                             "build_date": str(meta.get(layout.BUILD_DATE_PROPERTY, ""))}
    try:
        loaded = loader.load(config) if config is not None else None
        facts["config"] = loaded.data if loaded is not None and isinstance(loaded.data, dict) else {}
    except ValueError:  # a damaged archive.yaml: already reported with the attachments
        facts["config"] = {}
    return facts


def stated_root(data: bytes | BinaryIO) -> str | None:
    """The root the PDF's XMP metadata states (where layout.py puts it), or None."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data) if isinstance(data, bytes) else data) as pdf:
        return _metadata_root(pdf)


def _metadata_root(pdf) -> str | None:
    return layout.root_from_value(str(pdf.open_metadata().get(layout.ROOT_PROPERTY, "")))


def cover_text(data: bytes | BinaryIO | Any) -> str:
    """The text of the first page, as a reader (pypdf) extracts it. Given an open pikepdf document, the page
    is first copied into a document of its own: pypdf would otherwise read the whole page tree first."""
    import pikepdf
    from pypdf import PdfReader

    if isinstance(data, pikepdf.Pdf):
        single = pikepdf.new()
        with warnings.catch_warnings():  # the signature's widget is not wanted in the copy, only the text
            warnings.simplefilter("ignore")
            single.pages.append(data.pages[0])
            buffer = io.BytesIO()
            single.save(buffer)
        data = buffer.getvalue()
    return PdfReader(io.BytesIO(data) if isinstance(data, bytes) else data).pages[0].extract_text() or ""


def check_stated_root(pdf, stream: BinaryIO, manifest: dict[str, Any], report: VerifyReport,
                      verifier: bytes | None = None) -> None:
    """The root in the metadata is the attachments' root, and the cover prints it for people to compare, with the
    SHA-256 of the verifier page the file carries; the edition the metadata says this one extends is the one
    the manifest names."""
    root = manifest["root"]
    try:
        in_metadata = _metadata_root(pdf)
        relation = pdf.open_metadata().get(layout.EXTENDS_PROPERTY)
        named = sorted(str(value) for value in relation or () if str(value).startswith("extends-"))
        on_cover = cover_text(pdf)
    except Exception as error:  # noqa: BLE001 - a damaged file is a failed check
        report.fail("cover.unreadable", f"the metadata or the cover cannot be read ({type(error).__name__})",
                    "the file is damaged")
        return
    extends = manifest.get("extends")
    if named != sorted(layout.extends_values(extends) if extends else []):
        report.fail("metadata.extends-mismatch", "the metadata and the manifest name different editions this one "
                    "extends", "the metadata and the attached manifest disagree; the file was altered")
    shown = "".join(on_cover.split())
    if verifier is not None and hashlib.sha256(verifier).hexdigest() not in shown \
            or verifier is None and layout.VERIFIER_PAGE in shown:
        report.fail("cover.verifier-mismatch", f"the cover does not show the SHA-256 of the {layout.VERIFIER_PAGE} "
                    "the file carries, or names one it does not carry", "the cover and the attachments disagree; "
                    "the file was altered")
    if in_metadata != root:
        report.fail("metadata.root-mismatch",
                    f"the metadata states the root {in_metadata}, the attachments give {root}",
                    "the metadata and the attached records disagree; the file was altered")
    elif root not in shown:
        report.fail("cover.root-mismatch", f"the cover does not show the root {root} that the attachments give",
                    "the cover and the attached records disagree; the file was altered")
    else:
        report.passed("integrity", "the root in the metadata and on the cover is the attachments' root")
