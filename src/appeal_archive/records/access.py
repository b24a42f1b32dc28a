"""Who is protected: which records are restricted and why, and the public records that would give them away.

A record says `access: restricted` (the default is public). Restriction spreads by what a record shows:
a signatory entry that refers to a restricted person or organization is restricted with it; a source record
whose document's text names a restricted person or organization is withheld from the public edition with its
document. A public record that quotes a restricted name (in any disguise: unmask.py), refers to a restricted
person or organization by id (ids carry names), or refers to a withheld record whose id names one, is an
error: publishing it would undo the restriction.
"""

from __future__ import annotations

from pathlib import Path

from appeal_archive.errors import Issue
from appeal_archive.files import FileRefused, read_regular
from appeal_archive.records.loader import MAX_RECORD_BYTES
from appeal_archive.records.recordset import ScannedRecord, display_path
from appeal_archive.records.text import QuoteIndex
from appeal_archive.records.types import AGENT_TYPES
from appeal_archive.records.unmask import Found, NameFinder, word_forms, words_of


def restrictions(records: list[ScannedRecord], quote_indexes: dict[str, QuoteIndex | None],
                 root: Path | None = None) -> dict[str, str]:
    """Each restricted record's path, with the reason, in words an archivist reads. A source document is read
    for names as text whatever its media type says, when its bytes are text (JSON, XML, UTF-16 text): what
    reads as a name in it would be published with it."""
    restricted = {record.path: "it says access: restricted" for record in records if record.access == "restricted"}
    if not restricted:
        return restricted
    agents = {(record.record_type, record.id): record for record in records if record.record_type in AGENT_TYPES}
    for record in records:  # an entry restricted on its own protects the person it names
        if record.record_type == "signatory" and record.path in restricted:
            for reference in record.references:
                named = agents.get((reference.target_type, reference.target_id))
                if reference.pointer == "/person/ref" and named is not None:
                    restricted.setdefault(named.path, f"the restricted signatory entry {record.id} names it")
    protected = {key: agent for key, agent in agents.items() if agent.path in restricted}
    for record in records:
        if record.record_type == "signatory" and record.path not in restricted:
            naming = next((reference for reference in record.references
                           if (reference.target_type, reference.target_id) in protected), None)
            if naming:
                restricted[record.path] = f"it refers to the restricted {naming.target_type} {naming.target_id}"
    finder = name_finder(records, restricted)
    for record in records:
        if record.record_type != "source" or record.path in restricted:
            continue
        index = quote_indexes.get(record.id or "")
        text = index.text if index is not None else _document_text(root, record)
        # One pass over the document, whatever the number of names; a message's encoded parts are read decoded.
        found = next(filter(None, map(finder.first_in, [text, *_message_parts(root, record, text)])), None) \
            if text else None
        if found:
            restricted[record.path] = f"its document's text names {found.whose}"
    return restricted


def _message_parts(root: Path | None, record: ScannedRecord, text: str) -> list[str]:
    """The decoded text of each part of a document that is an e-mail message with encoded parts
    (quoted-printable, base64): what a mail client shows of it. Python's email package reads it."""
    if "content-transfer-encoding" not in text.casefold() or root is None or record.document is None:
        return []
    import email
    from email import policy

    from appeal_archive.records.checks import MAX_TEXT_DOCUMENT_BYTES

    try:
        message = email.message_from_bytes(read_regular(root / "sources" / record.document.file,
                                                        MAX_TEXT_DOCUMENT_BYTES), policy=policy.default)
        payloads = [part.get_payload(decode=True) or b"" for part in message.walk() if not part.is_multipart()]
    except (FileRefused, ValueError, LookupError):
        return []
    return [payload.decode("utf-8", errors="replace") for payload in payloads if isinstance(payload, bytes)]


def _document_text(root: Path | None, record: ScannedRecord) -> str | None:
    """A source document's text, when its bytes are UTF-8 or UTF-16 with a byte order mark; else None (a scan,
    a PDF: what cannot be read as text is not searched)."""
    from appeal_archive.records.checks import MAX_TEXT_DOCUMENT_BYTES

    if root is None or record.document is None:
        return None
    try:
        data = read_regular(root / "sources" / record.document.file, MAX_TEXT_DOCUMENT_BYTES)
    except FileRefused:
        return None
    try:
        return data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError:
        return None


def protected_words(records: list[ScannedRecord], restricted: dict[str, str]) -> dict[str, str]:
    """What must not be published, to whom it belongs: every spelling of each restricted person and
    organization, and the words of each entry restricted on its own (it may name no one)."""
    return {name: f"{record.record_type} {record.id}" for record in records if record.path in restricted
            for name in record.names}  # only persons, organizations and restricted entries carry names


