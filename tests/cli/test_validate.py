"""`appeal-archive validate` through the CLI runner; its JSON equals the library report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appeal_archive.cli import main
from appeal_archive.validate import validate_records
from casefiles import materialize
from conftest import CASES


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_real_records_exit_0(records: Path):
    result = run("validate", "records")
    assert result.exit_code == 0
    assert result.output.strip().endswith("ok")


def test_invalid_records_exit_1_with_location_code_and_hint(tmp_path: Path, monkeypatch):
    materialize(CASES / "invalid" / "count-without-qualifier", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "records")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == ("records/rallies/vilnius-2023-05-21.yaml:10:3: error[schema.required] /participants: "
                        "'qualifier' is required")
    assert lines[1].startswith("  hint: add 'qualifier'")


def test_json_output_equals_the_library_report(tmp_path: Path, monkeypatch):
    materialize(CASES / "invalid" / "tab-indentation", tmp_path / "records")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--format", "json", "records")
    assert result.exit_code == 1
    assert json.loads(result.output) == validate_records("records").to_dict()


def test_missing_folder_is_a_usage_error(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", "nowhere"])
    assert result.exit_code == 2
    assert "nowhere" in result.output


def test_an_unexpected_failure_is_exit_3_without_traceback(records: Path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("appeal_archive.validate.validate_records", broken)
    result = CliRunner().invoke(main, ["validate", "records"])
    assert result.exit_code == 3
    assert "internal.error" in result.output and "Traceback" not in result.output
    debug = CliRunner().invoke(main, ["--debug", "validate", "records"])
    assert isinstance(debug.exception, RuntimeError)


def test_no_case_makes_the_cli_show_a_traceback(tmp_path: Path, monkeypatch):
    for index, case in enumerate(sorted((CASES / "invalid").iterdir())):
        materialize(case, tmp_path / str(index) / "records")
        monkeypatch.chdir(tmp_path / str(index))
        result = CliRunner().invoke(main, ["validate", "records"])
        assert result.exit_code == 1, case.name
        assert result.exception is None or isinstance(result.exception, SystemExit), case.name
