"""Giving memory back: between the stages of a large build or verification, freed memory is returned to the
system (glibc keeps it otherwise), so that the next stage, or a forked worker, does not count it again."""

from __future__ import annotations

import ctypes
import gc

# Below this, a stage's garbage is not worth a full collection: in a process holding many objects (a test
# run, a long-lived service) one collection costs a tenth of a second, more than a small build takes.
WORTH_RELEASING = 4 << 20


def release_memory(held: int | None = None) -> None:
    """Collect garbage and trim the heap; `held`, when given, is about how many bytes the finished stage
    held, and nothing is done below WORTH_RELEASING."""
    if held is not None and held < WORTH_RELEASING:
        return
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
