"""Stage 8, the PDF view: a Dossier and a RenderContext -> unsigned PDF bytes (reportlab), reproducible.

Layout is done here, line by line, before anything is drawn: that gives "page x of y" in every footer in
one drawing pass, and keeps 100,000 signatories linear (direct canvas drawing; no platypus tables).
The fonts are PT Sans (static TTF from the fontpkg-pt-sans package), embedded as subsets; no base-14
font and no system font ever reaches the file. reportlab's invariant mode keeps clock and random ids out.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .dossier import Dossier
from .errors import AppealArchiveError, Issue
from .identity import SignerIdentity
from .models import Appeal, Count, Signatory

FONT_FILES = {
    "PTSans": "PT_Sans-Web-Regular.ttf",
    "PTSans-Bold": "PT_Sans-Web-Bold.ttf",
    "PTSans-Italic": "PT_Sans-Web-Italic.ttf",
}
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56.0
TOP = PAGE_HEIGHT - 60.0
BOTTOM = 62.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
QUALIFIER_WORDS = {"exact": "exactly", "about": "about", "more-than": "more than", "fewer-than": "fewer than"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float


TITLE = Style("PTSans-Bold", 22, 27)
H1 = Style("PTSans-Bold", 15, 20)
H2 = Style("PTSans-Bold", 11.5, 15)
BODY = Style("PTSans", 10, 13.6)
BOLD = Style("PTSans-Bold", 10, 13.6)
SMALL = Style("PTSans", 8.5, 11)
NOTE = Style("PTSans-Italic", 8.5, 11)
HASH = Style("PTSans", 7.2, 9.4)


@dataclass(frozen=True)
class RenderContext:
    build_date: datetime
    signer: SignerIdentity
    tool: str


@cache
def register_fonts() -> dict[str, TTFont]:
    import fontpkg_pt_sans

    folder = Path(fontpkg_pt_sans.__file__).parent / "files"
    fonts = {}
    for name, file_name in FONT_FILES.items():
        fonts[name] = TTFont(name, str(folder / file_name))
        pdfmetrics.registerFont(fonts[name])
    return fonts


def missing_glyphs(chars: Iterable[str]) -> set[str]:
    """Characters the archival font cannot draw (they would print as empty boxes)."""
    cmap = set(register_fonts()["PTSans"].face.charToGlyph)
    return {char for char in chars if ord(char) not in cmap and not char.isspace()}


# --- layout -----------------------------------------------------------------------------------------


def wrap(text: str, style: Style, width: float) -> list[str]:
    """Lines of at most `width` points, broken at spaces only (no hyphen is ever added to the text)."""
    if pdfmetrics.stringWidth(text, style.font, style.size) <= width and "\n" not in text:
        return [text]  # most entries fit: one measurement instead of one per word
    return simpleSplit(text, style.font, style.size, width) or [""]


class Layout:
    """Places lines on pages and hands each finished page to `on_page` as a list of ops
    (kind, style or None, x, y, payload), so a document of any length is never held whole."""

    def __init__(self, on_page: Callable[[list[tuple]], None]) -> None:
        self.on_page = on_page
        self.ops: list[tuple] = []
        self.pages = 1
        self.y = TOP
        self.chars: set[str] = set()

    def new_page(self) -> None:
        self.on_page(self.ops)
        self.ops = []
        self.pages += 1
        self.y = TOP

    def finish(self) -> int:
        self.on_page(self.ops)
        return self.pages

    def space(self, points: float) -> None:
        if self.y != TOP:
            self.y -= points

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def _text(self, style: Style, x: float, y: float, text: str) -> None:
        self.ops.append(("text", style, x, y, text))
        if not text.isascii():
            self.chars.update(text)

    def line(self, text: str, style: Style, x: float = MARGIN) -> None:
        self.need(style.leading)
        self.y -= style.leading
        self._text(style, x, self.y, text)

    def paragraph(self, text: str, style: Style = BODY, indent: float = 0.0, label: str | None = None,
                  keep_lines: int = 1) -> None:
        """Wrapped text; an optional hanging label ("1.") sits left of the first line."""
        x = MARGIN + indent
        lines = wrap(text, style, TEXT_WIDTH - indent)
        self.need(style.leading * min(len(lines), keep_lines))
        for number, line in enumerate(lines):
            if number == 0 and label:
                self.need(style.leading)
                self._text(style, MARGIN + indent - 22, self.y - style.leading, label)
            self.line(line, style, x)

    def heading(self, text: str, style: Style = H1) -> None:
        self.space(style.leading * 0.8)
        self.need(style.leading + 4 * BODY.leading)  # never a heading alone at the foot of a page
        self.line(text, style)
        self.y -= style.leading * 0.25

    def qr(self, value: str, size: float) -> None:
        self.need(size)
        self.ops.append(("qr", None, MARGIN, self.y - size, (value, size)))
        self.y -= size


# --- content ----------------------------------------------------------------------------------------


def human_date(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{day} {MONTHS[month - 1]} {year}"


def count_text(count: Count) -> str:
    return f"{count.as_printed} (recorded as {QUALIFIER_WORDS[count.qualifier]} {count.value:,})"


def layout_document(dossier: Dossier, context: RenderContext, layout: Layout) -> Layout:
    """Lay the whole document out into `layout`, which passes each page on as it is finished."""
    register_fonts()
    appeals = dossier.appeals()
    _cover(layout, dossier, appeals, context)
    for appeal in appeals:
        layout.new_page()
        _appeal(layout, dossier, appeal)
        _rallies(layout, dossier, appeal)
        _signatories(layout, dossier, appeal)
        _claims_and_photo(layout, appeal)
    _name_variants(layout, dossier)
    layout.new_page()
    _appendix(layout, dossier, context)
    return layout


def _cover(layout: Layout, dossier: Dossier, appeals: list[Appeal], context: RenderContext) -> None:
    config = dossier.config
    layout.line("ARCHIVAL RECORD", SMALL)
    layout.space(10)
    for line in wrap(dossier.title(), TITLE, TEXT_WIDTH):
        layout.line(line, TITLE)
    layout.space(8)
    for appeal in appeals:
        rally = dossier.rally(appeal.adoption.rally)
        occasion = f", {appeal.adoption.occasion}," if appeal.adoption.occasion else ""
        layout.paragraph(f"Adopted on {human_date(appeal.adoption.date)}{occasion} at {rally.as_printed} "
                         f"({rally.country}).", BODY)
    layout.space(14)
    documents = len(dossier.manifest["source_documents"])
    facts = [
        ("Archival identifier", config.archival_id),
        ("Record set", f"{config.title}; {len(dossier.records())} records, {documents} source document"
                       f"{'s' * (documents != 1)}"),
        ("Custodian", config.custodian),
        ("Built", context.build_date.strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Signed by", context.signer.describe()),
        ("Made with", context.tool),
    ]
    for label, value in facts:
        layout.paragraph(f"{label}: {value}", BODY)
    layout.space(12)
    layout.line("Root hash of the record set (SHA-256):", BOLD)
    layout.line(dossier.root, BODY)
    layout.space(6)
    layout.qr(dossier.root, 110)
    layout.space(10)
    layout.paragraph("This file carries its own evidence: the source document, every record (as YAML and as "
                     "canonical JSON) and the manifest are attached to it. The root hash above is computed from "
                     "them; the integrity appendix at the end says how to check the file and its signature.", NOTE)


def _appeal(layout: Layout, dossier: Dossier, appeal: Appeal) -> None:
    source = dossier.source(appeal.source)
    layout.heading("The appeal, as printed")
    layout.paragraph(appeal.title, H2)
    layout.space(4)
    layout.line("Addressed to:", BOLD)
    for addressee in appeal.addressees:
        layout.paragraph(addressee, BODY, indent=18, label="–")
    layout.space(6)
    for paragraph in appeal.body:
        layout.paragraph(paragraph, BODY, keep_lines=2)
        layout.space(5)
    layout.line("Demands:", BOLD)
    for demand in appeal.demands:
        layout.paragraph(demand.text, BODY, indent=22, label=f"{demand.number}.", keep_lines=2)
        layout.space(3)
    layout.space(4)
    layout.paragraph(appeal.adoption.as_printed, BODY)
    if appeal.similar_appeals:
        layout.space(4)
        layout.paragraph(appeal.similar_appeals.as_printed, BODY)
    layout.space(6)
    layout.paragraph(f"Transcribed from: {source.title} ({source.file}, SHA-256 {source.sha256}). Each demand's "
                     "number is kept once; everything else is as printed.", NOTE)


def _rallies(layout: Layout, dossier: Dossier, appeal: Appeal) -> None:
    rally_ids = [appeal.adoption.rally] + (appeal.similar_appeals.rallies if appeal.similar_appeals else [])
    layout.heading("Rallies")
    for rally_id in rally_ids:
        rally = dossier.rally(rally_id)
        role = "adopted the appeal" if rally_id == appeal.adoption.rally else "adopted a similar appeal"
        layout.paragraph(f"{rally.city} ({rally.country}), {human_date(rally.date)}: {rally.as_printed}; {role}", BOLD)
        layout.paragraph(f"Participants: {count_text(rally.participants)}", BODY, indent=12)
        layout.paragraph(f"Date as printed: {rally.date_as_printed}", SMALL, indent=12)
        layout.space(4)


def _signatories(layout: Layout, dossier: Dossier, appeal: Appeal) -> None:
    layout.heading(f"Signatories, in printed order ({appeal.signatory_count})")
    layout.paragraph("Each entry exactly as printed, then the archive's structured reading of it.", NOTE)
    layout.space(4)
    for signatory in dossier.signatories(appeal.id):
        layout.paragraph(signatory.as_printed, BODY, indent=22, label=f"{signatory.position}.", keep_lines=2)
        for line in _reading(signatory):
            layout.paragraph(line, SMALL, indent=34)
        layout.space(3)


def _reading(signatory: Signatory) -> Iterator[str]:
    if signatory.person:
        yield f"Person: {signatory.person.name} [{signatory.person.ref}]"
    else:
        yield "Person: none named in the entry"
    for capacity in signatory.capacities:
        organization = (f"; organization: {capacity.organization.name} [{capacity.organization.ref}]"
                        if capacity.organization else "")
        yield f"Capacity: {capacity.role}{organization}"
    for note in signatory.notes:
        relation = (f" ({note.relation.kind}: {note.relation.person.name} [{note.relation.person.ref}])"
                    if note.relation else "")
        yield f"Note: {note.text}{relation}"
    if signatory.archivist_note:
        yield f"Archivist: {signatory.archivist_note}"


def _claims_and_photo(layout: Layout, appeal: Appeal) -> None:
    if appeal.claims:
        layout.heading("Attributed statements")
        layout.paragraph("The appeal attributes these statements to others. The archive records the attribution; "
                         "it does not assert the statements.", NOTE)
        for claim in appeal.claims:
            layout.space(4)
            layout.paragraph(f"Attributed to: {claim.attributed_to}", BOLD)
            layout.paragraph(claim.as_printed, BODY, indent=12)
            if claim.count:
                layout.paragraph(f"Figure given: {count_text(claim.count)}", BODY, indent=12)
            if claim.note:
                layout.paragraph(f"Archivist: {claim.note}", NOTE, indent=12)
    if appeal.photo:
        layout.heading("Photograph")
        layout.paragraph(f"Caption: {appeal.photo.caption}", BODY)
        layout.paragraph(f"Credit: {appeal.photo.credit}", BODY)
        held = "held by the archive" if appeal.photo.image_available else "not available; the archive holds no image"
        layout.paragraph(f"Image: {held}", BODY)
        if appeal.photo.note:
            layout.paragraph(f"Archivist: {appeal.photo.note}", NOTE)


def _name_variants(layout: Layout, dossier: Dossier) -> None:
    entries = [entry for entry in dossier.persons() + dossier.organizations()
               if len(entry.names) > 1 or entry.archivist_names]
    if not entries:
        return
    layout.heading("Names and their spellings")
    layout.paragraph("Spellings printed in the sources are kept as printed. Forms added by the archivist are "
                     "marked as such; they are not source text.", NOTE)
    for entry in sorted(entries, key=lambda entry: entry.id):
        layout.space(4)
        layout.paragraph(f"{entry.names[0]} [{entry.id}]", BOLD)
        for name in entry.names:
            layout.paragraph(f"As printed in the source: {name}", BODY, indent=12)
        for added in entry.archivist_names:
            layout.paragraph(f"Added by the archivist ({added.lang}): {added.text}. {added.note}", BODY, indent=12)
        if entry.archivist_note:
            layout.paragraph(f"Archivist: {entry.archivist_note}", NOTE, indent=12)


def _appendix(layout: Layout, dossier: Dossier, context: RenderContext) -> None:
    layout.heading("Integrity appendix")
    layout.heading("Source documents", H2)
    for source in dossier.sources():
        layout.paragraph(f"{source.title}", BOLD)
        layout.paragraph(f"File: sources/{source.file} ({source.media_type}); SHA-256 {source.sha256}", SMALL,
                         indent=12)
        layout.paragraph(f"Capture: {source.capture.kind}; {source.capture.description} Publisher URL: "
                         f"{source.capture.publisher_url}. Captured on: {source.capture.captured_on}.", SMALL, indent=12)
        for note in source.notes:
            layout.paragraph(f"Note: {note}", SMALL, indent=12)
    layout.heading("How the root hash is made", H2)
    for text in (
        "Each record is read as JSON data (its YAML comments, key order and quoting do not count) and "
        "serialised in the RFC 8785 canonical form; its SHA-256 is the record's digest. A source document's "
        "digest is the SHA-256 of its bytes.",
        'Each record gives the entry {"kind": "record", "path", "id", "type", "sha256"}, each source document '
        '{"kind": "source-document", "path", "sha256"}; the leaf is the SHA-256 of the entry\'s RFC 8785 form.',
        'The root is the SHA-256 of the RFC 8785 form of {"manifest_version": 1, "leaves": [all leaves, sorted]}.',
    ):
        layout.paragraph(text, BODY)
        layout.space(3)
    layout.heading("How to verify this file", H2)
    for text in (
        "1. The signature: `appeal-archive verify FILE.pdf` checks that the signature covers the whole file and "
        "is intact, re-hashes every attachment against the attached manifest, and recomputes the root hash "
        "printed on the cover. Without appeal-archive, poppler's `pdfsig FILE.pdf` checks the signature.",
        "2. The records: `pdfdetach -saveall FILE.pdf` extracts the attachments; each record's canonical JSON has "
        "the SHA-256 listed below, and the manifest.json attachment lists every entry and the root.",
        "3. The rendering: `appeal-archive verify --rebuild FILE.pdf` re-renders this document from its own "
        "attachments, build date and signer, and checks the signed bytes are exactly that rendering.",
    ):
        layout.paragraph(text, BODY)
        layout.space(3)
    layout.heading("Records and their SHA-256", H2)
    for entry in dossier.manifest["records"]:
        layout.line(f"{entry['sha256']}  {entry['path']}", HASH)
    for entry in dossier.manifest["source_documents"]:
        layout.line(f"{entry['sha256']}  {entry['path']}", HASH)
    layout.space(4)
    layout.paragraph(f"Root: {dossier.root}", BOLD)


# --- drawing ----------------------------------------------------------------------------------------


def _draw_qr(pdf: canvas.Canvas, x: float, y: float, value: str, size: float) -> None:
    """A QR code as filled squares (reportlab's QR widget would bring a base-14 font into the file)."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(value)
    code.make()
    count = code.getModuleCount()
    module = size / (count + 8)  # four modules of quiet zone on each side
    pdf.setFillColorRGB(0, 0, 0)
    for row in range(count):
        for column in range(count):
            if code.isDark(row, column):
                pdf.rect(x + (column + 4) * module, y + size - (row + 5) * module, module, module, stroke=0, fill=1)


class Drawer:
    """Draws finished pages onto a reportlab canvas, each with the running footer.

    "page x of y" is drawn before y is known: the footer refers to a form (a PDF XObject) holding
    "y · root ...", which is defined once the last page is done.
    """

    def __init__(self, archival_id: str, root: str, title: str, author: str, language: str):
        register_fonts()
        self.buffer = io.BytesIO()
        self.pdf = canvas.Canvas(self.buffer, pagesize=A4, invariant=1, pageCompression=1,
                                 initialFontName="PTSans", initialFontSize=10, initialLeading=12, lang=language)
        self.pdf.setTitle(title)
        self.pdf.setAuthor(author)
        self.pdf.setCreator("appeal-archive")
        self.pdf.setProducer("appeal-archive (reportlab)")
        self.archival_id, self.root, self.number = archival_id, root, 0

    def page(self, ops: list[tuple]) -> None:
        self.number += 1
        pdf = self.pdf
        # One text object per page: a BT/ET block per line would cost twice the time on long documents.
        text = pdf.beginText()
        current = None
        for kind, style, x, y, payload in ops:
            if kind == "text":
                if current is not style:
                    text.setFont(style.font, style.size)
                    current = style
                text.setTextOrigin(x, y)
                text.textOut(payload)
            else:
                _draw_qr(pdf, x, y, *payload)
        footer = f"{self.archival_id} · page {self.number} of "
        text.setFont(SMALL.font, SMALL.size)
        text.setTextOrigin(MARGIN, 30)
        text.textOut(footer)
        pdf.drawText(text)
        pdf.saveState()
        pdf.translate(MARGIN + pdfmetrics.stringWidth(footer, SMALL.font, SMALL.size), 30)
        pdf.doForm("page-total")
        pdf.restoreState()
        pdf.showPage()

    def finish(self) -> bytes:
        pdf = self.pdf
        pdf.beginForm("page-total", lowerx=0, lowery=-4, upperx=TEXT_WIDTH, uppery=SMALL.leading)
        text = pdf.beginText()
        text.setFont(SMALL.font, SMALL.size)
        text.setTextOrigin(0, 0)
        text.textOut(f"{self.number} · root {self.root[:16]}")
        pdf.drawText(text)
        pdf.endForm()
        pdf.save()
        return self.buffer.getvalue()


def render(dossier: Dossier, context: RenderContext) -> tuple[bytes, int]:
    """The unsigned, not yet PDF/A, document and its page count: the same inputs give the same bytes."""
    drawer = Drawer(dossier.config.archival_id, dossier.root, dossier.title(), dossier.config.custodian,
                    dossier.appeals()[0].language)
    layout = layout_document(dossier, context, Layout(drawer.page))
    pages = layout.finish()
    missing = missing_glyphs(layout.chars)
    if missing:
        shown = ", ".join(f"U+{ord(char):04X} {unicodedata.name(char, '?')}" for char in sorted(missing)[:10])
        raise AppealArchiveError(Issue("pdf.missing-glyph", f"the archival font (PT Sans) cannot draw: {shown}",
                                       hint="check the records for stray characters; PT Sans covers Latin, "
                                       "Latin Extended and Cyrillic"), exit_code=1)
    return drawer.finish(), pages
