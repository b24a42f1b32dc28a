"""build: SOURCE_DATE_EPOCH, atomic publication, and the output folder's guard."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from appeal_archive.build import build_archive, build_date_from, publish
from appeal_archive.errors import AppealArchiveError

CLOCK = datetime(2026, 11, 24, 12, 30, 45, 123456, tzinfo=UTC)


def test_build_date_comes_from_source_date_epoch_or_the_clock():
    assert build_date_from({"SOURCE_DATE_EPOCH": "1684627200"}, CLOCK) == datetime(2023, 5, 21, tzinfo=UTC)
    assert build_date_from({}, CLOCK) == CLOCK.replace(microsecond=0)
    with pytest.raises(AppealArchiveError) as caught:
        build_date_from({"SOURCE_DATE_EPOCH": "yesterday"}, CLOCK)
    assert caught.value.exit_code == 2


def test_publish_swaps_the_whole_folder_and_keeps_the_placeholder(tmp_path: Path):
    out = tmp_path / "build"
    out.mkdir()
    (out / ".gitkeep").write_text("")
    (out / "old.pdf").write_text("old")
    publish(out, {"manifest.json": b"{}", "new.pdf": b"%PDF"})
    assert sorted(path.name for path in out.iterdir()) == [".gitkeep", "manifest.json", "new.pdf"]
    assert [path.name for path in tmp_path.iterdir()] == ["build"]


def test_an_interrupted_build_leaves_the_previous_build(records: Path, isolated_identity, monkeypatch):
    assert build_archive("records", "build", unsigned=True).ok
    before = {path.as_posix(): path.read_bytes() for path in Path("build").rglob("*") if path.is_file()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("appeal_archive.sign.sign_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_archive("records", "build")
    assert {path.as_posix(): path.read_bytes() for path in Path("build").rglob("*") if path.is_file()} == before
    assert sorted(path.name for path in Path(".").iterdir()) == ["build", "identity", "records"]
