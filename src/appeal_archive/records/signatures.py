"""Signatures: a petition export's rows, read through a map, -> the signatures intake takes, and each row's problems.

The map (docs/intake.md) says which column holds which field, which publish cells mean consent, and how dates
are written. Only the mapped columns' cells are ever read; each is taken in NFC, checked with the text rules
every record obeys (text.py), and named as EXPORT:ROW:COLUMN when it is refused.
"""

from __future__ import annotations

import contextlib
import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from appeal_archive.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, AppealArchiveError, Issue
from appeal_archive.files import FileRefused, read_regular
from appeal_archive.progress import Progress
from appeal_archive.records import loader
from appeal_archive.records.exports import Export
from appeal_archive.records.likeness import name_key
from appeal_archive.records.text import text_problems

FIELDS = ("name", "given_name", "family_name", "city", "country", "signed_at", "comment", "publish")
TEXT_FIELDS = ("name", "city", "country", "signed_at", "comment")  # what an entry quotes, in the capture's order
DEFAULT_PUBLISH_VALUES = ("yes", "true")
MAX_CELL = 5000  # characters: more than any name, place or comment a form takes
MAX_MAP_BYTES = 64 << 10


# --- the map ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the export holds which field, which publish cells mean consent, how dates are written."""

    columns: dict[str, str]  # field -> the export's column header
    publish_values: tuple[str, ...] = DEFAULT_PUBLISH_VALUES
    date_format: str | None = None

    def consents(self, cell: str) -> bool:
        return cell.strip().casefold() in {value.casefold() for value in self.publish_values}


def _map_error(path: Path, message: str, hint: str) -> AppealArchiveError:
    return AppealArchiveError(Issue("intake.bad-map", message, file=str(path), hint=hint), EXIT_USAGE)


def read_map(path: str | Path) -> ColumnMap:
    """A map file (docs/intake.md): `columns` (field: header), `publish_values`, `date_format`."""
    path = Path(path)
    try:
        loaded = loader.load(read_regular(path, MAX_MAP_BYTES))
    except FileRefused as error:
        raise AppealArchiveError(error.issue, EXIT_USAGE) from error
    # Read as YAML 1.2, where `publish_values: [yes, no]` are words, as the person who wrote them meant.
    errors = [issue for issue in loaded.issues if issue.is_error and issue.code != "yaml.ambiguous"]
    if errors:
        raise AppealArchiveError([issue.in_file(str(path)) for issue in errors], EXIT_USAGE)
    data = loaded.data
    example = "columns:\n  name: Full name\n  publish: Publish my name"
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise _map_error(path, "the map has no `columns` mapping", f"write, for example:\n{example}")
    unknown = sorted(set(data) - {"columns", "publish_values", "date_format"})
    if unknown:
        raise _map_error(path, f"the map holds {', '.join(unknown)}, which intake does not know",
                         "a map holds columns, publish_values and date_format")
    columns = data["columns"]
    strange = sorted(str(name) for name in columns if name not in FIELDS)
    if strange:
        raise _map_error(path, f"`columns` names {', '.join(strange)}, which are not fields an entry has",
                         f"map these fields: {', '.join(FIELDS)}")
    if not all(isinstance(header, str) and header.strip() for header in columns.values()):
        raise _map_error(path, "every field in `columns` needs the header of its column, as text",
                         f"for example:\n{example}")
    values = data.get("publish_values", list(DEFAULT_PUBLISH_VALUES))
    if not isinstance(values, list) or not all(isinstance(value, str) and value.strip() for value in values):
        raise _map_error(path, "`publish_values` is not a list of texts", "for example: publish_values: [yes, так]")
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise _map_error(path, "`date_format` is not a strptime format", 'for example: date_format: "%d.%m.%Y"')
    return checked_map(ColumnMap({name: header.strip() for name, header in columns.items()}, tuple(values),
                              date_format), path)


def default_map(header: tuple[str, ...]) -> ColumnMap:
    """Without a map: the columns whose headers are exactly the field names."""
    return ColumnMap({name: name for name in FIELDS if name in header})


def checked_map(mapping: ColumnMap, path: Path | None) -> ColumnMap:
    has_name = "name" in mapping.columns
    has_parts = "given_name" in mapping.columns and "family_name" in mapping.columns
    if has_name == has_parts:
        message = ("the map gives both `name` and `given_name`/`family_name`" if has_name else
                   "the map gives no name column")
        raise AppealArchiveError(Issue("intake.bad-map", message, file=str(path) if path else None,
                                       hint="map `name`, or `given_name` and `family_name`"), EXIT_USAGE)
    return mapping


# --- rows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    """A problem of one row (or of the header: row 1), as EXPORT:ROW:COLUMN, with a catalogue code."""

    row: int
    column: str | None
    code: str
    message: str
    hint: str
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message,
                "hint": self.hint, "severity": self.severity}


