"""Opening files that may be hostile (regular files only, checked before reading, read within a limit), and
writing a file whole or not at all, never inside a records folder.

A FIFO would block a reader forever, a device never ends, a symlink can point anywhere, and a file can
be larger than memory. Every file validate and verify read comes through here: it is opened without
following a symlink and without blocking, must be a regular file, and is refused before reading when
it is larger than the limit its caller sets.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appeal_archive.errors import EXIT_USAGE, AppealArchiveError, Issue, fail

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class FileRefused(Exception):
    """A file that is not read: it is missing, not a regular file, or too large. Carries the Issue."""

    def __init__(self, issue: Issue):
        super().__init__(issue.message)
        self.issue = issue


def too_large(size: int, limit: int) -> Issue:
    return Issue("file.too-large", f"the file has {size:,} bytes or more; it may have at most {limit:,}",
                 line=1, column=1, hint="split it into several files, or keep long text in a source document")


@contextmanager
def opened(path: str | os.PathLike, limit: int, own: bool = False) -> Iterator[tuple[int, os.stat_result]]:
    """A descriptor of a regular file of at most `limit` bytes, and its status; FileRefused otherwise. `own`: the
    file must also be the archive's own, with no other name (a hard link) that shares its bytes."""
    try:
        descriptor = os.open(path, _FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:  # O_NOFOLLOW met a symbolic link
            raise FileRefused(Issue("path.symlink", "is a symbolic link; it is not followed",
                                    hint="replace the link by the file itself")) from error
        raise FileRefused(Issue("file.unreadable", f"cannot be read: {error.strerror}",
                                hint="check the path and the file's permissions")) from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise FileRefused(Issue("path.not-a-file", f"is not a regular file ({_kind(status.st_mode)})",
                                    hint="give a regular file; FIFOs, devices and sockets are never read"))
        if status.st_size > limit:
            raise FileRefused(too_large(status.st_size, limit))
        if own and status.st_nlink > 1:
            raise FileRefused(Issue("path.hard-link", f"has {status.st_nlink} names (hard links): the same bytes are "
                                    "a file elsewhere too", hint="copy the file into the records folder (cp, never "
                                    "ln): a link brings in whatever it shares, a private key, a private file"))
        yield descriptor, status
    finally:
        os.close(descriptor)


def read_regular(path: str | os.PathLike, limit: int, own: bool = False) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; FileRefused otherwise (see `opened` for `own`)."""
    return read_regular_and_status(path, limit, own)[0]


def read_regular_and_status(path: str | os.PathLike, limit: int, own: bool = False) -> tuple[bytes, os.stat_result]:
    """read_regular, and the status of the very file read (not of whatever the path names a moment apart)."""
    with opened(path, limit, own) as (descriptor, status):
        chunks, total = [], 0
        try:
            while chunk := os.read(descriptor, 1 << 20):
                chunks.append(chunk)
                total += len(chunk)
                if total > limit:  # it grew while being read
                    raise FileRefused(too_large(total, limit))
        except OSError as error:
            raise FileRefused(Issue("file.unreadable", f"cannot be read: {error.strerror}",
                                    hint="check the file and the disk")) from error
        return b"".join(chunks), status


def sha256_of(path: str | os.PathLike, limit: int, own: bool = False) -> str:
    """SHA-256 (hex) of a regular file of at most `limit` bytes, read in pieces; FileRefused otherwise (see
    `opened` for `own`)."""
    import hashlib

    digest = hashlib.sha256()
    with opened(path, limit, own) as (descriptor, _status):
        total = 0
        while chunk := os.read(descriptor, 1 << 20):
            total += len(chunk)
            if total > limit:
                raise FileRefused(too_large(total, limit))
            digest.update(chunk)
    return digest.hexdigest()


def has_holes(path: str | os.PathLike) -> bool:
    """Whether a regular file is sparse (holes that read as zeros but take no space): a cheap way to pass
    off a huge file. False where the file system cannot tell."""
    with opened(path, 1 << 62) as (descriptor, status):
        try:
            return os.lseek(descriptor, 0, os.SEEK_HOLE) < status.st_size
        except (OSError, AttributeError):
            return False


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


# --- writing ------------------------------------------------------------------------------------------


def refuse_records_folder(path: Path) -> None:
    """No command writes an output inside a records folder (one holding archive.yaml or the salt ledger): the
    records, captures and ledger are written only by the commands that own them (fmt, salt, build's salting),
    and an output there would replace one, or be salted and published as a record."""
    from appeal_archive.layout import CONFIG_FILE, SALTS_FILE

    target = Path(os.path.realpath(path))
    for folder in (target, *target.parents):
        if (folder / CONFIG_FILE).is_file() or os.path.lexists(folder / SALTS_FILE):
            raise fail("output.in-records", f"{path} is inside the records folder {folder}", "write outputs "
                       "outside the records folder, e.g. --out build/ or --out proofs/record.json",
                       file=str(path), exit_code=EXIT_USAGE)


def write_failure(error: OSError, where: Path) -> AppealArchiveError:
    """An OSError while writing a build, as the exit-3 error a user can act on."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return fail("build.disk-full", f"the disk holding {where} is full", "free some space there (or give --out "
                    "on another disk), then build again; the previous build is as it was")
    return fail("build.write-failed", f"cannot write the build in {where}: {error.strerror or error}",
                "check the folder's permissions and the disk; the previous build is as it was")


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write one file whole or not at all: a temporary file beside it, flushed, then renamed over it. Only its
    owner may read it unless `mode` says otherwise (0o644 for what is published: a proof, a certificate)."""
    path = Path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
        try:
            os.fchmod(descriptor, mode)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise write_failure(error, path) from error
