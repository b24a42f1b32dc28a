"""Typesetting for the archival PDF: fonts, styles, line layout and page drawing (reportlab), reproducible.

Layout is done line by line before anything is drawn: that gives "page x of y" in every footer in one
drawing pass, and keeps 100,000 signatories linear (direct canvas drawing; no platypus tables). The fonts
are PT Sans (static TTF from the fontpkg-pt-sans package), embedded as subsets; no base-14 font and no
system font ever reaches the file. reportlab's invariant mode keeps clock and random ids out.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

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
