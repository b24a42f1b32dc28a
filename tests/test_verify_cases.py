"""The attack corpus in tests/cases/verify/: each case tampers with a copy of a fresh signed build the way
its attack does, and `appeal-archive verify` must give its exit code and name its causes, with no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import attacks
from appeal_archive.cli import main
from conftest import CASES

pytestmark = pytest.mark.slow  # a module of many seconds, handed out early (run_layout.py)


VERIFY_CASES = sorted((CASES / "verify").iterdir())
# The builds an attack is made on: the session's B-LTA build of the real records, the same above 2,000 records
# (where the records travel in ZIPs), and the B-B build (as `make build` signs) where a case asks for it.
BUILDS = {"B-LTA": "signed_build_dir", "B-LTA-large": "large_build_dir", "B-B": "basic_build_dir"}
CASES_AND_BUILDS = [(case, build) for case in VERIFY_CASES
                    for build in json.loads((case / "case.json").read_text()).get("builds", ["B-LTA", "B-LTA-large"])]


def copy_of(build: str, request: pytest.FixtureRequest, folder: Path) -> Path:
    """A private copy of one of the session's builds, for an attack to tamper with."""
    copy = folder / "build"
    shutil.copytree(request.getfixturevalue(BUILDS[build]), copy)
    return copy


def test_every_attack_has_a_case_and_every_case_an_attack():
    named = {json.loads((case / "case.json").read_text())["attack"] for case in VERIFY_CASES}
    assert named == set(attacks.ATTACKS)


@pytest.mark.parametrize("case, build", CASES_AND_BUILDS,
                         ids=[f"{case.name}-{build}" if build != "B-LTA" else case.name for case, build in CASES_AND_BUILDS])
def test_verify_names_the_cause_of_each_attack(case: Path, build: str, request: pytest.FixtureRequest, pki,
                                               tmp_path: Path):
    spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
    build_copy = copy_of(build, request, tmp_path)
    target = attacks.ATTACKS[spec["attack"]](build_copy, pki)
    options = ["--trust-root", str(pki.root_cert)] if spec["trust_root"] else []
    options += ["--rebuild"] if spec.get("rebuild") else []
    result = CliRunner().invoke(main, ["verify", "--format", "json", *options, str(target)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    report = json.loads(result.output)
    found = {issue["code"] for issue in report["issues"]}
    assert result.exit_code == spec["exit"], (found, report["issues"][:3])
    assert set(spec.get("codes", [])) <= found, found
    assert not spec.get("any") or set(spec["any"]) & found, found
    assert "internal.error" not in found
    if spec["exit"] == 0:
        assert report["time"]["proven"] is None  # a made-up authority's time is never presented as proven
    if "sig.gap-invalid" in found:
        assert report["time"]["claimed"] is None  # nothing read from the unsigned gap is reported
    assert not (build_copy.parent / "victim.txt").exists()  # nothing is ever written outside a scratch folder


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


def test_extend_refuses_every_pdf_verify_refuses(request: pytest.FixtureRequest, pki, tmp_path: Path):
    """extend runs the whole of verify first: each attack of the corpus on a PDF is refused with exit 1 (or 3 when
    the file cannot be read), no file written and no traceback, whatever part of verify refuses it."""
    refused = []
    for number, (case, build) in enumerate(CASES_AND_BUILDS):
        spec = json.loads((case / "case.json").read_text(encoding="utf-8"))
        if build == "B-LTA-large":
            continue  # extend's verify is verify's, which the corpus runs at that size
        copy = copy_of(build, request, tmp_path / str(number))
        target = attacks.ATTACKS[spec["attack"]](copy, pki)
        if spec["exit"] != 1 or target.suffix != ".pdf":
            continue  # extend takes PDFs only
        before = target.read_bytes()
        renewed = copy / "renewed.pdf"
        options = ["--trust-root", str(pki.root_cert)] if spec["trust_root"] else []
        result = CliRunner().invoke(main, ["extend", str(target), "--tsa", pki.tsa_urls[1], "--out", str(renewed),
                                           *options])
        assert result.exit_code in (1, 3), (case.name, result.output)
        assert "Traceback" not in result.output + result.stderr, case.name
        assert "error[extend." in result.stderr and "internal.error" not in result.stderr, (case.name, result.stderr)
        assert not renewed.exists() and target.read_bytes() == before, case.name
        refused.append(case.name)
    assert len(refused) >= 20, refused


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
    from appeal_archive.verify import verify_archive
    from conftest import REAL_RECORDS

    built = request.getfixturevalue(BUILDS[build])
    records = built.parent / "records" if build.endswith("large") else REAL_RECORDS
    report = verify_archive(attacks.pdf_of(built), records_dir=records, trust_roots=[pki.root_cert])
    assert report.ok and report.changes == [], (report.changes[:3], report.issues[:3])
