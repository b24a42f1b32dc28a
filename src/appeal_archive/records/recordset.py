"""The record set's types: what validation learns from each file, and the validated set later stages build from.

Validation fills these in pipeline order (find files -> scan each -> source documents -> cross-record
checks); the manifest, the dossier, the PDF, the bundle and the bag read them and never re-read a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from appeal_archive.errors import Issue, fail
from appeal_archive.layout import CONFIG_FILE


def kept(data: bytes | None, path: str) -> bytes:
    """Bytes a record set holds only when it was loaded with keep_data (the stages that render them ask)."""
    if data is None:
        raise fail("internal.no-data", f"{path}: the record set was loaded without its data",
                   "load it with load_record_set(..., keep_data=True)")
    return data


def display_path(display_root: str, relative: str) -> str:
    """A path inside the records folder as the user should see it: prefixed with the folder they named."""
    if not display_root or display_root == ".":
        return relative
    return f"{display_root.rstrip('/')}/{relative}"


class Reference(NamedTuple):
    """A field of one record that names another record by id."""

    pointer: str
    target_type: str
    target_id: str


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What a source record says about its document: where it is, its SHA-256, its media type."""

    file: str
    sha256: str
    media_type: str


@dataclass(slots=True)
class ScannedRecord:
    """What the checks learned from one record file (or from archive.yaml).

    Digests are bytes and the typed facts are the few fields cross-record checks need: a set of 200,000
    records is held in memory. `raw` and `canonical` are kept only when a later stage needs the data.
    """

    path: str
    record_type: str
    id: str | None = None
    valid: bool = False
    digest_bytes: bytes | None = None
    references: tuple[Reference, ...] = ()
    issues: tuple[Issue, ...] = ()
    raw: bytes | None = None  # the file's bytes, as validated: the PDF attaches and the bag carries these
    canonical: bytes | None = None  # RFC 8785 JSON of the data
    appeal: str | None = None  # a signatory's appeal
    position: int | None = None  # a signatory's printed position
    signatory_count: int | None = None  # an appeal's declared number of signatories
    document: DocumentFacts | None = None  # a source record's document
    access: str = "public"  # or "restricted", as the record says (access.py spreads it)
    names: tuple[str, ...] = ()  # a person's or organization's every spelling; a restricted entry's words

    @property
    def digest(self) -> str | None:
        """SHA-256 (hex) of the record's RFC 8785 canonical JSON."""
        return None if self.digest_bytes is None else self.digest_bytes.hex()

    @property
    def data(self) -> Any:
        """The record's data, read back from its canonical JSON (kept only with keep_data)."""
        return None if self.canonical is None else json.loads(self.canonical)

    @property
    def known_id(self) -> str:
        """The id of a record that validated (each has one); the stages after validation read this."""
        if self.id is None:
            raise fail("internal.no-data", f"{self.path}: the record has no id: it did not validate",
                       "build only from a record set that validates")
        return self.id

    @property
    def known_digest(self) -> str:
        """The SHA-256 of a record that validated (each has one)."""
        if self.digest_bytes is None:
            raise fail("internal.no-data", f"{self.path}: the record was not hashed: it did not validate",
                       "build only from a record set that validates")
        return self.digest_bytes.hex()

    @property
    def kept_raw(self) -> bytes:
        return kept(self.raw, self.path)

    @property
    def kept_canonical(self) -> bytes:
        return kept(self.canonical, self.path)


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A captured document in records/sources/, checked against its SHA-256; `data` is kept with keep_data."""

    path: str
    sha256: str
    data: bytes | None = field(default=None, repr=False)

    @property
    def kept_data(self) -> bytes:
        return kept(self.data, self.path)


@dataclass
class Listing:
    """The files of a records folder, by role, as POSIX paths relative to the folder."""

    records: dict[str, list[str]] = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)
    config: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def leaf_files(self) -> list[str]:
        """Every record and source document: the files the salt ledger gives a salt (salts.py)."""
        return [path for paths in self.records.values() for path in paths] + self.documents

    @property
    def record_count(self) -> int:
        return sum(len(paths) for paths in self.records.values())

    def describe(self) -> str:
        """What the folder holds, in the words validate and fmt both print."""
        documents = len(self.documents)
        parts = [f"{self.record_count} record{'s' * (self.record_count != 1)}",
                 f"{documents} source document{'s' * (documents != 1)}"]
        if self.config:
            parts.append(CONFIG_FILE)
        return ", ".join(parts)


@dataclass
class RecordSet:
    """A validated records folder: its settings, records (sorted by path) and source documents."""

    root: Path
    display_root: str
    config_record: ScannedRecord
    records: list[ScannedRecord]
    documents: list[SourceDocument]
    salts: dict[str, str] = field(default_factory=dict)  # path -> salt (hex), in leaf order (salts.py)
    restricted: dict[str, str] = field(default_factory=dict)  # path -> why it is restricted (access.py)
    # In a public edition, the records it withholds, by type and id, with their leaf's place in the tree: what a
    # view refers to instead of a withheld record (never by its id, which only its published referrers carry).
    withheld_leaves: dict[tuple[str, str], int] = field(default_factory=dict)
    retractions: dict[str, str] = field(default_factory=dict)  # path -> why it was withdrawn (retractions.py)

    @property
    def config(self) -> dict[str, Any]:
        """The settings in archive.yaml, as data."""
        return self.config_record.data or {}

    @property
    def config_raw(self) -> bytes:
        """archive.yaml's bytes, as validated."""
        return self.config_record.raw or b""
