"""The validation cache is never wrong: after any sequence of edits, a run that takes what it can from the cache
reports exactly what a run without it reports; a damaged, foreign or shared cache is never trusted; it is as
private as the records."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import shutil
import sqlite3
import stat
import time
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import REAL_RECORDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appeal_archive.build.manifest_report import manifest_report
from appeal_archive.cli.main import main
from appeal_archive.records import cache as cache_module
from appeal_archive.records.validate import check_records

SKIPPED_FIELDS = {"raw", "canonical"}  # kept only for builds, which never use the cache


def judged(records: Path, cache: Path | bool, jobs: int | None = None) -> dict:
    """Everything the commands conclude: validate's report (but for how much came from the cache), every
    record's scan with its digest, the restricted set, and the manifest (with its root) when there is one."""
    printed = check_records(records, digests=False, cache=cache, jobs=jobs)[0].to_dict()
    printed.pop("from_cache")
    _, record_set = check_records(records, cache=cache, jobs=jobs)
    scans = [{field.name: getattr(record, field.name) for field in fields(record) if field.name not in SKIPPED_FIELDS}
             for record in record_set.records]
    manifest = manifest_report(records, cache=cache, jobs=jobs)
    return {"report": printed, "scans": scans, "restricted": record_set.restricted,
            "manifest": {**manifest.to_dict(), "from_cache": None}}


# --- the edits an archivist makes --------------------------------------------------------------------------


def _files(records: Path, folder: str = "") -> list[Path]:
    return sorted(path for path in (records / folder).rglob("*.yaml") if path.name != "archive.yaml")


def _pick(paths: list[Path], choice: int) -> Path | None:
    return paths[choice % len(paths)] if paths else None


def add(records: Path, choice: int, serial: int) -> None:
    template = _pick(_files(records, "persons"), choice) or REAL_RECORDS / "persons" / "pavel-latushka.yaml"
    text = template.read_text(encoding="utf-8")
    new_id = f"added-person-{serial}"
    (records / "persons" / f"{new_id}.yaml").write_text(
        "id: " + new_id + "\n" + text.split("\n", 1)[1], encoding="utf-8")


def change(records: Path, choice: int, serial: int) -> None:
    path = _pick(_files(records), choice)
    if path is not None:
        text = path.read_text(encoding="utf-8")
        # A letter changed in a value (a quote leaves its source, an id its file name) or a comment added.
        changed = text.replace("a", "o", 1) if choice % 3 else text + f"# note {serial}\n"
        path.write_text(changed, encoding="utf-8")


def revert(records: Path, choice: int, serial: int) -> None:
    originals = sorted(REAL_RECORDS.rglob("*.yaml"))
    original = originals[choice % len(originals)]
    target = records / original.relative_to(REAL_RECORDS)
    target.parent.mkdir(exist_ok=True)
    shutil.copy(original, target)


def delete(records: Path, choice: int, serial: int) -> None:
    path = _pick(_files(records), choice)
    if path is not None:
        path.unlink()


def rename(records: Path, choice: int, serial: int) -> None:
    path = _pick(_files(records), choice)
    if path is not None:
        path.rename(path.with_name(f"renamed-{serial}.yaml"))


def touch(records: Path, choice: int, serial: int) -> None:
    path = _pick(_files(records), choice)
    if path is not None:
        os.utime(path)


def edit_source(records: Path, choice: int, serial: int) -> None:
    """The quoted text itself, captured anew (its record's SHA-256 follows, as a new capture's would): a word
    many records quote changed, or the original restored; with an odd choice, the document alone (a mismatch)."""
    document = next((records / "sources").glob("*.txt"))
    record = next((path for path in _files(records, "sources") if document.name in path.read_text(encoding="utf-8")),
                  None)  # deleted by an earlier edit
    text = document.read_text(encoding="utf-8")
    edited = text.replace("Latushka", "Latushko", 1) if "Latushka" in text and choice % 4 < 2 else \
        (REAL_RECORDS / "sources" / document.name).read_text(encoding="utf-8")
    document.write_text(edited, encoding="utf-8")
    if choice % 2 == 0 and record is not None:
        digest = hashlib.sha256(document.read_bytes()).hexdigest()
        lines = [f"sha256: {digest}" if line.startswith("sha256: ") else line
                 for line in record.read_text(encoding="utf-8").split("\n")]
        record.write_text("\n".join(lines), encoding="utf-8")


def restrict(records: Path, choice: int, serial: int) -> None:
    path = _pick(_files(records, "persons"), choice)
    if path is not None:
        text = path.read_text(encoding="utf-8")
        if "access: restricted" not in text:
            path.write_text(text.replace("type: person\n", "type: person\naccess: restricted\n", 1),
                            encoding="utf-8")


