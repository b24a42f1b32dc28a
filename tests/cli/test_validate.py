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


def test_a_missing_folder_is_records_not_found_for_every_command_that_reads_one(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a folder\n")
    for command in ("validate", "manifest", "build", "salt"):
        for where in ("nowhere", "a-file"):
            result = CliRunner().invoke(main, [command, where, "--format", "json"])
            issues = json.loads(result.stdout)["issues"]
            assert result.exit_code == 3 and [issue["code"] for issue in issues] == ["records.not-found"], \
                (command, result.output)
            assert issues[0]["file"] == where
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file"]


def test_a_text_ending_in_a_colon_is_explained(records: Path):
    person = records / "persons" / "alexander-azarov.yaml"
    person.write_text(person.read_text().replace("names:\n  - ", "names:\n  - Signed by:\n  - ", 1))
    result = json.loads(run("validate", "records", "--format", "json").stdout)
    found = [issue for issue in result["issues"] if issue["code"] == "schema.type"]
    assert [issue["pointer"] for issue in found] == ["/names/0"]
    assert "ends with ':' is read as a field name" in found[0]["hint"] and '"Signed by:"' in found[0]["hint"]


def test_progress_goes_to_stderr_only_and_never_into_the_report(records: Path, monkeypatch):
    from appeal_archive import progress

    monkeypatch.setattr(progress, "QUIET_FOR", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    shown = CliRunner().invoke(main, ["validate", "records", "--format", "json", "--progress"])
    assert shown.exit_code == 0 and json.loads(shown.stdout)["ok"]
    assert "records: files checked: 1 of" in shown.stderr and "checking the records against each other" in shown.stderr
    quiet = CliRunner().invoke(main, ["validate", "records", "--no-progress"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    formatted = CliRunner().invoke(main, ["fmt", "--check", "records", "--progress"])
    assert "files checked: 1 of" in formatted.stderr and "..." not in formatted.stdout


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


def test_the_json_report_is_utf_8_for_a_folder_whose_name_is_not(tmp_path: Path):
    """A records folder named in bytes that are not UTF-8: the JSON report escapes them (\\udcfe), so that it reads
    as UTF-8 and gives the same name back, byte for byte."""
    import shutil
    import subprocess
    import sys

    from conftest import REAL_RECORDS

    name = b"records-\xfe".decode("utf-8", "surrogateescape")
    shutil.copytree(REAL_RECORDS, tmp_path / name)
    done = subprocess.run([sys.executable, "-m", "appeal_archive", "validate", name, "--format", "json"],
                          cwd=tmp_path, capture_output=True)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.decode("utf-8"))
    assert report["records_dir"].encode("utf-8", "surrogateescape") == b"records-\xfe"
