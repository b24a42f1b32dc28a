"""validate: the real records pass; parallel and serial scans agree; records are never changed."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from conftest import REAL_RECORDS, REPO

from appeal_archive.records import validate as validate_module
from appeal_archive.records.validate import check_records, validate_records

sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402


def test_real_records_validate_without_warnings():
    report = validate_records(REAL_RECORDS)
    assert report.ok and report.issues == []
    assert report.records_valid == 29
    assert report.files_checked == 31


def tree_digest(root: Path) -> str:
    hasher = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            hasher.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return hasher.hexdigest()


def test_validation_never_writes_to_the_records(records: Path):
    before = tree_digest(records)
    validate_records(records)
    check_records(records, keep_data=True)
    assert tree_digest(records) == before


def test_parallel_scan_equals_serial_scan(tmp_path: Path, monkeypatch):
    target = generate.write(600, tmp_path / "records")
    (target / "persons" / "p0000003.yaml").write_text(
        "id: p0000003\ntype: person\nnames: [Nobody Atall]\nsources: [synthetic-petition-export]\n")
    (target / "persons" / "p0000004.yaml").write_text("id: p0000004\ntype: person\nnames: [Volha]\nsources: [nope]\n")
    monkeypatch.setattr(validate_module, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(validate_module, "_CHUNK", 97)
    serial_report, serial = check_records(target, jobs=1)
    parallel_report, parallel = check_records(target, jobs=2)
    assert serial_report.to_dict() == parallel_report.to_dict()
    assert [(r.path, r.digest, r.references) for r in serial.records] == [
        (r.path, r.digest, r.references) for r in parallel.records]
    assert {issue.code for issue in serial_report.errors} == {"ref.dangling", "quote.not-in-source"}


def test_generated_bench_set_is_valid(tmp_path: Path):
    report = validate_records(generate.write(300, tmp_path / "records"))
    assert report.ok, report.errors[:3]