EDITS = [add, change, revert, delete, rename, touch, edit_source, restrict, "tool"]


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 50)), min_size=1, max_size=6),
       aged=st.booleans())
def test_a_cached_run_reports_what_a_cold_run_reports(edits, aged: bool, tmp_path_factory, monkeypatch):
    """Hypothesis makes sequences of edits (add, change, revert, delete, rename, touch without change, edit the
    quoted source, restrict a person, another tool); after each, the run with the cache must conclude what a
    run without it concludes. `aged`: every file looks older than the race window (the status shortcut is
    taken), and each file an edit changes gets a later time, as edits made apart in time do."""
    base = tmp_path_factory.mktemp("differential")
    records, folder = base / "records", base / "cache"
    shutil.copytree(REAL_RECORDS, records)
    monkeypatch.setattr(cache_module, "tool_key", lambda: "tool 0")
    clock = itertools.count(10**18, 10**9)
    if aged:
        later = time.time_ns() + 60 * 10**9
        monkeypatch.setattr(cache_module, "time", SimpleNamespace(time_ns=lambda: later))
    judged(records, folder)  # the cache's first filling
    for serial, (edit, choice) in enumerate(edits):
        before = _contents(records)
        if edit == "tool":
            monkeypatch.setattr(cache_module, "tool_key", lambda serial=serial: f"tool {serial + 1}")
        else:
            edit(records, choice, serial)
        if aged:
            for path, content in _contents(records).items():
                if before.get(path) != content:
                    moment = next(clock)
                    os.utime(path, ns=(moment, moment))
        assert judged(records, folder) == judged(records, False), (edit, choice)


def _contents(records: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in records.rglob("*") if path.is_file()}


