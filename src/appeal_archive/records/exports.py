"""Petition exports: a CSV or XLSX file -> its header and its rows of text cells, each where a spreadsheet shows it.

What petition platforms and web forms export: CSV with a comma, semicolon or tab (sniffed from the first rows),
in UTF-8 with or without a byte order mark, UTF-16 with one, or a legacy Windows code page named with
`--encoding`; or an XLSX workbook (its first sheet, or one named), read by openpyxl. A cell is data, never a
formula: a formula's text is kept as text, with a warning. Rows are numbered as a spreadsheet shows them, the
header being row 1, whatever line breaks the cells hold.

Nothing here decides what a column means (intake.py maps them) or keeps what is not asked for.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from appeal_archive.errors import EXIT_INVALID, AppealArchiveError, Issue
from appeal_archive.files import FileRefused, read_regular

MAX_EXPORT_BYTES = 1 << 30
MAX_ROWS = 2_000_000
DELIMITERS = (",", ";", "\t")
SNIFF_ROWS = 50  # records read with each delimiter to choose one
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: tuple[str, ...]


@dataclass
class Export:
    """An export as read: its file's facts, its header and rows, and what was noticed while reading it."""

    path: Path
    size: int
    sha256: str
    encoding: str  # how its bytes were read ("xlsx" for a workbook)
    header: tuple[str, ...]
    rows: list[Row]
    warnings: list[Issue] = field(default_factory=list)
    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column index) of cells that were formulas

    @property
    def row_count(self) -> int:
        return self.rows_read if self.rows_read is not None else len(self.rows)

    def let_go_of_rows(self) -> None:
        """Forget the rows (their unmapped cells too) once their signatures are read: only the count stays."""
        self.rows_read = len(self.rows)
        self.rows = []

    rows_read: int | None = None

    @property
    def name(self) -> str:
        return self.path.name


def refused(path: Path, code: str, message: str, hint: str, row: int | None = None) -> AppealArchiveError:
    return AppealArchiveError(Issue(code, message, file=str(path), line=row, hint=hint), EXIT_INVALID)


