"""Stage 9, PDF/A-3b: reportlab's bytes + attachments -> an archival PDF/A-3b file (pikepdf), reproducible.

reportlab cannot write PDF/A itself. pikepdf adds what PDF/A-3b requires (XMP metadata declaring part 3
conformance B, the sRGB output intent it ships, associated files with /AFRelationship) and validates the
bytes it writes with its PDF/A validator before handing them back. Every date written is the build
date, and the document ID is derived from the content, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pikepdf
from pikepdf import Name, pdfa

from .errors import AppealArchiveError, Issue

FLAVOUR = "3b"


@dataclass(frozen=True)
class Attachment:
    """A file carried inside the PDF as a PDF/A-3 associated file."""

    name: str
    data: bytes
    mime_type: str
    relationship: str  # "Source" (what the document was made from) or "Data" (derived data)
    description: str


def pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def make_pdfa(pdf_bytes: bytes, attachments: list[Attachment], *, title: str, creator: str, description: str,
              build_date: datetime, tool: str, document_id: bytes) -> bytes:
    """Turn reportlab's output into validated PDF/A-3b bytes carrying the attachments.

    `document_id` becomes the permanent first half of the PDF's /ID (qpdf keeps it and derives the
    second half from the content); reportlab's own ID differs from one process to the next.
    """
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdf.trailer.ID = pikepdf.Array([pikepdf.String(document_id), pikepdf.String(document_id)])
        for page in pdf.pages:
            if Name.Trans in page.obj:  # reportlab writes an empty page transition; PDF/A forbids /Trans
                del page.obj[Name.Trans]
        stamp = pdf_date(build_date)
        for attachment in attachments:
            pdf.attachments[attachment.name] = pikepdf.AttachedFileSpec(
                pdf, attachment.data, description=attachment.description, filename=attachment.name,
                mime_type=attachment.mime_type, creation_date=stamp, mod_date=stamp,
                relationship=Name("/" + attachment.relationship))
        pdfa.prepare(pdf, FLAVOUR)
        moment = build_date.strftime("%Y-%m-%dT%H:%M:%SZ")
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
            meta["dc:title"] = title
            meta["dc:creator"] = [creator]
            meta["dc:description"] = description
            meta["dc:date"] = [moment]
            meta["xmp:CreatorTool"] = tool
            meta["pdf:Producer"] = tool
            # prepare() stamps MetadataDate with the clock; the build date keeps the bytes reproducible.
            for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
                meta[key] = moment
        pdf.docinfo[Name.CreationDate] = stamp
        pdf.docinfo[Name.ModDate] = stamp
        out = io.BytesIO()
        try:
            pdfa.save(pdf, out, FLAVOUR, repair=False, deterministic_id=True)
        except pdfa.PdfaError as error:
            raise AppealArchiveError(Issue("pdf.not-pdfa", f"the PDF does not pass PDF/A-{FLAVOUR}: {error}",
                                           hint="this is a bug in appeal-archive's renderer; please report it"))
        return out.getvalue()


def pdfa_findings(pdf_bytes: bytes) -> list[str]:
    """What pikepdf's PDF/A-3b validator finds in a file (empty when it passes)."""
    report = pdfa.validate_written(io.BytesIO(pdf_bytes), FLAVOUR)
    return [f"{finding.rule} {finding.where}: {finding.message}" for finding in report.findings]
