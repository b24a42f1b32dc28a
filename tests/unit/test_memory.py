"""memory: the heap a forked child must leave alone is frozen for the fork, and thawed after unless the
caller had frozen it."""

from __future__ import annotations

import gc

from appeal_archive.memory import frozen_heap


def test_a_heap_frozen_for_a_fork_is_thawed_after_unless_the_caller_froze_it():
    frozen_by_the_run = gc.get_freeze_count()  # conftest freezes what collection imported
    gc.unfreeze()
    try:
        with frozen_heap():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        gc.freeze()
        made_since = [[] for _ in range(1000)]
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > len(made_since)  # the caller's freeze, and what the block froze, hold
    finally:
        gc.unfreeze()
        if frozen_by_the_run:
            gc.freeze()
