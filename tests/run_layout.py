"""How a test run is laid out, for speed on two cores: temporary folders in memory, the heap that collection
imported frozen, and under xdist the longest modules handed out first."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from appeal_archive.memory import freeze_heap_for_good

SPACIOUS_MEMORY_FOLDER = 2 << 30


def pytest_configure(config: pytest.Config) -> None:
    """The tests write and delete some 24,000 files a run. On ext4, making a file among many recently deleted
    ones costs the kernel a scan (6 s of a run, and 4 s more to delete the run's files at its end), so tests
    keep their temporary folders in /dev/shm when it is a writable folder in memory with room to spare. A
    passing test's folder is deleted when it ends (tmp_path_retention_policy in pyproject.toml); a failing
    test's is kept, as anywhere. PYTEST_DEBUG_TEMPROOT or --basetemp, when given, win."""
    if config.option.basetemp or "PYTEST_DEBUG_TEMPROOT" in os.environ:
        return
    memory = Path("/dev/shm")
    try:
        roomy = os.statvfs(memory).f_bavail * os.statvfs(memory).f_frsize >= SPACIOUS_MEMORY_FOLDER
    except OSError:
        return
    if roomy and os.access(memory, os.W_OK | os.X_OK):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(memory)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection imported lives as long as the run: frozen, the garbage collector stops walking it."""
    freeze_heap_for_good()


# Under xdist (make test: --dist loadscope --no-loadscope-reorder), each module goes whole to one worker, in
# the order collected. Longest first, by the seconds each module took in the last run that ran it, the two
# workers end within a second of each other; in xdist's own order (most tests first) one idled for 8 s
# while the other ran the last long module. Before a module has been timed (a fresh clone), one marked slow
# counts as the longest, any other as the shortest.
MODULE_SECONDS = "appeal-archive/module-seconds"
_measured: Counter = Counter()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
    seconds = cache.get(MODULE_SECONDS, {}) if cache is not None else {}
    longest = max(seconds.values(), default=0.0) + 1
    slow = {item.location[0] for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: -seconds.get(item.location[0], longest if item.location[0] in slow else 0.0))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _measured[report.location[0]] += report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _measured:
        return  # a worker's reports also reach the controller, which keeps the figures
    seconds = cache.get(MODULE_SECONDS, {})
    seconds.update({module: round(total, 2) for module, total in _measured.items()})
    cache.set(MODULE_SECONDS, seconds)
