"""Records: a records/ folder -> the files in it, and each file -> a checked, summarised record.

`discover` lists what is in the folder and refuses what must not be there (symlinks, unknown folders).
`scan_file` runs every check that needs only the one file (YAML, schema, text, id, quotes) and returns a
small picklable ScannedRecord, so files can be checked in parallel and cross-record checks need no
re-reading. archive.yaml is scanned by the same code, under its own schema.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appeal_archive.canonical import canonical_json
from appeal_archive.errors import Issue, Severity
from appeal_archive.files import FileRefused, read_regular_and_status
from appeal_archive.layout import CONFIG_FILE, MAX_DOCUMENT_BYTES, RETRACTIONS_FILE, SALTS_FILE
from appeal_archive.records import loader, schema
from appeal_archive.records.keymaterial import (
    key_material,
    key_material_in_file,
    key_material_issue,
)
from appeal_archive.records.recordset import (
    DocumentFacts,
    Listing,
    Reference,
    ScannedRecord,
    display_path,
)
from appeal_archive.records.schema import CONFIG_TYPE
from appeal_archive.records.text import INVISIBLE, QuoteIndex, describe_char
from appeal_archive.records.types import BY_FOLDER, RECORD_TYPES


def discover(root: Path, display_root: str) -> Listing:
    """Walk the records folder without following symlinks; sort every list for stable output."""
    listing = Listing(records={record_type.name: [] for record_type in RECORD_TYPES})

    def refuse(relative: str, code: str, message: str, hint: str, severity: Severity = "error") -> None:
        listing.issues.append(Issue(code, message, file=display_path(display_root, relative), hint=hint,
                                    severity=severity))

    for relative, mode, target in _walk(root):
        name = relative.rsplit("/", 1)[-1]
        top = relative.split("/", 1)[0]
        unfit = _unfit_name(relative) if not name.startswith(".") else None
        if unfit:  # shown escaped: a line break in a name would break the report's lines too
            refuse(relative.encode("unicode_escape", "backslashreplace").decode("ascii"), "path.bad-name",
                   f"has a name the salt ledger cannot hold ({unfit})", "rename it with letters, digits, '-', '_' "
                   "and '.'; nothing is salted or published under this name")
            continue
        if name.startswith("."):
            if name.endswith((".yaml", ".yml")):
                refuse(relative, "file.hidden", "is a hidden record file; tools and people overlook it",
                       f"rename it to {name.lstrip('.')} or delete it")
            continue  # .gitkeep, editor and system files
        if stat.S_ISLNK(mode):
            refuse(relative, "path.symlink", f"is a symbolic link (to {target}); records must be real files",
                   "copy the file into records/ instead of linking it; links can point outside the archive")
        elif not stat.S_ISREG(mode):
            refuse(relative, "path.not-a-file", "is not a regular file", "remove it from records/")
        elif relative == CONFIG_FILE:
            listing.config = relative
        elif relative in (SALTS_FILE, RETRACTIONS_FILE):
            continue  # the salt ledger (salts.py) and the retractions (retractions.py), read on their own
        elif name.endswith(".yml"):
            refuse(relative, "file.extension", "has the extension .yml", f"rename it to {name[:-4]}.yaml")
        elif (what := _key_material_at(root, relative)) is not None:
            listing.issues.append(key_material_issue(what).in_file(display_path(display_root, relative)))
        elif top not in BY_FOLDER or "/" not in relative:
            refuse(relative, "file.unexpected-place", f"is not inside one of the record folders "
                   f"({', '.join(sorted(BY_FOLDER))})", "move it into the folder of its record type",
                   "error" if name.endswith(".yaml") else "warning")
        elif name.endswith(".yaml") and relative.count("/") > 1:
            refuse(relative, "file.unexpected-place", "is in a subfolder; records sit directly in the folder of "
                   "their type", f"move it to {display_path(display_root, top + '/' + name)}")
        elif name.endswith(".yaml"):
            listing.records[BY_FOLDER[top].name].append(relative)
        elif top == "sources":
            listing.documents.append(relative)
        else:
            refuse(relative, "file.unexpected", "is not a .yaml record", "remove it, or move a source document "
                   "into records/sources/", "warning")
    for paths in listing.records.values():
        paths.sort()
    listing.documents.sort()
    return listing


def _key_material_at(root: Path, relative: str) -> str | None:
    """What a file that is neither a record nor a source document is, when it is key material: never published,
    but never to be kept among the records either. Records and documents are checked as they are read."""
    if relative.endswith(".yaml") or (relative.startswith("sources/") and relative.count("/") == 1):
        return None
    try:
        return key_material_in_file(root / relative, MAX_DOCUMENT_BYTES)
    except FileRefused:
        return None  # larger than anything kept among records, or unreadable: reported for what it is


_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")  # what nearly every path is: fit


def _unfit_name(relative: str) -> str | None:
    """Why a path cannot be a line of the salt ledger (`<salt> <path>`, one a line, UTF-8), or None."""
    if _PLAIN_NAME.fullmatch(relative):
        return None
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not UTF-8"
    if relative != relative.strip() or any(part != part.strip() for part in relative.split("/")):
        return "it starts or ends with a space"
    strange = next((character for character in relative
                    if unicodedata.category(character) in ("Cc", "Zl", "Zp")), None)
    return f"it holds the control or line-separating character U+{ord(strange):04X}" if strange else None


def _walk(root: Path) -> Iterator[tuple[str, int, str]]:
    """(relative POSIX path, lstat mode, link target) for every entry below root, outside hidden folders."""
    pending = [("", os.fspath(root))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as entries:
            for entry in sorted(entries, key=lambda entry: entry.name):
                relative = f"{prefix}{entry.name}"
                if entry.name.startswith(".") and entry.is_dir(follow_symlinks=False):
                    continue
                # The directory listing already knows each entry's kind; stat only the unusual ones.
                if entry.is_symlink():
                    yield relative, stat.S_IFLNK, os.readlink(entry.path)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append((relative + "/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield relative, stat.S_IFREG, ""
                else:
                    yield relative, entry.stat(follow_symlinks=False).st_mode, ""


def read_bytes(path: str | os.PathLike, limit: int = loader.MAX_RECORD_BYTES) -> bytes | Issue:
    """A record file's bytes, or the Issue that says why it is not read (see files.py): it must be the archive's own
    (no other name shares it) and no key material."""
    return read_bytes_and_status(path, limit)[0]


def read_bytes_and_status(path: str | os.PathLike, limit: int = loader.MAX_RECORD_BYTES
                          ) -> tuple[bytes | Issue, os.stat_result | None]:
    """read_bytes, and the status of the file read (None when it was not read)."""
    try:
        raw, status = read_regular_and_status(path, limit, own=True)
    except FileRefused as refused:
        return refused.issue, None
    what = key_material(raw)
    return (raw, status) if what is None else (key_material_issue(what), None)


@dataclass
class ScanContext:
    """What per-file checks need from the rest of the set: the source documents, indexed for quotes."""

    root: Path
    display_root: str
    quote_indexes: dict[str, QuoteIndex | None] = field(default_factory=dict)
    keep_data: bool = False
    digests: bool = True


def scan_file(context: ScanContext, relative: str, record_type: str) -> ScannedRecord:
    """Every check on one record file that needs no other record except the sources' texts."""
    return scan_bytes(context, relative, record_type, read_bytes(os.path.join(context.root, relative)))


