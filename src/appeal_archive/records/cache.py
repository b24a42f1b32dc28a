"""The validation cache: what scanning each record file found (scan.py), kept between runs, so that a run after
an edit reads and judges again only the files that changed.

Never wrong, by construction:
- A file's identity is its content (SHA-256 of its bytes). Its status (device, inode, size, modification and
  change times, one name) only lets a run skip re-reading a file, and only when the file was last changed
  well before it was last read (two seconds: a file system's clock may be that coarse).
- An entry holds only what one file tells (scan_file's result): every check that needs two files (references,
  restriction spreading, positions, salts, exposure) runs again on every run, from the entries.
- Everything scan_file depends on besides the file is the context: the tool (the bytes of its own code and
  schema, the versions of the libraries that parse and check, Python's Unicode tables) and every source
  document's text as quotes are checked against it. Another context empties the cache.
- A cache that cannot be read, from another records folder (path, device and inode), or whose entries do not
  decode, is set aside and rebuilt; an entry is never trusted half.
- Two runs at once: SQLite's transactions keep the file whole; a run that cannot write in time leaves it as
  it was.

It holds what the records say (restricted persons' names among it), so it is as secret as the records: it
lives in the user's cache folder ($APPEAL_ARCHIVE_CACHE_DIR, or $XDG_CACHE_HOME/appeal-archive, or
~/.cache/appeal-archive), mode 0700, its files 0600; never in the records folder (which is copied and shared,
and from which a cache made by someone else could come) and never in a build. validate warns when others can
read it, and runs without it when it is inside the records folder or others could write verdicts into it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import stat
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple

from appeal_archive.errors import Issue
from appeal_archive.records.recordset import DocumentFacts, Reference, ScannedRecord, display_path

CACHE_ENV = "APPEAL_ARCHIVE_CACHE_DIR"
FORMAT = 1
RACY_NS = 2_000_000_000  # a file changed this close before it was read is read again next time
_LIBRARIES = ("PyYAML", "jsonschema-rs", "regex", "rfc8785")
_PRIVATE_FOLDER, _PRIVATE_FILE = 0o700, 0o600
_BUSY_SECONDS = 10
_status_of = os.lstat  # a file system's clock is as coarse as it is (a test makes one coarser)


def cache_folder(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV]).absolute()
    base = env.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG specification: a relative path is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "appeal-archive"


def tool_key() -> str:
    """What the scan's verdicts depend on in the tool: its code and schema, byte for byte (a changed check is
    another tool, committed or not), the libraries that parse and check, and Python's Unicode tables."""
    from appeal_archive.records.schema import schema_dir

    digest = hashlib.sha256(f"format {FORMAT}\n{sys.version}\nunicode {unicodedata.unidata_version}\n".encode())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library} {version(library)}\n".encode())
        except PackageNotFoundError:
            digest.update(f"{library} absent\n".encode())
    package = Path(__file__).resolve().parents[1]
    for folder, pattern in ((package, "*.py"), (schema_dir(), "*.json")):
        for path in sorted(folder.rglob(pattern)):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def context_key(tool: str, source_texts: dict[str, str | None]) -> str:
    """The tool and what every record's quotes are checked against: each source's id and the SHA-256 of its
    text as normalised for quotes (None: a source that is not text)."""
    digest = hashlib.sha256(tool.encode())
    for source_id, text_digest in sorted(source_texts.items()):
        digest.update(f"\n{source_id}\0{text_digest}".encode())
    return digest.hexdigest()


class Fingerprint(NamedTuple):
    """A file's status as read, and when it was read: what lets a later run skip reading it again."""

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int
    read_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> Fingerprint | None:
        """The status of a path before it is read (None: not a regular file with one name, read every time)."""
        read_ns = time.time_ns()
        try:
            status = _status_of(path)
        except OSError:
            return None
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
            return None
        return cls._make((status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns,
                          read_ns))

    def of_the_file_read(self, status: os.stat_result) -> Fingerprint | None:
        """The status of the file actually read (fstat of its descriptor), when it is the file the path named
        just before (same device and inode); None when the path was pointed elsewhere in between (a folder
        swapped): the next run then reads the file again rather than pair one file's status with another's
        verdict."""
        if (status.st_dev, status.st_ino) != (self.device, self.inode) or status.st_nlink != 1:
            return None
        return Fingerprint(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns,
                           self.read_ns)


