"""Atomic output: a build is made in a staging folder beside its output folder and swapped in whole.

The staging folder is named for the process that makes it (boot, process id and start time), so a later
build can prove a leftover is a build's own and that its maker is gone before it removes it: a build
killed at any point leaves the previous output folder whole, and its leftovers are cleaned the next
time. Scratch files (the drawn PDF) live inside the staging folder, never in /tmp.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

_STAGING = ".{name}.staging-"
_OWNER = re.compile(r"(?P<boot>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-[0-9a-f]{8}")


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
    except OSError:  # pragma: no cover - not Linux
        return "0" * 8


def _start_time(pid: int) -> int | None:
    """When a process started (clock ticks since boot), or None when there is no such process."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


class Staging:
    """A staging folder for one build of `out`: files go in, then `publish()` swaps it in for `out`.

    Leaving the `with` block without publishing removes it; so does the next build, if this one is killed.
    """

    def __init__(self, out: Path, allowed: set[str]):
        # Through a symbolic link, the folder it names is built: swapping the link itself would leave it behind.
        self.out = Path(os.path.realpath(out))
        self.allowed = allowed  # what a build may leave in a staging folder: its outputs and scratch
        self.path: Path | None = None
        self.unsynced = False

    @property
    def folder(self) -> Path:
        """The staging folder, while the block runs and until it is published."""
        if self.path is None:
            raise RuntimeError("the staging folder is not there: outside the `with` block, or published")
        return self.path

    def __enter__(self) -> Staging:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out, self.allowed)
        owner = f"{_boot_id()}-{os.getpid()}-{_start_time(os.getpid()) or 0}-{secrets.token_hex(4)}"
        self.path = self.out.parent / (_STAGING.format(name=self.out.name) + owner)
        self.path.mkdir(mode=0o755)
        return self

    def __exit__(self, *exc) -> None:
        if self.path is not None and self.path.is_symlink():
            self.path.unlink()
        elif self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def write(self, name: str, data: bytes, durable: bool = True) -> None:
        """One file of the build; `durable=False` for the many small files of a view (linked-art/<kind>/<id>.json),
        which one sync before publishing makes durable together instead of one fsync each."""
        with self.open(name, durable) as handle:
            handle.write(data)

    @contextlib.contextmanager
    def open(self, name: str, durable: bool = True) -> Iterator[BinaryIO]:
        """One file of the build, written through the handle as its content is made (a ZIP of 100,000 members)."""
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        with open(self.folder / name, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            else:
                self.unsynced = True

    def publish(self, keep: tuple[str, ...] = ()) -> None:
        """Swap the staging folder in for the output folder, carrying over `keep` (e.g. .gitkeep)."""
        if self.unsynced:
            os.sync()
        for name in keep:
            if (self.out / name).exists():
                shutil.copy2(self.out / name, self.folder / name)
        os.chmod(self.folder, 0o755)
        if self.out.exists():
            _exchange(self.folder, self.out)  # the previous build is now at self.path, removed on exit
        else:
            os.rename(self.folder, self.out)
            self.path = None


def remove_leftovers(out: Path, allowed: set[str]) -> list[Path]:
    """Remove staging folders of `out` whose maker is gone and which hold only what a build writes."""
    removed = []
    prefix = _STAGING.format(name=out.name)
    for candidate in out.parent.glob(f"{prefix}*"):
        owner = _OWNER.fullmatch(candidate.name.removeprefix(prefix))
        if not owner or not candidate.is_dir() or candidate.is_symlink():
            continue
        pid, start = int(owner["pid"]), int(owner["start"])
        if owner["boot"] == _boot_id() and _start_time(pid) == start:
            continue  # its build is still running
        if all(entry.name in allowed or entry.name.startswith("render-") for entry in candidate.iterdir()):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders atomically (Linux renameat2); elsewhere, two renames in quick succession."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
            return
    aside = second.with_name(second.name + ".previous")
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(second, aside)
    os.rename(first, second)
    os.rename(aside, first)