def read_export(path: str | Path, encoding: str | None = None, sheet: str | None = None) -> Export:
    """The export at `path`: XLSX by its content (a ZIP with a workbook), CSV otherwise."""
    path = Path(path)
    try:
        data = read_regular(path, MAX_EXPORT_BYTES)
    except FileRefused as error:
        raise AppealArchiveError(error.issue, EXIT_INVALID) from error
    facts = {"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if data[:4] == b"PK\x03\x04":
        if encoding:
            raise refused(path, "intake.encoding-not-applicable", "--encoding was given for an XLSX workbook, "
                          "whose text is always Unicode", "leave --encoding out")
        return _read_xlsx(data, sheet, **facts)
    if sheet:
        raise refused(path, "intake.sheet-not-applicable", "--sheet was given for a CSV file, which has no sheets",
                      "leave --sheet out")
    text, used = _decode(path, data, encoding)
    return _read_csv(text, used, **facts)


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding is None:
        encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
        if encoding == "utf-8" and b"\x00" in data[:4096] and len(data) % 2 == 0:
            raise refused(path, "intake.not-utf8", "the file looks like UTF-16 without a byte order mark",
                          "give its encoding, e.g. --encoding utf-16-le, or export it as UTF-8")
    else:
        try:
            if not codecs.lookup(encoding)._is_text_encoding:  # base64, rot13, zlib: codecs, not encodings
                raise LookupError(encoding)
        except LookupError as error:
            raise refused(path, "intake.unknown-encoding", f"{encoding!r} is not an encoding Python knows",
                          "give one such as utf-8, cp1251 (Windows Cyrillic), cp1250 or cp1252") from error
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if encoding == "utf-8":
            raise refused(path, "intake.not-utf8", f"line {line}: the bytes {data[error.start:error.end].hex(' ')} are "
                          "not UTF-8", "give the export's encoding with --encoding, e.g. --encoding cp1251 for a "
                          "Windows export in Cyrillic, cp1250 (Central European) or cp1252 (Western)",
                          row=None) from error
        raise refused(path, "intake.bad-encoding", f"line {line}: the bytes are not {encoding}",
                      "check the export's encoding and give it with --encoding") from error
    except ValueError as error:  # a codec that refuses otherwise (utf-7's, unicode_escape's own errors)
        raise refused(path, "intake.bad-encoding", f"the bytes are not {encoding}: {error}",
                      "check the export's encoding and give it with --encoding") from error


def _records(text: str, delimiter: str) -> Any:  # csv's reader, which tells its line_num
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _sniff(text: str) -> str:
    """The delimiter under which most of the first rows have one same number of columns, more than one (a row
    with an unquoted delimiter in a cell is then refused as a row of another width, never misread)."""
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        widths: list[int] = []
        try:
            for number, record in enumerate(_records(text, delimiter)):
                if number >= SNIFF_ROWS:
                    break
                if any(cell.strip() for cell in record):
                    widths.append(len(record))
        except csv.Error:
            continue
        if not widths:
            continue
        width = max(set(widths), key=lambda candidate: (widths.count(candidate), candidate))
        score = (widths.count(width) / len(widths), width)
        if width > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(text: str, encoding: str, **facts) -> Export:
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise refused(facts["path"], "intake.binary", f"line {line} holds a NUL byte: this is not a text export",
                      "export the petition as CSV (UTF-8) or XLSX")
    records = _records(text, _sniff(text))
    export = Export(encoding=encoding, header=(), rows=[], **facts)
    try:
        header = next(records, None)
        if header is None or not any(cell.strip() for cell in header):
            raise refused(export.path, "intake.no-header", "the export has no header row",
                          "the first row must name the columns")
        export.header = tuple(cell.strip() for cell in header)
        for number, record in enumerate(records, 2):
            if number > MAX_ROWS + 1:
                raise refused(export.path, "intake.too-many-rows", f"the export holds more than {MAX_ROWS:,} rows",
                              "split it into several exports", row=number)
            if any(cell.strip() for cell in record):
                export.rows.append(Row(number, tuple(record)))
    except csv.Error as error:
        raise refused(export.path, "intake.bad-csv", f"row {records.line_num}: {error}",
                      "check the quoting of that row: a cell that holds the delimiter or a line break is quoted "
                      "with double quotes, and a double quote in it is doubled", row=records.line_num) from error
    return export


def _cell_text(value) -> str:
    """A workbook cell as the text a reader sees in it: dates as ISO 8601, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, sheet: str | None, **facts) -> Export:
    import openpyxl  # type: ignore[import-untyped]

    path = facts["path"]
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - zipfile's, the XML parser's and openpyxl's own errors
        raise refused(path, "intake.bad-xlsx", f"the file is not a workbook openpyxl can read ({error})",
                      "save it again as .xlsx, or export the petition as CSV") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise refused(path, "intake.no-sheet", f"the workbook has no sheet {sheet!r}",
                          f"give one of: {', '.join(workbook.sheetnames)}")
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        if hasattr(worksheet, "reset_dimensions"):
            worksheet.reset_dimensions()  # a sheet's declared size may hide rows: read them all
        export = Export(encoding="xlsx", header=(), rows=[], **facts)
        rows = worksheet.iter_rows()
        first = next(rows, None)
        if not first or not any(_cell_text(cell.value).strip() for cell in first):
            raise refused(path, "intake.no-header", "the sheet has no header row", "the first row must name the "
                          "columns")
        export.header = tuple(_cell_text(cell.value).strip() for cell in first)
        for cells in rows:
            texts = []
            for index, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    export.formulas.append((cell.row, index))
                texts.append(_cell_text(cell.value))
            if any(text.strip() for text in texts):
                number = next((cell.row for cell in cells if getattr(cell, "row", None)), len(export.rows) + 2)
                if len(export.rows) >= MAX_ROWS:
                    raise refused(path, "intake.too-many-rows", f"the sheet holds more than {MAX_ROWS:,} rows",
                                  "split it into several exports", row=number)
                export.rows.append(Row(number, tuple(texts)))
        return export
    except AppealArchiveError:
        raise
    except Exception as error:  # noqa: BLE001 - openpyxl raises what its XML parser and zipfile raise
        raise refused(path, "intake.bad-xlsx", f"the workbook cannot be read ({type(error).__name__}: {error})",
                      "save it again as .xlsx, or export the petition as CSV") from error
    finally:
        workbook.close()