def distinctive_words(records: list[ScannedRecord], restricted: dict[str, str]) -> dict[str, str]:
    """The surnames of restricted persons, which give them away alone (in a file name, an id): the last word of
    each of their names, of four letters or more, that no public person or organization is also called by. A
    given name alone is no one's (`Tsar Alexander II`), and is not searched for."""
    shared = set().union(*(word_forms(name) for record in records
                           if record.record_type in AGENT_TYPES and record.path not in restricted
                           for name in record.names))
    return {words[-1]: f"person {record.id}" for record in records
            if record.record_type == "person" and record.path in restricted
            for name in record.names if (words := [word for word in words_of(name) if not word.isdigit()])
            and len(words) > 1 and len(words[-1]) >= 4 and not word_forms(words[-1]) & shared}


def name_finder(records: list[ScannedRecord], restricted: dict[str, str]) -> NameFinder:
    """What finds the restricted names, however disguised (unmask.py)."""
    if not restricted:
        return NameFinder({}, {})
    return NameFinder(protected_words(records, restricted), distinctive_words(records, restricted))


def withheld_documents(records: list[ScannedRecord], restricted: dict[str, str]) -> set[str]:
    """The source documents the public edition withholds: those of withheld source records."""
    return {f"sources/{record.document.file}" for record in records
            if record.record_type == "source" and record.path in restricted and record.document}


def exposure_issues(records: list[ScannedRecord], restricted: dict[str, str], root: Path, locations,
                    config: ScannedRecord | None = None) -> list[Issue]:
    """Public records (and archive.yaml) that would give a restricted person or organization away: by quoting
    one of its names, in a value or anywhere in the file's text (comments are published too), however
    disguised (unmask.py); by referring to it by id; or by referring to another withheld record whose id (which
    the public record's data carries and publishes) names it."""
    finder = name_finder(records, restricted)
    if not finder:
        return []
    withheld = {(record.record_type, record.id): record for record in records if record.path in restricted}
    issues = []
    for record in [*records, *([config] if config is not None else [])]:
        if record.path in restricted:
            continue
        for reference in record.references:
            target = withheld.get((reference.target_type, reference.target_id))
            if target is None:
                continue
            if target.record_type in AGENT_TYPES:
                issues.append(locations.issue(
                    record.path, reference.pointer, "access.refers-to-restricted", f"this public record refers to "
                    f"the restricted {reference.target_type} {reference.target_id}, and the id would be published",
                    "restrict this record too (access: restricted), or remove the reference"))
            elif found := finder.first_in(reference.target_id):
                issues.append(locations.issue(
                    record.path, reference.pointer, "access.id-names-restricted", f"this public record refers to the "
                    f"withheld {reference.target_type} {reference.target_id}, whose id names {found.name!r} of the "
                    f"restricted {found.whose}, and the id would be published",
                    f"give the withheld {reference.target_type} an id that names no one (rename its file to match) "
                    "and refer to that id, or restrict this record too"))
        try:
            raw = record.raw if record.raw is not None else read_regular(root / record.path, MAX_RECORD_BYTES)
        except FileRefused:
            continue  # validation has reported the file already
        found = name_in_record(finder, raw)
        if found:
            issues.append(Issue("access.names-restricted", f"this public record quotes {found.name!r}, a name of "
                                f"the restricted {found.whose}", file=display_path(locations.display_root, record.path),
                                line=found.line, column=found.column,
                                hint="restrict this record too (access: restricted), or leave the name out"))
    return issues


def exposure_in_file(records: list[ScannedRecord], restricted: dict[str, str], raw: bytes, file: str) -> Issue | None:
    """A file of the archive whose text may be published in part (retractions.yaml: a public edition shows the
    reason for a record an earlier public edition published) that names a restricted person or organization."""
    finder = name_finder(records, restricted)
    found = name_in_record(finder, raw) if finder else None
    if found is None:
        return None
    return Issue("access.names-restricted", f"this file quotes {found.name!r}, a name of the restricted "
                 f"{found.whose}", file=file, line=found.line, column=found.column,
                 hint="leave the name out: a reason given here may be published with the retraction")


def name_in_record(finder: NameFinder, raw: bytes) -> Found | None:
    """Where a record file's text, or a value it holds, names a protected name (comments are published too)."""
    text = raw.decode("utf-8", errors="replace")
    # Values differ from the text in words only through YAML's backslash escapes: parse only those files.
    return finder.first_in(text) or ("\\" in text and _in_values(finder, text)) or None


def _in_values(finder: NameFinder, text: str) -> Found | None:
    """A name written with YAML escapes ("\\u0041lexander") is found in the values the file holds."""
    from appeal_archive.records.loader import load

    values = list(_strings(load(text.encode("utf-8"), text_checks=False).data))
    found = finder.first_in("\n".join(values))
    return Found(1, 1, found.name, found.whose) if found else None


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
