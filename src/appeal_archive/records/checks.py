"""Cross-record checks: scanned records -> issues that need more than one file.

Source documents against their recorded SHA-256; unique ids; every reference resolves to a record of
the right type; each appeal's signatories are numbered 1..n without gaps and match its count.
"""

from __future__ import annotations

import difflib
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath

from appeal_archive.canonical import sha256_hex
from appeal_archive.errors import Issue, Severity
from appeal_archive.files import FileRefused, read_regular, sha256_of
from appeal_archive.layout import MAX_DOCUMENT_BYTES
from appeal_archive.records import loader
from appeal_archive.records.keymaterial import (
    key_material,
    key_material_in_file,
    key_material_issue,
)
from appeal_archive.records.recordset import ScannedRecord, SourceDocument, display_path
from appeal_archive.records.scan import read_bytes
from appeal_archive.records.text import QuoteIndex
from appeal_archive.records.types import BY_NAME

_SUGGEST_LIMIT = 5000  # close-match suggestions cost O(n) each; skip them for very large sets
# A text source is indexed for quotes in memory (about five times its size at the peak): 32 MB holds a
# petition export of several hundred thousand names. Other documents are only hashed, in pieces.
MAX_TEXT_DOCUMENT_BYTES = 32_000_000


class Locations:
    """Places cross-record issues in their files, re-reading a file only when an issue falls in it."""

    def __init__(self, root: Path, display_root: str, records: Sequence[ScannedRecord] = ()):
        self.root, self.display_root = root, display_root
        self._kept = {record.path: record.raw for record in records if record.raw is not None}
        self._locators: dict[str, loader.Locator] = {}

    def issue(self, path: str, pointer: str | None, code: str, message: str, hint: str | None,
              severity: Severity = "error") -> Issue:
        if path not in self._locators:
            raw: bytes | Issue | None = self._kept.get(path)
            raw = read_bytes(self.root / path) if raw is None else raw
            self._locators[path] = loader.Locator(loader.load(raw).text if isinstance(raw, bytes) else None)
        return self._locators[path].place(Issue(code, message, pointer=pointer, hint=hint, severity=severity),
                                          display_path(self.display_root, path))


def check_documents(sources: list[ScannedRecord], documents: list[str], root: Path, locations: Locations,
                    keep_data: bool = False) -> tuple[dict[str, QuoteIndex | None], list[SourceDocument], list[Issue]]:
    """Each source record's document exists inside records/sources/, is unchanged, and is indexed for quotes."""
    indexes: dict[str, QuoteIndex | None] = {}
    kept: dict[str, SourceDocument] = {}  # by path: two source records may describe one document
    issues: list[Issue] = []
    sources_root = (root / "sources").resolve()
    referenced: set[str] = set()
    for source in sources:
        facts = source.document
        if not source.valid or facts is None or source.id is None:
            continue
        relative = f"sources/{facts.file}"
        segments = facts.file.split("/")
        if facts.file.startswith("/") or "\\" in facts.file or any(segment in ("", ".", "..") for segment in segments) \
                or not (root / relative).resolve().is_relative_to(sources_root):
            issues.append(locations.issue(source.path, "/file", "path.escape", "the file name must be a plain "
                                          "path inside records/sources/", "write the document's name as it is in "
                                          "records/sources/, e.g. capture.txt, with no '/', '.' or '..' in front"))
            continue
        is_text = facts.media_type.lower().startswith("text/")  # media types are case-insensitive (RFC 6838)
        limit = MAX_TEXT_DOCUMENT_BYTES if is_text else MAX_DOCUMENT_BYTES
        referenced.add(relative)
        try:
            raw = read_regular(root / relative, limit, own=True) if is_text or keep_data else None
            actual = sha256_hex(raw) if raw is not None else sha256_of(root / relative, limit, own=True)
        except FileRefused as refused:
            issues.append(_unread_document(refused.issue, source, relative, is_text, locations))
            continue
        if (found := _key_material_in(root / relative, raw)) is not None:
            issues.append(found.in_file(display_path(locations.display_root, relative)))
            continue
        if actual != facts.sha256:
            issues.append(locations.issue(
                source.path, "/sha256", "source.hash-mismatch", f"{relative} has SHA-256 {actual}, "
                f"the record says {facts.sha256}", "the document changed: restore its original bytes "
                "(never edit a source); a new capture needs a new source record"))
            continue
        kept.setdefault(relative, SourceDocument(relative, actual, raw if keep_data else None))
        indexes[source.id] = QuoteIndex.of_bytes(raw) if is_text and raw is not None else None
        del raw
    for document in documents:
        if document not in referenced:
            where = display_path(locations.display_root, document)
            issues.append(Issue("source.unreferenced", "no source record describes this document", file=where,
                                severity="warning",
                                hint="add a source record for it in records/sources/, or remove it"))
            try:
                found = _key_material_in(root / document, None)
            except FileRefused as refused:
                found = refused.issue
            if found is not None:  # not published while unreferenced, but never to be among the records
                issues.append(found.in_file(where))
    return indexes, list(kept.values()), issues


