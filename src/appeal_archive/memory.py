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
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the objects this process holds are frozen (gc.freeze): a child forked in the block
    does not walk them in its garbage collections, which would touch, and so copy into the child, every page
    of the parent's heap. They are thawed afterwards, unless the caller had frozen its heap itself (a
    pre-forking server, a test run), which then stays frozen."""
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_by_caller:
            gc.unfreeze()
