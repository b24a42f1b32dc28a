"""Giving memory back: between the stages of a large build or verification, freed memory is returned to the
system (glibc keeps it otherwise), so that the next stage, or a forked worker, does not count it again."""

from __future__ import annotations

import ctypes
import gc


def release_memory() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