@dataclass
class Signature:
    """One row as an entry will quote it: the mapped cells (NFC), and whether the signer consented."""

    row: int
    cells: dict[str, str]  # TEXT_FIELDS present in the map -> cell text ("" when empty)
    signed_on: str | None  # ISO date
    consents: bool

    @property
    def name(self) -> str:
        return self.cells["name"]

    @property
    def key(self) -> tuple[str, ...]:
        """What the signature is, whatever row it is on: the mapped cells, normalized."""
        return tuple(name_key(self.cells.get(field, "")) for field in TEXT_FIELDS)


def _columns(export: Export, mapping: ColumnMap) -> tuple[dict[str, int], list[Rejection]]:
    """Where each mapped field's column is; a missing or repeated header is rejected once, at the header."""
    found, problems = {}, []
    for name, header in mapping.columns.items():
        places = [index for index, cell in enumerate(export.header) if cell == header]
        if not places:
            problems.append(Rejection(1, header, "intake.missing-column", f"the export has no column {header!r} "
                                      f"(mapped to {name})", "check the header's spelling in the map, or map "
                                      "another column"))
        elif len(places) > 1:
            problems.append(Rejection(1, header, "intake.ambiguous-column", f"{len(places)} columns are headed "
                                      f"{header!r}", "rename one of them in the export"))
        else:
            found[name] = places[0]
    return found, problems


def _cell(cells: tuple[str, ...], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _parse_date(text: str, date_format: str | None) -> str | None:
    value = text.strip()
    with contextlib.suppress(ValueError):
        return (datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)).strftime("%Y-%m-%d")
    if date_format:
        with contextlib.suppress(ValueError):
            return datetime.strptime(value, date_format).strftime("%Y-%m-%d")
    return None


@dataclass
class Reading:
    """An export's rows as read: the valid rows' signatures, the rows' problems (errors), what was noticed
    (warnings), and the names of refused rows whose signer did not consent: a refused row still withholds its
    name, so that the signer's namesake on a valid row is not published in its place."""

    signatures: list[Signature]
    problems: list[Rejection]
    notices: list[Rejection]
    withheld_names: set[str]


_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_IP = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])|\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){4,7}\b", re.I)
_PHONE = re.compile(r"(?<!\w)\+?\d(?:[\s()-]{0,2}\d){8,}")


def _personal(text: str, field: str) -> str | None:
    """What a mapped cell holds that only contact details are made of: an e-mail address, an IP address, a
    phone number (a date is not one)."""
    if _EMAIL.search(text):
        return "an e-mail address"
    if _IP.search(text):
        return "an IP address"
    if field != "signed_at" and _PHONE.search(text):
        return "a phone number"
    return None


def _withholds(cells: tuple[str, ...], places: dict[str, int], mapping: ColumnMap, withheld: set[str]) -> None:
    """A refused row's name, when its signer did not consent (read as its columns stand: a shifted row withholds
    what stands in its name column, which protects more, never less)."""
    if mapping.consents(_cell(cells, places.get("publish"))):
        return
    name = (" ".join(_cell(cells, places[part]).strip() for part in ("given_name", "family_name") if part in places)
            if "given_name" in places else _cell(cells, places.get("name")).strip())
    if name.strip():
        withheld.add(unicodedata.normalize("NFC", name.strip()))


