"""The salt ledger, records/salts.txt: each record's and source document's secret salt, in leaf order.

Every leaf of the root's Merkle tree commits to a salt of 128 bits from the operating system's secure
generator, so that a withheld record's leaf cannot be confirmed by guessing its content (the reasoning of
SD-JWT, RFC 9901, 4.2.1). Salts are made once, when a file is first seen, and never change: restricting a
record later changes neither its leaf nor the root. The ledger's line order is the leaves' order, and lines
are only ever appended, so a later edition that only adds records extends the earlier tree (an RFC 9162
consistency proof can show it). Each batch of new lines is appended in random order: a leaf's place says
nothing about its record's name.

The ledger is secret (it holds the salts of restricted records and their paths): it is never attached,
bagged or published. An edition carries the salts of the records it publishes in its manifest.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from appeal_archive.errors import Issue, fail
from appeal_archive.files import FileRefused, read_regular
from appeal_archive.layout import SALTS_FILE
from appeal_archive.records.recordset import display_path

SALT_BYTES = 16  # 128 bits, the least RFC 9901 allows
MAX_LEDGER_BYTES = 200_000_000  # a million files' lines
LOCK_FILE = ".salts.lock"
_LINE = re.compile(r"([0-9a-f]+) (\S(?:.*\S)?)")
HEADER = (
    "# appeal-archive salts: one line per record and source document, `<salt> <path>`, in the order of\n"
    "# their leaves in the root's Merkle tree. SECRET: never publish or commit this file where the records\n"
    "# are restricted. Written by `appeal-archive salt` (and build); lines are only ever appended.\n"
)


@dataclass
class Ledger:
    """The salts by path, in leaf order, and what is wrong with the file."""

    salts: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # path -> its line in the file


def read_ledger(root: Path, display_root: str) -> Ledger:
    """The ledger of a records folder (empty when there is none yet)."""
    ledger = Ledger()
    where = display_path(display_root, SALTS_FILE)
    ledger_file = root / SALTS_FILE
    if not os.path.lexists(ledger_file):
        return ledger
    try:
        text = read_regular(ledger_file, MAX_LEDGER_BYTES).decode("utf-8-sig")  # never a link, a FIFO or a device
    except (FileRefused, UnicodeDecodeError) as error:
        reason = error.issue.message if isinstance(error, FileRefused) else "is not UTF-8"
        ledger.issues.append(Issue("salt.unreadable", f"cannot be used: it {reason}", file=where,
                                   hint=f"restore {SALTS_FILE} from a backup as a plain file; never edit it by hand"))
        return ledger
    seen_salts: set[str] = set()
    # Lines end at "\n" only, as they are written: a path may hold what splitlines() also breaks at.
    for number, line in enumerate((line.removesuffix("\r") for line in text.split("\n")), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if not match:
            ledger.issues.append(Issue("salt.malformed", "is not `<salt in lower-case hex> <path>`", file=where,
                                       line=number, column=1, hint="restore the line from a backup, or delete it "
                                       "and run `appeal-archive salt` (the record gets a new salt and leaf)"))
            continue
        salt, path = match.groups()
        if len(salt) < 2 * SALT_BYTES or len(salt) % 2:
            ledger.issues.append(Issue("salt.weak", f"the salt of {path} is {len(salt)} hex digits: not whole bytes "
                                       f"of at least {SALT_BYTES * 8} bits", file=where, line=number, column=1,
                                       hint="delete the line and run `appeal-archive salt`, which makes a salt of "
                                       "128 bits"))
        elif salt in seen_salts:
            ledger.issues.append(Issue("salt.duplicate", f"the salt of {path} is also another file's: salts are "
                                       "secret and unique", file=where, line=number, column=1, hint="delete the line "
                                       "and run `appeal-archive salt`; never copy a salt"))
        elif path in ledger.salts:
            ledger.issues.append(Issue("salt.duplicate", f"{path} has a second line", file=where, line=number,
                                       column=len(salt) + 2, hint="delete the later line"))
        else:
            ledger.salts[path], ledger.lines[path] = salt, number
            seen_salts.add(salt)
    return ledger


def ledger_issues(ledger: Ledger, paths: list[str], display_root: str, retracted: Iterable[str] = ()) -> list[Issue]:
    """What validate says about the ledger against the files it should salt: its own problems, files not yet
    salted (build salts them), lines for files that are gone and not retracted (retractions.yaml)."""
    issues = list(ledger.issues)
    present = {*paths, *retracted}
    where = display_path(display_root, SALTS_FILE)
    issues += _each_or_summary(
        [path for path in paths if path not in ledger.salts],
        lambda path: Issue("salt.missing", "has no salt yet: `appeal-archive salt` (or a build) gives it one",
                           file=display_path(display_root, path), hint=_MISSING_HINT, severity="warning"),
        lambda paths: Issue("salt.missing", f"{len(paths)} files have no salt yet (the first: {paths[0]}); "
                            "`appeal-archive salt` (or a build) gives them one", file=where, hint=_MISSING_HINT,
                            severity="warning"))
    issues += _each_or_summary(
        [path for path in ledger.salts if path not in present],
        lambda path: Issue("salt.stale", f"names {path}, which is not in the records", file=where,
                           line=ledger.lines.get(path), column=1, hint=_STALE_HINT, severity="warning"),
        lambda paths: Issue("salt.stale", f"{len(paths)} lines name files that are not in the records (the first: "
                            f"{paths[0]})", file=where, line=ledger.lines.get(paths[0]), column=1, hint=_STALE_HINT,
                            severity="warning"))
    return issues


_MISSING_HINT = "run `appeal-archive salt` before you commit, so that every copy of the records has the same salt"
_STALE_HINT = ("if an edition published it, list it in retractions.yaml with the reason it was withdrawn (an edition "
               "that extends that one keeps its leaf, retracted); if none did, delete its line")


def _each_or_summary(paths: list[str], each, summary, most: int = 3) -> list[Issue]:
    """One issue a path for a few; one that counts them for more (a new set of 100,000 is not 100,000 lines)."""
    return [summary(paths)] if len(paths) > most else [each(path) for path in paths]


def tracked_issue(root: Path, display_root: str) -> Issue | None:
    """A warning when git tracks the ledger: where any record is restricted, its history must stay private."""
    import subprocess

    if not (root / SALTS_FILE).is_file():
        return None
    try:
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", SALTS_FILE], cwd=root, capture_output=True,
                                 timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return None
    return Issue("salt.tracked", "is tracked by git while records are restricted: whoever can read the repository "
                 "can confirm a guess about a restricted record", file=display_path(display_root, SALTS_FILE),
                 hint="keep the records and salts.txt in a private repository; salts already published cannot be "
                 "taken back, so restrict a record before its salt is ever pushed", severity="warning") \
        if tracked else None


def salt_new(root: Path, paths: list[str], ledger: Ledger) -> list[str]:
    """Give every path without a salt a new one, appended to the ledger in random order; the paths salted.
    Two runs at once would each salt the same new file: the ledger is locked, and read again under the lock."""
    if all(path in ledger.salts for path in paths):
        return []
    with _locked(root):
        again = read_ledger(root, str(root))
        if again.issues:
            raise fail("salt.unreadable", f"{root / SALTS_FILE} changed while it was read: "
                       f"{again.issues[0].message}", "run again")
        ledger.salts, ledger.lines = again.salts, again.lines
        new = [path for path in paths if path not in ledger.salts]
        if new:
            _append_salts(root, ledger, new)
    return new


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    try:
        descriptor = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise fail("salt.unwritable", f"cannot lock {root / SALTS_FILE}: {error.strerror}",
                   "check that the records folder is writable") from error
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _append_salts(root: Path, ledger: Ledger, new: list[str]) -> None:
    secrets.SystemRandom().shuffle(new)
    taken = set(ledger.salts.values())
    for path in new:
        salt = secrets.token_hex(SALT_BYTES)
        while salt in taken:  # pragma: no cover - 2^-128
            salt = secrets.token_hex(SALT_BYTES)
        ledger.salts[path] = salt
        taken.add(salt)
    _append(root / SALTS_FILE, "".join(f"{ledger.salts[path]} {path}\n" for path in new))


def _append(path: Path, lines: str) -> None:
    """Append whole lines or nothing: the new file is written beside the old and renamed over it."""
    from appeal_archive.files import write_atomically

    if path.is_symlink():
        raise fail("salt.unwritable", f"{path} is a symbolic link", "make it a plain file; links can point anywhere")
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = HEADER.encode()
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    write_atomically(path, existing + lines.encode())


@dataclass
class SaltReport:
    """What `appeal-archive salt` did."""

    records_dir: str
    added: int
    total: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if any(issue.is_error for issue in self.issues) else 0

    def to_dict(self) -> dict:
        return {"ok": self.exit_code == 0, "records_dir": self.records_dir, "added": self.added, "total": self.total,
                "ledger": display_path(self.records_dir, SALTS_FILE),
                "issues": [issue.to_dict() for issue in self.issues]}


def salt_records(records_dir) -> SaltReport:
    """Salt every record and source document of a folder that has no salt yet."""
    from appeal_archive.records.scan import discover

    display_root = str(records_dir)
    root = Path(records_dir)
    if not root.is_dir():
        raise fail("records.not-found", f"{display_root} is not a folder", "give the records folder",
                   file=display_root)
    ledger = read_ledger(root, display_root)
    if ledger.issues:
        return SaltReport(display_root, 0, len(ledger.salts), ledger.issues)
    added = salt_new(root, discover(root, display_root).leaf_files, ledger)
    return SaltReport(display_root, len(added), len(ledger.salts))