def still(stored: tuple[int, ...], now: Fingerprint) -> bool:
    """Whether a file now has the status it had when read (a Fingerprint's fields), and was not changed too
    close to that reading for its times to tell."""
    return stored[:5] == now[:5] and max(stored[3], stored[4]) < stored[5] - RACY_NS


@dataclass(slots=True)
class Entry:
    record_type: str
    content: bytes  # SHA-256 of the file's bytes
    fingerprint: tuple[int, ...] | None  # a Fingerprint's fields (a plain tuple when read from the file)
    result: str  # the ScannedRecord, as JSON (encode/decode below)

    def unchanged_at(self, path: str) -> bool:
        """Whether the file at `path` shows, by its status alone, that it is unchanged since it was read (its
        status is taken only when the entry has one to compare with)."""
        if self.fingerprint is None:
            return False
        now = Fingerprint.of(path)
        return now is not None and still(self.fingerprint, now)


class ScanCache:
    """The cache of one records folder, opened for one run; `save` writes what the run learned."""

    def __init__(self, database: Path, connection: sqlite3.Connection | None, entries: dict[str, Entry],
                 warnings: list[Issue], identity: str = ""):
        self.database = database
        self._identity = identity
        self._connection = connection
        self._entries = entries
        self._changed: dict[str, Entry] = {}
        self.warnings = warnings
        self.hits = 0
        self._references: dict[tuple[str, ...], Reference] = {}  # one object for each (the same few repeat)

    # --- opening --------------------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, context: str, folder: Path | None = None) -> ScanCache:
        """The cache of `root` in `folder` (by default cache_folder()), emptied when it was made in another
        context or for another folder. A cache that cannot be used (inside the records folder, writable by
        others, not a database file that can be made) is none: the run goes on without it, and says why."""
        folder = (folder or cache_folder()).absolute()
        real = os.path.realpath(root)
        status = os.stat(real)
        named = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        database = folder / f"validate-{named}.sqlite3"
        identity = json.dumps([real, status.st_dev, status.st_ino, context])
        if _within(folder, status):
            return cls.unusable(database, f"its folder {folder} is inside the records folder, which is copied and "
                                "shared", f"set {CACHE_ENV} to a folder outside the records, or leave it unset")
        try:
            _private_folder(folder)
            refusal = _refusal(folder) or _file_refusal(database)
            if refusal:
                return cls.unusable(database, *refusal)
            connection = _connect(database)
        except (OSError, sqlite3.Error) as error:
            return cls.unusable(database, f"it cannot be opened ({getattr(error, 'strerror', None) or error})",
                                f"remove {database} or give {CACHE_ENV} another folder")
        try:
            warnings = list(_exposure(folder, database))
            entries = _read(connection, identity)
        except (OSError, sqlite3.Error, ValueError, TypeError, KeyError, IndexError) as error:
            connection.close()
            if isinstance(error, sqlite3.OperationalError) and _busy(error):  # left as it is, for that run
                return cls.unusable(database, "another run has held it for more than ten seconds",
                                    "run again when the other run has finished, or give this one --no-cache")
            entries, warnings = {}, []
            try:
                database.unlink(missing_ok=True)  # unreadable: set aside, made anew
                connection = _connect(database)
                _reset(connection, identity)
            except (OSError, sqlite3.Error) as error:
                return cls.unusable(database, f"it cannot be made anew ({getattr(error, 'strerror', None) or error})",
                                    f"remove {database} or give {CACHE_ENV} another folder")
        return cls(database, connection, entries, warnings, identity)

    @classmethod
    def unusable(cls, database: Path, why: str, hint: str) -> ScanCache:
        """No cache for this run, with the warning that says why."""
        return cls(database, None, {}, [Issue("cache.unusable", f"the validation cache is not used: {why}",
                                              file=str(database), hint=hint, severity="warning")])

    # --- during the run -------------------------------------------------------------------------------

    def entry(self, relative: str, record_type: str) -> Entry | None:
        """What the cache holds for a file, when it holds it as a record of this type."""
        entry = self._entries.get(relative)
        return entry if entry is not None and entry.record_type == record_type else None

    def recall(self, relative: str, display_root: str, fingerprint: Fingerprint | None = None) -> ScannedRecord | None:
        """The cached scan of a file, for the folder as the user named it; None when it does not decode
        (then the file is scanned again). With a fingerprint, the file was read again and found the same."""
        entry = self._entries[relative]
        try:
            scanned = decode(json.loads(entry.result), relative, entry.record_type,
                             display_path(display_root, relative), self._references)
        except (ValueError, TypeError, KeyError, IndexError):
            return None
        if fingerprint is not None and fingerprint != entry.fingerprint:
            self._changed[relative] = Entry(entry.record_type, entry.content, fingerprint, entry.result)
        self.hits += 1
        return scanned

    def remember(self, relative: str, record_type: str, content: bytes, fingerprint: Fingerprint | None,
                 encoded: str) -> None:
        """A file's scan (`encode`d: workers do that) for the next run."""
        self._changed[relative] = Entry(record_type, content, fingerprint, encoded)

    def save(self, present: Iterable[str]) -> None:
        """Write what changed and forget the files that are gone, in one transaction, if the cache is still the
        one this run read (another run may have emptied it for another context meanwhile); when another run
        holds the file longer than a few seconds, write nothing (the next run learns it again)."""
        connection = self._connection
        if connection is None:
            return
        gone = set(self._entries) - set(present)
        try:
            if gone or self._changed:
                connection.execute("BEGIN IMMEDIATE")
                if list(connection.execute("SELECT identity FROM about")) == [(self._identity,)]:
                    connection.executemany("DELETE FROM entries WHERE path = ?", ((path,) for path in gone))
                    connection.executemany(
                        "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        ((path, entry.record_type, entry.content,
                          *(entry.fingerprint or (None,) * 6), entry.result,
                          _checksum(path, entry.record_type, entry.content, entry.result))
                         for path, entry in self._changed.items()))
                connection.commit()
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                connection.rollback()
        finally:
            connection.close()


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=_PRIVATE_FOLDER, parents=True, exist_ok=True)