def test_an_edit_within_the_clocks_resolution_is_seen(records: Path, tmp_path: Path, monkeypatch):
    """On a file system whose times count whole seconds, a file changed in the second it was read (same size,
    same times) is read again: its status alone is not believed so close to the reading."""
    def coarse(path):
        status = os.lstat(path)
        values = list(status)
        for index in (7, 8, 9):  # whole seconds
            values[index] = int(values[index])
        return os.stat_result(values, {"st_mtime_ns": status.st_mtime_ns // 10**9 * 10**9,
                                       "st_ctime_ns": status.st_ctime_ns // 10**9 * 10**9})

    monkeypatch.setattr(cache_module, "_status_of", coarse)
    folder, person = tmp_path / "cache", records / "persons" / "pavel-latushka.yaml"
    text = person.read_text(encoding="utf-8")
    for _attempt in range(5):  # the edit must fall in the second of the reading; a slow machine may miss it
        person.write_text(text, encoding="utf-8")
        assert check_records(records, cache=folder)[0].ok
        person.write_text(text.replace("pavel-latushka", "pavel-latushko", 1), encoding="utf-8")
        if coarse(person).st_mtime_ns // 10**9 == time.time_ns() // 10**9:
            break
    else:
        pytest.skip("the edits never fell within one second of their reading")
    assert "record.id-mismatch" in [issue.code for issue in check_records(records, cache=folder)[0].errors]


def test_a_folder_swapped_while_a_file_is_read_never_pairs_one_files_status_with_anothers_verdict(
        records: Path, tmp_path: Path, monkeypatch):
    """The path names one file when its status is taken and another when it is read (its folder swapped for a
    moment): the cache keeps no status for what it read, and later runs read the file again."""
    from appeal_archive.records import validate

    folder, persons = tmp_path / "cache", records / "persons"
    (persons / "alexander-azarov.yaml").write_text(
        (persons / "alexander-azarov.yaml").read_text(encoding="utf-8") + "unknown_field: 1\n", encoding="utf-8")
    valid = tmp_path / "valid-persons"
    shutil.copytree(REAL_RECORDS / "persons", valid)
    reading = validate.read_bytes_and_status

    def swapped_while_read(path, *args):
        if not str(path).endswith("alexander-azarov.yaml"):
            return reading(path, *args)
        os.rename(persons, tmp_path / "aside")
        os.rename(valid, persons)
        try:
            return reading(path, *args)
        finally:
            os.rename(persons, valid)
            os.rename(tmp_path / "aside", persons)

    monkeypatch.setattr(validate, "read_bytes_and_status", swapped_while_read)
    monkeypatch.setattr(cache_module, "time", SimpleNamespace(time_ns=lambda: time.time_ns() + 60 * 10**9))
    assert check_records(records, cache=folder, jobs=1)[0].ok  # what it read was valid
    monkeypatch.undo()
    monkeypatch.setenv("APPEAL_ARCHIVE_CACHE_DIR", str(folder))
    cold = judged(records, False, jobs=2)
    assert cold["report"]["ok"] is False
    assert judged(records, folder, jobs=2) == cold


# --- a cache that cannot be trusted ------------------------------------------------------------------------


def _cacheable(records: Path) -> int:
    """The records a cache holds: all but archive.yaml and the source records (read every time: every quote is
    checked against what they say)."""
    return sum(1 for path in _files(records) if path.parent.name != "sources")


def _database(folder: Path) -> Path:
    [database] = folder.glob("validate-*.sqlite3")
    return database


def test_a_second_run_takes_every_record_from_the_cache(records: Path, private_cache: Path):
    first = CliRunner().invoke(main, ["validate", "records", "--format", "json"])
    second = CliRunner().invoke(main, ["validate", "records", "--format", "json"])
    assert json.loads(first.stdout)["from_cache"] == 0
    assert json.loads(second.stdout)["from_cache"] == _cacheable(records)
    assert {**json.loads(first.stdout), "from_cache": 0} == {**json.loads(second.stdout), "from_cache": 0}


def test_no_cache_reads_and_writes_none(records: Path, private_cache: Path):
    result = CliRunner().invoke(main, ["validate", "records", "--no-cache", "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["from_cache"] == 0
    assert not private_cache.exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "entry-changed", "entry-checksum"])
def test_a_damaged_cache_is_set_aside_and_made_anew(records: Path, tmp_path: Path, damage: str):
    folder = tmp_path / "cache"
    cold = judged(records, False)
    judged(records, folder)
    database = _database(folder)
    if damage == "garbage":
        database.write_bytes(b"not a database" * 100)
    elif damage == "truncated":
        database.write_bytes(database.read_bytes()[:len(database.read_bytes()) // 2])
    elif damage == "empty":
        database.write_bytes(b"")
    else:
        with sqlite3.connect(database) as connection:
            if damage == "entry-changed":  # a verdict changed, its checksum not: never believed
                connection.execute("UPDATE entries SET result = replace(result, 'true', 'false')")
            else:
                connection.execute("UPDATE entries SET checksum = zeroblob(32)")
    report, _ = check_records(records, cache=folder)
    assert report.from_cache == 0
    assert judged(records, folder) == cold
    assert check_records(records, cache=folder)[0].from_cache == _cacheable(records)  # made anew


def test_a_cache_made_for_another_folder_is_not_used(records: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    judged(records, folder)
    [made] = folder.glob("validate-*.sqlite3")
    other = tmp_path / "other" / "records"
    shutil.copytree(records, other)
    (other / "persons" / "pavel-latushka.yaml").write_text("id: pavel-latushka\ntype: person\n", encoding="utf-8")
    cold = judged(other, False)
    assert cold["report"]["ok"] is False
    check_records(other, cache=folder)
    [its_own] = [path for path in folder.glob("validate-*.sqlite3") if path != made]
    shutil.copy(made, its_own)  # the first folder's cache where the other's belongs: it names another folder
    assert check_records(other, cache=folder)[0].from_cache == 0
    assert judged(other, folder) == cold
    # The same path, another folder (the first moved aside, a new one made in its place): not used either.
    shutil.move(records, tmp_path / "moved")
    shutil.copytree(other, records)
    assert check_records(records, cache=folder)[0].from_cache == 0
    assert judged(records, folder) == judged(records, False)


def _validate_repeatedly(records: str, folder: str, rounds: int) -> list[int]:
    return [int(check_records(records, cache=Path(folder))[0].ok) for _ in range(rounds)]


@pytest.mark.slow
def test_runs_at_the_same_time_leave_the_cache_whole(records: Path, tmp_path: Path):
    """Four processes validate and edit at once; afterwards the cache's verdicts are a cold run's."""
    folder = tmp_path / "cache"
    context = multiprocessing.get_context("fork")
    with context.Pool(4) as pool:
        runs = [pool.apply_async(_validate_repeatedly, (str(records), str(folder), 6)) for _ in range(4)]
        for serial in range(6):
            change(records, serial, serial)
            revert(records, serial + 1, serial)
        assert all(len(run.get(timeout=120)) == 6 for run in runs)
    assert judged(records, folder) == judged(records, False)
    with sqlite3.connect(_database(folder)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_the_cache_is_private_and_says_so_when_it_is_not(records: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    report, _ = check_records(records, cache=folder)
    database = _database(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(database.stat().st_mode) == 0o600
    assert not any(issue.code == "cache.readable-by-others" for issue in report.issues)
    folder.chmod(0o755)
    database.chmod(0o644)
    warned = [issue for issue in check_records(records, cache=folder)[0].issues
              if issue.code == "cache.readable-by-others"]
    assert [issue.severity for issue in warned] == ["warning", "warning"] and "chmod 700" in warned[0].hint


@pytest.mark.parametrize("place", ["records", "records/sources"])
def test_a_cache_folder_inside_the_records_is_not_used(records: Path, place: str):
    before = sorted(path.relative_to(records) for path in records.rglob("*"))
    report, _ = check_records(records, cache=records.parent / place / "cache")
    assert [issue.code for issue in report.issues] == ["cache.unusable"] and report.from_cache == 0
    assert sorted(path.relative_to(records) for path in records.rglob("*")) == before


def test_a_cache_others_may_write_in_is_not_believed(records: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    check_records(records, cache=folder)
    folder.chmod(0o777)  # anyone could have written its verdicts
    report, _ = check_records(records, cache=folder)
    assert report.from_cache == 0 and "cache.unusable" in [issue.code for issue in report.issues]
    assert "chmod 700" in next(issue.hint for issue in report.issues if issue.code == "cache.unusable")


def test_a_cache_file_others_may_write_is_not_believed(records: Path, tmp_path: Path):
    """The folder may be readable by others (a warning); a database, or a journal, they may write is refused."""
    folder = tmp_path / "cache"
    check_records(records, cache=folder)
    database = _database(folder)
    database.chmod(0o666)
    report, _ = check_records(records, cache=folder)
    assert report.from_cache == 0 and "cache.unusable" in [issue.code for issue in report.issues]
    database.chmod(0o600)
    Path(f"{database}-journal").write_bytes(b"")
    Path(f"{database}-journal").chmod(0o662)
    assert "cache.unusable" in [issue.code for issue in check_records(records, cache=folder)[0].issues]


def test_a_cache_another_run_holds_is_left_as_it_is(records: Path, tmp_path: Path, monkeypatch):
    folder = tmp_path / "cache"
    check_records(records, cache=folder)
    database = _database(folder)
    inode = database.stat().st_ino
    monkeypatch.setattr(cache_module, "_BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        report, _ = check_records(records, cache=folder)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert report.ok and report.from_cache == 0
    assert [issue.code for issue in report.issues] == ["cache.unusable"] and "another run" in report.issues[0].message
    assert database.stat().st_ino == inode and check_records(records, cache=folder)[0].from_cache > 0


def test_a_cache_that_is_no_file_is_not_used_and_the_run_says_so(records: Path, tmp_path: Path):
    folder = tmp_path / "cache"
    check_records(records, cache=folder)
    database = _database(folder)
    database.unlink()
    os.mkfifo(database)  # opening it must not hang the run
    report, _ = check_records(records, cache=folder)
    assert report.ok and report.from_cache == 0
    assert [issue.code for issue in report.issues] == ["cache.unusable"]


def test_the_cache_lives_in_the_users_cache_folder_never_among_the_records(records: Path, tmp_path: Path,
                                                                         monkeypatch):
    monkeypatch.delenv("APPEAL_ARCHIVE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    before = sorted(path.relative_to(records) for path in records.rglob("*"))
    assert CliRunner().invoke(main, ["validate", "records"]).exit_code == 0
    assert list((tmp_path / "xdg" / "appeal-archive").glob("validate-*.sqlite3"))
    assert sorted(path.relative_to(records) for path in records.rglob("*")) == before


@pytest.mark.slow
def test_above_the_parallel_threshold_the_workers_fill_and_use_the_cache_alike(tmp_path: Path, monkeypatch):
    """Above PARALLEL_THRESHOLD the files are read, scanned and encoded for the cache in forked workers: the
    same verdicts as a cold run, filled, full and after an edit (an invalid one, which workers find)."""
    import sys

    from conftest import REPO

    from appeal_archive.records import validate
    from appeal_archive.records.validate import PARALLEL_THRESHOLD

    forked = []
    real_map = validate.forked_map
    monkeypatch.setattr(validate, "forked_map", lambda *args, **kwargs: forked.append(args[1][1]) or
                        real_map(*args, **kwargs))
    sys.path.insert(0, str(REPO / "bench"))
    import generate

    records, folder = generate.write(PARALLEL_THRESHOLD // 2 + 50, tmp_path / "records"), tmp_path / "cache"
    cold = judged(records, False, jobs=2)
    assert judged(records, folder, jobs=2) == cold  # filled by the workers
    assert validate._read_and_scan in forked
    assert check_records(records, cache=folder, jobs=2)[0].from_cache == _cacheable(records)
    edited = records / "signatories" / "s0000007.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("position: 7", "position: 8"), encoding="utf-8")
    cold = judged(records, False, jobs=2)
    assert cold["report"]["ok"] is False
    assert judged(records, folder, jobs=2) == cold
