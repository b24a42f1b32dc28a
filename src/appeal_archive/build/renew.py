"""`appeal-archive extend`: renew a signed archival PDF with a new document time stamp, written atomically.

The signing is sign.extend_pdf; this reads the file, writes the renewed one whole or not at all, and says
what the file now carries and when it must be renewed next.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, fail
from appeal_archive.files import FileRefused, read_regular
from appeal_archive.layout import MAX_PDF_BYTES


@dataclass(frozen=True)
class DocumentTimeStamp:
    time: str
    authority: str
    certificate_ends: str  # renew before then


@dataclass
class ExtendReport:
    """What `extend` did: where it wrote, and the file's document time stamps, oldest first."""

    file: str
    out: str
    added_bytes: int
    time_stamps: list[DocumentTimeStamp] = field(default_factory=list)
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict:
        return {"ok": self.exit_code == EXIT_OK, **asdict(self), "issues": []}


def _refuse_what_verify_refuses(path: Path, trust_roots: tuple[Path, ...]) -> None:
    """A renewal time-stamps the file as it is: a file verify refuses (changed after signing, downgraded, signed
    by someone the trust roots do not reach) must not get a fresh time stamp that lends it credit with readers
    that do not judge the updates. The whole of verify runs first, in its jail."""
    from appeal_archive.verify import verify_archive

    report = verify_archive(path, trust_roots=list(trust_roots))
    errors = [issue for issue in report.issues if issue.is_error]
    if errors:
        first = errors[0]
        raise fail("extend.not-intact", f"{path} does not verify: {first.code}: {first.message}",
                   "renew only a file `appeal-archive verify` accepts; nothing was written", file=str(path),
                   exit_code=EXIT_INVALID)


def document_time_stamps(pdf_bytes: bytes) -> list[DocumentTimeStamp]:
    """The document time stamps a PDF carries, oldest first: when, by whom, and until when the authority's
    certificate is valid (the file must be renewed before the newest one's ends)."""
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader

    from appeal_archive.identity import identity_of

    stamps = []
    for stamp in PdfFileReader(io.BytesIO(pdf_bytes), strict=False).embedded_timestamp_signatures:
        certificate = x509.load_der_x509_certificate(stamp.signer_cert.dump())
        info = stamp.signed_data["encap_content_info"]["content"].parsed
        stamps.append(DocumentTimeStamp(info["gen_time"].native.isoformat(timespec="seconds"),
                                        identity_of(certificate).name,
                                        certificate.not_valid_after_utc.isoformat(timespec="seconds")))
    return stamps


def extend_file(path: Path, tsa_url: str, trust_roots: tuple[Path, ...] = (), out: Path | None = None) -> ExtendReport:
    """Renew the signed PDF at `path` (into `out`, or in place), atomically, when `verify` accepts it."""
    from appeal_archive.files import refuse_records_folder, write_atomically
    from appeal_archive.quiet import quiet_pyhanko
    from appeal_archive.signing.sign import extend_pdf

    refuse_records_folder(out or path)

    quiet_pyhanko()  # what pyHanko logs (with tracebacks) is reported as an issue, or is no problem

    try:
        original = read_regular(path, MAX_PDF_BYTES)
    except FileRefused as refused:
        raise fail("extend.unreadable", f"cannot read {path}: it {refused.issue.message}",
                   "give the signed archival PDF", file=str(path)) from refused
    _refuse_what_verify_refuses(path, trust_roots)
    renewed = extend_pdf(original, tsa_url, trust_roots)
    target = out or path
    write_atomically(target, renewed, mode=0o644)
    return ExtendReport(str(path), str(target), len(renewed) - len(original), document_time_stamps(renewed))
