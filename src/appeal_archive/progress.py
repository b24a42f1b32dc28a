"""How far a long run is, for the person waiting: the library says where it is, the command line decides whether
to show it (on stderr, never in a report).

A run that ends within a few seconds says nothing; after that, each new stage is told, and a count of files at
most every few seconds. The library is given a Progress (or none: a silent one), so a program that calls it can
show progress its own way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

QUIET_FOR = 2.0  # seconds a run says nothing
EVERY = 2.0  # seconds between two counts


class Progress:
    """Progress lines for one run, written through `write` (None: silent)."""

    def __init__(self, write: Callable[[str], None] | None = None, quiet_for: float | None = None,
                 every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.write, self.clock = write, clock
        self.quiet_for = QUIET_FOR if quiet_for is None else quiet_for
        self.every = EVERY if every is None else every
        self.started = clock()
        self.last = self.started

    def _due(self, now: float) -> bool:
        return self.write is not None and now - self.started >= self.quiet_for

    def stage(self, text: str) -> None:
        """A new stage begins (shown once the run has taken a few seconds)."""
        now = self.clock()
        if self._due(now) and self.write is not None:
            self.write(text)
            self.last = now

    def counter(self, what: str, total: int) -> Counter:
        return Counter(self, what, total)


class Counter:
    """Items of one stage done so far, told at most every few seconds."""

    def __init__(self, progress: Progress, what: str, total: int):
        self.progress, self.what, self.total, self.done = progress, what, total, 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        progress, now = self.progress, self.progress.clock()
        if progress._due(now) and now - progress.last >= progress.every and progress.write is not None:
            progress.write(f"{self.what}: {self.done:,} of {self.total:,}")
            progress.last = now
