"""The attack corpus in tests/cases/verify/ on the builds of the real records (verify_corpus.py; above 2,000
records: test_verify_cases_large.py), and what verify must never do with any file: block on a FIFO, crash on
a record of null, check a bag only in part."""

from __future__ import annotations

import json
from pathlib import Path

import attacks
import pytest
from click.testing import CliRunner
from verify_corpus import BUILDS, VERIFY_CASES, cases_on, check_attack

from appeal_archive.cli.main import main

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


def test_every_attack_has_a_case_and_every_case_an_attack():
    named = {json.loads((case / "case.json").read_text())["attack"] for case in VERIFY_CASES}
    assert named == set(attacks.ATTACKS)


@pytest.mark.parametrize(**cases_on({"B-LTA", "B-B"}))
def test_verify_names_the_cause_of_each_attack(case: Path, build: str, request: pytest.FixtureRequest, pki,
                                               tmp_path: Path):
    check_attack(case, build, request, pki, tmp_path)


@pytest.mark.parametrize("fifo", ["the-file", ".p7s", "manifest.json"])
def test_a_fifo_never_blocks_verify(fifo: str, build_copy: Path):
    """Finding 5: a FIFO given to verify, or found where verify reads beside a bundle: exit 3, at once. Should
    verify open the FIFO and wait for a writer, a watchdog opens its other end after 30 s and the test fails."""
    import os
    import threading

    bundle = build_copy / "AA-2023-05-21-belarusians-to-eu.jsonld"
    target = build_copy / "fifo.pdf" if fifo == "the-file" else bundle
    beside = {"the-file": target, ".p7s": Path(f"{bundle}.p7s"), "manifest.json": build_copy / "manifest.json"}[fifo]
    beside.unlink(missing_ok=True)
    os.mkfifo(beside)
    finished, blocked = threading.Event(), []

    def unblock():
        while not finished.wait(30 if not blocked else 1):
            blocked.append(True)
            os.close(os.open(beside, os.O_RDWR | os.O_NONBLOCK))

    watchdog = threading.Thread(target=unblock, daemon=True)
    watchdog.start()
    result = CliRunner().invoke(main, ["verify", str(target)])
    finished.set()
    watchdog.join()
    assert not blocked, "verify waited for a writer on the FIFO"
    assert result.exit_code == 3, result.output
    assert "error[verify.not-a-file]" in result.stderr and "FIFO" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_a_record_that_is_only_null_is_refused_by_manifest_and_build(records: Path, isolated_identity):
    """Finding 4: such a record once validated and then crashed manifest and build."""
    (records / "persons" / "volha-paulava.yaml").write_text("~\n")
    for command in (["manifest", "records"], ["build", "records", "--unsigned"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, result.output
        assert "error[yaml.empty]" in result.output and "internal.error" not in result.output


@pytest.mark.parametrize("build", ["B-LTA", "B-LTA-large"])
def test_a_bag_is_verified_file_by_file_at_every_size(build: str, request: pytest.FixtureRequest, pki):
    """Below and above 2,000 records (where the records travel in the PDF's ZIPs), every file of the bag is
    checked against what was signed: the count verify gives is the bag's files, tag files and payload."""
    from appeal_archive.verify import verify_archive

    bag = attacks.bag_of(request.getfixturevalue(BUILDS[build]))
    files = {path.relative_to(bag).as_posix() for path in bag.rglob("*") if path.is_file()}
    report = verify_archive(bag, trust_roots=[pki.root_cert])
    assert report.ok, report.issues[:3]
    checked = {name for name in report.covered if "#" not in name}  # attachments are counted in the PDF
    assert checked == files and report.to_dict()["completeness"]["files_checked"] >= len(files)
    assert len([name for name in files if name.startswith("data/records/")]) > (2000 if build.endswith("large") else 30)


@pytest.mark.parametrize("build", ["B-LTA", "B-LTA-large"])
def test_the_records_signed_compare_unchanged_at_every_size(build: str, request: pytest.FixtureRequest, pki):
    """verify PDF --records DIR with the very records built: no change, archive.yaml included (above 2,000
    records it travels in records.zip, and was reported changed)."""
    from conftest import REAL_RECORDS

    from appeal_archive.verify import verify_archive

    built = request.getfixturevalue(BUILDS[build])
    records = built.parent / "records" if build.endswith("large") else REAL_RECORDS
    report = verify_archive(attacks.pdf_of(built), records_dir=records, trust_roots=[pki.root_cert])
    assert report.ok and report.changes == [], (report.changes[:3], report.issues[:3])


def test_the_forged_page_is_refused_whatever_verify_is_asked(build_copy: Path, pki):
    """Issue 17: the /Metadata forgery verified with --at, with --rebuild and in a re-bagged bag as well."""
    forged = attacks.metadata_repointed_at_page_content(build_copy, pki)
    bag = attacks.bag_of(build_copy)
    (bag / "data" / forged.name).write_bytes(forged.read_bytes())
    attacks.rebag(bag)
    trust = ["--trust-root", str(pki.root_cert)]
    for options in (["--at", "2046-12-01"], ["--rebuild"], []):
        for target in (forged, bag):
            result = CliRunner().invoke(main, ["verify", "--format", "json", *trust, *options, str(target)])
            found = {issue["code"] for issue in json.loads(result.output)["issues"]}
            assert result.exit_code == 1 and found & {"sig.not-whole-file", "sig.modified-after-signing"}, \
                (options, target.name, found)