def read_signatures(export: Export, mapping: ColumnMap, progress: Progress) -> Reading:
    """Each row read through the map (Reading)."""
    places, header_problems = _columns(export, mapping)
    if header_problems:
        return Reading([], header_problems, [], set())
    headers = mapping.columns
    formulas = set(export.formulas)
    signatures, problems, notices = [], [], []
    withheld: set[str] = set()
    counter = progress.counter(f"{export.name}: rows read", len(export.rows))
    for row in export.rows:
        counter.advance()
        cells: dict[str, str] = {}
        row_problems: list[Rejection] = []
        if export.encoding != "xlsx" and len(row.cells) != len(export.header):
            # A delimiter left unquoted in a cell shifts every cell after it into another column (an e-mail
            # address into the comment): the row is refused, never read but for whether it withholds a name.
            problems.append(Rejection(row.number, None, "intake.row-width", f"the row has {len(row.cells)} cells, "
                                      f"the header {len(export.header)}", "quote the cell that holds the "
                                      "delimiter, or fix the row in the export"))
            _withholds(row.cells, places, mapping, withheld)
            continue
        for name in ("given_name", "family_name", "name", "city", "country", "signed_at", "comment", "publish"):
            if name not in places:
                continue
            header, index = headers[name], places[name]
            text = unicodedata.normalize("NFC", _cell(row.cells, index).replace("\r\n", "\n")).strip()
            if (row.number, index) in formulas or text.startswith("="):
                notices.append(Rejection(row.number, header, "intake.formula", "the cell holds a formula; it is "
                                         "taken as its text, never evaluated", "check the row in the export",
                                         "warning"))
            if len(text) > MAX_CELL:
                row_problems.append(Rejection(row.number, header, "intake.cell-too-long", f"the cell holds "
                                              f"{len(text):,} characters, more than {MAX_CELL:,}",
                                              "shorten it in the export, or leave the row out"))
                continue
            if any("\ud800" <= char <= "\udfff" for char in text):
                row_problems.append(Rejection(row.number, header, "intake.bad-encoding", "the cell holds a lone "
                                              "surrogate, which is no character", "check the export's --encoding"))
                continue
            for problem in text_problems(text):
                rejection = Rejection(row.number, header, problem.code, f"the cell {problem.message}", problem.hint,
                                      problem.severity)
                (row_problems if problem.severity == "error" else notices).append(rejection)
            if "\n" in text and name != "comment":
                row_problems.append(Rejection(row.number, header, "intake.line-break", "the cell holds a line "
                                              "break", "join its lines in the export"))
            if name != "publish" and (kind := _personal(text, name)):
                row_problems.append(Rejection(row.number, header, "intake.looks-personal", f"the cell holds what "
                                              f"looks like {kind}, which no mapped column holds (a row shifted by "
                                              "a delimiter?)", "check the row in the export; a signer's contact "
                                              "details never enter the archive"))
            cells[name] = text
        if "given_name" in places:
            cells["name"] = " ".join(part for part in (cells.pop("given_name"), cells.pop("family_name")) if part)
        if not cells.get("name"):
            row_problems.append(Rejection(row.number, headers.get("name") or headers["family_name"],
                                          "intake.empty-name", "the name is empty",
                                          "fill it in the export, or leave the row out"))
        signed_on = None
        if cells.get("signed_at"):
            signed_on = _parse_date(cells["signed_at"], mapping.date_format)
            if signed_on is None:
                row_problems.append(Rejection(row.number, headers["signed_at"], "intake.bad-date",
                                              "the date does not parse",
                                              "write it as YYYY-MM-DD, or give the map its date_format, e.g. "
                                              '"%d.%m.%Y"'))
        consents = mapping.consents(cells.pop("publish", ""))
        if row_problems:
            problems += row_problems
            _withholds(row.cells, places, mapping, withheld)
        else:
            signatures.append(Signature(row.number, {name: cells.get(name, "") for name in TEXT_FIELDS
                                                     if name in places or name == "name"}, signed_on, consents))
    return Reading(signatures, problems, notices, withheld)


# --- the report -------------------------------------------------------------------------------------


@dataclass
class IntakeReport:
    """What intake found and did (or, with dry_run, would do)."""

    export: str
    records_dir: str
    appeal: str
    dry_run: bool = False
    rows: int = 0
    new_entries: int = 0
    new_persons: int = 0
    matched_persons: int = 0
    restricted: int = 0
    already_in_archive: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    possible_duplicates: list[dict[str, Any]] = field(default_factory=list)
    withheld_homonyms: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    capture: str | None = None
    written: list[str] = field(default_factory=list)
    reject_file: str | None = None
    issues: list[Issue] = field(default_factory=list)  # of the records folder, when it does not validate
    skipped_invalid: bool = False

    @property
    def ok(self) -> bool:
        return not self.issues and (not self.rejected or self.skipped_invalid)

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.ok else EXIT_INVALID

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "export": self.export, "records_dir": self.records_dir, "appeal": self.appeal,
                "dry_run": self.dry_run, "rows": self.rows, "new_entries": self.new_entries,
                "new_persons": self.new_persons, "matched_persons": self.matched_persons,
                "restricted": self.restricted, "already_in_archive": self.already_in_archive,
                "duplicates": self.duplicates, "possible_duplicates": self.possible_duplicates,
                "withheld_homonyms": self.withheld_homonyms,
                "rejected": [rejection.to_dict() for rejection in self.rejected],
                "warnings": [warning.to_dict() for warning in self.warnings],
                "capture": self.capture, "written": self.written, "reject_file": self.reject_file,
                "issues": [issue.to_dict() for issue in self.issues]}


def reject_file_path(export: Path) -> Path:
    return export.with_name(export.name + ".rejected.csv")


def write_rejects(path: Path, export: Export, rejected: list[Rejection]) -> None:
    """Beside the export: the rows left out and why (no cell of the export is copied into it)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "code", "message", "hint"])
        for rejection in rejected:
            writer.writerow([rejection.row, rejection.column or "", rejection.code, rejection.message, rejection.hint])


NOT_CONSENTED = "Restricted at intake: the signer did not consent to publication (the export's publish cell)."


def homonym_note(whose: str) -> str:
    """Why a consenting signer's entry is withheld: in the record, for the archivist."""
    return (f"Withheld at intake: the signer consented, but the name would give away the protected {whose}, "
            "whose name it is or holds.")
