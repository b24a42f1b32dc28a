"""Reading what is verified: regular files only, within the limits layout.py sets, and JSON that cannot
explode in memory or in depth. A file that cannot be read at all means the check cannot run (exit 3)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from appeal_archive.errors import EXIT_CANNOT_RUN, AppealArchiveError
from appeal_archive.files import FileRefused, opened, read_regular


class BadJson(ValueError):
    """JSON that is not what appeal-archive writes: malformed, too deep, too dense, or with values no JSON
    canonicalization can hold."""


def cannot_read(path: Path, refused: FileRefused) -> AppealArchiveError:
    code = "verify.not-a-file" if refused.issue.code == "path.not-a-file" else "verify.unreadable"
    return AppealArchiveError(refused.issue.__class__(code, f"cannot read {path}: it {refused.issue.message}",
                                                      file=str(path), hint=refused.issue.hint), EXIT_CANNOT_RUN)


@contextmanager
def open_input(path: Path, limit: int) -> Iterator[tuple[BinaryIO, int]]:
    """The file to verify, open for reading, and its size. Not a regular file: exit 3; too large: the
    FileRefused propagates for the caller to report as a failed check."""
    import os

    try:
        with opened(path, limit) as (descriptor, status), os.fdopen(os.dup(descriptor), "rb") as stream:
            yield stream, status.st_size
    except FileRefused as refused:
        if refused.issue.code == "file.too-large":
            raise
        raise cannot_read(path, refused) from refused


def read_input(path: Path, limit: int) -> bytes:
    """The bytes of a file beside or inside what is verified (a .p7s, a manifest)."""
    try:
        return read_regular(path, limit)
    except FileRefused as refused:
        if refused.issue.code == "file.too-large":
            raise
        raise cannot_read(path, refused) from refused


# Our JSON has long strings between its commas: a manifest entry of about 200 bytes holds six. JSON of short
# values (a list of a million ones, of empty lists) costs fifty times its size in memory once parsed, so
# JSON with more than one comma or opening bracket in 24 bytes is refused before it is parsed: what is
# left costs at most about three times its size.
_MIN_BYTES_PER_VALUE = 24
_MAX_INT_DIGITS = 30


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise BadJson(f"a number of {len(text)} digits")
    return int(text)


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number")


def _unique_keys(pairs: list) -> dict:
    if len(pairs) != len({key for key, _ in pairs}):
        raise BadJson("an object in it repeats a key")
    return dict(pairs)


def parse_json(raw: bytes, unique_keys: bool = False) -> Any:
    """JSON as data, refusing what appeal-archive never writes: it raises BadJson. `unique_keys` refuses an
    object that repeats a key (readers differ on which one counts): for a file no signature covers."""
    commas = raw.count(b",") + raw.count(b"[") + raw.count(b"{")
    if commas * _MIN_BYTES_PER_VALUE > len(raw) + 4 * _MIN_BYTES_PER_VALUE:
        raise BadJson("it is denser than any JSON appeal-archive writes")
    try:
        return json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant,
                          object_pairs_hook=_unique_keys if unique_keys else None,
                          parse_float=lambda text: _no_constant(text) if "e" in text.lower() else float(text))
    except RecursionError as error:
        raise BadJson("it is nested too deep") from error
    except UnicodeDecodeError as error:
        raise BadJson("it is not UTF-8") from error
    except json.JSONDecodeError as error:
        raise BadJson(f"it is not valid JSON ({error.msg} at line {error.lineno})") from error


class Prefix(io.RawIOBase):
    """The first `length` bytes of a seekable stream, as a stream of their own: a signed PDF as it was when
    signed, before any later update, read in place."""

    def __init__(self, stream: BinaryIO, length: int):
        super().__init__()
        self._stream, self._length, self._position = stream, length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        count = max(0, min(len(buffer), self._length - self._position))
        if not count:
            return 0
        self._stream.seek(self._position)
        data = self._stream.read(count)
        buffer[:len(data)] = data
        self._position += len(data)
        return len(data)
