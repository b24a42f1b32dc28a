"""PDF/A-3b: reportlab's bytes + attachments -> an archival PDF/A-3b file (pikepdf), reproducible.

reportlab cannot write PDF/A itself. pikepdf adds what PDF/A-3b requires (XMP metadata declaring part 3
conformance B, the sRGB output intent it ships, associated files with /AFRelationship) and validates the
bytes it writes with its PDF/A validator before handing them back. Every date written is the build
date, and the document ID is derived from the content, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Name, pdfa

from appeal_archive.errors import AppealArchiveError, Issue
from appeal_archive.layout import (
    BUILD_DATE_PROPERTY,
    EXTENDS_PROPERTY,
    ROOT_PROPERTY,
    TOOL_PROPERTY,
    ArchiveFile,
    extends_values,
    root_value,
)

FLAVOUR = "3b"
VALIDATE_PAGES = 300


def flat_name(name: str) -> str:
    """The file name a reader saves an attachment under: its path with '__' for '/', because poppler's
    pdfdetach cannot create folders. The attachment's name (its key) keeps the path."""
    return name.replace("/", "__")


def pdf_date(moment: datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%SZ")


def make_pdfa(drawn: Path, attachments: Iterable[ArchiveFile], *, title: str, creator: str, description: str,
              root: str, build_date: datetime, tool: str, document_id: bytes, scratch: Path | None = None,
              extends: dict[str, Any] | None = None) -> bytes:
    """Turn reportlab's output (the file `drawn`) into validated PDF/A-3b bytes carrying the attachments.

    `document_id` becomes the permanent first half of the PDF's /ID (qpdf keeps it and derives the
    second half from the content); reportlab's own ID differs from one process to the next.
    """
    # Saved through a temporary file and read back once pikepdf has let go of the document: a growing
    # in-memory buffer, or both at once, would briefly need twice the size.
    with tempfile.TemporaryFile(dir=scratch) as out:
        with pikepdf.open(drawn) as pdf:
            pdf.trailer.ID = pikepdf.Array([pikepdf.String(document_id), pikepdf.String(document_id)])
            for page in pdf.pages:
                if Name.Trans in page.obj:  # reportlab writes an empty page transition; PDF/A forbids /Trans
                    del page.obj[Name.Trans]
            stamp = pdf_date(build_date)
            specs = [(attachment.name, pdf.make_indirect(pikepdf.AttachedFileSpec(
                pdf, attachment.data, description=attachment.description, filename=flat_name(attachment.name),
                mime_type=attachment.media_type, creation_date=stamp, mod_date=stamp,
                relationship=Name("/" + attachment.relationship)).obj)) for attachment in attachments]
            _attach(pdf, specs)
            pdfa.prepare(pdf, FLAVOUR)
            _describe(pdf, title=title, creator=creator, description=description, root=root, build_date=build_date,
                      tool=tool, extends=extends)
            pdf.save(out, **pdfa.resolve_save_kwargs(FLAVOUR, deterministic_id=True))
            pages = len(pdf.pages)
        out.seek(0)
        written = out.read()
    # The validator reads every page's content (about 5 ms a page): it checks every document of an
    # ordinary size; very long ones are built the same way, and the tests validate that construction.
    if pages <= VALIDATE_PAGES and (findings := pdfa_findings(written)):
        raise AppealArchiveError(Issue("pdf.not-pdfa", f"the PDF does not pass PDF/A-{FLAVOUR}: {findings[0]}",
                                       hint="this is a bug in appeal-archive's renderer; please report it"))
    return written


def _describe(pdf: pikepdf.Pdf, *, title: str, creator: str, description: str, root: str, build_date: datetime,
              tool: str, extends: dict[str, Any] | None) -> None:
    """XMP metadata (pikepdf escapes the values) and the document information dictionary to match.

    The root, the tool and the build date sit where layout.py says, for verify to read back.
    """
    moment = build_date.strftime("%Y-%m-%dT%H:%M:%SZ")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["dc:title"] = title
        meta["dc:creator"] = [creator]
        meta["dc:description"] = description
        meta["dc:date"] = [moment]
        meta[ROOT_PROPERTY] = root_value(root)
        if extends is not None:
            meta[EXTENDS_PROPERTY] = extends_values(extends)
        meta[TOOL_PROPERTY] = tool
        meta["pdf:Producer"] = tool
        # prepare() stamps MetadataDate with the clock; the build date keeps the bytes reproducible.
        for key in (BUILD_DATE_PROPERTY, "xmp:ModifyDate", "xmp:MetadataDate"):
            meta[key] = moment
    pdf.docinfo[Name.CreationDate] = pdf_date(build_date)
    # The producer and the modification date live in the XMP only. pyHanko rewrites both at every signing,
    # DSS and time-stamp update, in the XMP and in whichever of them the information dictionary has: one
    # it lacks cannot come to disagree with the XMP (PDF/A-1's rule binds only entries that are present).
    for name in (Name.Producer, Name.ModDate):
        if name in pdf.docinfo:
            del pdf.docinfo[name]


def _attach(pdf: pikepdf.Pdf, specs: Sequence[tuple[str, pikepdf.Object]]) -> None:
    """Register file specifications as embedded files and PDF/A-3 associated files (/AF).

    The /EmbeddedFiles name tree is built here in one pass, balanced, because inserting names one by
    one through pikepdf costs time proportional to the tree each time (quadratic for thousands).
    """
    items = sorted(specs, key=lambda item: bytes(pikepdf.String(item[0])))
    names = pdf.Root.get(Name.Names) or pdf.make_indirect(pikepdf.Dictionary())
    names[Name.EmbeddedFiles] = _name_tree(pdf, items)
    pdf.Root[Name.Names] = names
    pdf.Root[Name.AF] = pikepdf.Array([spec for _, spec in items])


def _name_tree(pdf: pikepdf.Pdf, items: list[tuple[str, pikepdf.Object]], fanout: int = 64) -> pikepdf.Object:
    def limits(first: str, last: str) -> pikepdf.Array:
        return pikepdf.Array([pikepdf.String(first), pikepdf.String(last)])

    if len(items) <= fanout:
        return pdf.make_indirect(pikepdf.Dictionary(
            Names=pikepdf.Array([value for name, spec in items for value in (pikepdf.String(name), spec)])))
    level = []
    for start in range(0, len(items), fanout):
        chunk = items[start:start + fanout]
        level.append((chunk[0][0], chunk[-1][0], pdf.make_indirect(pikepdf.Dictionary(
            Names=pikepdf.Array([value for name, spec in chunk for value in (pikepdf.String(name), spec)]),
            Limits=limits(chunk[0][0], chunk[-1][0])))))
    while len(level) > fanout:
        level = [(chunk[0][0], chunk[-1][1], pdf.make_indirect(pikepdf.Dictionary(
            Kids=pikepdf.Array([node for _, _, node in chunk]), Limits=limits(chunk[0][0], chunk[-1][1]))))
            for chunk in (level[start:start + fanout] for start in range(0, len(level), fanout))]
    return pdf.make_indirect(pikepdf.Dictionary(Kids=pikepdf.Array([node for _, _, node in level])))


def pdfa_findings(pdf_bytes: bytes) -> list[str]:
    """What pikepdf's PDF/A-3b validator finds in a file (empty when it passes)."""
    report = pdfa.validate_written(io.BytesIO(pdf_bytes), FLAVOUR)
    return [f"{finding.rule} {finding.where}: {finding.message}" for finding in report.findings]
