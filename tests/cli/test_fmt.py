"""`appeal-archive fmt`: --check exit codes and listing; rewriting keeps the manifest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from appeal_archive.cli.main import main


def test_check_is_clean_on_real_records(records: Path):
    result = CliRunner().invoke(main, ["fmt", "--check", "records"])
    assert result.exit_code == 0, result.output


def test_check_lists_what_would_change_then_fmt_fixes_it_without_changing_hashes(records: Path):
    before = json.loads(CliRunner().invoke(main, ["manifest", "--format", "json", "records"]).output)["manifest"]
    target = records / "rallies" / "warsaw-2023-05-21.yaml"
    target.write_text("# reordered by hand\n" + target.read_text().replace("date: '2023-05-21'\n", "") +
                      "date: 2023-05-21\n")
    check = CliRunner().invoke(main, ["fmt", "--check", "records"])
    assert check.exit_code == 1
    assert "would reformat records/rallies/warsaw-2023-05-21.yaml" in check.output
    assert CliRunner().invoke(main, ["validate", "records"]).exit_code == 1  # unquoted date
    assert CliRunner().invoke(main, ["fmt", "records"]).exit_code == 0
    assert CliRunner().invoke(main, ["fmt", "--check", "records"]).exit_code == 0
    assert target.read_text().startswith("# reordered by hand\nid: warsaw-2023-05-21\n")
    after = json.loads(CliRunner().invoke(main, ["manifest", "--format", "json", "records"]).output)["manifest"]
    assert after == before


def test_single_files_can_be_given_as_pre_commit_does(records: Path):
    result = CliRunner().invoke(main, ["fmt", "--check", "records/persons/lukashenka.yaml",
                                       "records/rallies/london-2023-05-21.yaml"])
    assert result.exit_code == 0
    assert "2 YAML files checked, 0 would reformat" in result.output


def test_check_in_json_says_not_ok_when_a_file_would_change(records: Path):
    target = records / "rallies" / "warsaw-2023-05-21.yaml"
    target.write_text("# reordered by hand\n" + target.read_text().replace("date: '2023-05-21'\n", "") +
                      "date: '2023-05-21'\n")
    result = CliRunner().invoke(main, ["fmt", "--check", "--format", "json", "records"])
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["ok"] is False
    assert report["changed"] == ["records/rallies/warsaw-2023-05-21.yaml"]
    assert report["checked"] == 30 and report["source_documents"] == 1