def _refusal(folder: Path) -> tuple[str, str] | None:
    """Why a cache folder cannot be trusted: another user owns it, or others may write in it (and so write
    verdicts the next run would believe)."""
    return _not_private(f"its folder {folder}", os.stat(folder), f"give {CACHE_ENV} a folder of your own",
                        f"chmod 700 {folder}")


def _file_refusal(database: Path) -> tuple[str, str] | None:
    """Why the database (or a journal beside it) cannot be trusted: another user owns it, or others may write
    it."""
    for path in (database, *(Path(f"{database}{suffix}") for suffix in ("-journal", "-wal", "-shm"))):
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            continue
        refusal = _not_private(str(path), status, f"remove {path}", f"chmod 600 {path}")
        if refusal:
            return refusal
    return None


def _not_private(what: str, status: os.stat_result, if_foreign: str, if_writable: str) -> tuple[str, str] | None:
    if status.st_uid != os.getuid():
        return (f"{what} belongs to another user", if_foreign)
    if status.st_mode & 0o022:
        return (f"others may write {what} (mode {stat.S_IMODE(status.st_mode):04o})", if_writable)
    return None


def _exposure(folder: Path, database: Path) -> Iterator[Issue]:
    for path in (folder, database):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            yield Issue("cache.readable-by-others", f"the validation cache {path} can be read by others "
                        f"(mode {mode:04o}): it holds what the records say, restricted ones too",
                        file=str(path), severity="warning",
                        hint=f"chmod {'700' if path == folder else '600'} {path}")


def _within(folder: Path, records: os.stat_result) -> bool:
    """Whether the cache folder is the records folder or inside it, by device and inode (a bind mount or a
    case-insensitive file system names the same folder by another path)."""
    for place in (Path(os.path.realpath(folder)), *Path(os.path.realpath(folder)).parents):
        try:
            status = os.stat(place)
        except OSError:
            continue  # not made yet
        if (status.st_dev, status.st_ino) == (records.st_dev, records.st_ino):
            return True
    return False