def scan_bytes(context: ScanContext, relative: str, record_type: str, raw: bytes | Issue) -> ScannedRecord:
    """scan_file, for a file already read (or the issue that says why it is not)."""
    scanned = ScannedRecord(path=relative, record_type=record_type)
    file = display_path(context.display_root, relative)
    if isinstance(raw, Issue):
        scanned.issues = (raw.in_file(file),)
        return scanned
    loaded = loader.load(raw)
    issues = list(loaded.issues)
    data = loaded.data
    if loaded.text is not None and not any(issue.code == "text.invisible-char" for issue in issues):
        issues.extend(_hidden_in_comments(loaded.text))
    if loaded.text is not None and "\\" in loaded.text and data is not None:  # escapes can spell a key out
        what = key_material("\n".join(_strings(data)).encode("utf-8", "surrogatepass"))
        if what:
            issues.append(key_material_issue(what))
    if loaded.text is not None and data is not None and not isinstance(data, dict):
        issues.append(Issue("record.not-a-mapping", f"the file holds {_kind_of(data)}, "
                            "not a mapping of fields", line=1, column=1,
                            hint="write the record as 'field: value' lines, starting with 'id:'"))
    elif isinstance(data, dict):
        issues.extend(schema.iter_issues(record_type, data))
        if record_type != CONFIG_TYPE:
            issues.extend(_identity(scanned, data, relative))
        if not any(issue.is_error for issue in issues):
            issues.extend(_summarise(scanned, data, context))
        elif isinstance(data.get("appeal"), str):
            scanned.appeal = data["appeal"]
    if issues:
        locator = loader.Locator(loaded.text)
        scanned.issues = tuple(locator.place(issue, file) for issue in issues)
    if scanned.valid and (context.keep_data or record_type in (CONFIG_TYPE, "source")):
        scanned.raw = raw
    else:
        scanned.canonical = None
    return scanned


def _hidden_in_comments(text: str) -> Iterator[Issue]:
    """An invisible or reordering character anywhere in the file's text, where no value holds it: in a comment,
    which is published with the file (a right-to-left override shows a name written backwards as the name)."""
    hidden = INVISIBLE.search(text) if not text.isascii() else None
    if hidden:
        before = text[:hidden.start()]
        yield Issue("text.invisible-char", f"the file's text holds the invisible character "
                    f"{describe_char(hidden.group())} outside any value (in a comment): comments are published too",
                    line=before.count("\n") + 1, column=hidden.start() - before.rfind("\n"),
                    hint="delete the character from the comment")


