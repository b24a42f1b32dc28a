"""`appeal-archive validate` through the CLI runner; its JSON equals the library report."""

from __future__ import annotations

import json
from pathlib import Path

from casefiles import materialize
from click.testing import CliRunner
from conftest import CASES

from appeal_archive.cli.main import main
from appeal_archive.records.validate import validate_records


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

    monkeypatch.setattr("appeal_archive.records.validate.validate_records", broken)
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


def test_validate_and_fmt_name_what_they_counted(records: Path):
    validated = run("validate", "records").output.strip().splitlines()[-1]
    assert validated == "records: 31 files checked (29 records, 1 source document, archive.yaml): ok"
    formatted = run("fmt", "--check", "records").output.strip().splitlines()[-1]
    assert formatted == "30 YAML files checked, 0 would reformat; 1 source document left as it is"


def test_a_bare_count_gets_a_hint_that_shows_what_to_write(records: Path):
    rally = records / "rallies" / "vilnius-2023-05-21.yaml"
    text = rally.read_text()
    start = text.index("participants:")
    rally.write_text(text[:start] + "participants: 300\n")
    [issue] = validate_records("records").errors
    assert (issue.code, issue.pointer) == ("schema.type", "/participants")
    assert issue.hint == ("write participants as a mapping with the fields value, qualifier, as_printed, e.g. "
                          'participants: {value: 300, qualifier: about, as_printed: "about 300 participants"}')


def test_a_misquote_near_the_end_of_a_long_quote_is_shown_where_it_departs(records: Path):
    entry = records / "signatories" / "appeal-of-belarusians-to-the-eu-02.yaml"
    entry.write_text(entry.read_text().replace("brother of political prisoner Anatoly Latushka",
                                               "brother of political prisoner Anatol Latushka", 1))
    [issue] = [issue for issue in validate_records("records").errors if issue.pointer == "/as_printed"]
    assert issue.code == "quote.not-in-source"
    assert "political prisoner'; then the quote has 'Anatol Latushka' where the source has " \
           "'Anatoly Latushka 3. BYPOL" in issue.message
