"""Progress: silent for a run's first seconds, then each stage and a count at most every few seconds."""

from __future__ import annotations

from appeal_archive.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_short_run_says_nothing_and_a_long_one_is_told_at_a_measured_pace():
    clock, lines = Clock(), []
    progress = Progress(lines.append, quiet_for=2.0, every=2.0, clock=clock)
    files = progress.counter("files checked", 10)
    progress.stage("reading")
    files.advance(3)
    clock.now += 1.9
    files.advance(1)
    assert lines == []
    clock.now += 0.2
    files.advance(1)
    progress.stage("checking the records against each other")
    clock.now += 1.0
    files.advance(1)
    clock.now += 1.5
    files.advance(4)
    assert lines == ["files checked: 5 of 10", "checking the records against each other", "files checked: 10 of 10"]


def test_without_a_writer_nothing_is_written():
    clock = Clock()
    progress = Progress(None, quiet_for=0, every=0, clock=clock)
    progress.stage("anything")
    progress.counter("files", 2).advance(2)  # no writer: nothing to call, nothing raised