def _strings(data: Any) -> Iterator[str]:
    """Every string a record holds, its keys' too."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _kind_of(data: Any) -> str:
    return "a list" if isinstance(data, list) else "a single value"


def _identity(scanned: ScannedRecord, data: dict, relative: str) -> Iterator[Issue]:
    scanned.id = data.get("id") if isinstance(data.get("id"), str) else None
    stem = relative.rsplit("/", 1)[-1].removesuffix(".yaml")
    if scanned.id is not None and scanned.id != stem:
        yield Issue("record.id-mismatch", f"the id '{scanned.id}' differs from the file name '{stem}.yaml'",
                    pointer="/id", hint=f"rename the file to {scanned.id}.yaml, or correct the id")


def iter_marked(data: Any, path: tuple[str, ...], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(pointer, value) for every value at `path` in data, where '*' stands for each list item."""
    if not path:
        yield prefix, data
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from iter_marked(item, rest, f"{prefix}/{index}")
    elif isinstance(data, dict) and head in data:
        yield from iter_marked(data[head], rest, f"{prefix}/{head}")


def quote_sources(data: dict) -> list[str]:
    """The sources a record's quotes must occur in; a source record quotes its own document."""
    if data.get("type") == "source":
        return [data["id"]]
    return [data["source"]] if "source" in data else list(data.get("sources", []))


def quotes_of(record_type: str, data: dict) -> list[tuple[str, str]]:
    """(pointer, text) of every field of a record that quotes its source."""
    return [(pointer, value) for path, kind, _ in schema.marker_paths(record_type) if kind == "quote"
            for pointer, value in iter_marked(data, path)]


def source_quote_issues(context: ScanContext, source: ScannedRecord) -> Iterator[Issue]:
    """A source record's own quotes (its omitted page furniture), checked once its document is indexed:
    sources are scanned before any document is."""
    data = source.data
    yield from _quote_issues(quotes_of("source", data), quote_sources(data), context)


def _summarise(scanned: ScannedRecord, data: dict, context: ScanContext) -> list[Issue]:
    """Digest, references and facts of a schema-valid record; returns the issues its quotes raise."""
    scanned.valid = True
    if context.digests or context.keep_data or scanned.record_type in (CONFIG_TYPE, "source"):
        canonical = canonical_json(data)
        scanned.canonical = canonical
        if scanned.record_type != CONFIG_TYPE:  # settings are not evidence: no digest, no leaf
            scanned.digest_bytes = hashlib.sha256(canonical).digest()
    scanned.access = data.get("access", "public")
    if scanned.record_type in ("person", "organization"):  # any of them may come to be protected (access.py)
        scanned.names = (*data["names"], *(added["text"] for added in data.get("archivist_names", ())))
    elif scanned.access == "restricted" and scanned.record_type == "signatory":
        scanned.names = (data["as_printed"],)
    if scanned.record_type == "signatory":
        scanned.appeal, scanned.position = data["appeal"], data["position"]
    elif scanned.record_type == "appeal":
        scanned.signatory_count = data["signatory_count"]
    elif scanned.record_type == "source":
        scanned.document = DocumentFacts(data["file"], data["sha256"], data["media_type"])
    references, quotes = [], []
    for path, kind, target_type in schema.marker_paths(scanned.record_type):
        for pointer, value in iter_marked(data, path):
            if kind == "ref" and target_type is not None:
                # Interned: the same few pointers repeat in every record of a type.
                references.append(Reference(sys.intern(pointer), target_type, value))
            else:
                quotes.append((pointer, value))
    scanned.references = tuple(references)
    return list(_quote_issues(quotes, quote_sources(data), context))


def _quote_issues(quotes: list[tuple[str, str]], source_ids: list[str], context: ScanContext) -> Iterator[Issue]:
    found = [context.quote_indexes[source_id] for source_id in source_ids if source_id in context.quote_indexes]
    if not found:
        return  # the references check reports the missing sources
    indexes = [index for index in found if index is not None]
    if len(indexes) < len(found):
        yield Issue("quote.unverifiable", "the quotes cannot be checked: the source is not a text document",
                    pointer="/" + ("source" if len(source_ids) == 1 else "sources"), severity="warning",
                    hint="add a text transcription of the source as a source record, and cite it")
        return
    verified: list[str] = []
    # Longest first: a shorter quote inside an already verified one (a name inside its entry) is verified
    # by that, which keeps 100,000 entries against a large petition export cheap.
    for pointer, text in sorted(quotes, key=lambda quote: -len(quote[1])):
        if any(text in longer for longer in verified) or any(text in index for index in indexes):
            verified.append(text)
            continue
        closest = max((index.departure(text) for index in indexes), key=lambda departure: departure.matched)
        yield Issue("quote.not-in-source", f"the quoted text does not occur in the source "
                    f"{', '.join(source_ids)}: {closest.describe()}", pointer=pointer,
                    hint="copy the text exactly as printed in the source (only whitespace may differ); put "
                    "corrections or readings in an archivist note")
