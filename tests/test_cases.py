"""The corpus in tests/cases/: every invalid case fails with exactly its expected issues, every valid case passes."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from casefiles import expected_issues, issue_rows, materialize
from conftest import CASES

from appeal_archive.records.validate import validate_records

INVALID = sorted((CASES / "invalid").iterdir())
VALID = sorted((CASES / "valid").iterdir())


def run_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    materialize(case, tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    return validate_records("records")


def test_the_corpus_is_large_enough():
    assert len(INVALID) >= 25


@pytest.mark.parametrize("case", INVALID, ids=lambda case: case.name)
def test_invalid_case_reports_exactly_its_issues(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    report = run_case(case, tmp_path, monkeypatch)
    expected = expected_issues(case)
    assert not report.ok
    assert any(row["severity"] == "error" for row in expected)
    assert issue_rows(report.issues) == expected
    for issue in report.errors:
        assert issue.hint, f"{issue.code} has no hint"
        assert issue.file and (issue.file == "records" or issue.file.startswith("records/"))


@pytest.mark.parametrize("case", VALID, ids=lambda case: case.name)
def test_valid_case_passes(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    report = run_case(case, tmp_path, monkeypatch)
    assert report.ok, report.errors
    assert issue_rows(report.issues) == expected_issues(case)


def test_alias_bomb_is_refused_fast_and_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tracemalloc.start()
    started = time.perf_counter()
    report = run_case(CASES / "invalid" / "alias-bomb", tmp_path, monkeypatch)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "yaml.alias" in {issue.code for issue in report.errors}
    assert elapsed < 2.0
    assert peak < 50_000_000


def test_huge_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    materialize(CASES / "invalid" / "huge-file", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    tracemalloc.start()
    report = validate_records("records")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [issue.code for issue in report.errors] == ["file.too-large"]
    assert peak < 20_000_000


def test_another_style_of_the_same_record_has_the_same_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from appeal_archive.records.validate import load_record_set

    materialize(CASES / "valid" / "styles-and-comments", tmp_path / "records")
    restyled = load_record_set(tmp_path / "records")[1]
    original = load_record_set(Path(__file__).resolve().parents[1] / "records")[1]
    path = "rallies/vilnius-2023-05-21.yaml"
    digest_of = {record.path: record.digest for record in original.records}
    assert {record.path: record.digest for record in restyled.records}[path] == digest_of[path]