def _key_material_in(path: Path, data: bytes | None) -> Issue | None:
    """The issue when a document (its bytes, when read; else the file, read in pieces) is or holds key
    material."""
    what = key_material(data) if data is not None else key_material_in_file(path, MAX_DOCUMENT_BYTES)
    return key_material_issue(what) if what else None


def _unread_document(refused: Issue, source: ScannedRecord, relative: str, is_text: bool,
                     locations: Locations) -> Issue:
    if refused.code == "file.too-large":
        kind = "a text source" if is_text else "a source document"
        return Issue("file.too-large", f"{refused.message} as {kind}",
                     file=display_path(locations.display_root, relative),
                     hint="split the document into several, each described by its own source record"
                     if is_text else "keep a smaller capture, or a text transcription, as the source")
    if refused.code == "path.hard-link":
        return refused.in_file(display_path(locations.display_root, relative))
    return locations.issue(source.path, "/file", "source.file-missing", f"the document {relative} does not "
                           f"exist or cannot be read ({refused.message})",
                           "copy the captured document, unchanged, into records/sources/ as a regular file")


def check_set(records: list[ScannedRecord], locations: Locations) -> Iterator[Issue]:
    """Ids unique per type, references resolved, signatories numbered and counted."""
    ids: dict[str, dict[str, str]] = defaultdict(dict)
    for record in records:
        if record.id is None:
            # An unreadable record still answers to its file name, so references to it are not
            # reported as dangling on top of its own error.
            ids[record.record_type].setdefault(PurePosixPath(record.path).name.removesuffix(".yaml"), record.path)
            continue
        first = ids[record.record_type].setdefault(record.id, record.path)
        if first != record.path:
            yield locations.issue(record.path, "/id", "record.duplicate-id", f"the id '{record.id}' is already "
                                  f"used by {display_path(locations.display_root, first)}",
                                  "give each record its own id; ids never repeat within a record type")
    yield from _references(records, ids, locations)
    yield from _signatory_order(records, locations)
    if not ids.get("appeal"):
        yield Issue("set.no-appeal", "the record set has no appeal", file=locations.display_root,
                    hint="add the appeal's record in records/appeals/; the archive is built around it")


def _references(records: Iterable[ScannedRecord], ids: dict[str, dict[str, str]],
                locations: Locations) -> Iterator[Issue]:
    for record in records:
        for reference in record.references:
            if reference.target_id in ids[reference.target_type]:
                continue
            known = ids[reference.target_type]
            close = (difflib.get_close_matches(reference.target_id, list(known), n=1)
                     if len(known) <= _SUGGEST_LIMIT else [])
            target = display_path(locations.display_root, BY_NAME[reference.target_type].path_of(reference.target_id))
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"create {target} or correct the id"
            yield locations.issue(record.path, reference.pointer, "ref.dangling", f"no {reference.target_type} "
                                  f"record has the id '{reference.target_id}'", hint)


def _signatory_order(records: list[ScannedRecord], locations: Locations) -> Iterator[Issue]:
    by_appeal: dict[str, list[ScannedRecord]] = defaultdict(list)
    unchecked: set[str | None] = set()
    for record in records:
        if record.record_type == "signatory":
            if record.valid and record.appeal is not None:
                by_appeal[record.appeal].append(record)
            else:
                # Numbering is checked once every entry of the appeal reads cleanly; until then a broken
                # entry would show up as a false gap.
                unchecked.add(record.appeal)
    for appeal in records:
        if appeal.record_type != "appeal" or not appeal.valid or appeal.id in unchecked or None in unchecked \
                or appeal.id is None or appeal.signatory_count is None:
            continue
        entries = sorted(by_appeal.get(appeal.id, []), key=lambda entry: (entry.position, entry.path))
        expected = appeal.signatory_count
        seen: dict[int, str] = {}
        for entry in entries:
            position = entry.position
            if position is None:
                continue  # a valid entry always has one
            if position in seen:
                other = display_path(locations.display_root, seen[position])
                yield locations.issue(entry.path, "/position", "signatory.duplicate-position",
                                      f"position {position} is also given to {other}",
                                      "number the entries in printed order, each position once")
            seen.setdefault(position, entry.path)
        missing = list(itertools.islice((position for position in range(1, max([expected, *seen]) + 1)
                                         if position not in seen), 11))
        # The declared count is what the appeal's own source prints; entries that joined later, quoting
        # another capture (a petition export), continue the numbering and are counted apart.
        printed = [entry for entry in entries if _source_of(entry) in (None, _source_of(appeal))]
        if missing:
            yield locations.issue(appeal.path, "/signatory_count", "signatory.missing-position", "no signatory "
                                  f"record has position {_ranges(missing)}", "add the missing entries, or "
                                  "renumber the records to follow the printed list")
        elif len(printed) != expected:
            yield locations.issue(appeal.path, "/signatory_count", "appeal.signatory-count", f"the appeal "
                                  f"declares {expected} signatories, there are {len(printed)} signatory records "
                                  "quoting its source", "count the entries printed in the source; correct "
                                  "signatory_count or the records")


def _source_of(record: ScannedRecord) -> str | None:
    return next((reference.target_id for reference in record.references if reference.pointer == "/source"), None)


def _ranges(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (" and more" if len(numbers) > limit else "")
