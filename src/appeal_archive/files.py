"""Opening files that may be hostile: regular files only, checked before reading, read within a limit.

A FIFO would block a reader forever, a device never ends, a symlink can point anywhere, and a file can
be larger than memory. Every file validate and verify read comes through here: it is opened without
following a symlink and without blocking, must be a regular file, and is refused before reading when
it is larger than the limit its caller sets.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import Issue

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
        return b"".join(chunks)


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


_PEM_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_BASE64_PIECE = re.compile(rb"[A-Za-z0-9+/]{16,}={0,2}")  # a line of base64, or most of one
_BASE64_GAP = re.compile(rb"[\s#\"'>|-]{0,8}")  # what may stand between its lines in a comment or a value
MAX_KEY_BYTES = 1 << 20  # a key store in DER is kilobytes: larger files are not parsed as one


def key_material(data: bytes) -> str | None:
    """What `data` is, or holds, when it is private key material, which never belongs among records and
    documents: a PEM private key (PKCS#1 or #8, EC, OpenSSH, PGP), a private key or PKCS#12 key store in DER
    (with anything after it: openssl reads the first structure), or either of those in base64 without its PEM
    lines (a pasted key, in a value or a comment); else None."""
    if _PEM_KEY.search(data):
        return "a private key in PEM"
    found = _der_key(data)
    if found is not None:
        return found
    for blob in _base64_blobs(data):
        found = _der_key(blob)
        if found is not None:
            return f"{found}, in base64"
    return None


def _base64_blobs(data: bytes) -> Iterator[bytes]:
    """The decoded runs of base64 of 100 letters or more in `data`, its lines joined across line breaks and
    comment marks. Pieces are found by one linear search, then joined where only such marks stand between."""
    run: list[bytes] = []
    end = None
    for piece in _BASE64_PIECE.finditer(data):
        if run and not _BASE64_GAP.fullmatch(data, end, piece.start()):
            yield from _decoded(b"".join(run))
            run = []
        run.append(piece.group().rstrip(b"="))
        end = piece.end()
    yield from _decoded(b"".join(run))


def _decoded(letters: bytes) -> Iterator[bytes]:
    import base64
    import binascii

    if len(letters) >= 100:
        try:
            yield base64.b64decode(letters + b"=" * (-len(letters) % 4))
        except (binascii.Error, ValueError):
            return


def _der_key(data: bytes) -> str | None:
    if not data.startswith(b"\x30") or len(data) > MAX_KEY_BYTES:
        return None
    from asn1crypto import keys, pkcs12

    for kind, what in ((keys.PrivateKeyInfo, "a private key in DER"), (keys.EncryptedPrivateKeyInfo,
                        "an encrypted private key in DER"), (keys.RSAPrivateKey, "an RSA private key in DER"),
                       (keys.ECPrivateKey, "an EC private key in DER"), (pkcs12.Pfx, "a PKCS#12 key store")):
        try:
            kind.load(data).native  # noqa: B018 (parses every field; what follows the structure is ignored)
        except Exception:  # noqa: BLE001, S112 - not of this kind
            continue
        return what
    return None


def key_material_issue(what: str) -> Issue:
    return Issue("file.key-material", f"is {what}, which never belongs among the records", line=1, column=1,
                 hint="move it out of the records folder (keys live in the identity folder, never in records/), "
                 "and replace the key if it was ever committed or published")


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
