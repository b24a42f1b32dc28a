"""build: SOURCE_DATE_EPOCH, atomic publication, and the output folder's guard."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appeal_archive.build.archive import build_archive, build_date_from
from appeal_archive.build.publish import Staging, remove_leftovers
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
    with Staging(out, {"manifest.json", "new.pdf", "old.pdf", ".gitkeep"}) as staging:
        staging.write("manifest.json", b"{}")
        staging.write("new.pdf", b"%PDF")
        assert staging.path.parent == tmp_path and staging.path.name.startswith(".build.staging-")
        staging.publish(keep=(".gitkeep",))
    assert sorted(path.name for path in out.iterdir()) == [".gitkeep", "manifest.json", "new.pdf"]
    assert [path.name for path in tmp_path.iterdir()] == ["build"]


def test_leftovers_are_removed_only_when_their_build_is_gone_and_they_hold_only_build_files(tmp_path: Path):
    import os
    import subprocess

    out = tmp_path / "build"
    finished = subprocess.run(["true"])  # a process that has certainly ended: its id names a dead build
    gone = tmp_path / f".build.staging-{_boot()}-999999-1-abcdef01"
    gone.mkdir()
    (gone / "AA.pdf").write_text("half")
    (gone / "render-x1").mkdir()
    running = tmp_path / f".build.staging-{_boot()}-{os.getpid()}-{_start(os.getpid())}-abcdef02"
    running.mkdir()
    foreign = tmp_path / f".build.staging-{_boot()}-999998-1-abcdef03"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    unnamed = tmp_path / ".build.staging-by-hand"
    unnamed.mkdir()
    assert finished.returncode == 0
    assert remove_leftovers(out, {"AA.pdf"}) == [gone]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([running.name, foreign.name, unnamed.name])


def _boot() -> str:
    from appeal_archive.build import publish

    return publish._boot_id()


def _start(pid: int) -> int:
    from appeal_archive.build import publish

    return publish._start_time(pid)


def test_an_interrupted_build_leaves_the_previous_build(records: Path, custodian_identity, monkeypatch,
                                                       unsigned_build_dir: Path):
    shutil.copytree(unsigned_build_dir, "build")
    before = {path.as_posix(): path.read_bytes() for path in Path("build").rglob("*") if path.is_file()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("appeal_archive.signing.sign.sign_pdf", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_archive("records", "build")
    assert {path.as_posix(): path.read_bytes() for path in Path("build").rglob("*") if path.is_file()} == before
    assert sorted(path.name for path in Path(".").iterdir()) == ["build", "identity", "records"]


def test_a_full_disk_is_exit_3_saying_so_and_leaves_nothing(records: Path, isolated_identity,
                                                                      tmp_path: Path):
    import os
    import subprocess

    if os.geteuid() != 0 or subprocess.run(["mount", "--version"], capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs (CI runs as root)")
    disk = tmp_path / "small-disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)]).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with pytest.raises(AppealArchiveError) as caught:
            build_archive("records", disk / "build", unsigned=True)
        assert caught.value.issues[0].code == "build.disk-full"
        assert caught.value.exit_code == 3
        assert list(disk.iterdir()) == []  # nothing half-made is left
    finally:
        subprocess.run(["umount", str(disk)])


def test_a_half_made_identity_is_explained_and_left_alone(records: Path, isolated_identity):
    isolated_identity.mkdir()
    (isolated_identity / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(AppealArchiveError) as caught:
        build_archive("records", "build")
    issue = caught.value.issues[0]
    assert issue.code == "sign.identity-incomplete" and "cert.pem" in issue.message
    assert "delete" in issue.hint and str(isolated_identity) in issue.hint
    assert (isolated_identity / "key.pem").read_text() == "-----BEGIN PRIVATE KEY-----\n"


KILL_SEED = 20261201


def _start_build(environ: dict[str, str]) -> int:
    """A build of ./records into ./build with its bag, in a child process forked from this one (as a new
    interpreter would run it, without 1 s of start-up and imports); its process id."""
    import os
    import tempfile

    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.environ.update(environ)
            tempfile.tempdir = None
            code = 0 if build_archive("records", "build", bag=True, environ=environ).ok else 1
        finally:
            os._exit(code)
    return pid


def _exit_status(pid: int) -> int:
    import os

    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_build_killed_at_any_point_leaves_a_whole_build_and_the_next_build_cleans_up(records: Path, tmp_path,
                                                                                      identity_template: Path):
    """SIGKILL a build at random points: the output folder is always the old build or the new one, whole;
    the next build removes what the killed ones left; nothing is left in the temporary folder."""
    import json
    import os
    import random
    import signal
    import time

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    shutil.copytree(identity_template, tmp_path / "identity")
    env = {"TMPDIR": str(scratch), "SOURCE_DATE_EPOCH": "1684627200",
           "APPEAL_ARCHIVE_IDENTITY_DIR": str(tmp_path / "identity")}
    with pytest.MonkeyPatch.context() as patch:  # the first build here: the children start with all it imported
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr("tempfile.tempdir", None)
        assert build_archive("records", "build", bag=True, environ=env).ok
    started = time.monotonic()
    assert _exit_status(_start_build(env)) == 0
    duration = time.monotonic() - started
    whole = {path.relative_to("build").as_posix() for path in Path("build").rglob("*")}
    rng = random.Random(KILL_SEED)
    for _ in range(6):
        pid = _start_build(env)
        time.sleep(rng.uniform(0.02, duration))
        os.kill(pid, signal.SIGKILL)
        _exit_status(pid)
        assert {path.relative_to("build").as_posix() for path in Path("build").rglob("*")} == whole
        assert json.loads(Path("build/manifest.json").read_text())["archival_id"]
    assert _exit_status(_start_build(env)) == 0
    assert sorted(path.name for path in Path(".").iterdir()) == ["build", "identity", "records", "tmp"]
    assert list(scratch.iterdir()) == []