def _busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _connect(database: Path) -> sqlite3.Connection:
    descriptor = os.open(database, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, _PRIVATE_FILE)
    os.close(descriptor)
    return sqlite3.connect(database, timeout=_BUSY_SECONDS)  # each `with connection:` one transaction


def _reset(connection: sqlite3.Connection, identity: str) -> None:
    with connection:
        connection.execute("DROP TABLE IF EXISTS entries")
        connection.execute("DROP TABLE IF EXISTS about")
        connection.execute("CREATE TABLE about (identity TEXT NOT NULL)")
        connection.execute("CREATE TABLE entries (path TEXT PRIMARY KEY, record_type TEXT NOT NULL, "
                           "content BLOB NOT NULL, device INTEGER, inode INTEGER, size INTEGER, modified_ns INTEGER, "
                           "changed_ns INTEGER, read_ns INTEGER, result TEXT NOT NULL, checksum BLOB NOT NULL)")
        connection.execute("INSERT INTO about VALUES (?)", (identity,))


def _read(connection: sqlite3.Connection, identity: str) -> dict[str, Entry]:
    """The entries, when the cache was made for this folder in this context; otherwise it is emptied. One read
    transaction: another run cannot empty it and fill it for another context between the two reads."""
    connection.execute("BEGIN")
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        stored = (list(connection.execute("SELECT identity FROM about")) if tables == {"about", "entries"} else [])
        entries = {}
        if stored == [(identity,)]:
            for path, record_type, content, *status, result, checksum in connection.execute("SELECT * FROM entries"):
                if checksum != _checksum(path, record_type, content, result):
                    raise ValueError("an entry that is not as it was written")
                entries[path] = Entry(record_type, content, None if status[0] is None else tuple(status),
                                      result)
    finally:
        connection.rollback()  # it only read
    if stored != [(identity,)]:
        _reset(connection, identity)
    return entries


def _checksum(path: str, record_type: str, content: bytes, result: str) -> bytes:
    """What proves an entry whole: a damaged file is set aside, never read as a verdict."""
    return hashlib.sha256(b"\0".join((path.encode("utf-8", "surrogateescape"), record_type.encode(), content,
                                      result.encode("utf-8", "surrogateescape")))).digest()


# --- a scan as data ---------------------------------------------------------------------------------------
# JSON, never pickle: reading a cache must never run what it holds.

_HERE = True  # an issue's file is the scanned file itself, however the folder is named in a later run (a
# file is a string or null, never a boolean)


def encode(scanned: ScannedRecord, file: str) -> str:
    document = scanned.document
    return json.dumps([
        scanned.id, scanned.valid, None if scanned.digest_bytes is None else scanned.digest_bytes.hex(),
        [list(reference) for reference in scanned.references],
        [[issue.code, issue.message, _HERE if issue.file == file else issue.file, issue.line, issue.column,
          issue.pointer, issue.hint, issue.severity] for issue in scanned.issues],
        scanned.appeal, scanned.position, scanned.signatory_count,
        None if document is None else [document.file, document.sha256, document.media_type],
        scanned.access, list(scanned.names)], ensure_ascii=False, separators=(",", ":"))


def decode(values: list, relative: str, record_type: str, file: str,
           references_made: dict[tuple[str, ...], Reference] | None = None) -> ScannedRecord:
    """The scan `encode` wrote, parsed (its entry's checksum proved it whole)."""
    (record_id, valid, digest, references, issues, appeal, position, signatory_count, document, access,
     names) = values
    scanned = ScannedRecord(relative, record_type, record_id, valid,
                            None if digest is None else bytes.fromhex(digest), appeal=appeal, position=position,
                            signatory_count=signatory_count, access=access, names=tuple(names))
    if references:
        made = {} if references_made is None else references_made
        scanned.references = tuple(made.get(key) or made.setdefault(key, Reference._make(key))
                                   for key in map(tuple, references))
    if issues:
        scanned.issues = tuple(Issue(code, message, file if where is _HERE else where, line, column, pointer,
                                     hint, severity)
                               for code, message, where, line, column, pointer, hint, severity in issues)
    if document is not None:
        scanned.document = DocumentFacts(*document)
    return scanned
