"""Work spread over forked worker processes that inherit what they read.

A large validation or verification hands its workers one value (the scan context with its loaded schemas and
source indexes; a ZIP's bytes with flat arrays of offsets) through fork: it is never pickled, and the workers'
pages stay shared with the parent's. The parent keeps no state between calls: each call starts its own pool,
and the value lives in that pool's worker processes alone (ProcessPoolExecutor's initializer puts it there, at
each worker's start), so calls may run side by side in threads of one process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

Shared = TypeVar("Shared")
Item = TypeVar("Item")
Result = TypeVar("Result")

# Set in a worker process only, once, when it starts: the value its pool was started with. The parent never
# sets it (a test holds it to that).
_in_this_worker: list[Any] = []


def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def forked_map(function: Callable[[Shared, Item], Result], shared: Shared, items: Sequence[Item], jobs: int,
               alongside: Callable[[], Any] = lambda: None,
               each_done: Callable[[Item], None] = lambda item: None) -> tuple[Any, list[Result]]:
    """`function(shared, item)` for every item, in `jobs` forked workers (this process runs `alongside`
    meanwhile); returns what `alongside` gave and the results in the items' order, calling `each_done` with
    each item as its result arrives (for progress). With one job, or where processes cannot fork, all of it
    runs here. Errors in a worker are raised here; a worker that dies raises BrokenProcessPool (a
    RuntimeError)."""
    if jobs <= 1 or not can_fork():
        beside = alongside()
        results = []
        for item in items:
            results.append(function(shared, item))
            each_done(item)
        return beside, results
    from appeal_archive.memory import frozen_heap, release_memory

    release_memory()  # what earlier stages freed should not be resident, and shared, in every worker
    with frozen_heap(), ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_receive, initargs=(shared,)) as pool:
        futures = [pool.submit(_call, function, item) for item in items]
        beside = alongside()
        results = []
        for item, future in zip(items, futures, strict=True):
            results.append(future.result())
            each_done(item)
        return beside, results


def _receive(shared: Any) -> None:
    _in_this_worker.append(shared)


def _call(function: Callable[[Any, Any], Any], item: Any) -> Any:
    return function(_in_this_worker[0], item)
