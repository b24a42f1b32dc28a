"""Memory between stages and across forks: between the stages of a large build or verification, freed memory
is returned to the system (glibc keeps it otherwise), so that the next stage, or a forked worker, does not
count it again; and a forked child leaves its parent's heap alone (frozen_heap)."""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Iterator

# Below this, a stage's garbage is not worth a full collection: in a process holding many objects (a test
# run, a long-lived service) one collection costs a tenth of a second, more than a small build takes.
WORTH_RELEASING = 4 << 20


def release_memory(held: int | None = None) -> None:
    """Collect garbage and trim the heap; `held`, when given, is about how many bytes the finished stage
    held, and nothing is done below WORTH_RELEASING."""
    if held is not None and held < WORTH_RELEASING:
        return
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_frozen_for_good = False


def freeze_heap_for_good() -> None:
    """Freeze what this process holds now, for the rest of its life: a process that forks many children (a
    pre-forking server after its imports, a test run after collection) spares every garbage collection, and
    every child, the walk through it. frozen_heap leaves it frozen."""
    global _frozen_for_good
    gc.collect()
    gc.freeze()
    _frozen_for_good = True


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the objects this process holds are frozen (gc.freeze): a child forked in the block
    does not walk them in its garbage collections, which would touch, and so copy into the child, every page
    of the parent's heap. They are thawed afterwards, unless the heap was frozen for good. (Whether anything
    is frozen is kept here: gc.get_freeze_count() walks every frozen object, 18 ms in a test run.)"""
    gc.freeze()
    try:
        yield
    finally:
        if not _frozen_for_good:
            gc.unfreeze()
