"""memory: the heap a forked child must leave alone is frozen for the fork, and thawed after unless it was
frozen for good."""

from __future__ import annotations

import gc

from appeal_archive import memory


def test_a_heap_frozen_for_a_fork_is_thawed_after_unless_it_was_frozen_for_good(monkeypatch):
    frozen_by_the_run = memory._frozen_for_good  # run_layout.py freezes what collection imported
    try:
        gc.unfreeze()
        monkeypatch.setattr(memory, "_frozen_for_good", False)
        with memory.frozen_heap():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        memory.freeze_heap_for_good()
        made_since = [[] for _ in range(1000)]
        with memory.frozen_heap():
            pass
        assert gc.get_freeze_count() > len(made_since)  # what was frozen for good, and what the block froze, hold
    finally:
        gc.unfreeze()
        if frozen_by_the_run:
            gc.freeze()
